/* completeness.c: rci.v1.IndicatorService/GetCompleteness — for one period,
 * which agencies reported which of their indicators, when, and whether on
 * time (issue 3, "Completeness and timeliness").
 *
 * Expected reports: every agency in scope (agency_code, city_code and circle
 * narrow it; a circle means the agencies of its member cities) × every
 * indicator of the agency's domains whose frequency is the period's form's
 * ("2026-10" monthly, "2026-Q3" quarterly, "2026-H2" half-yearly, "2026"
 * yearly, "2026-10-05" daily), for the agency's city. Such a report is in
 * when the cell (indicator, the agency's city, period) exists; it was first
 * reported when the batch that created the cell (cells.first_batch_id)
 * committed — later corrections do not move it. It is on time when that
 * instant's China Standard Time date is on or before the due date.
 *
 * The due date is counted here, by the pure calendar module
 * (indicators/calendar.h), on the special days calendar_days holds for the
 * year after the period's end: 3 working days after the period ends, 1 for
 * a day. migrations/0007_completeness.sql counts the same in SQL for the
 * automatic locks; the integration test holds the two together.
 *
 * Any valid token may read: who reported late is shared knowledge between
 * the cooperating cities (summit reports show it). Reports come ordered by
 * agency, then indicator; the counts cover all of them, and the late and
 * missing ones are picked by the reader (rcictl completeness --late,
 * --missing).
 *
 * Tables: agencies, agency_domains, indicators (0002), regions,
 * circle_members (0001), cells, batches (0004), calendar_days (0005). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indicators/calendar.h"
#include "indicators/indicators.h"
#include "indicators/period.h"
#include "platform/auth.h"
#include "platform/call.h"
#include "platform/dispatch.h"
#include "platform/store.h"
#include "rci/v1/indicators.pb-c.h"

#define CODE_MAX 64               /* agency and region codes (0001, 0002) */
#define CALENDAR_WINDOW 366       /* days after the end whose special days are read */
#define STR_(x) #x
#define STR(x) STR_(x)

/* $1 period, $2 its frequency, $3 its last day, $4 agency, $5 city, $6
 * circle (NULL: no filter). Tagged rows of five text columns:
 *   'a'  agency found, city found, circle found ("true"/"false")
 *   'c'  a special day of the CALENDAR_WINDOW days after the end: date,
 *        working ("true"/"false")
 *   'r'  an expected report: agency, city, indicator, first reported (µs
 *        since the epoch; NULL: missing)
 * ordered by tag, then date / agency and indicator. */
static const char sql_completeness[] =
    "SELECT 'a',\n"
    "       ($4::text IS NULL OR EXISTS (SELECT 1 FROM agencies WHERE code = $4::text))::text,\n"
    "       ($5::text IS NULL OR EXISTS (SELECT 1 FROM regions WHERE code = $5::text))::text,\n"
    "       ($6::text IS NULL OR EXISTS (SELECT 1 FROM regions\n"
    "                                    WHERE code = $6::text AND kind = 'circle'))::text,\n"
    "       NULL\n"
    "UNION ALL\n"
    "SELECT 'c', to_char(day, 'YYYY-MM-DD'), working::text, NULL, NULL FROM calendar_days\n"
    " WHERE day > $3::date AND day <= $3::date + " STR(CALENDAR_WINDOW) "\n"
    "UNION ALL\n"
    "SELECT 'r', a.code, a.city_code, i.code,\n"
    "       (extract(epoch FROM b.committed_at) * 1000000)::bigint::text\n"
    "  FROM agencies a\n"
    "  JOIN agency_domains ad ON ad.agency_code = a.code\n"
    "  JOIN indicators i ON i.domain_code = ad.domain_code AND i.frequency = $2::text\n"
    "  LEFT JOIN cells c ON c.indicator_code = i.code AND c.region_code = a.city_code\n"
    "                   AND c.period = $1::text\n"
    "  LEFT JOIN batches b ON b.id = c.first_batch_id\n"
    " WHERE ($4::text IS NULL OR a.code = $4::text)\n"
    "   AND ($5::text IS NULL OR a.city_code = $5::text)\n"
    "   AND ($6::text IS NULL OR a.city_code IN (SELECT city_code FROM circle_members\n"
    "                                            WHERE circle_code = $6::text))\n"
    "ORDER BY 1, 2, 4";

