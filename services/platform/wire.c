/* wire.c: the pure parts of gRPC over HTTP/2 — no sockets, no event loop.
 *
 * Owns the implementation of everything declared in wire.h: the incremental
 * length-prefixed message decoder and the prefix encoder, grpc-timeout
 * parsing and formatting, grpc-message percent-encoding, base64 for *-bin
 * metadata, gzip (de)compression of single messages, and the status names.
 * Every function here works on memory handed to it and returns malloc'd
 * results the caller owns; nothing blocks and nothing is global except
 * constant tables, so the fuzzers reach all of it directly.
 *
 * Rules quoted from shared/reference/grpc-wire.md §2 (framing), §3
 * (grpc-message, *-bin), §5 (grpc-timeout) and §6 (compression).
 */
#include "platform/wire.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* A decoder whose buffer is empty keeps at most this much capacity; more is
 * given back, so one large message does not pin memory for the stream's
 * whole life. */
#define RCI_WIRE_KEEP_CAP (64 * 1024)

/* grpc-timeout values have at most this many digits (§5). */
#define RCI_WIRE_TIMEOUT_DIGITS 8
#define RCI_WIRE_TIMEOUT_MAX 99999999

/* ---- status names ---------------------------------------------------------- */

static const char *const rci_wire_status_names[] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

/* The canonical upper-case name of a gRPC status code; "UNKNOWN" for any
 * code outside 0..16. The result is a static string. */
const char *rci_status_name(int code)
{
    int n = (int)(sizeof rci_wire_status_names / sizeof rci_wire_status_names[0]);

    if (code < 0 || code >= n)
        return "UNKNOWN";
    return rci_wire_status_names[code];
}

/* ---- message framing ------------------------------------------------------- */

/* Layout of the decoder's buffer: buf[0..off) has been handed out already,
 * buf[off..len) is pending, buf[len..cap) is free. Every prefix in the
 * pending bytes has been checked by feed, so next only slices. */

/* Start an empty decoder that accepts bodies of up to max_message bytes.
 * Allocates nothing. */
void rci_wire_decoder_init(rci_wire_decoder *d, size_t max_message)
{
    memset(d, 0, sizeof *d);
    d->max_message = max_message;
}

/* Release the buffer. The decoder may be initialised again afterwards;
 * freeing twice is harmless. */
void rci_wire_decoder_free(rci_wire_decoder *d)
{
    free(d->buf);
    d->buf = NULL;
    d->len = d->cap = d->off = 0;
}

/* Check the 5-byte prefix at p: the flag byte and the declared body length
 * against max. Returns RCI_WIRE_MESSAGE with *flag and *body filled in, or
 * the error it breaks. */
static rci_wire_result rci_wire_check_prefix(const uint8_t p[RCI_WIRE_PREFIX_LEN],
                                             size_t max, int *flag, size_t *body)
{
    uint32_t n = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 8 | (uint32_t)p[4];

    if (p[0] > 1)
        return RCI_WIRE_BAD_FLAG;
    if (n > max)
        return RCI_WIRE_TOO_LARGE;
    *flag = p[0];
    *body = n;
    return RCI_WIRE_MESSAGE;
}

/* Record a sticky failure and give the buffer back: nothing fed after a
 * broken prefix can be trusted, and the caller is about to stop reading. */
static void rci_wire_decoder_fail(rci_wire_decoder *d, rci_wire_result why)
{
    d->failed = why;
    rci_wire_decoder_free(d);
}

/* If every buffered byte has been handed out, rewind to the start, and give
 * the buffer back when it grew past RCI_WIRE_KEEP_CAP. */
static void rci_wire_decoder_rewind(rci_wire_decoder *d)
{
    if (d->off != d->len)
        return;
    d->off = d->len = 0;
    if (d->cap > RCI_WIRE_KEEP_CAP)
        rci_wire_decoder_free(d);
}

/* Move the pending bytes to the front of the buffer, and shrink a buffer
 * that is mostly empty. Called once per feed, so the bytes of a message are
 * moved at most once per feed call, never once per message taken. */
