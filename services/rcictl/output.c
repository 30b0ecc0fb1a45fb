/* output.c: how rcictl writes results — aligned text tables whose column
 * widths count East Asian wide characters (汉字, fullwidth forms) as two
 * terminal columns, JSON strings, CSV fields, and terminal-safe text.
 *
 * Widths come from our own table of wide ranges rather than wcwidth(), so
 * the table lines up the same under any locale (LANG=C in cron included).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rcictl/rcictl.h"

/* ---- UTF-8 and widths --------------------------------------------------------- */

/* Decode one UTF-8 sequence at s. Returns its length (1..4) and the code
 * point in *cp, or 0 for an invalid or truncated sequence. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

static int in_ranges(uint32_t cp, const uint32_t (*r)[2], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i][0] && cp <= r[i][1])
            return 1;
    return 0;
}

/* East Asian Wide (W) and Fullwidth (F) blocks (Unicode UAX #11), the
 * common emoji blocks included. */
static const uint32_t wide[][2] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
    {0x23F0, 0x23F0},   {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},
    {0x2648, 0x2653},   {0x267F, 0x267F},   {0x2693, 0x2693},   {0x26A1, 0x26A1},
    {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},   {0x26CE, 0x26CE},
    {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},
    {0x26FA, 0x26FA},   {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},
    {0x2728, 0x2728},   {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},
    {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27B0, 0x27B0},   {0x27BF, 0x27BF},
    {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x303E},
    {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
    {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},
    {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4},
    {0x17000, 0x18CFF}, {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF},
    {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F251}, {0x1F300, 0x1F64F},
    {0x1F680, 0x1F6FF}, {0x1F7E0, 0x1F7EB}, {0x1F90C, 0x1F9FF}, {0x1FA70, 0x1FAFF},
    {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

/* Combining marks and other zero-width characters. */
static const uint32_t zero[][2] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A},
    {0x064B, 0x065F}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064},
    {0x20D0, 0x20FF}, {0x302A, 0x302D}, {0x3099, 0x309A}, {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF},
};

static int char_width(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
        return 1;                              /* printed as '?' */
    if (in_ranges(cp, zero, sizeof zero / sizeof zero[0]))
        return 0;
    if (cp >= 0x1100 && in_ranges(cp, wide, sizeof wide / sizeof wide[0]))
        return 2;
    return 1;
}

size_t rcictl_display_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0;
    while (*p) {
        uint32_t cp;
        size_t n = utf8_next(p, &cp);
        if (n == 0) {
            w++;
            p++;
            continue;
        }
        w += (size_t)char_width(cp);
        p += n;
    }
    return w;
}

void rcictl_put_safe(FILE *out, const char *s, int keep_newlines)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        size_t n = utf8_next(p, &cp);
        if (n == 0) {
            fputc('?', out);
            p++;
            continue;
        }
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
            if (keep_newlines && (cp == '\n' || cp == '\t'))
                fputc((int)cp, out);
            else
                fputc('?', out);
        } else {
            fwrite(p, 1, n, out);
        }
        p += n;
    }
}

/* ---- JSON and CSV ------------------------------------------------------------- */

void rcictl_json_string(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    fputc('"', out);
    while (*p) {
        uint32_t cp;
        size_t n = utf8_next(p, &cp);
        if (n == 0) {
            fputs("\\ufffd", out);             /* invalid UTF-8 */
            p++;
            continue;
        }
        switch (cp) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (cp < 0x20 || cp == 0x7F)
                fprintf(out, "\\u%04x", (unsigned)cp);
            else
                fwrite(p, 1, n, out);
        }
        p += n;
    }
    fputc('"', out);
}

void rcictl_json_key(FILE *out, const char *key)
{
    fputs(", ", out);
    rcictl_json_string(out, key);
    fputs(": ", out);
}

void rcictl_json_str(FILE *out, const char *key, const char *v)
{
    rcictl_json_key(out, key);
    rcictl_json_string(out, v);
}

void rcictl_csv_field(FILE *out, const char *s)
{
    s = s ? s : "";
    if (!s[strcspn(s, ",\"\r\n")]) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void rcictl_now_cst(char buf[32])
{
    time_t t = time(NULL) + 8 * 3600;          /* Asia/Shanghai: UTC+8, no DST */
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

/* ---- tables --------------------------------------------------------------------- */

struct rcictl_table {
    size_t ncols;
    const char *const *headers;
    const char *const *keys;
    char **cells;                /* nrows * ncols, owned */
    size_t nrows, cap;
};

rcictl_table *rcictl_table_new(size_t ncols, const char *const *headers, const char *const *keys)
{
    rcictl_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncols = ncols;
    t->headers = headers;
    t->keys = keys;
    return t;
}

int rcictl_table_add(rcictl_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        char **nc = realloc(t->cells, ncap * t->ncols * sizeof *nc);
        if (!nc)
            return -1;
        t->cells = nc;
        t->cap = ncap;
    }
    char **row = t->cells + t->nrows * t->ncols;
    for (size_t j = 0; j < t->ncols; j++) {
        row[j] = strdup(cells[j] ? cells[j] : "");
        if (!row[j]) {
            while (j-- > 0)
                free(row[j]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

static void print_text(const rcictl_table *t, FILE *out)
{
    size_t *width = calloc(t->ncols, sizeof *width);
    if (!width)
        return;
    for (size_t j = 0; j < t->ncols; j++)
        width[j] = rcictl_display_width(t->headers[j]);
    for (size_t i = 0; i < t->nrows; i++)
        for (size_t j = 0; j < t->ncols; j++) {
            size_t w = rcictl_display_width(t->cells[i * t->ncols + j]);
            if (w > width[j])
                width[j] = w;
        }
    for (size_t i = 0; i <= t->nrows; i++) {
        const char *const *row = i == 0 ? t->headers : (const char *const *)t->cells + (i - 1) * t->ncols;
        size_t last = t->ncols;                /* no padding after the last non-empty cell */
        while (last > 1 && !*row[last - 1])
            last--;
        for (size_t j = 0; j < last; j++) {
            rcictl_put_safe(out, row[j], 0);
            if (j + 1 < last)
                fprintf(out, "%*s", (int)(width[j] - rcictl_display_width(row[j]) + 2), "");
        }
        fputc('\n', out);
    }
    free(width);
}

void rcictl_table_print(const rcictl_table *t, rcictl_format format, FILE *out)
{
    if (format == RCICTL_FORMAT_TABLE) {
        print_text(t, out);
    } else if (format == RCICTL_FORMAT_CSV) {
        for (size_t i = 0; i <= t->nrows; i++) {
            for (size_t j = 0; j < t->ncols; j++) {
                if (j)
                    fputc(',', out);
                rcictl_csv_field(out, i == 0 ? t->keys[j] : t->cells[(i - 1) * t->ncols + j]);
            }
            fputc('\n', out);
        }
    } else {
        fputs("[", out);
        for (size_t i = 0; i < t->nrows; i++) {
            fputs(i ? ",\n  {" : "\n  {", out);
            for (size_t j = 0; j < t->ncols; j++) {
                if (j)
                    fputs(", ", out);
                rcictl_json_string(out, t->keys[j]);
                fputs(": ", out);
                rcictl_json_string(out, t->cells[i * t->ncols + j]);
            }
            fputc('}', out);
        }
        fputs(t->nrows ? "\n]\n" : "]\n", out);
    }
}

void rcictl_table_free(rcictl_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}
