/* push.c: rci.v1.AirService/PushAirDays — an environment agency's daily
 * concentrations for its city, checked and written atomically, idempotent
 * by request id, with the month figures republished as indicator values
 * and heavy-pollution alerts raised in the same transaction.
 *
 * The path of one push:
 *   on_request   take the request, resolve the token (auth.h)
 *   push_authed  the request as a whole (size, id, reason), content hash,
 *                then the "prepare" query: the batch's cities, an earlier
 *                request with the same id, and every stored day of each
 *                (city, month) the batch touches
 *   prepare_done replay or ALREADY_EXISTS; else scope (PERMISSION_DENIED),
 *                then validation (INVALID_ARGUMENT), in DESIGN §6's order;
 *                validate_only answers here. Then, with the AQI module, the
 *                month figures (good-day rate, PM2.5 mean) of each touched
 *                month as it will be, and the heavy-pollution days
 *   write_done   rci_air_write (migrations/0012_air.sql) has written it all
 *                in one statement, or found a month changed meanwhile
 *                ('stale': start over, a few times) or the id reused
 *
 * Air days have no period locks: the days are observations and every
 * correction is kept as a revision. The month figures they publish are
 * written with override_lock (0012 says why).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "air/air.h"
#include "air/aqi.h"
#include "air/days.h"
#include "indicators/period.h"
#include "platform/auth.h"
#include "platform/batch.h"
#include "platform/call.h"
#include "platform/dispatch.h"
#include "platform/store.h"
#include "platform/violations.h"
#include "rci/v1/air.pb-c.h"

#define AIR_MAX_DAYS 10000
#define AIR_NOTE_MAX 1000
#define AIR_MAX_VALUES 16        /* per day: seven pollutants, and room to name duplicates */
#define AIR_DOMAIN "environment"
/* Prepare + write, again when a month changed meanwhile: each 'stale' means
 * another push of that month committed, so N concurrent pushes of one month
 * all get through within N attempts. */
#define AIR_ATTEMPTS 8

/* $1 city codes, $2 agency, $3 request id, $4/$5 the touched months as
 * (city, first day). One row per region ('c'), earlier request ('q') and
 * stored day ('d'), twelve text columns each. */
static const char sql_prepare[] =
    "SELECT 'c', code, kind, name_zh, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL\n"
    "  FROM regions WHERE code = ANY ($1::text[])\n"
    "UNION ALL\n"
    "SELECT 'q', encode(content_sha256, 'hex'), written::text, unchanged::text,\n"
    "       alerts_raised::text, values_written::text,\n"
    "       coalesce((extract(epoch FROM committed_at) * 1000000)::bigint, 0)::text,\n"
    "       NULL, NULL, NULL, NULL, NULL\n"
    "  FROM air_requests WHERE agency_code = $2 AND request_id = $3\n"
    "UNION ALL\n"
    "SELECT 'd', d.city_code, d.day::text, d.so2::text, d.no2::text, d.pm10::text, d.co::text,\n"
    "       d.o3_1h::text, d.o3_8h::text, d.pm25::text, d.rev_seq::text, NULL\n"
    "  FROM unnest($4::text[], $5::date[]) AS m (city, first)\n"
    "  JOIN air_days d ON d.city_code = m.city AND d.day >= m.first\n"
    "                 AND d.day < m.first + interval '1 month'";

static const char sql_write[] =
    "SELECT status, coalesce(written, 0)::text, coalesce(unchanged, 0)::text,\n"
    "       coalesce(alerts_raised, 0)::text, coalesce(values_written, 0)::text,\n"
    "       coalesce((extract(epoch FROM committed_at) * 1000000)::bigint, 0)::text\n"
    "  FROM rci_air_write($1, $2::bigint, $3, decode($4, 'hex'), $5, $6, $7::jsonb,\n"
    "                     $8::jsonb, $9::jsonb, $10::jsonb)";

static int stmt_prepare = -1, stmt_write = -1;

/* One day of the request, as far as it parsed. */
typedef struct air_row {
    int date_ok;
    rci_date date;
    int valid;                                   /* passed every check */
    rci_air_sample sample;
    char text[AIR_COLS][RCI_AIR_CONC_TEXT_MAX];  /* normalised; "" = not measured */
} air_row;

/* A stored day from the prepare query. */
typedef struct stored_day {
    const char *city;                            /* into the PGresult */
    rci_date date;
    rci_air_sample sample;
    long long seq;
} stored_day;

typedef struct region_row {
    const char *code, *kind, *name;              /* into the PGresult */
} region_row;

