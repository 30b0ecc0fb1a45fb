/* series.c: reading indicator values for charts and circles — GetSeries (one
 * indicator × one region over a range of periods, gaps included) and
 * AggregateCircle (one indicator × one period over a circle's members, by
 * the indicator's aggregation rule).
 *
 * Any valid token may read, as for QueryValues (values.c). Both RPCs read
 * the latest values, or the values as of a past instant through
 * rci_series_as_of (migrations/0006_series.sql), which keeps the rule that
 * makes rci_values_as_of (0004) repeatable and reads only the periods asked
 * for. Each answer costs one query after the token lookup: the definitions
 * the request names come back in the same result as the values, so an
 * unknown indicator or region needs no extra round trip.
 *
 * GetSeries: a chart needs the gaps, so the periods are generated here
 * (period.h) — every period of the indicator's frequency whose last day lies
 * between the first day of period_from and the last day of period_to, the
 * same test QueryValues applies, so the bounds may be written in any
 * frequency ("2024" to "2026" for a monthly series). At most SERIES_MAX
 * periods; a circle is refused (its figure is AggregateCircle's).
 *
 * AggregateCircle: computed by PostgreSQL in numeric, exactly, over the
 * members that reported, then rounded half away from zero to the
 * indicator's decimals:
 *   sum                       Σ v
 *   mean                      Σ v / n
 *   max                       max v
 *   population_weighted_mean  Σ v·p / Σ p, where p is the member's resident
 *                             population (populations table) of the
 *                             period's year, or else of the latest earlier
 *                             year it has, or else — for years before its
 *                             first figure — of its earliest year (the
 *                             nearest figure either way). A reporting member
 *                             with no figure at all is FAILED_PRECONDITION:
 *                             a silently unweighted mean would mislead.
 *   none                      no value (growth rates and shares of GDP do
 *                             not aggregate); members are still listed.
 * Divisions are carried at 30 decimal places before rounding: inputs have at
 * most 6 (indicators.decimals) and a quotient that is not exactly on a
 * rounding boundary is at least 10^-6 / Σ p away from it, so the rounded
 * result is the exact one. The value is empty when no member reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "indicators/indicators.h"
#include "indicators/period.h"
#include "platform/auth.h"
#include "platform/call.h"
#include "platform/dispatch.h"
#include "platform/store.h"
#include "rci/v1/indicators.pb-c.h"

#define SERIES_MAX 1000        /* periods in one series */
#define CODE_MAX 64            /* indicators.code and regions.code lengths */

/* ---- SQL ----------------------------------------------------------------------- */

/* GetSeries. $1 indicator, $2 region, $3 / $4 the range's first and last
 * day, $5 / $6 the text of the periods holding those days in each frequency,
 * in rci_freq order (period.h: daily, monthly, quarterly, half_yearly,
 * yearly), so the primary key reads only the range whatever the indicator's
 * frequency turns out to be. One 'd' row with the indicator's frequency and
 * the region's kind (NULL when unknown), then up to SERIES_MAX + 1 'v' rows
 * (period, value) of the periods whose last day lies in $3..$4. A cell per
 * period, so a range of at most SERIES_MAX periods has at most that many
 * rows; the limit only bounds the work for a range that will be refused. */
#define SERIES_DEFS                                                                             \
    "WITH i AS (SELECT frequency,\n"                                                            \
    "                  array_position('{daily,monthly,quarterly,half_yearly,yearly}'::text[],\n" \
    "                                 frequency) AS f\n"                                        \
    "             FROM indicators WHERE code = $1)\n"                                           \
    "SELECT 'd', (SELECT frequency FROM i), (SELECT kind FROM regions WHERE code = $2)\n"       \
    "UNION ALL\n"
#define SERIES_LO "($5::text[])[(SELECT f FROM i)]"
#define SERIES_HI "($6::text[])[(SELECT f FROM i)]"

