/* alerts.c: rci.v1.AlertService — WatchAlerts (a stream of the alerts the
 * server raises, live and on resume) and ListAlerts (the same, in pages).
 *
 * Alerts are raised inside the write transactions of the air and water
 * services by rci_raise_alert (migrations/0011_alerts.sql), which hands out
 * ids in commit order and sends NOTIFY rci_alerts at commit. So a reader
 * always sees every alert up to some id (the "prefix rule" of 0011), and
 * "every alert with id > N" is a complete resume point.
 *
 * Who sees what: an agency sees the alerts that concern its own city; an
 * admin token sees all. Asking for another city is PERMISSION_DENIED
 * naming it; an unknown kind or a malformed city code is INVALID_ARGUMENT.
 *
 * A stream on this loop (alert_watcher) is in one of two phases:
 *
 *   catching up  its own queries, tied to its call, read alerts with
 *                id > w->last that it may see, oldest first, in pages;
 *                each answer also carries the highest id that query's
 *                snapshot could see ("seen"), and by the prefix rule every
 *                alert up to it was examined, so w->last may move there
 *                even when the last ones did not match. A stream without
 *                after_id starts here with no rows, only "seen": live from
 *                that point.
 *   live         the loop's fetch hands it each new alert with id > w->last.
 *
 * The loop's fetch (one query per loop, not per stream, so a thousand
 * streams cost one query per alert) starts when a notification arrives or
 * the listener reports a gap, reads every alert with id > loop.upto, and
 * fans them out to the live streams in memory. A stream leaves catching up
 * only when its own "seen" has reached loop.upto, so nothing that the loop
 * fetched while it was catching up can slip between the two phases; it
 * catches up again otherwise. Sending only id > w->last rules out repeats.
 *
 * Every function here runs on the loop thread; the per-loop state is
 * thread-local, as the loop owns its thread (same as std/health.c).
 */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"
#include "platform/auth.h"
#include "platform/call.h"
#include "platform/dispatch.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "platform/store.h"
#include "rci/v1/alerts.pb-c.h"

#define ALERTS_PAGE 500         /* rows per catch-up or fetch query */
#define LIST_PAGE_DEFAULT 100
#define LIST_PAGE_MAX 1000
#define FILTER_MAX 64           /* cities or kinds in one request */
#define CHANNEL "rci_alerts"
#define RETRY_MS 250            /* after a failed fetch (e.g. the pool's queue was full) */

static const char *const alert_kinds[] = {"water.off_target", "air.heavy_pollution",
                                          "water.joint_discrepancy"};

/* $1 after id (NULL: no rows, only the high-water mark), $2 cities (NULL:
 * any), $3 kinds (NULL: any), $4 page size. First row 'h': the highest id
 * this statement's snapshot sees. Then 'a' rows: id, kind, severity,
 * cities joined with ',', subject, message, raised_at (µs since the epoch),
 * detail (JSON text). One statement, so one snapshot for both parts. */
static const char sql_read[] =
    "SELECT 'h', coalesce((SELECT max(id) FROM alerts), 0)::text,\n"
    "       NULL, NULL, NULL, NULL, NULL, NULL, NULL\n"
    "UNION ALL\n"
    "(SELECT 'a', id::text, kind, severity, array_to_string(cities, ','), subject, message,\n"
    "        (extract(epoch FROM raised_at) * 1000000)::bigint::text, detail::text\n"
    "   FROM alerts\n"
    "  WHERE $1::bigint IS NOT NULL AND id > $1::bigint\n"
    "    AND ($2::text[] IS NULL OR cities && $2::text[])\n"
    "    AND ($3::text[] IS NULL OR kind = ANY ($3::text[]))\n"
    "  ORDER BY alerts.id LIMIT $4::int)";

/* $1 city codes: those that are cities. */
static const char sql_cities[] = "SELECT code FROM regions WHERE kind = 'city' AND code = ANY ($1::text[])";

static int stmt_read = -1, stmt_cities = -1;

/* ---- one alert row ------------------------------------------------------------ */