typedef struct push_ctx {
    Rci__V1__PushAirDaysRequest *req;            /* taken from the call: owned */
    rci_identity who;
    char hash_hex[65];
    air_row *rows;                               /* req->n_days */
    int attempts;
} push_ctx;

static void push_ctx_free(void *arg)
{
    push_ctx *ctx = arg;
    if (ctx->req)
        protobuf_c_message_free_unpacked(&ctx->req->base, NULL);
    free(ctx->rows);
    free(ctx);
}

static void start_prepare(rci_call *call, push_ctx *ctx);

/* ---- answers -------------------------------------------------------------- */

static void reply_counts(rci_call *call, int written, int unchanged, int alerts, int values,
                         int replayed)
{
    Rci__V1__PushAirDaysResponse resp = RCI__V1__PUSH_AIR_DAYS_RESPONSE__INIT;
    resp.written = written;
    resp.unchanged = unchanged;
    resp.alerts_raised = alerts;
    resp.indicator_values_written = values;
    resp.replayed = replayed;
    rci_call_reply(call, &resp.base);
}

/* validate_only: every failure as a normal response. */
static void reply_violations(rci_call *call, const rci_violations *vs)
{
    Rci__V1__PushAirDaysResponse resp = RCI__V1__PUSH_AIR_DAYS_RESPONSE__INIT;
    if (rci_violations_messages(vs, &resp.violations) < 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    resp.n_violations = vs->n;
    rci_call_reply(call, &resp.base);
    free(resp.violations);
}

static void fail_conflict(rci_call *call, const push_ctx *ctx)
{
    rci_call_finish(call, RCI_ALREADY_EXISTS,
                    "request_id \"%s\" was already used by agency %s for different air days",
                    ctx->req->request_id, ctx->who.agency_code);
}

/* ---- write ------------------------------------------------------------------ */

static void write_done(rci_call *call, const PGresult *res)
{
    push_ctx *ctx = rci_call_data(call);
    if (PQntuples(res) != 1 || PQnfields(res) != 6) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result from rci_air_write");
        return;
    }
    const char *status = PQgetvalue(res, 0, 0);
    int written = atoi(PQgetvalue(res, 0, 1)), unchanged = atoi(PQgetvalue(res, 0, 2));
    int alerts = atoi(PQgetvalue(res, 0, 3)), values = atoi(PQgetvalue(res, 0, 4));
    if (strcmp(status, "ok") == 0 || strcmp(status, "replay") == 0) {
        reply_counts(call, written, unchanged, alerts, values, status[0] == 'r');
    } else if (strcmp(status, "conflict") == 0) {
        fail_conflict(call, ctx);
    } else if (strcmp(status, "stale") == 0) {
        /* Another push changed one of the months after we read it: the
         * month figures and alerts were decided on old data. Read again. */
        if (++ctx->attempts < AIR_ATTEMPTS)
            start_prepare(call, ctx);
        else
            rci_call_finish(call, RCI_ABORTED,
                            "the months of this push kept changing under concurrent pushes; "
                            "retry");
    } else {
        rci_call_finish(call, RCI_INTERNAL, "unexpected air push status \"%s\"", status);
    }
}

/* ---- the prepare query's rows -------------------------------------------------- */

typedef struct prepared {
    region_row *regions;
    size_t nregions;
    stored_day *days;
    size_t ndays;
    int prior_found;
    const char *prior_hash;
    int prior[4];                   /* written, unchanged, alerts, values */
} prepared;

static void prepared_free(prepared *p)
{
    free(p->regions);
    free(p->days);
}

static int load_prepared(const PGresult *res, prepared *p)
{
    memset(p, 0, sizeof *p);
    int n = PQntuples(res);
    if (PQnfields(res) != 12)
        return -1;
    p->regions = calloc((size_t)n + 1, sizeof *p->regions);
    p->days = calloc((size_t)n + 1, sizeof *p->days);
    if (!p->regions || !p->days)
        return -1;
    for (int i = 0; i < n; i++) {
        const char *tag = PQgetvalue(res, i, 0);
        if (tag[0] == 'c') {
            region_row *r = &p->regions[p->nregions++];
            r->code = PQgetvalue(res, i, 1);
            r->kind = PQgetvalue(res, i, 2);
            r->name = PQgetvalue(res, i, 3);
        } else if (tag[0] == 'q') {
            p->prior_found = 1;
            p->prior_hash = PQgetvalue(res, i, 1);
            for (int k = 0; k < 4; k++)
                p->prior[k] = atoi(PQgetvalue(res, i, 2 + k));
        } else if (tag[0] == 'd') {
            stored_day *d = &p->days[p->ndays];
            rci_period per;
            d->city = PQgetvalue(res, i, 1);
            if (rci_period_parse(RCI_FREQ_DAILY, PQgetvalue(res, i, 2), &per, NULL, 0) != 0)
                return -1;
            d->date = rci_period_first_day(&per);
            const char *text[AIR_COLS];
            for (int c = 0; c < AIR_COLS; c++)
                text[c] = PQgetisnull(res, i, 3 + c) ? NULL : PQgetvalue(res, i, 3 + c);
            if (air_sample_from_texts(text, &d->sample, NULL, 0) != 0)
                return -1;
            d->seq = atoll(PQgetvalue(res, i, 10));
            p->ndays++;
        } else {
            return -1;
        }
    }
    return 0;
}

