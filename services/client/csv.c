/* csv.c: the CSV reader for pushed files (see csv.h). Pure code: no I/O.
 *
 * Three steps. First the bytes become UTF-8 text: kept as they are when
 * they are UTF-8, converted by glibc's iconv when they are GB18030. Then a
 * single pass over the text splits rows and fields into a builder: one
 * growing byte arena for the fields' bytes (each followed by a NUL) and the
 * rows' messages, and arrays of offsets for fields and rows. Last, one
 * block is allocated for the result, and the arrays become the rows' and
 * fields' pointers into the arena copied behind them; so the caller frees
 * everything with one call.
 */
#include "client/csv.h"

#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- encodings ------------------------------------------------------------ */

const char *rci_csv_encoding_name(rci_csv_encoding e)
{
    switch (e) {
    case RCI_CSV_UTF8:
        return "utf-8";
    case RCI_CSV_GB18030:
        return "gb18030";
    default:
        return "auto";
    }
}

/* ASCII-only case-insensitive equality of s[0..n) and the NUL-terminated
 * lower-case word w (locale-independent, unlike strcasecmp). */
static int ascii_ieq(const char *s, size_t n, const char *w)
{
    size_t i = 0;
    for (; i < n && w[i]; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != w[i])
            return 0;
    }
    return i == n && w[i] == '\0';
}

int rci_csv_encoding_from_name(const char *name, rci_csv_encoding *out)
{
    static const struct {
        const char *name;
        rci_csv_encoding e;
    } names[] = {{"auto", RCI_CSV_AUTO},       {"utf-8", RCI_CSV_UTF8},
                 {"utf8", RCI_CSV_UTF8},       {"gb18030", RCI_CSV_GB18030},
                 {"gbk", RCI_CSV_GB18030},     {"gb2312", RCI_CSV_GB18030},
                 {"cp936", RCI_CSV_GB18030}};
    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (ascii_ieq(name, strlen(name), names[i].name)) {
            *out = names[i].e;
            return 0;
        }
    return -1;
}

/* The length of the longest valid UTF-8 prefix of s (len if all of it is):
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_valid_prefix(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (len - i <= n)
            return i;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return len;
}

/* The physical line (1-based) of byte off of s: one more than the line
 * breaks before it, where CRLF, LF and a lone CR each count once. */
static size_t line_at(const unsigned char *s, size_t len, size_t off)
{
    size_t line = 1;
    for (size_t i = 0; i < off && i < len; i++)
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n')))
            line++;
    return line;
}

/* Convert GB18030 to UTF-8 into a new buffer (*out, freed by the caller).
 * what names the encoding(s) tried, for the message. */
static int gb18030_to_utf8(const unsigned char *in, size_t len, const char *what, char **out,
                           size_t *outlen, char *why, size_t whylen)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1)
        return fail(why, whylen, "cannot convert from GB18030: %s (glibc's gconv modules missing?)",
                    strerror(errno));
    if (len > (SIZE_MAX - 64) / 2) {
        iconv_close(cd);
        return fail(why, whylen, "file too large");
    }
    /* 2-byte GBK characters become 3 UTF-8 bytes; 4-byte ones stay 4. */
    size_t cap = len + len / 2 + 16;
    char *buf = malloc(cap);
    if (!buf) {
        iconv_close(cd);
        return fail(why, whylen, "out of memory");
    }
    char *ip = (char *)in, *op = buf;
    size_t il = len, ol = cap;
    while (il > 0) {
        if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1)
            break;
        if (errno == E2BIG) { /* not expected with the room above; grow anyway */
            size_t used = (size_t)(op - buf);
            char *nb = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                iconv_close(cd);
                return fail(why, whylen, "out of memory");
            }
            buf = nb;
            cap *= 2;
            op = buf + used;
            ol = cap - used;
            continue;
        }
        int err = errno;
        size_t off = (size_t)(ip - (char *)in);
        free(buf);
        iconv_close(cd);
        if (err == EINVAL)
            return fail(why, whylen, "line %zu: the file ends in the middle of a %s character",
                        line_at(in, len, off), what);
        return fail(why, whylen, "line %zu: not valid %s (byte 0x%02X)", line_at(in, len, off),
                    what, in[off]);
    }
    iconv_close(cd);
    *out = buf;
    *outlen = (size_t)(op - buf);
    return 0;
}

