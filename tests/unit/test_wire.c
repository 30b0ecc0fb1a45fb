/* test_wire.c: unit tests for platform/wire.c — framing, grpc-timeout,
 * grpc-message percent-encoding, base64 for -bin metadata, gzip, status
 * names. Each group tries the normal case and then every bad case
 * shared/reference/grpc-wire.md §2, §3, §5 and §6 name. */
#include "platform/wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"

#define MIB (1024 * 1024)

/* ---- helpers ---------------------------------------------------------------- */

/* A stream of length-prefixed messages under construction. */
typedef struct stream {
    uint8_t *b;
    size_t len;
} stream;

/* Append one framed message to s (aborts on OOM: test code). */
static void stream_add(stream *s, int compressed, const uint8_t *body, size_t n)
{
    s->b = realloc(s->b, s->len + RCI_WIRE_PREFIX_LEN + n + 1);
    if (s->b == NULL)
        abort();
    rci_wire_prefix(s->b + s->len, compressed, (uint32_t)n);
    if (n > 0)
        memcpy(s->b + s->len + RCI_WIRE_PREFIX_LEN, body, n);
    s->len += RCI_WIRE_PREFIX_LEN + n;
}

/* Fill n bytes with a pattern that depends on seed, so bodies differ. */
static void pattern(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31 + seed * 7 + (i >> 8));
}

/* What a drained message should be. */
typedef struct expect {
    int compressed;
    size_t len;
    unsigned seed;
} expect;

/* Take every complete message out of d, comparing each to want[*got...].
 * Returns 0 if all matched, -1 otherwise. */
static int drain(rci_wire_decoder *d, const expect *want, size_t nwant, size_t *got)
{
    const uint8_t *msg;
    size_t len;
    int comp;
    rci_wire_result r;
    uint8_t tmp[512];

    while ((r = rci_wire_decoder_next(d, &msg, &len, &comp)) == RCI_WIRE_MESSAGE) {
        if (*got >= nwant)
            return -1;
        const expect *e = &want[*got];
        if (comp != e->compressed || len != e->len || len > sizeof tmp)
            return -1;
        pattern(tmp, len, e->seed);
        if (len > 0 && memcmp(msg, tmp, len) != 0)
            return -1;
        (*got)++;
    }
    return r == RCI_WIRE_NEED_MORE ? 0 : -1;
}

/* The stream the split tests use: an empty message, a one-byte one, a
 * compressed 300-byte one and a 4-byte one. */
static const expect split_msgs[] = {{0, 0, 1}, {0, 1, 2}, {1, 300, 3}, {0, 4, 4}};
#define NSPLIT (sizeof split_msgs / sizeof split_msgs[0])

static stream split_stream(void)
{
    stream s = {NULL, 0};
    uint8_t body[512];

    for (size_t i = 0; i < NSPLIT; i++) {
        pattern(body, split_msgs[i].len, split_msgs[i].seed);
        stream_add(&s, split_msgs[i].compressed, body, split_msgs[i].len);
    }
    return s;
}

/* ---- framing ------------------------------------------------------------------ */

static void test_prefix(void)
{
    uint8_t p[RCI_WIRE_PREFIX_LEN];

    rci_wire_prefix(p, 0, 0);
    CHECK(memcmp(p, "\0\0\0\0\0", 5) == 0);
    rci_wire_prefix(p, 1, 0x01020304);
    CHECK(memcmp(p, "\x01\x01\x02\x03\x04", 5) == 0);
    rci_wire_prefix(p, 7, 0xFFFFFFFFu);   /* any nonzero means compressed */
    CHECK(memcmp(p, "\x01\xFF\xFF\xFF\xFF", 5) == 0);
}

static void test_empty_message(void)
{
    rci_wire_decoder d;
    const uint8_t *msg = NULL;
    size_t len = 99;
    int comp = 99;

    rci_wire_decoder_init(&d, 4 * MIB);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_NEED_MORE);
    CHECK(rci_wire_decoder_pending(&d) == 0);
    CHECK(rci_wire_decoder_feed(&d, (const uint8_t *)"\0\0\0\0\0", 5) == 0);
    CHECK(rci_wire_decoder_pending(&d) == 5);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_MESSAGE);
    CHECK(len == 0);
    CHECK(comp == 0);
    CHECK(msg != NULL);
    CHECK(rci_wire_decoder_pending(&d) == 0);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_NEED_MORE);
    CHECK(rci_wire_decoder_feed(&d, NULL, 0) == 0);   /* empty feed is fine */
    rci_wire_decoder_free(&d);
    rci_wire_decoder_free(&d);   /* twice is harmless */
}