static void rci_wire_decoder_compact(rci_wire_decoder *d)
{
    size_t left;
    uint8_t *p;

    rci_wire_decoder_rewind(d);
    if (d->off > 0) {
        left = d->len - d->off;
        memmove(d->buf, d->buf + d->off, left);
        d->len = left;
        d->off = 0;
    }
    if (d->cap > RCI_WIRE_KEEP_CAP && d->len < d->cap / 4) {
        size_t want = d->len > RCI_WIRE_KEEP_CAP ? d->len : RCI_WIRE_KEEP_CAP;
        p = realloc(d->buf, want);
        if (p != NULL) {   /* a failed shrink leaves the larger buffer */
            d->buf = p;
            d->cap = want;
        }
    }
}

/* Make room for need bytes in total, growing geometrically. 0 or -1. */
static int rci_wire_decoder_reserve(rci_wire_decoder *d, size_t need)
{
    size_t cap = d->cap ? d->cap : 256;
    uint8_t *p;

    if (need <= d->cap)
        return 0;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(d->buf, cap);
    if (p == NULL)
        return -1;
    d->buf = p;
    d->cap = cap;
    return 0;
}

/* Walk the message boundaries over the pending bytes followed by the n new
 * bytes at data, without copying anything, and check every prefix that the
 * new bytes complete. Returns RCI_WIRE_MESSAGE if all are good, else the
 * error of the first bad one. */
static rci_wire_result rci_wire_decoder_scan(const rci_wire_decoder *d,
                                             const uint8_t *data, size_t n)
{
    size_t held = d->len - d->off;
    size_t total = held + n;
    size_t at = 0;   /* start of the current message, relative to off */

    while (total - at >= RCI_WIRE_PREFIX_LEN) {
        uint8_t p[RCI_WIRE_PREFIX_LEN];
        size_t body;
        int flag;
        rci_wire_result r;

        for (size_t i = 0; i < RCI_WIRE_PREFIX_LEN; i++) {
            size_t k = at + i;
            p[i] = k < held ? d->buf[d->off + k] : data[k - held];
        }
        r = rci_wire_check_prefix(p, d->max_message, &flag, &body);
        if (r != RCI_WIRE_MESSAGE)
            return r;
        if (total - at - RCI_WIRE_PREFIX_LEN <= body)
            break;   /* the last message ends at or after the end */
        at += RCI_WIRE_PREFIX_LEN + body;
    }
    return RCI_WIRE_MESSAGE;
}

/* Append len bytes. Every prefix the new bytes complete is checked first;
 * a bad one fails the decoder (sticky, buffer freed) and nothing of this
 * call is kept, so a body over max_message is never buffered. Returns 0, or
 * -1 when the decoder has failed (now or before; see d->failed) or memory
 * ran out (d->failed stays 0 and nothing was appended). The check walks
 * the messages still buffered, so callers take them out after each feed. */
int rci_wire_decoder_feed(rci_wire_decoder *d, const uint8_t *data, size_t len)
{
    rci_wire_result r;

    if (d->failed)
        return -1;
    if (len == 0)
        return 0;
    r = rci_wire_decoder_scan(d, data, len);
    if (r != RCI_WIRE_MESSAGE) {
        rci_wire_decoder_fail(d, r);
        return -1;
    }
    rci_wire_decoder_compact(d);
    if (len > SIZE_MAX - d->len || rci_wire_decoder_reserve(d, d->len + len) < 0)
        return -1;
    memcpy(d->buf + d->len, data, len);
    d->len += len;
    return 0;
}

/* Take the next complete message. Returns RCI_WIRE_MESSAGE with *msg
 * pointing into the buffer (valid until the next feed/next/free call),
 * RCI_WIRE_NEED_MORE, or the sticky failure — at once, even when whole
 * messages came before the bad prefix: the call is failing anyway. Never
 * copies. */
rci_wire_result rci_wire_decoder_next(rci_wire_decoder *d, const uint8_t **msg,
                                      size_t *len, int *compressed)
{
    size_t body;
    int flag;
    rci_wire_result r;

    if (d->failed)
        return (rci_wire_result)d->failed;
    rci_wire_decoder_rewind(d);
    if (d->len - d->off < RCI_WIRE_PREFIX_LEN)
        return RCI_WIRE_NEED_MORE;
    r = rci_wire_check_prefix(d->buf + d->off, d->max_message, &flag, &body);
    if (r != RCI_WIRE_MESSAGE) {   /* feed checked it; only a misuse lands here */
        rci_wire_decoder_fail(d, r);
        return r;
    }
    if (d->len - d->off - RCI_WIRE_PREFIX_LEN < body)
        return RCI_WIRE_NEED_MORE;
    *msg = d->buf + d->off + RCI_WIRE_PREFIX_LEN;
    *len = body;
    *compressed = flag;
    d->off += RCI_WIRE_PREFIX_LEN + body;
    return RCI_WIRE_MESSAGE;
}