static const region_row *find_region(const prepared *p, const char *code)
{
    for (size_t i = 0; i < p->nregions; i++)
        if (strcmp(p->regions[i].code, code) == 0)
            return &p->regions[i];
    return NULL;
}

/* ---- scope and validation ------------------------------------------------------ */

/* DESIGN §6 scope stage: rows for a known region that is not the agency's
 * own city, or any row when the agency lacks the environment domain. */
static void check_scope(const push_ctx *ctx, const prepared *p, rci_violations *vs)
{
    const Rci__V1__PushAirDaysRequest *req = ctx->req;
    for (size_t i = 0; i < req->n_days; i++) {
        const char *city = req->days[i]->city;
        const region_row *r = find_region(p, city);
        if (!r || strcmp(r->kind, "city") != 0)
            continue; /* unknown or not a city: validation's */
        if (!rci_auth_may_write(&ctx->who, city, AIR_DOMAIN))
            rci_violations_add(vs, (int)i, "city",
                               "agency %s may not push air data (domain %s) for city %s: an "
                               "agency pushes only its own city's days, in its own domains",
                               ctx->who.agency_code, AIR_DOMAIN, city);
    }
}

static rci_date today_cst(void)
{
    time_t now = time(NULL);
    return rci_date_from_days((int32_t)((now + 8 * 3600) / 86400));
}

/* Checks on one value of a day; sets the row's text and sample. */
static void check_value(push_ctx *ctx, size_t i, size_t j, int *seen, rci_violations *vs)
{
    const Rci__V1__AirConcentration *v = ctx->req->days[i]->values[j];
    air_row *row = &ctx->rows[i];
    char field[48], why[200];
    int c = air_col_of_pollutant(v->pollutant);
    if (c < 0) {
        snprintf(field, sizeof field, "values[%zu].pollutant", j);
        rci_violations_add(vs, (int)i, field,
                           "unknown pollutant \"%.40s\" (expected so2_24h, no2_24h, pm10_24h, "
                           "co_24h, o3_1h_max, o3_8h_max or pm25_24h)", v->pollutant);
        row->valid = 0;
        return;
    }
    if (seen[c]) {
        snprintf(field, sizeof field, "values[%zu].pollutant", j);
        rci_violations_add(vs, (int)i, field, "pollutant %s is given twice in the day (first "
                           "as values[%d])", v->pollutant, seen[c] - 1);
        row->valid = 0;
        return;
    }
    seen[c] = (int)j + 1;
    if (!air_unit_ok(c, v->unit)) {
        snprintf(field, sizeof field, "values[%zu].unit", j);
        rci_violations_add(vs, (int)i, field, "unit \"%.40s\" does not fit %s, which is in %s",
                           v->unit, v->pollutant, air_cols[c].mg ? "mg/m³" : "µg/m³");
        row->valid = 0;
    }
    rci_air_conc conc;
    snprintf(field, sizeof field, "values[%zu].value", j);
    if (rci_air_conc_parse(v->value, &conc, why, sizeof why) != 0) {
        rci_violations_add(vs, (int)i, field, "%s: %s", v->pollutant, why);
        row->valid = 0;
        return;
    }
    rci_aqi_iaqi iaqi;
    if (rci_aqi_iaqi_of(RCI_AQI_HJ633_2012, air_cols[c].item, conc, &iaqi, why, sizeof why) != 0) {
        rci_violations_add(vs, (int)i, field, "%s: %s", v->pollutant, why);
        row->valid = 0;
        return;
    }
    rci_air_sample_set(&row->sample, air_cols[c].item, conc);
    rci_air_conc_format(conc, row->text[c], sizeof row->text[c]);
}

