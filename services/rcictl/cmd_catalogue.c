/* cmd_catalogue.c: `rcictl indicators` and `rcictl agencies` — the
 * catalogue an agency reports against, from rci.v1.RegistryService:
 *   indicators   ListIndicators: code, names, unit, domain, frequency,
 *                value type, valid range, decimals, aggregation, direction
 *   agencies     ListAgencies: who reports for which city in which domains
 *
 * Both print an aligned table, CSV (every field, one column each) or JSON
 * (typed: numbers as numbers, an absent bound as null, domains as an array).
 */
#include <stdlib.h>
#include <string.h>

#include "rci/v1/registry.pb-c.h"
#include "rcictl/rcictl.h"

#define LIST_INDICATORS_PATH "/rci.v1.RegistryService/ListIndicators"
#define LIST_AGENCIES_PATH "/rci.v1.RegistryService/ListAgencies"

static void indicators_help(FILE *out)
{
    fputs("Usage: rcictl indicators [--domain DOMAIN] [--frequency FREQ] [GLOBAL FLAGS]\n"
          "\n"
          "List the indicator definitions that agencies push values of, ordered by\n"
          "code. Any valid token may read them (--token or RCI_TOKEN).\n"
          "\n"
          "  --domain DOMAIN   only this domain's: environment, transit, credit,\n"
          "                    economy, tasks, innovation, ...\n"
          "  --frequency FREQ  only daily, monthly, quarterly, half_yearly or yearly\n"
          "                    indicators\n"
          "\n"
          "Output: table with CODE, NAME_ZH, UNIT, DOMAIN, FREQUENCY, TYPE, RANGE,\n"
          "DECIMALS, AGGREGATION and BETTER; csv and json carry every field (code,\n"
          "name_zh, name_en, unit, domain, frequency, value_type, min_value,\n"
          "max_value, decimals, aggregation, better, standard); in json an absent\n"
          "bound is null.\n"
          "\n"
          "Exit status: 0 on success; 1 on an error status (an unknown domain is\n"
          "NOT_FOUND, no token UNAUTHENTICATED); 3 if it cannot connect; 2 on a\n"
          "usage error; 130 if interrupted.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

static void agencies_help(FILE *out)
{
    fputs("Usage: rcictl agencies [--city CODE] [--domain DOMAIN] [GLOBAL FLAGS]\n"
          "\n"
          "List the agencies that push values: the city each reports for and the\n"
          "domains it may write. Any valid token may read them.\n"
          "\n"
          "  --city CODE      only this city's agencies (GB/T 2260 code, e.g. 441300)\n"
          "  --domain DOMAIN  only agencies that report in this domain\n"
          "\n"
          "Output: table with CODE, CITY, NAME_ZH, NAME_EN, DOMAINS; csv: the same\n"
          "columns, domains joined with ';'; json: an array of {\"code\",\n"
          "\"city_code\", \"name_zh\", \"name_en\", \"domains\": [...]}.\n"
          "\n"
          "Exit status: 0 on success; 1 on an error status (an unknown city or\n"
          "domain is NOT_FOUND); 3 if it cannot connect; 2 on a usage error; 130 if\n"
          "interrupted.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

/* ---- names of the enums ------------------------------------------------------------- */

typedef struct enum_name {
    int value;
    const char *name;
} enum_name;

static const enum_name frequencies[] = {
    {RCI__V1__FREQUENCY__FREQUENCY_DAILY, "daily"},
    {RCI__V1__FREQUENCY__FREQUENCY_MONTHLY, "monthly"},
    {RCI__V1__FREQUENCY__FREQUENCY_QUARTERLY, "quarterly"},
    {RCI__V1__FREQUENCY__FREQUENCY_HALF_YEARLY, "half_yearly"},
    {RCI__V1__FREQUENCY__FREQUENCY_YEARLY, "yearly"},
    {0, NULL},
};

static const enum_name value_types[] = {
    {RCI__V1__VALUE_TYPE__VALUE_TYPE_DECIMAL, "decimal"},
    {RCI__V1__VALUE_TYPE__VALUE_TYPE_INTEGER, "integer"},
    {RCI__V1__VALUE_TYPE__VALUE_TYPE_PERCENT, "percent"},
    {0, NULL},
};

static const enum_name aggregations[] = {
    {RCI__V1__AGGREGATION__AGGREGATION_SUM, "sum"},
    {RCI__V1__AGGREGATION__AGGREGATION_MEAN, "mean"},
    {RCI__V1__AGGREGATION__AGGREGATION_POPULATION_WEIGHTED_MEAN, "population_weighted_mean"},
    {RCI__V1__AGGREGATION__AGGREGATION_MAX, "max"},
    {RCI__V1__AGGREGATION__AGGREGATION_NONE, "none"},
    {0, NULL},
};

static const enum_name directions[] = {
    {RCI__V1__DIRECTION__DIRECTION_HIGHER_IS_BETTER, "higher"},
    {RCI__V1__DIRECTION__DIRECTION_LOWER_IS_BETTER, "lower"},
    {RCI__V1__DIRECTION__DIRECTION_NEUTRAL, "neutral"},
    {0, NULL},
};

/* The name of v, or its number for a value newer than this rcictl ("" for
 * 0, which means unspecified). */
static const char *enum_text(const enum_name *names, int v, char buf[16])
{
    for (; names->name; names++)
        if (names->value == v)
            return names->name;
    if (v == 0)
        return "";
    snprintf(buf, 16, "%d", v);
    return buf;
}

/* ---- indicators --------------------------------------------------------------------- */

/* A bound as text ("" when absent); %.15g gives back what was stored. */
static const char *bound_text(const Google__Protobuf__DoubleValue *b, char buf[40])
{
    if (!b)
        return "";
    snprintf(buf, 40, "%.15g", b->value);
    return buf;
}

/* "0..100", "≥ 0", "≤ 31" or "" for the table. */
static const char *range_text(const Rci__V1__Indicator *ind, char buf[96])
{
    char lo[40], hi[40];
    bound_text(ind->min_value, lo);
    bound_text(ind->max_value, hi);
    if (ind->min_value && ind->max_value)
        snprintf(buf, 96, "%s..%s", lo, hi);
    else if (ind->min_value)
        snprintf(buf, 96, ">= %s", lo);
    else if (ind->max_value)
        snprintf(buf, 96, "<= %s", hi);
    else
        buf[0] = '\0';
    return buf;
}

static void indicators_json(const Rci__V1__ListIndicatorsResponse *resp)
{
    fputs("[", stdout);
    for (size_t i = 0; i < resp->n_indicators; i++) {
        const Rci__V1__Indicator *ind = resp->indicators[i];
        char b1[16], b2[16], b3[16], b4[16], lo[40], hi[40];
        fputs(i ? ",\n  {\"code\": " : "\n  {\"code\": ", stdout);
        rcictl_json_string(stdout, ind->code);
        rcictl_json_str(stdout, "name_zh", ind->name_zh);
        rcictl_json_str(stdout, "name_en", ind->name_en);
        rcictl_json_str(stdout, "unit", ind->unit);
        rcictl_json_str(stdout, "domain", ind->domain);
        rcictl_json_str(stdout, "frequency", enum_text(frequencies, ind->frequency, b1));
        rcictl_json_str(stdout, "value_type", enum_text(value_types, ind->value_type, b2));
        rcictl_json_key(stdout, "min_value");
        fputs(ind->min_value ? bound_text(ind->min_value, lo) : "null", stdout);
        rcictl_json_key(stdout, "max_value");
        fputs(ind->max_value ? bound_text(ind->max_value, hi) : "null", stdout);
        rcictl_json_key(stdout, "decimals");
        printf("%d", (int)ind->decimals);
        rcictl_json_str(stdout, "aggregation", enum_text(aggregations, ind->aggregation, b3));
        rcictl_json_str(stdout, "better", enum_text(directions, ind->better, b4));
        rcictl_json_str(stdout, "standard", ind->standard);
        fputc('}', stdout);
    }
    fputs(resp->n_indicators ? "\n]\n" : "]\n", stdout);
}

static int indicators_table(const rcictl *ctx, const Rci__V1__ListIndicatorsResponse *resp)
{
    static const char *const headers[] = {"CODE", "NAME_ZH", "UNIT", "DOMAIN", "FREQUENCY",
                                          "TYPE", "RANGE", "DECIMALS", "AGGREGATION", "BETTER"};
    static const char *const keys[] = {"code", "name_zh", "name_en", "unit", "domain",
                                       "frequency", "value_type", "min_value", "max_value",
                                       "decimals", "aggregation", "better", "standard"};
    int csv = ctx->format == RCICTL_FORMAT_CSV;
    rcictl_table *t = rcictl_table_new(csv ? 13 : 10, csv ? keys : headers, keys);
    if (!t)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < resp->n_indicators && rc == 0; i++) {
        const Rci__V1__Indicator *ind = resp->indicators[i];
        char b1[16], b2[16], b3[16], b4[16], lo[40], hi[40], range[96], dec[16];
        snprintf(dec, sizeof dec, "%d", (int)ind->decimals);
        const char *freq = enum_text(frequencies, ind->frequency, b1);
        const char *type = enum_text(value_types, ind->value_type, b2);
        const char *agg = enum_text(aggregations, ind->aggregation, b3);
        const char *better = enum_text(directions, ind->better, b4);
        if (csv) {
            const char *row[] = {ind->code, ind->name_zh, ind->name_en, ind->unit, ind->domain,
                                 freq, type, bound_text(ind->min_value, lo),
                                 bound_text(ind->max_value, hi), dec, agg, better,
                                 ind->standard};
            rc = rcictl_table_add(t, row);
        } else {
            const char *row[] = {ind->code, ind->name_zh, *ind->unit ? ind->unit : "-",
                                 ind->domain, freq, type, range_text(ind, range), dec, agg,
                                 better};
            rc = rcictl_table_add(t, row);
        }
    }
    if (rc == 0)
        rcictl_table_print(t, ctx->format, stdout);
    rcictl_table_free(t);
    return rc;
}

int rcictl_cmd_indicators(rcictl *ctx, int argc, char **argv)
{
    enum { O_DOMAIN = 1, O_FREQUENCY };
    static const rcictl_option opts[] = {
        {"domain", 1, O_DOMAIN}, {"frequency", 1, O_FREQUENCY}, {NULL, 0, 0}};
    Rci__V1__ListIndicatorsRequest req = RCI__V1__LIST_INDICATORS_REQUEST__INIT;
    int i = 1;
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, opts, &id, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_POSITIONAL)
            return rcictl_usage_error("indicators", "unexpected argument \"%s\"", value);
        if (id == RCICTL_OPT_HELP) {
            indicators_help(stdout);
            return RCICTL_EXIT_OK;
        }
        if (id == O_DOMAIN) {
            if (!*value)
                return rcictl_usage_error("indicators", "--domain needs a domain code");
            req.domain = (char *)value;
        } else if (id == O_FREQUENCY) {
            const enum_name *f = frequencies;
            while (f->name && strcmp(f->name, value) != 0)
                f++;
            if (!f->name)
                return rcictl_usage_error("indicators", "--frequency is daily, monthly, "
                                          "quarterly, half_yearly or yearly, not \"%s\"", value);
            req.frequency = (Rci__V1__Frequency)f->value;
        }
    }
    ProtobufCMessage *m;
    int rc = rcictl_unary(ctx, LIST_INDICATORS_PATH, &req.base,
                           &rci__v1__list_indicators_response__descriptor, &m);
    if (!m)
        return rc;
    const Rci__V1__ListIndicatorsResponse *resp = (const Rci__V1__ListIndicatorsResponse *)m;
    if (ctx->format == RCICTL_FORMAT_JSON) {
        indicators_json(resp);
    } else if (indicators_table(ctx, resp) < 0) {
        fputs("rcictl: out of memory\n", stderr);
        rc = RCICTL_EXIT_RPC;
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* ---- agencies ----------------------------------------------------------------------- */

/* The domains joined with sep; malloc'd (NULL when out of memory). */
static char *join_domains(const Rci__V1__Agency *a, const char *sep)
{
    size_t len = 1;
    for (size_t i = 0; i < a->n_domains; i++)
        len += strlen(a->domains[i]) + strlen(sep);
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    *p = '\0';
    for (size_t i = 0; i < a->n_domains; i++)
        p += sprintf(p, "%s%s", i ? sep : "", a->domains[i]);
    return s;
}

static void agencies_json(const Rci__V1__ListAgenciesResponse *resp)
{
    fputs("[", stdout);
    for (size_t i = 0; i < resp->n_agencies; i++) {
        const Rci__V1__Agency *a = resp->agencies[i];
        fputs(i ? ",\n  {\"code\": " : "\n  {\"code\": ", stdout);
        rcictl_json_string(stdout, a->code);
        rcictl_json_str(stdout, "city_code", a->city_code);
        rcictl_json_str(stdout, "name_zh", a->name_zh);
        rcictl_json_str(stdout, "name_en", a->name_en);
        rcictl_json_key(stdout, "domains");
        fputc('[', stdout);
        for (size_t k = 0; k < a->n_domains; k++) {
            fputs(k ? ", " : "", stdout);
            rcictl_json_string(stdout, a->domains[k]);
        }
        fputs("]}", stdout);
    }
    fputs(resp->n_agencies ? "\n]\n" : "]\n", stdout);
}

static int agencies_table(const rcictl *ctx, const Rci__V1__ListAgenciesResponse *resp)
{
    static const char *const headers[] = {"CODE", "CITY", "NAME_ZH", "NAME_EN", "DOMAINS"};
    static const char *const keys[] = {"code", "city_code", "name_zh", "name_en", "domains"};
    int csv = ctx->format == RCICTL_FORMAT_CSV;
    rcictl_table *t = rcictl_table_new(5, headers, keys);
    if (!t)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < resp->n_agencies && rc == 0; i++) {
        const Rci__V1__Agency *a = resp->agencies[i];
        char *domains = join_domains(a, csv ? ";" : ",");
        if (!domains) {
            rc = -1;
            break;
        }
        const char *row[] = {a->code, a->city_code, a->name_zh, a->name_en, domains};
        rc = rcictl_table_add(t, row);
        free(domains);
    }
    if (rc == 0)
        rcictl_table_print(t, ctx->format, stdout);
    rcictl_table_free(t);
    return rc;
}

int rcictl_cmd_agencies(rcictl *ctx, int argc, char **argv)
{
    enum { O_CITY = 1, O_DOMAIN };
    static const rcictl_option opts[] = {
        {"city", 1, O_CITY}, {"domain", 1, O_DOMAIN}, {NULL, 0, 0}};
    Rci__V1__ListAgenciesRequest req = RCI__V1__LIST_AGENCIES_REQUEST__INIT;
    int i = 1;
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, opts, &id, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_POSITIONAL)
            return rcictl_usage_error("agencies", "unexpected argument \"%s\"", value);
        if (id == RCICTL_OPT_HELP) {
            agencies_help(stdout);
            return RCICTL_EXIT_OK;
        }
        if (!*value)
            return rcictl_usage_error("agencies", "--%s needs a code",
                                      id == O_CITY ? "city" : "domain");
        if (id == O_CITY)
            req.city_code = (char *)value;
        else
            req.domain = (char *)value;
    }
    ProtobufCMessage *m;
    int rc = rcictl_unary(ctx, LIST_AGENCIES_PATH, &req.base,
                           &rci__v1__list_agencies_response__descriptor, &m);
    if (!m)
        return rc;
    const Rci__V1__ListAgenciesResponse *resp = (const Rci__V1__ListAgenciesResponse *)m;
    if (ctx->format == RCICTL_FORMAT_JSON) {
        agencies_json(resp);
    } else if (agencies_table(ctx, resp) < 0) {
        fputs("rcictl: out of memory\n", stderr);
        rc = RCICTL_EXIT_RPC;
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}
