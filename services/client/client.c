/* client.c: the blocking gRPC client — one connection, one nghttp2 client
 * session, calls as streams on it (see client.h for the contract).
 *
 * Owns: the socket, the TLS state (OpenSSL with memory BIOs, so every byte
 * goes through our own send/recv and SIGPIPE never fires), the nghttp2
 * session and its callbacks, and every call until it is freed.
 *
 * The shape: nothing happens behind the caller's back. Each public function
 * that must wait runs client_io() rounds — write what nghttp2 has queued,
 * poll() the socket until the call's deadline, read and feed nghttp2 —
 * until what it waits for is there. nghttp2's callbacks only record what
 * arrived on the call the stream belongs to (headers, message bytes into
 * its decoder, the end of the stream); the waiting function then looks.
 *
 * Flow control: the window of a stream is only given back (WINDOW_UPDATE)
 * when its messages are taken by rci_client_call_recv, so a server cannot
 * make an unread call buffer more than one window; the stream window is
 * set a little above the largest accepted message, so a whole message
 * always fits. The connection window is given back as bytes arrive.
 *
 * Ownership: the client owns the list of calls. A call the user frees
 * while its stream is still open is reset and kept as an orphan until
 * nghttp2 closes the stream (nghttp2 still holds it as stream user data);
 * rci_client_close frees the orphans and cuts the others loose.
 */
#include "client/client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PORT "50051"
#define DEFAULT_USER_AGENT "rcictl/0.1"
#define DEFAULT_MAX_MESSAGE (4u * 1024 * 1024)
#define DEFAULT_CONNECT_MS 10000
/* Response header + trailer bytes per call, counted like
 * SETTINGS_MAX_HEADER_LIST_SIZE (name + value + 32 each); C-core's hard
 * limit. Advertised and enforced. */
#define MAX_HEADER_LIST 16384
#define CONNECTION_WINDOW (16 * 1024 * 1024)
#define SEND_HIGH_WATER (1u << 20)
#define IO_CHUNK 16384

struct rci_client {
    int fd;
    SSL_CTX *ssl_ctx;
    SSL *ssl;                  /* memory BIOs: rbio gets what recv() read, */
    BIO *rbio, *wbio;          /* wbio holds records to send; owned by ssl */
    nghttp2_session *session;
    char *authority;           /* "host:port" ("[v6]:port"), for :authority */
    const char *scheme;        /* "http" or "https" */
    char *user_agent;
    char *authorization;       /* "Bearer <token>", or NULL */
    char **md_names, **md_values;
    size_t n_md;
    size_t max_message;
    volatile sig_atomic_t *interrupt;
    uint8_t *out;              /* bytes for the socket, not yet written */
    size_t out_len, out_off, out_cap;
    int got_settings;          /* the server's first SETTINGS arrived */
    int goaway;                /* GOAWAY received */
    uint32_t sent_goaway;      /* error code of a GOAWAY we sent, + 1 */
    char *last_error;          /* nghttp2's text for the last protocol error */
    int32_t goaway_last_id;
    uint32_t goaway_error;
    int dead;                  /* the connection is unusable: */
    int dead_code;             /* every call fails with this status */
    char *dead_msg;
    rci_client_call *calls;    /* every call not yet freed, and orphans */
};

struct rci_client_call {
    rci_client *client;        /* NULL once the client is closed */
    rci_client_call *prev, *next;
    int32_t stream_id;         /* > 0 while the stream is open in nghttp2 */
    int orphan;                /* freed by its owner, waiting for close */
    int64_t deadline;          /* CLOCK_MONOTONIC ms; INT64_MAX: none */
    int timeout_ms;
    /* request side: framed messages not yet taken by nghttp2 */
    uint8_t *tx;
    size_t tx_len, tx_off, tx_cap;
    int tx_eof;                /* half-close requested */
    /* response side */
    rci_wire_decoder rx;
    int http_status;           /* final :status, 0 before it */
    int headers_done;          /* the response HEADERS arrived */
    int have_grpc_status;
    int grpc_status;           /* -1 when the value was not a number */
    char *grpc_message;        /* decoded */
    uint8_t *details;
    size_t details_len;
    char *content_type;
    char *encoding;            /* grpc-encoding of the response */
    size_t header_bytes;
    int done;                  /* status is final */
    rci_client_status status;
};

/* ---- small helpers ------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds from now until `until` for poll(): -1 for no limit. */
static int poll_timeout(int64_t until)
{
    if (until == INT64_MAX)
        return -1;
    int64_t left = until - now_ms();
    if (left < 0)
        return 0;
    return left > INT_MAX ? INT_MAX : (int)left;
}

