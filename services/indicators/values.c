/* values.c: reading indicator values — QueryValues (latest, or as of a
 * past instant) and GetHistory (every revision of one cell).
 *
 * Any valid token may read (DESIGN §2: neighbours read each other's
 * figures). Regions may be cities or circles; a circle stands for its
 * member cities. Periods are filtered by their last day, so one range
 * serves indicators of every frequency. Pages follow the order (indicator,
 * region, period) with a keyset token, so a page never skips or repeats a
 * row while others push. As-of reads go through rci_values_as_of
 * (migrations/0004_values.sql), which makes them repeatable. */
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
#include "platform/wire.h"
#include "rci/v1/indicators.pb-c.h"

#define PAGE_DEFAULT 1000
#define PAGE_MAX 10000
#define FILTER_MAX 1000          /* codes in one filter list */

/* Columns of both value queries: indicator, region, period, value, note,
 * revision, agency, committed_at (µs since the epoch), late. */
#define VALUE_COLUMNS 9

/* Late: first reported (the cell's first batch) after its due date, in CST
 * (rci_due_date and friends: migrations/0007_completeness.sql). */
#define LATE_COLUMN(first_at, end, freq)                                               \
    "(rci_cst_date(" first_at ") > rci_due_date(" end ", rci_due_working_days(" freq ")))::text"

static const char sql_latest[] =
    "SELECT c.indicator_code, c.region_code, c.period, c.value::text, c.note, c.revision::text,\n"
    "       b.agency_code, (extract(epoch FROM b.committed_at) * 1000000)::bigint::text,\n"
    "       " LATE_COLUMN("fb.committed_at", "c.period_end", "i.frequency") "\n"
    "  FROM cells c JOIN batches b ON b.id = c.batch_id\n"
    "  JOIN batches fb ON fb.id = c.first_batch_id JOIN indicators i ON i.code = c.indicator_code\n"
    " WHERE ($1::text[] IS NULL OR c.indicator_code = ANY ($1::text[]))\n"
    "   AND ($2::text[] IS NULL OR c.region_code = ANY ($2::text[])\n"
    "        OR c.region_code IN (SELECT city_code FROM circle_members\n"
    "                             WHERE circle_code = ANY ($2::text[])))\n"
    "   AND ($3::date IS NULL OR c.period_end >= $3::date)\n"
    "   AND ($4::date IS NULL OR c.period_end <= $4::date)\n"
    "   AND ($5::text[] IS NULL OR (c.indicator_code, c.region_code, c.period)\n"
    "                               > (($5::text[])[1], ($5::text[])[2], ($5::text[])[3]))\n"
    " ORDER BY c.indicator_code, c.region_code, c.period\n"
    " LIMIT $6::int";

/* $1 as_of in µs since the epoch (clamped to now(): a future instant has
 * no repeatable answer), then the filters as above. */
static const char sql_as_of[] =
    "SELECT v.indicator_code, v.region_code, v.period, v.value::text, v.note, v.revision::text,\n"
    "       v.agency_code, (extract(epoch FROM v.committed_at) * 1000000)::bigint::text,\n"
    "       " LATE_COLUMN("v.first_committed_at", "v.period_end", "v.frequency") "\n"
    "  FROM rci_values_as_of(\n"
    "         least('epoch'::timestamptz + $1::bigint * interval '1 microsecond', now()),\n"
    "         $2::text[],\n"
    "         CASE WHEN $3::text[] IS NULL THEN NULL ELSE\n"
    "           array(SELECT unnest($3::text[]) UNION\n"
    "                 SELECT city_code FROM circle_members WHERE circle_code = ANY ($3::text[]))\n"
    "         END,\n"
    "         $4::date, $5::date, $6::text[], $7::int) v\n"
    " ORDER BY v.indicator_code, v.region_code, v.period";