/* Turn the input into UTF-8 text: *text points into data or, when
 * converted, to *owned (freed by the caller). */
static int to_utf8(const unsigned char *data, size_t len, rci_csv_encoding enc, rci_csv *res,
                   const char **text, size_t *tlen, char **owned, char *why, size_t whylen)
{
    static const unsigned char utf8_bom[] = {0xEF, 0xBB, 0xBF};
    *owned = NULL;
    if (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0)
        return fail(why, whylen, "this is an Excel workbook (.xlsx), not CSV: save it as CSV first");
    if (len >= 4 && memcmp(data, "\xD0\xCF\x11\xE0", 4) == 0)
        return fail(why, whylen,
                    "this is an Excel 97-2003 workbook (.xls), not CSV: save it as CSV first");
    if (len >= 2 && ((data[0] == 0xFF && data[1] == 0xFE) || (data[0] == 0xFE && data[1] == 0xFF)))
        return fail(why, whylen,
                    "the file is UTF-16 (Excel's \"Unicode Text\"): save it as \"CSV UTF-8\" "
                    "instead");

    int has_utf8_bom = len >= 3 && memcmp(data, utf8_bom, 3) == 0;
    const char *what = enc == RCI_CSV_AUTO ? "UTF-8 or GB18030" : "GB18030";
    if (enc == RCI_CSV_AUTO) {
        if (has_utf8_bom || utf8_valid_prefix(data, len) == len)
            enc = RCI_CSV_UTF8;
        else
            enc = RCI_CSV_GB18030;
    }
    res->encoding = enc;
    if (enc == RCI_CSV_UTF8) {
        size_t skip = has_utf8_bom ? 3 : 0;
        size_t ok = utf8_valid_prefix(data + skip, len - skip);
        if (ok != len - skip)
            return fail(why, whylen, "line %zu: not valid UTF-8 (byte 0x%02X)%s",
                        line_at(data, len, skip + ok), data[skip + ok],
                        has_utf8_bom ? "" : "; if the file is GBK, read it as GB18030");
        res->bom = has_utf8_bom;
        *text = (const char *)data + skip;
        *tlen = len - skip;
        return 0;
    }
    /* GB18030, detected (then UTF-8 failed first) or forced */
    char *buf = NULL;
    size_t blen = 0;
    if (gb18030_to_utf8(data, len, what, &buf, &blen, why, whylen))
        return -1;
    size_t skip = 0;
    if (blen >= 3 && memcmp(buf, utf8_bom, 3) == 0) { /* GB18030's mark 84 31 95 33 */
        skip = 3;
        res->bom = 1;
    }
    size_t ok = utf8_valid_prefix((unsigned char *)buf + skip, blen - skip);
    if (ok != blen - skip) { /* iconv should never give this */
        fail(why, whylen, "line %zu: GB18030 conversion gave invalid UTF-8",
             line_at((unsigned char *)buf, blen, skip + ok));
        free(buf);
        return -1;
    }
    *owned = buf;
    *text = buf + skip;
    *tlen = blen - skip;
    return 0;
}

/* ---- the builder ------------------------------------------------------------ */

typedef struct fref {
    size_t off, len; /* in the arena */
} fref;

typedef struct rref {
    size_t line, first, n; /* first field's index, field count */
    size_t err;            /* arena offset of the message + 1, or 0 */
} rref;

typedef struct builder {
    char *arena;
    size_t alen, acap;
    fref *f;
    size_t nf, fcap;
    rref *r;
    size_t nr, rcap;
    size_t max_field, max_row, max_fields;
    /* the row being read */
    size_t row_bytes;
    char rerr[192]; /* its first error, "" if none */
    /* the field being read */
    size_t field_off;
    char *why;
    size_t whylen;
} builder;

/* Make room for n more elements of size sz in *p (capacity *cap, count
 * used). Returns 0 or -1 (out of memory). */