static void status_setv(rci_client_status *st, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void status_setv(rci_client_status *st, int code, const char *fmt, va_list ap)
{
    rci_client_status_clear(st);
    st->code = code;
    if (vasprintf(&st->message, fmt, ap) < 0)
        st->message = NULL;
}

static void status_set(rci_client_status *st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void status_set(rci_client_status *st, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    status_setv(st, code, fmt, ap);
    va_end(ap);
}

void rci_client_status_clear(rci_client_status *st)
{
    if (!st)
        return;
    free(st->message);
    free(st->details);
    st->code = RCI_OK;
    st->message = NULL;
    st->details = NULL;
    st->details_len = 0;
}

/* Make room for n more bytes. */
static int buf_reserve(uint8_t **buf, size_t len, size_t *cap, size_t n)
{
    if (*cap - len >= n)
        return 0;
    size_t ncap = *cap ? *cap : 4096;
    while (ncap - len < n) {
        if (ncap > SIZE_MAX / 2)
            return -1;
        ncap *= 2;
    }
    uint8_t *nb = realloc(*buf, ncap);
    if (!nb)
        return -1;
    *buf = nb;
    *cap = ncap;
    return 0;
}

static int buf_append(uint8_t **buf, size_t *len, size_t *cap, const void *data, size_t n)
{
    if (buf_reserve(buf, *len, cap, n) < 0)
        return -1;
    memcpy(*buf + *len, data, n);
    *len += n;
    return 0;
}

static void ssl_error_text(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, buf, len);
    else
        snprintf(buf, len, "%s", errno ? strerror(errno) : "unknown TLS error");
    ERR_clear_error();
}

/* ---- calls: ending and freeing ------------------------------------------ */

/* Make the call's status final (first one wins). */
static void call_end(rci_client_call *call, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void call_end(rci_client_call *call, int code, const char *fmt, ...)
{
    if (call->done)
        return;
    va_list ap;
    va_start(ap, fmt);
    status_setv(&call->status, code, fmt, ap);
    va_end(ap);
    call->done = 1;
}

/* Reset the call's stream with CANCEL, which the server sees as a
 * cancellation. The RST goes out at the next flush. */
static void call_reset(rci_client_call *call)
{
    if (call->client && call->stream_id > 0 && !call->client->dead)
        nghttp2_submit_rst_stream(call->client->session, NGHTTP2_FLAG_NONE, call->stream_id,
                                  NGHTTP2_CANCEL);
}

/* End the call locally (first status wins) and reset its stream. */
static void call_cancel(rci_client_call *call, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void call_cancel(rci_client_call *call, int code, const char *fmt, ...)
{
    if (!call->done) {
        va_list ap;
        va_start(ap, fmt);
        status_setv(&call->status, code, fmt, ap);
        va_end(ap);
        call->done = 1;
    }
    call_reset(call);
}

/* A response the client cannot use (undecodable, too large): this error
 * replaces an OK status the server may already have sent, as in stock
 * clients; the stream is reset if still open. */
static void call_reject(rci_client_call *call, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void call_reject(rci_client_call *call, int code, const char *fmt, ...)
{
    if (!call->done || call->status.code == RCI_OK) {
        va_list ap;
        va_start(ap, fmt);
        status_setv(&call->status, code, fmt, ap);
        va_end(ap);
        call->done = 1;
    }
    call_reset(call);
}

static void call_unlink(rci_client_call *call)
{
    rci_client *c = call->client;
    if (!c)
        return;
    if (call->prev)
        call->prev->next = call->next;
    else
        c->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    call->prev = call->next = NULL;
    call->client = NULL;
}

static void call_destroy(rci_client_call *call)
{
    call_unlink(call);
    free(call->tx);
    rci_wire_decoder_free(&call->rx);
    free(call->grpc_message);
    free(call->details);
    free(call->content_type);
    free(call->encoding);
    rci_client_status_clear(&call->status);
    free(call);
}

/* ---- connection failure ------------------------------------------------- */

/* The connection is unusable: remember why, fail every call still running
 * with that status and drop the orphans (no stream callback will come). */
static void conn_fail(rci_client *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void conn_fail(rci_client *c, int code, const char *fmt, ...)
{
    if (c->dead)
        return;
    c->dead = 1;
    c->dead_code = code;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&c->dead_msg, fmt, ap) < 0)
        c->dead_msg = NULL;
    va_end(ap);
    rci_client_call *call = c->calls, *next;
    for (; call; call = next) {
        next = call->next;
        call->stream_id = 0;
        if (call->orphan) {
            call_destroy(call);
            continue;
        }
        call_end(call, code, "%s", c->dead_msg ? c->dead_msg : "connection failed");
    }
}

/* Text for a connection closed by the peer, with the GOAWAY reason if one
 * came. */
static void conn_closed(rci_client *c)
{
    if (c->sent_goaway > 1)
        conn_fail(c, RCI_INTERNAL, "HTTP/2 connection error (%s)%s%s",
                  nghttp2_http2_strerror(c->sent_goaway - 1), c->last_error ? ": " : "",
                  c->last_error ? c->last_error : "");
    else if (c->goaway && c->goaway_error != NGHTTP2_NO_ERROR)
        conn_fail(c, RCI_UNAVAILABLE, "connection closed by the server after GOAWAY (%s)",
                  nghttp2_http2_strerror(c->goaway_error));
    else if (c->goaway)
        conn_fail(c, RCI_UNAVAILABLE, "connection closed by the server (GOAWAY: shutting down)");
    else
        conn_fail(c, RCI_UNAVAILABLE, "connection closed by the server");
}

/* ---- socket I/O --------------------------------------------------------- */

/* Move TLS records produced by OpenSSL into the output buffer. */
static int tls_drain(rci_client *c)
{
    uint8_t tmp[IO_CHUNK];
    while (BIO_ctrl_pending(c->wbio) > 0) {
        int n = BIO_read(c->wbio, tmp, sizeof tmp);
        if (n <= 0)
            break;
        if (buf_append(&c->out, &c->out_len, &c->out_cap, tmp, (size_t)n) < 0)
            return -1;
    }
    return 0;
}

/* Queue application bytes for the socket (encrypting them under TLS). */
static int out_queue(rci_client *c, const uint8_t *data, size_t len)
{
    if (!c->ssl)
        return buf_append(&c->out, &c->out_len, &c->out_cap, data, len);
    while (len > 0) {
        int chunk = len > INT_MAX ? INT_MAX : (int)len;
        ERR_clear_error();
        int n = SSL_write(c->ssl, data, chunk);
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
        if (tls_drain(c) < 0)
            return -1;
    }
    return 0;
}

/* Write the output buffer without blocking. Returns 0 (all written or the
 * socket is full) or -1 with errno set. */
static int out_write(rci_client *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

/* Take every frame nghttp2 wants to send into the output buffer and write
 * what the socket takes. Never blocks. Returns 0, or -1 if the connection
 * failed (c->dead). Must not be called from an nghttp2 callback. */
static int client_flush(rci_client *c)
{
    if (c->dead)
        return -1;
    for (;;) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->session, &data);
        if (n < 0) {
            conn_fail(c, RCI_INTERNAL, "HTTP/2 send failed: %s", nghttp2_strerror((int)n));
            return -1;
        }
        if (n == 0)
            break;
        if (out_queue(c, data, (size_t)n) < 0) {
            conn_fail(c, RCI_RESOURCE_EXHAUSTED, "out of memory queueing output");
            return -1;
        }
    }
    if (out_write(c) < 0) {
        conn_fail(c, RCI_UNAVAILABLE, "write to %s: %s", c->authority, strerror(errno));
        return -1;
    }
    return 0;
}

/* Feed decrypted (or plain) bytes to nghttp2. */
static int session_feed(rci_client *c, const uint8_t *data, size_t len)
{
    ssize_t rv = nghttp2_session_mem_recv(c->session, data, len);
    if (rv < 0) {
        conn_fail(c, RCI_UNAVAILABLE, "HTTP/2 protocol error from %s: %s%s%s", c->authority,
                  nghttp2_strerror((int)rv), c->last_error ? ": " : "",
                  c->last_error ? c->last_error : "");
        return -1;
    }
    return 0;
}

/* Read everything the socket has now. Returns 0, or -1 when the connection
 * ended or failed (c->dead). */
static int client_read(rci_client *c)
{
    uint8_t buf[IO_CHUNK];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            conn_fail(c, RCI_UNAVAILABLE, "read from %s: %s", c->authority, strerror(errno));
            return -1;
        }
        if (n == 0) {
            conn_closed(c);
            return -1;
        }
        if (!c->ssl) {
            if (session_feed(c, buf, (size_t)n) < 0)
                return -1;
            continue;
        }
        if (BIO_write(c->rbio, buf, (int)n) != (int)n) {
            conn_fail(c, RCI_RESOURCE_EXHAUSTED, "out of memory buffering TLS input");
            return -1;
        }
        for (;;) {
            uint8_t plain[IO_CHUNK];
            ERR_clear_error();
            int r = SSL_read(c->ssl, plain, sizeof plain);
            if (r > 0) {
                if (session_feed(c, plain, (size_t)r) < 0)
                    return -1;
                continue;
            }
            int err = SSL_get_error(c->ssl, r);
            if (err == SSL_ERROR_WANT_READ)
                break;
            if (err == SSL_ERROR_ZERO_RETURN) {
                conn_closed(c);
                return -1;
            }
            char text[256];
            ssl_error_text(text, sizeof text);
            conn_fail(c, RCI_UNAVAILABLE, "TLS error from %s: %s", c->authority, text);
            return -1;
        }
        if (tls_drain(c) < 0) {
            conn_fail(c, RCI_RESOURCE_EXHAUSTED, "out of memory queueing output");
            return -1;
        }
    }
}