static const char sql_series[] =
    SERIES_DEFS
    "(SELECT 'v', c.period, c.value::text FROM cells c\n"
    "  WHERE c.indicator_code = $1 AND c.region_code = $2\n"
    "    AND c.period BETWEEN " SERIES_LO " AND " SERIES_HI "\n"
    "    AND c.period_end BETWEEN $3::date AND $4::date\n"
    "  LIMIT 1001)";

/* $7 as_of in µs since the epoch, clamped to now() as in values.c;
 * rci_series_as_of is in migrations/0006_series.sql. */
static const char sql_series_as_of[] =
    SERIES_DEFS
    "SELECT 'v', v.period, v.value::text\n"
    "  FROM rci_series_as_of(\n"
    "         least('epoch'::timestamptz + $7::bigint * interval '1 microsecond', now()),\n"
    "         $1, ARRAY[$2::text], " SERIES_LO ", " SERIES_HI ", $3::date, $4::date) v";

/* AggregateCircle. $1 indicator, $2 circle, $3 period, $4 the period's year;
 * the as-of form adds $5 as_of (µs) and $6 the period's last day. One row:
 * frequency, aggregation, the circle's kind (NULL when unknown), the
 * rounded value (NULL for none / nothing reported), members reported and
 * missing (comma-separated, by code), and reporting members without a
 * population figure. vals is the CTE the two forms differ in. */
#define AGG_HEAD                                                                                \
    "WITH ind AS (SELECT frequency, aggregation, decimals FROM indicators WHERE code = $1),\n"  \
    "members AS (SELECT city_code FROM circle_members WHERE circle_code = $2),\n"

#define AGG_TAIL                                                                                \
    "weighted AS (\n"                                                                           \
    "  SELECT v.region_code, v.value, w.population\n"                                           \
    "    FROM vals v\n"                                                                         \
    "    LEFT JOIN LATERAL (\n"                                                                 \
    "         SELECT p.population FROM populations p\n"                                         \
    "          WHERE p.region_code = v.region_code\n"                                           \
    "          ORDER BY p.year <= $4::int DESC, abs(p.year - $4::int)\n"                        \
    "          LIMIT 1) w ON (SELECT aggregation FROM ind) = 'population_weighted_mean')\n"     \
    "SELECT (SELECT frequency FROM ind), (SELECT aggregation FROM ind),\n"                      \
    "       (SELECT kind FROM regions WHERE code = $2),\n"                                      \
    "       round(CASE (SELECT aggregation FROM ind)\n"                                         \
    "               WHEN 'sum' THEN sum(value)\n"                                               \
    "               WHEN 'mean' THEN round(sum(value), 30) / count(*)\n"                        \
    "               WHEN 'max' THEN max(value)\n"                                               \
    "               WHEN 'population_weighted_mean'\n"                                          \
    "                 THEN round(sum(value * population), 30) / sum(population)\n"              \
    "             END, (SELECT decimals FROM ind))::text,\n"                                    \
    "       coalesce(string_agg(region_code, ',' ORDER BY region_code), ''),\n"                 \
    "       coalesce((SELECT string_agg(m.city_code, ',' ORDER BY m.city_code)\n"               \
    "                   FROM members m\n"                                                       \
    "                  WHERE m.city_code NOT IN (SELECT region_code FROM vals)), ''),\n"        \
    "       coalesce(string_agg(region_code, ',' ORDER BY region_code)\n"                       \
    "                  FILTER (WHERE population IS NULL\n"                                      \
    "                            AND (SELECT aggregation FROM ind)\n"                           \
    "                                = 'population_weighted_mean'), '')\n"                      \
    "  FROM weighted"

static const char sql_aggregate[] =
    AGG_HEAD
    "vals AS (SELECT c.region_code, c.value FROM cells c\n"
    "          WHERE c.indicator_code = $1 AND c.period = $3\n"
    "            AND c.region_code IN (SELECT city_code FROM members)),\n"
    AGG_TAIL;

static const char sql_aggregate_as_of[] =
    AGG_HEAD
    "vals AS (SELECT v.region_code, v.value\n"
    "  FROM rci_series_as_of(\n"
    "         least('epoch'::timestamptz + $5::bigint * interval '1 microsecond', now()),\n"
    "         $1, array(SELECT city_code FROM members), $3, $3, $6::date, $6::date) v),\n"
    AGG_TAIL;

