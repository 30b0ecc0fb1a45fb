/* cmd_values.c: reading indicator values — rci.v1.IndicatorService:
 *   query     QueryValues, latest or as of an instant, following its pages
 *   history   GetHistory: every revision of one cell, with who, when, why
 *
 * Any valid token reads (--token or RCI_TOKEN). Output is an aligned
 * table, CSV or JSON; instants are shown in China Standard Time (+08:00,
 * DESIGN §6).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rci/v1/indicators.pb-c.h"
#include "rcictl/rcictl.h"

#define QUERY_VALUES_PATH "/rci.v1.IndicatorService/QueryValues"
#define GET_HISTORY_PATH "/rci.v1.IndicatorService/GetHistory"
#define QUERY_PAGE_MAX 5000     /* rows asked for per page (the server allows 10,000) */
#define QUERY_FILTER_MAX 1000   /* codes in one filter list (the server's limit) */

static void query_help(FILE *out)
{
    fputs("Usage: rcictl query [--indicator CODE]... [--region CODE]... [--from PERIOD]\n"
          "                    [--to PERIOD] [--as-of TIME] [--limit N] [GLOBAL FLAGS]\n"
          "\n"
          "Read indicator values: the latest revision of each cell, or the values as\n"
          "they were known at an instant. Rows come ordered by indicator, region and\n"
          "period; rcictl follows the server's pages until the end or --limit.\n"
          "\n"
          "  --indicator CODE  only this indicator (repeat, or separate codes with\n"
          "                    commas); default: every indicator\n"
          "  --region CODE     only this city, or the member cities of a circle (e.g.\n"
          "                    441300, szdghz); repeat or use commas; default: all\n"
          "  --from PERIOD     periods ending on or after the start of PERIOD\n"
          "  --to PERIOD       periods ending on or before the end of PERIOD\n"
          "                    (PERIOD: 2024, 2024-H1, 2024-Q2, 2024-05, 2024-05-17)\n"
          "  --as-of TIME      the values as known at TIME: RFC 3339\n"
          "                    (2026-11-05T18:00:00+08:00) or a date (its start in China\n"
          "                    Standard Time); the answer for a past instant never\n"
          "                    changes. Default: the latest values\n"
          "  --limit N         at most N rows (default: all)\n"
          "\n"
          "Output: table with INDICATOR, REGION, PERIOD, VALUE, REV, AGENCY, RECORDED\n"
          "and NOTE; csv and json have indicator, region, period, value, note,\n"
          "revision, agency_code, recorded_at (json: revision a number). Values are\n"
          "decimal text as stored; times in +08:00.\n"
          "\n"
          "Exit status: 0 on success; 1 on an error status (a bad period or an as-of\n"
          "in the future is INVALID_ARGUMENT, no token UNAUTHENTICATED); 3 if it\n"
          "cannot connect; 2 on a usage error; 130 if interrupted.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

static void history_help(FILE *out)
{
    fputs("Usage: rcictl history INDICATOR REGION PERIOD [GLOBAL FLAGS]\n"
          "\n"
          "Every revision of one cell, oldest first: the value, who pushed it (agency\n"
          "and token id), when, with which request id and why. Nothing is ever\n"
          "overwritten, so this is the cell's whole story.\n"
          "\n"
          "  e.g. rcictl history air.good_days_rate 441300 2026-10\n"
          "\n"
          "Output: table with REV, VALUE, RECORDED, AGENCY, TOKEN, REQUEST_ID, REASON\n"
          "and NOTE; csv and json have revision, value, note, agency_code, token_id,\n"
          "request_id, reason, recorded_at (json: revision and token_id numbers).\n"
          "\n"
          "Exit status: 0 on success; 1 on an error status (a cell never pushed is\n"
          "NOT_FOUND); 3 if it cannot connect; 2 on a usage error; 130 if\n"
          "interrupted.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

/* ---- query -------------------------------------------------------------------------- */

/* A growing list of codes (pointers into argv, which outlives the call). */
typedef struct code_list {
    char **v;
    size_t n, cap;
} code_list;

/* Add the comma-separated codes of arg (modified in place). Returns 0, or
 * -1 with a usage error printed. */
static int code_list_add(code_list *l, char *arg, const char *what)
{
    for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        tok += strspn(tok, " \t");
        size_t len = strlen(tok);
        while (len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
            tok[--len] = '\0';
        if (!*tok)
            continue;
        if (l->n == QUERY_FILTER_MAX) {
            rcictl_usage_error("query", "at most %d codes in --%s", QUERY_FILTER_MAX, what);
            return -1;
        }
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 8;
            char **v = realloc(l->v, cap * sizeof *v);
            if (!v) {
                fputs("rcictl: out of memory\n", stderr);
                return -1;
            }
            l->v = v;
            l->cap = cap;
        }
        l->v[l->n++] = tok;
    }
    return 0;
}

/* Rows collected over the pages: the responses are kept (the rows point
 * into them) and printed at the end, so a table's columns line up. */
typedef struct query_pages {
    Rci__V1__QueryValuesResponse **pages;
    size_t n, cap;
} query_pages;

static void query_pages_free(query_pages *q)
{
    for (size_t i = 0; i < q->n; i++)
        protobuf_c_message_free_unpacked(&q->pages[i]->base, NULL);
    free(q->pages);
}

static void query_json(const query_pages *q, long limit)
{
    long shown = 0;
    fputs("[", stdout);
    for (size_t p = 0; p < q->n; p++)
        for (size_t i = 0; i < q->pages[p]->n_values && shown < limit; i++, shown++) {
            const Rci__V1__Value *v = q->pages[p]->values[i];
            char at[48];
            fputs(shown ? ",\n  {\"indicator\": " : "\n  {\"indicator\": ", stdout);
            rcictl_json_string(stdout, v->indicator);
            rcictl_json_str(stdout, "region", v->region);
            rcictl_json_str(stdout, "period", v->period);
            rcictl_json_str(stdout, "value", v->value);
            rcictl_json_str(stdout, "note", v->note);
            rcictl_json_key(stdout, "revision");
            printf("%d", (int)v->revision);
            rcictl_json_str(stdout, "agency_code", v->agency_code);
            rcictl_json_str(stdout, "recorded_at", rcictl_cst(v->recorded_at, 1, at));
            fputc('}', stdout);
        }
    fputs(shown ? "\n]\n" : "]\n", stdout);
}

static int query_table(const rcictl *ctx, const query_pages *q, long limit)
{
    static const char *const headers[] = {"INDICATOR", "REGION", "PERIOD", "VALUE",
                                          "REV", "AGENCY", "RECORDED", "NOTE"};
    static const char *const keys[] = {"indicator", "region", "period", "value",
                                       "revision", "agency_code", "recorded_at", "note"};
    static const char *const csv_keys[] = {"indicator", "region", "period", "value",
                                           "note", "revision", "agency_code", "recorded_at"};
    int csv = ctx->format == RCICTL_FORMAT_CSV;
    rcictl_table *t = rcictl_table_new(8, headers, csv ? csv_keys : keys);
    if (!t)
        return -1;
    int rc = 0;
    long shown = 0;
    for (size_t p = 0; p < q->n && rc == 0; p++)
        for (size_t i = 0; i < q->pages[p]->n_values && shown < limit && rc == 0; i++, shown++) {
            const Rci__V1__Value *v = q->pages[p]->values[i];
            char rev[16], at[48];
            snprintf(rev, sizeof rev, "%d", (int)v->revision);
            rcictl_cst(v->recorded_at, 1, at);
            if (csv) {
                const char *row[] = {v->indicator, v->region, v->period, v->value,
                                     v->note, rev, v->agency_code, at};
                rc = rcictl_table_add(t, row);
            } else {
                const char *row[] = {v->indicator, v->region, v->period, v->value,
                                     rev, v->agency_code, at, v->note};
                rc = rcictl_table_add(t, row);
            }
        }
    if (rc == 0)
        rcictl_table_print(t, ctx->format, stdout);
    rcictl_table_free(t);
    return rc;
}

int rcictl_cmd_query(rcictl *ctx, int argc, char **argv)
{
    enum { O_INDICATOR = 1, O_REGION, O_FROM, O_TO, O_AS_OF, O_LIMIT };
    static const rcictl_option opts[] = {
        {"indicator", 1, O_INDICATOR}, {"region", 1, O_REGION}, {"from", 1, O_FROM},
        {"to", 1, O_TO}, {"as-of", 1, O_AS_OF}, {"limit", 1, O_LIMIT}, {NULL, 0, 0}};
    Rci__V1__QueryValuesRequest req = RCI__V1__QUERY_VALUES_REQUEST__INIT;
    Google__Protobuf__Timestamp as_of;
    code_list inds = {0}, regs = {0};
    long limit = -1;
    int rc = RCICTL_EXIT_OK;
    int i = 1;
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, opts, &id, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR) {
            rc = RCICTL_EXIT_USAGE;
            goto out;
        }
        if (r == RCICTL_ARG_POSITIONAL) {
            rc = rcictl_usage_error("query", "unexpected argument \"%s\"", value);
            goto out;
        }
        char *end;
        switch (id) {
        case RCICTL_OPT_HELP:
            query_help(stdout);
            goto out;
        case O_INDICATOR:
        case O_REGION:
            /* The value is argv text (or after "=" in it): ours to split. */
            if (code_list_add(id == O_INDICATOR ? &inds : &regs, (char *)value,
                              id == O_INDICATOR ? "indicator" : "region") < 0) {
                rc = RCICTL_EXIT_USAGE;
                goto out;
            }
            break;
        case O_FROM:
            req.period_from = (char *)value;
            break;
        case O_TO:
            req.period_to = (char *)value;
            break;
        case O_AS_OF:
            if (rcictl_parse_time(value, &as_of) < 0) {
                rc = rcictl_usage_error("query", "--as-of \"%s\": want an RFC 3339 time such as "
                                        "2026-11-05T18:00:00+08:00, or a date such as "
                                        "2026-11-05", value);
                goto out;
            }
            req.as_of = &as_of;
            break;
        case O_LIMIT:
            errno = 0;
            limit = strtol(value, &end, 10);
            if (errno || end == value || *end || limit < 1 || limit > 100000000) {
                rc = rcictl_usage_error("query", "--limit wants a number from 1 to 100000000, "
                                        "not \"%s\"", value);
                goto out;
            }
            break;
        }
    }
    req.indicators = inds.v;
    req.n_indicators = inds.n;
    req.regions = regs.v;
    req.n_regions = regs.n;
    if (limit < 0)
        limit = 100000000;

    query_pages q = {0};
    char *token = NULL;
    for (long left = limit; left > 0;) {
        if (q.n == q.cap) {
            size_t cap = q.cap ? q.cap * 2 : 8;
            Rci__V1__QueryValuesResponse **pages = realloc(q.pages, cap * sizeof *pages);
            if (!pages) {
                fputs("rcictl: out of memory\n", stderr);
                rc = RCICTL_EXIT_RPC;
                break;
            }
            q.pages = pages;
            q.cap = cap;
        }
        req.page_size = (int32_t)(left < QUERY_PAGE_MAX ? left : QUERY_PAGE_MAX);
        req.page_token = token ? token : (char *)"";
        ProtobufCMessage *m;
        rc = rcictl_unary(ctx, QUERY_VALUES_PATH, &req.base,
                         &rci__v1__query_values_response__descriptor, &m);
        if (!m)
            break;
        Rci__V1__QueryValuesResponse *resp = (Rci__V1__QueryValuesResponse *)m;
        q.pages[q.n++] = resp;
        left -= (long)resp->n_values;
        free(token);
        token = *resp->next_page_token ? strdup(resp->next_page_token) : NULL;
        if (!token || resp->n_values == 0)
            break;
    }
    free(token);
    if (rc == RCICTL_EXIT_OK) {
        if (ctx->format == RCICTL_FORMAT_JSON) {
            query_json(&q, limit);
        } else if (query_table(ctx, &q, limit) < 0) {
            fputs("rcictl: out of memory\n", stderr);
            rc = RCICTL_EXIT_RPC;
        }
    }
    query_pages_free(&q);
out:
    free(inds.v);
    free(regs.v);
    return rc;
}

/* ---- history ------------------------------------------------------------------------ */

static void history_json(const Rci__V1__GetHistoryResponse *resp)
{
    fputs("[", stdout);
    for (size_t i = 0; i < resp->n_revisions; i++) {
        const Rci__V1__Revision *r = resp->revisions[i];
        char at[48];
        fputs(i ? ",\n  {\"revision\": " : "\n  {\"revision\": ", stdout);
        printf("%d", (int)r->revision);
        rcictl_json_str(stdout, "value", r->value);
        rcictl_json_str(stdout, "note", r->note);
        rcictl_json_str(stdout, "agency_code", r->agency_code);
        rcictl_json_key(stdout, "token_id");
        printf("%lld", (long long)r->token_id);
        rcictl_json_str(stdout, "request_id", r->request_id);
        rcictl_json_str(stdout, "reason", r->reason);
        rcictl_json_str(stdout, "recorded_at", rcictl_cst(r->recorded_at, 1, at));
        fputc('}', stdout);
    }
    fputs(resp->n_revisions ? "\n]\n" : "]\n", stdout);
}

static int history_table(const rcictl *ctx, const Rci__V1__GetHistoryResponse *resp)
{
    static const char *const headers[] = {"REV", "VALUE", "RECORDED", "AGENCY",
                                          "TOKEN", "REQUEST_ID", "REASON", "NOTE"};
    static const char *const keys[] = {"revision", "value", "recorded_at", "agency_code",
                                       "token_id", "request_id", "reason", "note"};
    static const char *const csv_keys[] = {"revision", "value", "note", "agency_code",
                                           "token_id", "request_id", "reason", "recorded_at"};
    int csv = ctx->format == RCICTL_FORMAT_CSV, text = ctx->format == RCICTL_FORMAT_TABLE;
    rcictl_table *t = rcictl_table_new(8, headers, csv ? csv_keys : keys);
    if (!t)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < resp->n_revisions && rc == 0; i++) {
        const Rci__V1__Revision *r = resp->revisions[i];
        char rev[16], tok[24], at[48];
        snprintf(rev, sizeof rev, "%d", (int)r->revision);
        snprintf(tok, sizeof tok, "%lld", (long long)r->token_id);
        rcictl_cst(r->recorded_at, 1, at);
        const char *token = r->token_id ? tok : (text ? "-" : "");
        if (csv) {
            const char *row[] = {rev, r->value, r->note, r->agency_code, token,
                                 r->request_id, r->reason, at};
            rc = rcictl_table_add(t, row);
        } else {
            const char *row[] = {rev, r->value, at, r->agency_code, token,
                                 text && !*r->request_id ? "-" : r->request_id,
                                 text && !*r->reason ? "-" : r->reason, r->note};
            rc = rcictl_table_add(t, row);
        }
    }
    if (rc == 0)
        rcictl_table_print(t, ctx->format, stdout);
    rcictl_table_free(t);
    return rc;
}

