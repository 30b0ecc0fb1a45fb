/* call.c: one gRPC call on one HTTP/2 stream (see call.h, call_internal.h).
 *
 * Request side: headers are copied as they arrive (counted against the
 * header-list limit), checked when the block ends (method, content-type,
 * route, grpc-encoding, grpc-timeout), and body bytes go through the wire
 * decoder, then gunzip when flagged, then protobuf-c unpack with the
 * method's input descriptor.
 *
 * Response side: response messages are framed into an evbuffer that the
 * stream's nghttp2 data provider drains; when the call has finished and the
 * buffer is empty the provider ends the DATA and submits the trailers
 * (grpc-wire.md §9.3). An error before any response header goes out as a
 * trailers-only HEADERS frame. If our END_STREAM goes out while the client
 * is still sending, an RST_STREAM(NO_ERROR) follows it — only after the
 * frame has really been sent (§9.4).
 *
 * Ownership: the call owns its headers, decoder, output buffer, deadline
 * timer, pending query tickets and the handler's data; all are released in
 * rci_call_on_close, the single end of every call.
 */
#include "platform/call.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/call_internal.h"
#include "platform/conn.h"
#include "platform/dispatch.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "platform/metrics.h"
#include "platform/pbcheck.h"
#include "platform/store.h"

#define CALL_MAX_HEADERS 64
#define CALL_HEADER_OVERHEAD 32            /* per field, as SETTINGS_MAX_HEADER_LIST_SIZE counts */
#define CALL_MESSAGE_TEXT_MAX 1024         /* grpc-message before encoding (trailers < 8 KiB) */
#define CALL_QUEUE_MAX (8u << 20)          /* unsent response bytes per call */
#define CALL_CONN_QUEUE_MAX (32u << 20)    /* ... and per connection, all calls */

typedef struct call_header {
    char *name;
    char *value;
} call_header;

/* A query in flight for a call. The store calls back with the ticket; a
 * call that ends first cancels its tickets, so no callback finds it gone. */
typedef struct call_query {
    rci_call *call;
    rci_store_req *req;
    rci_call_query_cb cb;
    struct call_query *next;
} call_query;

struct rci_call {
    rci_conn *conn;
    int32_t stream_id;
    rci_call *prev, *next;          /* in conn->calls */

    call_header headers[CALL_MAX_HEADERS];
    int nheaders;
    size_t header_bytes;
    int headers_too_large;

    const rci_route *route;
    int gzip_in;                    /* request messages may be gzip-compressed */
    rci_wire_decoder dec;
    ProtobufCMessage *request;      /* unary / server-streaming: held until END_STREAM */
    ProtobufCMessage *running;      /* the request on_request is handling now */
    struct event *deadline_ev;
    int64_t deadline_us;            /* rci_now_us() clock; 0 = none */
    int64_t start_us;

    struct evbuffer *out;           /* framed response messages not yet sent */
    int response_started;           /* HEADERS (with data provider) submitted */
    int finished;                   /* status decided; no more sends */
    int client_done;                /* END_STREAM received */
    int status;
    int http_status;                /* non-200 answer for non-gRPC requests */
    char *message;                  /* percent-encoded grpc-message, or NULL */
    char *details;                  /* base64 grpc-status-details-bin, or NULL */

    void *data;
    void (*free_fn)(void *);
    void *platform_data;            /* rci_call_set_platform_data */
    void (*platform_free_fn)(void *);
    call_query *queries;
};

static void call_respond_trailers_only(rci_call *call);
static void call_cancel_queries(rci_call *call);
static int call_deadline_passed(rci_call *call);

/* ---- helpers ------------------------------------------------------------ */

