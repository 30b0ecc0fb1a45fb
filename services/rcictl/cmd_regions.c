/* cmd_regions.c: `rcictl regions` — rci.v1.RegistryService/ListRegions:
 * the province, the cooperation circles, the cities and districts.
 */
#include <stdlib.h>
#include <string.h>

#include "rci/v1/registry.pb-c.h"
#include "rcictl/rcictl.h"

#define LIST_REGIONS_PATH "/rci.v1.RegistryService/ListRegions"

static void help(FILE *out)
{
    fputs("Usage: rcictl regions [--kind KIND] [--circle CODE] [GLOBAL FLAGS]\n"
          "\n"
          "List the regions of the registry, ordered by kind (province, circles,\n"
          "cities, districts) and code.\n"
          "\n"
          "  --kind KIND    only regions of this kind: province, circle, city, district\n"
          "  --circle CODE  only the members of this circle (e.g. szdghz for 深莞惠)\n"
          "\n"
          "Output: table with CODE, KIND, NAME_ZH, NAME_EN and MEMBERS/CIRCLES (the\n"
          "member cities of a circle, the circles of a city); json: an array of\n"
          "{\"code\", \"kind\", \"name_zh\", \"name_en\", \"parent_code\", \"member_codes\",\n"
          "\"circle_codes\"}; csv: the same columns, codes joined with ';'.\n"
          "\n"
          "Exit status: 0 on success; 1 on an error status (e.g. an unknown circle is\n"
          "NOT_FOUND); 3 if it cannot connect; 2 on a usage error; 130 if interrupted.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

static const struct {
    const char *name;
    Rci__V1__RegionKind kind;
} kinds[] = {
    {"province", RCI__V1__REGION_KIND__REGION_KIND_PROVINCE},
    {"circle", RCI__V1__REGION_KIND__REGION_KIND_CIRCLE},
    {"city", RCI__V1__REGION_KIND__REGION_KIND_CITY},
    {"district", RCI__V1__REGION_KIND__REGION_KIND_DISTRICT},
};

static const char *kind_name(Rci__V1__RegionKind k, char buf[16])
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].kind == k)
            return kinds[i].name;
    snprintf(buf, 16, "%d", (int)k);          /* a kind newer than this rcictl */
    return buf;
}

/* Codes joined with sep; malloc'd. */
static char *join(char **codes, size_t n, const char *sep)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(codes[i]) + strlen(sep);
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    *p = '\0';
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? sep : "", codes[i]);
    return s;
}

static void json_codes(FILE *out, char **codes, size_t n)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", out);
        rcictl_json_string(out, codes[i]);
    }
    fputc(']', out);
}

static void print_json(const Rci__V1__ListRegionsResponse *resp)
{
    fputs("[", stdout);
    for (size_t i = 0; i < resp->n_regions; i++) {
        const Rci__V1__Region *r = resp->regions[i];
        char kb[16];
        fputs(i ? ",\n  {\"code\": " : "\n  {\"code\": ", stdout);
        rcictl_json_string(stdout, r->code);
        fputs(", \"kind\": ", stdout);
        rcictl_json_string(stdout, kind_name(r->kind, kb));
        fputs(", \"name_zh\": ", stdout);
        rcictl_json_string(stdout, r->name_zh);
        fputs(", \"name_en\": ", stdout);
        rcictl_json_string(stdout, r->name_en);
        fputs(", \"parent_code\": ", stdout);
        rcictl_json_string(stdout, r->parent_code);
        fputs(", \"member_codes\": ", stdout);
        json_codes(stdout, r->member_codes, r->n_member_codes);
        fputs(", \"circle_codes\": ", stdout);
        json_codes(stdout, r->circle_codes, r->n_circle_codes);
        fputc('}', stdout);
    }
    fputs(resp->n_regions ? "\n]\n" : "]\n", stdout);
}

static int print_table(const rcictl *ctx, const Rci__V1__ListRegionsResponse *resp)
{
    static const char *const headers[] = {"CODE", "KIND", "NAME_ZH", "NAME_EN",
                                          "MEMBERS/CIRCLES"};
    static const char *const keys[] = {"code", "kind", "name_zh", "name_en",
                                       "parent_code", "member_codes", "circle_codes"};
    int csv = ctx->format == RCICTL_FORMAT_CSV;
    rcictl_table *t = rcictl_table_new(csv ? 7 : 5, csv ? keys : headers, keys);
    if (!t)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < resp->n_regions && rc == 0; i++) {
        const Rci__V1__Region *r = resp->regions[i];
        char kb[16];
        const char *sep = csv ? ";" : ",";
        char *members = join(r->member_codes, r->n_member_codes, sep);
        char *circles = join(r->circle_codes, r->n_circle_codes, sep);
        if (!members || !circles) {
            rc = -1;
        } else if (csv) {
            const char *row[] = {r->code, kind_name(r->kind, kb), r->name_zh, r->name_en,
                                 r->parent_code, members, circles};
            rc = rcictl_table_add(t, row);
        } else {
            const char *row[] = {r->code, kind_name(r->kind, kb), r->name_zh, r->name_en,
                                 r->n_member_codes ? members : circles};
            rc = rcictl_table_add(t, row);
        }
        free(members);
        free(circles);
    }
    if (rc == 0)
        rcictl_table_print(t, ctx->format, stdout);
    rcictl_table_free(t);
    return rc;
}

int rcictl_cmd_regions(rcictl *ctx, int argc, char **argv)
{
    enum { O_KIND = 1, O_CIRCLE };
    static const rcictl_option opts[] = {
        {"kind", 1, O_KIND}, {"circle", 1, O_CIRCLE}, {NULL, 0, 0}};
    Rci__V1__ListRegionsRequest req = RCI__V1__LIST_REGIONS_REQUEST__INIT;
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
            return rcictl_usage_error("regions", "unexpected argument \"%s\"", value);
        if (id == RCICTL_OPT_HELP) {
            help(stdout);
            return RCICTL_EXIT_OK;
        }
        if (id == O_KIND) {
            size_t k = 0;
            while (k < sizeof kinds / sizeof kinds[0] && strcmp(kinds[k].name, value) != 0)
                k++;
            if (k == sizeof kinds / sizeof kinds[0])
                return rcictl_usage_error(
                    "regions", "--kind is province, circle, city or district, not \"%s\"", value);
            req.kind = kinds[k].kind;
        } else if (id == O_CIRCLE) {
            if (!*value)
                return rcictl_usage_error("regions", "--circle needs a circle code");
            req.circle = (char *)value;
        }
    }
    int rc;
    rci_client *c = rcictl_connect(ctx, &rc);
    if (!c)
        return rc;
    ProtobufCMessage *m;
    rci_client_status st = RCI_CLIENT_STATUS_INIT;
    if (rci_client_unary(c, LIST_REGIONS_PATH, &req.base,
                         &rci__v1__list_regions_response__descriptor, &m, &st,
                         ctx->timeout_ms) != RCI_OK) {
        rc = rcictl_fail(&st);
        rci_client_status_clear(&st);
        return rc;
    }
    rci_client_status_clear(&st);
    const Rci__V1__ListRegionsResponse *resp = (const Rci__V1__ListRegionsResponse *)m;
    rc = RCICTL_EXIT_OK;
    if (ctx->format == RCICTL_FORMAT_JSON) {
        print_json(resp);
    } else if (print_table(ctx, resp) < 0) {
        fputs("rcictl: out of memory\n", stderr);
        rc = RCICTL_EXIT_RPC;
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}