static int grow(void **p, size_t *cap, size_t used, size_t n, size_t sz)
{
    if (used + n <= *cap)
        return 0;
    size_t want = *cap ? *cap : 64;
    while (want < used + n) {
        if (want > SIZE_MAX / 2 / sz)
            return -1;
        want *= 2;
    }
    void *np = realloc(*p, want * sz);
    if (!np)
        return -1;
    *p = np;
    *cap = want;
    return 0;
}

static int arena_put(builder *b, const char *s, size_t n)
{
    if (grow((void **)&b->arena, &b->acap, b->alen, n, 1))
        return fail(b->why, b->whylen, "out of memory");
    memcpy(b->arena + b->alen, s, n);
    b->alen += n;
    return 0;
}

/* Append n bytes to the field being read, within the limits. */
static int field_put(builder *b, const char *s, size_t n, size_t line)
{
    if (n == 0)
        return 0;
    if (b->alen - b->field_off + n > b->max_field)
        return fail(b->why, b->whylen, "line %zu: a field is longer than %zu bytes", line,
                    b->max_field);
    if (b->row_bytes + n > b->max_row)
        return fail(b->why, b->whylen, "line %zu: a row is longer than %zu bytes", line,
                    b->max_row);
    b->row_bytes += n;
    return arena_put(b, s, n);
}

static void row_error(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void row_error(builder *b, const char *fmt, ...)
{
    if (b->rerr[0])
        return; /* the first one is what the agency fixes first */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->rerr, sizeof b->rerr, fmt, ap);
    va_end(ap);
}

static int row_begin(builder *b, size_t line)
{
    if (grow((void **)&b->r, &b->rcap, b->nr, 1, sizeof *b->r))
        return fail(b->why, b->whylen, "out of memory");
    rref *r = &b->r[b->nr++];
    r->line = line;
    r->first = b->nf;
    r->n = 0;
    r->err = 0;
    b->row_bytes = 0;
    b->rerr[0] = '\0';
    return 0;
}

static int row_end(builder *b)
{
    rref *r = &b->r[b->nr - 1];
    if (b->rerr[0]) {
        r->err = b->alen + 1;
        if (arena_put(b, b->rerr, strlen(b->rerr) + 1))
            return -1;
    }
    return 0;
}

static int field_begin(builder *b, size_t line)
{
    if (b->r[b->nr - 1].n >= b->max_fields)
        return fail(b->why, b->whylen, "line %zu: a row has more than %zu fields", line,
                    b->max_fields);
    b->field_off = b->alen;
    return 0;
}

static int field_end(builder *b)
{
    if (grow((void **)&b->f, &b->fcap, b->nf, 1, sizeof *b->f))
        return fail(b->why, b->whylen, "out of memory");
    b->f[b->nf].off = b->field_off;
    b->f[b->nf].len = b->alen - b->field_off;
    b->nf++;
    b->r[b->nr - 1].n++;
    return arena_put(b, "", 1); /* the NUL */
}

/* Line breaks in s[0..n), as line_at counts them; next is the byte after
 * s[n-1] (-1 at the end of the text), for a CR just before an LF. */
static size_t breaks_in(const char *s, size_t n, int next)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 < n ? s[i + 1] != '\n' : next != '\n')))
            k++;
    return k;
}