static char *dup_bytes(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

static nghttp2_nv make_nv(const char *name, const char *value)
{
    nghttp2_nv nv = {(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value),
                     NGHTTP2_NV_FLAG_NONE};
    return nv;
}

static void free_packed(const void *data, size_t len, void *extra)
{
    (void)len;
    (void)extra;
    free((void *)data);
}

static const char *call_label(const rci_call *call)
{
    return call->route ? call->route->method->path : "unknown";
}

/* ---- handler API (call.h) ------------------------------------------------ */

void rci_call_set_data(rci_call *call, void *data, void (*free_fn)(void *))
{
    call->data = data;
    call->free_fn = free_fn;
}

void *rci_call_data(const rci_call *call)
{
    return call->data;
}

void rci_call_set_platform_data(rci_call *call, void *data, void (*free_fn)(void *))
{
    call->platform_data = data;
    call->platform_free_fn = free_fn;
}

void *rci_call_platform_data(const rci_call *call)
{
    return call->platform_data;
}

const char *rci_call_header(const rci_call *call, const char *name)
{
    for (int i = 0; i < call->nheaders; i++)
        if (strcmp(call->headers[i].name, name) == 0)
            return call->headers[i].value;
    return NULL;
}

const char *rci_call_peer(const rci_call *call)
{
    return call->conn ? call->conn->peer : "";
}

const char *rci_call_path(const rci_call *call)
{
    const char *p = rci_call_header(call, ":path");
    return p ? p : "";
}

struct rci_loop *rci_call_loop(const rci_call *call)
{
    return call->conn->loop;
}

int rci_call_is_finished(const rci_call *call)
{
    return call->finished;
}

/* Submit the response HEADERS with a data provider reading call->out. */
static ssize_t call_read_data(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
                              size_t length, uint32_t *data_flags, nghttp2_data_source *source,
                              void *user_data);

static int call_start_response(rci_call *call)
{
    if (call->response_started) {
        /* Fails harmlessly when the provider is not deferred. */
        nghttp2_session_resume_data(call->conn->session, call->stream_id);
        return 0;
    }
    nghttp2_nv nva[] = {
        make_nv(":status", "200"),
        make_nv("content-type", "application/grpc"),
        make_nv("grpc-accept-encoding", "identity,gzip"),
    };
    nghttp2_data_provider prd = {.source.ptr = call, .read_callback = call_read_data};
    if (nghttp2_submit_response(call->conn->session, call->stream_id, nva,
                                sizeof nva / sizeof nva[0], &prd) != 0)
        return -1;
    call->response_started = 1;
    return 0;
}

/* Unsent response bytes of every call on conn (at most the stream limit). */
static size_t call_conn_queued(const rci_conn *conn)
{
    size_t n = 0;
    for (const rci_call *c = conn->calls; c; c = c->next)
        n += evbuffer_get_length(c->out);
    return n;
}

int rci_call_send(rci_call *call, const ProtobufCMessage *msg)
{
    if (call->finished || !call->conn)
        return -1;
    /* A handler may answer at once (from a cache) without any step that
     * checks the deadline: never send past it. */
    if (call_deadline_passed(call))
        return -1;
    size_t size = protobuf_c_message_get_packed_size(msg);
    if (evbuffer_get_length(call->out) + size > CALL_QUEUE_MAX) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED,
                        "client is not reading: more than %u bytes of responses queued",
                        CALL_QUEUE_MAX);
        return -1;
    }
    /* The per-call bound alone lets one connection hold streams x 8 MiB:
     * a client that sends small bidi requests (a reflection answer is up
     * to ~45x its request) and never opens its window made us hold
     * 730 MiB for 12 MB of upload on 64 streams. */
    if (call_conn_queued(call->conn) + size > CALL_CONN_QUEUE_MAX) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED,
                        "client is not reading: more than %u bytes of responses queued on "
                        "the connection", CALL_CONN_QUEUE_MAX);
        return -1;
    }
    /* Prefix and body in one block, handed to the evbuffer without a copy. */
    uint8_t *framed = malloc(RCI_WIRE_PREFIX_LEN + size);
    if (!framed) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    rci_wire_prefix(framed, 0, (uint32_t)size);
    protobuf_c_message_pack(msg, framed + RCI_WIRE_PREFIX_LEN);
    if (evbuffer_add_reference(call->out, framed, RCI_WIRE_PREFIX_LEN + size, free_packed,
                               NULL) != 0) {
        free(framed);
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    if (call_start_response(call) != 0) {
        rci_call_finish(call, RCI_INTERNAL, "could not start the response");
        return -1;
    }
    rci_conn_flush(call->conn);
    return 0;
}

/* Cut text to at most max bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* Copy text[0..len) to out (room for 3 * len + 1), each byte that does not
 * begin a valid UTF-8 sequence replaced by U+FFFD: grpc-message must be
 * UTF-8 (grpc-wire.md §3), but a handler's "%.200s" can cut a character in
 * two, or quote bytes a client sent. Returns the length written. */