/* A row's (city, date) key with its index, to find a day given twice.
 * Sorted with plain qsort: no shared state, since every loop thread pushes. */
typedef struct row_key {
    const Rci__V1__AirDayInput *d;
    size_t idx;
} row_key;

static int row_key_cmp(const void *x, const void *y)
{
    const row_key *a = x, *b = y;
    int c = strcmp(a->d->city, b->d->city);
    if (!c)
        c = strcmp(a->d->date, b->d->date);
    return c ? c : (a->idx < b->idx ? -1 : a->idx > b->idx);
}

typedef struct ordered_violation {
    rci_violation v;
    size_t seq;
} ordered_violation;

static int violation_cmp(const void *x, const void *y)
{
    const ordered_violation *a = x, *b = y;
    if (a->v.row != b->v.row)
        return a->v.row < b->v.row ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Violations in row order (found in order within a row), whichever check
 * found them. Returns 0, or -1 when out of memory (the list unchanged). */
static int sort_violations(rci_violations *vs)
{
    ordered_violation *o = malloc((vs->n ? vs->n : 1) * sizeof *o);
    if (!o)
        return -1;
    for (size_t i = 0; i < vs->n; i++)
        o[i] = (ordered_violation){vs->items[i], i};
    qsort(o, vs->n, sizeof *o, violation_cmp);
    for (size_t i = 0; i < vs->n; i++)
        vs->items[i] = o[i].v;
    free(o);
    return 0;
}

/* Every check on every row but scope. */
static int validate(push_ctx *ctx, const prepared *p, rci_violations *vs)
{
    const Rci__V1__PushAirDaysRequest *req = ctx->req;
    rci_date today = today_cst();
    char why[200], buf[RCI_DATE_TEXT_MAX];
    for (size_t i = 0; i < req->n_days; i++) {
        const Rci__V1__AirDayInput *d = req->days[i];
        air_row *row = &ctx->rows[i];
        row->valid = 1;
        const region_row *r = find_region(p, d->city);
        if (d->city[0] == '\0') {
            rci_violations_add(vs, (int)i, "city", "required: a GB/T 2260 city code such as 441300");
            row->valid = 0;
        } else if (!r) {
            rci_violations_add(vs, (int)i, "city", "unknown city \"%.40s\" (a GB/T 2260 city "
                               "code such as 441300)", d->city);
            row->valid = 0;
        } else if (strcmp(r->kind, "city") != 0) {
            rci_violations_add(vs, (int)i, "city", "%s (%s) is a %s, not a city", r->code,
                               r->name, r->kind);
            row->valid = 0;
        }
        if (!row->date_ok) {
            rci_period per;
            rci_period_parse(RCI_FREQ_DAILY, d->date, &per, why, sizeof why);
            rci_violations_add(vs, (int)i, "date", "\"%.40s\": %s", d->date, why);
            row->valid = 0;
        } else if (rci_date_cmp(row->date, today) > 0) {
            rci_date_format(today, buf, sizeof buf);
            rci_violations_add(vs, (int)i, "date", "%s is in the future (today is %s, China "
                               "Standard Time)", d->date, buf);
            row->valid = 0;
        }
        if (d->n_values == 0) {
            rci_violations_add(vs, (int)i, "values", "no concentration given for the day");
            row->valid = 0;
        }
        int seen[AIR_COLS] = {0};
        memset(&row->sample, 0, sizeof row->sample);
        memset(row->text, 0, sizeof row->text);
        if (d->n_values > AIR_MAX_VALUES) {
            rci_violations_add(vs, (int)i, "values", "%zu values: at most %d (one per pollutant)",
                               d->n_values, AIR_MAX_VALUES);
            row->valid = 0;
        } else {
            for (size_t j = 0; j < d->n_values; j++)
                check_value(ctx, i, j, seen, vs);
        }
        if (strlen(d->note) > AIR_NOTE_MAX) {
            rci_violations_add(vs, (int)i, "note", "at most %d bytes", AIR_NOTE_MAX);
            row->valid = 0;
        }
    }
    /* The same (city, day) twice. */
    row_key *keys = malloc((req->n_days ? req->n_days : 1) * sizeof *keys);
    if (!keys)
        return -1;
    for (size_t i = 0; i < req->n_days; i++)
        keys[i] = (row_key){req->days[i], i};
    qsort(keys, req->n_days, sizeof *keys, row_key_cmp);
    for (size_t k = 1; k < req->n_days; k++) {
        size_t a = keys[k - 1].idx, b = keys[k].idx;
        if (ctx->rows[b].date_ok && strcmp(req->days[a]->city, req->days[b]->city) == 0 &&
            strcmp(req->days[a]->date, req->days[b]->date) == 0) {
            rci_violations_add(vs, (int)b, "date", "city %s, %s is also days[%zu]",
                               req->days[b]->city, req->days[b]->date, a);
            ctx->rows[b].valid = 0;
        }
    }
    free(keys);
    return sort_violations(vs);
}

/* ---- the month figures and the alerts ----------------------------------------- */

typedef struct month_key {
    const char *city;
    int year, month;
} month_key;

static int month_cmp(const void *x, const void *y)
{
    const month_key *a = x, *b = y;
    int c = strcmp(a->city, b->city);
    if (c)
        return c;
    if (a->year != b->year)
        return a->year - b->year;
    return a->month - b->month;
}

/* The distinct (city, month) of the rows whose date parsed and whose city
 * is the agency's (only those can be written). Returns the count, or -1. */
static long touched_months(const push_ctx *ctx, month_key **out)
{
    const Rci__V1__PushAirDaysRequest *req = ctx->req;
    month_key *m = malloc((req->n_days ? req->n_days : 1) * sizeof *m);
    if (!m)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < req->n_days; i++) {
        if (!ctx->rows[i].date_ok || strcmp(req->days[i]->city, ctx->who.city_code) != 0)
            continue;
        m[n++] = (month_key){req->days[i]->city, ctx->rows[i].date.year, ctx->rows[i].date.month};
    }
    qsort(m, n, sizeof *m, month_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || month_cmp(&m[i], &m[k - 1]) != 0)
            m[k++] = m[i];
    *out = m;
    return (long)k;
}

