/* loop.c: worker event loops, connection hand-off and shutdown (see loop.h).
 *
 * Threads: main accepts on one listener and gives each socket to a loop in
 * turn with event_base_once on that loop's base (thread-safe once
 * evthread_use_pthreads has run). After that, a connection, its calls and
 * their queries live and die on that loop's thread alone.
 *
 * Shutdown (grpc-wire.md §7, §9.5): on RCI_WAKE_SHUTDOWN each loop sends a
 * GOAWAY notice on every connection and ends its long-lived streams with
 * UNAVAILABLE; 200 ms later the real GOAWAY (last processed stream) goes
 * out; connections close once their calls are done; the loop ends when it
 * has no connection left, or when the grace period runs out.
 */
#include "platform/loop.h"

#include <event2/event.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/conn.h"
#include "platform/health.h"
#include "platform/log.h"
#include "platform/metrics.h"

#define LOOP_GOAWAY_DELAY_MS 200

static __thread rci_loop *current_loop;

rci_loop *rci_loop_current(void)
{
    return current_loop;
}

/* ---- callbacks on the loop thread ----------------------------------------- */

static void loop_store_state(void *arg, int up)
{
    rci_loop *loop = arg;
    rci_log_info("loop %d: database %s", loop->index, up ? "connected" : "unreachable");
    rci_health_set_db(loop->index, up);
}

static void loop_stats_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rci_loop *loop = arg;
    rci_store_stats st;
    rci_store_get_stats(loop->store, &st);
    rci_metrics_publish_pool(loop->index, &st);
    /* After a burst of connections, hand freed memory back to the system
     * once this loop is quiet again, so RSS returns to its idle figure. */
    if (loop->trim_pending && loop->nconns == 0) {
        loop->trim_pending = 0;
        malloc_trim(0);
    }
}

static void loop_maybe_exit(rci_loop *loop)
{
    if (loop->draining && loop->nconns == 0)
        event_base_loopexit(loop->base, NULL);
}

/* Shutdown steps: 0 → GOAWAY sent, then wait for the grace period; 1 →
 * grace over: close what is left. */
static void loop_drain_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rci_loop *loop = arg;
    if (loop->drain_step == 0) {
        for (rci_conn *c = loop->conns; c; c = c->next) {
            rci_conn_goaway(c);
            rci_conn_flush(c);
        }
        loop->drain_step = 1;
        struct timeval grace = {loop->cfg->shutdown_grace_sec, 0};
        evtimer_add(loop->drain_ev, &grace);
        return;
    }
    if (loop->nconns > 0)
        rci_log_warn("loop %d: grace period over, closing %d connection(s)", loop->index,
                     loop->nconns);
    for (rci_conn *c = loop->conns; c; c = c->next)
        rci_conn_close(c);
    event_base_loopexit(loop->base, NULL);
}

static void loop_begin_drain(rci_loop *loop)
{
    if (loop->draining)
        return;
    loop->draining = 1;
    for (rci_conn *c = loop->conns; c; c = c->next) {
        rci_conn_shutdown_notice(c);
        rci_conn_end_streams(c);
        rci_conn_flush(c);
    }
    struct timeval tv = {0, LOOP_GOAWAY_DELAY_MS * 1000};
    evtimer_add(loop->drain_ev, &tv);
    loop_maybe_exit(loop);
}

static void loop_wake_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rci_loop *loop = arg;
    int flags = atomic_exchange(&loop->wake_flags, 0);
    if (flags & RCI_WAKE_HEALTH)
        rci_health_run_change_hook();
    if (flags & RCI_WAKE_SHUTDOWN)
        loop_begin_drain(loop);
    if (flags & RCI_WAKE_STOP)
        event_base_loopbreak(loop->base);
}

void rci_loop_conn_added(rci_loop *loop, rci_conn *conn)
{
    conn->prev = NULL;
    conn->next = loop->conns;
    if (loop->conns)
        loop->conns->prev = conn;
    loop->conns = conn;
    loop->nconns++;
    if (loop->draining) {
        /* Accepted just before the listener closed: tell it to go at once. */
        rci_conn_goaway(conn);
        rci_conn_flush(conn);
    }
}

void rci_loop_conn_removed(rci_loop *loop, rci_conn *conn)
{
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        loop->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    loop->nconns--;
    loop->trim_pending = 1;
    loop_maybe_exit(loop);
}

/* ---- lifecycle ------------------------------------------------------------ */

static void loop_free(rci_loop *loop)
{
    if (!loop)
        return;
    if (loop->store)
        rci_store_free(loop->store);
    if (loop->wake_ev)
        event_free(loop->wake_ev);
    if (loop->stats_ev)
        event_free(loop->stats_ev);
    if (loop->drain_ev)
        event_free(loop->drain_ev);
    if (loop->base)
        event_base_free(loop->base);
    free(loop);
}