/* Bytes fed and not yet returned as messages; 0 after a failure. */
size_t rci_wire_decoder_pending(const rci_wire_decoder *d)
{
    return d->len - d->off;
}

/* Write the flag byte (1 if compressed, else 0) and the big-endian length. */
void rci_wire_prefix(uint8_t out[RCI_WIRE_PREFIX_LEN], int compressed, uint32_t len)
{
    out[0] = compressed ? 1 : 0;
    out[1] = (uint8_t)(len >> 24);
    out[2] = (uint8_t)(len >> 16);
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
}

/* ---- grpc-timeout ---------------------------------------------------------- */

/* The grpc-timeout units that are whole microseconds, coarsest first. 'n'
 * (nanoseconds) is finer than our resolution and handled apart. */
static const struct {
    char unit;
    int64_t usec;
} rci_wire_units[] = {
    {'H', INT64_C(3600000000)},
    {'M', INT64_C(60000000)},
    {'S', INT64_C(1000000)},
    {'m', INT64_C(1000)},
    {'u', INT64_C(1)},
};

#define RCI_WIRE_NUNITS (sizeof rci_wire_units / sizeof rci_wire_units[0])

/* Parse "1..8 digits + unit" (value need not be NUL-terminated; exactly len
 * bytes are read). Stores microseconds, nanoseconds rounded up, saturating
 * at INT64_MAX (unreachable with 8 digits, but kept as the contract).
 * Returns 0, or -1 for anything else: empty, no digits, 9+ digits, sign,
 * space, missing or unknown unit, trailing bytes. */
int rci_wire_parse_timeout(const char *value, size_t len, int64_t *usec)
{
    int64_t n = 0;
    size_t digits;
    char unit;

    if (value == NULL || len < 2 || len - 1 > RCI_WIRE_TIMEOUT_DIGITS)
        return -1;
    digits = len - 1;
    for (size_t i = 0; i < digits; i++) {
        if (value[i] < '0' || value[i] > '9')
            return -1;
        n = n * 10 + (value[i] - '0');
    }
    unit = value[digits];
    if (unit == 'n') {
        *usec = n / 1000 + (n % 1000 != 0);
        return 0;
    }
    for (size_t i = 0; i < RCI_WIRE_NUNITS; i++) {
        if (rci_wire_units[i].unit == unit) {
            int64_t f = rci_wire_units[i].usec;
            *usec = n > INT64_MAX / f ? INT64_MAX : n * f;
            return 0;
        }
    }
    return -1;
}

/* Index in rci_wire_units of the unit usec (> 0) is written in: the
 * coarsest that is exact and fits in 8 digits; if none is exact, the finest
 * that fits once rounded up; RCI_WIRE_NUNITS if even hours overflow. */
static size_t rci_wire_timeout_unit(int64_t usec)
{
    size_t i;

    for (i = 0; i < RCI_WIRE_NUNITS; i++) {
        int64_t f = rci_wire_units[i].usec;
        if (usec % f == 0 && usec / f <= RCI_WIRE_TIMEOUT_MAX)
            return i;
    }
    for (i = RCI_WIRE_NUNITS; i-- > 0;) {
        int64_t f = rci_wire_units[i].usec;
        if (usec / f + (usec % f != 0) <= RCI_WIRE_TIMEOUT_MAX)
            return i;
    }
    return RCI_WIRE_NUNITS;
}

/* Format usec as grpc-timeout into out (16 bytes, NUL-terminated): the
 * coarsest unit that is exact and fits in 8 digits ("5S", "1500m"); if none
 * is exact, the finest that fits, rounded up, so the peer never sees a
 * shorter deadline than ours; past 99999999H, "99999999H". A zero or
 * negative duration (an expired deadline) is "0n". */
void rci_wire_format_timeout(int64_t usec, char out[16])
{
    size_t i = usec > 0 ? rci_wire_timeout_unit(usec) : 0;
    char digits[RCI_WIRE_TIMEOUT_DIGITS];
    size_t n = 0, k = 0;
    int64_t f, q;

    if (usec <= 0) {
        memcpy(out, "0n", 3);
        return;
    }
    if (i == RCI_WIRE_NUNITS) {
        memcpy(out, "99999999H", 10);
        return;
    }
    f = rci_wire_units[i].usec;
    q = usec / f + (usec % f != 0);
    do {
        digits[n++] = (char)('0' + q % 10);
        q /= 10;
    } while (q > 0);
    while (n > 0)
        out[k++] = digits[--n];
    out[k++] = rci_wire_units[i].unit;
    out[k] = '\0';
}