/* A figure in tenths as decimal text without a trailing zero ("96.7",
 * "60"), as PushValues stores values. */
static void format_tenths(int x10, char *buf, size_t len)
{
    if (x10 % 10)
        snprintf(buf, len, "%d.%d", x10 / 10, x10 % 10);
    else
        snprintf(buf, len, "%d", x10 / 10);
}

static void add_value(air_buf *b, int *first, const char *indicator, const month_key *m,
                      const char *value, const char *note)
{
    rci_period per = {RCI_FREQ_MONTHLY, m->year, m->month};
    char period[RCI_PERIOD_TEXT_MAX], end[RCI_DATE_TEXT_MAX];
    rci_period_format(&per, period, sizeof period);
    rci_date_format(rci_period_last_day(&per), end, sizeof end);
    air_buf_add(b, *first ? "" : ",");
    *first = 0;
    air_buf_printf(b, "{\"indicator\":\"%s\",\"region\":\"%s\",\"period\":\"%s\",\"end\":\"%s\","
                      "\"value\":\"%s\",\"note\":", indicator, m->city, period, end, value);
    air_buf_json(b, note);
    air_buf_add(b, "}");
}

/* The figures of one month as it will be: air.good_days_rate (percent, 1
 * decimal) and air.pm25_mean (µg/m³, integer), as in 0002's definitions.
 * Published whenever the month has any valid day (a figure with no valid
 * day is not written); a month short of the days GB 3095 Table 4 needs
 * (27, 25 in February) is published with a note saying so, since a month
 * in progress or with gaps is still worth showing, flagged. A complete
 * month carries no note. */
static void month_values(air_buf *b, int *first, const month_key *m, const rci_air_period *st)
{
    char value[32], note[200];
    if (st->good_rate_x10 >= 0) {
        format_tenths(st->good_rate_x10, value, sizeof value);
        note[0] = '\0';
        if (st->valid_days < st->days_needed)
            snprintf(note, sizeof note, "provisional: %d valid days, %d needed (GB 3095 Table 4)",
                     st->valid_days, st->days_needed);
        add_value(b, first, "air.good_days_rate", m, value, note);
    }
    const rci_air_stat_result *pm = &st->stat[RCI_AIR_STAT_PM25];
    if (pm->n > 0) {
        rci_air_conc_format(pm->value, value, sizeof value);
        note[0] = '\0';
        if (pm->n < st->days_needed)
            snprintf(note, sizeof note, "provisional: %d daily means, %d needed (GB 3095 Table 4)",
                     pm->n, st->days_needed);
        add_value(b, first, "air.pm25_mean", m, value, note);
    }
}

/* Heavy pollution (AQI > 200): 重度污染 201–300 is a warning, 严重污染
 * above 300 critical (HJ 633 Table 2 / Table 1: levels V and VI). */
