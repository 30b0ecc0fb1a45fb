/* store.c: PostgreSQL on the event loop — a per-loop pool of libpq
 * connections driven only by libpq's asynchronous API (grpc-wire.md §10).
 *
 * Owns: the process-wide table of registered statements; for each pool its
 * connections, the queue of requests waiting for one, and the list of
 * requests refused with BUSY that wait to be told so.
 *
 * A connection walks DOWN → CONNECTING → PREPARING → IDLE ⇄ BUSY and back
 * to DOWN on any failure, where a backoff timer (100 ms doubling to 5 s)
 * starts the next attempt. Every wait is one level-triggered libevent event
 * on PQsocket() (re-read after every PQconnectPoll), so an idle connection
 * always has a read armed and notices a server that goes away at once.
 *
 * A request is QUEUED (on s->queue), REFUSED (on s->refused, BUSY pending
 * delivery), RUNNING (c->req), or DELIVERING (inside its callback).
 * Callbacks are only ever called from libevent callbacks of this module —
 * the kick event, a connection's socket event or its timer — never from
 * inside rci_store_query, so callers need not guard against re-entry.
 * A callback may call rci_store_query and rci_store_cancel, but must not
 * call rci_store_free (which itself calls the callbacks of everything still
 * outstanding, with UNAVAILABLE).
 *
 * Connection keywords: connect_timeout=5, client_encoding=UTF8 and
 * fallback_application_name come before the expanded conninfo, so the
 * conninfo may override them. libpq does not enforce connect_timeout in
 * PQconnectPoll; the connection's timer does, over connect + prepare.
 * A statement the server refuses to prepare does not keep the pool down:
 * it is logged and its queries fail with FAILED and the reason.
 * stats.reconnects counts connection attempts made after a failure or a
 * loss, so it keeps rising while the server stays away.
 *
 * Notifications: when channels are registered (rci_store_listen), each pool
 * has one more connection, the listener, which prepares nothing, runs
 * LISTEN for every channel and then only reads: DOWN → CONNECTING →
 * PREPARING (the LISTEN) → LISTENING. It never takes requests. PostgreSQL
 * keeps no notifications for a client that is not listening, so the
 * listener reports a gap (payload NULL) whenever it stops listening and
 * again once it listens anew; whoever caches on the strength of
 * notifications starts over at each gap.
 */
#include "platform/store.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "platform/log.h"

#define STORE_MAX_STMTS 256
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define SSL_EXTRA_READS 4   /* bounded re-reads while TLS may hold bytes */
#define MSG_LEN 512

/* ---- registered statements (process-wide, read-only once stores run) ---- */

typedef struct stmt_def {
    const char *name;
    const char *sql;
    int nparams;
} stmt_def;

static stmt_def stmts[STORE_MAX_STMTS];
static int nstmts;

/* ---- notification channels (process-wide, like the statements) ---------- */

#define STORE_MAX_CHANNELS 8
#define CHANNEL_MAX 63   /* PostgreSQL's NAMEDATALEN - 1 */

typedef struct channel_def {
    const char *name;
    rci_store_notify_cb cb;
} channel_def;

static channel_def channels[STORE_MAX_CHANNELS];
static int nchannels;

/* A channel name goes into LISTEN unquoted, so it must be a plain
 * lower-case identifier. Misuse aborts at start-up, as for statements. */
void rci_store_listen(const char *channel, rci_store_notify_cb cb)
{
    size_t n = channel ? strlen(channel) : 0;
    int ok = n > 0 && n <= CHANNEL_MAX && cb && !(channel[0] >= '0' && channel[0] <= '9');
    for (size_t i = 0; ok && i < n; i++)
        ok = (channel[i] >= 'a' && channel[i] <= 'z') || (channel[i] >= '0' && channel[i] <= '9') ||
             channel[i] == '_';
    if (!ok || nchannels == STORE_MAX_CHANNELS) {
        rci_log_error("store: rci_store_listen: bad channel %s or more than %d channels",
                      channel ? channel : "(null)", STORE_MAX_CHANNELS);
        abort();
    }
    channels[nchannels++] = (channel_def){channel, cb};
}

/* Register a statement. Misuse (table full, duplicate name, missing text)
 * is a programming error found at start-up, so it aborts loudly rather than
 * hand back an index that would fail every query later. */