/* An alert as read, with the storage its message points into. */
typedef struct alert_row {
    Rci__V1__Alert msg;
    Google__Protobuf__Timestamp at;
    char *cities_buf;           /* msg.cities point into it */
    char *cities_ptr[FILTER_MAX];
} alert_row;

/* Fill r from result row i (an 'a' row); -1 if it does not fit the shape. */
static int alert_from_row(alert_row *r, const PGresult *res, int i)
{
    memset(r, 0, sizeof *r);
    rci__v1__alert__init(&r->msg);
    google__protobuf__timestamp__init(&r->at);
    char *end;
    errno = 0;
    long long id = strtoll(PQgetvalue(res, i, 1), &end, 10);
    if (errno || *end || id <= 0)
        return -1;
    r->msg.id = id;
    r->msg.kind = PQgetvalue(res, i, 2);
    r->msg.severity = PQgetvalue(res, i, 3);
    r->cities_buf = strdup(PQgetvalue(res, i, 4));
    if (!r->cities_buf)
        return -1;
    for (char *p = r->cities_buf; *p && r->msg.n_cities < FILTER_MAX;) {
        r->cities_ptr[r->msg.n_cities++] = p;
        p += strcspn(p, ",");
        if (*p)
            *p++ = '\0';
    }
    r->msg.cities = r->cities_ptr;
    r->msg.subject = PQgetvalue(res, i, 5);
    r->msg.message = PQgetvalue(res, i, 6);
    long long usec = atoll(PQgetvalue(res, i, 7));
    r->at.seconds = usec / 1000000;
    r->at.nanos = (int32_t)(usec % 1000000) * 1000;
    r->msg.raised_at = &r->at;
    r->msg.detail_json = PQgetvalue(res, i, 8);
    return 0;
}

static void alert_row_clear(alert_row *r)
{
    free(r->cities_buf);
    r->cities_buf = NULL;
}

/* The 'h' row's high-water mark, or -1 if the result is not the expected shape. */
static long long result_seen(const PGresult *res)
{
    if (PQnfields(res) != 9 || PQntuples(res) < 1 || strcmp(PQgetvalue(res, 0, 0), "h") != 0)
        return -1;
    return atoll(PQgetvalue(res, 0, 1));
}

/* ---- filters -------------------------------------------------------------------- */

/* What one caller asked for and may see. */
typedef struct alert_filter {
    int all_cities;             /* no city filter (admin without cities) */
    size_t ncities;
    char cities[FILTER_MAX][16];
    size_t nkinds;
    const char *kinds[FILTER_MAX];   /* point into alert_kinds */
} alert_filter;

static int filter_has_city(const alert_filter *f, const char *city)
{
    for (size_t i = 0; i < f->ncities; i++)
        if (strcmp(f->cities[i], city) == 0)
            return 1;
    return 0;
}

static int filter_match(const alert_filter *f, const Rci__V1__Alert *a)
{
    if (f->nkinds) {
        size_t k = 0;
        while (k < f->nkinds && strcmp(f->kinds[k], a->kind) != 0)
            k++;
        if (k == f->nkinds)
            return 0;
    }
    if (f->all_cities)
        return 1;
    for (size_t i = 0; i < a->n_cities; i++)
        if (filter_has_city(f, a->cities[i]))
            return 1;
    return 0;
}

/* Build the filter from the request and the caller; on a bad request the
 * call is finished and -1 returned. */