static void add_alert(air_buf *b, int *first, const push_ctx *ctx, const char *city_name,
                      size_t i, const rci_aqi_result *r)
{
    const Rci__V1__AirDayInput *d = ctx->req->days[i];
    char primary[64];
    rci_aqi_primary_text(r, primary, sizeof primary);
    const char *edition = rci_aqi_edition_name(r->edition);
    char subject[96], message[400];
    snprintf(subject, sizeof subject, "%s %s AQI %d", d->city, d->date, r->aqi);
    snprintf(message, sizeof message, "%s %s: AQI %d, %s (%s), primary pollutant %s, by %s",
             city_name, d->date, r->aqi, r->category->name_zh, r->category->name_en,
             primary[0] ? primary : "-", edition);
    air_buf_add(b, *first ? "" : ",");
    *first = 0;
    air_buf_printf(b, "{\"city\":\"%s\",\"day\":\"%s\",\"severity\":\"%s\",\"subject\":",
                   d->city, d->date, r->aqi > 300 ? "critical" : "warning");
    air_buf_json(b, subject);
    air_buf_add(b, ",\"message\":");
    air_buf_json(b, message);
    air_buf_printf(b, ",\"detail\":{\"city\":\"%s\",\"date\":\"%s\",\"aqi\":%d,\"level\":%d,"
                      "\"category_zh\":\"%s\",\"category_en\":\"%s\",\"primary\":\"%s\","
                      "\"edition\":\"%s\",\"agency\":\"%s\",\"request_id\":",
                   d->city, d->date, r->aqi, r->category->level, r->category->name_zh,
                   r->category->name_en, primary, edition, ctx->who.agency_code);
    air_buf_json(b, ctx->req->request_id);
    air_buf_add(b, "}}");
}

static void add_day(air_buf *b, int first, const push_ctx *ctx, size_t i, const rci_aqi_result *r)
{
    const air_row *row = &ctx->rows[i];
    air_buf_printf(b, "%s{\"city\":\"%s\",\"day\":\"%s\"", first ? "" : ",",
                   ctx->req->days[i]->city, ctx->req->days[i]->date);
    for (int c = 0; c < AIR_COLS; c++)
        air_buf_printf(b, ",\"%s\":%s", air_cols[c].column, row->text[c][0] ? row->text[c] : "null");
    air_buf_add(b, ",\"note\":");
    air_buf_json(b, ctx->req->days[i]->note);
    if (r->published)
        air_buf_printf(b, ",\"aqi\":%d}", r->aqi);
    else
        air_buf_add(b, ",\"aqi\":null}");
}

/* Everything rci_air_write needs, as four JSON texts (owned by the caller).
 * Returns 0, or -1 (out of memory). */