int rci_store_register(const char *name, const char *sql, int nparams)
{
    if (!name || !*name || !sql || nparams < 0) {
        rci_log_error("store: rci_store_register: bad arguments for statement %s",
                      name ? name : "(null)");
        abort();
    }
    for (int i = 0; i < nstmts; i++) {
        if (strcmp(stmts[i].name, name) == 0) {
            rci_log_error("store: statement %s registered twice", name);
            abort();
        }
    }
    if (nstmts == STORE_MAX_STMTS) {
        rci_log_error("store: more than %d statements registered (at %s)", STORE_MAX_STMTS,
                      name);
        abort();
    }
    stmts[nstmts] = (stmt_def){name, sql, nparams};
    return nstmts++;
}

/* ---- types ---------------------------------------------------------------- */

typedef enum { REQ_QUEUED, REQ_REFUSED, REQ_RUNNING, REQ_DELIVERING } req_state;

struct rci_store_req {
    TAILQ_ENTRY(rci_store_req) link;
    rci_store *s;
    req_state state;
    int stmt;
    rci_store_cb cb; /* NULL once cancelled */
    void *arg;
    char *params[];  /* stmts[stmt].nparams copies, in the same allocation */
};

TAILQ_HEAD(req_list, rci_store_req);

typedef enum {
    CONN_DOWN, CONN_CONNECTING, CONN_PREPARING, CONN_IDLE, CONN_BUSY, CONN_LISTENING
} conn_state;

typedef struct conn {
    rci_store *s;
    int id;
    int listener;         /* the pool's listener: LISTEN, never requests */
    conn_state state;
    PGconn *pg;
    struct event *ev;     /* the one socket wait, recreated when fd or flags change */
    int ev_fd;
    short ev_what;
    struct event *timer;  /* backoff while DOWN, connect timeout while connecting */
    int backoff_ms;
    int failures;         /* consecutive failed attempts (log throttle) */
    int lost;             /* lost since it was last ready */
    int flushing;         /* PQflush left output queued: also wait writable */
    size_t err_seen;      /* PQerrorMessage bytes already reported */
    int prep_next;        /* statement being prepared */
    unsigned char prep_failed[STORE_MAX_STMTS / 8];
    rci_store_req *req;   /* running request, NULL when idle or preparing */
    PGresult *res;        /* last successful result of the running statement */
    rci_store_err err;    /* first error of the running statement */
    char msg[MSG_LEN];
    char fatal[MSG_LEN];  /* last FATAL the server sent before closing */
} conn;

struct rci_store {
    struct event_base *base;
    char *conninfo;
    char *application_name;
    int max_queue;
    rci_store_state_cb state_cb;
    void *state_arg;
    int nconns;           /* the pool, plus the listener when channels exist */
    conn *conns;
    int listening;        /* the listener's LISTEN is in force */
    int nready;                 /* connections IDLE or BUSY */
    int up;                     /* last state reported to state_cb */
    int closing;
    struct req_list queue;
    int nqueued;
    struct req_list refused;    /* BUSY, waiting for the kick to say so */
    struct event *kick;         /* deliver refusals, dispatch the queue */
    char *prep_err[STORE_MAX_STMTS]; /* why a statement failed to prepare */
    unsigned long long queries, failures, reconnects;
};

static void conn_event(evutil_socket_t fd, short what, void *arg);
static void conn_timer(evutil_socket_t fd, short what, void *arg);
static void conn_start(conn *c);
static void conn_lost(conn *c, rci_store_err err, const char *why);
static int conn_flush_and_wait(conn *c);
static void store_dispatch(rci_store *s);

/* ---- small helpers --------------------------------------------------------- */

/* Copy a libpq message into buf as one line: newlines and tabs become
 * single spaces, trailing space is dropped. */
static void copy_msg(char *buf, size_t len, const char *msg)
{
    if (!msg || !*msg)
        msg = "unknown error";
    size_t n = 0;
    for (const char *p = msg; *p && n + 1 < len; p++) {
        char ch = (*p == '\n' || *p == '\t') ? ' ' : *p;
        if (ch == ' ' && (n == 0 || buf[n - 1] == ' '))
            continue;
        buf[n++] = ch;
    }
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
}

/* Map an error result to its class and "SQLSTATE: message". */
static rci_store_err classify(const PGresult *r, char *buf, size_t len)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    if (!state) {
        /* Generated by libpq itself: the connection failed under us. */
        copy_msg(buf, len, PQresultErrorMessage(r));
        return RCI_STORE_UNAVAILABLE;
    }
    char text[MSG_LEN - 16];
    copy_msg(text, sizeof text, primary ? primary : PQresultErrorMessage(r));
    snprintf(buf, len, "%.5s: %s", state, text);
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return RCI_STORE_ABORTED;
    /* connection_exception, admin/crash shutdown, cannot_connect_now */
    if (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
        strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0)
        return RCI_STORE_UNAVAILABLE;
    return RCI_STORE_FAILED;
}

