/* test_store.c: the libpq pool on the event loop, against an embedded
 * cluster, driven entirely by event_base_loop and timers.
 *
 * Phases (one poll timer advances them when their condition holds):
 *   UP       the pool comes up (state_cb(1)); before that queries get NULL
 *   BATCH    results and text params (incl. NULL, UTF-8), SQL errors as
 *            FAILED "SQLSTATE: message", 40001/40P01 as ABORTED, a statement
 *            that failed to prepare, cancel while queued and while running
 *   AFTER    the connection that discarded a cancelled result still works
 *   FULL     queue bound: the overflow gets BUSY, asynchronously and first
 *   DOWN1    fast shutdown of the server with both connections busy and one
 *            request queued: all fail UNAVAILABLE, state_cb(0) at once,
 *            queries get NULL; the cluster is restarted in the same dir
 *   UP2      the pool reconnects by itself (state_cb(1)), queries work
 *   DOWN2    immediate shutdown with both connections idle: noticed within
 *            about a second (the idle read event); restart again
 *   UP3      back up; then rci_store_free with requests running and queued
 *            fails each exactly once with UNAVAILABLE.
 * No callback may ever run inside rci_store_query.
 */
#include "check.h"
#include "platform/pgembed.h"
#include "platform/store.h"

#include <errno.h>
#include <event2/event.h>
#include <libpq-fe.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/rci-test-store-XXXXXX";
static char datadir[PATH_MAX];
static struct event_base *base;
static struct event *poll_ev;
static rci_pgembed *pg;
static rci_store *store;
static int in_query;      /* 1 while inside rci_store_query */
static int ups, downs;    /* state_cb calls */
static int last_state = -1;
static double t_phase, t_kill, t_down;

static int st_one, st_echo, st_insert, st_raise, st_sleep, st_bad, st_app, st_len, st_rows;
static char big[2 * 1024 * 1024 + 1];   /* a parameter bigger than the socket buffer */

enum { UP, BATCH, AFTER, FULL, DOWN1, UP2, DOWN2, UP3, DONE };
static int phase = UP;

typedef struct res {
    int called;
    int in_query;
    rci_store_err err;
    int ntuples, isnull;
    char v0[256], v1[256], msg[512];
    double at;
} res;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_res(void *arg, const PGresult *r, rci_store_err err, const char *msg)
{
    res *x = arg;
    x->called++;
    x->in_query = in_query;
    x->err = err;
    x->at = now();
    snprintf(x->msg, sizeof x->msg, "%s", msg ? msg : "(null)");
    CHECK((r != NULL) == (err == RCI_STORE_OK));
    if (r) {
        x->ntuples = PQntuples(r);
        if (x->ntuples > 0 && PQnfields(r) > 0) {
            x->isnull = PQgetisnull(r, 0, 0);
            snprintf(x->v0, sizeof x->v0, "%s", PQgetvalue(r, 0, 0));
            if (PQnfields(r) > 1)
                snprintf(x->v1, sizeof x->v1, "%s", PQgetvalue(r, 0, 1));
        }
    }
}

static rci_store_req *q(int stmt, res *x, const char *p0, const char *p1)
{
    const char *params[2] = {p0, p1};
    memset(x, 0, sizeof *x);
    in_query = 1;
    rci_store_req *req = rci_store_query(store, stmt, params, on_res, x);
    in_query = 0;
    return req;
}

static void on_state(void *arg, int up)
{
    CHECK(arg == &ups);
    CHECK(up != last_state);   /* transitions only */
    last_state = up;
    if (up) {
        ups++;
    } else {
        downs++;
        t_down = now();
    }
}

static int blocking_sql(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "setup: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok;
}

static void restart_cluster(void)
{
    rci_pgembed_stop(pg);   /* reaps the postmaster that is going down */
    char err[2048];
    pg = rci_pgembed_start(datadir, err, sizeof err);
    CHECK(pg != NULL);
    if (!pg) {
        fprintf(stderr, "restart: %s\n", err);
        phase = DONE;
        event_base_loopbreak(base);
    }
}

/* ---- phases ------------------------------------------------------------------ */

static res r_one, r_echo, r_echo_null, r_ins[2], r_abort1, r_abort2, r_fail, r_bad,
    r_cancel_q, r_cancel_run, r_after[4], r_full[18], r_long[2], r_queued, r_up2[1],
    r_free[3], r_app, r_len, r_rows;
static rci_store_req *cancel_run_req;
static int cancel_done, up2_issued, free_issued;

