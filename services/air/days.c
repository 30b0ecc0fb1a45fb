/* days.c: columns, units and samples of a day of air data (days.h). */
#include "air/days.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The daily report's items (HJ 633-2012 §5.1.2; HJ 633-2026 §4.2.2, where
 * the O3 1-hour maximum is kept as data but is no longer an indicator). */
const air_col air_cols[AIR_COLS] = {
    {"so2_24h", "so2", RCI_AIR_SO2_24H, 0},
    {"no2_24h", "no2", RCI_AIR_NO2_24H, 0},
    {"pm10_24h", "pm10", RCI_AIR_PM10_24H, 0},
    {"co_24h", "co", RCI_AIR_CO_24H, 1},
    {"o3_1h_max", "o3_1h", RCI_AIR_O3_1H, 0},
    {"o3_8h_max", "o3_8h", RCI_AIR_O3_8H, 0},
    {"pm25_24h", "pm25", RCI_AIR_PM25_24H, 0},
};

int air_col_of_pollutant(const char *name)
{
    for (int c = 0; c < AIR_COLS; c++)
        if (name && strcmp(name, air_cols[c].pollutant) == 0)
            return c;
    return -1;
}

int air_unit_ok(int col, const char *unit)
{
    if (col < 0 || col >= AIR_COLS || !unit)
        return 0;
    const char *p = unit;
    if (air_cols[col].mg) {
        if (strncmp(p, "mg", 2) != 0)
            return 0;
        p += 2;
    } else if (strncmp(p, "\xC2\xB5g", 3) == 0 || strncmp(p, "\xCE\xBCg", 3) == 0) {
        p += 3; /* µ (U+00B5) or μ (U+03BC) */
    } else if (strncmp(p, "ug", 2) == 0) {
        p += 2;
    } else {
        return 0;
    }
    if (strncmp(p, "/m", 2) != 0)
        return 0;
    p += 2;
    return strcmp(p, "3") == 0 || strcmp(p, "\xC2\xB3") == 0; /* 3 or ³ */
}

int air_sample_from_texts(const char *const text[AIR_COLS], rci_air_sample *s, char *why,
                          size_t whylen)
{
    memset(s, 0, sizeof *s);
    for (int c = 0; c < AIR_COLS; c++) {
        if (!text[c] || !text[c][0])
            continue;
        rci_air_conc v;
        char reason[160];
        if (rci_air_conc_parse(text[c], &v, reason, sizeof reason) != 0) {
            if (why && whylen)
                snprintf(why, whylen, "%s: %s", air_cols[c].pollutant, reason);
            return -1;
        }
        rci_air_sample_set(s, air_cols[c].item, v);
    }
    return 0;
}

int air_day_aqi(int year, int month, int day, const rci_air_sample *s, rci_aqi_result *out)
{
    rci_aqi_edition ed = rci_aqi_edition_of(year, month, day);
    return rci_aqi_compute(ed, RCI_AQI_DAILY, s, out, NULL, 0);
}

/* ---- buffer ---------------------------------------------------------------- */

static void buf_add_n(air_buf *b, const char *p, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void air_buf_add(air_buf *b, const char *text)
{
    buf_add_n(b, text, strlen(text));
}

void air_buf_printf(air_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        buf_add_n(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf_add_n(b, big, (size_t)n);
    free(big);
}

/* Text from the request is valid UTF-8 (protobuf-c checks string fields),
 * so only quotes, backslashes and control characters need escaping. */
void air_buf_json(air_buf *b, const char *text)
{
    buf_add_n(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            buf_add_n(b, e, 2);
        } else if (*p < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", *p);
            buf_add_n(b, e, 6);
        } else {
            buf_add_n(b, (const char *)p, 1);
        }
    }
    buf_add_n(b, "\"", 1);
}

char *air_buf_take(air_buf *b)
{
    if (b->failed || !b->s) {
        if (!b->failed)
            buf_add_n(b, "", 0);
        if (b->failed) {
            air_buf_free(b);
            return NULL;
        }
    }
    char *s = b->s;
    memset(b, 0, sizeof *b);
    return s;
}

void air_buf_free(air_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}