/* libpq's error text since the last statement finished: PQerrorMessage
 * accumulates until the next statement starts, so an idle connection's
 * loss would otherwise repeat the previous statement's error. */
static const char *conn_error(const conn *c)
{
    const char *m = PQerrorMessage(c->pg);
    size_t n = strlen(m);
    return n > c->err_seen ? m + c->err_seen : "connection closed";
}

static int count_state(const rci_store *s, conn_state st)
{
    int n = 0;
    for (int i = 0; i < s->nconns; i++)
        n += s->conns[i].state == st;
    return n;
}

/* Call req's callback (unless cancelled) and free it. */
static void deliver(rci_store_req *req, const PGresult *res, rci_store_err err, const char *msg)
{
    rci_store *s = req->s;
    if (err == RCI_STORE_OK && !res) {
        err = RCI_STORE_FAILED;
        msg = "statement returned no result";
    }
    s->queries++;
    if (err != RCI_STORE_OK)
        s->failures++;
    if (req->cb) {
        req->state = REQ_DELIVERING;
        req->cb(req->arg, err == RCI_STORE_OK ? res : NULL, err,
                err == RCI_STORE_OK ? "" : (msg ? msg : "error"));
    }
    free(req);
}

/* Fail every queued request (the pool has no ready connection left). */
static void fail_queue(rci_store *s, rci_store_err err, const char *msg)
{
    rci_store_req *req;
    while ((req = TAILQ_FIRST(&s->queue))) {
        TAILQ_REMOVE(&s->queue, req, link);
        s->nqueued--;
        deliver(req, NULL, err, msg);
    }
}

/* Report a change of reachability; on down, fail whatever is queued. */
static void store_update_state(rci_store *s)
{
    int up = s->nready > 0;
    if (up == s->up || s->closing)
        return;
    s->up = up;
    if (up)
        rci_log_info("store: database available");
    else
        rci_log_warn("store: database unavailable, no connection left");
    if (s->state_cb)
        s->state_cb(s->state_arg, up);
    if (!up)
        fail_queue(s, RCI_STORE_UNAVAILABLE, "database unavailable: connection lost");
}

/* ---- the socket wait --------------------------------------------------------- */

static void conn_unwatch(conn *c)
{
    if (c->ev) {
        event_del(c->ev);   /* before PQfinish closes the fd */
        event_free(c->ev);
        c->ev = NULL;
    }
}

/* Wait for what (EV_READ and/or EV_WRITE) on the connection's current
 * socket. Level-triggered and persistent; recreated only when the socket or
 * the flags change. Returns -1 if the wait cannot be set up. */
static int conn_watch(conn *c, short what)
{
    int fd = PQsocket(c->pg);
    if (fd < 0)
        return -1;
    if (c->ev && c->ev_fd == fd && c->ev_what == what)
        return 0;
    conn_unwatch(c);
    c->ev = event_new(c->s->base, fd, what | EV_PERSIST, conn_event, c);
    if (!c->ev)
        return -1;
    if (event_add(c->ev, NULL) < 0) {
        event_free(c->ev);
        c->ev = NULL;
        return -1;
    }
    c->ev_fd = fd;
    c->ev_what = what;
    return 0;
}

/* ---- notifications ---------------------------------------------------------- */

/* Tell every channel that notifications may have been missed. */
static void store_notify_gap(rci_store *s)
{
    if (s->closing)
        return;
    for (int i = 0; i < nchannels; i++)
        channels[i].cb(s, channels[i].name, NULL);
}

/* Send LISTEN for every channel, in one simple query. */
static void conn_listen_start(conn *c)
{
    char sql[STORE_MAX_CHANNELS * (CHANNEL_MAX + 9) + 1];
    size_t n = 0;
    for (int i = 0; i < nchannels; i++)
        n += (size_t)snprintf(sql + n, sizeof sql - n, "LISTEN %s;", channels[i].name);
    c->err_seen = 0;
    if (!PQsendQuery(c->pg, sql)) {
        conn_lost(c, RCI_STORE_UNAVAILABLE, conn_error(c));
        return;
    }
    conn_flush_and_wait(c);
}