static int stmt_series = -1, stmt_series_as_of = -1;
static int stmt_aggregate = -1, stmt_aggregate_as_of = -1;

/* ---- small helpers ---------------------------------------------------------- */

/* A required code: non-empty and at most CODE_MAX bytes. */
static int check_code(rci_call *call, const char *text, const char *what)
{
    size_t len = strlen(text);
    if (len == 0 || len > CODE_MAX) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "%s: required, at most %d characters", what,
                        CODE_MAX);
        return -1;
    }
    return 0;
}

/* as_of → µs since the epoch; refuses instants in the future (the answer
 * for an instant is only fixed once it has passed). Same rule as values.c. */
static int as_of_usec(rci_call *call, const Google__Protobuf__Timestamp *t, char out[24])
{
    if (t->nanos < 0 || t->nanos > 999999999) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "as_of: nanos out of range");
        return -1;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (t->seconds > (int64_t)now.tv_sec ||
        (t->seconds == (int64_t)now.tv_sec && t->nanos > now.tv_nsec)) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "as_of: in the future; the answer for an instant is only fixed once it "
                        "has passed (leave as_of out for the latest values)");
        return -1;
    }
    if (t->seconds < -62135596800LL) { /* before year 1 */
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "as_of: before year 1");
        return -1;
    }
    snprintf(out, 24, "%lld", (long long)t->seconds * 1000000 + t->nanos / 1000);
    return 0;
}

/* Parse a period written in any frequency's form; INVALID_ARGUMENT naming
 * the field otherwise. */
static int parse_any_period(rci_call *call, const char *text, const char *what, rci_period *out)
{
    char why[160];
    if (text[0] == '\0') {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "%s: required", what);
        return -1;
    }
    if (rci_period_parse(RCI_FREQ_NONE, text, out, why, sizeof why) != 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "%s: %s", what, why);
        return -1;
    }
    return 0;
}

/* ---- GetSeries ------------------------------------------------------------------ */

typedef struct series_ctx {
    Rci__V1__GetSeriesRequest *req;   /* taken from the call: owned */
    rci_date from, to;                /* first day of period_from, last of period_to */
} series_ctx;

static void series_ctx_free(void *arg)
{
    series_ctx *ctx = arg;
    protobuf_c_message_free_unpacked(&ctx->req->base, NULL);
    free(ctx);
}

/* A stored value and its period, for the merge with the generated periods. */
typedef struct series_value {
    rci_period period;
    const char *value;                /* into the PGresult */
} series_value;

static int series_value_cmp(const void *a, const void *b)
{
    return rci_period_cmp(&((const series_value *)a)->period,
                          &((const series_value *)b)->period);
}

/* The first and last period of frequency f with their last day in
 * from..to. Returns the number of periods (0 if none), or SERIES_MAX + 1
 * as soon as there are more than SERIES_MAX. */
static int series_range(rci_freq f, rci_date from, rci_date to, rci_period *first,
                        rci_period *last)
{
    if (rci_period_of_date(f, from, first) != 0 || rci_period_of_date(f, to, last) != 0)
        return 0;
    if (rci_date_cmp(rci_period_last_day(last), to) > 0 && rci_period_prev(last, last) != 0)
        return 0;
    if (rci_period_cmp(first, last) > 0)
        return 0;
    int n = 1;
    rci_period p = *first;
    while (rci_period_cmp(&p, last) < 0 && n <= SERIES_MAX) {
        if (rci_period_next(&p, &p) != 0)
            break;
        n++;
    }
    return n;
}

