/* loop.h: the worker event loops and the process around them.
 *
 * Owns: one event_base per worker thread (the scaling model: one loop per
 * core), each with its own database pool, connections and timers; the
 * listener on the main thread that hands each accepted socket to a loop in
 * turn; cross-thread wake-ups (health changes, shutdown); and the ordered
 * shutdown — stop accepting, GOAWAY, end long-lived streams, let in-flight
 * calls finish within the grace period, then stop.
 *
 * Nothing on a loop is touched by another thread except through
 * rci_loop_wake (libevent's event_active, made thread-safe by
 * evthread_use_pthreads in main).
 */
#ifndef RCI_LOOP_H
#define RCI_LOOP_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include "platform/config.h"
#include "platform/store.h"

struct event_base;
struct event;
struct rci_conn;

/* Reasons to wake a loop from another thread (bit flags). */
enum {
    RCI_WAKE_HEALTH = 1,    /* overall health changed: tell Watch streams */
    RCI_WAKE_SHUTDOWN = 2,  /* graceful shutdown: GOAWAY, drain */
    RCI_WAKE_STOP = 4       /* stop now */
};

typedef struct rci_loop {
    int index;
    struct event_base *base;
    pthread_t thread;
    rci_store *store;
    const rci_config *cfg;
    SSL_CTX *ssl_ctx;               /* shared, read-only; NULL = cleartext h2c */
    struct event *wake_ev;
    atomic_int wake_flags;
    struct event *stats_ev;         /* publishes pool figures for /metrics */
    struct event *drain_ev;         /* shutdown: GOAWAY step two, then grace end */
    struct rci_conn *conns;         /* open connections (doubly linked) */
    int nconns;
    int draining;                   /* shutdown begun */
    int trim_pending;               /* connections closed since the last malloc_trim */
    int drain_step;                 /* 0: notice sent, 1: GOAWAY sent, 2: grace over */
} rci_loop;

/* The loop running on the calling thread, or NULL off the loop threads. */
rci_loop *rci_loop_current(void);

/* Run fn on every loop thread as it ends, after its connections are closed:
 * for per-loop (thread-local) caches to free what they hold. Register from
 * an init function, before the loops start; at most 8. */
void rci_loop_at_exit(void (*fn)(void));

/* Create n loops (bases, stores; not yet running). Returns NULL with a
 * message in err. */
rci_loop **rci_loops_new(int n, const rci_config *cfg, const char *conninfo,
                         SSL_CTX *ssl_ctx, char *err, size_t errlen);

/* Start a thread per loop. Returns 0 or -1 with err. */
int rci_loops_start(rci_loop **loops, int n, char *err, size_t errlen);

/* Hand an accepted socket to the next loop (round robin); the loop takes
 * ownership of fd. Thread-safe. */
void rci_loops_adopt(rci_loop **loops, int n, int fd, const char *peer);

/* Set wake flags on every loop and wake them. Thread-safe. */
void rci_loops_wake(rci_loop **loops, int n, int flags);

/* Wait for every loop thread to end, then free them. */
void rci_loops_join_free(rci_loop **loops, int n);

/* Called by conn.c as connections come and go. */
void rci_loop_conn_added(rci_loop *loop, struct rci_conn *conn);
void rci_loop_conn_removed(rci_loop *loop, struct rci_conn *conn);

#endif