/* The LISTEN finished: from now on every notification reaches its channel. */
static void conn_listening(conn *c, rci_store_err err, const char *msg)
{
    if (err != RCI_STORE_OK) {
        conn_lost(c, RCI_STORE_UNAVAILABLE, msg);
        return;
    }
    evtimer_del(c->timer);
    if (c->lost || c->failures > 0)
        rci_log_info("store: listener connection ready again");
    c->failures = 0;
    c->lost = 0;
    c->backoff_ms = BACKOFF_MIN_MS;
    c->state = CONN_LISTENING;
    if (conn_watch(c, EV_READ) < 0) {
        conn_lost(c, RCI_STORE_UNAVAILABLE, "cannot watch the connection's socket");
        return;
    }
    c->s->listening = 1;
    store_notify_gap(c->s);
}

/* Hand each notification that has arrived to its channel's callback. */
static void conn_deliver_notifies(conn *c)
{
    for (PGnotify *n; (n = PQnotifies(c->pg));) {
        for (int i = 0; i < nchannels && !c->s->closing; i++)
            if (strcmp(channels[i].name, n->relname) == 0)
                channels[i].cb(c->s, n->relname, n->extra ? n->extra : "");
        PQfreemem(n);
    }
}

/* ---- losing a connection -------------------------------------------------- */

static void conn_close(conn *c)
{
    conn_unwatch(c);
    if (c->pg) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    if (c->res) {
        PQclear(c->res);
        c->res = NULL;
    }
    evtimer_del(c->timer);
    c->err = RCI_STORE_OK;
    c->flushing = 0;
    c->state = CONN_DOWN;
}

/* The connection failed (while connecting) or was lost (after): close it,
 * schedule the next attempt, update the pool's state and fail the request
 * that was running on it with err. */
static void conn_lost(conn *c, rci_store_err err, const char *why)
{
    rci_store *s = c->s;
    char msg[2 * MSG_LEN];
    int was_ready = c->state == CONN_IDLE || c->state == CONN_BUSY;
    int was_listening = c->state == CONN_LISTENING;
    if (c->fatal[0])
        snprintf(msg, sizeof msg, "%s", c->fatal);
    else
        copy_msg(msg, sizeof msg, why);
    rci_store_req *req = c->req;
    c->req = NULL;
    conn_close(c);
    c->fatal[0] = '\0';

    if (was_ready || was_listening) {
        rci_log_warn("store: database %s %d lost: %s", c->listener ? "listener" : "connection",
                     c->id, msg);
        c->lost = 1;
    } else {
        if (c->failures == 0)
            rci_log_warn("store: database connection %d failed: %s (retrying)", c->id, msg);
        else
            rci_log_debug("store: database connection %d failed again: %s", c->id, msg);
        c->failures++;
    }

    if (!s->closing) {
        struct timeval tv = {c->backoff_ms / 1000, (c->backoff_ms % 1000) * 1000};
        evtimer_add(c->timer, &tv);
        c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
    }
    if (was_ready) {
        s->nready--;
        store_update_state(s);
    }
    if (c->listener && s->listening) {
        s->listening = 0;
        store_notify_gap(s);
    }
    if (req) {
        char full[2 * MSG_LEN + 32];
        if (err == RCI_STORE_UNAVAILABLE)
            snprintf(full, sizeof full, "database unavailable: %s", msg);
        else
            snprintf(full, sizeof full, "%s", msg);
        deliver(req, NULL, err, full);
    }
}

/* ---- notices ---------------------------------------------------------------- */

static void conn_notice(void *arg, const PGresult *r)
{
    conn *c = arg;
    const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    char text[MSG_LEN - 16];
    copy_msg(text, sizeof text, PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
    if ((sev && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0)) ||
        (state && strncmp(state, "57P0", 4) == 0)) {
        /* An idle connection hears why the server is about to close it. */
        snprintf(c->fatal, sizeof c->fatal, "%.5s: %s", state ? state : "?????", text);
        rci_log_debug("store: connection %d: server says %s", c->id, c->fatal);
    } else if (sev && strcmp(sev, "WARNING") == 0) {
        rci_log_warn("store: connection %d: postgres warning %s: %s", c->id,
                     state ? state : "", text);
    } else {
        rci_log_debug("store: connection %d: postgres %s: %s", c->id, sev ? sev : "notice",
                      text);
    }
}

/* ---- connecting and preparing ------------------------------------------------ */

/* libpq ignores connect_timeout in PQconnectPoll; read it back and enforce
 * it ourselves with the connection's timer (same rules: <= 0 is none, the
 * minimum is 2 s). */