/* Two pieces, split at every byte boundary, draining after each piece. */
static void test_split_every_boundary(void)
{
    stream s = split_stream();
    int bad = 0;

    for (size_t cut = 0; cut <= s.len; cut++) {
        rci_wire_decoder d;
        size_t got = 0;

        rci_wire_decoder_init(&d, 300);
        if (rci_wire_decoder_feed(&d, s.b, cut) != 0 ||
            drain(&d, split_msgs, NSPLIT, &got) != 0 ||
            rci_wire_decoder_feed(&d, s.b + cut, s.len - cut) != 0 ||
            drain(&d, split_msgs, NSPLIT, &got) != 0 || got != NSPLIT ||
            rci_wire_decoder_pending(&d) != 0)
            bad++;
        rci_wire_decoder_free(&d);
    }
    CHECK(bad == 0);
    free(s.b);
}

/* Three pieces at every pair of boundaries, without draining in between:
 * all messages must come out at the end. */
static void test_split_every_pair(void)
{
    stream s = split_stream();
    int bad = 0;

    for (size_t i = 0; i <= s.len; i++) {
        for (size_t j = i; j <= s.len; j += 7) {
            rci_wire_decoder d;
            size_t got = 0;

            rci_wire_decoder_init(&d, 300);
            if (rci_wire_decoder_feed(&d, s.b, i) != 0 ||
                rci_wire_decoder_feed(&d, s.b + i, j - i) != 0 ||
                rci_wire_decoder_feed(&d, s.b + j, s.len - j) != 0 ||
                drain(&d, split_msgs, NSPLIT, &got) != 0 || got != NSPLIT ||
                rci_wire_decoder_pending(&d) != 0)
                bad++;
            rci_wire_decoder_free(&d);
        }
    }
    CHECK(bad == 0);
    free(s.b);
}

/* One byte at a time, draining after every byte; pending counts the bytes
 * of the message in progress. */
static void test_byte_at_a_time(void)
{
    stream s = split_stream();
    rci_wire_decoder d;
    size_t got = 0, before = 0;
    int bad = 0;

    rci_wire_decoder_init(&d, 300);
    for (size_t i = 0; i < s.len; i++) {
        before = got;
        if (rci_wire_decoder_feed(&d, s.b + i, 1) != 0 ||
            drain(&d, split_msgs, NSPLIT, &got) != 0)
            bad++;
        if (got > before && rci_wire_decoder_pending(&d) != 0)
            bad++;
    }
    CHECK(bad == 0);
    CHECK(got == NSPLIT);
    CHECK(rci_wire_decoder_pending(&d) == 0);
    rci_wire_decoder_free(&d);
    free(s.b);
}

/* Many messages in one feed, then one feed per message: all come out, and
 * the buffer does not grow with the number of messages. */
static void test_many_messages(void)
{
    enum { N = 2000 };
    expect *want = calloc(N, sizeof *want);
    stream s = {NULL, 0};
    uint8_t body[64];
    rci_wire_decoder d;
    size_t got = 0, maxcap = 0;
    int bad = 0;

    for (size_t i = 0; i < N; i++) {
        want[i].compressed = (int)(i % 3 == 0);
        want[i].len = i % 41;
        want[i].seed = (unsigned)i;
        pattern(body, want[i].len, want[i].seed);
        stream_add(&s, want[i].compressed, body, want[i].len);
    }
    rci_wire_decoder_init(&d, 64);
    CHECK(rci_wire_decoder_feed(&d, s.b, s.len) == 0);
    CHECK(drain(&d, want, N, &got) == 0);
    CHECK(got == N);
    CHECK(rci_wire_decoder_pending(&d) == 0);

    /* Again, feeding 13 bytes at a time with draining: capacity stays small. */
    got = 0;
    for (size_t off = 0; off < s.len; off += 13) {
        size_t n = s.len - off < 13 ? s.len - off : 13;
        if (rci_wire_decoder_feed(&d, s.b + off, n) != 0 || drain(&d, want, N, &got) != 0)
            bad++;
        if (d.cap > maxcap)
            maxcap = d.cap;
    }
    CHECK(bad == 0);
    CHECK(got == N);
    CHECK(maxcap <= 64 * 1024);   /* the one-shot feed above was the peak */
    CHECK(rci_wire_decoder_pending(&d) == 0);
    rci_wire_decoder_free(&d);

    /* Without a big first feed the buffer never outgrows a few messages. */
    rci_wire_decoder_init(&d, 64);
    got = 0;
    maxcap = 0;
    for (size_t off = 0; off < s.len; off += 13) {
        size_t n = s.len - off < 13 ? s.len - off : 13;
        if (rci_wire_decoder_feed(&d, s.b + off, n) != 0 || drain(&d, want, N, &got) != 0)
            bad++;
        if (d.cap > maxcap)
            maxcap = d.cap;
    }
    CHECK(bad == 0);
    CHECK(got == N);
    CHECK(maxcap <= 256);
    rci_wire_decoder_free(&d);
    free(want);
    free(s.b);
}

/* A large message grows the buffer; once it is taken out the memory goes
 * back, so a long-lived stream does not keep its peak. */