int rcictl_cmd_history(rcictl *ctx, int argc, char **argv)
{
    const char *args[3];
    int nargs = 0;
    int i = 1;
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, NULL, &id, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_OPTION) {          /* only --help reaches here */
            history_help(stdout);
            return RCICTL_EXIT_OK;
        }
        if (nargs == 3)
            return rcictl_usage_error("history", "unexpected argument \"%s\"", value);
        args[nargs++] = value;
    }
    if (nargs < 3)
        return rcictl_usage_error("history", "history takes INDICATOR REGION PERIOD, e.g. "
                                  "air.good_days_rate 441300 2026-10");
    Rci__V1__GetHistoryRequest req = RCI__V1__GET_HISTORY_REQUEST__INIT;
    req.indicator = (char *)args[0];
    req.region = (char *)args[1];
    req.period = (char *)args[2];
    ProtobufCMessage *m;
    int rc = rcictl_unary(ctx, GET_HISTORY_PATH, &req.base,
                         &rci__v1__get_history_response__descriptor, &m);
    if (!m)
        return rc;
    const Rci__V1__GetHistoryResponse *resp = (const Rci__V1__GetHistoryResponse *)m;
    if (ctx->format == RCICTL_FORMAT_JSON) {
        history_json(resp);
    } else if (history_table(ctx, resp) < 0) {
        fputs("rcictl: out of memory\n", stderr);
        rc = RCICTL_EXIT_RPC;
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}