/* One round of I/O: flush, wait until the socket is readable (or writable
 * while output is pending) or `until` passes, read. Returns 0 (something
 * happened or time passed: the caller looks again), -1 if the connection
 * is dead, -2 if interrupted. */
static int client_io(rci_client *c, int64_t until)
{
    if (client_flush(c) < 0)
        return -1;
    if (c->interrupt && *c->interrupt)
        return -2;
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    if (c->out_off < c->out_len)
        pfd.events |= POLLOUT;
    int n = poll(&pfd, 1, poll_timeout(until));
    if (n < 0) {
        if (errno == EINTR)
            return c->interrupt && *c->interrupt ? -2 : 0;
        conn_fail(c, RCI_INTERNAL, "poll: %s", strerror(errno));
        return -1;
    }
    if (n == 0)
        return 0;
    if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
        if (client_read(c) < 0)
            return -1;
    }
    if (client_flush(c) < 0)
        return -1;
    if (!nghttp2_session_want_read(c->session) && !nghttp2_session_want_write(c->session)) {
        conn_closed(c);
        return -1;
    }
    return 0;
}

/* ---- nghttp2 callbacks -------------------------------------------------- */

static rci_client_call *stream_call(nghttp2_session *s, int32_t stream_id)
{
    return nghttp2_session_get_stream_user_data(s, stream_id);
}

static int http_to_grpc(int http)
{
    switch (http) {
    case 400: return RCI_INTERNAL;
    case 401: return RCI_UNAUTHENTICATED;
    case 403: return RCI_PERMISSION_DENIED;
    case 404: return RCI_UNIMPLEMENTED;
    case 429: case 502: case 503: case 504: return RCI_UNAVAILABLE;
    default: return RCI_UNKNOWN;
    }
}

static int rst_to_grpc(uint32_t error_code)
{
    switch (error_code) {
    case NGHTTP2_REFUSED_STREAM: return RCI_UNAVAILABLE;
    case NGHTTP2_CANCEL: return RCI_CANCELLED;
    case NGHTTP2_ENHANCE_YOUR_CALM: return RCI_RESOURCE_EXHAUSTED;
    case NGHTTP2_INADEQUATE_SECURITY: return RCI_PERMISSION_DENIED;
    default: return RCI_INTERNAL;
    }
}

static int is_grpc_content_type(const char *ct)
{
    if (!ct || strncmp(ct, "application/grpc", 16) != 0)
        return 0;
    return ct[16] == '\0' || ct[16] == '+' || ct[16] == ';';
}

/* The server ended the stream (END_STREAM, or the stream closed with
 * error_code): settle the status from what arrived, as stock clients do
 * (grpc-wire.md §3, §5). */
static void call_settle(rci_client_call *call, uint32_t error_code)
{
    if (call->done)
        return;
    if (call->have_grpc_status && error_code == NGHTTP2_NO_ERROR) {
        if (call->grpc_status < 0) {
            call_end(call, RCI_UNKNOWN, "server sent an invalid grpc-status");
            return;
        }
        call->status.code = call->grpc_status;
        call->status.message = call->grpc_message ? call->grpc_message : strdup("");
        call->grpc_message = NULL;
        call->status.details = call->details;
        call->status.details_len = call->details_len;
        call->details = NULL;
        call->details_len = 0;
        call->done = 1;
        return;
    }
    if (error_code != NGHTTP2_NO_ERROR) {
        rci_client *c = call->client;
        if (error_code == NGHTTP2_REFUSED_STREAM && c && c->goaway &&
            call->stream_id > c->goaway_last_id)
            call_end(call, RCI_UNAVAILABLE,
                     "server is going away (GOAWAY); the call was not started");
        else if (error_code == NGHTTP2_REFUSED_STREAM)
            call_end(call, RCI_UNAVAILABLE, "stream refused by the server; the call was not started");
        else
            call_end(call, rst_to_grpc(error_code), "stream reset by the server (%s)",
                     nghttp2_http2_strerror(error_code));
        return;
    }
    if (call->http_status != 0 && call->http_status != 200) {
        call_end(call, http_to_grpc(call->http_status),
                 "server answered HTTP %d without a gRPC status", call->http_status);
        return;
    }
    if (!call->headers_done) {
        call_end(call, RCI_INTERNAL, "stream closed without a response");
        return;
    }
    if (!is_grpc_content_type(call->content_type)) {
        if (call->content_type)
            call_end(call, RCI_UNKNOWN,
                     "server answered with content-type \"%s\", not application/grpc",
                     call->content_type);
        else
            call_end(call, RCI_UNKNOWN, "server answered without a content-type, not gRPC");
        return;
    }
    call_end(call, RCI_INTERNAL, "server closed the stream without sending a gRPC status");
}

