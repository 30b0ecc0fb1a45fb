/* call_internal.h: how a connection drives its calls (conn.c → call.c).
 * Services never include this; they see call.h only. */
#ifndef RCI_CALL_INTERNAL_H
#define RCI_CALL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "platform/call.h"

struct rci_conn;

/* A stream's HEADERS began: create its call (NULL when out of memory). */
rci_call *rci_call_new(struct rci_conn *conn, int32_t stream_id);

/* One request header. Returns 0, or -1 once the header list is over the
 * limit (the call will answer RESOURCE_EXHAUSTED when the block ends). */
void rci_call_on_header(rci_call *call, const uint8_t *name, size_t namelen,
                        const uint8_t *value, size_t valuelen);

/* The request HEADERS block is complete: validate, route, arm the deadline,
 * reject early with a trailers-only answer, or send streaming headers. */
void rci_call_on_headers_done(rci_call *call);

/* Request body bytes (DATA payload). */
void rci_call_on_data(rci_call *call, const uint8_t *data, size_t len);

/* The client half-closed (END_STREAM). */
void rci_call_on_end_stream(rci_call *call);

/* A frame of this stream went out; end_stream set if it carried END_STREAM. */
void rci_call_on_frame_sent(rci_call *call, int is_headers, int end_stream);

/* The stream is closed (done, reset or connection gone): record the call,
 * release everything, free it. error_code is the HTTP/2 code. */
void rci_call_on_close(rci_call *call, uint32_t error_code);

/* Shutdown: end a long-lived stream (server-streaming or bidi) with
 * UNAVAILABLE; unary calls are left to finish. */
void rci_call_on_shutdown(rci_call *call);

/* 1 while the call still waits for request bytes from the client (not
 * half-closed and not finished; for bidi calls, only mid-message): such a
 * call may hit the read timeout. */
int rci_call_is_receiving(const rci_call *call);

/* Each call is linked in its connection's list. */
rci_call *rci_call_next(const rci_call *call);

#endif