/* Reply with every period of the range, each with its value or "". */
static void series_reply(rci_call *call, rci_period first, int n, const series_value *vals,
                         size_t nvals)
{
    Rci__V1__SeriesPoint *pts = calloc((size_t)n + 1, sizeof *pts);
    Rci__V1__SeriesPoint **ptrs = calloc((size_t)n + 1, sizeof *ptrs);
    char (*text)[RCI_PERIOD_TEXT_MAX] = calloc((size_t)n + 1, sizeof *text);
    if (!pts || !ptrs || !text) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    rci_period p = first;
    size_t j = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && rci_period_next(&p, &p) != 0) {
            rci_call_finish(call, RCI_INTERNAL, "series: period arithmetic failed");
            goto out;
        }
        rci__v1__series_point__init(&pts[i]);
        rci_period_format(&p, text[i], sizeof text[i]);
        pts[i].period = text[i];
        while (j < nvals && rci_period_cmp(&vals[j].period, &p) < 0)
            j++;
        if (j < nvals && rci_period_cmp(&vals[j].period, &p) == 0)
            pts[i].value = (char *)vals[j].value;
        ptrs[i] = &pts[i];
    }
    Rci__V1__GetSeriesResponse resp = RCI__V1__GET_SERIES_RESPONSE__INIT;
    resp.n_points = (size_t)n;
    resp.points = ptrs;
    rci_call_reply(call, &resp.base);
out:
    free(text);
    free(ptrs);
    free(pts);
}

static void series_done(rci_call *call, const PGresult *res)
{
    series_ctx *ctx = rci_call_data(call);
    const Rci__V1__GetSeriesRequest *req = ctx->req;
    int rows = PQntuples(res);
    if (PQnfields(res) != 3 || rows < 1) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the series query");
        return;
    }
    /* The 'd' row: Append runs its branches in order, but do not rely on it. */
    int d = 0;
    while (d < rows && strcmp(PQgetvalue(res, d, 0), "d") != 0)
        d++;
    if (d == rows) {
        rci_call_finish(call, RCI_INTERNAL, "the series query returned no definition row");
        return;
    }
    if (PQgetisnull(res, d, 1)) {
        rci_call_finish(call, RCI_NOT_FOUND, "indicator \"%s\" not found", req->indicator);
        return;
    }
    if (PQgetisnull(res, d, 2)) {
        rci_call_finish(call, RCI_NOT_FOUND, "region \"%s\" not found", req->region);
        return;
    }
    if (strcmp(PQgetvalue(res, d, 2), "circle") == 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "region: \"%s\" is a circle; a series is for one city (use "
                        "AggregateCircle for a circle's figure)", req->region);
        return;
    }
    rci_freq f = rci_period_freq_from_name(PQgetvalue(res, d, 1));
    rci_period first, last;
    int n = series_range(f, ctx->from, ctx->to, &first, &last);
    if (n > SERIES_MAX) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "period_from..period_to: more than %d %s periods of %s; ask for a "
                        "shorter range", SERIES_MAX, rci_period_freq_name(f), req->indicator);
        return;
    }
    series_value *vals = calloc((size_t)rows, sizeof *vals);
    if (!vals) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    size_t nvals = 0;
    for (int i = 0; i < rows; i++) {
        if (i == d || PQgetisnull(res, i, 1))
            continue;
        /* Stored periods were checked against the frequency when pushed. */
        if (rci_period_parse(f, PQgetvalue(res, i, 1), &vals[nvals].period, NULL, 0) != 0)
            continue;
        vals[nvals++].value = PQgetvalue(res, i, 2);
    }
    qsort(vals, nvals, sizeof *vals, series_value_cmp);
    series_reply(call, first, n, vals, nvals);
    free(vals);
}

/* The periods holding day d in each frequency, in rci_freq order, as an
 * array literal: {"2024-05-17","2024-05","2024-Q2","2024-H1","2024"}. */
static void series_bounds(rci_date d, char *out, size_t outlen)
{
    size_t off = 0;
    out[off++] = '{';
    for (rci_freq f = RCI_FREQ_DAILY; f <= RCI_FREQ_YEARLY; f++) {
        rci_period p;
        char text[RCI_PERIOD_TEXT_MAX] = "";
        if (rci_period_of_date(f, d, &p) == 0)
            rci_period_format(&p, text, sizeof text);
        off += (size_t)snprintf(out + off, outlen - off, "%s\"%s\"",
                                f == RCI_FREQ_DAILY ? "" : ",", text);
    }
    snprintf(out + off, outlen - off, "}");
}

