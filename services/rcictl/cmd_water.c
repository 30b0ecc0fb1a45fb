/* cmd_water.c: `rcictl water …` — rci.v1.WaterService: the river sections,
 * pushing monthly samples from a CSV file, a section's year, and the joint
 * comparisons of two cities' samples.
 *
 *   water sections [--city CODE]
 *   water push FILE.csv [--dry-run] [--request-id ID] [--reason TEXT]
 *   water status --section S --year YYYY
 *   water joint [--section S] [--city CODE] [--from YYYY-MM] [--to YYYY-MM]
 *               [--discrepancies]
 *
 * A push file has one row per parameter (section, date, parameter, value,
 * unit, note), read like `rcictl push`'s files (client/csv.h: UTF-8 with or
 * without a BOM, or GB18030); rows of the same section and date form one
 * sample. Sections may be written as codes or Chinese names (one
 * ListSections call resolves them), parameters as GB 3838 codes or Chinese
 * names (the server knows both). The request id is derived from the file's
 * bytes, so pushing the same file again replays instead of writing twice.
 * Failures come back per sample and field and are shown with the line of
 * the file they belong to.
 */
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/csv.h"
#include "google/rpc/error_details.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "rci/v1/water.pb-c.h"
#include "rcictl/rcictl.h"

#define SVC "/rci.v1.WaterService/"
#define BATCH_SAMPLES 5000            /* the server's limit per call */
#define FILE_MAX ((size_t)256 << 20)
#define RESPONSE_MAX ((size_t)64 << 20)

