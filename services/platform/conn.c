/* conn.c: one client connection — a bufferevent carrying an nghttp2 server
 * session (see conn.h).
 *
 * Data path: bytes arrive in conn_readcb → nghttp2_session_mem_recv → the
 * session callbacks below, which hand headers, body bytes and stream events
 * to the calls (call.c). Whatever the calls queue goes out through
 * rci_conn_flush → nghttp2_session_send → send_callback → the bufferevent.
 * Back-pressure: send_callback refuses (WOULDBLOCK) once 64 KiB wait in the
 * output buffer; conn_writecb resumes when it drains.
 *
 * Every nghttp2 callback is registered in conn_session_new, in one place.
 */
#include "platform/conn.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "platform/call_internal.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "platform/metrics.h"

#define CONN_OUTPUT_HIGH (64 * 1024)      /* stop producing above this */
#define CONN_WINDOW (1 << 20)             /* connection receive window */

static void conn_free(rci_conn *conn);
static void conn_send(rci_conn *conn);
static void conn_flush_cb(evutil_socket_t fd, short what, void *arg);

int64_t rci_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- nghttp2 callbacks ------------------------------------------------- */

static ssize_t send_callback(nghttp2_session *session, const uint8_t *data,
                             size_t length, int flags, void *user_data)
{
    (void)session;
    (void)flags;
    rci_conn *conn = user_data;
    struct evbuffer *out = bufferevent_get_output(conn->bev);
    if (evbuffer_get_length(out) >= CONN_OUTPUT_HIGH)
        return NGHTTP2_ERR_WOULDBLOCK;
    if (bufferevent_write(conn->bev, data, length) != 0)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    return (ssize_t)length;
}

static int on_begin_headers_callback(nghttp2_session *session, const nghttp2_frame *frame,
                                     void *user_data)
{
    rci_conn *conn = user_data;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    rci_call *call = rci_call_new(conn, frame->hd.stream_id);
    if (!call)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* RST_STREAM this one */
    nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, call);
    conn->nstreams++;
    rci_metrics_streams_add(1);
    return 0;
}

static int on_header_callback(nghttp2_session *session, const nghttp2_frame *frame,
                              const uint8_t *name, size_t namelen, const uint8_t *value,
                              size_t valuelen, uint8_t flags, void *user_data)
{
    (void)flags;
    (void)user_data;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* trailers from a client carry nothing we use */
    rci_call *call = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (call)
        rci_call_on_header(call, name, namelen, value, valuelen);
    return 0;
}

static int on_frame_recv_callback(nghttp2_session *session, const nghttp2_frame *frame,
                                  void *user_data)
{
    (void)user_data;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    rci_call *call = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (!call)
        return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
        rci_call_on_headers_done(call);
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
        rci_call_on_end_stream(call);
    return 0;
}

static int on_data_chunk_recv_callback(nghttp2_session *session, uint8_t flags,
                                       int32_t stream_id, const uint8_t *data, size_t len,
                                       void *user_data)
{
    (void)flags;
    (void)user_data;
    rci_call *call = nghttp2_session_get_stream_user_data(session, stream_id);
    if (call)
        rci_call_on_data(call, data, len);
    return 0;
}

static int on_frame_send_callback(nghttp2_session *session, const nghttp2_frame *frame,
                                  void *user_data)
{
    (void)user_data;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    rci_call *call = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (call)
        rci_call_on_frame_sent(call, frame->hd.type == NGHTTP2_HEADERS,
                               (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0);
    return 0;
}

static int on_stream_close_callback(nghttp2_session *session, int32_t stream_id,
                                    uint32_t error_code, void *user_data)
{
    rci_conn *conn = user_data;
    rci_call *call = nghttp2_session_get_stream_user_data(session, stream_id);
    if (!call)
        return 0;
    nghttp2_session_set_stream_user_data(session, stream_id, NULL);
    rci_call_on_close(call, error_code);
    conn->nstreams--;
    rci_metrics_streams_add(-1);
    if (conn->nstreams == 0)
        conn->last_activity_us = rci_now_us();
    return 0;
}

/* Build the session with every callback and the limits from the config. */
static int conn_session_new(rci_conn *conn)
{
    const rci_config *cfg = conn->loop->cfg;
    nghttp2_session_callbacks *cbs;
    nghttp2_option *opt;
    if (nghttp2_session_callbacks_new(&cbs) != 0)
        return -1;
    nghttp2_session_callbacks_set_send_callback(cbs, send_callback);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers_callback);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header_callback);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv_callback);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk_recv_callback);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send_callback);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close_callback);
    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cbs);
        return -1;
    }
    /* Rapid reset (CVE-2023-44487) and CONTINUATION floods (CVE-2024-28182). */
    nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
    nghttp2_option_set_max_continuations(opt, 8);
    int rv = nghttp2_session_server_new2(&conn->session, cbs, conn, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0)
        return -1;

    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, cfg->max_concurrent_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, cfg->max_header_list_bytes},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 256 * 1024},
    };
    if (nghttp2_submit_settings(conn->session, NGHTTP2_FLAG_NONE, iv,
                                sizeof iv / sizeof iv[0]) != 0)
        return -1;
    nghttp2_session_set_local_window_size(conn->session, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW);
    return 0;
}