static int filter_build(rci_call *call, const rci_identity *who, char **cities, size_t ncities,
                        char **kinds, size_t nkinds, alert_filter *f)
{
    memset(f, 0, sizeof *f);
    if (ncities > FILTER_MAX || nkinds > FILTER_MAX) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "at most %d cities and %d kinds", FILTER_MAX,
                        FILTER_MAX);
        return -1;
    }
    for (size_t i = 0; i < nkinds; i++) {
        size_t k = 0;
        while (k < sizeof alert_kinds / sizeof alert_kinds[0] && strcmp(alert_kinds[k], kinds[i]))
            k++;
        if (k == sizeof alert_kinds / sizeof alert_kinds[0]) {
            rci_call_finish(call, RCI_INVALID_ARGUMENT,
                            "kinds[%zu]: unknown kind \"%.64s\" (water.off_target, "
                            "air.heavy_pollution, water.joint_discrepancy)", i, kinds[i]);
            return -1;
        }
        f->kinds[f->nkinds++] = alert_kinds[k];
    }
    for (size_t i = 0; i < ncities; i++) {
        size_t n = strlen(cities[i]);
        if (n != 6 || strspn(cities[i], "0123456789") != 6) {
            rci_call_finish(call, RCI_INVALID_ARGUMENT,
                            "cities[%zu]: \"%.64s\" is not a GB/T 2260 city code", i, cities[i]);
            return -1;
        }
        if (!who->admin && strcmp(cities[i], who->city_code) != 0) {
            rci_call_finish(call, RCI_PERMISSION_DENIED,
                            "cities[%zu]: agency %s may see the alerts of its own city %s, "
                            "not of %s", i, who->agency_code, who->city_code, cities[i]);
            return -1;
        }
        if (!filter_has_city(f, cities[i]))
            memcpy(f->cities[f->ncities++], cities[i], 7);
    }
    if (f->ncities == 0) {
        if (who->admin) {
            f->all_cities = 1;
        } else if (who->city_code[0]) {
            snprintf(f->cities[0], sizeof f->cities[0], "%s", who->city_code);
            f->ncities = 1;
        } else {
            rci_call_finish(call, RCI_PERMISSION_DENIED,
                            "this token belongs to no agency and is not admin: it sees no alerts");
            return -1;
        }
    }
    return 0;
}

/* The filter's cities and kinds as array literals (NULL for "any"); the
 * codes were checked to need no quoting. Returns -1 on out of memory. */
static int filter_literals(const alert_filter *f, char **cities, char **kinds)
{
    *cities = *kinds = NULL;
    if (!f->all_cities) {
        *cities = malloc(f->ncities * 8 + 3);
        if (!*cities)
            return -1;
        size_t off = 0;
        (*cities)[off++] = '{';
        for (size_t i = 0; i < f->ncities; i++)
            off += (size_t)sprintf(*cities + off, "%s%s", i ? "," : "", f->cities[i]);
        strcpy(*cities + off, "}");
    }
    if (f->nkinds) {
        *kinds = malloc(f->nkinds * 32 + 3);
        if (!*kinds) {
            free(*cities);
            *cities = NULL;
            return -1;
        }
        size_t off = 0;
        (*kinds)[off++] = '{';
        for (size_t i = 0; i < f->nkinds; i++)
            off += (size_t)sprintf(*kinds + off, "%s%s", i ? "," : "", f->kinds[i]);
        strcpy(*kinds + off, "}");
    }
    return 0;
}

/* ---- per-loop state ------------------------------------------------------------------ */

typedef struct alert_watcher {
    rci_call *call;
    Rci__V1__WatchAlertsRequest *req;   /* owned until the filter is built */
    alert_filter filter;
    char *cities_lit, *kinds_lit;       /* the filter for the catch-up query */
    long long last;                     /* every alert <= last is sent or skipped */
    int live;                           /* caught up: the loop's fetch feeds it */
    struct alert_watcher *prev, *next;
} alert_watcher;

typedef struct alert_loop {
    alert_watcher *watchers;
    long long upto;             /* the fetch has read every alert <= upto; -1: not yet */
    int fetching;               /* a fetch query is out */
    int again;                  /* another notification came during it */
    rci_store *store;           /* this loop's store, known from its notifications */
    struct event *retry;        /* a failed fetch tries again; made on first need */
} alert_loop;

static _Thread_local alert_loop loop_state = {.upto = -1};

static void fetch_start(void);

static void fetch_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    if (loop_state.watchers)
        fetch_start();
}

/* Try the fetch again in RETRY_MS: a failure must not leave the loop's
 * streams waiting for the next notification, which may be long in coming. */