/* Split text into rows and fields. */
static int parse_text(builder *b, const char *t, size_t n)
{
    size_t pos = 0, line = 1;
    while (pos < n) {
        if (t[pos] == '\n' || t[pos] == '\r') { /* an empty line */
            pos += t[pos] == '\r' && pos + 1 < n && t[pos + 1] == '\n' ? 2 : 1;
            line++;
            continue;
        }
        if (row_begin(b, line))
            return -1;
        for (;;) { /* one field */
            size_t fieldno = b->r[b->nr - 1].n + 1;
            if (field_begin(b, line))
                return -1;
            int tail = 1; /* read unquoted bytes after (or instead of) a quoted part */
            if (pos < n && t[pos] == '"') {
                size_t opened = line;
                pos++;
                for (;;) {
                    const char *q = memchr(t + pos, '"', n - pos);
                    size_t chunk = q ? (size_t)(q - (t + pos)) : n - pos;
                    size_t start_line = line;
                    line += breaks_in(t + pos, chunk, q ? '"' : -1);
                    if (field_put(b, t + pos, chunk, start_line))
                        return -1;
                    pos += chunk;
                    if (!q) {
                        row_error(b, "field %zu: the quote opened on line %zu is never closed",
                                  fieldno, opened);
                        tail = 0;
                        break;
                    }
                    if (pos + 1 < n && t[pos + 1] == '"') { /* "" */
                        if (field_put(b, "\"", 1, line))
                            return -1;
                        pos += 2;
                        continue;
                    }
                    pos++; /* the closing quote */
                    if (pos < n && t[pos] != ',' && t[pos] != '\r' && t[pos] != '\n')
                        row_error(b,
                                  "field %zu: text after the closing quote (a quote inside a "
                                  "quoted field is written twice: \"\")",
                                  fieldno);
                    break;
                }
            }
            if (tail) {
                size_t start = pos;
                while (pos < n && t[pos] != ',' && t[pos] != '\r' && t[pos] != '\n') {
                    if (t[pos] == '"')
                        row_error(b,
                                  "field %zu: a quote inside an unquoted field (quote the whole "
                                  "field and write the quote twice)",
                                  fieldno);
                    pos++;
                }
                if (field_put(b, t + start, pos - start, line))
                    return -1;
            }
            if (field_end(b))
                return -1;
            if (pos < n && t[pos] == ',') {
                pos++;
                continue;
            }
            if (pos < n) { /* the line break that ends the row */
                pos += t[pos] == '\r' && pos + 1 < n && t[pos + 1] == '\n' ? 2 : 1;
                line++;
            }
            break;
        }
        if (row_end(b))
            return -1;
    }
    return 0;
}

/* Mark rows whose field count is not the expected one. */
static int check_widths(builder *b, size_t expect)
{
    int from_header = expect == 0;
    if (b->nr == 0)
        return 0;
    if (from_header)
        expect = b->r[0].n;
    for (size_t i = from_header ? 1 : 0; i < b->nr; i++) {
        rref *r = &b->r[i];
        if (r->err || r->n == expect)
            continue;
        char msg[128];
        if (from_header)
            snprintf(msg, sizeof msg, "%zu field%s, but the header has %zu", r->n,
                     r->n == 1 ? "" : "s", expect);
        else
            snprintf(msg, sizeof msg, "%zu field%s, expected %zu", r->n, r->n == 1 ? "" : "s",
                     expect);
        r->err = b->alen + 1;
        if (arena_put(b, msg, strlen(msg) + 1))
            return -1;
    }
    return 0;
}

/* One allocation: the result, rows, field pointers, lengths, arena. */
static rci_csv *build_result(builder *b, const rci_csv *head)
{
    size_t rows_sz = b->nr * sizeof(rci_csv_row), ptr_sz = b->nf * sizeof(char *),
           len_sz = b->nf * sizeof(size_t);
    size_t total = sizeof(rci_csv) + rows_sz + ptr_sz + len_sz + b->alen;
    char *mem = malloc(total ? total : 1);
    if (!mem)
        return NULL;
    rci_csv *res = (rci_csv *)mem;
    *res = *head;
    res->rows = (rci_csv_row *)(mem + sizeof(rci_csv));
    char **ptrs = (char **)(mem + sizeof(rci_csv) + rows_sz);
    size_t *lens = (size_t *)(mem + sizeof(rci_csv) + rows_sz + ptr_sz);
    char *text = mem + sizeof(rci_csv) + rows_sz + ptr_sz + len_sz;
    if (b->alen)
        memcpy(text, b->arena, b->alen);
    for (size_t i = 0; i < b->nf; i++) {
        ptrs[i] = text + b->f[i].off;
        lens[i] = b->f[i].len;
    }
    res->nrows = b->nr;
    res->nbad = 0;
    for (size_t i = 0; i < b->nr; i++) {
        rci_csv_row *row = &res->rows[i];
        row->line = b->r[i].line;
        row->nfields = b->r[i].n;
        row->fields = ptrs + b->r[i].first;
        row->lens = lens + b->r[i].first;
        row->error = b->r[i].err ? text + b->r[i].err - 1 : NULL;
        res->nbad += row->error != NULL;
    }
    if (b->nr == 0)
        res->rows = NULL;
    return res;
}