static int conn_timeout_sec(PGconn *pg)
{
    int sec = 0;
    PQconninfoOption *opts = PQconninfo(pg);
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (strcmp(o->keyword, "connect_timeout") == 0 && o->val)
            sec = atoi(o->val);
    }
    PQconninfoFree(opts);
    return sec <= 0 ? 0 : sec < 2 ? 2 : sec;
}

static void conn_start(conn *c)
{
    rci_store *s = c->s;
    /* Entries before dbname are defaults the conninfo may override; dbname
     * is expanded (URL or key=value string). */
    const char *keys[] = {"connect_timeout", "client_encoding", "fallback_application_name",
                          "dbname", NULL};
    const char *vals[] = {"5", "UTF8", s->application_name ? s->application_name : "rcid",
                          s->conninfo, NULL};
    c->pg = PQconnectStartParams(keys, vals, 1);
    c->err_seen = 0;
    if (!c->pg) {
        conn_lost(c, RCI_STORE_UNAVAILABLE, "out of memory");
        return;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_lost(c, RCI_STORE_UNAVAILABLE, conn_error(c));
        return;
    }
    PQsetnonblocking(c->pg, 1);
    PQsetNoticeReceiver(c->pg, conn_notice, c);
    c->state = CONN_CONNECTING;
    int sec = conn_timeout_sec(c->pg);
    if (sec > 0) {
        struct timeval tv = {sec, 0};
        evtimer_add(c->timer, &tv);
    }
    /* The first PQconnectPoll round counts as "writing". */
    if (conn_watch(c, EV_WRITE) < 0)
        conn_lost(c, RCI_STORE_UNAVAILABLE, "cannot watch the connection's socket");
}

/* Flush queued output and wait for the answer (and for writability while
 * output remains). Returns -1 after losing the connection. */
static int conn_flush_and_wait(conn *c)
{
    int r = PQflush(c->pg);
    if (r < 0) {
        conn_lost(c, RCI_STORE_UNAVAILABLE, conn_error(c));
        return -1;
    }
    c->flushing = r == 1;
    if (conn_watch(c, c->flushing ? EV_READ | EV_WRITE : EV_READ) < 0) {
        conn_lost(c, RCI_STORE_UNAVAILABLE, "cannot watch the connection's socket");
        return -1;
    }
    return 0;
}

static void conn_ready(conn *c)
{
    rci_store *s = c->s;
    evtimer_del(c->timer);
    if (c->lost || c->failures > 0)
        rci_log_info("store: database connection %d ready again (%d failed attempt%s)", c->id,
                     c->failures, c->failures == 1 ? "" : "s");
    c->failures = 0;
    c->lost = 0;
    c->backoff_ms = BACKOFF_MIN_MS;
    c->state = CONN_IDLE;
    if (conn_watch(c, EV_READ) < 0) {
        conn_lost(c, RCI_STORE_UNAVAILABLE, "cannot watch the connection's socket");
        return;
    }
    s->nready++;
    store_update_state(s);
    store_dispatch(s);
}

/* Send the next PREPARE, or become ready when all are done. */
static void conn_prepare_next(conn *c)
{
    if (c->prep_next >= nstmts) {
        conn_ready(c);
        return;
    }
    const stmt_def *st = &stmts[c->prep_next];
    c->err_seen = 0;   /* sending resets libpq's error text */
    if (!PQsendPrepare(c->pg, st->name, st->sql, st->nparams, NULL)) {
        conn_lost(c, RCI_STORE_UNAVAILABLE, conn_error(c));
        return;
    }
    conn_flush_and_wait(c);
}

/* A PREPARE finished. A statement the server rejects (bad SQL, missing
 * table) does not take the pool down: it is logged, and queries of it fail
 * with the reason. */
static void conn_prepared(conn *c, rci_store_err err, const char *msg)
{
    rci_store *s = c->s;
    int i = c->prep_next;
    if (err == RCI_STORE_UNAVAILABLE) {
        conn_lost(c, err, msg);
        return;
    }
    if (err != RCI_STORE_OK) {
        c->prep_failed[i / 8] |= (unsigned char)(1u << (i % 8));
        rci_log_error("store: cannot prepare statement %s: %s", stmts[i].name, msg);
        if (!s->prep_err[i]) {
            size_t n = strlen(stmts[i].name) + strlen(msg) + 64;
            s->prep_err[i] = malloc(n);
            if (s->prep_err[i])
                snprintf(s->prep_err[i], n, "statement %s could not be prepared: %s",
                         stmts[i].name, msg);
        }
    }
    c->prep_next++;
    conn_prepare_next(c);
}