static void test_buffer_shrinks(void)
{
    size_t big = 3 * MIB;
    uint8_t *body = malloc(big);
    stream s = {NULL, 0};
    rci_wire_decoder d;
    const uint8_t *msg;
    size_t len, fed;
    int comp;

    pattern(body, big, 9);
    stream_add(&s, 0, body, big);
    stream_add(&s, 0, body, 10);
    rci_wire_decoder_init(&d, 4 * MIB);
    for (fed = 0; fed + 16384 <= big; fed += 16384)
        CHECK(rci_wire_decoder_feed(&d, s.b + fed, 16384) == 0);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_NEED_MORE);
    CHECK(rci_wire_decoder_feed(&d, s.b + fed, s.len - fed - 7) == 0);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_MESSAGE);
    CHECK(len == big && memcmp(msg, body, big) == 0);
    CHECK(d.cap >= big);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_NEED_MORE);
    CHECK(rci_wire_decoder_feed(&d, s.b + s.len - 7, 7) == 0);   /* compacts */
    CHECK(d.cap <= 64 * 1024);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_MESSAGE);
    CHECK(len == 10 && memcmp(msg, body, 10) == 0);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_NEED_MORE);
    CHECK(d.cap <= 64 * 1024);   /* a small buffer is kept for reuse */
    CHECK(rci_wire_decoder_pending(&d) == 0);

    /* The big one alone in one feed: taking it empties a grown buffer,
     * which the next call gives back entirely. */
    CHECK(rci_wire_decoder_feed(&d, s.b, RCI_WIRE_PREFIX_LEN + big) == 0);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_MESSAGE && len == big);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_NEED_MORE);
    CHECK(d.cap == 0 && d.buf == NULL);
    rci_wire_decoder_free(&d);
    free(s.b);
    free(body);
}

/* Declared length exactly max is accepted; max+1 is refused as soon as the
 * prefix is complete, before any body byte, and the failure is sticky. */
static void test_max_message(void)
{
    uint8_t body[17];
    stream ok = {NULL, 0}, over = {NULL, 0};
    rci_wire_decoder d;
    const uint8_t *msg;
    size_t len;
    int comp;

    pattern(body, sizeof body, 5);
    stream_add(&ok, 0, body, 16);
    stream_add(&over, 0, body, 17);

    rci_wire_decoder_init(&d, 16);
    CHECK(rci_wire_decoder_feed(&d, ok.b, ok.len) == 0);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_MESSAGE);
    CHECK(len == 16 && memcmp(msg, body, 16) == 0);
    /* Prefix of the oversized one in two pieces: refused on the second. */
    CHECK(rci_wire_decoder_feed(&d, over.b, 3) == 0);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_NEED_MORE);
    CHECK(rci_wire_decoder_feed(&d, over.b + 3, 2) == -1);
    CHECK(d.failed == RCI_WIRE_TOO_LARGE);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_TOO_LARGE);
    CHECK(rci_wire_decoder_feed(&d, over.b + 5, 17) == -1);   /* sticky */
    CHECK(rci_wire_decoder_feed(&d, ok.b, ok.len) == -1);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_TOO_LARGE);
    CHECK(rci_wire_decoder_pending(&d) == 0);
    rci_wire_decoder_free(&d);

    /* The whole oversized message in one feed: nothing is buffered. */
    rci_wire_decoder_init(&d, 16);
    CHECK(rci_wire_decoder_feed(&d, over.b, over.len) == -1);
    CHECK(d.failed == RCI_WIRE_TOO_LARGE);
    CHECK(d.buf == NULL && d.cap == 0);
    rci_wire_decoder_free(&d);

    /* A good message followed by an oversized prefix in one feed: the
     * failure wins (sticky), the good one is not handed out. */
    rci_wire_decoder_init(&d, 16);
    ok.b = realloc(ok.b, ok.len + over.len);
    memcpy(ok.b + ok.len, over.b, over.len);
    CHECK(rci_wire_decoder_feed(&d, ok.b, ok.len + over.len) == -1);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_TOO_LARGE);
    rci_wire_decoder_free(&d);

    /* max_message 0 accepts only empty messages. */
    rci_wire_decoder_init(&d, 0);
    CHECK(rci_wire_decoder_feed(&d, (const uint8_t *)"\0\0\0\0\0", 5) == 0);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_MESSAGE && len == 0);
    CHECK(rci_wire_decoder_feed(&d, (const uint8_t *)"\0\0\0\0\1", 5) == -1);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_TOO_LARGE);
    rci_wire_decoder_free(&d);
    free(ok.b);
    free(over.b);
}

/* The default 4 MiB limit: a 5 MiB declaration is refused with only the
 * prefix fed, and nothing like its size is allocated. */
