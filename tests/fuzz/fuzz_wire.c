/* fuzz_wire.c: libFuzzer target for platform/wire.c.
 *
 * Input layout (seeds in corpus/fuzz_wire/ follow it):
 *   byte 0..1   max_message, big-endian (0..65535)
 *   byte 2      n, the number of chunk-size bytes that follow
 *   n bytes     chunk sizes, used in turn (0 = an empty feed); n == 0
 *               feeds the whole stream at once, and so does running out
 *               of turns (sizes that are all 0)
 *   rest        the byte stream fed to the decoder
 * Every message taken out is checked against a plain re-parse of the
 * stream, and a failure must be the first bad prefix in it. The string
 * helpers (pct, base64, timeout) and gunzip also run on the stream and on
 * each message body, with round-trip checks where one exists.
 */
#include "platform/wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_GUNZIP_MAX (64 * 1024)
#define FUZZ_MAX_SLICES 8

#define REQUIRE(c)                                                             \
    do {                                                                       \
        if (!(c))                                                              \
            __builtin_trap();                                                  \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The stream as a plain one-shot parse: how many whole messages, how many
 * bytes they span, and the error of the first bad prefix (0 if none). */
typedef struct ref {
    size_t count, consumed;
    int err;
} ref;

static ref reference_parse(const uint8_t *s, size_t len, size_t max)
{
    ref r = {0, 0, 0};

    while (len - r.consumed >= RCI_WIRE_PREFIX_LEN) {
        const uint8_t *p = s + r.consumed;
        size_t body = (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4];

        if (p[0] > 1) {
            r.err = RCI_WIRE_BAD_FLAG;
            break;
        }
        if (body > max) {
            r.err = RCI_WIRE_TOO_LARGE;
            break;
        }
        if (len - r.consumed - RCI_WIRE_PREFIX_LEN < body)
            break;
        r.consumed += RCI_WIRE_PREFIX_LEN + body;
        r.count++;
    }
    return r;
}

/* Percent-decoding never fails, never grows, and re-encoding what it gave
 * decodes back to the same bytes. */
static void fuzz_pct(const uint8_t *s, size_t len)
{
    size_t n = 0, n2 = 0;
    char *dec = rci_wire_pct_decode((const char *)s, len, &n);
    char *enc, *dec2;

    REQUIRE(dec != NULL && n <= len);
    enc = rci_wire_pct_encode(dec, n);
    REQUIRE(enc != NULL);
    for (const char *p = enc; *p; p++)
        REQUIRE(*p >= 0x20 && *p <= 0x7E);
    dec2 = rci_wire_pct_decode(enc, strlen(enc), &n2);
    REQUIRE(dec2 != NULL && n2 == n && memcmp(dec, dec2, n) == 0);
    free(dec);
    free(enc);
    free(dec2);
}

/* Whatever base64 accepts re-encodes (unpadded) and decodes to the same. */
static void fuzz_b64(const uint8_t *s, size_t len)
{
    size_t n = 0, n2 = 0;
    uint8_t *dec = rci_wire_b64_decode((const char *)s, len, &n), *dec2;
    char *enc;

    if (dec == NULL)
        return;
    REQUIRE(n <= len / 4 * 3 + 2);
    enc = rci_wire_b64_encode(dec, n);
    REQUIRE(enc != NULL && strchr(enc, '=') == NULL);
    dec2 = rci_wire_b64_decode(enc, strlen(enc), &n2);
    REQUIRE(dec2 != NULL && n2 == n && memcmp(dec, dec2, n) == 0);
    free(dec);
    free(enc);
    free(dec2);
}

/* A parsed timeout is non-negative and survives format + parse exactly
 * (every value 8 digits can say is exact in some unit). */
static void fuzz_timeout(const uint8_t *s, size_t len)
{
    int64_t us = -1, back = -1;
    char out[16];

    if (rci_wire_parse_timeout((const char *)s, len, &us) != 0)
        return;
    REQUIRE(len >= 2 && len <= 9 && us >= 0);
    rci_wire_format_timeout(us, out);
    REQUIRE(strlen(out) >= 2 && strlen(out) <= 9);
    REQUIRE(rci_wire_parse_timeout(out, strlen(out), &back) == 0 && back == us);
}

/* gunzip stays within max_out; what it yields gzips and gunzips back. */
static void fuzz_gunzip(const uint8_t *s, size_t len, size_t max_out)
{
    uint8_t *out = NULL, *z = NULL, *back = NULL;
    size_t n = 0, zl = 0, bl = 0;
    int r = rci_wire_gunzip(s, len, max_out, &out, &n);

    REQUIRE(r == 0 || r == -1 || r == -2);
    if (r != 0) {
        REQUIRE(out == NULL);
        return;
    }
    REQUIRE(out != NULL && n <= max_out);
    REQUIRE(rci_wire_gzip(out, n, &z, &zl) == 0);
    REQUIRE(rci_wire_gunzip(z, zl, n, &back, &bl) == 0);
    REQUIRE(bl == n && (n == 0 || memcmp(out, back, n) == 0));
    free(out);
    free(z);
    free(back);
}

/* All the slice functions on one slice. */
static void fuzz_slice(const uint8_t *s, size_t len, size_t max_out)
{
    fuzz_pct(s, len);
    fuzz_b64(s, len);
    fuzz_timeout(s, len);
    fuzz_gunzip(s, len, max_out);
}

/* Take every complete message out, checking each against the stream at
 * *cursor, and run the slice functions on the first few bodies. Returns
 * the decoder's last result. */
static rci_wire_result drain(rci_wire_decoder *d, const uint8_t *s, size_t *cursor,
                             size_t *slices)
{
    const uint8_t *msg;
    size_t len;
    int comp;
    rci_wire_result r;

    while ((r = rci_wire_decoder_next(d, &msg, &len, &comp)) == RCI_WIRE_MESSAGE) {
        uint8_t p[RCI_WIRE_PREFIX_LEN];

        REQUIRE(len <= d->max_message && (comp == 0 || comp == 1));
        rci_wire_prefix(p, comp, (uint32_t)len);
        REQUIRE(memcmp(p, s + *cursor, RCI_WIRE_PREFIX_LEN) == 0);
        REQUIRE(len == 0 || memcmp(msg, s + *cursor + RCI_WIRE_PREFIX_LEN, len) == 0);
        *cursor += RCI_WIRE_PREFIX_LEN + len;
        if ((*slices)++ < FUZZ_MAX_SLICES)
            fuzz_slice(msg, len, comp ? FUZZ_GUNZIP_MAX : 1024);
    }
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rci_wire_decoder d;
    const uint8_t *sizes, *s;
    size_t nsizes, len, max, fed = 0, cursor = 0, slices = 0, k = 0;
    rci_wire_result last = RCI_WIRE_NEED_MORE;
    ref want;

    if (size < 3 || size - 3 < data[2])
        return 0;
    max = (size_t)data[0] << 8 | data[1];
    nsizes = data[2];
    sizes = data + 3;
    s = sizes + nsizes;
    len = size - 3 - nsizes;

    rci_wire_decoder_init(&d, max);
    while (fed < len) {
        size_t n = nsizes ? sizes[k++ % nsizes] : len;
        if (n > len - fed || k > len + nsizes)   /* all-zero sizes: finish */
            n = len - fed;
        if (rci_wire_decoder_feed(&d, s + fed, n) != 0)
            REQUIRE(d.failed != 0);   /* no OOM under the fuzzer */
        fed += n;
        last = drain(&d, s, &cursor, &slices);
        if (d.failed) {
            REQUIRE(last == d.failed);
            REQUIRE(rci_wire_decoder_feed(&d, s, len) == -1);   /* sticky */
        }
        REQUIRE(d.len <= d.cap && d.off <= d.len);
    }

    want = reference_parse(s, len, max);
    if (want.err) {
        REQUIRE(d.failed == want.err && last == want.err);
        REQUIRE(cursor <= want.consumed);
        REQUIRE(rci_wire_decoder_pending(&d) == 0);
    } else {
        REQUIRE(d.failed == 0 && last == RCI_WIRE_NEED_MORE);
        REQUIRE(cursor == want.consumed);
        REQUIRE(rci_wire_decoder_pending(&d) == len - want.consumed);
    }
    rci_wire_decoder_free(&d);

    fuzz_slice(s, len, 1024);
    return 0;
}