static int replace_str(char **dst, const uint8_t *value, size_t len)
{
    char *s = strndup((const char *)value, len);
    if (!s)
        return -1;
    free(*dst);
    *dst = s;
    return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user_data)
{
    (void)flags;
    (void)user_data;
    if (frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    rci_client_call *call = stream_call(s, frame->hd.stream_id);
    if (!call || call->done)
        return 0;
    call->header_bytes += namelen + valuelen + 32;
    if (call->header_bytes > MAX_HEADER_LIST) {
        call_end(call, RCI_RESOURCE_EXHAUSTED,
                 "response metadata larger than %d bytes", MAX_HEADER_LIST);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
#define IS(lit) (namelen == sizeof(lit) - 1 && memcmp(name, lit, namelen) == 0)
    int rc = 0;
    if (IS(":status")) {
        int code = 0;
        for (size_t i = 0; i < valuelen && i < 3; i++)
            code = code * 10 + (value[i] - '0');
        call->http_status = code;
    } else if (IS("content-type")) {
        rc = replace_str(&call->content_type, value, valuelen);
    } else if (IS("grpc-encoding")) {
        rc = replace_str(&call->encoding, value, valuelen);
    } else if (IS("grpc-status")) {
        int code = valuelen > 0 && valuelen <= 9 ? 0 : -1;
        for (size_t i = 0; code >= 0 && i < valuelen; i++)
            code = value[i] >= '0' && value[i] <= '9' ? code * 10 + (value[i] - '0') : -1;
        call->have_grpc_status = 1;
        call->grpc_status = code;
    } else if (IS("grpc-message")) {
        size_t len;
        char *m = rci_wire_pct_decode((const char *)value, valuelen, &len);
        if (!m)
            rc = -1;
        free(call->grpc_message);
        call->grpc_message = m;
    } else if (IS("grpc-status-details-bin")) {
        /* A repeated key may arrive comma-joined; there is one status. */
        size_t part = 0;
        while (part < valuelen && value[part] != ',')
            part++;
        size_t len = 0;
        uint8_t *d = rci_wire_b64_decode((const char *)value, part, &len);
        free(call->details);
        call->details = d;             /* undecodable: dropped, like grpc */
        call->details_len = d ? len : 0;
    }
#undef IS
    if (rc < 0) {
        call_end(call, RCI_RESOURCE_EXHAUSTED, "out of memory reading response metadata");
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *user_data)
{
    rci_client *c = user_data;
    switch (frame->hd.type) {
    case NGHTTP2_SETTINGS:
        if (!(frame->hd.flags & NGHTTP2_FLAG_ACK))
            c->got_settings = 1;
        return 0;
    case NGHTTP2_GOAWAY:
        c->goaway = 1;
        c->goaway_last_id = frame->goaway.last_stream_id;
        c->goaway_error = frame->goaway.error_code;
        return 0;
    case NGHTTP2_HEADERS:
    case NGHTTP2_DATA:
        break;
    default:
        return 0;
    }
    rci_client_call *call = stream_call(s, frame->hd.stream_id);
    if (!call)
        return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !call->headers_done) {
        if (call->http_status >= 100 && call->http_status < 200 &&
            !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
            call->http_status = 0;      /* interim response: wait for the real one */
            return 0;
        }
        call->headers_done = 1;
    }
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
        call_settle(call, NGHTTP2_NO_ERROR);
    return 0;
}

static int on_frame_send(nghttp2_session *s, const nghttp2_frame *frame, void *user_data)
{
    (void)s;
    rci_client *c = user_data;
    if (frame->hd.type == NGHTTP2_GOAWAY && !c->sent_goaway)
        c->sent_goaway = frame->goaway.error_code + 1;
    return 0;
}

static int on_error(nghttp2_session *s, int lib_error_code, const char *msg, size_t len,
                    void *user_data)
{
    (void)s;
    (void)lib_error_code;
    rci_client *c = user_data;
    char *copy = strndup(msg, len);
    if (copy) {
        free(c->last_error);
        c->last_error = copy;
    }
    return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t stream_id,
                         const uint8_t *data, size_t len, void *user_data)
{
    (void)flags;
    (void)user_data;
    nghttp2_session_consume_connection(s, len);
    rci_client_call *call = stream_call(s, stream_id);
    if (!call || call->done)
        return 0;
    if (call->http_status != 200 || !is_grpc_content_type(call->content_type)) {
        /* Not a gRPC response (an error page, a proxy's answer): the body
         * is not made of messages; the status comes from the headers. */
        nghttp2_session_consume_stream(s, stream_id, len);
        return 0;
    }
    if (rci_wire_decoder_feed(&call->rx, data, len) < 0) {
        if (call->rx.failed == RCI_WIRE_TOO_LARGE)
            call_cancel(call, RCI_RESOURCE_EXHAUSTED,
                        "response message larger than the limit of %zu bytes",
                        call->rx.max_message);
        else if (call->rx.failed == RCI_WIRE_BAD_FLAG)
            call_cancel(call, RCI_INTERNAL, "response message with an invalid flag byte");
        else
            call_cancel(call, RCI_RESOURCE_EXHAUSTED, "out of memory buffering the response");
    }
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t stream_id, uint32_t error_code,
                           void *user_data)
{
    (void)user_data;
    rci_client_call *call = stream_call(s, stream_id);
    if (!call)
        return 0;
    call_settle(call, error_code);
    call->stream_id = 0;
    if (call->orphan)
        call_destroy(call);
    return 0;
}

/* Data provider: hand nghttp2 the framed request bytes queued on the call;
 * defer while the queue is empty and the call has not half-closed. */
static ssize_t read_request(nghttp2_session *s, int32_t stream_id, uint8_t *buf, size_t length,
                            uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
    (void)source;
    (void)user_data;
    rci_client_call *call = stream_call(s, stream_id);
    if (!call || call->orphan)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    size_t avail = call->tx_len - call->tx_off;
    size_t n = avail < length ? avail : length;
    if (n > 0)
        memcpy(buf, call->tx + call->tx_off, n);
    call->tx_off += n;
    if (call->tx_off == call->tx_len) {
        call->tx_off = call->tx_len = 0;
        if (call->tx_eof)
            *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        else if (n == 0)
            return NGHTTP2_ERR_DEFERRED;
    }
    return (ssize_t)n;
}

/* ---- connecting --------------------------------------------------------- */

/* Split "host:port", "[v6]:port" or "host". */
static int parse_addr(const char *addr, char **host, char **port, rci_client_status *st)
{
    const char *h, *p = NULL;
    size_t hlen;
    if (!addr || !*addr) {
        status_set(st, RCI_INVALID_ARGUMENT, "empty server address");
        return -1;
    }
    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (!end || end == addr + 1 || (end[1] != '\0' && end[1] != ':')) {
            status_set(st, RCI_INVALID_ARGUMENT,
                       "bad server address \"%s\" (expected [ipv6]:port)", addr);
            return -1;
        }
        h = addr + 1;
        hlen = (size_t)(end - h);
        if (end[1] == ':')
            p = end + 2;
    } else {
        const char *colon = strchr(addr, ':');
        if (colon && strchr(colon + 1, ':')) {
            status_set(st, RCI_INVALID_ARGUMENT,
                       "bad server address \"%s\": write IPv6 addresses in brackets, "
                       "e.g. [::1]:50051", addr);
            return -1;
        }
        h = addr;
        hlen = colon ? (size_t)(colon - addr) : strlen(addr);
        if (colon)
            p = colon + 1;
    }
    if (hlen == 0) {
        status_set(st, RCI_INVALID_ARGUMENT, "bad server address \"%s\": no host", addr);
        return -1;
    }
    if (p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (!*p || *end || errno || v < 1 || v > 65535 || p[0] == '+' || p[0] == '-') {
            status_set(st, RCI_INVALID_ARGUMENT,
                       "bad server address \"%s\": port must be 1..65535", addr);
            return -1;
        }
    }
    *host = strndup(h, hlen);
    *port = strdup(p ? p : DEFAULT_PORT);
    if (!*host || !*port) {
        status_set(st, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    return 0;
}

/* Non-blocking connect to the first address of host:port that answers. */
static int tcp_connect(rci_client *c, const char *host, const char *port, int64_t deadline,
                       rci_client_status *st)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rv = getaddrinfo(host, port, &hints, &res);
    if (rv != 0) {
        status_set(st, RCI_UNAVAILABLE, "cannot resolve %s: %s", host,
                   rv == EAI_SYSTEM ? strerror(errno) : gai_strerror(rv));
        return -1;
    }
    char where[INET6_ADDRSTRLEN + 8] = "";
    int err = 0, timed_out = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        char num[INET6_ADDRSTRLEN] = "?";
        getnameinfo(ai->ai_addr, ai->ai_addrlen, num, sizeof num, NULL, 0, NI_NUMERICHOST);
        snprintf(where, sizeof where, ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", num, port);
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
            err = errno;
            close(fd);
            continue;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int n;
        do {
            n = poll(&pfd, 1, poll_timeout(deadline));
        } while (n < 0 && errno == EINTR && !(c->interrupt && *c->interrupt));
        if (n <= 0) {
            err = n < 0 ? errno : ETIMEDOUT;
            timed_out = n == 0;
            close(fd);
            if (n < 0 || timed_out)
                break;
            continue;
        }
        socklen_t len = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->fd = fd;
        freeaddrinfo(res);
        return 0;
    }
    freeaddrinfo(res);
    if (err == EINTR)
        status_set(st, RCI_CANCELLED, "interrupted");
    else if (timed_out)
        status_set(st, RCI_DEADLINE_EXCEEDED, "connect to %s: timed out", where);
    else
        status_set(st, RCI_UNAVAILABLE, "connect to %s: %s", where[0] ? where : host,
                   strerror(err ? err : ECONNREFUSED));
    return -1;
}

/* Wait for the socket until the deadline. Returns 1 ready, 0 timed out,
 * -1 interrupted or poll failed. */
static int wait_fd(rci_client *c, short events, int64_t deadline)
{
    struct pollfd pfd = {.fd = c->fd, .events = events};
    for (;;) {
        int n = poll(&pfd, 1, poll_timeout(deadline));
        if (n >= 0)
            return n > 0;
        if (errno != EINTR || (c->interrupt && *c->interrupt))
            return -1;
    }
}

static int is_ip_literal(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int tls_setup(rci_client *c, const rci_client_options *opt, const char *host,
                     rci_client_status *st)
{
    char text[256];
    c->ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ssl_ctx) {
        ssl_error_text(text, sizeof text);
        status_set(st, RCI_INTERNAL, "TLS setup: %s", text);
        return -1;
    }
    SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(c->ssl_ctx, SSL_OP_NO_RENEGOTIATION);
    static const unsigned char alpn[] = "\x02h2";
    if (SSL_CTX_set_alpn_protos(c->ssl_ctx, alpn, sizeof alpn - 1) != 0) {
        status_set(st, RCI_INTERNAL, "TLS setup: cannot set ALPN");
        return -1;
    }
    if (opt->insecure) {
        SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_PEER, NULL);
        if (opt->ca_file) {
            if (SSL_CTX_load_verify_locations(c->ssl_ctx, opt->ca_file, NULL) != 1) {
                ssl_error_text(text, sizeof text);
                status_set(st, RCI_INVALID_ARGUMENT, "cannot load CA file %s: %s", opt->ca_file,
                           text);
                return -1;
            }
        } else if (SSL_CTX_set_default_verify_paths(c->ssl_ctx) != 1) {
            ssl_error_text(text, sizeof text);
            status_set(st, RCI_INTERNAL, "cannot load the system's CA certificates: %s", text);
            return -1;
        }
    }
    c->ssl = SSL_new(c->ssl_ctx);
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());
    if (!c->ssl || !c->rbio || !c->wbio) {
        BIO_free(c->rbio);
        BIO_free(c->wbio);
        c->rbio = c->wbio = NULL;
        status_set(st, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    BIO_set_mem_eof_return(c->rbio, -1);   /* empty input: WANT_READ, not EOF */
    SSL_set_bio(c->ssl, c->rbio, c->wbio);  /* ssl owns both now */
    SSL_set_connect_state(c->ssl);
    const char *name = opt->server_name ? opt->server_name : host;
    if (!is_ip_literal(name) && SSL_set_tlsext_host_name(c->ssl, name) != 1) {
        status_set(st, RCI_INVALID_ARGUMENT, "bad TLS server name \"%s\"", name);
        return -1;
    }
    if (!opt->insecure) {
        int ok = is_ip_literal(name)
                     ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), name)
                     : SSL_set1_host(c->ssl, name);
        if (ok != 1) {
            status_set(st, RCI_INVALID_ARGUMENT, "bad TLS server name \"%s\"", name);
            return -1;
        }
    }
    return 0;
}

