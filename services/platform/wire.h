/* wire.h: the pure parts of gRPC over HTTP/2 — no sockets, no event loop.
 *
 * Owns: the 5-byte length-prefixed message framing (decode incrementally,
 * encode), grpc-timeout parsing, grpc-message percent-encoding, base64 for
 * *-bin metadata, gzip message (de)compression, and the status-code names.
 * Used by the server (platform/call.c), the client library and the fuzzers;
 * see shared reference grpc-wire.md §2, §3, §5, §6 for the rules quoted here.
 */
#ifndef RCI_WIRE_H
#define RCI_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* gRPC status codes (grpc/impl/codegen/status.h). */
typedef enum rci_status {
    RCI_OK = 0,
    RCI_CANCELLED = 1,
    RCI_UNKNOWN = 2,
    RCI_INVALID_ARGUMENT = 3,
    RCI_DEADLINE_EXCEEDED = 4,
    RCI_NOT_FOUND = 5,
    RCI_ALREADY_EXISTS = 6,
    RCI_PERMISSION_DENIED = 7,
    RCI_RESOURCE_EXHAUSTED = 8,
    RCI_FAILED_PRECONDITION = 9,
    RCI_ABORTED = 10,
    RCI_OUT_OF_RANGE = 11,
    RCI_UNIMPLEMENTED = 12,
    RCI_INTERNAL = 13,
    RCI_UNAVAILABLE = 14,
    RCI_DATA_LOSS = 15,
    RCI_UNAUTHENTICATED = 16
} rci_status;

/* "OK", "INVALID_ARGUMENT", …; "UNKNOWN" for codes outside 0..16. */
const char *rci_status_name(int code);

/* ---- message framing ---------------------------------------------------- */

#define RCI_WIRE_PREFIX_LEN 5

typedef enum rci_wire_result {
    RCI_WIRE_NEED_MORE = 0,   /* no complete message buffered yet */
    RCI_WIRE_MESSAGE = 1,     /* *msg / *len / *compressed filled in */
    RCI_WIRE_TOO_LARGE = -1,  /* declared length > max_message; stop reading */
    RCI_WIRE_BAD_FLAG = -2    /* flag byte not 0 or 1 */
} rci_wire_result;

/* Incremental decoder of length-prefixed messages for one stream. DATA
 * frame boundaries are unrelated to message boundaries, so bytes are fed as
 * they come and whole messages are taken out. The declared length is
 * checked against max_message as soon as the 5-byte prefix is complete,
 * before anything of the body is buffered. */
typedef struct rci_wire_decoder {
    uint8_t *buf;        /* owned; bytes fed and not yet consumed */
    size_t len;          /* bytes in buf */
    size_t cap;
    size_t off;          /* start of the unconsumed bytes within buf */
    size_t max_message;  /* largest accepted message body */
    int failed;          /* sticky rci_wire_result error, 0 if none */
} rci_wire_decoder;

void rci_wire_decoder_init(rci_wire_decoder *d, size_t max_message);
void rci_wire_decoder_free(rci_wire_decoder *d);

/* Append bytes. Returns 0, or -1 when out of memory or the decoder has
 * failed, now or before (d->failed says which rci_wire_result; 0 means out
 * of memory and nothing was added). Never buffers the body of a message
 * whose declared length is over max_message. Take messages out with
 * rci_wire_decoder_next after every feed: once failed, next reports the
 * failure at once, even for whole messages fed before the bad prefix. */
int rci_wire_decoder_feed(rci_wire_decoder *d, const uint8_t *data, size_t len);

/* Take the next complete message. On RCI_WIRE_MESSAGE, *msg points into
 * the decoder's buffer and stays valid until the next feed/next/free call. */
rci_wire_result rci_wire_decoder_next(rci_wire_decoder *d, const uint8_t **msg,
                                      size_t *len, int *compressed);

/* Bytes fed but not yet returned as messages (nonzero at END_STREAM means
 * a truncated message → INTERNAL). */
size_t rci_wire_decoder_pending(const rci_wire_decoder *d);

/* Write the 5-byte prefix for a message of len bytes. */
void rci_wire_prefix(uint8_t out[RCI_WIRE_PREFIX_LEN], int compressed, uint32_t len);

/* ---- grpc-timeout ------------------------------------------------------- */

/* Parse a grpc-timeout value: 1..8 ASCII digits then one of H M S m u n.
 * On success stores the duration in microseconds (rounded up, saturating at
 * INT64_MAX) and returns 0; malformed → -1. */
int rci_wire_parse_timeout(const char *value, size_t len, int64_t *usec);

/* Format a duration as grpc-timeout ("5S", "5500m"), choosing the coarsest
 * unit that is exact and fits in 8 digits (rounded up when none is); zero or
 * negative gives "0n". out must hold 16 bytes. */
void rci_wire_format_timeout(int64_t usec, char out[16]);

/* ---- grpc-message percent-encoding -------------------------------------- */

/* Encode: bytes 0x20..0x7E except '%' as they are, every other byte as %XX
 * (uppercase hex). Returns a malloc'd NUL-terminated string (caller frees)
 * or NULL when out of memory. */
char *rci_wire_pct_encode(const char *text, size_t len);

/* Decode %XX sequences; a malformed sequence is kept literally (never
 * fails). Returns malloc'd NUL-terminated text and its length in *out_len. */
char *rci_wire_pct_decode(const char *text, size_t len, size_t *out_len);

/* ---- base64 for -bin metadata ------------------------------------------- */

/* Encode without padding. Returns malloc'd NUL-terminated text. */
char *rci_wire_b64_encode(const uint8_t *data, size_t len);

/* Decode padded or unpadded standard base64. Returns malloc'd bytes (length
 * in *out_len) or NULL on bad input. */
uint8_t *rci_wire_b64_decode(const char *text, size_t len, size_t *out_len);

/* ---- compression --------------------------------------------------------- */

/* Inflate one gzip-compressed message. Returns 0 with a malloc'd *out
 * (caller frees); -1 if the data is corrupt or truncated; -2 if the result
 * would exceed max_out bytes (zip bombs are stopped at max_out). */
int rci_wire_gunzip(const uint8_t *in, size_t in_len, size_t max_out,
                    uint8_t **out, size_t *out_len);

/* Gzip one message. Returns 0 and a malloc'd *out, or -1. */
int rci_wire_gzip(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);

#endif