static int build_write(const push_ctx *ctx, const prepared *p, char *json[4])
{
    const Rci__V1__PushAirDaysRequest *req = ctx->req;
    month_key *months = NULL;
    long nmonths = touched_months(ctx, &months);
    if (nmonths < 0)
        return -1;
    air_buf bm = {0}, bd = {0}, bv = {0}, ba = {0};
    int fm = 1, fv = 1, fa = 1;
    air_buf_add(&bm, "[");
    air_buf_add(&bd, "[");
    air_buf_add(&bv, "[");
    air_buf_add(&ba, "[");
    const region_row *city = find_region(p, ctx->who.city_code);
    const char *city_name = city ? city->name : ctx->who.city_code;
    for (size_t i = 0; i < req->n_days; i++) {
        rci_aqi_result r;
        const air_row *row = &ctx->rows[i];
        air_day_aqi(row->date.year, row->date.month, row->date.day, &row->sample, &r);
        add_day(&bd, i == 0, ctx, i, &r);
    }
    for (long k = 0; k < nmonths; k++) {
        const month_key *m = &months[k];
        /* The month as stored, then the batch's days over it. */
        rci_air_day days[31];
        int has_old[31] = {0}, has_new[31] = {0};
        rci_air_sample old[31];
        long long seq = 0;
        for (size_t i = 0; i < p->ndays; i++) {
            const stored_day *s = &p->days[i];
            if (strcmp(s->city, m->city) != 0 || s->date.year != m->year || s->date.month != m->month)
                continue;
            int di = s->date.day - 1;
            old[di] = s->sample;
            has_old[di] = 1;
            if (s->seq > seq)
                seq = s->seq;
        }
        for (size_t i = 0; i < req->n_days; i++) {
            const air_row *row = &ctx->rows[i];
            if (strcmp(req->days[i]->city, m->city) != 0 || row->date.year != m->year ||
                row->date.month != m->month)
                continue;
            int di = row->date.day - 1;
            has_new[di] = 1;
            /* A new heavy-pollution day, or one that changed level. */
            rci_aqi_result now, before;
            air_day_aqi(m->year, m->month, di + 1, &row->sample, &now);
            if (now.published && now.aqi > 200) {
                int was = -1;
                if (has_old[di] && air_day_aqi(m->year, m->month, di + 1, &old[di], &before) == 0 &&
                    before.published)
                    was = before.category->level;
                if (was != now.category->level)
                    add_alert(&ba, &fa, ctx, city_name, i, &now);
            }
            days[di].sample = row->sample;
        }
        size_t n = 0;
        rci_air_day list[31];
        for (int di = 0; di < 31; di++) {
            if (!has_new[di] && !has_old[di])
                continue;
            list[n] = (rci_air_day){m->year, m->month, di + 1, has_new[di] ? days[di].sample : old[di]};
            n++;
        }
        rci_air_period st;
        if (rci_air_period_stats(m->year, m->month, list, n, &st, NULL, 0) == 0)
            month_values(&bv, &fv, m, &st);
        air_buf_printf(&bm, "%s{\"city\":\"%s\",\"month\":\"%04d-%02d\",\"seq\":%lld}",
                       fm ? "" : ",", m->city, m->year, m->month, seq);
        fm = 0;
    }
    free(months);
    air_buf_add(&bm, "]");
    air_buf_add(&bd, "]");
    air_buf_add(&bv, "]");
    air_buf_add(&ba, "]");
    json[0] = air_buf_take(&bm);
    json[1] = air_buf_take(&bd);
    json[2] = air_buf_take(&bv);
    json[3] = air_buf_take(&ba);
    if (!json[0] || !json[1] || !json[2] || !json[3]) {
        for (int k = 0; k < 4; k++) {
            free(json[k]);
            json[k] = NULL;
        }
        return -1;
    }
    return 0;
}

/* ---- check ---------------------------------------------------------------- */