static void series_authed(rci_call *call, const rci_identity *who)
{
    (void)who;
    series_ctx *ctx = rci_call_data(call);
    const Rci__V1__GetSeriesRequest *req = ctx->req;
    rci_period pf, pt;
    char asof[24] = "", from[RCI_DATE_TEXT_MAX], to[RCI_DATE_TEXT_MAX];
    if (check_code(call, req->indicator, "indicator") != 0 ||
        check_code(call, req->region, "region") != 0 ||
        parse_any_period(call, req->period_from, "period_from", &pf) != 0 ||
        parse_any_period(call, req->period_to, "period_to", &pt) != 0 ||
        (req->as_of && as_of_usec(call, req->as_of, asof) != 0))
        return;
    ctx->from = rci_period_first_day(&pf);
    ctx->to = rci_period_last_day(&pt);
    if (rci_date_cmp(ctx->from, ctx->to) > 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "period_from %s is after period_to %s",
                        req->period_from, req->period_to);
        return;
    }
    rci_date_format(ctx->from, from, sizeof from);
    rci_date_format(ctx->to, to, sizeof to);
    char lo[5 * (RCI_PERIOD_TEXT_MAX + 3) + 3], hi[5 * (RCI_PERIOD_TEXT_MAX + 3) + 3];
    series_bounds(ctx->from, lo, sizeof lo);
    series_bounds(ctx->to, hi, sizeof hi);
    const char *p[7] = {req->indicator, req->region, from, to, lo, hi, asof};
    rci_call_query(call, req->as_of ? stmt_series_as_of : stmt_series, p, series_done);
}

static void get_series(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    series_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    ctx->req = (Rci__V1__GetSeriesRequest *)rci_call_take_request(call);
    rci_call_set_data(call, ctx, series_ctx_free);
    rci_auth(call, series_authed);
}

/* ---- AggregateCircle --------------------------------------------------------------- */

typedef struct aggregate_ctx {
    Rci__V1__AggregateCircleRequest *req;   /* taken from the call: owned */
    rci_period period;                      /* as parsed from its own form */
} aggregate_ctx;

static void aggregate_ctx_free(void *arg)
{
    aggregate_ctx *ctx = arg;
    protobuf_c_message_free_unpacked(&ctx->req->base, NULL);
    free(ctx);
}

/* Split a comma-separated list in place into pointers (list must be a
 * writable copy). Returns the count, or -1 when out of memory. */
static int split_codes(char *list, char ***out)
{
    *out = NULL;
    if (list[0] == '\0')
        return 0;
    size_t n = 1;
    for (const char *s = list; *s; s++)
        n += *s == ',';
    char **v = calloc(n, sizeof *v);
    if (!v)
        return -1;
    char *save = NULL;
    size_t i = 0;
    for (char *t = strtok_r(list, ",", &save); t && i < n; t = strtok_r(NULL, ",", &save))
        v[i++] = t;
    *out = v;
    return (int)i;
}

static void aggregate_reply(rci_call *call, const char *rule, const char *value,
                            const char *reported, const char *missing)
{
    char *rep = strdup(reported), *mis = strdup(missing);
    char **rv = NULL, **mv = NULL;
    int nr = rep ? split_codes(rep, &rv) : -1;
    int nm = mis ? split_codes(mis, &mv) : -1;
    if (nr < 0 || nm < 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
    } else {
        Rci__V1__AggregateCircleResponse resp = RCI__V1__AGGREGATE_CIRCLE_RESPONSE__INIT;
        resp.value = (char *)value;
        resp.rule = (char *)rule;
        resp.n_members_reported = (size_t)nr;
        resp.members_reported = rv;
        resp.n_members_missing = (size_t)nm;
        resp.members_missing = mv;
        rci_call_reply(call, &resp.base);
    }
    free(rv);
    free(mv);
    free(rep);
    free(mis);
}