static rci_loop *loop_new(int index, const rci_config *cfg, const char *conninfo,
                          SSL_CTX *ssl_ctx)
{
    rci_loop *loop = calloc(1, sizeof *loop);
    if (!loop)
        return NULL;
    loop->index = index;
    loop->cfg = cfg;
    loop->ssl_ctx = ssl_ctx;
    loop->base = event_base_new();
    if (!loop->base)
        goto fail;
    loop->wake_ev = event_new(loop->base, -1, EV_PERSIST, loop_wake_cb, loop);
    loop->stats_ev = event_new(loop->base, -1, EV_PERSIST, loop_stats_cb, loop);
    loop->drain_ev = evtimer_new(loop->base, loop_drain_cb, loop);
    if (!loop->wake_ev || !loop->stats_ev || !loop->drain_ev)
        goto fail;
    struct timeval one_sec = {1, 0};
    evtimer_add(loop->stats_ev, &one_sec);
    rci_store_config scfg = {
        .conninfo = conninfo,
        .pool_size = cfg->db_pool_size,
        .max_queue = 1024,
        .application_name = "rcid",
    };
    loop->store = rci_store_new(loop->base, &scfg, loop_store_state, loop);
    if (!loop->store)
        goto fail;
    return loop;
fail:
    loop_free(loop);
    return NULL;
}

rci_loop **rci_loops_new(int n, const rci_config *cfg, const char *conninfo, SSL_CTX *ssl_ctx,
                         char *err, size_t errlen)
{
    rci_loop **loops = calloc((size_t)n, sizeof *loops);
    if (!loops) {
        snprintf(err, errlen, "out of memory creating %d event loops", n);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        loops[i] = loop_new(i, cfg, conninfo, ssl_ctx);
        if (!loops[i]) {
            snprintf(err, errlen, "could not create event loop %d (out of memory?)", i);
            for (int j = 0; j < i; j++)
                loop_free(loops[j]);
            free(loops);
            return NULL;
        }
    }
    return loops;
}

#define LOOP_MAX_EXIT_HOOKS 8
static void (*exit_hooks[LOOP_MAX_EXIT_HOOKS])(void);
static int nexit_hooks;

void rci_loop_at_exit(void (*fn)(void))
{
    if (!fn || nexit_hooks == LOOP_MAX_EXIT_HOOKS) {
        rci_log_error("loop: rci_loop_at_exit: more than %d hooks", LOOP_MAX_EXIT_HOOKS);
        abort();
    }
    exit_hooks[nexit_hooks++] = fn;
}

static void *loop_thread(void *arg)
{
    rci_loop *loop = arg;
    current_loop = loop;
    event_base_loop(loop->base, EVLOOP_NO_EXIT_ON_EMPTY);
    /* Close what is left and let the close events run. */
    for (rci_conn *c = loop->conns; c; c = c->next)
        rci_conn_close(c);
    while (loop->nconns > 0 && event_base_loop(loop->base, EVLOOP_NONBLOCK | EVLOOP_ONCE) == 0)
        ;
    for (int i = 0; i < nexit_hooks; i++)
        exit_hooks[i]();
    return NULL;
}

int rci_loops_start(rci_loop **loops, int n, char *err, size_t errlen)
{
    for (int i = 0; i < n; i++) {
        int rv = pthread_create(&loops[i]->thread, NULL, loop_thread, loops[i]);
        if (rv != 0) {
            snprintf(err, errlen, "could not start loop thread %d: %s", i, strerror(rv));
            return -1;
        }
    }
    return 0;
}

typedef struct adopt_box {
    rci_loop *loop;
    int fd;
    char peer[64];
} adopt_box;

static void loop_adopt_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    adopt_box *box = arg;
    rci_conn_accept(box->loop, box->fd, box->peer);
    free(box);
}

void rci_loops_adopt(rci_loop **loops, int n, int fd, const char *peer)
{
    static unsigned next;
    rci_loop *loop = loops[next++ % (unsigned)n];
    adopt_box *box = malloc(sizeof *box);
    if (!box) {
        close(fd);
        return;
    }
    box->loop = loop;
    box->fd = fd;
    snprintf(box->peer, sizeof box->peer, "%s", peer);
    if (event_base_once(loop->base, -1, EV_TIMEOUT, loop_adopt_cb, box, NULL) != 0) {
        close(fd);
        free(box);
    }
}

void rci_loops_wake(rci_loop **loops, int n, int flags)
{
    for (int i = 0; i < n; i++) {
        if (!loops[i])
            continue;
        atomic_fetch_or(&loops[i]->wake_flags, flags);
        event_active(loops[i]->wake_ev, 0, 0);
    }
}

void rci_loops_join_free(rci_loop **loops, int n)
{
    for (int i = 0; i < n; i++) {
        pthread_join(loops[i]->thread, NULL);
        loop_free(loops[i]);
    }
    free(loops);
}
