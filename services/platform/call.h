/* call.h: the API a service handler sees — one gRPC call, from the decoded
 * request to the status in the trailers.
 *
 * Owns: the per-stream call object (request metadata, deadline timer,
 * message decoder, response queue, status), decoding requests with the
 * method's protobuf-c descriptor, encoding responses, and tying database
 * queries to the call so that a cancelled or expired call's results are
 * dropped. A handler never sees HTTP/2, sockets or libpq connections.
 *
 * Life of a call: the platform routes the stream by :path, decodes each
 * request message and calls the method's on_request (for unary and
 * server-streaming calls exactly once, after the client's END_STREAM; for
 * bidi calls once per message as it arrives). The handler answers now or
 * later (from a query callback) with rci_call_send / rci_call_reply /
 * rci_call_finish. When the stream closes for any reason — finished,
 * client cancel, deadline, connection lost — the handler's data is freed
 * through the free function given to rci_call_set_data; that is the one
 * place a handler releases what it holds (e.g. leaves a watcher list).
 *
 * All functions run on the call's loop thread.
 */
#ifndef RCI_CALL_H
#define RCI_CALL_H

#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>
#include <stdarg.h>
#include <stddef.h>
#include "platform/wire.h"

struct event_base;
struct rci_loop;

typedef struct rci_call rci_call;

typedef struct rci_method {
    const char *path;                           /* "/rci.v1.RegistryService/ListRegions" */
    const ProtobufCMessageDescriptor *input;    /* request message type */
    /* A decoded request. req is freed by the platform when this returns. */
    void (*on_request)(rci_call *call, const ProtobufCMessage *req);
    /* Bidi only, optional: the client has half-closed. Default: finish OK
     * once every queued response has been sent. */
    void (*on_half_close)(rci_call *call);
} rci_method;

/* ---- handler state ------------------------------------------------------ */

/* Attach data to the call; free_fn(data) runs once when the call ends. */
void rci_call_set_data(rci_call *call, void *data, void (*free_fn)(void *));
void *rci_call_data(const rci_call *call);

/* A second slot with the same contract, kept for the platform's helpers
 * that act for the handler across a query (platform/auth.c holds the
 * handler's callback there while it looks the token up), so that the slot
 * above stays the handler's alone. Services never use it. */
void rci_call_set_platform_data(rci_call *call, void *data, void (*free_fn)(void *));
void *rci_call_platform_data(const rci_call *call);

/* Inside on_request: take ownership of the request being handled, to keep
 * it across asynchronous work (free it with
 * protobuf_c_message_free_unpacked, e.g. from the data's free function).
 * Otherwise the platform frees it when on_request returns. */
ProtobufCMessage *rci_call_take_request(rci_call *call);

/* Request metadata by lowercase name (e.g. "authorization"); NULL if
 * absent. Valid for the life of the call. */
const char *rci_call_header(const rci_call *call, const char *name);
const char *rci_call_peer(const rci_call *call);     /* "127.0.0.1:50422" */
const char *rci_call_path(const rci_call *call);
struct rci_loop *rci_call_loop(const rci_call *call);

/* 1 once a status has been sent (or the stream is gone): further sends
 * and finishes are ignored. */
int rci_call_is_finished(const rci_call *call);

/* ---- answering ---------------------------------------------------------- */

/* Queue one response message. Returns 0, or -1 if the call is finished or
 * its queue is over the per-call or per-connection bound (the call is then
 * ended with RESOURCE_EXHAUSTED: a slow client must not grow memory). */
int rci_call_send(rci_call *call, const ProtobufCMessage *msg);

/* End the call with a status and a printf-style message (UTF-8; the
 * platform percent-encodes it and caps its length). */
void rci_call_finish(rci_call *call, rci_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rci_call_vfinish(rci_call *call, rci_status code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Same, with serialized google.rpc.Status bytes for grpc-status-details-bin
 * (its code must equal code; the caller bounds its size). */
void rci_call_finish_details(rci_call *call, rci_status code, const uint8_t *details,
                             size_t details_len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Unary convenience: send msg, then finish OK. */
void rci_call_reply(rci_call *call, const ProtobufCMessage *msg);

/* ---- database ------------------------------------------------------------ */

/* Result of a query made through rci_call_query: res is valid only during
 * the callback (the store clears it). Only called if the call is still
 * live; on a database error the platform has already finished the call
 * with UNAVAILABLE / ABORTED / RESOURCE_EXHAUSTED / INTERNAL. */
typedef void (*rci_call_query_cb)(rci_call *call, const PGresult *res);

/* Run registered statement stmt (rci_store_register) on this loop's pool.
 * If the database is down the call is finished with UNAVAILABLE at once and
 * cb is never called. */
void rci_call_query(rci_call *call, int stmt, const char *const *params,
                    rci_call_query_cb cb);

#endif