static int stmt_completeness = -1;

typedef struct completeness_ctx {
    Rci__V1__GetCompletenessRequest *req;   /* taken from the call: owned */
    rci_period period;
} completeness_ctx;

static void completeness_ctx_free(void *arg)
{
    completeness_ctx *ctx = arg;
    if (ctx->req)
        protobuf_c_message_free_unpacked(&ctx->req->base, NULL);
    free(ctx);
}

/* ---- small helpers ------------------------------------------------------------ */

/* "YYYY-MM-DD" → date; 0, or -1 if s is not such a date. */
static int date_parse(const char *s, rci_date *out)
{
    rci_period p;
    if (rci_period_parse(RCI_FREQ_DAILY, s, &p, NULL, 0) != 0)
        return -1;
    *out = rci_period_first_day(&p);
    return 0;
}

/* µs since the epoch → Timestamp, and its calendar date in China Standard
 * Time (UTC+8, DESIGN §6); floor division, so instants before 1970 work. */
static rci_date instant_of_usec(long long usec, Google__Protobuf__Timestamp *ts)
{
    long long s = usec / 1000000, rem = usec % 1000000;
    if (rem < 0) {
        s -= 1;
        rem += 1000000;
    }
    google__protobuf__timestamp__init(ts);
    ts->seconds = s;
    ts->nanos = (int32_t)(rem * 1000);
    long long local = s + 8 * 3600;
    long long days = local / 86400 - (local % 86400 < 0);
    return rci_date_from_days((int32_t)days);
}

/* A filter code: empty (no filter) or up to CODE_MAX of [0-9a-z_-]. */
static int code_ok(const char *s)
{
    size_t n = strlen(s);
    return n <= CODE_MAX && strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz_-") == n;
}

/* ---- GetCompleteness --------------------------------------------------------------- */

/* The due date of ctx's period on the 'c' rows of res. Returns 0, or -1
 * with the call finished. */
static int due_date_of(rci_call *call, const completeness_ctx *ctx, const PGresult *res,
                       rci_date *due)
{
    int nrows = PQntuples(res);
    rci_cal_day *days = calloc((size_t)nrows + 1, sizeof *days);
    if (!days) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (int i = 0; i < nrows; i++) {
        if (strcmp(PQgetvalue(res, i, 0), "c") != 0)
            continue;
        if (date_parse(PQgetvalue(res, i, 1), &days[n].date) != 0) {
            free(days);
            rci_call_finish(call, RCI_INTERNAL, "calendar_days holds a date outside 1900..2999: %s",
                            PQgetvalue(res, i, 1));
            return -1;
        }
        days[n].working = strcmp(PQgetvalue(res, i, 2), "true") == 0;
        n++;
    }
    char why[160];
    rci_cal *cal = rci_cal_new(days, n, why, sizeof why);
    free(days);
    if (!cal) {
        rci_call_finish(call, RCI_INTERNAL, "the working-day calendar: %s", why);
        return -1;
    }
    int rc = rci_cal_due_date(cal, &ctx->period, RCI_CAL_DUE_DEFAULT, due);
    rci_cal_free(cal);
    int32_t end = rci_date_to_days(rci_period_last_day(&ctx->period));
    if (rc != 0 || rci_date_to_days(*due) > end + CALENDAR_WINDOW) {
        /* Only a calendar of holidays for most of a year gets here. */
        rci_call_finish(call, RCI_INTERNAL,
                        "no due date within %d days of the period's end: check calendar_days",
                        CALENDAR_WINDOW);
        return -1;
    }
    return 0;
}