/* A wait in the TLS handshake came back empty: timed out or interrupted. */
static int handshake_wait_failed(rci_client *c, int64_t deadline, rci_client_status *st)
{
    if (now_ms() >= deadline)
        status_set(st, RCI_DEADLINE_EXCEEDED, "TLS handshake with %s: timed out", c->authority);
    else
        status_set(st, RCI_CANCELLED, "interrupted");
    return -1;
}

static int tls_handshake(rci_client *c, int64_t deadline, rci_client_status *st)
{
    char text[256];
    for (;;) {
        ERR_clear_error();
        int r = SSL_do_handshake(c->ssl);
        int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, r);
        if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ) {
            long verify = SSL_get_verify_result(c->ssl);
            if (verify != X509_V_OK)
                snprintf(text, sizeof text, "certificate verify failed: %s",
                         X509_verify_cert_error_string(verify));
            else
                ssl_error_text(text, sizeof text);
            status_set(st, RCI_UNAVAILABLE, "TLS handshake with %s failed: %s%s", c->authority,
                       text, verify != X509_V_OK ? "" : " (does the server speak TLS?)");
            return -1;
        }
        if (tls_drain(c) < 0) {
            status_set(st, RCI_RESOURCE_EXHAUSTED, "out of memory");
            return -1;
        }
        while (c->out_off < c->out_len) {
            if (out_write(c) < 0) {
                status_set(st, RCI_UNAVAILABLE, "write to %s: %s", c->authority, strerror(errno));
                return -1;
            }
            if (c->out_off < c->out_len && wait_fd(c, POLLOUT, deadline) <= 0)
                return handshake_wait_failed(c, deadline, st);
        }
        if (err == SSL_ERROR_NONE)
            break;
        if (wait_fd(c, POLLIN, deadline) <= 0)
            return handshake_wait_failed(c, deadline, st);
        uint8_t buf[IO_CHUNK];
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0) {
            status_set(st, RCI_UNAVAILABLE, "TLS handshake with %s failed: %s", c->authority,
                       n == 0 ? "connection closed by the server" : strerror(errno));
            return -1;
        }
        if (BIO_write(c->rbio, buf, (int)n) != (int)n) {
            status_set(st, RCI_RESOURCE_EXHAUSTED, "out of memory");
            return -1;
        }
    }
    const unsigned char *proto = NULL;
    unsigned int plen = 0;
    SSL_get0_alpn_selected(c->ssl, &proto, &plen);
    if (plen != 2 || memcmp(proto, "h2", 2) != 0) {
        status_set(st, RCI_UNAVAILABLE, "TLS server %s did not select HTTP/2 (ALPN h2)",
                   c->authority);
        return -1;
    }
    return 0;
}

