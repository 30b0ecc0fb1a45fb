/* client.h: a blocking gRPC client over one HTTP/2 connection — what rcictl
 * and the C tests use to call rcid (or any gRPC server).
 *
 * Owns: the connection (TCP, h2c with prior knowledge, or TLS with ALPN h2
 * through OpenSSL), the nghttp2 client session on it, and the calls made on
 * it. Every function blocks in poll() until it can return, bounded by the
 * call's deadline; nothing runs in the background. One client and its calls
 * belong to one thread.
 *
 * A call is one HTTP/2 stream. Every failure of a call — the connection
 * refused or lost, an HTTP error, a deadline, a message too large, a
 * status from the server — ends up in one place, the call's final status
 * (rci_client_status), with the gRPC code a stock client would report
 * (shared reference grpc-wire.md §3, §5). So a caller checks one thing.
 *
 * Unary:
 *     rci_client_status st = RCI_CLIENT_STATUS_INIT;
 *     ProtobufCMessage *resp;
 *     if (rci_client_unary(c, "/pkg.Svc/Method", &req.base,
 *                          &pkg__reply__descriptor, &resp, &st, 5000) == RCI_OK) {
 *         ... protobuf_c_message_free_unpacked(resp, NULL);
 *     }
 *     rci_client_status_clear(&st);
 *
 * Streaming (server-streaming, lock-step bidi):
 *     rci_client_call *call = rci_client_call_open(c, path, timeout_ms);
 *     rci_client_call_send(call, &req.base);
 *     rci_client_call_close_send(call);
 *     while (rci_client_call_recv(call, type, &msg, -1) == 1) { ...; free msg }
 *     code = rci_client_call_status(call)->code;
 *     rci_client_call_free(call);
 */
#ifndef RCI_CLIENT_H
#define RCI_CLIENT_H

#include <protobuf-c/protobuf-c.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "platform/wire.h"

typedef struct rci_client rci_client;
typedef struct rci_client_call rci_client_call;

/* The outcome of a call. All fields are owned by the struct: release them
 * with rci_client_status_clear. */
typedef struct rci_client_status {
    int code;            /* rci_status value (0 = OK) */
    char *message;       /* grpc-message, percent-decoded, NUL-terminated;
                          * "" when the server sent none; NULL only before
                          * a status has been stored */
    uint8_t *details;    /* grpc-status-details-bin, base64-decoded (a
                          * serialized google.rpc.Status); NULL if absent */
    size_t details_len;
} rci_client_status;

#define RCI_CLIENT_STATUS_INIT {0, NULL, NULL, 0}

/* Free the message and details and reset to RCI_CLIENT_STATUS_INIT. */
void rci_client_status_clear(rci_client_status *st);

/* One custom metadata entry sent with every call. Names are lowercase
 * [0-9a-z_.-]; values printable ASCII (names ending in "-bin" take the raw
 * value and are sent base64-encoded). */
typedef struct rci_client_metadata {
    const char *name;
    const char *value;
} rci_client_metadata;

typedef struct rci_client_options {
    int tls;                   /* 0: h2c (prior knowledge); 1: TLS, ALPN h2 */
    const char *ca_file;       /* PEM CA certificates to trust; NULL: the
                                * system's default trust store */
    int insecure;              /* TLS without verifying the certificate or
                                * the host name (tests only) */
    const char *server_name;   /* SNI and the name the certificate must
                                * carry; NULL: the host part of addr (no SNI
                                * for an IP literal, whose IP is checked) */
    const char *token;         /* sent as "authorization: Bearer <token>" */
    const rci_client_metadata *metadata; /* more metadata for every call */
    size_t n_metadata;
    const char *user_agent;    /* NULL: "rcictl/0.1" */
    size_t max_message;        /* largest response message; 0: 4 MiB */
    int connect_timeout_ms;    /* TCP + TLS + HTTP/2 SETTINGS; <= 0: 10 s */
    /* If non-NULL, a signal handler sets *interrupt to make blocked calls
     * stop: they end with CANCELLED "interrupted". Install the handler
     * without SA_RESTART so that poll() returns. */
    volatile sig_atomic_t *interrupt;
} rci_client_options;