/* ---- grpc-message percent-encoding ----------------------------------------- */

static const char rci_wire_hex[] = "0123456789ABCDEF";

/* True for the bytes grpc-message carries as they are (§3). */
static int rci_wire_pct_plain(unsigned char c)
{
    return c >= 0x20 && c <= 0x7E && c != '%';
}

/* Value of one hex digit (either case), or -1. */
static int rci_wire_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-encode len bytes of text for grpc-message. Returns a malloc'd
 * NUL-terminated string, or NULL when out of memory. */
char *rci_wire_pct_encode(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t need = 1, k = 0;
    char *out;

    if (len > (SIZE_MAX - 1) / 3)
        return NULL;
    for (size_t i = 0; i < len; i++)
        need += rci_wire_pct_plain(s[i]) ? 1 : 3;
    out = malloc(need);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (rci_wire_pct_plain(s[i])) {
            out[k++] = (char)s[i];
        } else {
            out[k++] = '%';
            out[k++] = rci_wire_hex[s[i] >> 4];
            out[k++] = rci_wire_hex[s[i] & 0xF];
        }
    }
    out[k] = '\0';
    return out;
}

/* Decode %XX (hex in either case); a '%' not followed by two hex digits is
 * kept as it is, with what follows it. Returns malloc'd NUL-terminated text
 * (it may hold NUL bytes; its length goes to *out_len if out_len is not
 * NULL), or NULL only when out of memory. */
char *rci_wire_pct_decode(const char *text, size_t len, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)text;
    char *out = malloc(len + 1);
    size_t k = 0;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;

        if (s[i] == '%' && len - i >= 3 && (hi = rci_wire_hexval(s[i + 1])) >= 0 &&
            (lo = rci_wire_hexval(s[i + 2])) >= 0) {
            out[k++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[k++] = (char)s[i];
        }
    }
    out[k] = '\0';
    if (out_len != NULL)
        *out_len = k;
    return out;
}

/* ---- base64 for -bin metadata ---------------------------------------------- */

static const char rci_wire_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of one standard-alphabet base64 character, or -1. */
static int rci_wire_b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Encode len bytes as standard base64 without '=' padding. Returns a
 * malloc'd NUL-terminated string, or NULL when out of memory. */
char *rci_wire_b64_encode(const uint8_t *data, size_t len)
{
    size_t need, k = 0, i = 0;
    char *out;

    if (len > (SIZE_MAX - 4) / 4 * 3)
        return NULL;
    need = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0) + 1;
    out = malloc(need);
    if (out == NULL)
        return NULL;
    for (; len - i >= 3; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        out[k++] = rci_wire_b64[v >> 18];
        out[k++] = rci_wire_b64[v >> 12 & 63];
        out[k++] = rci_wire_b64[v >> 6 & 63];
        out[k++] = rci_wire_b64[v & 63];
    }
    if (len - i > 0) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (len - i == 2)
            v |= (uint32_t)data[i + 1] << 8;
        out[k++] = rci_wire_b64[v >> 18];
        out[k++] = rci_wire_b64[v >> 12 & 63];
        if (len - i == 2)
            out[k++] = rci_wire_b64[v >> 6 & 63];
    }
    out[k] = '\0';
    return out;
}

/* Decode standard base64, padded ("Zg==", length a multiple of 4) or
 * unpadded ("Zg"). Rejects (NULL) any character outside the alphabet,
 * including whitespace and ',', padding anywhere but at the end of a
 * 4-multiple, and a length that leaves one lone character. Unused low bits
 * of the last character are ignored. Returns malloc'd bytes (never NULL on
 * success, even for empty input) with the count in *out_len. */
uint8_t *rci_wire_b64_decode(const char *text, size_t len, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)text;
    uint32_t acc = 0;
    size_t k = 0, bits = 0;
    uint8_t *out;

    if (len % 4 == 0 && len > 0 && s[len - 1] == '=')
        len -= (s[len - 2] == '=') ? 2 : 1;
    if (len % 4 == 1)
        return NULL;
    out = malloc(len / 4 * 3 + 3);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        int v = rci_wire_b64val(s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6 | (uint32_t)v) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (uint8_t)(acc >> bits);
        }
    }
    *out_len = k;
    return out;
}