static int check_md_name(const char *name)
{
    if (!name || !*name || strncmp(name, "grpc-", 5) == 0)
        return -1;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
              *p == '.'))
            return -1;
    return 0;
}

static int check_md_value(const char *value)
{
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return -1;
    return 0;
}

static int copy_options(rci_client *c, const rci_client_options *opt, rci_client_status *st)
{
    c->user_agent = strdup(opt->user_agent ? opt->user_agent : DEFAULT_USER_AGENT);
    if (!c->user_agent)
        goto oom;
    if (opt->token) {
        if (check_md_value(opt->token) < 0) {
            status_set(st, RCI_INVALID_ARGUMENT, "token must be printable ASCII");
            return -1;
        }
        if (asprintf(&c->authorization, "Bearer %s", opt->token) < 0) {
            c->authorization = NULL;
            goto oom;
        }
    }
    if (opt->n_metadata) {
        c->md_names = calloc(opt->n_metadata, sizeof *c->md_names);
        c->md_values = calloc(opt->n_metadata, sizeof *c->md_values);
        if (!c->md_names || !c->md_values)
            goto oom;
    }
    for (size_t i = 0; i < opt->n_metadata; i++) {
        const char *name = opt->metadata[i].name, *value = opt->metadata[i].value;
        size_t nl = name ? strlen(name) : 0;
        int bin = nl > 4 && strcmp(name + nl - 4, "-bin") == 0;
        if (check_md_name(name) < 0 || !value || (!bin && check_md_value(value) < 0)) {
            status_set(st, RCI_INVALID_ARGUMENT, "bad metadata \"%s\"", name ? name : "");
            return -1;
        }
        c->md_names[c->n_md] = strdup(name);
        c->md_values[c->n_md] = bin ? rci_wire_b64_encode((const uint8_t *)value, strlen(value))
                                    : strdup(value);
        c->n_md++;
        if (!c->md_names[c->n_md - 1] || !c->md_values[c->n_md - 1])
            goto oom;
    }
    return 0;
oom:
    status_set(st, RCI_RESOURCE_EXHAUSTED, "out of memory");
    return -1;
}

static int session_setup(rci_client *c, rci_client_status *st)
{
    nghttp2_session_callbacks *cbs;
    nghttp2_option *opt;
    if (nghttp2_session_callbacks_new(&cbs) != 0)
        goto oom;
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
    nghttp2_session_callbacks_set_error_callback2(cbs, on_error);
    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cbs);
        goto oom;
    }
    nghttp2_option_set_no_auto_window_update(opt, 1);
    int rv = nghttp2_session_client_new2(&c->session, cbs, c, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0)
        goto oom;
    size_t window = c->max_message + RCI_WIRE_PREFIX_LEN + 65536;
    if (window > NGHTTP2_MAX_WINDOW_SIZE)
        window = NGHTTP2_MAX_WINDOW_SIZE;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, (uint32_t)window},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST},
    };
    if (nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]) != 0 ||
        nghttp2_session_set_local_window_size(c->session, NGHTTP2_FLAG_NONE, 0,
                                              CONNECTION_WINDOW) != 0)
        goto oom;
    return 0;
oom:
    status_set(st, RCI_RESOURCE_EXHAUSTED, "out of memory");
    return -1;
}

