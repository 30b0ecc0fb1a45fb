/* violations.c: failing rows and the error built from them (violations.h). */
#include "platform/violations.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/any.pb-c.h"
#include "google/rpc/error_details.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "rci/v1/indicators.pb-c.h"

#define VIOLATIONS_MESSAGE_MAX 1000   /* the platform caps grpc-message at 1 KiB anyway */
/* Bytes of BadRequest in the details: base64 makes 2.5 KiB into ~3.4 KiB,
 * and with a grpc-message of up to ~3 KiB once percent-encoded (Chinese
 * text triples) the trailers stay under the 8 KiB clients accept. */
#define VIOLATIONS_DETAILS_BYTES 2500
#define VIOLATION_TEXT_MAX 160

int rci_violations_add(rci_violations *vs, int row, const char *field, const char *fmt, ...)
{
    if (vs->n == vs->cap) {
        size_t cap = vs->cap ? vs->cap * 2 : 16;
        rci_violation *items = realloc(vs->items, cap * sizeof *items);
        if (!items)
            return -1;
        vs->items = items;
        vs->cap = cap;
    }
    rci_violation *v = &vs->items[vs->n];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    v->description = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (!v->description)
        return -1;
    va_start(ap, fmt);
    vsnprintf(v->description, (size_t)len + 1, fmt, ap);
    va_end(ap);
    /* Descriptions quote client input: keep them short, cut on a UTF-8
     * character boundary (the details are protobuf strings). */
    if (len > VIOLATION_TEXT_MAX) {
        size_t cut = VIOLATION_TEXT_MAX;
        while (cut > 0 && ((unsigned char)v->description[cut] & 0xC0) == 0x80)
            cut--;
        memcpy(v->description + cut, "…", sizeof "…");
    }
    v->row = row;
    snprintf(v->field, sizeof v->field, "%s", field);
    vs->n++;
    return 0;
}

void rci_violations_free(rci_violations *vs)
{
    for (size_t i = 0; i < vs->n; i++)
        free(vs->items[i].description);
    free(vs->items);
    vs->items = NULL;
    vs->n = vs->cap = 0;
}

/* "row 3 period: …" (1-based rows read better to people: row 0 is row 1). */
static void describe(const rci_violation *v, char *out, size_t outlen)
{
    if (v->row >= 0)
        snprintf(out, outlen, "row %d %s: %s", v->row + 1, v->field, v->description);
    else
        snprintf(out, outlen, "%s: %s", v->field, v->description);
}

/* Serialized google.rpc.Status{code, message, details=[Any(BadRequest)]};
 * malloc'd, length in *len; NULL when out of memory. */
static uint8_t *details_pack(rci_status code, const char *message, const char *list,
                             const rci_violations *vs, size_t *len)
{
    size_t n = 0, bytes = 0;
    while (n < vs->n && n < RCI_VIOLATIONS_IN_DETAILS) {
        bytes += strlen(vs->items[n].description) + strlen(list) + 24;
        if (bytes > VIOLATIONS_DETAILS_BYTES && n > 0)
            break;
        n++;
    }
    Google__Rpc__BadRequest__FieldViolation *fv = calloc(n ? n : 1, sizeof *fv);
    Google__Rpc__BadRequest__FieldViolation **fvp = calloc(n ? n : 1, sizeof *fvp);
    char (*paths)[64] = calloc(n ? n : 1, sizeof *paths);
    uint8_t *br_buf = NULL, *out = NULL;
    if (!fv || !fvp || !paths)
        goto done;
    for (size_t i = 0; i < n; i++) {
        const rci_violation *v = &vs->items[i];
        google__rpc__bad_request__field_violation__init(&fv[i]);
        if (v->row >= 0)
            snprintf(paths[i], sizeof paths[i], "%s[%d].%s", list, v->row, v->field);
        else
            snprintf(paths[i], sizeof paths[i], "%s", v->field);
        fv[i].field = paths[i];
        fv[i].description = v->description;
        fvp[i] = &fv[i];
    }
    Google__Rpc__BadRequest br = GOOGLE__RPC__BAD_REQUEST__INIT;
    br.n_field_violations = n;
    br.field_violations = fvp;
    size_t br_len = google__rpc__bad_request__get_packed_size(&br);
    br_buf = malloc(br_len ? br_len : 1);
    if (!br_buf)
        goto done;
    google__rpc__bad_request__pack(&br, br_buf);
    Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
    any.type_url = "type.googleapis.com/google.rpc.BadRequest";
    any.value.data = br_buf;
    any.value.len = br_len;
    Google__Protobuf__Any *anyp = &any;
    Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
    st.code = (int32_t)code;
    st.message = (char *)message;
    st.n_details = 1;
    st.details = &anyp;
    *len = google__rpc__status__get_packed_size(&st);
    out = malloc(*len);
    if (out)
        google__rpc__status__pack(&st, out);
done:
    free(br_buf);
    free(paths);
    free(fvp);
    free(fv);
    return out;
}

void rci_call_fail_violations(rci_call *call, rci_status code, const char *what,
                              const char *list, const rci_violations *vs)
{
    /* Rows of a list, or fields of the request itself (row -1). */
    int rows = 0;
    for (size_t i = 0; i < vs->n && !rows; i++)
        rows = vs->items[i].row >= 0;
    const char *unit = rows ? "row(s) failed" : "problem(s)";
    char msg[VIOLATIONS_MESSAGE_MAX];
    size_t off = (size_t)snprintf(msg, sizeof msg, "%s: %zu %s", what, vs->n, unit);
    size_t shown = vs->n < RCI_VIOLATIONS_IN_MESSAGE ? vs->n : RCI_VIOLATIONS_IN_MESSAGE;
    for (size_t i = 0; i < shown && off < sizeof msg; i++) {
        char one[256];
        describe(&vs->items[i], one, sizeof one);
        off += (size_t)snprintf(msg + off, sizeof msg - off, "%s%s", i ? "; " : ": ", one);
    }
    if (shown < vs->n && off < sizeof msg)
        snprintf(msg + off, sizeof msg - off, "; and %zu more", vs->n - shown);
    /* The details' own message is the short summary: the list is in them. */
    char summary[200];
    snprintf(summary, sizeof summary, "%s: %zu %s", what, vs->n, unit);
    size_t dlen = 0;
    uint8_t *details = details_pack(code, summary, list, vs, &dlen);
    if (details)
        rci_call_finish_details(call, code, details, dlen, "%s", msg);
    else
        rci_call_finish(call, code, "%s", msg);
    free(details);
}

int rci_violations_messages(const rci_violations *vs, Rci__V1__Violation ***out)
{
    size_t n = vs->n ? vs->n : 1;
    /* The pointers first, then the messages: one block, one free. */
    Rci__V1__Violation **vp = malloc(n * (sizeof *vp + sizeof **vp));
    *out = vp;
    if (!vp)
        return -1;
    Rci__V1__Violation *v = (Rci__V1__Violation *)(vp + n);
    for (size_t i = 0; i < vs->n; i++) {
        rci__v1__violation__init(&v[i]);
        v[i].row = vs->items[i].row;
        v[i].field = (char *)vs->items[i].field;
        v[i].description = vs->items[i].description;
        vp[i] = &v[i];
    }
    return 0;
}