static void conn_poll_connect(conn *c)
{
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        if (conn_watch(c, EV_READ) < 0)
            conn_lost(c, RCI_STORE_UNAVAILABLE, "cannot watch the connection's socket");
        return;
    case PGRES_POLLING_WRITING:
        if (conn_watch(c, EV_WRITE) < 0)
            conn_lost(c, RCI_STORE_UNAVAILABLE, "cannot watch the connection's socket");
        return;
    case PGRES_POLLING_OK:
        c->state = CONN_PREPARING;
        c->prep_next = 0;
        memset(c->prep_failed, 0, sizeof c->prep_failed);
        if (c->listener)
            conn_listen_start(c);
        else
            conn_prepare_next(c);
        return;
    default:
        conn_lost(c, RCI_STORE_UNAVAILABLE, conn_error(c));
        return;
    }
}

/* ---- running statements -------------------------------------------------------- */

/* Start req on idle connection c. */
static void conn_send(conn *c, rci_store_req *req)
{
    rci_store *s = c->s;
    int i = req->stmt;
    if (c->prep_failed[i / 8] & (1u << (i % 8))) {
        deliver(req, NULL, RCI_STORE_FAILED,
                s->prep_err[i] ? s->prep_err[i] : "statement could not be prepared");
        return;
    }
    req->state = REQ_RUNNING;
    c->req = req;
    c->state = CONN_BUSY;
    c->err = RCI_STORE_OK;
    c->err_seen = 0;   /* sending resets libpq's error text */
    if (!PQsendQueryPrepared(c->pg, stmts[i].name, stmts[i].nparams,
                             (const char *const *)req->params, NULL, NULL, 0)) {
        conn_lost(c, RCI_STORE_UNAVAILABLE, conn_error(c));
        return;
    }
    conn_flush_and_wait(c);
}

/* The running statement (or PREPARE) has returned all its results. */
static void conn_op_done(conn *c)
{
    rci_store *s = c->s;
    PGresult *res = c->res;
    rci_store_err err = c->err;
    char msg[MSG_LEN];
    snprintf(msg, sizeof msg, "%s", c->msg);
    c->res = NULL;
    c->err = RCI_STORE_OK;
    c->err_seen = strlen(PQerrorMessage(c->pg));

    if (c->state == CONN_PREPARING) {
        PQclear(res);
        if (c->listener)
            conn_listening(c, err, msg);
        else
            conn_prepared(c, err, msg);
        return;
    }
    rci_store_req *req = c->req;
    c->req = NULL;
    c->state = CONN_IDLE;
    /* A connection-class error (e.g. 57P01 from a shutting-down server)
     * means the server is closing this connection: drop it now rather than
     * send the next request into it. */
    if (err == RCI_STORE_UNAVAILABLE)
        conn_lost(c, RCI_STORE_UNAVAILABLE, msg);
    else if (PQstatus(c->pg) == CONNECTION_BAD)
        conn_lost(c, RCI_STORE_UNAVAILABLE, conn_error(c));
    else if (conn_watch(c, EV_READ) < 0)
        conn_lost(c, RCI_STORE_UNAVAILABLE, "cannot watch the connection's socket");
    store_dispatch(s);   /* keep the connection busy while the callback runs */
    if (req)
        deliver(req, res, err, msg);
    PQclear(res);
}

/* Take one result of the running statement: keep the last good one,
 * remember the first error. Returns -1 for a result this module cannot
 * drain (COPY), after which the connection must be dropped. */
static int conn_take_result(conn *c, PGresult *r)
{
    switch (PQresultStatus(r)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
        PQclear(c->res);
        c->res = r;
        return 0;
    case PGRES_FATAL_ERROR:
    case PGRES_NONFATAL_ERROR:
    case PGRES_BAD_RESPONSE:
        if (c->err == RCI_STORE_OK)
            c->err = classify(r, c->msg, sizeof c->msg);
        PQclear(r);
        return 0;
    default:
        snprintf(c->msg, sizeof c->msg, "unexpected result status %s",
                 PQresStatus(PQresultStatus(r)));
        PQclear(r);
        return -1;
    }
}