static size_t utf8_repair(const char *text, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (n && i + n <= len && rci_utf8_valid((const uint8_t *)text + i, n)) {
            memcpy(out + o, text + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    return o;
}

static void call_finish_common(rci_call *call, rci_status code, const uint8_t *details,
                               size_t details_len, const char *fmt, va_list ap)
{
    if (call->finished || !call->conn)
        return;
    call->finished = 1;
    call->status = code;
    /* One byte more than the cap, so utf8_cut sees a message that is too
     * long and cuts it on a character boundary (vsnprintf cuts anywhere). */
    char text[CALL_MESSAGE_TEXT_MAX + 2];
    int n = fmt ? vsnprintf(text, sizeof text, fmt, ap) : 0;
    if (n > 0) {
        char clean[3 * (CALL_MESSAGE_TEXT_MAX + 1) + 1];
        size_t len = utf8_cut(text, strlen(text), CALL_MESSAGE_TEXT_MAX);
        len = utf8_cut(clean, utf8_repair(text, len, clean), CALL_MESSAGE_TEXT_MAX);
        call->message = rci_wire_pct_encode(clean, len);
    }
    if (details && details_len)
        call->details = rci_wire_b64_encode(details, details_len);
    if (call->deadline_ev)
        event_del(call->deadline_ev);
    call_cancel_queries(call);
    if (!call->response_started)
        call_respond_trailers_only(call);
    else
        nghttp2_session_resume_data(call->conn->session, call->stream_id);
    rci_conn_flush(call->conn);
}

void rci_call_vfinish(rci_call *call, rci_status code, const char *fmt, va_list ap)
{
    call_finish_common(call, code, NULL, 0, fmt, ap);
}

void rci_call_finish(rci_call *call, rci_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    call_finish_common(call, code, NULL, 0, fmt, ap);
    va_end(ap);
}

void rci_call_finish_details(rci_call *call, rci_status code, const uint8_t *details,
                             size_t details_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    call_finish_common(call, code, details, details_len, fmt, ap);
    va_end(ap);
}

void rci_call_reply(rci_call *call, const ProtobufCMessage *msg)
{
    if (rci_call_send(call, msg) == 0)
        rci_call_finish(call, RCI_OK, NULL);
}

/* ---- response frames ---------------------------------------------------- */

/* Fill the status fields of a trailer block into nva; returns the count.
 * code_buf must outlive the submit call (nghttp2 copies the values). */
static size_t call_status_nv(const rci_call *call, nghttp2_nv *nva, char code_buf[12])
{
    size_t n = 0;
    snprintf(code_buf, 12, "%d", call->status);
    nva[n++] = make_nv("grpc-status", code_buf);
    if (call->message)
        nva[n++] = make_nv("grpc-message", call->message);
    if (call->details)
        nva[n++] = make_nv("grpc-status-details-bin", call->details);
    return n;
}

static ssize_t call_read_data(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
                              size_t length, uint32_t *data_flags, nghttp2_data_source *source,
                              void *user_data)
{
    (void)user_data;
    rci_call *call = source->ptr;
    int n = evbuffer_remove(call->out, buf, length);
    if (n < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    if (evbuffer_get_length(call->out) == 0 && call->finished) {
        nghttp2_nv nva[3];
        char code_buf[12];
        size_t nv = call_status_nv(call, nva, code_buf);
        *data_flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        if (nghttp2_submit_trailer(session, stream_id, nva, nv) != 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        return n;
    }
    return n > 0 ? n : NGHTTP2_ERR_DEFERRED;
}

/* One HEADERS frame with END_STREAM: :status 200 plus the status fields. */
static void call_respond_trailers_only(rci_call *call)
{
    nghttp2_nv nva[6];
    char code_buf[12];
    size_t n = 0;
    nva[n++] = make_nv(":status", "200");
    nva[n++] = make_nv("content-type", "application/grpc");
    if (call->status == RCI_UNIMPLEMENTED)
        nva[n++] = make_nv("grpc-accept-encoding", "identity,gzip");
    n += call_status_nv(call, nva + n, code_buf);
    call->response_started = 1;
    nghttp2_submit_response(call->conn->session, call->stream_id, nva, n, NULL);
}

/* Not a gRPC request at all: a plain HTTP status (415 for a wrong
 * content-type, 405 for a method other than POST), no grpc-status. */
static void call_respond_http(rci_call *call, int http_status)
{
    char buf[8];
    snprintf(buf, sizeof buf, "%d", http_status);
    nghttp2_nv nva[] = {make_nv(":status", buf)};
    call->finished = 1;
    call->status = RCI_UNKNOWN;
    call->http_status = http_status;
    call->response_started = 1;
    nghttp2_submit_response(call->conn->session, call->stream_id, nva, 1, NULL);
}

/* ---- database ------------------------------------------------------------ */

static rci_status store_err_status(rci_store_err err)
{
    switch (err) {
    case RCI_STORE_UNAVAILABLE:
        return RCI_UNAVAILABLE;
    case RCI_STORE_ABORTED:
        return RCI_ABORTED;
    case RCI_STORE_BUSY:
        return RCI_RESOURCE_EXHAUSTED;
    default:
        return RCI_INTERNAL;
    }
}

static void call_query_done(void *arg, const PGresult *res, rci_store_err err, const char *msg)
{
    call_query *q = arg;
    rci_call *call = q->call;
    rci_call_query_cb cb = q->cb;
    for (call_query **pp = &call->queries; *pp; pp = &(*pp)->next) {
        if (*pp == q) {
            *pp = q->next;
            break;
        }
    }
    free(q);
    rci_conn *conn = call->conn;
    if (err != RCI_STORE_OK) {
        rci_log_warn("call %s: database: %s", call_label(call), msg ? msg : "error");
        if (err == RCI_STORE_FAILED)
            rci_call_finish(call, RCI_INTERNAL, "internal database error");
        else
            rci_call_finish(call, store_err_status(err), "database %s",
                            err == RCI_STORE_BUSY ? "busy, retry later" : "unavailable");
    } else if (!call_deadline_passed(call)) {
        cb(call, res);
    }
    rci_conn_flush(conn);
}

void rci_call_query(rci_call *call, int stmt, const char *const *params, rci_call_query_cb cb)
{
    if (call->finished || !call->conn)
        return;
    call_query *q = calloc(1, sizeof *q);
    if (!q) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    q->call = call;
    q->cb = cb;
    q->req = rci_store_query(call->conn->loop->store, stmt, params, call_query_done, q);
    if (!q->req) {
        free(q);
        rci_call_finish(call, RCI_UNAVAILABLE, "database unavailable");
        return;
    }
    q->next = call->queries;
    call->queries = q;
}

static void call_cancel_queries(rci_call *call)
{
    while (call->queries) {
        call_query *q = call->queries;
        call->queries = q->next;
        rci_store_cancel(q->req);
        free(q);
    }
}

/* ---- driven by the connection (call_internal.h) -------------------------- */

rci_call *rci_call_new(rci_conn *conn, int32_t stream_id)
{
    rci_call *call = calloc(1, sizeof *call);
    if (!call)
        return NULL;
    call->out = evbuffer_new();
    if (!call->out) {
        free(call);
        return NULL;
    }
    call->conn = conn;
    call->stream_id = stream_id;
    call->start_us = rci_now_us();
    rci_wire_decoder_init(&call->dec, conn->loop->cfg->max_message_bytes);
    call->next = conn->calls;
    if (conn->calls)
        conn->calls->prev = call;
    conn->calls = call;
    return call;
}

rci_call *rci_call_next(const rci_call *call)
{
    return call->next;
}

int rci_call_is_receiving(const rci_call *call)
{
    if (call->client_done || call->finished)
        return 0;
    /* A bidi stream may rest between messages (a reflection client between
     * lookups): only a message cut off half-way counts as a slow client. */
    if (call->route && call->route->kind == RCI_KIND_BIDI)
        return rci_wire_decoder_pending(&call->dec) > 0;
    return 1;
}

void rci_call_on_header(rci_call *call, const uint8_t *name, size_t namelen,
                        const uint8_t *value, size_t valuelen)
{
    /* nghttp2 does not enforce the limit it advertises: count here. */
    call->header_bytes += namelen + valuelen + CALL_HEADER_OVERHEAD;
    if (call->header_bytes > call->conn->loop->cfg->max_header_list_bytes ||
        call->nheaders == CALL_MAX_HEADERS) {
        call->headers_too_large = 1;
        return;
    }
    call_header *h = &call->headers[call->nheaders];
    h->name = dup_bytes(name, namelen);
    h->value = dup_bytes(value, valuelen);
    if (!h->name || !h->value) {
        free(h->name);
        free(h->value);
        call->headers_too_large = 1;
        return;
    }
    call->nheaders++;
}

static void call_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rci_call *call = arg;
    rci_call_finish(call, RCI_DEADLINE_EXCEEDED, "Deadline Exceeded");
}

/* Arm the deadline from grpc-timeout. An unparsable value is ignored, as
 * gRPC C++ does (grpc-wire.md §5). Returns -1 if the deadline was already
 * over on arrival: C-core sends "1n", grpc-go "0n" for a deadline that has
 * passed (grpc-wire.md §1), and such a call is answered DEADLINE_EXCEEDED
 * at once, never served. */
static int call_arm_deadline(rci_call *call)
{
    const char *t = rci_call_header(call, "grpc-timeout");
    int64_t usec;
    if (!t || rci_wire_parse_timeout(t, strlen(t), &usec) != 0)
        return 0;
    if (usec <= 1) {        /* not more than our resolution */
        rci_call_finish(call, RCI_DEADLINE_EXCEEDED, "Deadline Exceeded");
        return -1;
    }
    if (usec > (int64_t)365 * 24 * 3600 * 1000000)
        usec = (int64_t)365 * 24 * 3600 * 1000000; /* libevent's timeval range */
    call->deadline_us = rci_now_us() + usec;
    call->deadline_ev = evtimer_new(call->conn->loop->base, call_deadline_cb, call);
    if (!call->deadline_ev)
        return 0;
    struct timeval tv = {(time_t)(usec / 1000000), (suseconds_t)(usec % 1000000)};
    evtimer_add(call->deadline_ev, &tv);
    return 0;
}

/* The timer alone is not enough to keep a late call from being served:
 * libevent's clock is coarse (a few ms), and a ready socket — a fast
 * database answer, the request's last bytes — is handled before a timer
 * due in the same pass. So before each step that would serve the call,
 * end it with DEADLINE_EXCEEDED if its deadline has passed; returns 1 then. */
static int call_deadline_passed(rci_call *call)
{
    if (!call->deadline_us || rci_now_us() < call->deadline_us)
        return 0;
    rci_call_finish(call, RCI_DEADLINE_EXCEEDED, "Deadline Exceeded");
    return 1;
}

/* Route the call; answer UNIMPLEMENTED naming what is missing. */
static int call_route(rci_call *call)
{
    const char *path = rci_call_path(call);
    call->route = rci_dispatch_find(path, strlen(path));
    if (call->route)
        return 0;
    const char *slash = path[0] == '/' ? strchr(path + 1, '/') : NULL;
    if (!slash) {
        rci_call_finish(call, RCI_UNIMPLEMENTED, "malformed method path \"%.200s\"", path);
        return -1;
    }
    char service[256];
    snprintf(service, sizeof service, "%.*s", (int)(slash - path - 1), path + 1);
    if (rci_dispatch_has_service(service))
        rci_call_finish(call, RCI_UNIMPLEMENTED, "unknown method %.200s for service %s",
                        slash + 1, service);
    else
        rci_call_finish(call, RCI_UNIMPLEMENTED, "unknown service %s", service);
    return -1;
}

/* content-type must be application/grpc, optionally +proto or ;params. */
static int call_check_content_type(rci_call *call)
{
    const char *ct = rci_call_header(call, "content-type");
    static const char base[] = "application/grpc";
    if (!ct || strncmp(ct, base, sizeof base - 1) != 0 ||
        (ct[sizeof base - 1] != '\0' && ct[sizeof base - 1] != '+' &&
         ct[sizeof base - 1] != ';')) {
        call_respond_http(call, 415);
        return -1;
    }
    const char *sub = ct + sizeof base - 1;
    if (*sub == '+' && strncmp(sub, "+proto", 6) != 0) {
        rci_call_finish(call, RCI_UNIMPLEMENTED, "content-type %.100s is not supported; use application/grpc+proto", ct);
        return -1;
    }
    return 0;
}

void rci_call_on_headers_done(rci_call *call)
{
    if (call->finished)
        return;
    if (call->headers_too_large) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "request headers larger than %u bytes",
                        call->conn->loop->cfg->max_header_list_bytes);
        return;
    }
    const char *method = rci_call_header(call, ":method");
    if (!method || strcmp(method, "POST") != 0) {
        call_respond_http(call, 405);
        return;
    }
    if (call_check_content_type(call) != 0 || call_route(call) != 0)
        return;
    const char *enc = rci_call_header(call, "grpc-encoding");
    if (enc && strcmp(enc, "identity") != 0) {
        if (strcmp(enc, "gzip") != 0) {
            rci_call_finish(call, RCI_UNIMPLEMENTED,
                            "grpc-encoding %.64s is not supported (accepted: identity, gzip)", enc);
            return;
        }
        call->gzip_in = 1;
    }
    /* A long-lived stream that starts once shutdown has begun (it crossed
     * the GOAWAY notice) would hold the drain for the whole grace period:
     * end it now, as loop_begin_drain ended the others (grpc-wire.md §7). */
    if (call->route->kind != RCI_KIND_UNARY && call->conn->loop->draining) {
        rci_call_finish(call, RCI_UNAVAILABLE, "server shutting down");
        return;
    }
    if (call_arm_deadline(call) != 0)
        return;
    /* Streaming calls get their response headers at once (grpc-wire.md §3). */
    if (call->route->kind != RCI_KIND_UNARY && call_start_response(call) != 0)
        rci_call_finish(call, RCI_INTERNAL, "could not start the response");
}

/* Hand a decoded request to the handler; free it afterwards unless the
 * handler took it (rci_call_take_request) to keep across async work. */
static void call_run_handler(rci_call *call, ProtobufCMessage *req)
{
    call->running = req;
    call->route->method->on_request(call, req);
    if (call->running)
        protobuf_c_message_free_unpacked(call->running, NULL);
    call->running = NULL;
}

ProtobufCMessage *rci_call_take_request(rci_call *call)
{
    ProtobufCMessage *req = call->running;
    call->running = NULL;
    return req;
}

/* Decompress (if flagged) and decode one request message, then hand it to
 * the handler (streaming requests) or keep it for END_STREAM (unary). */
static void call_on_message(rci_call *call, const uint8_t *msg, size_t len, int compressed)
{
    uint8_t *plain = NULL;
    if (compressed) {
        if (!call->gzip_in) {
            rci_call_finish(call, RCI_INTERNAL, "compressed message without grpc-encoding");
            return;
        }
        size_t plain_len;
        int rv = rci_wire_gunzip(msg, len, call->dec.max_message, &plain, &plain_len);
        if (rv == -2) {
            rci_call_finish(call, RCI_RESOURCE_EXHAUSTED,
                            "decompressed message larger than max (%zu bytes)", call->dec.max_message);
            return;
        }
        if (rv != 0) {
            rci_call_finish(call, RCI_INTERNAL, "could not decompress the gzip message");
            return;
        }
        msg = plain;
        len = plain_len;
    }
    const rci_method *m = call->route->method;
    /* proto3 strings must be UTF-8, and protobuf-c would hand the handler
     * "szdghz\0x" as "szdghz" (pbcheck.h): refuse them, naming the field. */
    char why[160];
    if (rci_pb_check_strings(m->input, msg, len, why, sizeof why) == 1) {
        free(plain);
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "%s", why);
        return;
    }
    ProtobufCMessage *req = protobuf_c_message_unpack(m->input, NULL, len, msg);
    free(plain);
    if (!req) {
        rci_call_finish(call, RCI_INTERNAL, "error parsing request message (%s)", m->input->name);
        return;
    }
    if (call->route->kind == RCI_KIND_BIDI || call->route->kind == RCI_KIND_CLIENT_STREAM) {
        if (!call_deadline_passed(call))
            call_run_handler(call, req);
        else
            protobuf_c_message_free_unpacked(req, NULL);
        return;
    }
    if (call->request) {
        protobuf_c_message_free_unpacked(req, NULL);
        rci_call_finish(call, RCI_UNIMPLEMENTED, "more than one request message for a unary method");
        return;
    }
    call->request = req;
}

