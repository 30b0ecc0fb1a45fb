/* store.h: PostgreSQL on the event loop — a small pool of libpq connections
 * per loop, driven only by libpq's asynchronous API.
 *
 * Owns: connecting (PQconnectStartParams + PQconnectPoll on loop events),
 * preparing every registered statement on each new connection, queueing
 * queries while all connections are busy, delivering results, noticing a
 * lost server, and reconnecting with backoff. Nothing here ever blocks the
 * loop (reference grpc-wire.md §10). A store belongs to one event_base and
 * one thread; nothing in it is shared between loops.
 *
 * Services do not call this directly: they go through platform/call.h
 * (rci_call_query), which ties a query to a call so a cancelled call's
 * result is discarded.
 */
#ifndef RCI_STORE_H
#define RCI_STORE_H

#include <libpq-fe.h>
#include <stddef.h>

struct event_base;

typedef struct rci_store rci_store;
typedef struct rci_store_req rci_store_req;

/* Error classes a query can end with, mapped to gRPC statuses by the call
 * layer: UNAVAILABLE (connection lost / server down), ABORTED (SQLSTATE
 * 40001, 40P01), RESOURCE_EXHAUSTED (queue full), INTERNAL (anything else). */
typedef enum rci_store_err {
    RCI_STORE_OK = 0,
    RCI_STORE_UNAVAILABLE,
    RCI_STORE_ABORTED,
    RCI_STORE_BUSY,
    RCI_STORE_FAILED
} rci_store_err;

/* Result callback, called exactly once per request (unless cancelled), on
 * the store's loop, never from inside rci_store_query itself.
 * res: the last result of the statement on success (PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK), NULL on error; owned by the store, freed after the
 * callback returns (do not PQclear it). err / msg: error class and a
 * human-readable message (SQLSTATE and server text) when res is NULL. */
typedef void (*rci_store_cb)(void *arg, const PGresult *res, rci_store_err err,
                             const char *msg);

/* Called on the store's loop whenever the pool's reachability changes:
 * up = 1 when at least one connection is ready, 0 when none is. */
typedef void (*rci_store_state_cb)(void *arg, int up);

/* ---- statements (process-wide, registered before any store starts) ------ */

/* Register a named statement; every connection prepares it once after
 * connecting. Call from main before rci_store_new. The strings must be
 * static. Returns the statement's index, used with rci_store_query.
 * Misuse (table full, duplicate name) is a programming error: it aborts at
 * start-up with a message. */
int rci_store_register(const char *name, const char *sql, int nparams);

/* ---- notifications (process-wide, registered before any store starts) --- */

/* Called on the store's loop for each NOTIFY on channel, with its payload
 * ("" when it had none). payload NULL means a gap: notifications may have
 * been missed, because the pool's listener connection was lost or has just
 * started listening (again); rci_store_listening says which. Anything
 * cached because "a notification would have told us" must be dropped. */
typedef void (*rci_store_notify_cb)(rci_store *s, const char *channel, const char *payload);

/* Listen on channel (a lower-case SQL identifier, static string) in every
 * pool: each pool then keeps one extra connection that only listens. Call
 * from main before rci_store_new; misuse aborts at start-up. */
void rci_store_listen(const char *channel, rci_store_notify_cb cb);

/* 1 while the pool's listener has LISTEN in force (so no notification on
 * a registered channel can be missed), else 0. */
int rci_store_listening(const rci_store *s);

/* ---- pool --------------------------------------------------------------- */

typedef struct rci_store_config {
    const char *conninfo;   /* libpq connection string (no DNS names: use
                               hostaddr= or a Unix socket path) */
    int pool_size;          /* connections on this loop, >= 1 */
    int max_queue;          /* queued requests before BUSY */
    const char *application_name;
} rci_store_config;

/* Create a pool on base and start connecting (cfg's strings are copied).
 * Returns NULL on out of memory. */
rci_store *rci_store_new(struct event_base *base, const rci_store_config *cfg,
                         rci_store_state_cb state_cb, void *state_arg);

/* Close every connection, fail queued requests with UNAVAILABLE, free. */
void rci_store_free(rci_store *s);

/* 1 when at least one connection is ready for queries. */
int rci_store_is_up(const rci_store *s);

/* Run registered statement stmt (from rci_store_register) with text-format
 * params (NULL for SQL NULL; nparams must match the registration).
 * Returns a handle usable with rci_store_cancel, or NULL when the store is
 * down (no ready connection) — the caller fails fast with UNAVAILABLE. When
 * the queue is full the callback gets RCI_STORE_BUSY. Params are copied.
 * The handle is invalid once its callback has returned. */
rci_store_req *rci_store_query(rci_store *s, int stmt, const char *const *params,
                               rci_store_cb cb, void *arg);

/* Forget a request: its callback will not be called. If it is already
 * running on a connection, its result is read and discarded. */
void rci_store_cancel(rci_store_req *req);

/* Pool figures for /metrics. */
typedef struct rci_store_stats {
    int connections;   /* configured */
    int ready;         /* connected and idle */
    int busy;          /* running a query */
    int queued;        /* waiting for a connection */
    unsigned long long queries;   /* completed since start */
    unsigned long long failures;  /* completed with an error */
    unsigned long long reconnects;
} rci_store_stats;
void rci_store_get_stats(const rci_store *s, rci_store_stats *out);

#endif