static void give_up(const char *why)
{
    fprintf(stderr, "test_store: %s (phase %d)\n", why, phase);
    CHECK(0);
    event_base_loopbreak(base);
}

static void start_batch(void)
{
    /* the sleeper goes first so it is running on a connection when cancelled */
    cancel_run_req = q(st_sleep, &r_cancel_run, "0.3", NULL);
    CHECK(cancel_run_req != NULL);
    CHECK(q(st_one, &r_one, NULL, NULL) != NULL);
    CHECK(q(st_echo, &r_echo, "héllo 深莞惠", "41") != NULL);
    CHECK(q(st_echo, &r_echo_null, NULL, "-1") != NULL);
    CHECK(q(st_insert, &r_ins[0], "k1", NULL) != NULL);
    CHECK(q(st_insert, &r_ins[1], "k1", NULL) != NULL);
    CHECK(q(st_raise, &r_abort1, "40001", NULL) != NULL);
    CHECK(q(st_raise, &r_abort2, "40P01", NULL) != NULL);
    CHECK(q(st_raise, &r_fail, "22012", NULL) != NULL);
    CHECK(q(st_bad, &r_bad, NULL, NULL) != NULL);
    CHECK(q(st_app, &r_app, NULL, NULL) != NULL);
    memset(big, 'x', sizeof big - 1);
    CHECK(q(st_len, &r_len, big, NULL) != NULL);
    CHECK(q(st_rows, &r_rows, "5000", NULL) != NULL);
    rci_store_req *c = q(st_one, &r_cancel_q, NULL, NULL);
    CHECK(c != NULL);
    rci_store_cancel(c);   /* still queued: never called */
}

static void check_batch(void)
{
    CHECK(r_one.called == 1 && r_one.err == RCI_STORE_OK);
    CHECK_STR(r_one.v0, "1");
    CHECK_STR(r_one.msg, "");
    CHECK(r_echo.err == RCI_STORE_OK);
    CHECK_STR(r_echo.v0, "héllo 深莞惠");
    CHECK_STR(r_echo.v1, "42");
    CHECK(r_echo_null.err == RCI_STORE_OK && r_echo_null.isnull);
    CHECK_STR(r_echo_null.v1, "0");
    /* the two inserts of one key: one wins, the other is a unique violation */
    int ok = 0, dup = 0;
    for (int i = 0; i < 2; i++) {
        CHECK(r_ins[i].called == 1);
        ok += r_ins[i].err == RCI_STORE_OK;
        if (r_ins[i].err == RCI_STORE_FAILED && strncmp(r_ins[i].msg, "23505: ", 7) == 0)
            dup++;
    }
    CHECK(ok == 1 && dup == 1);
    CHECK(r_abort1.err == RCI_STORE_ABORTED && strncmp(r_abort1.msg, "40001: ", 7) == 0);
    CHECK(strstr(r_abort1.msg, "raised 40001") != NULL);
    CHECK(r_abort2.err == RCI_STORE_ABORTED && strncmp(r_abort2.msg, "40P01: ", 7) == 0);
    CHECK(r_fail.err == RCI_STORE_FAILED && strncmp(r_fail.msg, "22012: ", 7) == 0);
    CHECK(r_bad.called == 1 && r_bad.err == RCI_STORE_FAILED);
    CHECK(strstr(r_bad.msg, "t_bad") && strstr(r_bad.msg, "42P01"));
    CHECK(r_cancel_q.called == 0);
    CHECK(r_cancel_run.called == 0);
    /* session settings come from the connection keywords */
    CHECK_STR(r_app.v0, "test_store");
    CHECK_STR(r_app.v1, "UTF8");
    /* a 2 MiB parameter (PQflush returns 1, the write waits) and a 5 MB
     * result (read over many wakeups) */
    CHECK(r_len.err == RCI_STORE_OK);
    CHECK_STR(r_len.v0, "2097152");
    CHECK(r_rows.err == RCI_STORE_OK && r_rows.ntuples == 5000);
    res *all[] = {&r_one,    &r_echo,  &r_echo_null, &r_ins[0], &r_ins[1], &r_abort1,
                  &r_abort2, &r_fail,  &r_bad,       &r_app,    &r_len,    &r_rows};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        CHECK(all[i]->in_query == 0);
}

static int all_called(res *r, int n)
{
    for (int i = 0; i < n; i++)
        if (!r[i].called)
            return 0;
    return 1;
}

