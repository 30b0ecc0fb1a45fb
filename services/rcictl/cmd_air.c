/* cmd_air.c: `rcictl air …` — rci.v1.AirService:
 *   air push FILE.csv   daily city concentrations from a CSV file (as Excel
 *                       saves it: UTF-8, UTF-8 with BOM, GB18030) into
 *                       PushAirDays, in batches; --dry-run checks only
 *   air calendar        a city's days of a month with AQI, level, primary
 *   air stats           a city's month or year: statistics, good days,
 *                       composite index
 *   air rank            the cities of a circle or of the province by
 *                       composite index, with the method line
 *
 * The push path: read the file, decode it (client/csv.h), map the header
 * (English or Chinese names, units in brackets ignored), turn each row into
 * an AirDayInput (city by code or name through one ListRegions; units fixed
 * by column: µg/m³, CO mg/m³; an empty cell is not measured), split into
 * batches of at most AIR_BATCH_DAYS days with request ids derived from the
 * file's SHA-256 (pushing the same file again replays), check every batch
 * with validate_only when there are several (so a bad row anywhere stops the
 * file before the first write), then push. Violations are printed with the
 * file's line and column.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/csv.h"
#include "google/rpc/error_details.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "rci/v1/air.pb-c.h"
#include "rci/v1/registry.pb-c.h"
#include "rcictl/rcictl.h"

#define PUSH_PATH "/rci.v1.AirService/PushAirDays"
#define CALENDAR_PATH "/rci.v1.AirService/GetAirCalendar"
#define STATS_PATH "/rci.v1.AirService/GetAirStats"
#define RANK_PATH "/rci.v1.AirService/RankAir"
#define LIST_REGIONS_PATH "/rci.v1.RegistryService/ListRegions"

#define AIR_BATCH_DAYS 5000          /* the server takes 10,000 per call */
#define FILE_MAX ((size_t)256 << 20)
#define RESPONSE_MAX ((size_t)64 << 20)
#define REQUEST_ID_BASE_MAX 100

/* ---- help ------------------------------------------------------------------------- */