static void fetch_retry_later(void)
{
    rci_loop *loop = rci_loop_current();
    if (!loop)
        return;
    if (!loop_state.retry) {
        loop_state.retry = evtimer_new(loop->base, fetch_retry_cb, NULL);
        if (!loop_state.retry)
            return;
    }
    struct timeval tv = {0, RETRY_MS * 1000};
    evtimer_add(loop_state.retry, &tv);
}

static void alerts_loop_exit(void)
{
    if (loop_state.retry) {
        event_free(loop_state.retry);
        loop_state.retry = NULL;
    }
}

static void watcher_unlink(alert_watcher *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else if (loop_state.watchers == w)
        loop_state.watchers = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
}

static void watcher_free(void *arg)
{
    alert_watcher *w = arg;
    watcher_unlink(w);
    if (w->req)
        protobuf_c_message_free_unpacked(&w->req->base, NULL);
    free(w->cities_lit);
    free(w->kinds_lit);
    free(w);
}

/* ---- the loop's fetch ---------------------------------------------------------------- */

static void fan_out(const PGresult *res)
{
    int n = PQntuples(res);
    for (int i = 1; i < n; i++) {
        alert_row r;
        if (alert_from_row(&r, res, i) < 0) {
            alert_row_clear(&r);
            rci_log_error("alerts: an alert row does not fit the message; skipped");
            continue;
        }
        for (alert_watcher *w = loop_state.watchers, *next; w; w = next) {
            next = w->next;   /* a failed send ends the call and frees w */
            if (!w->live || r.msg.id <= w->last)
                continue;
            w->last = r.msg.id;
            if (filter_match(&w->filter, &r.msg))
                rci_call_send(w->call, &r.msg.base);
        }
        alert_row_clear(&r);
    }
}

/* arg: non-NULL for a fetch that read only the high-water mark (the loop
 * had no starting point yet). */
static void fetch_done(void *arg, const PGresult *res, rci_store_err err, const char *msg)
{
    loop_state.fetching = 0;
    long long seen = res ? result_seen(res) : -1;
    if (err != RCI_STORE_OK || seen < 0) {
        /* Nothing lost: the retry (or a notification or gap) reads from upto. */
        rci_log_warn("alerts: reading new alerts failed: %s (retrying)",
                     err ? msg : "unexpected result");
        loop_state.again = 0;
        fetch_retry_later();
        return;
    }
    int n = PQntuples(res);
    if (arg && loop_state.upto >= 0) {
        /* A stream went live meanwhile and set the starting point: this
         * mark may be past alerts it has not seen. Read on from upto. */
        fetch_start();
        return;
    }
    fan_out(res);
    /* A full page read only up to its last row; otherwise the snapshot's high-water mark. */
    long long upto = n - 1 == ALERTS_PAGE ? atoll(PQgetvalue(res, n - 1, 1)) : seen;
    if (upto > loop_state.upto)
        loop_state.upto = upto;
    if (loop_state.again || n - 1 == ALERTS_PAGE) {
        loop_state.again = 0;
        fetch_start();
    }
}

static void fetch_start(void)
{
    if (!loop_state.store)
        return;
    if (loop_state.fetching) {
        loop_state.again = 1;
        return;
    }
    char after[24], page[16];
    snprintf(page, sizeof page, "%d", ALERTS_PAGE);
    if (loop_state.upto >= 0)
        snprintf(after, sizeof after, "%lld", loop_state.upto);
    /* Without a starting point only the high-water mark is read: no stream
     * is live yet, and each catches up by itself to where the loop is. */
    const char *params[4] = {loop_state.upto >= 0 ? after : NULL, NULL, NULL, page};
    if (rci_store_query(loop_state.store, stmt_read, params, fetch_done,
                        loop_state.upto >= 0 ? NULL : (void *)1))
        loop_state.fetching = 1;
    else
        fetch_retry_later();   /* the store is down: try again until it is back */
}

/* NOTIFY rci_alerts (payload: the id) or a gap in listening: read on, if
 * anyone on this loop listens. A gap needs no more than that, because the
 * fetch reads by id, not by notification. */