static const char sql_history[] =
    "SELECT r.revision::text, r.value::text, r.note, b.agency_code,\n"
    "       coalesce(b.token_id, 0)::text, b.request_id, b.reason,\n"
    "       (extract(epoch FROM b.committed_at) * 1000000)::bigint::text\n"
    "  FROM revisions r JOIN batches b ON b.id = r.batch_id\n"
    " WHERE r.indicator_code = $1 AND r.region_code = $2 AND r.period = $3\n"
    " ORDER BY r.revision";

static int stmt_latest = -1, stmt_as_of = -1, stmt_history = -1;

/* ---- small helpers ---------------------------------------------------------- */

static void set_timestamp(Google__Protobuf__Timestamp *ts, const char *usec_text)
{
    long long usec = atoll(usec_text);
    ts->seconds = usec / 1000000;
    ts->nanos = (int32_t)(usec % 1000000) * 1000;
}

/* A filter list as an array literal, or NULL for "no filter". Codes are
 * checked to hold only [0-9A-Za-z_.-], so no quoting is needed. */
static int codes_literal(char **list, size_t n, const char *what, rci_call *call, char **out)
{
    *out = NULL;
    if (n == 0)
        return 0;
    if (n > FILTER_MAX) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "%s: at most %d codes", what, FILTER_MAX);
        return -1;
    }
    size_t len = 3;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list[i]);
        if (l == 0 || l > 64 || strspn(list[i], "0123456789abcdefghijklmnopqrstuvwxyz"
                                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-") != l) {
            rci_call_finish(call, RCI_INVALID_ARGUMENT, "%s[%zu]: \"%.64s\" is not a code", what,
                            i, list[i]);
            return -1;
        }
        len += l + 1;
    }
    char *s = malloc(len);
    if (!s) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    size_t off = 0;
    s[off++] = '{';
    for (size_t i = 0; i < n; i++)
        off += (size_t)sprintf(s + off, "%s%s", i ? "," : "", list[i]);
    s[off++] = '}';
    s[off] = '\0';
    *out = s;
    return 0;
}

/* period_from / period_to (any frequency's form) → first / last day. */
static int period_bound(rci_call *call, const char *text, int last, const char *what,
                        char out[RCI_DATE_TEXT_MAX])
{
    out[0] = '\0';
    if (text[0] == '\0')
        return 0;
    rci_period p;
    char why[160];
    if (rci_period_parse(RCI_FREQ_NONE, text, &p, why, sizeof why) != 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "%s: %s", what, why);
        return -1;
    }
    rci_date_format(last ? rci_period_last_day(&p) : rci_period_first_day(&p), out,
                    RCI_DATE_TEXT_MAX);
    return 0;
}

/* Page tokens: base64 of "indicator\x1fregion\x1fperiod", the last row sent. */
static char *page_token_make(const char *ind, const char *reg, const char *per)
{
    char raw[256];
    int n = snprintf(raw, sizeof raw, "%s\x1f%s\x1f%s", ind, reg, per);
    if (n < 0 || (size_t)n >= sizeof raw)
        return NULL;
    return rci_wire_b64_encode((const uint8_t *)raw, (size_t)n);
}

/* Decode a page token into an array literal {"ind","reg","per"}. */
static int page_token_literal(rci_call *call, const char *token, char **out)
{
    *out = NULL;
    if (token[0] == '\0')
        return 0;
    size_t len;
    uint8_t *raw = rci_wire_b64_decode(token, strlen(token), &len);
    char *parts[3] = {0};
    int ok = raw && len < 250 && !memchr(raw, 0, len);
    char buf[256];
    if (ok) {
        memcpy(buf, raw, len);
        buf[len] = '\0';
        char *save = NULL;
        for (int i = 0; i < 3; i++)
            parts[i] = strtok_r(i ? NULL : buf, "\x1f", &save);
        ok = parts[2] && strpbrk(buf, "\"\\{},") == NULL;
    }
    free(raw);
    if (!ok) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "page_token: not a token from this server");
        return -1;
    }
    *out = malloc(len + 16);
    if (!*out) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    sprintf(*out, "{\"%s\",\"%s\",\"%s\"}", parts[0], parts[1], parts[2]);
    return 0;
}