/* ---- compression ----------------------------------------------------------- */

/* Largest slice handed to zlib at once: its counters are unsigned int. */
#define RCI_WIRE_ZCHUNK ((size_t)UINT_MAX)

/* Inflate one gzip message (concatenated gzip members are accepted, like
 * gzip(1)). The output buffer grows with what is actually produced and is
 * never allowed past max_out + 1 bytes, so a zip bomb costs at most that
 * much memory before -2. Returns 0 with a malloc'd *out (never NULL, even
 * for empty output), -1 if corrupt, truncated or out of memory, -2 if the
 * result exceeds max_out. */
int rci_wire_gunzip(const uint8_t *in, size_t in_len, size_t max_out,
                    uint8_t **out, size_t *out_len)
{
    size_t limit = max_out < SIZE_MAX ? max_out + 1 : SIZE_MAX;
    size_t cap = 0, total = 0, fed = 0;
    uint8_t *buf = NULL;
    z_stream z;
    int rc, ret = -1;

    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return -1;
    for (;;) {
        if (z.avail_in == 0 && fed < in_len) {
            size_t n = in_len - fed < RCI_WIRE_ZCHUNK ? in_len - fed : RCI_WIRE_ZCHUNK;
            z.next_in = (Bytef *)(uintptr_t)(in + fed);   /* zlib does not write */
            z.avail_in = (uInt)n;
            fed += n;
        }
        if (total == cap) {
            size_t ncap;
            uint8_t *p;
            if (cap == limit) {
                ret = -2;
                break;
            }
            ncap = cap ? (cap > limit / 2 ? limit : cap * 2) : (limit < 4096 ? limit : 4096);
            p = realloc(buf, ncap);
            if (p == NULL)
                break;
            buf = p;
            cap = ncap;
        }
        z.next_out = buf + total;
        z.avail_out = (uInt)(cap - total < RCI_WIRE_ZCHUNK ? cap - total : RCI_WIRE_ZCHUNK);
        rc = inflate(&z, Z_NO_FLUSH);
        total = (size_t)(z.next_out - buf);
        if (total > max_out) {
            ret = -2;
            break;
        }
        if (rc == Z_STREAM_END) {
            if (z.avail_in == 0 && fed == in_len) {
                ret = 0;
                break;
            }
            if (inflateReset(&z) != Z_OK)
                break;
            continue;
        }
        if (rc == Z_BUF_ERROR && z.avail_in == 0 && fed == in_len)
            break;   /* truncated: no input left and the stream did not end */
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            break;   /* Z_DATA_ERROR, Z_NEED_DICT, Z_MEM_ERROR */
    }
    inflateEnd(&z);
    if (ret != 0) {   /* on success buf is set: the loop allocates first */
        free(buf);
        return ret;
    }
    *out = buf;
    *out_len = total;
    return 0;
}

/* Gzip one message at the default level. Returns 0 with a malloc'd *out
 * (caller frees), or -1 when out of memory. */
int rci_wire_gzip(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
    size_t cap, fed = 0, total = 0;
    uint8_t *buf;
    z_stream z;
    int rc = Z_MEM_ERROR;

    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    cap = deflateBound(&z, (uLong)in_len);
    buf = malloc(cap);
    if (buf == NULL) {
        deflateEnd(&z);
        return -1;
    }
    do {
        if (z.avail_in == 0 && fed < in_len) {
            size_t n = in_len - fed < RCI_WIRE_ZCHUNK ? in_len - fed : RCI_WIRE_ZCHUNK;
            z.next_in = (Bytef *)(uintptr_t)(in + fed);   /* zlib does not write */
            z.avail_in = (uInt)n;
            fed += n;
        }
        if (total == cap) {   /* deflateBound holds; this is belt and braces */
            uint8_t *p = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (p == NULL)
                break;
            buf = p;
            cap *= 2;
        }
        z.next_out = buf + total;
        z.avail_out = (uInt)(cap - total < RCI_WIRE_ZCHUNK ? cap - total : RCI_WIRE_ZCHUNK);
        rc = deflate(&z, fed == in_len ? Z_FINISH : Z_NO_FLUSH);
        total = (size_t)(z.next_out - buf);
    } while (rc == Z_OK || rc == Z_BUF_ERROR);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = total;
    return 0;
}