void rci_call_on_data(rci_call *call, const uint8_t *data, size_t len)
{
    if (call->finished || !call->route)
        return;
    if (rci_wire_decoder_feed(&call->dec, data, len) != 0 && !call->dec.failed) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    for (;;) {
        const uint8_t *msg;
        size_t mlen;
        int compressed;
        rci_wire_result r = rci_wire_decoder_next(&call->dec, &msg, &mlen, &compressed);
        if (r == RCI_WIRE_NEED_MORE)
            return;
        if (r == RCI_WIRE_TOO_LARGE) {
            rci_call_finish(call, RCI_RESOURCE_EXHAUSTED,
                            "received message larger than max (%zu bytes)", call->dec.max_message);
            return;
        }
        if (r == RCI_WIRE_BAD_FLAG) {
            rci_call_finish(call, RCI_INTERNAL, "invalid message flag byte");
            return;
        }
        call_on_message(call, msg, mlen, compressed);
        if (call->finished)
            return;
    }
}

void rci_call_on_end_stream(rci_call *call)
{
    call->client_done = 1;
    if (call->finished || !call->route)
        return;
    if (rci_wire_decoder_pending(&call->dec) > 0) {
        rci_call_finish(call, RCI_INTERNAL, "request ended inside a message");
        return;
    }
    if (call_deadline_passed(call))
        return;
    const rci_method *m = call->route->method;
    if (call->route->kind == RCI_KIND_BIDI || call->route->kind == RCI_KIND_CLIENT_STREAM) {
        if (m->on_half_close)
            m->on_half_close(call);
        else
            rci_call_finish(call, RCI_OK, NULL);
        return;
    }
    if (!call->request) {
        rci_call_finish(call, RCI_UNIMPLEMENTED, "no request message for a unary method");
        return;
    }
    ProtobufCMessage *req = call->request;
    call->request = NULL;
    call_run_handler(call, req);
}