static void aggregate_done(rci_call *call, const PGresult *res)
{
    aggregate_ctx *ctx = rci_call_data(call);
    const Rci__V1__AggregateCircleRequest *req = ctx->req;
    if (PQntuples(res) != 1 || PQnfields(res) != 7) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the aggregate query");
        return;
    }
    if (PQgetisnull(res, 0, 0)) {
        rci_call_finish(call, RCI_NOT_FOUND, "indicator \"%s\" not found", req->indicator);
        return;
    }
    if (PQgetisnull(res, 0, 2)) {
        rci_call_finish(call, RCI_NOT_FOUND, "circle \"%s\" not found", req->circle);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 2), "circle") != 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "circle: \"%s\" is a %s, not a circle (GetSeries or QueryValues read "
                        "one region)", req->circle, PQgetvalue(res, 0, 2));
        return;
    }
    rci_freq f = rci_period_freq_from_name(PQgetvalue(res, 0, 0));
    if (f != ctx->period.freq) {
        char why[160];
        rci_period ignored;
        if (rci_period_parse(f, req->period, &ignored, why, sizeof why) == 0)
            snprintf(why, sizeof why, "not a %s period", rci_period_freq_name(f));
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "period: %s (%s is %s)", why, req->indicator,
                        rci_period_freq_name(f));
        return;
    }
    const char *without_population = PQgetvalue(res, 0, 6);
    if (without_population[0]) {
        rci_call_finish(call, RCI_FAILED_PRECONDITION,
                        "%s is population-weighted but the populations table has no figure for "
                        "%s; an admin must add one", req->indicator, without_population);
        return;
    }
    aggregate_reply(call, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4),
                    PQgetvalue(res, 0, 5));
}

static void aggregate_authed(rci_call *call, const rci_identity *who)
{
    (void)who;
    aggregate_ctx *ctx = rci_call_data(call);
    const Rci__V1__AggregateCircleRequest *req = ctx->req;
    char asof[24], year[8], end[RCI_DATE_TEXT_MAX];
    if (check_code(call, req->indicator, "indicator") != 0 ||
        check_code(call, req->circle, "circle") != 0 ||
        parse_any_period(call, req->period, "period", &ctx->period) != 0 ||
        (req->as_of && as_of_usec(call, req->as_of, asof) != 0))
        return;
    snprintf(year, sizeof year, "%d", ctx->period.year);
    rci_date_format(rci_period_last_day(&ctx->period), end, sizeof end);
    if (req->as_of) {
        const char *p[6] = {req->indicator, req->circle, req->period, year, asof, end};
        rci_call_query(call, stmt_aggregate_as_of, p, aggregate_done);
    } else {
        const char *p[4] = {req->indicator, req->circle, req->period, year};
        rci_call_query(call, stmt_aggregate, p, aggregate_done);
    }
}

static void aggregate_circle(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    aggregate_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    ctx->req = (Rci__V1__AggregateCircleRequest *)rci_call_take_request(call);
    rci_call_set_data(call, ctx, aggregate_ctx_free);
    rci_auth(call, aggregate_authed);
}

static const rci_method series_methods[] = {
    {"/rci.v1.IndicatorService/GetSeries", &rci__v1__get_series_request__descriptor, get_series,
     NULL},
    {"/rci.v1.IndicatorService/AggregateCircle", &rci__v1__aggregate_circle_request__descriptor,
     aggregate_circle, NULL},
};

int rci_series_init(char *err, size_t errlen)
{
    stmt_series = rci_store_register("series", sql_series, 6);
    stmt_series_as_of = rci_store_register("series_as_of", sql_series_as_of, 7);
    stmt_aggregate = rci_store_register("aggregate", sql_aggregate, 4);
    stmt_aggregate_as_of = rci_store_register("aggregate_as_of", sql_aggregate_as_of, 6);
    return rci_dispatch_register(series_methods, sizeof series_methods / sizeof series_methods[0],
                                 err, errlen);
}