static void test_max_message_4mib(void)
{
    uint8_t p[RCI_WIRE_PREFIX_LEN];
    rci_wire_decoder d;
    const uint8_t *msg;
    size_t len;
    int comp;

    rci_wire_decoder_init(&d, 4 * MIB);
    rci_wire_prefix(p, 0, 4 * MIB + 1);
    CHECK(rci_wire_decoder_feed(&d, p, sizeof p) == -1);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_TOO_LARGE);
    CHECK(d.cap == 0);
    rci_wire_decoder_free(&d);

    rci_wire_decoder_init(&d, 4 * MIB);
    rci_wire_prefix(p, 0, 4 * MIB);   /* exactly max: waits for the body */
    CHECK(rci_wire_decoder_feed(&d, p, sizeof p) == 0);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_NEED_MORE);
    CHECK(rci_wire_decoder_pending(&d) == 5);
    CHECK(d.cap < 4096);   /* the declaration alone allocates nothing big */
    rci_wire_decoder_free(&d);

    /* The largest length the prefix can say, under an unlimited max. */
    rci_wire_decoder_init(&d, SIZE_MAX);
    rci_wire_prefix(p, 1, 0xFFFFFFFFu);
    CHECK(rci_wire_decoder_feed(&d, p, sizeof p) == 0);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_NEED_MORE);
    CHECK(d.failed == 0);
    rci_wire_decoder_free(&d);
}

/* Flag byte must be 0 or 1; 1 sets *compressed. */
static void test_flag_byte(void)
{
    static const uint8_t flags[] = {2, 3, 0x80, 0xFF};
    rci_wire_decoder d;
    const uint8_t *msg;
    size_t len;
    int comp = 0;

    rci_wire_decoder_init(&d, 16);
    CHECK(rci_wire_decoder_feed(&d, (const uint8_t *)"\1\0\0\0\1x", 6) == 0);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_MESSAGE);
    CHECK(comp == 1 && len == 1 && msg[0] == 'x');
    rci_wire_decoder_free(&d);

    for (size_t i = 0; i < sizeof flags; i++) {
        uint8_t m[6] = {flags[i], 0, 0, 0, 1, 'x'};

        rci_wire_decoder_init(&d, 16);
        CHECK(rci_wire_decoder_feed(&d, m, 1) == 0);   /* not yet a whole prefix */
        CHECK(rci_wire_decoder_feed(&d, m + 1, 5) == -1);
        CHECK(d.failed == RCI_WIRE_BAD_FLAG);
        CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_BAD_FLAG);
        CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_BAD_FLAG);
        CHECK(rci_wire_decoder_feed(&d, (const uint8_t *)"\0\0\0\0\0", 5) == -1);
        rci_wire_decoder_free(&d);
    }

    /* A bad flag on the second message of a feed also fails the decoder. */
    rci_wire_decoder_init(&d, 16);
    CHECK(rci_wire_decoder_feed(&d, (const uint8_t *)"\0\0\0\0\0\2\0\0\0\0", 10) == -1);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_BAD_FLAG);
    rci_wire_decoder_free(&d);
}

/* Truncated input leaves pending bytes (END_STREAM then means INTERNAL). */
static void test_pending_truncated(void)
{
    rci_wire_decoder d;
    const uint8_t *msg;
    size_t len;
    int comp;

    rci_wire_decoder_init(&d, 100);
    CHECK(rci_wire_decoder_feed(&d, (const uint8_t *)"\0\0", 2) == 0);
    CHECK(rci_wire_decoder_pending(&d) == 2);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_NEED_MORE);
    CHECK(rci_wire_decoder_feed(&d, (const uint8_t *)"\0\0\x0a" "abcd", 7) == 0);
    CHECK(rci_wire_decoder_pending(&d) == 9);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_NEED_MORE);
    CHECK(rci_wire_decoder_pending(&d) == 9);
    CHECK(rci_wire_decoder_feed(&d, (const uint8_t *)"efghij\0", 7) == 0);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_MESSAGE);
    CHECK(len == 10 && memcmp(msg, "abcdefghij", 10) == 0);
    CHECK(rci_wire_decoder_pending(&d) == 1);   /* start of a next prefix */
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_NEED_MORE);
    rci_wire_decoder_free(&d);
}

/* A decoder can be reused after free + init. */
static void test_reinit(void)
{
    rci_wire_decoder d;
    const uint8_t *msg;
    size_t len;
    int comp;

    rci_wire_decoder_init(&d, 4);
    CHECK(rci_wire_decoder_feed(&d, (const uint8_t *)"\0\0\0\0\5", 5) == -1);
    rci_wire_decoder_free(&d);
    rci_wire_decoder_init(&d, 4);
    CHECK(d.failed == 0);
    CHECK(rci_wire_decoder_feed(&d, (const uint8_t *)"\0\0\0\0\4abcd", 9) == 0);
    CHECK(rci_wire_decoder_next(&d, &msg, &len, &comp) == RCI_WIRE_MESSAGE && len == 4);
    rci_wire_decoder_free(&d);
}

/* ---- grpc-timeout ------------------------------------------------------------ */

/* Parse a NUL-terminated value; returns the result or -2 on failure. */
static int64_t timeout_of(const char *s)
{
    int64_t us = -7;

    if (rci_wire_parse_timeout(s, strlen(s), &us) != 0)
        return -2;
    return us;
}