/* Read every result that is complete; stop when libpq needs more input. */
static void conn_drain(conn *c)
{
    int extra = PQsslInUse(c->pg) ? SSL_EXTRA_READS : 0;
    for (;;) {
        if (PQisBusy(c->pg)) {
            if (extra-- > 0) {
                if (!PQconsumeInput(c->pg)) {
                    conn_lost(c, RCI_STORE_UNAVAILABLE, conn_error(c));
                    return;
                }
                continue;
            }
            return;   /* wait for the socket */
        }
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            conn_op_done(c);
            return;
        }
        if (conn_take_result(c, r) < 0) {
            char msg[MSG_LEN];
            snprintf(msg, sizeof msg, "%s", c->msg);
            conn_lost(c, RCI_STORE_FAILED, msg);
            return;
        }
    }
}

/* ---- libevent callbacks ----------------------------------------------------------- */

static void conn_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    conn *c = arg;
    switch (c->state) {
    case CONN_CONNECTING:
        conn_poll_connect(c);
        return;
    case CONN_IDLE:
        /* Nothing is expected: EOF, a FATAL before close, or a NOTIFY. */
        if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
            conn_lost(c, RCI_STORE_UNAVAILABLE, conn_error(c));
            return;
        }
        for (PGnotify *n; (n = PQnotifies(c->pg));)
            PQfreemem(n);
        return;
    case CONN_LISTENING:
        if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
            conn_lost(c, RCI_STORE_UNAVAILABLE, conn_error(c));
            return;
        }
        conn_deliver_notifies(c);
        return;
    case CONN_PREPARING:
    case CONN_BUSY:
        if ((what & EV_READ) && !PQconsumeInput(c->pg)) {
            conn_lost(c, RCI_STORE_UNAVAILABLE, conn_error(c));
            return;
        }
        if (c->flushing && conn_flush_and_wait(c) < 0)
            return;
        conn_drain(c);
        return;
    case CONN_DOWN:
        return;
    }
}

static void conn_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn *c = arg;
    if (c->state == CONN_DOWN) {
        c->s->reconnects++;
        conn_start(c);
    } else if (c->state == CONN_CONNECTING || c->state == CONN_PREPARING) {
        conn_lost(c, RCI_STORE_UNAVAILABLE, "timeout expired while connecting");
    }
}

/* Deliver refusals, then hand queued requests to idle connections. */
static void store_kick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rci_store *s = arg;
    rci_store_req *req;
    while ((req = TAILQ_FIRST(&s->refused))) {
        TAILQ_REMOVE(&s->refused, req, link);
        char msg[96];
        snprintf(msg, sizeof msg, "database busy: more than %d queued requests", s->max_queue);
        deliver(req, NULL, RCI_STORE_BUSY, msg);
    }
    store_dispatch(s);
}

static void store_dispatch(rci_store *s)
{
    while (!TAILQ_EMPTY(&s->queue)) {
        conn *c = NULL;
        for (int i = 0; i < s->nconns && !c; i++)
            if (s->conns[i].state == CONN_IDLE)
                c = &s->conns[i];
        if (!c)
            return;
        rci_store_req *req = TAILQ_FIRST(&s->queue);
        TAILQ_REMOVE(&s->queue, req, link);
        s->nqueued--;
        conn_send(c, req);
    }
}

/* ---- public API ------------------------------------------------------------------- */

rci_store *rci_store_new(struct event_base *base, const rci_store_config *cfg,
                         rci_store_state_cb state_cb, void *state_arg)
{
    rci_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->base = base;
    s->nconns = (cfg->pool_size > 0 ? cfg->pool_size : 1) + (nchannels > 0);
    s->max_queue = cfg->max_queue > 0 ? cfg->max_queue : 0;
    s->state_cb = state_cb;
    s->state_arg = state_arg;
    TAILQ_INIT(&s->queue);
    TAILQ_INIT(&s->refused);
    s->conninfo = strdup(cfg->conninfo ? cfg->conninfo : "");
    s->application_name = cfg->application_name ? strdup(cfg->application_name) : NULL;
    s->conns = calloc((size_t)s->nconns, sizeof *s->conns);
    s->kick = event_new(base, -1, 0, store_kick, s);
    if (!s->conninfo || (cfg->application_name && !s->application_name) || !s->conns ||
        !s->kick)
        goto fail;
    for (int i = 0; i < s->nconns; i++) {
        conn *c = &s->conns[i];
        c->s = s;
        c->id = i;
        c->listener = nchannels > 0 && i == s->nconns - 1;
        c->backoff_ms = BACKOFF_MIN_MS;
        c->ev_fd = -1;
        c->timer = evtimer_new(base, conn_timer, c);
        if (!c->timer)
            goto fail;
    }
    for (int i = 0; i < s->nconns; i++)
        conn_start(&s->conns[i]);
    return s;
fail:
    if (s->conns)
        for (int i = 0; i < s->nconns; i++)
            if (s->conns[i].timer)
                event_free(s->conns[i].timer);
    if (s->kick)
        event_free(s->kick);
    free(s->conns);
    free(s->conninfo);
    free(s->application_name);
    free(s);
    return NULL;
}

