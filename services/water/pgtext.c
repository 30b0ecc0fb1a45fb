/* pgtext.c: text built for PostgreSQL — array literals ("{\"a\",\"b\"}")
 * that carry a batch's columns as one parameter each, and the JSON of an
 * alert's detail — in a growing buffer that remembers running out of
 * memory instead of failing every append (water_internal.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "water/water_internal.h"

void rci_water_buf_raw(rci_water_buf *b, const char *s, size_t len)
{
    if (b->err)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->err = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

/* Appends one quoted element to an array literal being built ("{" first). */
void rci_water_buf_elem(rci_water_buf *b, const char *s)
{
    rci_water_buf_raw(b, b->count++ ? ",\"" : "{\"", 2);
    for (const char *c = s; *c; c++) {
        if (*c == '"' || *c == '\\')
            rci_water_buf_raw(b, "\\", 1);
        rci_water_buf_raw(b, c, 1);
    }
    rci_water_buf_raw(b, "\"", 1);
}

void rci_water_buf_elemf(rci_water_buf *b, const char *fmt, ...)
{
    char buf[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    rci_water_buf_elem(b, buf);
}

/* Closes the literal and hands its buffer over (NULL when out of memory). */
char *rci_water_buf_array(rci_water_buf *b)
{
    if (b->count == 0)
        rci_water_buf_raw(b, "{", 1);
    rci_water_buf_raw(b, "}", 1);
    if (b->err) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

/* A JSON string (quoted, escaped) appended to b. */
void rci_water_buf_json(rci_water_buf *b, const char *s)
{
    rci_water_buf_raw(b, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        char esc[8];
        if (*c == '"' || *c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*c;
            rci_water_buf_raw(b, esc, 2);
        } else if (*c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *c);
            rci_water_buf_raw(b, esc, 6);
        } else {
            rci_water_buf_raw(b, (const char *)c, 1);
        }
    }
    rci_water_buf_raw(b, "\"", 1);
}

void rci_water_buf_printf(rci_water_buf *b, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        rci_water_buf_raw(b, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}