static void test_timeout_units(void)
{
    CHECK(timeout_of("1H") == INT64_C(3600000000));
    CHECK(timeout_of("2M") == INT64_C(120000000));
    CHECK(timeout_of("5S") == 5000000);
    CHECK(timeout_of("5000m") == 5000000);
    CHECK(timeout_of("5000000u") == 5000000);
    CHECK(timeout_of("7u") == 7);
    CHECK(timeout_of("1n") == 1);          /* rounded up */
    CHECK(timeout_of("999n") == 1);
    CHECK(timeout_of("1000n") == 1);
    CHECK(timeout_of("1001n") == 2);
    CHECK(timeout_of("0n") == 0);          /* grpc-go's expired deadline */
    CHECK(timeout_of("0H") == 0);
    CHECK(timeout_of("00000001S") == 1000000);   /* leading zeros count as digits */
}

static void test_timeout_digits(void)
{
    CHECK(timeout_of("12345678u") == 12345678);     /* 8 digits */
    CHECK(timeout_of("123456789u") == -2);          /* 9 digits */
    CHECK(timeout_of("000000001S") == -2);
    CHECK(timeout_of("99999999n") == 100000);
    CHECK(timeout_of("99999999S") == INT64_C(99999999000000));
    /* The largest value the syntax allows: exact, no wrap to negative. */
    CHECK(timeout_of("99999999H") == INT64_C(359999996400000000));
    CHECK(timeout_of("99999999M") == INT64_C(5999999940000000));
    CHECK(timeout_of("9999999999H") == -2);
}

static void test_timeout_malformed(void)
{
    static const char *const bad[] = {
        "", "S", "m", "5", "12345678", "5s", "5h", "5x", "5N", "5U", "5 S", " 5S",
        "5S ", "+5S", "-5S", "0x5S", "5SS", "5.0S", "x5S", "5Sx", "S5", ("\xff" "5S"),
    };
    int64_t us = 0;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int r = rci_wire_parse_timeout(bad[i], strlen(bad[i]), &us);
        if (r != -1)
            fprintf(stderr, "accepted bad timeout \"%s\"\n", bad[i]);
        CHECK(r == -1);
    }
    CHECK(rci_wire_parse_timeout(NULL, 0, &us) == -1);
    CHECK(rci_wire_parse_timeout(NULL, 2, &us) == -1);
    CHECK(rci_wire_parse_timeout("5S", 0, &us) == -1);
    CHECK(rci_wire_parse_timeout("5S", 1, &us) == -1);       /* "5": no unit */
    CHECK(rci_wire_parse_timeout("5S\0", 3, &us) == -1);     /* NUL is junk */
    /* Only len bytes are read: no NUL terminator needed. */
    CHECK(rci_wire_parse_timeout("5S123", 2, &us) == 0 && us == 5000000);
}

static void test_timeout_format(void)
{
    char out[16];

    rci_wire_format_timeout(5000000, out);
    CHECK_STR(out, "5S");
    rci_wire_format_timeout(5500000, out);
    CHECK_STR(out, "5500m");
    rci_wire_format_timeout(1, out);
    CHECK_STR(out, "1u");
    rci_wire_format_timeout(INT64_C(3600000000), out);
    CHECK_STR(out, "1H");
    rci_wire_format_timeout(INT64_C(120000000), out);
    CHECK_STR(out, "2M");
    rci_wire_format_timeout(INT64_C(90000000), out);
    CHECK_STR(out, "90S");
    rci_wire_format_timeout(99999999, out);
    CHECK_STR(out, "99999999u");
    rci_wire_format_timeout(123456789, out);     /* 9 digits in u: ms, rounded up */
    CHECK_STR(out, "123457m");
    rci_wire_format_timeout(0, out);
    CHECK_STR(out, "0n");
    rci_wire_format_timeout(-5, out);
    CHECK_STR(out, "0n");
    rci_wire_format_timeout(INT64_C(359999996400000000), out);
    CHECK_STR(out, "99999999H");
    /* Beyond what grpc-timeout can say: saturate at the largest value. */
    rci_wire_format_timeout(INT64_C(359999996400000001), out);
    CHECK_STR(out, "99999999H");
    rci_wire_format_timeout(INT64_MAX, out);
    CHECK_STR(out, "99999999H");
    CHECK(timeout_of(out) == INT64_C(359999996400000000));
}

/* format then parse gives back the duration when it is representable and
 * never a shorter one otherwise; parse then format is canonical. */
static void test_timeout_round_trip(void)
{
    static const char *const vals[] = {"1n", "5S", "5000m", "1H", "60M", "3600S",
                                       "99999999H", "12345678u", "7m", "0S"};
    uint64_t x = 88172645463325252u;
    int bad_exact = 0, bad_up = 0;
    char out[16];

    for (int i = 0; i < 100000; i++) {
        int64_t v, back;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v = (int64_t)(x >> (1 + i % 40));   /* spread over many magnitudes */
        rci_wire_format_timeout(v, out);
        back = timeout_of(out);
        if (back < v && v <= INT64_C(359999996400000000))
            bad_up++;   /* beyond 99999999H it saturates, tested above */
        if ((v <= 99999999 || v % 1000 == 0) && v <= INT64_C(99999999000) && back != v)
            bad_exact++;
    }
    CHECK(bad_up == 0);
    CHECK(bad_exact == 0);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        int64_t v = timeout_of(vals[i]);
        rci_wire_format_timeout(v, out);
        CHECK(timeout_of(out) == v);
        CHECK(strlen(out) <= 9);
    }
}

