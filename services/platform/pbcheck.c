/* pbcheck.c: string checks on serialized protobuf (see pbcheck.h).
 *
 * A minimal reader of the wire format (varint, 64-bit, length-delimited,
 * 32-bit; groups are refused as malformed, proto3 has none): only the
 * length-delimited fields matter, and the descriptor says whether one is a
 * string, a nested message to walk, or bytes to skip. */
#include "platform/pbcheck.h"

#include <stdio.h>
#include <string.h>

#define PBCHECK_MAX_DEPTH 32

int rci_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
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
            return 0; /* continuation byte, C0/C1 overlong lead, or > F4 */
        }
        if (len - i <= n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

/* Read a varint at *p (< end). Returns 0, or -1 if truncated or too long. */
static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int check_message(const ProtobufCMessageDescriptor *d, const uint8_t *p,
                         const uint8_t *end, int depth, char *path, size_t pathlen,
                         char *why, size_t whylen);

/* One length-delimited field: a string is checked, a message walked. */
static int check_field(const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t len,
                       int depth, char *path, size_t pathlen, char *why, size_t whylen)
{
    if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
        return 0;
    size_t base = strlen(path);
    snprintf(path + base, pathlen - base, "%s%s", base ? "." : "", f->name);
    int rv = 0;
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        if (memchr(p, 0, len)) {
            snprintf(why, whylen, "%s: string contains a NUL character", path);
            rv = 1;
        } else if (!rci_utf8_valid(p, len)) {
            snprintf(why, whylen, "%s: string is not valid UTF-8", path);
            rv = 1;
        }
    } else {
        rv = check_message(f->descriptor, p, p + len, depth + 1, path, pathlen, why, whylen);
    }
    path[base] = '\0';
    return rv;
}

static int check_message(const ProtobufCMessageDescriptor *d, const uint8_t *p,
                         const uint8_t *end, int depth, char *path, size_t pathlen,
                         char *why, size_t whylen)
{
    if (depth > PBCHECK_MAX_DEPTH)
        return -1;
    while (p < end) {
        uint64_t key, v;
        if (read_varint(&p, end, &key) != 0)
            return -1;
        switch (key & 7) {
        case 0:
            if (read_varint(&p, end, &v) != 0)
                return -1;
            break;
        case 1:
            if (end - p < 8)
                return -1;
            p += 8;
            break;
        case 5:
            if (end - p < 4)
                return -1;
            p += 4;
            break;
        case 2: {
            if (read_varint(&p, end, &v) != 0 || v > (uint64_t)(end - p))
                return -1;
            const ProtobufCFieldDescriptor *f =
                key >> 3 <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3))
                                       : NULL;
            if (f) {
                int rv = check_field(f, p, (size_t)v, depth, path, pathlen, why, whylen);
                if (rv != 0)
                    return rv;
            }
            p += v;
            break;
        }
        default:
            return -1;
        }
    }
    return 0;
}

int rci_pb_check_strings(const ProtobufCMessageDescriptor *d, const uint8_t *msg, size_t len,
                         char *why, size_t whylen)
{
    char path[256] = "";
    if (whylen)
        why[0] = '\0';
    return check_message(d, msg, msg + len, 0, path, sizeof path, why, whylen);
}