/* ---- QueryValues -------------------------------------------------------------- */

typedef struct query_ctx {
    Rci__V1__QueryValuesRequest *req;   /* taken from the call: owned */
    int page_size;
} query_ctx;

static void query_ctx_free(void *arg)
{
    query_ctx *ctx = arg;
    protobuf_c_message_free_unpacked(&ctx->req->base, NULL);
    free(ctx);
}

static void query_done(rci_call *call, const PGresult *res)
{
    query_ctx *ctx = rci_call_data(call);
    int n = PQntuples(res);
    if (PQnfields(res) != VALUE_COLUMNS) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the values query");
        return;
    }
    int more = n > ctx->page_size;
    if (more)
        n = ctx->page_size;
    Rci__V1__Value *vals = calloc((size_t)n + 1, sizeof *vals);
    Rci__V1__Value **ptrs = calloc((size_t)n + 1, sizeof *ptrs);
    Google__Protobuf__Timestamp *ts = calloc((size_t)n + 1, sizeof *ts);
    char *token = NULL;
    if (!vals || !ptrs || !ts) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        Rci__V1__Value *v = &vals[i];
        rci__v1__value__init(v);
        google__protobuf__timestamp__init(&ts[i]);
        v->indicator = PQgetvalue(res, i, 0);
        v->region = PQgetvalue(res, i, 1);
        v->period = PQgetvalue(res, i, 2);
        v->value = PQgetvalue(res, i, 3);
        v->note = PQgetvalue(res, i, 4);
        v->revision = atoi(PQgetvalue(res, i, 5));
        v->agency_code = PQgetvalue(res, i, 6);
        set_timestamp(&ts[i], PQgetvalue(res, i, 7));
        v->recorded_at = &ts[i];
        v->late = PQgetvalue(res, i, 8)[0] == 't';
        ptrs[i] = v;
    }
    Rci__V1__QueryValuesResponse resp = RCI__V1__QUERY_VALUES_RESPONSE__INIT;
    resp.n_values = (size_t)n;
    resp.values = ptrs;
    if (more) {
        token = page_token_make(vals[n - 1].indicator, vals[n - 1].region, vals[n - 1].period);
        resp.next_page_token = token ? token : "";
    }
    rci_call_reply(call, &resp.base);
out:
    free(token);
    free(ts);
    free(ptrs);
    free(vals);
}

/* as_of → µs since the epoch; refuses instants in the future. */
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

static void query_authed(rci_call *call, const rci_identity *who)
{
    (void)who;
    query_ctx *ctx = rci_call_data(call);
    const Rci__V1__QueryValuesRequest *req = ctx->req;
    char *inds = NULL, *regs = NULL, *after = NULL;
    char from[RCI_DATE_TEXT_MAX], to[RCI_DATE_TEXT_MAX], limit[16], asof[24];
    if (req->page_size < 0 || req->page_size > PAGE_MAX) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "page_size: 0 (default %d) to %d",
                        PAGE_DEFAULT, PAGE_MAX);
        return;
    }
    ctx->page_size = req->page_size ? req->page_size : PAGE_DEFAULT;
    snprintf(limit, sizeof limit, "%d", ctx->page_size + 1);
    if (codes_literal(req->indicators, req->n_indicators, "indicators", call, &inds) != 0 ||
        codes_literal(req->regions, req->n_regions, "regions", call, &regs) != 0 ||
        period_bound(call, req->period_from, 0, "period_from", from) != 0 ||
        period_bound(call, req->period_to, 1, "period_to", to) != 0 ||
        page_token_literal(call, req->page_token, &after) != 0 ||
        (req->as_of && as_of_usec(call, req->as_of, asof) != 0))
        goto out;
    if (req->as_of) {
        const char *p[7] = {asof, inds, regs, from[0] ? from : NULL, to[0] ? to : NULL, after, limit};
        rci_call_query(call, stmt_as_of, p, query_done);
    } else {
        const char *p[6] = {inds, regs, from[0] ? from : NULL, to[0] ? to : NULL, after, limit};
        rci_call_query(call, stmt_latest, p, query_done);
    }