static void help(FILE *out)
{
    fputs("Usage: rcictl water COMMAND [ARGS] [GLOBAL FLAGS]\n"
          "\n"
          "Cross-boundary river sections and their monthly samples (GB 3838-2002).\n"
          "\n"
          "  sections [--city CODE]       the sections (of one city): river, cities,\n"
          "                               target class (* = demo configuration), monitor\n"
          "  push FILE.csv [--dry-run] [--request-id ID] [--reason TEXT]\n"
          "                               push samples; one row per parameter with the\n"
          "                               columns section, date, parameter, value, unit,\n"
          "                               note (断面, 采样日期, 项目, 数值, 单位, 备注);\n"
          "                               rows of one section and date are one sample.\n"
          "                               --dry-run checks and grades, writes nothing\n"
          "  status --section S --year YYYY\n"
          "                               the class of each month (from the monitor's\n"
          "                               sample), the joint sample, compliance rate\n"
          "  joint [--section S] [--city CODE] [--from YYYY-MM] [--to YYYY-MM]\n"
          "        [--discrepancies]      the two cities' samples compared, parameter by\n"
          "                               parameter (default: this year so far)\n"
          "\n"
          "Sections are codes (smh-qp) or Chinese names (企坪).\n"
          "\n"
          "Exit status: 0 on success; 1 on an error status or when a push has bad rows\n"
          "(each listed on stderr with its line); 2 on a usage error; 3 if it cannot\n"
          "connect; 130 if interrupted.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

/* ---- small helpers ----------------------------------------------------------- */

static void oom(void)
{
    fputs("rcictl: out of memory\n", stderr);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

static int call(rcictl *ctx, const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *type, ProtobufCMessage **resp,
                rci_client_status *st, int *rc)
{
    char path[96];
    rci_client *c = rcictl_connect(ctx, rc);
    if (!c)
        return -1;
    snprintf(path, sizeof path, SVC "%s", method);
    if (rci_client_unary(c, path, req, type, resp, st, ctx->timeout_ms) != RCI_OK)
        return 1;
    return 0;
}

/* One unary call; on failure prints it and returns the exit status. */
static int simple_call(rcictl *ctx, const char *method, const ProtobufCMessage *req,
                       const ProtobufCMessageDescriptor *type, ProtobufCMessage **resp)
{
    rci_client_status st = RCI_CLIENT_STATUS_INIT;
    int rc = RCICTL_EXIT_OK;
    int r = call(ctx, method, req, type, resp, &st, &rc);
    if (r > 0)
        rc = rcictl_fail(&st);
    rci_client_status_clear(&st);
    return r == 0 ? RCICTL_EXIT_OK : rc;
}

static Rci__V1__ListSectionsResponse *list_sections(rcictl *ctx, const char *city, int *rc)
{
    Rci__V1__ListSectionsRequest req = RCI__V1__LIST_SECTIONS_REQUEST__INIT;
    ProtobufCMessage *m = NULL;
    req.city = (char *)(city ? city : "");
    *rc = simple_call(ctx, "ListSections", &req.base, &rci__v1__list_sections_response__descriptor,
                      &m);
    return *rc == RCICTL_EXIT_OK ? (Rci__V1__ListSectionsResponse *)m : NULL;
}

/* The code for a section written as code or Chinese name, or NULL. */
static const char *section_code(const Rci__V1__ListSectionsResponse *ls, const char *text)
{
    for (size_t i = 0; i < ls->n_sections; i++)
        if (strcmp(ls->sections[i]->code, text) == 0 ||
            strcmp(ls->sections[i]->name_zh, text) == 0)
            return ls->sections[i]->code;
    return NULL;
}

/* A section argument as a code: codes pass as they are; a name is looked
 * up. Returns the exit status; *out is text or a string in *ls. */
static int resolve_section(rcictl *ctx, const char *text, const char **out,
                           Rci__V1__ListSectionsResponse **ls)
{
    int ascii = 1;
    for (const char *p = text; *p; p++)
        ascii = ascii && (unsigned char)*p < 0x80;
    *out = text;
    if (ascii)
        return RCICTL_EXIT_OK;
    int rc;
    *ls = list_sections(ctx, NULL, &rc);
    if (!*ls)
        return rc;
    *out = section_code(*ls, text);
    if (!*out) {
        fprintf(stderr, "rcictl: no section named \"%s\" (see rcictl water sections)\n", text);
        return RCICTL_EXIT_USAGE;
    }
    return RCICTL_EXIT_OK;
}

/* ---- water sections ------------------------------------------------------------- */

static int cmd_sections(rcictl *ctx, int argc, char **argv)
{
    enum { O_CITY = 1 };
    static const rcictl_option opts[] = {{"city", 1, O_CITY}, {NULL, 0, 0}};
    const char *city = "";
    int i = 1;
    for (;;) {
        int id, r;
        const char *value;
        r = rcictl_next_arg(ctx, argc, argv, &i, opts, &id, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_POSITIONAL)
            return rcictl_usage_error("water sections", "unexpected argument \"%s\"", value);
        if (id == RCICTL_OPT_HELP) {
            help(stdout);
            return RCICTL_EXIT_OK;
        }
        city = value;
    }
    int rc;
    Rci__V1__ListSectionsResponse *ls = list_sections(ctx, city, &rc);
    if (!ls)
        return rc;
    static const char *const headers[] = {"CODE", "NAME_ZH", "RIVER", "BASIN", "CITIES",
                                          "TARGET", "MONITOR", "LAT", "LON"};
    static const char *const keys[] = {"code", "name_zh", "river", "basin", "cities",
                                       "target_class", "monitor_agency", "latitude", "longitude"};
    rcictl_table *t = rcictl_table_new(9, headers, keys);
    rc = t ? RCICTL_EXIT_OK : RCICTL_EXIT_RPC;
    for (size_t k = 0; t && k < ls->n_sections && rc == RCICTL_EXIT_OK; k++) {
        const Rci__V1__Section *s = ls->sections[k];
        char cities[64], target[16], lat[32], lon[32];
        if (s->upstream_city[0])
            snprintf(cities, sizeof cities, "%s→%s", s->upstream_city, s->downstream_city);
        else if (s->n_border_cities == 2)
            snprintf(cities, sizeof cities, "%s≈%s", s->border_cities[0], s->border_cities[1]);
        else
            cities[0] = '\0';
        snprintf(target, sizeof target, "%s%s", s->target_class, s->target_is_demo ? "*" : "");
        snprintf(lat, sizeof lat, "%.2f", s->latitude);
        snprintf(lon, sizeof lon, "%.2f", s->longitude);
        const char *row[] = {s->code, s->name_zh, s->river, s->basin, cities, target,
                             s->monitor_agency, lat, lon};
        if (rcictl_table_add(t, row) < 0)
            rc = RCICTL_EXIT_RPC;
    }
    if (rc == RCICTL_EXIT_OK) {
        rcictl_table_print(t, ctx->format, stdout);
        if (ctx->format == RCICTL_FORMAT_TABLE)
            puts("(* target class is demo configuration: check before relying on it)");
    } else {
        oom();
    }
    rcictl_table_free(t);
    protobuf_c_message_free_unpacked(&ls->base, NULL);
    return rc;
}

/* ---- water status ------------------------------------------------------------------ */

static int cmd_status(rcictl *ctx, int argc, char **argv)
{
    enum { O_SECTION = 1, O_YEAR };
    static const rcictl_option opts[] = {
        {"section", 1, O_SECTION}, {"year", 1, O_YEAR}, {NULL, 0, 0}};
    const char *section = NULL;
    long year = 0;
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
            return rcictl_usage_error("water status", "unexpected argument \"%s\"", value);
        if (id == RCICTL_OPT_HELP) {
            help(stdout);
            return RCICTL_EXIT_OK;
        }
        if (id == O_SECTION) {
            section = value;
        } else {
            char *end;
            year = strtol(value, &end, 10);
            if (*end || year < 1900 || year > 2999)
                return rcictl_usage_error("water status", "--year is a year such as 2024");
        }
    }
    if (!section || !*section || !year)
        return rcictl_usage_error("water status", "--section and --year are required");
    Rci__V1__ListSectionsResponse *ls = NULL;
    const char *code;
    int rc = resolve_section(ctx, section, &code, &ls);
    if (rc != RCICTL_EXIT_OK)
        return rc;
    Rci__V1__GetSectionStatusRequest req = RCI__V1__GET_SECTION_STATUS_REQUEST__INIT;
    req.section = (char *)code;
    req.year = (int32_t)year;
    ProtobufCMessage *m = NULL;
    rc = simple_call(ctx, "GetSectionStatus", &req.base,
                     &rci__v1__get_section_status_response__descriptor, &m);
    if (ls)
        protobuf_c_message_free_unpacked(&ls->base, NULL);
    if (rc != RCICTL_EXIT_OK)
        return rc;
    const Rci__V1__GetSectionStatusResponse *resp = (const void *)m;
    static const char *const headers[] = {"MONTH", "CLASS", "TARGET", "MEETS", "DECIDING",
                                          "SAMPLED_BY", "JOINT", "DISCREPANCY"};
    static const char *const keys[] = {"month", "water_class", "target_class", "meets_target",
                                       "deciding", "official_agency", "joint_class",
                                       "discrepancy"};
    rcictl_table *t = rcictl_table_new(8, headers, keys);
    rc = t ? RCICTL_EXIT_OK : RCICTL_EXIT_RPC;
    const char *target = resp->section ? resp->section->target_class : "";
    for (size_t k = 0; t && k < resp->n_months && rc == RCICTL_EXIT_OK; k++) {
        const Rci__V1__MonthStatus *ms = resp->months[k];
        char deciding[256] = "", joint[64] = "";
        size_t used = 0;
        for (size_t d = 0; ms->official && d < ms->official->n_deciding && used < sizeof deciding;
             d++)
            used += (size_t)snprintf(deciding + used, sizeof deciding - used, "%s%s",
                                     d ? "," : "", ms->official->deciding[d]);
        if (ms->joint)
            snprintf(joint, sizeof joint, "%s (%s)", ms->joint->water_class,
                     ms->joint->agency_code);
        const char *has = ms->water_class[0] ? "yes" : "";
        const char *row[] = {ms->month, ms->water_class, target,
                             ms->water_class[0] ? (ms->meets_target ? "yes" : "no") : "",
                             deciding, ms->official ? ms->official->agency_code : "", joint,
                             ms->official && ms->joint ? (ms->discrepancy ? "yes" : "no") : ""};
        (void)has;
        if (rcictl_table_add(t, row) < 0)
            rc = RCICTL_EXIT_RPC;
    }
    if (rc == RCICTL_EXIT_OK) {
        if (ctx->format == RCICTL_FORMAT_TABLE && resp->section)
            printf("%s %s (%s), %d — target %s%s, monitor %s\n\n", resp->section->code,
                   resp->section->name_zh, resp->section->river, resp->year, target,
                   resp->section->target_is_demo ? " (demo configuration)" : "",
                   resp->section->monitor_agency);
        rcictl_table_print(t, ctx->format, stdout);
        if (ctx->format == RCICTL_FORMAT_TABLE) {
            if (resp->compliance_rate[0])
                printf("\ncompliance: %d of %d months assessed met the target = %s %%\n",
                       resp->months_met, resp->months_assessed, resp->compliance_rate);
            else
                puts("\ncompliance: no month assessed");
        }
    } else {
        oom();
    }
    rcictl_table_free(t);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* ---- water joint ---------------------------------------------------------------------- */

static int cmd_joint(rcictl *ctx, int argc, char **argv)
{
    enum { O_SECTION = 1, O_CITY, O_FROM, O_TO, O_DISC };
    static const rcictl_option opts[] = {{"section", 1, O_SECTION}, {"city", 1, O_CITY},
                                         {"from", 1, O_FROM},       {"to", 1, O_TO},
                                         {"discrepancies", 0, O_DISC}, {NULL, 0, 0}};
    Rci__V1__GetJointComparisonsRequest req = RCI__V1__GET_JOINT_COMPARISONS_REQUEST__INIT;
    const char *section = "";
    char from[24], to[24];
    time_t now = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(from, sizeof from, "%04d-01", (tm.tm_year + 1900) % 10000);
    snprintf(to, sizeof to, "%04d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100);
    req.month_from = from;
    req.month_to = to;
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
            return rcictl_usage_error("water joint", "unexpected argument \"%s\"", value);
        if (id == RCICTL_OPT_HELP) {
            help(stdout);
            return RCICTL_EXIT_OK;
        }
        if (id == O_SECTION)
            section = value;
        else if (id == O_CITY)
            req.city = (char *)value;
        else if (id == O_FROM)
            req.month_from = (char *)value;
        else if (id == O_TO)
            req.month_to = (char *)value;
        else
            req.discrepancies_only = 1;
    }
    Rci__V1__ListSectionsResponse *ls = NULL;
    const char *code = "";
    int rc = *section ? resolve_section(ctx, section, &code, &ls) : RCICTL_EXIT_OK;
    if (rc != RCICTL_EXIT_OK)
        return rc;
    req.section = (char *)code;
    ProtobufCMessage *m = NULL;
    rc = simple_call(ctx, "GetJointComparisons", &req.base,
                     &rci__v1__get_joint_comparisons_response__descriptor, &m);
    if (ls)
        protobuf_c_message_free_unpacked(&ls->base, NULL);
    if (rc != RCICTL_EXIT_OK)
        return rc;
    const Rci__V1__GetJointComparisonsResponse *resp = (const void *)m;
    static const char *const headers[] = {"SECTION", "MONTH", "CITY_A", "CITY_B", "PARAMETER",
                                          "A", "B", "DIFFERENCE", "TOLERANCE", "WITHIN"};
    static const char *const keys[] = {"section", "month", "city_a", "city_b", "parameter",
                                       "value_a", "value_b", "difference", "tolerance", "within"};
    rcictl_table *t = rcictl_table_new(10, headers, keys);
    rc = t ? RCICTL_EXIT_OK : RCICTL_EXIT_RPC;
    for (size_t k = 0; t && k < resp->n_comparisons && rc == RCICTL_EXIT_OK; k++) {
        const Rci__V1__JointComparison *jc = resp->comparisons[k];
        for (size_t p = 0; p < jc->n_params && rc == RCICTL_EXIT_OK; p++) {
            const Rci__V1__ParamComparison *pc = jc->params[p];
            char d[48], tol[48];
            snprintf(d, sizeof d, "%s%s", pc->difference, pc->relative ? " %" : "");
            snprintf(tol, sizeof tol, "%s%s", pc->tolerance, pc->relative ? " %" : "");
            const int plain = ctx->format != RCICTL_FORMAT_TABLE;
            const char *row[] = {jc->section, jc->month, jc->city_a, jc->city_b, pc->parameter,
                                 pc->value_a, pc->value_b, plain ? pc->difference : d,
                                 plain ? pc->tolerance : tol, pc->within ? "yes" : "NO"};
            if (rcictl_table_add(t, row) < 0)
                rc = RCICTL_EXIT_RPC;
        }
    }
    if (rc == RCICTL_EXIT_OK) {
        rcictl_table_print(t, ctx->format, stdout);
        if (ctx->format == RCICTL_FORMAT_TABLE) {
            size_t disc = 0;
            for (size_t k = 0; k < resp->n_comparisons; k++)
                disc += resp->comparisons[k]->discrepancy != 0;
            printf("\n%zu comparison(s), %zu beyond tolerance\n", resp->n_comparisons, disc);
        }
    } else {
        oom();
    }
    rcictl_table_free(t);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* ---- water push ------------------------------------------------------------------------ */

enum { C_SECTION, C_DATE, C_PARAM, C_VALUE, C_UNIT, C_NOTE, NCOLS };

static const struct {
    int col;
    const char *name;
} col_names[] = {
    {C_SECTION, "section"},   {C_SECTION, "section_code"}, {C_SECTION, "断面"},
    {C_SECTION, "断面名称"},  {C_SECTION, "断面代码"},     {C_DATE, "date"},
    {C_DATE, "sampled_on"},   {C_DATE, "采样日期"},         {C_DATE, "日期"},
    {C_DATE, "监测日期"},     {C_PARAM, "parameter"},      {C_PARAM, "item"},
    {C_PARAM, "项目"},        {C_PARAM, "监测项目"},       {C_PARAM, "参数"},
    {C_PARAM, "指标"},        {C_VALUE, "value"},          {C_VALUE, "数值"},
    {C_VALUE, "值"},          {C_VALUE, "监测值"},         {C_VALUE, "浓度"},
    {C_UNIT, "unit"},         {C_UNIT, "单位"},            {C_NOTE, "note"},
    {C_NOTE, "notes"},        {C_NOTE, "remark"},          {C_NOTE, "备注"},
    {C_NOTE, "说明"},
};

static int header_column(const char *raw)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", raw);
    char *s = trim(buf);
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    for (size_t i = 0; i < sizeof col_names / sizeof col_names[0]; i++)
        if (strcmp(col_names[i].name, s) == 0)
            return col_names[i].col;
    return -1;
}

/* One sample being built: its rows' lines, for mapping failures back. */
typedef struct wsample {
    char *section, *date, *note;       /* into the CSV */
    size_t line;                       /* of its first row */
    size_t n, cap;
    size_t *lines;                     /* of each parameter row */
    Rci__V1__WaterParam **params;
} wsample;

typedef struct wjob {
    rcictl *ctx;
    const char *file;
    int dry_run;
    const char *request_id, *reason;
    unsigned char *data;
    size_t len;
    rci_csv *csv;
    int cols[NCOLS];
    wsample *samples;
    size_t n, cap;
    Rci__V1__WaterParam *params;       /* one per data row */
    size_t problems;
    Rci__V1__ListSectionsResponse *ls;
    char id_base[80];
} wjob;

static void problem(wjob *job, size_t line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem(wjob *job, size_t line, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s line %zu%s%s: ", job->file, line, field ? " " : "", field ? field : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    job->problems++;
}

static int read_file(wjob *job)
{
    FILE *f = strcmp(job->file, "-") == 0 ? stdin : fopen(job->file, "rb");
    if (!f) {
        fprintf(stderr, "rcictl: %s: %s\n", job->file, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16;
    job->data = malloc(cap);
    int rc = job->data ? 0 : -1;
    while (rc == 0) {
        if (job->len == cap) {
            unsigned char *b = cap < FILE_MAX ? realloc(job->data, cap * 2) : NULL;
            if (!b) {
                fprintf(stderr, "rcictl: %s: too large or out of memory\n", job->file);
                rc = -1;
                break;
            }
            job->data = b;
            cap *= 2;
        }
        size_t got = fread(job->data + job->len, 1, cap - job->len, f);
        job->len += got;
        if (got == 0) {
            if (ferror(f)) {
                fprintf(stderr, "rcictl: %s: %s\n", job->file, strerror(errno ? errno : EIO));
                rc = -1;
            }
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    return rc;
}

/* Request ids from the file's bytes: the same file pushed twice replays. */
static void make_id_base(wjob *job)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    if (mc && EVP_DigestInit_ex(mc, EVP_sha256(), NULL) &&
        EVP_DigestUpdate(mc, "rci water push\n", 15) &&
        EVP_DigestUpdate(mc, job->data, job->len) &&
        EVP_DigestUpdate(mc, job->reason, strlen(job->reason) + 1) &&
        EVP_DigestFinal_ex(mc, md, &mdlen)) {
        size_t u = (size_t)snprintf(job->id_base, sizeof job->id_base, "water-");
        for (unsigned int i = 0; i < 16 && i < mdlen; i++)
            u += (size_t)snprintf(job->id_base + u, sizeof job->id_base - u, "%02x", md[i]);
    } else {
        snprintf(job->id_base, sizeof job->id_base, "water-%lld", (long long)time(NULL));
    }
    EVP_MD_CTX_free(mc);
}

static int parse_file(wjob *job)
{
    char why[256];
    if (rci_csv_parse(job->data, job->len, NULL, &job->csv, why, sizeof why) != 0) {
        fprintf(stderr, "rcictl: %s: %s\n", job->file, why);
        return -1;
    }
    if (job->csv->nrows == 0) {
        fprintf(stderr, "rcictl: %s: empty file\n", job->file);
        return -1;
    }
    for (int c = 0; c < NCOLS; c++)
        job->cols[c] = -1;
    const rci_csv_row *h = &job->csv->rows[0];
    for (size_t f = 0; f < h->nfields; f++) {
        int c = header_column(h->fields[f]);
        if (c < 0)
            continue;
        if (job->cols[c] >= 0) {
            fprintf(stderr, "rcictl: %s line %zu: two columns mean \"%s\"\n", job->file, h->line,
                    h->fields[f]);
            return -1;
        }
        job->cols[c] = (int)f;
    }
    static const char *const need[] = {"section", "date", "parameter", "value", "unit"};
    for (int c = 0; c < C_NOTE; c++)
        if (job->cols[c] < 0) {
            fprintf(stderr, "rcictl: %s line %zu: no \"%s\" column (the header needs section, "
                            "date, parameter, value, unit and optionally note)\n",
                    job->file, h->line, need[c]);
            return -1;
        }
    return 0;
}

static int needs_lookup(const wjob *job)
{
    for (size_t r = 1; r < job->csv->nrows; r++) {
        const rci_csv_row *row = &job->csv->rows[r];
        if (row->error || (size_t)job->cols[C_SECTION] >= row->nfields)
            continue;
        for (const char *p = row->fields[job->cols[C_SECTION]]; *p; p++)
            if ((unsigned char)*p >= 0x80)
                return 1;
    }
    return 0;
}

/* Rows into samples grouped by (section, date), in the order they appear. */
static int build_samples(wjob *job)
{
    size_t nrows = job->csv->nrows;
    job->params = calloc(nrows, sizeof *job->params);
    if (!job->params)
        return -1;
    for (size_t r = 1; r < nrows; r++) {
        rci_csv_row *row = &job->csv->rows[r];
        if (row->error) {
            problem(job, row->line, NULL, "%s", row->error);
            continue;
        }
        if (rci_csv_row_blank(row))
            continue;
        char *f[NCOLS];
        for (int c = 0; c < NCOLS; c++)
            f[c] = job->cols[c] >= 0 && (size_t)job->cols[c] < row->nfields
                       ? trim(row->fields[job->cols[c]]) : (char *)"";
        static const char *const names[] = {"section", "date", "parameter", "value"};
        int bad = 0;
        for (int c = 0; c < C_UNIT; c++)
            if (!*f[c]) {
                problem(job, row->line, names[c], "empty");
                bad = 1;
            }
        if (bad)
            continue;
        const char *code = f[C_SECTION];
        if (job->ls) {
            code = section_code(job->ls, f[C_SECTION]);
            if (!code) {
                problem(job, row->line, "section", "no section \"%s\" (see rcictl water sections)",
                        f[C_SECTION]);
                continue;
            }
        }
        size_t k = 0;
        while (k < job->n && !(strcmp(job->samples[k].section, code) == 0 &&
                               strcmp(job->samples[k].date, f[C_DATE]) == 0))
            k++;
        if (k == job->n) {
            if (job->n == job->cap) {
                size_t cap = job->cap ? job->cap * 2 : 16;
                wsample *s = realloc(job->samples, cap * sizeof *s);
                if (!s)
                    return -1;
                job->samples = s;
                job->cap = cap;
            }
            wsample *s = &job->samples[job->n++];
            memset(s, 0, sizeof *s);
            s->section = (char *)code;
            s->date = f[C_DATE];
            s->note = (char *)"";
            s->line = row->line;
        }
        wsample *s = &job->samples[k];
        if (*f[C_NOTE]) {
            if (*s->note && strcmp(s->note, f[C_NOTE]) != 0) {
                problem(job, row->line, "note", "differs from the note of the same sample "
                                                "(line %zu): one note per sample", s->line);
                continue;
            }
            s->note = f[C_NOTE];
        }
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 8;
            size_t *l = realloc(s->lines, cap * sizeof *l);
            if (!l)
                return -1;
            s->lines = l;
            Rci__V1__WaterParam **p = realloc(s->params, cap * sizeof *p);
            if (!p)
                return -1;
            s->params = p;
            s->cap = cap;
        }
        Rci__V1__WaterParam *wp = &job->params[r];
        rci__v1__water_param__init(wp);
        wp->parameter = f[C_PARAM];
        wp->value = f[C_VALUE];
        wp->unit = f[C_UNIT];
        s->lines[s->n] = row->line;
        s->params[s->n++] = wp;
    }
    return 0;
}

/* The line a violation of sample `row`, field `field` belongs to. */
static size_t violation_line(const wjob *job, size_t first, int row, const char *field)
{
    if (row < 0 || first + (size_t)row >= job->n)
        return 0;
    const wsample *s = &job->samples[first + (size_t)row];
    unsigned long j;
    if (sscanf(field, "params[%lu]", &j) == 1 && j < s->n)
        return s->lines[j];
    return s->line;
}

static void report_violation(wjob *job, size_t first, int row, const char *field,
                             const char *desc)
{
    size_t line = violation_line(job, first, row, field);
    const char *short_field = strchr(field, '.') ? strrchr(field, '.') + 1 : field;
    if (line)
        problem(job, line, short_field, "%s", desc);
    else {
        fprintf(stderr, "%s: %s: %s\n", job->file, field, desc);
        job->problems++;
    }
}

/* BadRequest details of a refused call, reported per line. */
static int report_details(wjob *job, size_t first, const rci_client_status *st)
{
    int added = 0;
    Google__Rpc__Status *gs =
        st->details ? google__rpc__status__unpack(NULL, st->details_len, st->details) : NULL;
    for (size_t i = 0; gs && i < gs->n_details; i++) {
        const Google__Protobuf__Any *any = gs->details[i];
        const char *t = any->type_url ? strrchr(any->type_url, '/') : NULL;
        if (!t || strcmp(t + 1, "google.rpc.BadRequest") != 0)
            continue;
        Google__Rpc__BadRequest *br =
            google__rpc__bad_request__unpack(NULL, any->value.len, any->value.data);
        for (size_t k = 0; br && k < br->n_field_violations; k++) {
            const char *path = br->field_violations[k]->field;
            int row = -1;
            const char *field = path;
            if (sscanf(path, "samples[%d]", &row) == 1) {
                const char *dot = strchr(path, ']');
                field = dot && dot[1] == '.' ? dot + 2 : path;
            }
            report_violation(job, first, row, field, br->field_violations[k]->description);
            added++;
        }
        if (br)
            google__rpc__bad_request__free_unpacked(br, NULL);
    }
    if (gs)
        google__rpc__status__free_unpacked(gs, NULL);
    return added;
}

static size_t print_assessments(wjob *job, size_t first, const Rci__V1__PushSamplesResponse *r,
                                rcictl_table *t)
{
    for (size_t k = 0; k < r->n_assessments; k++) {
        const Rci__V1__SampleAssessment *a = r->assessments[k];
        char line[24], over[256] = "";
        size_t used = 0;
        snprintf(line, sizeof line, "%zu", first + k < job->n ? job->samples[first + k].line : 0);
        for (size_t p = 0; p < a->n_params && used < sizeof over; p++) {
            const Rci__V1__ParamAssessment *pa = a->params[p];
            if (!pa->assessed || !pa->over_target)
                continue;
            used += (size_t)snprintf(over + used, sizeof over - used, "%s%s %s%s%s",
                                     used ? ", " : "", pa->parameter, pa->water_class,
                                     pa->exceedance_multiple[0] ? " ×" : "",
                                     pa->exceedance_multiple);
        }
        const char *row[] = {line, a->section, a->sampled_on, a->water_class, a->target_class,
                             a->meets_target ? "yes" : "no", over};
        rcictl_table_add(t, row);
    }
    return r->n_assessments;
}

static int push_run(wjob *job)
{
    if (read_file(job) != 0 || parse_file(job) != 0)
        return RCICTL_EXIT_USAGE;
    make_id_base(job);
    int rc;
    if (needs_lookup(job)) {
        job->ls = list_sections(job->ctx, NULL, &rc);
        if (!job->ls)
            return rc;
    }
    if (build_samples(job) != 0) {
        oom();
        return RCICTL_EXIT_RPC;
    }
    if (job->problems) {
        fprintf(stderr, "rcictl: %s: %zu problem(s); nothing sent\n", job->file, job->problems);
        return RCICTL_EXIT_RPC;
    }
    if (job->n == 0) {
        fprintf(stderr, "rcictl: %s: no samples\n", job->file);
        return RCICTL_EXIT_USAGE;
    }
    size_t nbatches = (job->n + BATCH_SAMPLES - 1) / BATCH_SAMPLES;
    static const char *const headers[] = {"LINE", "SECTION", "DATE", "CLASS", "TARGET", "MEETS",
                                          "OVER_TARGET"};
    static const char *const keys[] = {"line", "section", "sampled_on", "water_class",
                                       "target_class", "meets_target", "over_target"};
    rcictl_table *t = rcictl_table_new(7, headers, keys);
    if (!t) {
        oom();
        return RCICTL_EXIT_RPC;
    }
    int written = 0, unchanged = 0, alerts = 0, replayed = 0;
    size_t shown = 0;
    rc = RCICTL_EXIT_OK;
    /* A file of several batches is checked whole first, so bad rows
     * anywhere stop it before the first write. */
    int passes = job->dry_run ? 1 : (nbatches > 1 ? 2 : 1);
    for (int pass = 0; pass < passes && rc == RCICTL_EXIT_OK; pass++) {
        int validate = job->dry_run || (passes == 2 && pass == 0);
        for (size_t b = 0; b < nbatches && rc == RCICTL_EXIT_OK; b++) {
            size_t first = b * BATCH_SAMPLES;
            size_t cnt = job->n - first < BATCH_SAMPLES ? job->n - first : BATCH_SAMPLES;
            Rci__V1__SampleInput *in = calloc(cnt, sizeof *in);
            Rci__V1__SampleInput **inp = calloc(cnt, sizeof *inp);
            if (!in || !inp) {
                free(in);
                free(inp);
                oom();
                rc = RCICTL_EXIT_RPC;
                break;
            }
            for (size_t k = 0; k < cnt; k++) {
                const wsample *s = &job->samples[first + k];
                rci__v1__sample_input__init(&in[k]);
                in[k].section = s->section;
                in[k].sampled_on = s->date;
                in[k].note = s->note;
                in[k].n_params = s->n;
                in[k].params = s->params;
                inp[k] = &in[k];
            }
            char id[128];
            if (job->request_id)
                snprintf(id, sizeof id, "%s%s%zu", job->request_id, nbatches > 1 ? "-" : "",
                         nbatches > 1 ? b + 1 : 0);
            else
                snprintf(id, sizeof id, "%s-%zuof%zu", job->id_base, b + 1, nbatches);
            if (job->request_id && nbatches == 1)
                snprintf(id, sizeof id, "%s", job->request_id);
            Rci__V1__PushSamplesRequest req = RCI__V1__PUSH_SAMPLES_REQUEST__INIT;
            req.request_id = id;
            req.n_samples = cnt;
            req.samples = inp;
            req.validate_only = validate;
            req.reason = (char *)job->reason;
            ProtobufCMessage *m = NULL;
            rci_client_status st = RCI_CLIENT_STATUS_INIT;
            int r = call(job->ctx, "PushSamples", &req.base,
                         &rci__v1__push_samples_response__descriptor, &m, &st, &rc);
            if (r < 0) {
                /* rc set by rcictl_connect */
            } else if (r > 0) {
                if (report_details(job, first, &st) == 0)
                    rc = rcictl_fail(&st);
                else
                    rc = RCICTL_EXIT_RPC;
            } else {
                const Rci__V1__PushSamplesResponse *resp = (const void *)m;
                for (size_t v = 0; v < resp->n_violations; v++)
                    report_violation(job, first, resp->violations[v]->row,
                                     resp->violations[v]->field, resp->violations[v]->description);
                if (resp->n_violations)
                    rc = RCICTL_EXIT_RPC;
                if (!validate || job->dry_run)
                    shown += print_assessments(job, first, resp, t);
                written += resp->written;
                unchanged += resp->unchanged;
                alerts += resp->alerts_raised;
                replayed += resp->replayed;
                protobuf_c_message_free_unpacked(m, NULL);
            }
            rci_client_status_clear(&st);
            free(inp);
            free(in);
        }
    }
    if (rc == RCICTL_EXIT_OK) {
        /* A replay answers with counts only: no table of nothing. */
        if (shown || job->ctx->format != RCICTL_FORMAT_TABLE)
            rcictl_table_print(t, job->ctx->format, stdout);
        if (job->ctx->format == RCICTL_FORMAT_TABLE) {
            if (job->dry_run)
                printf("\ndry run: %zu sample(s) in %zu batch(es) are valid; nothing written\n",
                       job->n, nbatches);
            else
                printf("\n%s: %zu sample(s), %d written, %d unchanged, %d alert(s) raised%s\n",
                       job->file, job->n, written, unchanged, alerts,
                       replayed ? " (replayed: this file was pushed before)" : "");
        }
    } else if (job->problems) {
        fprintf(stderr, "rcictl: %s: %zu problem(s); nothing written\n", job->file,
                job->problems);
    }
    rcictl_table_free(t);
    return rc;
}

static int cmd_push(rcictl *ctx, int argc, char **argv)
{
    enum { O_DRY = 1, O_ID, O_REASON };
    static const rcictl_option opts[] = {{"dry-run", 0, O_DRY},
                                         {"request-id", 1, O_ID},
                                         {"reason", 1, O_REASON},
                                         {NULL, 0, 0}};
    wjob job = {0};
    job.ctx = ctx;
    job.reason = "";
    int i = 1;
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, opts, &id, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_POSITIONAL) {
            if (job.file)
                return rcictl_usage_error("water push", "one file at a time");
            job.file = value;
        } else if (id == RCICTL_OPT_HELP) {
            help(stdout);
            return RCICTL_EXIT_OK;
        } else if (id == O_DRY) {
            job.dry_run = 1;
        } else if (id == O_ID) {
            if (!*value || strlen(value) > 100)
                return rcictl_usage_error("water push", "--request-id: 1 to 100 characters");
            job.request_id = value;
        } else {
            job.reason = value;
        }
    }
    if (!job.file)
        return rcictl_usage_error("water push", "which file? rcictl water push FILE.csv");
    ctx->opt.max_message = RESPONSE_MAX;
    int rc = push_run(&job);
    for (size_t k = 0; k < job.n; k++) {
        free(job.samples[k].lines);
        free(job.samples[k].params);
    }
    free(job.samples);
    free(job.params);
    rci_csv_free(job.csv);
    free(job.data);
    if (job.ls)
        protobuf_c_message_free_unpacked(&job.ls->base, NULL);
    return rc;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

int rcictl_cmd_water(rcictl *ctx, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(rcictl *, int, char **);
    } subs[] = {
        {"sections", cmd_sections}, {"push", cmd_push}, {"status", cmd_status},
        {"joint", cmd_joint},
    };
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        help(argc < 2 ? stderr : stdout);
        return argc < 2 ? RCICTL_EXIT_USAGE : RCICTL_EXIT_OK;
    }
    for (size_t k = 0; k < sizeof subs / sizeof subs[0]; k++)
        if (strcmp(argv[1], subs[k].name) == 0)
            return subs[k].fn(ctx, argc - 1, argv + 1);
    return rcictl_usage_error("water", "unknown command \"%s\" (sections, push, status, joint)",
                              argv[1]);
}