static void alerts_notified(rci_store *s, const char *channel, const char *payload)
{
    (void)channel;
    loop_state.store = s;
    if (payload && loop_state.upto >= 0) {
        long long id = atoll(payload);
        if (id > 0 && id <= loop_state.upto)
            return;   /* already read */
    }
    if (loop_state.watchers)
        fetch_start();
}

/* ---- WatchAlerts ------------------------------------------------------------------------ */

static void catch_up(rci_call *call);

static void catch_up_done(rci_call *call, const PGresult *res)
{
    alert_watcher *w = rci_call_data(call);
    long long seen = result_seen(res);
    if (!w || seen < 0) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result reading alerts");
        return;
    }
    int n = PQntuples(res);
    for (int i = 1; i < n; i++) {
        alert_row r;
        if (alert_from_row(&r, res, i) < 0) {
            alert_row_clear(&r);
            rci_call_finish(call, RCI_INTERNAL, "an alert row does not fit the message");
            return;
        }
        if (r.msg.id > w->last) {
            w->last = r.msg.id;
            if (rci_call_send(call, &r.msg.base) < 0) {
                alert_row_clear(&r);
                return;   /* the call has ended; w is freed */
            }
        }
        alert_row_clear(&r);
    }
    if (n - 1 == ALERTS_PAGE) {   /* more rows: read on from the last sent */
        catch_up(call);
        return;
    }
    /* Every alert up to seen was examined (the prefix rule of 0011). */
    if (seen > w->last)
        w->last = seen;
    if (loop_state.upto >= 0 && loop_state.upto > w->last) {
        catch_up(call);           /* the loop read further meanwhile */
        return;
    }
    w->live = 1;
    /* The loop's first live stream gives it its starting point: every
     * alert up to w->last has been examined for w, and no other stream is
     * live yet. */
    if (loop_state.upto < 0)
        loop_state.upto = w->last;
}

static void catch_up(rci_call *call)
{
    alert_watcher *w = rci_call_data(call);
    char after[24], page[16];
    snprintf(after, sizeof after, "%lld", w->last);
    snprintf(page, sizeof page, "%d", ALERTS_PAGE);
    const char *params[4] = {w->last >= 0 ? after : NULL, w->cities_lit, w->kinds_lit, page};
    rci_call_query(call, stmt_read, params, catch_up_done);
}

static void watch_cities_checked(rci_call *call, const PGresult *res)
{
    alert_watcher *w = rci_call_data(call);
    for (size_t i = 0; i < w->filter.ncities; i++) {
        int found = 0;
        for (int r = 0; r < PQntuples(res) && !found; r++)
            found = strcmp(PQgetvalue(res, r, 0), w->filter.cities[i]) == 0;
        if (!found) {
            rci_call_finish(call, RCI_INVALID_ARGUMENT, "cities: %s is not a city",
                            w->filter.cities[i]);
            return;
        }
    }
    catch_up(call);
}

static void watch_authed(rci_call *call, const rci_identity *who)
{
    alert_watcher *w = rci_call_data(call);
    Rci__V1__WatchAlertsRequest *req = w->req;
    if (filter_build(call, who, req->cities, req->n_cities, req->kinds, req->n_kinds,
                     &w->filter) < 0)
        return;
    if (req->after_id && req->after_id->value < 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "after_id: must not be negative");
        return;
    }
    /* -1: start live, from the high-water mark of the first catch-up. */
    w->last = req->after_id ? req->after_id->value : -1;
    protobuf_c_message_free_unpacked(&req->base, NULL);
    w->req = NULL;
    if (filter_literals(&w->filter, &w->cities_lit, &w->kinds_lit) < 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    w->next = loop_state.watchers;
    if (loop_state.watchers)
        loop_state.watchers->prev = w;
    loop_state.watchers = w;
    if (w->filter.all_cities || !w->cities_lit) {
        catch_up(call);
        return;
    }
    const char *params[1] = {w->cities_lit};
    rci_call_query(call, stmt_cities, params, watch_cities_checked);
}

static void watch_alerts(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    alert_watcher *w = calloc(1, sizeof *w);
    if (!w) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    w->call = call;
    w->req = (Rci__V1__WatchAlertsRequest *)rci_call_take_request(call);
    rci_call_set_data(call, w, watcher_free);
    rci_auth(call, watch_authed);
}