void rci_store_free(rci_store *s)
{
    if (!s)
        return;
    s->closing = 1;
    s->nready = 0;
    for (int i = 0; i < s->nconns; i++) {
        conn *c = &s->conns[i];
        rci_store_req *req = c->req;
        c->req = NULL;
        conn_close(c);
        event_free(c->timer);
        c->timer = NULL;
        if (req)
            deliver(req, NULL, RCI_STORE_UNAVAILABLE, "database unavailable: shutting down");
    }
    fail_queue(s, RCI_STORE_UNAVAILABLE, "database unavailable: shutting down");
    rci_store_req *req;
    while ((req = TAILQ_FIRST(&s->refused))) {
        TAILQ_REMOVE(&s->refused, req, link);
        deliver(req, NULL, RCI_STORE_BUSY, "database busy");
    }
    event_free(s->kick);
    for (int i = 0; i < STORE_MAX_STMTS; i++)
        free(s->prep_err[i]);
    free(s->conns);
    free(s->conninfo);
    free(s->application_name);
    free(s);
}

int rci_store_is_up(const rci_store *s)
{
    return s && s->nready > 0;
}

int rci_store_listening(const rci_store *s)
{
    return s && s->listening;
}

rci_store_req *rci_store_query(rci_store *s, int stmt, const char *const *params,
                               rci_store_cb cb, void *arg)
{
    if (!s || s->closing || s->nready == 0)
        return NULL;
    if (stmt < 0 || stmt >= nstmts || !cb) {
        rci_log_error("store: rci_store_query: bad statement index %d", stmt);
        return NULL;
    }
    int n = stmts[stmt].nparams;
    if (n > 0 && !params) {
        rci_log_error("store: rci_store_query: statement %s needs %d parameters",
                      stmts[stmt].name, n);
        return NULL;
    }
    size_t size = sizeof(rci_store_req) + (size_t)n * sizeof(char *);
    for (int i = 0; i < n; i++)
        if (params[i])
            size += strlen(params[i]) + 1;
    rci_store_req *req = malloc(size);
    if (!req)
        return NULL;
    char *p = (char *)&req->params[n];
    for (int i = 0; i < n; i++) {
        if (params[i]) {
            size_t len = strlen(params[i]) + 1;
            memcpy(p, params[i], len);
            req->params[i] = p;
            p += len;
        } else {
            req->params[i] = NULL;
        }
    }
    req->s = s;
    req->stmt = stmt;
    req->cb = cb;
    req->arg = arg;
    /* Requests an idle connection will take at the next kick do not count
     * against the queue bound. */
    if (s->nqueued >= s->max_queue + count_state(s, CONN_IDLE)) {
        req->state = REQ_REFUSED;
        TAILQ_INSERT_TAIL(&s->refused, req, link);
    } else {
        req->state = REQ_QUEUED;
        TAILQ_INSERT_TAIL(&s->queue, req, link);
        s->nqueued++;
    }
    event_active(s->kick, EV_TIMEOUT, 0);
    return req;
}

void rci_store_cancel(rci_store_req *req)
{
    if (!req)
        return;
    rci_store *s = req->s;
    switch (req->state) {
    case REQ_QUEUED:
        TAILQ_REMOVE(&s->queue, req, link);
        s->nqueued--;
        free(req);
        return;
    case REQ_REFUSED:
        TAILQ_REMOVE(&s->refused, req, link);
        free(req);
        return;
    case REQ_RUNNING:
        req->cb = NULL;   /* the connection drains and discards its result */
        return;
    case REQ_DELIVERING:
        return;           /* freed when its callback returns */
    }
}

void rci_store_get_stats(const rci_store *s, rci_store_stats *out)
{
    memset(out, 0, sizeof *out);
    out->connections = s->nconns - (nchannels > 0);
    out->ready = count_state(s, CONN_IDLE);
    out->busy = count_state(s, CONN_BUSY);
    out->queued = s->nqueued;
    out->queries = s->queries;
    out->failures = s->failures;
    out->reconnects = s->reconnects;
}