out:
    free(inds);
    free(regs);
    free(after);
}

static void query_values(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    query_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    ctx->req = (Rci__V1__QueryValuesRequest *)rci_call_take_request(call);
    rci_call_set_data(call, ctx, query_ctx_free);
    rci_auth(call, query_authed);
}

/* ---- GetHistory ------------------------------------------------------------------ */

static void history_done(rci_call *call, const PGresult *res)
{
    int n = PQntuples(res);
    if (PQnfields(res) != 8) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the history query");
        return;
    }
    if (n == 0) {
        const Rci__V1__GetHistoryRequest *req = rci_call_data(call);
        rci_call_finish(call, RCI_NOT_FOUND, "no value was ever pushed for (%s, %s, %s)",
                        req->indicator, req->region, req->period);
        return;
    }
    Rci__V1__Revision *revs = calloc((size_t)n, sizeof *revs);
    Rci__V1__Revision **ptrs = calloc((size_t)n, sizeof *ptrs);
    Google__Protobuf__Timestamp *ts = calloc((size_t)n, sizeof *ts);
    if (!revs || !ptrs || !ts) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        Rci__V1__Revision *r = &revs[i];
        rci__v1__revision__init(r);
        google__protobuf__timestamp__init(&ts[i]);
        r->revision = atoi(PQgetvalue(res, i, 0));
        r->value = PQgetvalue(res, i, 1);
        r->note = PQgetvalue(res, i, 2);
        r->agency_code = PQgetvalue(res, i, 3);
        r->token_id = atoll(PQgetvalue(res, i, 4));
        r->request_id = PQgetvalue(res, i, 5);
        r->reason = PQgetvalue(res, i, 6);
        set_timestamp(&ts[i], PQgetvalue(res, i, 7));
        r->recorded_at = &ts[i];
        ptrs[i] = r;
    }
    Rci__V1__GetHistoryResponse resp = RCI__V1__GET_HISTORY_RESPONSE__INIT;
    resp.n_revisions = (size_t)n;
    resp.revisions = ptrs;
    rci_call_reply(call, &resp.base);
out:
    free(ts);
    free(ptrs);
    free(revs);
}

static void history_authed(rci_call *call, const rci_identity *who)
{
    (void)who;
    const Rci__V1__GetHistoryRequest *req = rci_call_data(call);
    if (!req->indicator[0] || !req->region[0] || !req->period[0]) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "indicator, region and period are all required");
        return;
    }
    const char *p[3] = {req->indicator, req->region, req->period};
    rci_call_query(call, stmt_history, p, history_done);
}

static void free_request(void *req)
{
    protobuf_c_message_free_unpacked(req, NULL);
}

static void get_history(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    rci_call_set_data(call, rci_call_take_request(call), free_request);
    rci_auth(call, history_authed);
}

static const rci_method values_methods[] = {
    {"/rci.v1.IndicatorService/QueryValues", &rci__v1__query_values_request__descriptor,
     query_values, NULL},
    {"/rci.v1.IndicatorService/GetHistory", &rci__v1__get_history_request__descriptor,
     get_history, NULL},
};

int rci_values_init(char *err, size_t errlen)
{
    stmt_latest = rci_store_register("values_latest", sql_latest, 6);
    stmt_as_of = rci_store_register("values_as_of", sql_as_of, 7);
    stmt_history = rci_store_register("values_history", sql_history, 3);
    return rci_dispatch_register(values_methods, sizeof values_methods / sizeof values_methods[0],
                                 err, errlen);
}