/* ---- ListAlerts ---------------------------------------------------------------------------- */

typedef struct list_ctx {
    Rci__V1__ListAlertsRequest *req;
    char *cities_lit, *kinds_lit;
} list_ctx;

static void list_ctx_free(void *arg)
{
    list_ctx *c = arg;
    if (c->req)
        protobuf_c_message_free_unpacked(&c->req->base, NULL);
    free(c->cities_lit);
    free(c->kinds_lit);
    free(c);
}

static void list_done(rci_call *call, const PGresult *res)
{
    if (result_seen(res) < 0) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result reading alerts");
        return;
    }
    int n = PQntuples(res) - 1;
    Rci__V1__ListAlertsResponse resp = RCI__V1__LIST_ALERTS_RESPONSE__INIT;
    alert_row *rows = calloc(n > 0 ? (size_t)n : 1, sizeof *rows);
    Rci__V1__Alert **ptrs = calloc(n > 0 ? (size_t)n : 1, sizeof *ptrs);
    if (!rows || !ptrs) {
        free(rows);
        free(ptrs);
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    int ok = 1;
    for (int i = 0; i < n && ok; i++) {
        ok = alert_from_row(&rows[i], res, i + 1) == 0;
        ptrs[i] = &rows[i].msg;
    }
    if (ok) {
        resp.alerts = ptrs;
        resp.n_alerts = (size_t)n;
        resp.last_id = n > 0 ? rows[n - 1].msg.id : 0;
        resp.latest_id = result_seen(res);
        rci_call_reply(call, &resp.base);
    } else {
        rci_call_finish(call, RCI_INTERNAL, "an alert row does not fit the message");
    }
    for (int i = 0; i < n; i++)
        alert_row_clear(&rows[i]);
    free(rows);
    free(ptrs);
}

static void list_authed(rci_call *call, const rci_identity *who)
{
    list_ctx *c = rci_call_data(call);
    const Rci__V1__ListAlertsRequest *req = c->req;
    alert_filter f;
    if (filter_build(call, who, req->cities, req->n_cities, req->kinds, req->n_kinds, &f) < 0)
        return;
    if (req->after_id < 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "after_id: must not be negative");
        return;
    }
    if (req->page_size < 0 || req->page_size > LIST_PAGE_MAX) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "page_size: 0 (default %d) to %d",
                        LIST_PAGE_DEFAULT, LIST_PAGE_MAX);
        return;
    }
    if (filter_literals(&f, &c->cities_lit, &c->kinds_lit) < 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    char after[24], page[16];
    snprintf(after, sizeof after, "%lld", (long long)req->after_id);
    snprintf(page, sizeof page, "%d", req->page_size ? req->page_size : LIST_PAGE_DEFAULT);
    const char *params[4] = {after, c->cities_lit, c->kinds_lit, page};
    rci_call_query(call, stmt_read, params, list_done);
}

static void list_alerts(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    list_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    c->req = (Rci__V1__ListAlertsRequest *)rci_call_take_request(call);
    rci_call_set_data(call, c, list_ctx_free);
    rci_auth(call, list_authed);
}

/* ---- registration -------------------------------------------------------------------------- */

static const rci_method alert_methods[] = {
    {"/rci.v1.AlertService/WatchAlerts", &rci__v1__watch_alerts_request__descriptor,
     watch_alerts, NULL},
    {"/rci.v1.AlertService/ListAlerts", &rci__v1__list_alerts_request__descriptor, list_alerts,
     NULL},
};

int rci_alerts_init(char *err, size_t errlen)
{
    if (stmt_read < 0) {
        stmt_read = rci_store_register("alerts_read", sql_read, 4);
        stmt_cities = rci_store_register("alerts_cities", sql_cities, 1);
        rci_store_listen(CHANNEL, alerts_notified);
        rci_loop_at_exit(alerts_loop_exit);
    }
    return rci_dispatch_register(alert_methods, sizeof alert_methods / sizeof alert_methods[0],
                                 err, errlen);
}