/* ---- bufferevent callbacks ---------------------------------------------- */

/* Feed every buffered byte to nghttp2 without copying (evbuffer_peek). */
static int conn_recv(rci_conn *conn)
{
    struct evbuffer *in = bufferevent_get_input(conn->bev);
    struct evbuffer_iovec vec[16];
    int n = evbuffer_peek(in, -1, NULL, vec, 16);
    if (n > 16)
        n = 16;
    size_t consumed = 0;
    conn->in_session = 1;
    for (int i = 0; i < n; i++) {
        ssize_t rv = nghttp2_session_mem_recv(conn->session, vec[i].iov_base, vec[i].iov_len);
        if (rv < 0) {
            conn->in_session = 0;
            rci_log_debug("conn %s: HTTP/2 error: %s", conn->peer, nghttp2_strerror((int)rv));
            return -1;
        }
        consumed += (size_t)rv;
    }
    conn->in_session = 0;
    evbuffer_drain(in, consumed);
    return 0;
}

static void conn_readcb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    rci_conn *conn = arg;
    if (conn->closing)
        return;
    conn->last_activity_us = rci_now_us();
    while (evbuffer_get_length(bufferevent_get_input(conn->bev)) > 0) {
        if (conn_recv(conn) != 0) {
            /* nghttp2 has queued a GOAWAY for protocol errors; send it. */
            conn_send(conn);
            rci_conn_close(conn);
            return;
        }
        if (conn->closing)
            return;
    }
    conn_send(conn);
}

static void conn_writecb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    conn_send(arg);
}

/* A timed-out read: a client that holds a call open mid-request without
 * sending (slowloris), or an idle connection, is closed; a connection
 * whose calls are only waiting on the server (e.g. Watch) stays. */
static void conn_on_timeout(rci_conn *conn)
{
    const rci_config *cfg = conn->loop->cfg;
    int64_t idle_us = rci_now_us() - conn->last_activity_us;
    if (cfg->idle_timeout_sec && conn->nstreams == 0 &&
        idle_us >= (int64_t)cfg->idle_timeout_sec * 1000000) {
        /* GOAWAY first, and conn_send closes once it is written: closing
         * now would drop it unsent (bufferevent_free discards the output),
         * and a call the client starts meanwhile would fail UNAVAILABLE
         * instead of being retried. A peer that has not taken it by the
         * next timeout is dropped. */
        if (conn->goaway_sent) {
            rci_conn_close(conn);
            return;
        }
        rci_log_debug("conn %s: idle for %d s, closing", conn->peer, cfg->idle_timeout_sec);
        rci_conn_goaway(conn);
        conn_send(conn);
        if (!conn->closing)
            bufferevent_enable(conn->bev, EV_READ);
        return;
    }
    for (rci_call *c = conn->calls; c && cfg->read_timeout_sec; c = rci_call_next(c)) {
        if (rci_call_is_receiving(c)) {
            rci_log_info("conn %s: no request bytes for %d s, closing", conn->peer,
                         cfg->read_timeout_sec);
            rci_conn_close(conn);
            return;
        }
    }
    bufferevent_enable(conn->bev, EV_READ);
}

static void conn_eventcb(struct bufferevent *bev, short events, void *arg)
{
    rci_conn *conn = arg;
    if (events & BEV_EVENT_CONNECTED) {
        /* TLS handshake done: the peer must have chosen h2 by ALPN. */
        SSL *ssl = bufferevent_openssl_get_ssl(bev);
        const unsigned char *alpn = NULL;
        unsigned int alpnlen = 0;
        SSL_get0_alpn_selected(ssl, &alpn, &alpnlen);
        if (alpnlen != 2 || memcmp(alpn, "h2", 2) != 0) {
            rci_log_info("conn %s: TLS client did not negotiate h2 by ALPN", conn->peer);
            rci_conn_close(conn);
            return;
        }
        rci_conn_flush(conn);
        return;
    }
    if (events & BEV_EVENT_TIMEOUT) {
        conn_on_timeout(conn);
        return;
    }
    if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        /* OpenSSL 3 reports a peer closing without close_notify as an error:
         * it is an ordinary disconnect. Clear the thread's error queue so it
         * cannot leak into another connection (grpc-wire.md §7). */
        ERR_clear_error();
        rci_conn_close(conn);
    }
}

/* ---- public ------------------------------------------------------------- */

static void conn_close_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn_free(arg);
}