/* ---- percent-encoding ------------------------------------------------------- */

static void test_pct_interop_vector(void)
{
    const char *text = "\t\ntest with whitespace\r\nand Unicode BMP \xE2\x98\xBA and non-BMP "
                       "\xF0\x9F\x98\x88\t\n";
    char *enc = rci_wire_pct_encode(text, strlen(text));
    size_t n = 0;
    char *dec;

    CHECK_STR(enc, "%09%0Atest with whitespace%0D%0Aand Unicode BMP %E2%98%BA and "
                   "non-BMP %F0%9F%98%88%09%0A");
    dec = rci_wire_pct_decode(enc, strlen(enc), &n);
    CHECK(n == strlen(text));
    CHECK_STR(dec, text);
    free(enc);
    free(dec);
}

static void test_pct_encode(void)
{
    char *s;
    char all[256];
    size_t n = 0;

    s = rci_wire_pct_encode("", 0);
    CHECK_STR(s, "");
    free(s);
    s = rci_wire_pct_encode("100% sure", 9);
    CHECK_STR(s, "100%25 sure");
    free(s);
    s = rci_wire_pct_encode(" ~\x7f\x1f", 4);   /* edges of 0x20..0x7E */
    CHECK_STR(s, " ~%7F%1F");
    free(s);
    s = rci_wire_pct_encode("a\0b", 3);         /* length, not NUL, ends it */
    CHECK_STR(s, "a%00b");
    free(s);
    s = rci_wire_pct_encode("\xe4\xb8\xad", 3);  /* Chinese text: all escaped */
    CHECK_STR(s, "%E4%B8%AD");
    free(s);

    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    s = rci_wire_pct_encode(all, sizeof all);
    CHECK(s != NULL && strlen(s) == 95 - 1 + 3 * (256 - 94));
    for (const char *p = s; p && *p; p++)
        CHECK(*p >= 0x20 && *p <= 0x7E);
    {
        char *d = rci_wire_pct_decode(s, strlen(s), &n);
        CHECK(n == 256 && memcmp(d, all, 256) == 0);
        free(d);
    }
    free(s);
}

/* Decode NUL-terminated in and compare with want (NUL-terminated). */
static void check_pct_decode(const char *in, const char *want)
{
    size_t n = 12345;
    char *d = rci_wire_pct_decode(in, strlen(in), &n);

    CHECK_STR(d, want);
    CHECK(n == strlen(want));
    free(d);
}

static void test_pct_decode_malformed(void)
{
    size_t n = 1;
    char *d;

    check_pct_decode("%", "%");
    check_pct_decode("%4", "%4");
    check_pct_decode("%zz", "%zz");
    check_pct_decode("%4g", "%4g");
    check_pct_decode("%g4", "%g4");
    check_pct_decode("abc%", "abc%");
    check_pct_decode("%%41", "%A");
    check_pct_decode("%41%", "A%");
    check_pct_decode("%e2%98%ba", "\xe2\x98\xba");   /* lowercase hex accepted */
    check_pct_decode("plain text", "plain text");
    check_pct_decode("%2525", "%25");                 /* one level only */
    check_pct_decode("", "");
    d = rci_wire_pct_decode("%00", 3, &n);
    CHECK(d != NULL && n == 1 && d[0] == '\0');
    free(d);
    d = rci_wire_pct_decode("%41%42", 4, &n);      /* len cuts the second */
    CHECK_STR(d, "A%");
    free(d);
    d = rci_wire_pct_decode("x", 1, NULL);          /* out_len is optional */
    CHECK_STR(d, "x");
    free(d);
}

/* ---- base64 ------------------------------------------------------------------ */

/* RFC 4648 §10 vectors, emitted unpadded, decoded padded and unpadded. */
static void test_b64_rfc4648(void)
{
    static const struct {
        const char *plain, *padded, *raw;
    } v[] = {
        {"", "", ""},
        {"f", "Zg==", "Zg"},
        {"fo", "Zm8=", "Zm8"},
        {"foo", "Zm9v", "Zm9v"},
        {"foob", "Zm9vYg==", "Zm9vYg"},
        {"fooba", "Zm9vYmE=", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
    };

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t pl = strlen(v[i].plain), n = 999;
        char *e = rci_wire_b64_encode((const uint8_t *)v[i].plain, pl);
        uint8_t *d;

        CHECK_STR(e, v[i].raw);
        free(e);
        d = rci_wire_b64_decode(v[i].padded, strlen(v[i].padded), &n);
        CHECK(d != NULL && n == pl && memcmp(d, v[i].plain, pl) == 0);
        free(d);
        n = 999;
        d = rci_wire_b64_decode(v[i].raw, strlen(v[i].raw), &n);
        CHECK(d != NULL && n == pl && memcmp(d, v[i].plain, pl) == 0);
        free(d);
    }
}

