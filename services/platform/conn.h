/* conn.h: one client connection — a bufferevent (plain or TLS) carrying an
 * nghttp2 server session.
 *
 * Owns: the session and its callbacks (all registered in conn.c), reading
 * bytes into nghttp2 and writing what it produces with back-pressure, the
 * per-connection limits (concurrent streams, header list size, idle and
 * read timeouts, rapid-reset and CONTINUATION flood limits), TLS ALPN "h2",
 * GOAWAY, and closing. The calls (streams) it carries are in call.c; a
 * connection only tells them what arrived and when they are closed.
 */
#ifndef RCI_CONN_H
#define RCI_CONN_H

#include <nghttp2/nghttp2.h>
#include <stdint.h>

struct rci_loop;
struct rci_call;
struct bufferevent;
struct event;

typedef struct rci_conn {
    struct rci_loop *loop;
    struct bufferevent *bev;
    nghttp2_session *session;
    char peer[64];
    struct rci_call *calls;        /* live calls on this connection */
    int nstreams;
    int in_session;                /* inside nghttp2 recv/send: do not re-enter */
    int closing;                   /* close scheduled */
    int goaway_sent;
    int listed;                    /* in loop->conns */
    int64_t last_activity_us;      /* monotonic, for the idle timeout */
    struct event *close_ev;        /* deferred close, outside every callback */
    struct event *flush_ev;        /* deferred send (rci_conn_flush) */
    struct rci_conn *prev, *next;  /* in loop->conns */
} rci_conn;

/* Take over an accepted socket on loop (called on the loop's thread). */
void rci_conn_accept(struct rci_loop *loop, int fd, const char *peer);

/* Have whatever nghttp2 has queued written out, in this pass of the event
 * loop but not from inside the caller (no re-entry into nghttp2); a
 * finished session is then closed. Safe anywhere on the loop thread. */
void rci_conn_flush(rci_conn *conn);

/* Graceful shutdown steps (§9.5): a GOAWAY notice, then the real GOAWAY. */
void rci_conn_shutdown_notice(rci_conn *conn);
void rci_conn_goaway(rci_conn *conn);

/* Shutdown: end the long-lived streams (Watch …) with UNAVAILABLE. */
void rci_conn_end_streams(rci_conn *conn);

/* Close now: calls still open are cancelled. Deferred to a fresh event. */
void rci_conn_close(rci_conn *conn);

/* Monotonic clock in microseconds. */
int64_t rci_now_us(void);

#endif