int rci_csv_parse(const void *data, size_t len, const rci_csv_options *opt, rci_csv **out,
                  char *why, size_t whylen)
{
    static const rci_csv_options defaults = {RCI_CSV_AUTO, 0, 0, 0, 0};
    if (why && whylen)
        why[0] = '\0';
    *out = NULL;
    if (!opt)
        opt = &defaults;
    if (opt->encoding != RCI_CSV_AUTO && opt->encoding != RCI_CSV_UTF8 &&
        opt->encoding != RCI_CSV_GB18030)
        return fail(why, whylen, "unknown encoding");
    if (!data)
        len = 0;

    rci_csv head = {RCI_CSV_UTF8, 0, 0, NULL, 0};
    const char *text = "";
    size_t tlen = 0;
    char *owned = NULL;
    if (len && to_utf8(data, len, opt->encoding, &head, &text, &tlen, &owned, why, whylen))
        return -1;
    if (!len)
        head.encoding = opt->encoding == RCI_CSV_GB18030 ? RCI_CSV_GB18030 : RCI_CSV_UTF8;
    const char *nul = memchr(text, '\0', tlen);
    if (nul) {
        int r = fail(why, whylen, "line %zu: a NUL byte: this is not a text file",
                     line_at((const unsigned char *)text, tlen, (size_t)(nul - text)));
        free(owned);
        return r;
    }

    builder b;
    memset(&b, 0, sizeof b);
    b.max_field = opt->max_field ? opt->max_field : RCI_CSV_MAX_FIELD;
    b.max_row = opt->max_row ? opt->max_row : RCI_CSV_MAX_ROW;
    b.max_fields = opt->max_fields ? opt->max_fields : RCI_CSV_MAX_FIELDS;
    b.why = why;
    b.whylen = whylen;
    int rc = parse_text(&b, text, tlen);
    if (rc == 0)
        rc = check_widths(&b, opt->expect_fields);
    if (rc == 0) {
        *out = build_result(&b, &head);
        if (!*out)
            rc = fail(why, whylen, "out of memory");
    }
    free(b.arena);
    free(b.f);
    free(b.r);
    free(owned);
    return rc;
}

void rci_csv_free(rci_csv *csv)
{
    free(csv);
}

int rci_csv_row_blank(const rci_csv_row *row)
{
    for (size_t i = 0; i < row->nfields; i++)
        for (size_t k = 0; k < row->lens[i]; k++)
            if (row->fields[i][k] != ' ' && row->fields[i][k] != '\t')
                return 0;
    return 1;
}

size_t rci_csv_format_row(const char *const *fields, const size_t *lens, size_t n, char *out)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = fields[i];
        size_t len = lens[i];
        int quote = (n == 1 && len == 0) ||
                    (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0);
        for (size_t k = 0; k < len && !quote; k++)
            quote = s[k] == ',' || s[k] == '"' || s[k] == '\r' || s[k] == '\n';
        if (i > 0) {
            if (out)
                out[w] = ',';
            w++;
        }
        if (quote) {
            if (out)
                out[w] = '"';
            w++;
        }
        for (size_t k = 0; k < len; k++) {
            if (quote && s[k] == '"') {
                if (out)
                    out[w] = '"';
                w++;
            }
            if (out)
                out[w] = s[k];
            w++;
        }
        if (quote) {
            if (out)
                out[w] = '"';
            w++;
        }
    }
    return w;
}

/* ---- the push file's header ------------------------------------------------ */