/* Connect to addr — "host:port", "[v6addr]:port", or a host alone (port
 * 50051) — and wait for the server's HTTP/2 SETTINGS, so that a client
 * returned is talking to an HTTP/2 server. opt may be NULL (h2c, no
 * metadata). On failure returns NULL and fills *st: UNAVAILABLE for
 * network, TLS and protocol failures (message has the errno/OpenSSL
 * text), INVALID_ARGUMENT for a bad address or option, DEADLINE_EXCEEDED
 * when connect_timeout_ms passed. st is cleared first and may be NULL. */
rci_client *rci_client_connect(const char *addr, const rci_client_options *opt,
                               rci_client_status *st);

/* Close the connection (GOAWAY, best effort) and free the client. Calls
 * not yet freed are ended with CANCELLED and stay valid until
 * rci_client_call_free. NULL is a no-op. */
void rci_client_close(rci_client *c);

/* 1 if new calls can start: the connection is up and the server has not
 * sent GOAWAY (rcid does after --idle-timeout, and when shutting down).
 * Reads what has already arrived, without waiting. A client that is no
 * longer alive is closed and connected anew by its user. */
int rci_client_alive(rci_client *c);

/* "h2" or "h2c"; the peer address as "host:port". */
const char *rci_client_protocol(const rci_client *c);
const char *rci_client_target(const rci_client *c);

/* One unary call: send req to path ("/pkg.Service/Method"), wait for the
 * response and the status, at most timeout_ms (<= 0: no deadline).
 * Returns the status code (RCI_OK = 0) and stores the status in *st
 * (cleared first). On OK, *resp is the response unpacked as resp_type,
 * owned by the caller (protobuf_c_message_free_unpacked(*resp, NULL));
 * otherwise *resp is NULL. A response with zero or several messages and
 * status OK is INTERNAL. */
int rci_client_unary(rci_client *c, const char *path, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *resp_type, ProtobufCMessage **resp,
                     rci_client_status *st, int timeout_ms);

/* ---- streaming calls ---------------------------------------------------- */

/* Start a call: the request HEADERS go out now (with grpc-timeout when
 * timeout_ms > 0, which is also enforced locally). Returns NULL only when
 * out of memory; any other failure (connection gone, GOAWAY) gives a call
 * that is already over, whose status says why. */
rci_client_call *rci_client_call_open(rci_client *c, const char *path, int timeout_ms);

/* Queue one request message and write what flow control allows. Blocks
 * while more than 1 MiB of earlier messages is still unsent. Returns 0, or
 * -1 if the call is over or was half-closed (see rci_client_call_status). */
int rci_client_call_send(rci_client_call *call, const ProtobufCMessage *msg);

/* Half-close: no more request messages (END_STREAM after the queued
 * ones). Returns 0, or -1 if the call is already over. */
int rci_client_call_close_send(rci_client_call *call);

/* Wait for the next response message, at most wait_ms (< 0: until the
 * call's deadline, if any). Returns
 *    1  a message: *msg is it, unpacked as type, owned by the caller;
 *    0  the call is over: no more messages, rci_client_call_status tells
 *       how it ended (OK after the last message of a good stream);
 *   -1  wait_ms passed without either; the call goes on.
 * Messages that arrived before the call ended are delivered first. */
int rci_client_call_recv(rci_client_call *call, const ProtobufCMessageDescriptor *type,
                         ProtobufCMessage **msg, int wait_ms);

/* 1 once the call has ended (its status is final). */
int rci_client_call_done(const rci_client_call *call);

/* The final status, valid once rci_client_call_recv returned 0 (before
 * that: code OK, message NULL). Owned by the call. */
const rci_client_status *rci_client_call_status(const rci_client_call *call);

/* Move the final status into *out (cleared first); the call keeps an empty
 * one. */
void rci_client_call_take_status(rci_client_call *call, rci_client_status *out);

/* Free the call. If its stream is still open it is reset with
 * RST_STREAM(CANCEL), which the server sees as a cancellation. NULL is a
 * no-op. */
void rci_client_call_free(rci_client_call *call);

#endif
