/* pbcheck.h: checks on a request's protobuf bytes that protobuf-c does not
 * make. Pure code, no I/O.
 *
 * proto3 requires every string field to be valid UTF-8, and protobuf-c
 * 1.4 neither checks that nor keeps a string's length: an embedded NUL
 * silently cuts "szdghz\0x" to "szdghz", and the handler would act on a
 * value the client never sent. So before unpacking, the call layer walks
 * the wire bytes with the message's descriptor and refuses such strings,
 * naming the field.
 */
#ifndef RCI_PBCHECK_H
#define RCI_PBCHECK_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

/* 1 if s[0..len) is valid UTF-8 (no overlong forms, no surrogates, at most
 * U+10FFFF), else 0. */
int rci_utf8_valid(const uint8_t *s, size_t len);

/* Walk msg (serialized as type d) and check every string field, in nested
 * messages too. Returns 0 when all are valid UTF-8 without NUL, 1 when one
 * is not — its dotted field path (e.g. "filter.circle") and the reason are
 * written to why — and -1 when the bytes are not well-formed protobuf
 * (left for protobuf-c's unpack to report). */
int rci_pb_check_strings(const ProtobufCMessageDescriptor *d, const uint8_t *msg, size_t len,
                         char *why, size_t whylen);

#endif