static void help(FILE *out)
{
    fputs("Usage: rcictl air push FILE.csv [--dry-run] [--reason TEXT] [--request-id ID]\n"
          "                                [--encoding auto|utf-8|gb18030]\n"
          "       rcictl air calendar --city CITY --month YYYY-MM\n"
          "       rcictl air stats --city CITY (--month YYYY-MM | --year YYYY)\n"
          "       rcictl air rank (--circle CODE | --province [CODE]) (--month YYYY-MM |\n"
          "                       --year YYYY)\n"
          "\n"
          "Daily air quality of the cities (HJ 633-2012 before 2026-03-01, HJ 633-2026\n"
          "from then on).\n"
          "\n"
          "push: one row per city and day. Columns (English or Chinese headers; a unit\n"
          "in brackets after the name is ignored):\n"
          "  city (城市)    GB/T 2260 code or name: 441300, 惠州市, 惠州, Huizhou\n"
          "  date (日期)    YYYY-MM-DD (also YYYY/M/D), China Standard Time\n"
          "  so2, no2, pm10, pm25 (PM2.5), o3_1h, o3_8h   µg/m³: 24-hour means, O3 the\n"
          "                 day's max 1-hour and max 8-hour means (二氧化硫, 二氧化氮,\n"
          "                 可吸入颗粒物, 细颗粒物, 臭氧1小时, 臭氧8小时)\n"
          "  co (一氧化碳)  mg/m³, 24-hour mean\n"
          "  note (备注)    optional\n"
          "An empty cell is a pollutant not measured that day. Only the pushing\n"
          "agency's own city is accepted, with an environment token. The month\n"
          "figures (air.good_days_rate, air.pm25_mean) are republished by the server.\n"
          "  --dry-run        check every row, write nothing\n"
          "  --reason TEXT    why days already reported change\n"
          "  --request-id ID  base of the request ids (default: from the file's SHA-256,\n"
          "                   so pushing the same file again is a replay)\n"
          "\n"
          "calendar: DATE, AQI, LEVEL, CATEGORY, PRIMARY, the concentrations, EDITION, REV.\n"
          "stats: the period's figures as FIELD/VALUE rows.\n"
          "rank: RANK (0: not ranked, too few valid days), CITY, NAME, INDEX, VALID,\n"
          "NEEDED, GOOD_RATE, PM25; the method of the composite index is printed first.\n"
          "  --circle CODE    a circle: szdghz, gfz, zzj\n"
          "  --province       every city of the province (440000)\n"
          "\n"
          "Exit status: 0 on success; 1 on an error status or rows refused; 2 on a\n"
          "usage error; 3 if it cannot connect; 130 if interrupted.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

/* ---- small helpers ---------------------------------------------------------------- */

static void oom(void)
{
    fputs("rcictl: out of memory\n", stderr);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (strncmp(s, "\xE3\x80\x80", 3) == 0)
        s += 3;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n >= 3 && memcmp(s + n - 3, "\xE3\x80\x80", 3) == 0)
        n -= 3;
    s[n] = '\0';
    return s;
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int call_unary(rcictl *ctx, const char *path, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *type, ProtobufCMessage **resp,
                      rci_client_status *st)
{
    int rc;
    rci_client *c = rcictl_connect(ctx, &rc);
    if (!c)
        return rc;
    if (rci_client_unary(c, path, req, type, resp, st, ctx->timeout_ms) != RCI_OK)
        return rcictl_fail(st);
    return RCICTL_EXIT_OK;
}

/* ---- the file's columns ------------------------------------------------------------ */

enum { C_CITY, C_DATE, C_SO2, C_NO2, C_PM10, C_CO, C_O3_1H, C_O3_8H, C_PM25, C_NOTE, C_N };

static const char *const pollutant_of[C_N] = {
    [C_SO2] = "so2_24h", [C_NO2] = "no2_24h", [C_PM10] = "pm10_24h", [C_CO] = "co_24h",
    [C_O3_1H] = "o3_1h_max", [C_O3_8H] = "o3_8h_max", [C_PM25] = "pm25_24h",
};

static const char *const column_name[C_N] = {
    "city", "date", "so2", "no2", "pm10", "co", "o3_1h", "o3_8h", "pm25", "note",
};

/* Header names, compared after folding (see fold_header). */
static const struct {
    const char *name;
    int col;
} header_names[] = {
    {"city", C_CITY}, {"citycode", C_CITY}, {"region", C_CITY}, {"城市", C_CITY},
    {"城市代码", C_CITY}, {"地区", C_CITY}, {"date", C_DATE}, {"day", C_DATE},
    {"日期", C_DATE}, {"so2", C_SO2}, {"so224h", C_SO2}, {"二氧化硫", C_SO2},
    {"no2", C_NO2}, {"no224h", C_NO2}, {"二氧化氮", C_NO2}, {"pm10", C_PM10},
    {"pm1024h", C_PM10}, {"可吸入颗粒物", C_PM10}, {"co", C_CO}, {"co24h", C_CO},
    {"一氧化碳", C_CO}, {"o31h", C_O3_1H}, {"o31hmax", C_O3_1H}, {"臭氧1小时", C_O3_1H},
    {"o38h", C_O3_8H}, {"o38hmax", C_O3_8H}, {"臭氧8小时", C_O3_8H}, {"pm25", C_PM25},
    {"pm2524h", C_PM25}, {"细颗粒物", C_PM25}, {"note", C_NOTE}, {"notes", C_NOTE},
    {"remark", C_NOTE}, {"备注", C_NOTE}, {"说明", C_NOTE},
};

/* A header name folded: a unit in brackets dropped ("PM2.5(µg/m³)", "SO2（微克）"),
 * ASCII lower case, spaces and . _ - removed: "PM2.5" → "pm25", "O3_8h" →
 * "o38h", "O3-1h max" → "o31hmax". */
static void fold_header(const char *in, char *out, size_t outlen)
{
    size_t n = 0;
    for (const char *p = in; *p && n + 1 < outlen; p++) {
        if (*p == '(' || strncmp(p, "\xEF\xBC\x88", 3) == 0) /* ( or （ */
            break;
        char c = *p;
        if (c == ' ' || c == '\t' || c == '.' || c == '_' || c == '-')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[n++] = c;
    }
    out[n] = '\0';
}

static int map_header(const rci_csv_row *h, int cols[C_N])
{
    for (int c = 0; c < C_N; c++)
        cols[c] = -1;
    for (size_t f = 0; f < h->nfields; f++) {
        char key[128];
        fold_header(trim(h->fields[f]), key, sizeof key);
        for (size_t k = 0; k < sizeof header_names / sizeof header_names[0]; k++) {
            if (strcmp(key, header_names[k].name) != 0)
                continue;
            int c = header_names[k].col;
            if (cols[c] >= 0) {
                fprintf(stderr, "rcictl: line %zu: two columns mean %s (fields %d and %zu)\n",
                        h->line, column_name[c], cols[c] + 1, f + 1);
                return -1;
            }
            cols[c] = (int)f;
        }
    }
    int any = 0;
    for (int c = C_SO2; c <= C_PM25; c++)
        any |= cols[c] >= 0;
    if (cols[C_CITY] < 0 || cols[C_DATE] < 0 || !any) {
        fprintf(stderr, "rcictl: line %zu: the header needs city (城市), date (日期) and at least "
                        "one pollutant column (so2, no2, pm10, co, o3_1h, o3_8h, pm25)\n",
                h->line);
        return -1;
    }
    return 0;
}

/* ---- the rows -------------------------------------------------------------------- */

typedef struct air_line {
    size_t line;
    int value_col[C_N];          /* the file column of each AirConcentration */
} air_line;

typedef struct air_job {
    rcictl *ctx;
    const char *path;
    int dry_run;
    const char *reason, *request_id;
    rci_csv_encoding encoding;
    unsigned char *data;
    size_t len;
    rci_csv *csv;
    int cols[C_N];
    Rci__V1__ListRegionsResponse *regions;
    size_t ndays;
    Rci__V1__AirDayInput *days;
    Rci__V1__AirDayInput **dayp;
    Rci__V1__AirConcentration *conc;  /* 7 per day */
    Rci__V1__AirConcentration **concp;
    char (*dates)[16];
    air_line *lines;
    char base_id[REQUEST_ID_BASE_MAX + 1];
    size_t problems;
} air_job;

static void job_free(air_job *job)
{
    free(job->data);
    rci_csv_free(job->csv);
    if (job->regions)
        protobuf_c_message_free_unpacked(&job->regions->base, NULL);
    free(job->days);
    free(job->dayp);
    free(job->conc);
    free(job->concp);
    free(job->dates);
    free(job->lines);
}

static int read_file(air_job *job)
{
    FILE *f = fopen(job->path, "rb");
    if (!f) {
        fprintf(stderr, "rcictl: %s: %s\n", job->path, strerror(errno));
        return RCICTL_EXIT_USAGE;
    }
    size_t cap = 1 << 16;
    job->data = malloc(cap);
    for (;;) {
        if (!job->data) {
            fclose(f);
            oom();
            return RCICTL_EXIT_RPC;
        }
        size_t n = fread(job->data + job->len, 1, cap - job->len, f);
        job->len += n;
        if (n == 0)
            break;
        if (job->len == cap) {
            if (cap >= FILE_MAX) {
                fclose(f);
                fprintf(stderr, "rcictl: %s: larger than %zu MiB\n", job->path, FILE_MAX >> 20);
                return RCICTL_EXIT_USAGE;
            }
            unsigned char *d = realloc(job->data, cap * 2);
            if (!d)
                free(job->data);
            job->data = d;
            cap *= 2;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        fprintf(stderr, "rcictl: %s: read error\n", job->path);
        return RCICTL_EXIT_USAGE;
    }
    return RCICTL_EXIT_OK;
}

static void problem(air_job *job, size_t line, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A problem found in the file itself, before anything is sent. */
static void problem(air_job *job, size_t line, const char *column, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fprintf(stderr, "rcictl: %s: line %zu%s%s: ", job->path, line, column ? ", column " : "",
            column ? column : "");
    rcictl_put_safe(stderr, text, 0);
    fputc('\n', stderr);
    job->problems++;
}

/* The code for a city given by code or name; NULL (and a problem) if none. */
static const char *city_code(air_job *job, size_t line, const char *text)
{
    if (all_digits(text))
        return text;
    if (!job->regions) {
        Rci__V1__ListRegionsRequest req = RCI__V1__LIST_REGIONS_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        rci_client_status st = RCI_CLIENT_STATUS_INIT;
        int rc = call_unary(job->ctx, LIST_REGIONS_PATH, &req.base,
                            &rci__v1__list_regions_response__descriptor, &m, &st);
        rci_client_status_clear(&st);
        if (rc != RCICTL_EXIT_OK)
            return NULL;
        job->regions = (Rci__V1__ListRegionsResponse *)m;
    }
    for (size_t i = 0; i < job->regions->n_regions; i++) {
        const Rci__V1__Region *r = job->regions->regions[i];
        size_t zh = strlen(r->name_zh), tl = strlen(text);
        if (r->kind != RCI__V1__REGION_KIND__REGION_KIND_CITY)
            continue;
        if (strcmp(text, r->name_zh) == 0 || strcasecmp(text, r->name_en) == 0 ||
            (zh > 3 && tl == zh - 3 && strcmp(r->name_zh + zh - 3, "市") == 0 &&
             strncmp(text, r->name_zh, tl) == 0))
            return r->code;
    }
    problem(job, line, "city", "no city \"%s\" (give a GB/T 2260 code such as 441300, or a "
                               "name such as 惠州市)", text);
    return NULL;
}

/* "2024-05-17", "2024/5/17" or "2024-5-7" as YYYY-MM-DD; other text is
 * passed on for the server to refuse with its reason. */
static void normal_date(const char *in, char out[16])
{
    int y, m, d;
    char sep1, sep2, extra;
    if (sscanf(in, "%4d%c%2d%c%2d%c", &y, &sep1, &m, &sep2, &d, &extra) == 5 &&
        sep1 == sep2 && (sep1 == '-' || sep1 == '/') && y > 999 && y <= 9999 && m > 0 &&
        m <= 99 && d > 0 && d <= 99)
        snprintf(out, 16, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
    else
        snprintf(out, 16, "%.15s", in);
}

static int build_days(air_job *job)
{
    const rci_csv *csv = job->csv;
    size_t n = csv->nrows ? csv->nrows - 1 : 0;
    job->days = calloc(n + 1, sizeof *job->days);
    job->dayp = calloc(n + 1, sizeof *job->dayp);
    job->conc = calloc((n + 1) * 7, sizeof *job->conc);
    job->concp = calloc((n + 1) * 7, sizeof *job->concp);
    job->dates = calloc(n + 1, sizeof *job->dates);
    job->lines = calloc(n + 1, sizeof *job->lines);
    if (!job->days || !job->dayp || !job->conc || !job->concp || !job->dates || !job->lines) {
        oom();
        return RCICTL_EXIT_RPC;
    }
    for (size_t r = 1; r < csv->nrows; r++) {
        const rci_csv_row *row = &csv->rows[r];
        if (rci_csv_row_blank(row))
            continue;
        if (row->error) {
            problem(job, row->line, NULL, "%s", row->error);
            continue;
        }
        size_t k = job->ndays;
        Rci__V1__AirDayInput *d = &job->days[k];
        rci__v1__air_day_input__init(d);
        char *city = trim(row->fields[job->cols[C_CITY]]);
        char *date = trim(row->fields[job->cols[C_DATE]]);
        if (!*city) {
            problem(job, row->line, "city", "%s", "empty");
            continue;
        }
        if (!*date) {
            problem(job, row->line, "date", "%s", "empty");
            continue;
        }
        const char *code = city_code(job, row->line, city);
        if (!code) {
            if (!job->regions)
                return RCICTL_EXIT_RPC; /* the lookup failed: already said */
            continue;
        }
        d->city = (char *)code;
        normal_date(date, job->dates[k]);
        d->date = job->dates[k];
        if (job->cols[C_NOTE] >= 0)
            d->note = trim(row->fields[job->cols[C_NOTE]]);
        d->values = &job->concp[k * 7];
        job->lines[k].line = row->line;
        for (int c = C_SO2; c <= C_PM25; c++) {
            if (job->cols[c] < 0)
                continue;
            char *v = trim(row->fields[job->cols[c]]);
            if (!*v)
                continue; /* not measured */
            Rci__V1__AirConcentration *x = &job->conc[k * 7 + d->n_values];
            rci__v1__air_concentration__init(x);
            x->pollutant = (char *)pollutant_of[c];
            x->value = v;
            x->unit = c == C_CO ? "mg/m³" : "µg/m³";
            job->lines[k].value_col[d->n_values] = c;
            d->values[d->n_values++] = x;
        }
        job->dayp[k] = d;
        job->ndays++;
    }
    return RCICTL_EXIT_OK;
}

/* ---- calls --------------------------------------------------------------------------- */

/* Print one server violation against the file: "line 12, column pm25: …". */
static void print_violation(air_job *job, size_t first, int row, const char *field,
                            const char *description)
{
    if (row < 0 || first + (size_t)row >= job->ndays) {
        fprintf(stderr, "rcictl: %s: %s: %s\n", job->path, field, description);
        job->problems++;
        return;
    }
    const air_line *l = &job->lines[first + (size_t)row];
    const char *column = field;
    int j;
    if (sscanf(field, "values[%d]", &j) == 1 && j >= 0 && j < 7)
        column = column_name[l->value_col[j]];
    else if (strcmp(field, "values") == 0)
        column = "so2..pm25";
    fprintf(stderr, "rcictl: %s: line %zu, column %s: ", job->path, l->line, column);
    rcictl_put_safe(stderr, description, 0);
    fputc('\n', stderr);
    job->problems++;
}

/* The BadRequest of a refused batch, printed against the file. */
static void print_details(air_job *job, size_t first, const rci_client_status *st)
{
    if (!st->details)
        return;
    Google__Rpc__Status *gs = google__rpc__status__unpack(NULL, st->details_len, st->details);
    if (!gs)
        return;
    for (size_t i = 0; i < gs->n_details; i++) {
        const Google__Protobuf__Any *any = gs->details[i];
        const char *t = any->type_url ? strrchr(any->type_url, '/') : NULL;
        if (!t || strcmp(t + 1, "google.rpc.BadRequest") != 0)
            continue;
        Google__Rpc__BadRequest *br =
            google__rpc__bad_request__unpack(NULL, any->value.len, any->value.data);
        if (!br)
            continue;
        for (size_t k = 0; k < br->n_field_violations; k++) {
            const char *path = br->field_violations[k]->field;
            int row = -1;
            const char *field = path;
            if (sscanf(path, "days[%d]", &row) == 1) {
                const char *dot = strchr(path, '.');
                field = dot ? dot + 1 : path;
            }
            print_violation(job, first, row, field, br->field_violations[k]->description);
        }
        google__rpc__bad_request__free_unpacked(br, NULL);
    }
    google__rpc__status__free_unpacked(gs, NULL);
}

/* One batch: days [first, first + n). */
static int push_batch(air_job *job, size_t first, size_t n, const char *request_id,
                      int validate_only, Rci__V1__PushAirDaysResponse **out)
{
    Rci__V1__PushAirDaysRequest req = RCI__V1__PUSH_AIR_DAYS_REQUEST__INIT;
    req.request_id = (char *)request_id;
    req.days = &job->dayp[first];
    req.n_days = n;
    req.validate_only = validate_only;
    req.reason = (char *)(job->reason ? job->reason : "");
    ProtobufCMessage *m = NULL;
    rci_client_status st = RCI_CLIENT_STATUS_INIT;
    int rc;
    rci_client *c = rcictl_connect(job->ctx, &rc);
    if (!c)
        return rc;
    if (rci_client_unary(c, PUSH_PATH, &req.base, &rci__v1__push_air_days_response__descriptor,
                         &m, &st, job->ctx->timeout_ms) != RCI_OK) {
        print_details(job, first, &st);
        rc = rcictl_fail(&st);
        rci_client_status_clear(&st);
        return rc;
    }
    rci_client_status_clear(&st);
    *out = (Rci__V1__PushAirDaysResponse *)m;
    for (size_t i = 0; i < (*out)->n_violations; i++)
        print_violation(job, first, (*out)->violations[i]->row, (*out)->violations[i]->field,
                        (*out)->violations[i]->description);
    return RCICTL_EXIT_OK;
}

static void batch_id(const air_job *job, size_t k, size_t nbatches, char *buf, size_t len)
{
    if (nbatches == 1)
        snprintf(buf, len, "%s", job->base_id);
    else
        snprintf(buf, len, "%s-%zuof%zu", job->base_id, k + 1, nbatches);
}

static int push_all(air_job *job)
{
    size_t nb = (job->ndays + AIR_BATCH_DAYS - 1) / AIR_BATCH_DAYS;
    char id[160];
    /* Several batches: check all first, so a bad row stops the whole file. */
    if (job->dry_run || nb > 1) {
        for (size_t k = 0; k < nb; k++) {
            size_t first = k * AIR_BATCH_DAYS;
            size_t n = job->ndays - first < AIR_BATCH_DAYS ? job->ndays - first : AIR_BATCH_DAYS;
            Rci__V1__PushAirDaysResponse *r = NULL;
            batch_id(job, k, nb, id, sizeof id);
            int rc = push_batch(job, first, n, id, 1, &r);
            if (r)
                protobuf_c_message_free_unpacked(&r->base, NULL);
            if (rc != RCICTL_EXIT_OK)
                return rc;
        }
        if (job->problems) {
            fprintf(stderr, "rcictl: %zu problem(s) in %s; nothing written\n", job->problems,
                    job->path);
            return RCICTL_EXIT_RPC;
        }
        if (job->dry_run) {
            printf("dry run: %zu day(s) in %zu batch(es) would be accepted; nothing written\n",
                   job->ndays, nb);
            return RCICTL_EXIT_OK;
        }
    }
    static const char *const headers[] = {"BATCH", "REQUEST_ID", "DAYS", "WRITTEN", "UNCHANGED",
                                          "ALERTS", "VALUES", "REPLAYED"};
    static const char *const keys[] = {"batch", "request_id", "days", "written", "unchanged",
                                       "alerts_raised", "indicator_values_written", "replayed"};
    rcictl_table *t = rcictl_table_new(8, headers, keys);
    if (!t) {
        oom();
        return RCICTL_EXIT_RPC;
    }
    int rc = RCICTL_EXIT_OK;
    for (size_t k = 0; k < nb && rc == RCICTL_EXIT_OK; k++) {
        size_t first = k * AIR_BATCH_DAYS;
        size_t n = job->ndays - first < AIR_BATCH_DAYS ? job->ndays - first : AIR_BATCH_DAYS;
        Rci__V1__PushAirDaysResponse *r = NULL;
        batch_id(job, k, nb, id, sizeof id);
        rc = push_batch(job, first, n, id, 0, &r);
        if (rc != RCICTL_EXIT_OK) {
            if (k > 0)
                fprintf(stderr, "rcictl: batches 1..%zu of %zu were written; pushing the file "
                                "again replays them\n", k, nb);
            break;
        }
        char b[24], d[24], w[24], u[24], a[24], v[24];
        snprintf(b, sizeof b, "%zu", k + 1);
        snprintf(d, sizeof d, "%zu", n);
        snprintf(w, sizeof w, "%d", r->written);
        snprintf(u, sizeof u, "%d", r->unchanged);
        snprintf(a, sizeof a, "%d", r->alerts_raised);
        snprintf(v, sizeof v, "%d", r->indicator_values_written);
        const char *cells[8] = {b, id, d, w, u, a, v, r->replayed ? "yes" : "no"};
        rcictl_table_add(t, cells);
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    if (rc == RCICTL_EXIT_OK)
        rcictl_table_print(t, job->ctx->format, stdout);
    rcictl_table_free(t);
    return rc;
}

static int file_id(air_job *job)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    if (!m || !EVP_DigestInit_ex(m, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(m, job->data, job->len) ||
        !EVP_DigestUpdate(m, job->reason ? job->reason : "", job->reason ? strlen(job->reason) : 0) ||
        !EVP_DigestFinal_ex(m, md, &mdlen)) {
        EVP_MD_CTX_free(m);
        oom();
        return RCICTL_EXIT_RPC;
    }
    EVP_MD_CTX_free(m);
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(job->base_id, sizeof job->base_id, "%s", job->request_id ? job->request_id : "");
    if (!job->request_id)
        snprintf(job->base_id, sizeof job->base_id, "air-%s", hex);
    return RCICTL_EXIT_OK;
}

static int air_push(rcictl *ctx, int argc, char **argv)
{
    enum { O_DRY_RUN = 1, O_REASON, O_REQUEST_ID, O_ENCODING };
    static const rcictl_option opts[] = {{"dry-run", 0, O_DRY_RUN},
                                         {"reason", 1, O_REASON},
                                         {"request-id", 1, O_REQUEST_ID},
                                         {"encoding", 1, O_ENCODING},
                                         {NULL, 0, 0}};
    air_job job = {0};
    job.ctx = ctx;
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
            if (job.path)
                return rcictl_usage_error("air", "one file at a time");
            job.path = value;
            continue;
        }
        switch (id) {
        case RCICTL_OPT_HELP:
            help(stdout);
            return RCICTL_EXIT_OK;
        case O_DRY_RUN:
            job.dry_run = 1;
            break;
        case O_REASON:
            if (strlen(value) > 1000)
                return rcictl_usage_error("air", "--reason: at most 1000 bytes");
            job.reason = value;
            break;
        case O_REQUEST_ID: {
            size_t n = strlen(value);
            int ok = n > 0 && n <= REQUEST_ID_BASE_MAX;
            for (const char *p = value; ok && *p; p++)
                ok = (unsigned char)*p >= 0x21 && (unsigned char)*p <= 0x7E;
            if (!ok)
                return rcictl_usage_error("air", "--request-id: 1 to %d printable ASCII "
                                                 "characters without spaces", REQUEST_ID_BASE_MAX);
            job.request_id = value;
            break;
        }
        case O_ENCODING:
            if (rci_csv_encoding_from_name(value, &job.encoding) != 0)
                return rcictl_usage_error("air", "--encoding is auto, utf-8 or gb18030, not "
                                                 "\"%s\"", value);
            break;
        }
    }
    if (!job.path)
        return rcictl_usage_error("air", "which file? rcictl air push FILE.csv");
    if (!ctx->opt.max_message || ctx->opt.max_message < RESPONSE_MAX)
        ctx->opt.max_message = RESPONSE_MAX;
    int rc = read_file(&job);
    if (rc != RCICTL_EXIT_OK)
        goto out;
    char why[256];
    rci_csv_options copt = {0};
    copt.encoding = job.encoding;
    if (rci_csv_parse(job.data, job.len, &copt, &job.csv, why, sizeof why) != 0) {
        fprintf(stderr, "rcictl: %s: %s\n", job.path, why);
        rc = RCICTL_EXIT_USAGE;
        goto out;
    }
    if (job.csv->nrows < 2) {
        fprintf(stderr, "rcictl: %s: no rows after the header\n", job.path);
        rc = RCICTL_EXIT_USAGE;
        goto out;
    }
    if (map_header(&job.csv->rows[0], job.cols) != 0) {
        rc = RCICTL_EXIT_USAGE;
        goto out;
    }
    if ((rc = build_days(&job)) != RCICTL_EXIT_OK || (rc = file_id(&job)) != RCICTL_EXIT_OK)
        goto out;
    if (job.problems) {
        fprintf(stderr, "rcictl: %zu problem(s) in %s; nothing sent\n", job.problems, job.path);
        rc = RCICTL_EXIT_RPC;
        goto out;
    }
    if (job.ndays == 0) {
        fprintf(stderr, "rcictl: %s: no days in the file\n", job.path);
        rc = RCICTL_EXIT_USAGE;
        goto out;
    }
    rc = push_all(&job);
out:
    job_free(&job);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------ */

/* --city/--circle/--province/--month/--year, shared by the read commands. */
typedef struct read_args {
    const char *city, *circle, *month, *year;
    int province;
} read_args;

static int read_options(rcictl *ctx, int argc, char **argv, read_args *a)
{
    enum { O_CITY = 1, O_CIRCLE, O_PROVINCE, O_MONTH, O_YEAR };
    static const rcictl_option opts[] = {{"city", 1, O_CITY},       {"circle", 1, O_CIRCLE},
                                         {"province", 0, O_PROVINCE}, {"month", 1, O_MONTH},
                                         {"year", 1, O_YEAR},       {NULL, 0, 0}};
    int i = 1;
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, opts, &id, &value);
        if (r == RCICTL_ARG_END)
            return RCICTL_EXIT_OK;
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_POSITIONAL) {
            if (a->province && all_digits(value) && !a->circle) {
                a->circle = value;      /* --province 440000 */
                continue;
            }
            return rcictl_usage_error("air", "unexpected argument \"%s\"", value);
        }
        switch (id) {
        case RCICTL_OPT_HELP:
            help(stdout);
            return -1;
        case O_CITY:
            a->city = value;
            break;
        case O_CIRCLE:
            a->circle = value;
            break;
        case O_PROVINCE:
            a->province = 1;
            break;
        case O_MONTH:
            a->month = value;
            break;
        case O_YEAR:
            a->year = value;
            break;
        }
    }
}

static const char *period_of(const read_args *a)
{
    return a->month ? a->month : a->year;
}

static int air_calendar(rcictl *ctx, int argc, char **argv)
{
    read_args a = {0};
    int rc = read_options(ctx, argc, argv, &a);
    if (rc != RCICTL_EXIT_OK)
        return rc < 0 ? RCICTL_EXIT_OK : rc;
    if (!a.city || !a.month)
        return rcictl_usage_error("air", "calendar needs --city CITY and --month YYYY-MM");
    Rci__V1__GetAirCalendarRequest req = RCI__V1__GET_AIR_CALENDAR_REQUEST__INIT;
    req.city = (char *)a.city;
    req.month = (char *)a.month;
    ProtobufCMessage *m = NULL;
    rci_client_status st = RCI_CLIENT_STATUS_INIT;
    rc = call_unary(ctx, CALENDAR_PATH, &req.base, &rci__v1__get_air_calendar_response__descriptor,
                    &m, &st);
    rci_client_status_clear(&st);
    if (rc != RCICTL_EXIT_OK)
        return rc;
    Rci__V1__GetAirCalendarResponse *resp = (Rci__V1__GetAirCalendarResponse *)m;
    static const char *const headers[] = {"DATE", "AQI", "LEVEL", "CATEGORY", "PRIMARY",
                                          "SO2", "NO2", "PM10", "CO", "O3_1H", "O3_8H",
                                          "PM25", "EDITION", "REV"};
    static const char *const keys[] = {"date", "aqi", "level", "category", "primary", "so2",
                                       "no2", "pm10", "co", "o3_1h", "o3_8h", "pm25",
                                       "edition", "revision"};
    static const char *const pol[] = {"so2_24h", "no2_24h", "pm10_24h", "co_24h",
                                      "o3_1h_max", "o3_8h_max", "pm25_24h"};
    rcictl_table *t = rcictl_table_new(14, headers, keys);
    for (size_t i = 0; t && i < resp->n_days; i++) {
        const Rci__V1__AirDay *d = resp->days[i];
        char aqi[16], level[16], primary[64] = "", rev[16];
        const char *conc[7] = {0};
        for (size_t v = 0; v < d->n_values; v++)
            for (int k = 0; k < 7; k++)
                if (strcmp(d->values[v]->pollutant, pol[k]) == 0)
                    conc[k] = d->values[v]->value;
        if (d->aqi_na)
            snprintf(aqi, sizeof aqi, "NA");
        else
            snprintf(aqi, sizeof aqi, "%d", d->aqi);
        snprintf(level, sizeof level, "%s", d->category ? d->category->level_zh : "");
        for (size_t p = 0; p < d->n_primary_pollutants; p++) {
            size_t l = strlen(primary);
            snprintf(primary + l, sizeof primary - l, "%s%s", p ? "," : "",
                     d->primary_pollutants[p]);
        }
        snprintf(rev, sizeof rev, "%d", d->revision);
        const char *cells[14] = {d->date, aqi, level, d->category ? d->category->category_zh : "",
                                 primary, conc[0], conc[1], conc[2], conc[3], conc[4], conc[5],
                                 conc[6], d->edition, rev};
        rcictl_table_add(t, cells);
    }
    if (t)
        rcictl_table_print(t, ctx->format, stdout);
    else
        oom();
    rcictl_table_free(t);
    protobuf_c_message_free_unpacked(m, NULL);
    return t ? RCICTL_EXIT_OK : RCICTL_EXIT_RPC;
}

static void stats_row(rcictl_table *t, const char *field, const char *value)
{
    const char *cells[2] = {field, value};
    rcictl_table_add(t, cells);
}

static int air_stats(rcictl *ctx, int argc, char **argv)
{
    read_args a = {0};
    int rc = read_options(ctx, argc, argv, &a);
    if (rc != RCICTL_EXIT_OK)
        return rc < 0 ? RCICTL_EXIT_OK : rc;
    if (!a.city || !period_of(&a) || (a.month && a.year))
        return rcictl_usage_error("air", "stats needs --city CITY and --month YYYY-MM or "
                                         "--year YYYY");
    Rci__V1__GetAirStatsRequest req = RCI__V1__GET_AIR_STATS_REQUEST__INIT;
    req.city = (char *)a.city;
    req.period = (char *)period_of(&a);
    ProtobufCMessage *m = NULL;
    rci_client_status st = RCI_CLIENT_STATUS_INIT;
    rc = call_unary(ctx, STATS_PATH, &req.base, &rci__v1__air_stats__descriptor, &m, &st);
    rci_client_status_clear(&st);
    if (rc != RCICTL_EXIT_OK)
        return rc;
    const Rci__V1__AirStats *s = (const Rci__V1__AirStats *)m;
    static const char *const headers[] = {"FIELD", "VALUE"};
    static const char *const keys[] = {"field", "value"};
    rcictl_table *t = rcictl_table_new(2, headers, keys);
    if (!t) {
        oom();
        protobuf_c_message_free_unpacked(m, NULL);
        return RCICTL_EXIT_RPC;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s %s", s->city, s->city_name_zh);
    stats_row(t, "city", buf);
    stats_row(t, "period", s->period);
    snprintf(buf, sizeof buf, "%d of %d needed%s", s->valid_days, s->days_needed,
             s->enough_days ? "" : " (too few: not ranked)");
    stats_row(t, "valid_days", buf);
    snprintf(buf, sizeof buf, "%d", s->good_days);
    stats_row(t, "good_days", buf);
    stats_row(t, "good_rate_percent", s->good_rate);
    buf[0] = '\0';
    for (size_t l = 0; l < s->n_days_per_level; l++) {
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof buf - n, "%s%d", l ? "," : "", s->days_per_level[l]);
    }
    stats_row(t, "days_per_level_1_6", buf);
    for (size_t k = 0; k < s->n_statistics; k++) {
        const Rci__V1__AirStatistic *x = s->statistics[k];
        snprintf(buf, sizeof buf, "%s %s (index %s)", x->value, x->unit, x->single_index);
        stats_row(t, x->statistic, buf);
    }
    stats_row(t, "composite_index", s->composite_index);
    stats_row(t, "method", s->composite_method);
    rcictl_table_print(t, ctx->format, stdout);
    rcictl_table_free(t);
    protobuf_c_message_free_unpacked(m, NULL);
    return RCICTL_EXIT_OK;
}

static int air_rank(rcictl *ctx, int argc, char **argv)
{
    read_args a = {0};
    int rc = read_options(ctx, argc, argv, &a);
    if (rc != RCICTL_EXIT_OK)
        return rc < 0 ? RCICTL_EXIT_OK : rc;
    const char *region = a.circle ? a.circle : a.province ? "440000" : NULL;
    if (!region || !period_of(&a) || (a.month && a.year))
        return rcictl_usage_error("air", "rank needs --circle CODE or --province, and --month "
                                         "YYYY-MM or --year YYYY");
    Rci__V1__RankAirRequest req = RCI__V1__RANK_AIR_REQUEST__INIT;
    req.region = (char *)region;
    req.period = (char *)period_of(&a);
    ProtobufCMessage *m = NULL;
    rci_client_status st = RCI_CLIENT_STATUS_INIT;
    rc = call_unary(ctx, RANK_PATH, &req.base, &rci__v1__rank_air_response__descriptor, &m, &st);
    rci_client_status_clear(&st);
    if (rc != RCICTL_EXIT_OK)
        return rc;
    const Rci__V1__RankAirResponse *r = (const Rci__V1__RankAirResponse *)m;
    static const char *const headers[] = {"RANK", "CITY", "NAME", "INDEX", "VALID", "NEEDED",
                                          "GOOD_RATE", "PM25", "NOTE"};
    static const char *const keys[] = {"rank", "city", "name", "composite_index", "valid_days",
                                       "days_needed", "good_rate", "pm25_mean", "note"};
    rcictl_table *t = rcictl_table_new(9, headers, keys);
    for (size_t i = 0; t && i < r->n_cities; i++) {
        const Rci__V1__AirStats *c = r->cities[i];
        char rank[16], valid[16], needed[16];
        const char *pm25 = "";
        snprintf(rank, sizeof rank, "%d", c->rank);
        snprintf(valid, sizeof valid, "%d", c->valid_days);
        snprintf(needed, sizeof needed, "%d", c->days_needed);
        for (size_t k = 0; k < c->n_statistics; k++)
            if (strcmp(c->statistics[k]->statistic, "pm25_mean") == 0)
                pm25 = c->statistics[k]->value;
        const char *cells[9] = {rank, c->city, c->city_name_zh, c->composite_index, valid,
                                needed, c->good_rate, pm25,
                                c->rank ? "" : "not ranked: too few valid days"};
        rcictl_table_add(t, cells);
    }
    if (!t) {
        oom();
        protobuf_c_message_free_unpacked(m, NULL);
        return RCICTL_EXIT_RPC;
    }
    if (ctx->format == RCICTL_FORMAT_TABLE) {
        fputs("method: ", stdout);
        rcictl_put_safe(stdout, r->method, 0);
        fputs("\n\n", stdout);
    }
    rcictl_table_print(t, ctx->format, stdout);
    rcictl_table_free(t);
    protobuf_c_message_free_unpacked(m, NULL);
    return RCICTL_EXIT_OK;
}

int rcictl_cmd_air(rcictl *ctx, int argc, char **argv)
{
    if (argc < 2) {
        help(stderr);
        return RCICTL_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        help(stdout);
        return RCICTL_EXIT_OK;
    }
    if (strcmp(sub, "push") == 0)
        return air_push(ctx, argc - 1, argv + 1);
    if (strcmp(sub, "calendar") == 0)
        return air_calendar(ctx, argc - 1, argv + 1);
    if (strcmp(sub, "stats") == 0)
        return air_stats(ctx, argc - 1, argv + 1);
    if (strcmp(sub, "rank") == 0)
        return air_rank(ctx, argc - 1, argv + 1);
    return rcictl_usage_error("air", "unknown subcommand \"%s\" (push, calendar, stats, rank)",
                              sub);
}