void rci_conn_accept(rci_loop *loop, int fd, const char *peer)
{
    rci_conn *conn = calloc(1, sizeof *conn);
    if (!conn) {
        close(fd);
        return;
    }
    conn->loop = loop;
    snprintf(conn->peer, sizeof conn->peer, "%s", peer);
    conn->last_activity_us = rci_now_us();
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (loop->ssl_ctx) {
        SSL *ssl = SSL_new(loop->ssl_ctx);
        if (ssl)
            conn->bev = bufferevent_openssl_socket_new(loop->base, fd, ssl,
                                                       BUFFEREVENT_SSL_ACCEPTING,
                                                       BEV_OPT_CLOSE_ON_FREE);
        if (!conn->bev && ssl)
            SSL_free(ssl);
    } else {
        conn->bev = bufferevent_socket_new(loop->base, fd, BEV_OPT_CLOSE_ON_FREE);
    }
    conn->close_ev = event_new(loop->base, -1, 0, conn_close_cb, conn);
    conn->flush_ev = event_new(loop->base, -1, 0, conn_flush_cb, conn);
    if (!conn->bev || !conn->close_ev || !conn->flush_ev || conn_session_new(conn) != 0) {
        rci_log_error("conn %s: out of memory setting up the connection", peer);
        if (!conn->bev)
            close(fd);
        conn_free(conn);
        return;
    }
    rci_loop_conn_added(loop, conn);
    conn->listed = 1;
    rci_metrics_connections_add(1);
    /* One read timeout serves both checks (conn_on_timeout); 0 = never. */
    int secs = loop->cfg->read_timeout_sec ? loop->cfg->read_timeout_sec
                                           : loop->cfg->idle_timeout_sec;
    struct timeval rt = {secs, 0};
    bufferevent_set_timeouts(conn->bev, secs ? &rt : NULL, NULL);
    bufferevent_setcb(conn->bev, conn_readcb, conn_writecb, conn_eventcb, conn);
    bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
    if (!loop->ssl_ctx)
        rci_conn_flush(conn); /* h2c prior knowledge: our SETTINGS go at once */
    rci_log_debug("conn %s: accepted%s", conn->peer, loop->ssl_ctx ? " (TLS)" : "");
}

/* Write what nghttp2 has queued, now. Only called from the top of a libevent
 * callback (read, write, the flush event), never from inside a call. */
static void conn_send(rci_conn *conn)
{
    if (conn->closing || !conn->session)
        return;
    conn->in_session = 1;
    int rv = nghttp2_session_send(conn->session);
    conn->in_session = 0;
    if (rv != 0) {
        rci_log_debug("conn %s: send failed: %s", conn->peer, nghttp2_strerror(rv));
        rci_conn_close(conn);
        return;
    }
    if (!nghttp2_session_want_read(conn->session) && !nghttp2_session_want_write(conn->session)
        && evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0)
        rci_conn_close(conn);
}

static void conn_flush_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn_send(arg);
}

/* Sending is deferred to the flush event, which runs in the same pass of
 * the event loop: a handler that answers never re-enters nghttp2, and a
 * loop over calls or watchers never sees one freed under it. */
void rci_conn_flush(rci_conn *conn)
{
    if (conn->in_session || conn->closing || !conn->session)
        return;
    event_active(conn->flush_ev, 0, 0);
}

void rci_conn_shutdown_notice(rci_conn *conn)
{
    if (conn->session && !conn->closing)
        nghttp2_submit_shutdown_notice(conn->session);
}

void rci_conn_goaway(rci_conn *conn)
{
    if (!conn->session || conn->closing || conn->goaway_sent)
        return;
    conn->goaway_sent = 1;
    nghttp2_submit_goaway(conn->session, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(conn->session),
                          NGHTTP2_NO_ERROR, NULL, 0);
}

void rci_conn_end_streams(rci_conn *conn)
{
    for (rci_call *c = conn->calls; c; c = rci_call_next(c))
        rci_call_on_shutdown(c);
}

void rci_conn_close(rci_conn *conn)
{
    if (conn->closing)
        return;
    conn->closing = 1;
    if (conn->bev)
        bufferevent_disable(conn->bev, EV_READ | EV_WRITE);
    event_active(conn->close_ev, 0, 0);
}

/* Free the connection: calls still open are cancelled first (nghttp2 does
 * not call on_stream_close when a session is deleted). */
static void conn_free(rci_conn *conn)
{
    while (conn->calls) {
        rci_call *call = conn->calls;
        rci_call_on_close(call, NGHTTP2_CANCEL);
        conn->nstreams--;
        rci_metrics_streams_add(-1);
    }
    if (conn->session)
        nghttp2_session_del(conn->session);
    if (conn->bev) {
        SSL *ssl = conn->loop->ssl_ctx ? bufferevent_openssl_get_ssl(conn->bev) : NULL;
        if (ssl)
            SSL_set_shutdown(ssl, SSL_RECEIVED_SHUTDOWN);
        bufferevent_free(conn->bev);
    }
    if (conn->listed) {
        rci_loop_conn_removed(conn->loop, conn);
        rci_metrics_connections_add(-1);
    }
    if (conn->close_ev)
        event_free(conn->close_ev);
    if (conn->flush_ev)
        event_free(conn->flush_ev);
    free(conn);
}