void rci_call_on_frame_sent(rci_call *call, int is_headers, int end_stream)
{
    (void)is_headers;
    /* Our END_STREAM is out while the client still sends: free the stream. */
    if (end_stream && !call->client_done &&
        !nghttp2_session_get_stream_remote_close(call->conn->session, call->stream_id))
        nghttp2_submit_rst_stream(call->conn->session, NGHTTP2_FLAG_NONE, call->stream_id,
                                  NGHTTP2_NO_ERROR);
}

void rci_call_on_shutdown(rci_call *call)
{
    if (call->route && call->route->kind != RCI_KIND_UNARY && !call->finished)
        rci_call_finish(call, RCI_UNAVAILABLE, "server shutting down");
}

/* Log and count the call: one line per call (method, status, duration,
 * peer). A call that never got a status was cancelled by the client. */
static void call_record(const rci_call *call, uint32_t error_code)
{
    double secs = (double)(rci_now_us() - call->start_us) / 1e6;
    int status = call->finished ? call->status : RCI_CANCELLED;
    rci_metrics_call(call_label(call), status, secs);
    const char *path = rci_call_path(call);
    if (call->http_status)
        rci_log_info("call %.200s HTTP %d %.3fms peer=%s", path, call->http_status, secs * 1e3,
                     rci_call_peer(call));
    else
        rci_log_info("call %.200s %s %.3fms peer=%s%s", path, rci_status_name(status), secs * 1e3,
                     rci_call_peer(call),
                     !call->finished && error_code != NGHTTP2_NO_ERROR ? " (reset by client)" : "");
}

void rci_call_on_close(rci_call *call, uint32_t error_code)
{
    call_record(call, error_code);
    call_cancel_queries(call);
    if (call->deadline_ev)
        event_free(call->deadline_ev);
    if (call->free_fn)
        call->free_fn(call->data);
    if (call->platform_free_fn)
        call->platform_free_fn(call->platform_data);
    if (call->request)
        protobuf_c_message_free_unpacked(call->request, NULL);
    for (int i = 0; i < call->nheaders; i++) {
        free(call->headers[i].name);
        free(call->headers[i].value);
    }
    rci_wire_decoder_free(&call->dec);
    evbuffer_free(call->out);
    free(call->message);
    free(call->details);
    rci_conn *conn = call->conn;
    if (call->prev)
        call->prev->next = call->next;
    else
        conn->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    free(call);
}