static const struct {
    const char *name; /* lower case */
    rci_csv_col col;
} header_names[] = {
    {"indicator", RCI_CSV_COL_INDICATOR}, {"indicator_code", RCI_CSV_COL_INDICATOR},
    {"indicator code", RCI_CSV_COL_INDICATOR}, {"指标", RCI_CSV_COL_INDICATOR},
    {"指标代码", RCI_CSV_COL_INDICATOR}, {"指标编码", RCI_CSV_COL_INDICATOR},
    {"region", RCI_CSV_COL_REGION}, {"region_code", RCI_CSV_COL_REGION},
    {"region code", RCI_CSV_COL_REGION}, {"city", RCI_CSV_COL_REGION},
    {"地区", RCI_CSV_COL_REGION}, {"城市", RCI_CSV_COL_REGION},
    {"地区代码", RCI_CSV_COL_REGION}, {"城市代码", RCI_CSV_COL_REGION},
    {"period", RCI_CSV_COL_PERIOD}, {"期间", RCI_CSV_COL_PERIOD},
    {"时期", RCI_CSV_COL_PERIOD}, {"报告期", RCI_CSV_COL_PERIOD},
    {"value", RCI_CSV_COL_VALUE}, {"数值", RCI_CSV_COL_VALUE},
    {"值", RCI_CSV_COL_VALUE},
    {"note", RCI_CSV_COL_NOTE}, {"notes", RCI_CSV_COL_NOTE},
    {"remark", RCI_CSV_COL_NOTE}, {"remarks", RCI_CSV_COL_NOTE},
    {"comment", RCI_CSV_COL_NOTE}, {"备注", RCI_CSV_COL_NOTE},
    {"说明", RCI_CSV_COL_NOTE},
};

static const char *const col_names[RCI_CSV_NCOLS] = {"indicator", "region", "period", "value",
                                                     "note"};
static const char *const col_hints[RCI_CSV_NCOLS] = {
    "indicator or 指标", "region, city, 地区 or 城市", "period, 期间 or 时期", "value, 数值 or 值",
    "note or 备注"};

/* Length of a space at the start of s[0..n): ASCII space or tab, U+3000 or
 * U+FEFF; 0 if none. */
static size_t space_at(const char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || s[0] == '\t'))
        return 1;
    if (n >= 3 && (memcmp(s, "\xE3\x80\x80", 3) == 0 || memcmp(s, "\xEF\xBB\xBF", 3) == 0))
        return 3;
    return 0;
}

/* Length of a space at the end of s[0..n), as space_at. */
static size_t space_before(const char *s, size_t n)
{
    if (n >= 1 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        return 1;
    if (n >= 3 &&
        (memcmp(s + n - 3, "\xE3\x80\x80", 3) == 0 || memcmp(s + n - 3, "\xEF\xBB\xBF", 3) == 0))
        return 3;
    return 0;
}

int rci_csv_header_column(const char *name)
{
    if (!name)
        return -1;
    size_t n = strlen(name), k;
    while ((k = space_at(name, n)) > 0) {
        name += k;
        n -= k;
    }
    while ((k = space_before(name, n)) > 0)
        n -= k;
    for (size_t i = 0; i < sizeof header_names / sizeof header_names[0]; i++)
        if (ascii_ieq(name, n, header_names[i].name))
            return (int)header_names[i].col;
    return -1;
}

int rci_csv_map_header(const rci_csv_row *header, int cols[RCI_CSV_NCOLS], char *why,
                       size_t whylen)
{
    if (why && whylen)
        why[0] = '\0';
    for (int c = 0; c < RCI_CSV_NCOLS; c++)
        cols[c] = -1;
    if (!header)
        return fail(why, whylen, "the file is empty: it needs a header row");
    for (size_t i = 0; i < header->nfields; i++) {
        int c = rci_csv_header_column(header->fields[i]);
        if (c < 0)
            continue;
        if (cols[c] >= 0)
            return fail(why, whylen, "columns %d (\"%.40s\") and %zu (\"%.40s\") both mean %s",
                        cols[c] + 1, header->fields[cols[c]], i + 1, header->fields[i],
                        col_names[c]);
        cols[c] = (int)i;
    }
    for (int c = 0; c < RCI_CSV_NCOLS; c++)
        if (cols[c] < 0 && c != RCI_CSV_COL_NOTE)
            return fail(why, whylen, "the header has no %s column (name it %s)", col_names[c],
                        col_hints[c]);
    return 0;
}