static void advance(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    double t = now() - t_phase;
    rci_store_stats stats;
    switch (phase) {
    case UP:
        if (!ups)
            return;
        CHECK(rci_store_is_up(store));
        rci_store_get_stats(store, &stats);
        CHECK(stats.connections == 2);
        start_batch();
        phase = BATCH;
        t_phase = now();
        return;
    case BATCH:
        if (!cancel_done && t > 0.1) {
            rci_store_get_stats(store, &stats);
            CHECK(stats.busy >= 1);   /* the sleeper is running */
            rci_store_cancel(cancel_run_req);
            cancel_done = 1;
        }
        if (!r_one.called || !r_bad.called || !r_fail.called || !r_ins[1].called ||
            !r_ins[0].called || !r_abort2.called || !r_app.called || !r_len.called ||
            !r_rows.called || t < 0.6)
            return;
        check_batch();
        for (int i = 0; i < 4; i++)
            CHECK(q(st_echo, &r_after[i], "x", "1") != NULL);
        phase = AFTER;
        return;
    case AFTER:
        if (!all_called(r_after, 4))
            return;
        for (int i = 0; i < 4; i++)
            CHECK(r_after[i].err == RCI_STORE_OK && strcmp(r_after[i].v1, "2") == 0);
        rci_store_get_stats(store, &stats);
        CHECK(stats.ready == 2 && stats.busy == 0 && stats.queued == 0);
        CHECK(stats.queries >= 13);
        CHECK(stats.failures >= 5);
        /* pool 2 + max_queue 14: of 18, 16 are taken and 2 are refused */
        for (int i = 0; i < 18; i++)
            CHECK(q(st_sleep, &r_full[i], "0.2", NULL) != NULL);
        CHECK(r_full[16].called == 0 && r_full[17].called == 0);   /* not synchronously */
        phase = FULL;
        t_phase = now();
        return;
    case FULL:
        if (t > 0.05 && t < 0.1) {
            rci_store_get_stats(store, &stats);
            CHECK(stats.busy == 2);
            CHECK(stats.queued == 14);
        }
        if (!all_called(r_full, 18))
            return;
        for (int i = 0; i < 16; i++)
            CHECK(r_full[i].err == RCI_STORE_OK);
        for (int i = 16; i < 18; i++) {
            CHECK(r_full[i].err == RCI_STORE_BUSY);
            CHECK(r_full[i].in_query == 0);
            CHECK(r_full[i].at < r_full[0].at);   /* told at once, not after the wait */
        }
        /* both connections busy for long, one request queued, then a fast shutdown */
        CHECK(q(st_sleep, &r_long[0], "30", NULL) != NULL);
        CHECK(q(st_sleep, &r_long[1], "30", NULL) != NULL);
        CHECK(q(st_one, &r_queued, NULL, NULL) != NULL);
        phase = DOWN1;
        t_phase = now();
        t_kill = 0;
        return;
    case DOWN1:
        if (!t_kill && t > 0.2) {
            t_kill = now();
            CHECK(kill(rci_pgembed_pid(pg), SIGINT) == 0);
        }
        if (!t_kill || !downs)
            return;
        if (!r_long[0].called || !r_long[1].called || !r_queued.called)
            return;
        CHECK(t_down - t_kill < 1.5);
        for (int i = 0; i < 2; i++) {
            CHECK(r_long[i].err == RCI_STORE_UNAVAILABLE);
            CHECK(r_long[i].at - t_kill < 1.5);
        }
        CHECK(r_queued.err == RCI_STORE_UNAVAILABLE);
        CHECK(!rci_store_is_up(store));
        {
            res none;
            CHECK(q(st_one, &none, NULL, NULL) == NULL);
        }
        restart_cluster();
        phase = UP2;
        t_phase = now();
        return;
    case UP2:
        if (ups < 2) {
            if (t > 15)
                give_up("no reconnect after the restart");
            return;
        }
        if (!up2_issued) {
            up2_issued = 1;
            CHECK(q(st_one, &r_up2[0], NULL, NULL) != NULL);
            return;
        }
        if (!r_up2[0].called)
            return;
        CHECK(r_up2[0].err == RCI_STORE_OK);
        rci_store_get_stats(store, &stats);
        CHECK(stats.reconnects > 0);
        /* wait until both connections are back and idle, then stop the
         * server immediately: idle connections must notice by themselves */
        if (stats.ready < 2)
            return;
        t_kill = now();
        CHECK(kill(rci_pgembed_pid(pg), SIGQUIT) == 0);
        phase = DOWN2;
        t_phase = now();
        return;
    case DOWN2:
        if (downs < 2) {
            if (t > 5)
                give_up("idle connections did not notice the server going away");
            return;
        }
        CHECK(t_down - t_kill < 1.5);
        restart_cluster();
        phase = UP3;
        t_phase = now();
        return;
    case UP3:
        if (ups < 3) {
            if (t > 15)
                give_up("no reconnect after the second restart");
            return;
        }
        if (!free_issued) {
            free_issued = 1;
            CHECK(q(st_sleep, &r_free[0], "30", NULL) != NULL);
            CHECK(q(st_sleep, &r_free[1], "30", NULL) != NULL);
            CHECK(q(st_one, &r_free[2], NULL, NULL) != NULL);
            t_phase = now();
            return;
        }
        if (t < 0.2)
            return;
        rci_store_free(store);
        store = NULL;
        for (int i = 0; i < 3; i++)
            CHECK(r_free[i].called == 1 && r_free[i].err == RCI_STORE_UNAVAILABLE);
        phase = DONE;
        event_base_loopbreak(base);
        return;
    }
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    fprintf(stderr, "test_store: timed out in phase %d\n", phase);
    CHECK(0);
    event_base_loopbreak(base);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    chmod(tmpdir, 0755);   /* user postgres must reach it when run as root */
    snprintf(datadir, sizeof datadir, "%s/data", tmpdir);
    char err[2048];
    pg = rci_pgembed_start(datadir, err, sizeof err);
    CHECK(pg != NULL);
    if (!pg) {
        fprintf(stderr, "rci_pgembed_start: %s\n", err);
        return check_done();
    }
    char conninfo[1024];
    snprintf(conninfo, sizeof conninfo, "%s", rci_pgembed_conninfo(pg));
    CHECK(blocking_sql(conninfo, "CREATE TABLE store_t (k text PRIMARY KEY)"));
    CHECK(blocking_sql(conninfo,
                       "CREATE FUNCTION t_raise(code text) RETURNS int LANGUAGE plpgsql AS "
                       "$$BEGIN RAISE EXCEPTION 'raised %', code USING ERRCODE = code; END$$"));

    st_one = rci_store_register("t_one", "SELECT 1", 0);
    st_echo = rci_store_register("t_echo", "SELECT $1::text, $2::int + 1", 2);
    st_insert = rci_store_register("t_insert", "INSERT INTO store_t (k) VALUES ($1)", 1);
    st_raise = rci_store_register("t_raise", "SELECT t_raise($1)", 1);
    st_sleep = rci_store_register("t_sleep", "SELECT pg_sleep($1::float8)", 1);
    st_bad = rci_store_register("t_bad", "SELECT * FROM no_such_table", 0);
    st_app = rci_store_register(
        "t_app", "SELECT current_setting('application_name'), current_setting('client_encoding')",
        0);
    st_len = rci_store_register("t_len", "SELECT length($1)", 1);
    st_rows = rci_store_register("t_rows",
                                 "SELECT g, repeat('x', 1000) FROM generate_series(1, $1::int) g", 1);
    CHECK(st_one == 0 && st_echo == 1 && st_bad == 5 && st_rows == 8);

    base = event_base_new();
    rci_store_config cfg = {.conninfo = conninfo, .pool_size = 2, .max_queue = 14,
                            .application_name = "test_store"};
    store = rci_store_new(base, &cfg, on_state, &ups);
    CHECK(store != NULL);
    CHECK(!rci_store_is_up(store));
    {
        res none;
        CHECK(q(st_one, &none, NULL, NULL) == NULL);   /* not connected yet: fail fast */
    }
    poll_ev = event_new(base, -1, EV_PERSIST, advance, NULL);
    struct timeval tick = {0, 10000};
    event_add(poll_ev, &tick);
    struct event *timeout = evtimer_new(base, on_timeout, NULL);
    struct timeval limit = {90, 0};
    evtimer_add(timeout, &limit);
    t_phase = now();

    event_base_loop(base, 0);

    CHECK(phase == DONE);
    CHECK(ups == 3 && downs == 2);
    if (store)
        rci_store_free(store);
    event_free(poll_ev);
    event_free(timeout);
    event_base_free(base);
    if (pg) {
        int pid = rci_pgembed_pid(pg);
        rci_pgembed_stop(pg);
        CHECK(kill(pid, 0) < 0 && errno == ESRCH);
    }
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_done();
}