static void test_b64_invalid(void)
{
    static const char *const bad[] = {
        "Z",          /* one lone character */
        "Zm9vY",      /* 4k+1 */
        "Zg=",        /* padding without reaching a multiple of 4 */
        "Z===",       /* too much padding */
        "====",
        "=",
        "Zg==Zg==",   /* padding in the middle */
        "Zm=v",
        "Zm9v!",
        "Zm 9v",
        "Zm9v\n",
        " Zm9v",
        "Zm9v,Zm9v",  /* comma-joined values are split by the caller */
        "-_8",        /* URL-safe alphabet is not standard base64 */
        "Zm9\x80",
        "Zm9v\0",
    };
    size_t n;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = strlen(bad[i]);
        uint8_t *d;
        if (i == sizeof bad / sizeof bad[0] - 1)
            len = 5;   /* the embedded NUL */
        d = rci_wire_b64_decode(bad[i], len, &n);
        if (d != NULL)
            fprintf(stderr, "accepted bad base64 \"%s\"\n", bad[i]);
        CHECK(d == NULL);
        free(d);
    }
    /* Only len characters are read. */
    {
        uint8_t *d = rci_wire_b64_decode("Zm9v!!!", 4, &n);
        CHECK(d != NULL && n == 3 && memcmp(d, "foo", 3) == 0);
        free(d);
    }
    /* Unused low bits of the last character are ignored ("Zh" ~ "Zg"). */
    {
        uint8_t *d = rci_wire_b64_decode("Zh", 2, &n);
        CHECK(d != NULL && n == 1 && d[0] == 'f');
        free(d);
    }
}

/* Every length 0..100 of every byte value round-trips. */
static void test_b64_round_trip(void)
{
    uint8_t data[100];
    int bad = 0;

    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(255 - i * 3);
    for (size_t len = 0; len <= sizeof data; len++) {
        char *e = rci_wire_b64_encode(data, len);
        size_t n = 0;
        uint8_t *d = e ? rci_wire_b64_decode(e, strlen(e), &n) : NULL;

        if (e == NULL || strchr(e, '=') != NULL || strlen(e) != (len * 4 + 2) / 3 ||
            d == NULL || n != len || (len && memcmp(d, data, len) != 0))
            bad++;
        free(e);
        free(d);
    }
    CHECK(bad == 0);
    {
        char *e = rci_wire_b64_encode((const uint8_t *)"\xfb\xff", 2);
        CHECK_STR(e, "+/8");
        free(e);
    }
}

/* ---- gzip --------------------------------------------------------------------- */

static void test_gzip_round_trip(void)
{
    static const size_t sizes[] = {0, 1, 100, 65536, 1000003};
    int bad = 0;

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t *in = malloc(sizes[i] + 1), *z = NULL, *out = NULL;
        size_t zl = 0, ol = 0;

        pattern(in, sizes[i], (unsigned)i);
        if (rci_wire_gzip(in, sizes[i], &z, &zl) != 0 || zl < 18 || z[0] != 0x1f ||
            z[1] != 0x8b)
            bad++;
        else if (rci_wire_gunzip(z, zl, sizes[i], &out, &ol) != 0 || out == NULL ||
                 ol != sizes[i] || (ol && memcmp(out, in, ol) != 0))
            bad++;
        free(in);
        free(z);
        free(out);
    }
    CHECK(bad == 0);
}

/* Gzip text into a malloc'd buffer with zlib directly, for the bad cases. */
static uint8_t *gz(const char *text, size_t len, size_t *zl)
{
    uint8_t *z = NULL;

    if (rci_wire_gzip((const uint8_t *)text, len, &z, zl) != 0)
        abort();
    return z;
}

static void test_gunzip_corrupt(void)
{
    const char *text = "the quick brown fox jumps over the lazy dog, twice: "
                       "the quick brown fox jumps over the lazy dog";
    size_t zl, ol;
    uint8_t *z = gz(text, strlen(text), &zl), *out = NULL;
    uint8_t *copy = malloc(zl * 2 + 8);
    uLongf cl = 256;
    uint8_t zlib_fmt[256];

    /* Truncated anywhere. */
    int bad = 0;
    for (size_t cut = 0; cut < zl; cut++) {
        if (rci_wire_gunzip(z, cut, 1024, &out, &ol) != -1)
            bad++;
    }
    CHECK(bad == 0);
    /* A flipped bit in the body or the CRC/size trailer. */
    memcpy(copy, z, zl);
    copy[zl / 2] ^= 0x10;
    CHECK(rci_wire_gunzip(copy, zl, 1024, &out, &ol) == -1);
    memcpy(copy, z, zl);
    copy[zl - 6] ^= 0x01;   /* CRC32 */
    CHECK(rci_wire_gunzip(copy, zl, 1024, &out, &ol) == -1);
    memcpy(copy, z, zl);
    copy[zl - 2] ^= 0x01;   /* ISIZE */
    CHECK(rci_wire_gunzip(copy, zl, 1024, &out, &ol) == -1);
    memcpy(copy, z, zl);
    copy[0] = 0x1e;         /* magic */
    CHECK(rci_wire_gunzip(copy, zl, 1024, &out, &ol) == -1);
    /* Garbage, and zlib (not gzip) framing. */
    CHECK(rci_wire_gunzip((const uint8_t *)"hello, world", 12, 1024, &out, &ol) == -1);
    CHECK(compress(zlib_fmt, &cl, (const Bytef *)text, strlen(text)) == Z_OK);
    CHECK(rci_wire_gunzip(zlib_fmt, cl, 1024, &out, &ol) == -1);
    /* Trailing garbage after a whole member. */
    memcpy(copy, z, zl);
    memcpy(copy + zl, "junk", 4);
    CHECK(rci_wire_gunzip(copy, zl + 4, 1024, &out, &ol) == -1);
    CHECK(out == NULL);   /* never set on failure */
    free(z);
    free(copy);
}