static void completeness_done(rci_call *call, const PGresult *res)
{
    completeness_ctx *ctx = rci_call_data(call);
    const Rci__V1__GetCompletenessRequest *req = ctx->req;
    int nrows = PQntuples(res);
    if (PQnfields(res) != 5 || nrows < 1 || strcmp(PQgetvalue(res, 0, 0), "a") != 0) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the completeness query");
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 1), "true") != 0) {
        rci_call_finish(call, RCI_NOT_FOUND, "agency_code: no agency \"%s\"", req->agency_code);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 2), "true") != 0) {
        rci_call_finish(call, RCI_NOT_FOUND, "city_code: no region \"%s\"", req->city_code);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 3), "true") != 0) {
        rci_call_finish(call, RCI_NOT_FOUND, "circle: no circle \"%s\"", req->circle);
        return;
    }
    rci_date due;
    if (due_date_of(call, ctx, res, &due) != 0)
        return;
    char due_text[RCI_DATE_TEXT_MAX];
    rci_date_format(due, due_text, sizeof due_text);

    Rci__V1__ReportStatus *reps = calloc((size_t)nrows, sizeof *reps);
    Rci__V1__ReportStatus **ptrs = calloc((size_t)nrows, sizeof *ptrs);
    Google__Protobuf__Timestamp *ts = calloc((size_t)nrows, sizeof *ts);
    if (!reps || !ptrs || !ts) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    Rci__V1__GetCompletenessResponse resp = RCI__V1__GET_COMPLETENESS_RESPONSE__INIT;
    size_t n = 0;
    for (int i = 0; i < nrows; i++) {
        if (strcmp(PQgetvalue(res, i, 0), "r") != 0)
            continue;
        Rci__V1__ReportStatus *r = &reps[n];
        rci__v1__report_status__init(r);
        r->agency_code = PQgetvalue(res, i, 1);
        r->city_code = PQgetvalue(res, i, 2);
        r->indicator = PQgetvalue(res, i, 3);
        r->period = req->period;
        r->due_date = due_text;
        if (!PQgetisnull(res, i, 4)) {
            rci_date day = instant_of_usec(strtoll(PQgetvalue(res, i, 4), NULL, 10), &ts[n]);
            r->first_reported_at = &ts[n];
            r->on_time = rci_date_cmp(day, due) <= 0;
            resp.reported++;
            resp.on_time += r->on_time;
        }
        ptrs[n++] = r;
    }
    resp.expected = (int32_t)n;
    resp.n_reports = n;
    resp.reports = ptrs;
    rci_call_reply(call, &resp.base);
out:
    free(ts);
    free(ptrs);
    free(reps);
}

static void completeness_authed(rci_call *call, const rci_identity *who)
{
    (void)who;
    completeness_ctx *ctx = rci_call_data(call);
    const Rci__V1__GetCompletenessRequest *req = ctx->req;
    char why[160];
    if (!req->period[0]) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "period: required (2026-10, 2026-Q3, 2026-H2, 2026 or 2026-10-05)");
        return;
    }
    if (rci_period_parse(RCI_FREQ_NONE, req->period, &ctx->period, why, sizeof why) != 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "period: %s", why);
        return;
    }
    static const char *const names[] = {"agency_code", "city_code", "circle"};
    const char *vals[] = {req->agency_code, req->city_code, req->circle};
    for (int k = 0; k < 3; k++)
        if (!code_ok(vals[k])) {
            rci_call_finish(call, RCI_INVALID_ARGUMENT, "%s: \"%.64s\" is not a code", names[k],
                            vals[k]);
            return;
        }
    char end[RCI_DATE_TEXT_MAX];
    rci_date_format(rci_period_last_day(&ctx->period), end, sizeof end);
    const char *params[6] = {
        req->period,
        rci_period_freq_name(ctx->period.freq),
        end,
        req->agency_code[0] ? req->agency_code : NULL,
        req->city_code[0] ? req->city_code : NULL,
        req->circle[0] ? req->circle : NULL,
    };
    rci_call_query(call, stmt_completeness, params, completeness_done);
}

static void get_completeness(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    completeness_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    ctx->req = (Rci__V1__GetCompletenessRequest *)rci_call_take_request(call);
    rci_call_set_data(call, ctx, completeness_ctx_free);
    rci_auth(call, completeness_authed);
}

static const rci_method completeness_methods[] = {
    {"/rci.v1.IndicatorService/GetCompleteness", &rci__v1__get_completeness_request__descriptor,
     get_completeness, NULL},
};

int rci_completeness_init(char *err, size_t errlen)
{
    stmt_completeness = rci_store_register("indicators_completeness", sql_completeness, 6);
    return rci_dispatch_register(completeness_methods,
                                 sizeof completeness_methods / sizeof completeness_methods[0], err,
                                 errlen);
}