static void prepare_done(rci_call *call, const PGresult *res)
{
    push_ctx *ctx = rci_call_data(call);
    const Rci__V1__PushAirDaysRequest *req = ctx->req;
    prepared p;
    if (load_prepared(res, &p) != 0) {
        prepared_free(&p);
        rci_call_finish(call, RCI_INTERNAL, "unexpected result from the air prepare query");
        return;
    }
    if (p.prior_found && !req->validate_only) {
        if (strcmp(p.prior_hash, ctx->hash_hex) != 0)
            fail_conflict(call, ctx);
        else
            reply_counts(call, p.prior[0], p.prior[1], p.prior[2], p.prior[3], 1);
        prepared_free(&p);
        return;
    }
    rci_violations vs = {0};
    check_scope(ctx, &p, &vs);
    if (vs.n && !req->validate_only) {
        rci_call_fail_violations(call, RCI_PERMISSION_DENIED, "outside the agency's scope",
                                 "days", &vs);
        goto out;
    }
    if (validate(ctx, &p, &vs) != 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    if (req->validate_only) {
        reply_violations(call, &vs);
        goto out;
    }
    if (vs.n) {
        rci_call_fail_violations(call, RCI_INVALID_ARGUMENT, "invalid air days", "days", &vs);
        goto out;
    }
    char *json[4] = {0};
    if (build_write(ctx, &p, json) != 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    char token[24];
    snprintf(token, sizeof token, "%lld", (long long)ctx->who.token_id);
    const char *params[10] = {ctx->who.agency_code, token, req->request_id, ctx->hash_hex,
                              req->reason, rci_call_peer(call), json[0], json[1], json[2], json[3]};
    rci_call_query(call, stmt_write, params, write_done);
    for (int k = 0; k < 4; k++)
        free(json[k]);
out:
    rci_violations_free(&vs);
    prepared_free(&p);
}

/* Codes as an array literal; only [0-9a-z] codes are kept (anything else is
 * no region, and validation says so). */
static char *codes_literal(const char *const *codes, size_t n)
{
    air_buf b = {0};
    air_buf_add(&b, "{");
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(codes[i]);
        if (l == 0 || l > 32 || strspn(codes[i], "0123456789abcdefghijklmnopqrstuvwxyz_") != l)
            continue;
        air_buf_printf(&b, "%s%s", first ? "" : ",", codes[i]);
        first = 0;
    }
    air_buf_add(&b, "}");
    return air_buf_take(&b);
}

static void start_prepare(rci_call *call, push_ctx *ctx)
{
    const Rci__V1__PushAirDaysRequest *req = ctx->req;
    const char **cities = malloc((req->n_days + 1) * sizeof *cities);
    month_key *months = NULL;
    long nmonths = cities ? touched_months(ctx, &months) : -1;
    char *lit_cities = NULL, *lit_mcities = NULL, *lit_firsts = NULL;
    if (nmonths >= 0) {
        for (size_t i = 0; i < req->n_days; i++)
            cities[i] = req->days[i]->city;
        cities[req->n_days] = ctx->who.city_code;
        lit_cities = codes_literal(cities, req->n_days + 1);
        air_buf mc = {0}, mf = {0};
        air_buf_add(&mc, "{");
        air_buf_add(&mf, "{");
        for (long k = 0; k < nmonths; k++) {
            air_buf_printf(&mc, "%s%s", k ? "," : "", months[k].city);
            air_buf_printf(&mf, "%s%04d-%02d-01", k ? "," : "", months[k].year, months[k].month);
        }
        air_buf_add(&mc, "}");
        air_buf_add(&mf, "}");
        lit_mcities = air_buf_take(&mc);
        lit_firsts = air_buf_take(&mf);
    }
    if (lit_cities && lit_mcities && lit_firsts) {
        const char *params[5] = {lit_cities, ctx->who.agency_code, req->request_id, lit_mcities,
                                 lit_firsts};
        rci_call_query(call, stmt_prepare, params, prepare_done);
    } else {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
    }
    free(cities);
    free(months);
    free(lit_cities);
    free(lit_mcities);
    free(lit_firsts);
}

/* SHA-256 of the batch's canonical serialization: the request without its
 * id and validate_only flag, so "same content" means the same days, notes
 * and reason (DESIGN §6). */
static int push_hash(const Rci__V1__PushAirDaysRequest *req, char out[65])
{
    Rci__V1__PushAirDaysRequest canon = *req;
    canon.request_id = "";
    canon.validate_only = 0;
    size_t len = rci__v1__push_air_days_request__get_packed_size(&canon);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -1;
    rci__v1__push_air_days_request__pack(&canon, buf);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok = EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
    free(buf);
    if (!ok)
        return -1;
    for (unsigned int i = 0; i < mdlen; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* Checks on the request as a whole, after the token, before any row. */
static int check_request(rci_call *call, const Rci__V1__PushAirDaysRequest *req)
{
    return rci_batch_check(call, "days", req->n_days, AIR_MAX_DAYS, req->request_id,
                           req->reason);
}

static void push_authed(rci_call *call, const rci_identity *who)
{
    push_ctx *ctx = rci_call_data(call);
    const Rci__V1__PushAirDaysRequest *req = ctx->req;
    ctx->who = *who;
    if (who->agency_code[0] == '\0') {
        rci_call_finish(call, RCI_PERMISSION_DENIED,
                        "air days are pushed with an agency's token; this token belongs to no "
                        "agency");
        return;
    }
    if (check_request(call, req) != 0)
        return;
    ctx->rows = calloc(req->n_days, sizeof *ctx->rows);
    if (!ctx->rows || push_hash(req, ctx->hash_hex) != 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    for (size_t i = 0; i < req->n_days; i++) {
        rci_period per;
        if (rci_period_parse(RCI_FREQ_DAILY, req->days[i]->date, &per, NULL, 0) == 0) {
            ctx->rows[i].date_ok = 1;
            ctx->rows[i].date = rci_period_first_day(&per);
        }
    }
    start_prepare(call, ctx);
}

static void push_air_days(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    push_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    ctx->req = (Rci__V1__PushAirDaysRequest *)rci_call_take_request(call);
    rci_call_set_data(call, ctx, push_ctx_free);
    rci_auth(call, push_authed);
}

static const rci_method push_methods[] = {
    {"/rci.v1.AirService/PushAirDays", &rci__v1__push_air_days_request__descriptor, push_air_days,
     NULL},
};

int rci_air_push_init(char *err, size_t errlen)
{
    stmt_prepare = rci_store_register("air_prepare", sql_prepare, 5);
    stmt_write = rci_store_register("air_write", sql_write, 10);
    return rci_dispatch_register(push_methods, sizeof push_methods / sizeof push_methods[0], err,
                                 errlen);
}

int rci_air_init(char *err, size_t errlen)
{
    if (rci_air_push_init(err, errlen) != 0)
        return -1;
    return rci_air_read_init(err, errlen);
}