/* Concatenated members decode to the concatenation, like gzip(1). */
static void test_gunzip_members(void)
{
    size_t al, bl, ol = 0;
    uint8_t *a = gz("hello, ", 7, &al), *b = gz("world", 5, &bl), *out = NULL;
    uint8_t *ab = malloc(al + bl);

    memcpy(ab, a, al);
    memcpy(ab + al, b, bl);
    CHECK(rci_wire_gunzip(ab, al + bl, 100, &out, &ol) == 0);
    CHECK(ol == 12 && out && memcmp(out, "hello, world", 12) == 0);
    free(out);
    out = NULL;
    CHECK(rci_wire_gunzip(ab, al + bl, 11, &out, &ol) == -2);   /* limit over both */
    free(a);
    free(b);
    free(ab);
}

/* max_out is inclusive, and a 10 MB bomb stops at 4 MiB with -2. */
static void test_gunzip_limits(void)
{
    size_t zl, ol = 0, big = 10 * 1000 * 1000;
    uint8_t *zeros = calloc(big, 1), *z = NULL, *out = NULL;
    uint8_t *small = NULL;
    size_t sl;

    CHECK(rci_wire_gzip(zeros, big, &z, &zl) == 0);
    CHECK(zl < 20000);   /* it is a bomb: tiny on the wire */
    CHECK(rci_wire_gunzip(z, zl, 4 * MIB, &out, &ol) == -2);
    CHECK(out == NULL);
    CHECK(rci_wire_gunzip(z, zl, big, &out, &ol) == 0);   /* exactly max */
    CHECK(ol == big && out && memcmp(out, zeros, big) == 0);
    free(out);
    out = NULL;
    CHECK(rci_wire_gunzip(z, zl, big - 1, &out, &ol) == -2);
    free(z);

    small = gz("abc", 3, &sl);
    CHECK(rci_wire_gunzip(small, sl, 3, &out, &ol) == 0 && ol == 3);
    free(out);
    out = NULL;
    CHECK(rci_wire_gunzip(small, sl, 2, &out, &ol) == -2);
    CHECK(rci_wire_gunzip(small, sl, 0, &out, &ol) == -2);
    free(small);
    small = gz("", 0, &sl);
    CHECK(rci_wire_gunzip(small, sl, 0, &out, &ol) == 0 && ol == 0 && out != NULL);
    free(out);
    free(small);
    CHECK(rci_wire_gunzip(NULL, 0, 100, &out, &ol) == -1);
    free(zeros);
}

/* ---- status names --------------------------------------------------------------- */

static void test_status_names(void)
{
    static const char *const names[] = {
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
        "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
        "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    };

    for (int i = 0; i <= 16; i++)
        CHECK_STR(rci_status_name(i), names[i]);
    CHECK_STR(rci_status_name(RCI_RESOURCE_EXHAUSTED), "RESOURCE_EXHAUSTED");
    CHECK_STR(rci_status_name(RCI_UNAUTHENTICATED), "UNAUTHENTICATED");
    CHECK_STR(rci_status_name(-1), "UNKNOWN");
    CHECK_STR(rci_status_name(17), "UNKNOWN");
    CHECK_STR(rci_status_name(1 << 30), "UNKNOWN");
    CHECK_STR(rci_status_name(-2147483647 - 1), "UNKNOWN");
}

int main(void)
{
    test_prefix();
    test_empty_message();
    test_split_every_boundary();
    test_split_every_pair();
    test_byte_at_a_time();
    test_many_messages();
    test_buffer_shrinks();
    test_max_message();
    test_max_message_4mib();
    test_flag_byte();
    test_pending_truncated();
    test_reinit();

    test_timeout_units();
    test_timeout_digits();
    test_timeout_malformed();
    test_timeout_format();
    test_timeout_round_trip();

    test_pct_interop_vector();
    test_pct_encode();
    test_pct_decode_malformed();

    test_b64_rfc4648();
    test_b64_invalid();
    test_b64_round_trip();

    test_gzip_round_trip();
    test_gunzip_corrupt();
    test_gunzip_members();
    test_gunzip_limits();

    test_status_names();
    return check_done();
}