rci_client *rci_client_connect(const char *addr, const rci_client_options *opt,
                               rci_client_status *st)
{
    rci_client_status local = RCI_CLIENT_STATUS_INIT;
    if (!st)
        st = &local;
    rci_client_status_clear(st);
    static const rci_client_options defaults;
    if (!opt)
        opt = &defaults;
    char *host = NULL, *port = NULL;
    rci_client *c = calloc(1, sizeof *c);
    if (!c) {
        status_set(st, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    c->fd = -1;
    c->scheme = opt->tls ? "https" : "http";
    c->interrupt = opt->interrupt;
    c->max_message = opt->max_message ? opt->max_message : DEFAULT_MAX_MESSAGE;
    int64_t deadline =
        now_ms() + (opt->connect_timeout_ms > 0 ? opt->connect_timeout_ms : DEFAULT_CONNECT_MS);
    if (parse_addr(addr, &host, &port, st) < 0 || copy_options(c, opt, st) < 0)
        goto fail;
    if (asprintf(&c->authority, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port) < 0) {
        c->authority = NULL;
        status_set(st, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    if (opt->tls && tls_setup(c, opt, host, st) < 0)
        goto fail;
    if (tcp_connect(c, host, port, deadline, st) < 0)
        goto fail;
    if (opt->tls && tls_handshake(c, deadline, st) < 0)
        goto fail;
    if (session_setup(c, st) < 0)
        goto fail;
    /* A client handed out is talking HTTP/2: wait for the server's SETTINGS. */
    while (!c->got_settings) {
        if (now_ms() >= deadline) {
            status_set(st, RCI_DEADLINE_EXCEEDED, "no HTTP/2 answer from %s in time%s",
                       c->authority, opt->tls ? " (not a gRPC server?)"
                                              : " (not a gRPC server, or one that expects TLS?)");
            goto fail;
        }
        int rv = client_io(c, deadline);
        if (rv == -2) {
            status_set(st, RCI_CANCELLED, "interrupted");
            goto fail;
        }
        if (rv == -1) {
            status_set(st, c->dead_code, "%s%s", c->dead_msg ? c->dead_msg : "connection failed",
                       opt->tls ? " (not a gRPC server?)"
                                : " (not a gRPC server, or one that expects TLS?)");
            goto fail;
        }
    }
    free(host);
    free(port);
    return c;
fail:
    free(host);
    free(port);
    rci_client_close(c);
    if (st == &local)
        rci_client_status_clear(&local);
    return NULL;
}

int rci_client_alive(rci_client *c)
{
    if (!c->dead)
        client_io(c, now_ms());
    return !c->dead && !c->goaway;
}

const char *rci_client_protocol(const rci_client *c)
{
    return c->ssl ? "h2" : "h2c";
}

const char *rci_client_target(const rci_client *c)
{
    return c->authority;
}

void rci_client_close(rci_client *c)
{
    if (!c)
        return;
    if (c->session && !c->dead) {
        /* Best effort: GOAWAY and close_notify, if the socket takes them now. */
        nghttp2_session_terminate_session(c->session, NGHTTP2_NO_ERROR);
        const uint8_t *data;
        ssize_t n;
        while ((n = nghttp2_session_mem_send(c->session, &data)) > 0)
            if (out_queue(c, data, (size_t)n) < 0)
                break;
        if (c->ssl) {
            ERR_clear_error();
            SSL_shutdown(c->ssl);
            tls_drain(c);
        }
        out_write(c);
    }
    nghttp2_session_del(c->session);
    c->session = NULL;
    rci_client_call *call = c->calls, *next;
    for (; call; call = next) {
        next = call->next;
        if (call->orphan) {
            call_destroy(call);
            continue;
        }
        call_end(call, RCI_CANCELLED, "client closed");
        call->stream_id = 0;
        call_unlink(call);
    }
    if (c->fd >= 0)
        close(c->fd);
    SSL_free(c->ssl);          /* frees the BIOs */
    SSL_CTX_free(c->ssl_ctx);
    ERR_clear_error();
    for (size_t i = 0; i < c->n_md; i++) {
        free(c->md_names[i]);
        free(c->md_values[i]);
    }
    free(c->md_names);
    free(c->md_values);
    free(c->authority);
    free(c->user_agent);
    free(c->authorization);
    free(c->dead_msg);
    free(c->last_error);
    free(c->out);
    free(c);
}

/* ---- calls ---------------------------------------------------------------- */

#define NV(n, v)                                                                 \
    ((nghttp2_nv){(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE})

rci_client_call *rci_client_call_open(rci_client *c, const char *path, int timeout_ms)
{
    rci_client_call *call = calloc(1, sizeof *call);
    if (!call)
        return NULL;
    call->client = c;
    call->next = c->calls;
    if (c->calls)
        c->calls->prev = call;
    c->calls = call;
    call->timeout_ms = timeout_ms;
    call->deadline = timeout_ms > 0 ? now_ms() + timeout_ms : INT64_MAX;
    rci_wire_decoder_init(&call->rx, c->max_message);
    if (!c->dead)
        client_io(c, now_ms());   /* take in a GOAWAY or EOF that already came */
    if (c->dead) {
        call_end(call, c->dead_code, "%s", c->dead_msg ? c->dead_msg : "connection failed");
        return call;
    }
    size_t cap = 10 + c->n_md;
    nghttp2_nv *nva = calloc(cap, sizeof *nva);
    if (!nva) {
        call_end(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return call;
    }
    size_t n = 0;
    char timeout[16];
    nva[n++] = NV(":method", "POST");
    nva[n++] = NV(":scheme", c->scheme);
    nva[n++] = NV(":path", path);
    nva[n++] = NV(":authority", c->authority);
    nva[n++] = NV("te", "trailers");
    nva[n++] = NV("content-type", "application/grpc");
    nva[n++] = NV("user-agent", c->user_agent);
    nva[n++] = NV("grpc-accept-encoding", "identity, gzip");
    if (timeout_ms > 0) {
        rci_wire_format_timeout((int64_t)timeout_ms * 1000, timeout);
        nva[n++] = NV("grpc-timeout", timeout);
    }
    if (c->authorization)
        nva[n++] = NV("authorization", c->authorization);
    for (size_t i = 0; i < c->n_md; i++)
        nva[n++] = NV(c->md_names[i], c->md_values[i]);
    nghttp2_data_provider prd = {.source = {.ptr = NULL}, .read_callback = read_request};
    int32_t id = nghttp2_submit_request(c->session, NULL, nva, n, &prd, call);
    free(nva);
    if (id == NGHTTP2_ERR_START_STREAM_NOT_ALLOWED || id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE)
        call_end(call, RCI_UNAVAILABLE, "connection to %s is going away (GOAWAY)", c->authority);
    else if (id < 0)
        call_end(call, RCI_INTERNAL, "cannot start the call: %s", nghttp2_strerror(id));
    else
        call->stream_id = id;
    return call;
}

/* The deadline passed or the process was interrupted: end the call. */
static void call_expire(rci_client_call *call, int rv)
{
    if (rv == -2)
        call_cancel(call, RCI_CANCELLED, "interrupted");
    else
        call_cancel(call, RCI_DEADLINE_EXCEEDED, "deadline exceeded after %d ms",
                    call->timeout_ms);
    if (call->client)
        client_flush(call->client);
}

/* Frame msg onto the call's request queue and wake its data provider;
 * nothing is written yet. Returns 0 or -1 (call over, or out of memory). */
static int call_queue(rci_client_call *call, const ProtobufCMessage *msg)
{
    if (!call || call->done || call->tx_eof || !call->client)
        return -1;
    size_t size = protobuf_c_message_get_packed_size(msg);
    if (size > UINT32_MAX) {
        call_cancel(call, RCI_RESOURCE_EXHAUSTED, "request message too large (%zu bytes)", size);
        return -1;
    }
    if (call->tx_off > 0) {      /* compact: drop what nghttp2 already took */
        memmove(call->tx, call->tx + call->tx_off, call->tx_len - call->tx_off);
        call->tx_len -= call->tx_off;
        call->tx_off = 0;
    }
    if (buf_reserve(&call->tx, call->tx_len, &call->tx_cap, RCI_WIRE_PREFIX_LEN + size) < 0) {
        call_cancel(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    rci_wire_prefix(call->tx + call->tx_len, 0, (uint32_t)size);
    call->tx_len += RCI_WIRE_PREFIX_LEN;
    call->tx_len += protobuf_c_message_pack(msg, call->tx + call->tx_len);
    if (call->stream_id > 0)
        nghttp2_session_resume_data(call->client->session, call->stream_id);
    return 0;
}

int rci_client_call_send(rci_client_call *call, const ProtobufCMessage *msg)
{
    if (call_queue(call, msg) < 0) {
        if (call && call->client)
            client_flush(call->client);
        return -1;
    }
    rci_client *c = call->client;
    client_flush(c);
    while (!call->done && call->client && call->tx_len - call->tx_off > SEND_HIGH_WATER) {
        if (now_ms() >= call->deadline) {
            call_expire(call, 0);
            break;
        }
        int rv = client_io(c, call->deadline);
        if (rv == -2)
            call_expire(call, rv);
    }
    return call->done ? -1 : 0;
}

int rci_client_call_close_send(rci_client_call *call)
{
    if (!call || call->done || !call->client)
        return -1;
    if (!call->tx_eof) {
        call->tx_eof = 1;
        if (call->stream_id > 0)
            nghttp2_session_resume_data(call->client->session, call->stream_id);
        client_flush(call->client);
    }
    return call->done ? -1 : 0;
}

/* Unpack one message taken from the decoder (inflating it if the server
 * compressed it). Returns the message or NULL with the call cancelled. */
static ProtobufCMessage *call_unpack(rci_client_call *call, const ProtobufCMessageDescriptor *type,
                                     const uint8_t *data, size_t len, int compressed)
{
    uint8_t *plain = NULL;
    if (compressed) {
        if (!call->encoding || strcmp(call->encoding, "gzip") != 0) {
            call_reject(call, RCI_INTERNAL, "compressed response message with grpc-encoding \"%s\"",
                        call->encoding ? call->encoding : "identity");
            return NULL;
        }
        size_t plen;
        int rv = rci_wire_gunzip(data, len, call->rx.max_message, &plain, &plen);
        if (rv == -2) {
            call_reject(call, RCI_RESOURCE_EXHAUSTED,
                        "response message larger than the limit of %zu bytes",
                        call->rx.max_message);
            return NULL;
        }
        if (rv < 0) {
            call_reject(call, RCI_INTERNAL, "corrupt gzip response message");
            return NULL;
        }
        data = plain;
        len = plen;
    }
    ProtobufCMessage *m = protobuf_c_message_unpack(type, NULL, len, data);
    free(plain);
    if (!m)
        call_reject(call, RCI_INTERNAL, "cannot decode the response as %s", type->name);
    return m;
}

int rci_client_call_recv(rci_client_call *call, const ProtobufCMessageDescriptor *type,
                         ProtobufCMessage **msg, int wait_ms)
{
    *msg = NULL;
    if (!call)
        return 0;
    int64_t until = wait_ms >= 0 ? now_ms() + wait_ms : INT64_MAX;
    int polled = 0;          /* even wait_ms == 0 reads what has arrived */
    for (;;) {
        const uint8_t *data;
        size_t len;
        int compressed;
        rci_wire_result r = rci_wire_decoder_next(&call->rx, &data, &len, &compressed);
        if (r == RCI_WIRE_MESSAGE) {
            rci_client *c = call->client;
            if (c && call->stream_id > 0 && !c->dead)
                nghttp2_session_consume_stream(c->session, call->stream_id,
                                               RCI_WIRE_PREFIX_LEN + len);
            *msg = call_unpack(call, type, data, len, compressed);
            if (c)
                client_flush(c);
            return *msg ? 1 : 0;
        }
        if (r == RCI_WIRE_TOO_LARGE || r == RCI_WIRE_BAD_FLAG) {
            if (r == RCI_WIRE_TOO_LARGE)
                call_reject(call, RCI_RESOURCE_EXHAUSTED,
                            "response message larger than the limit of %zu bytes",
                            call->rx.max_message);
            else
                call_reject(call, RCI_INTERNAL, "response message with an invalid flag byte");
            if (call->client)
                client_flush(call->client);
            return 0;
        }
        if (call->done) {
            if (call->status.code == RCI_OK && rci_wire_decoder_pending(&call->rx) > 0)
                status_set(&call->status, RCI_INTERNAL,
                           "stream ended in the middle of a response message");
            return 0;
        }
        if (!call->client) {   /* cannot happen: a detached call is done */
            call_end(call, RCI_CANCELLED, "client closed");
            return 0;
        }
        int64_t now = now_ms();
        if (now >= call->deadline) {
            call_expire(call, 0);
            continue;
        }
        if (now >= until && polled)
            return -1;
        polled = 1;
        int rv = client_io(call->client, until < call->deadline ? until : call->deadline);
        if (rv == -2)
            call_expire(call, rv);
    }
}

int rci_client_call_done(const rci_client_call *call)
{
    return !call || call->done;
}

const rci_client_status *rci_client_call_status(const rci_client_call *call)
{
    return &call->status;
}

void rci_client_call_take_status(rci_client_call *call, rci_client_status *out)
{
    rci_client_status_clear(out);
    *out = call->status;
    call->status = (rci_client_status)RCI_CLIENT_STATUS_INIT;
    if (!out->message && call->done)
        out->message = strdup("");
}

void rci_client_call_free(rci_client_call *call)
{
    if (!call)
        return;
    rci_client *c = call->client;
    if (c && call->stream_id > 0 && !c->dead) {
        /* nghttp2 still holds the call as stream data: reset the stream and
         * let on_stream_close free it. */
        call_cancel(call, RCI_CANCELLED, "cancelled by the client");
        call->orphan = 1;
        client_flush(c);       /* may free the call */
        return;
    }
    call_destroy(call);
}

int rci_client_unary(rci_client *c, const char *path, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *resp_type, ProtobufCMessage **resp,
                     rci_client_status *st, int timeout_ms)
{
    *resp = NULL;
    rci_client_status_clear(st);
    rci_client_call *call = rci_client_call_open(c, path, timeout_ms);
    if (!call) {
        status_set(st, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return st->code;
    }
    /* Message and END_STREAM together: HEADERS, then one DATA frame. */
    if (call_queue(call, req) == 0)
        rci_client_call_close_send(call);
    else if (call->client)
        client_flush(call->client);
    ProtobufCMessage *m = NULL, *extra = NULL;
    int r = rci_client_call_recv(call, resp_type, &m, -1);
    if (r == 1 && rci_client_call_recv(call, resp_type, &extra, -1) == 1) {
        protobuf_c_message_free_unpacked(extra, NULL);
        status_set(&call->status, RCI_INTERNAL,
                   "server sent more than one response to a unary call");
        call->done = 1;
        call_reset(call);
    } else if (r != 1 && call->status.code == RCI_OK) {
        status_set(&call->status, RCI_INTERNAL, "server sent no response message");
    }
    rci_client_call_take_status(call, st);
    rci_client_call_free(call);
    if (st->code != RCI_OK) {
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
        return st->code;
    }
    *resp = m;
    return RCI_OK;
}
