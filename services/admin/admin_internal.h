/* admin_internal.h: what the AdminService files (tokens.c, audit.c,
 * admin.c) share — keeping the request across the token lookup, who the
 * caller is for the audit row, and timestamps to and from SQL.
 * Not for other services. */
#ifndef RCI_ADMIN_INTERNAL_H
#define RCI_ADMIN_INTERNAL_H

#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

#include "google/protobuf/timestamp.pb-c.h"
#include "platform/auth.h"
#include "platform/call.h"

/* The call's data while an admin method runs: the request, taken from the
 * platform (rci_call_take_request) so that it outlives on_request — the
 * token is looked up first, and only then is the request validated
 * (DESIGN §6's order) — and CreateToken's new secret, wiped when the call
 * ends. */
typedef struct admin_state {
    ProtobufCMessage *req;
    char secret[48];
} admin_state;

/* Inside on_request: a new admin_state holding the request being handled,
 * set as the call's data. Returns the state, or NULL after
 * finishing the call (out of memory). */
admin_state *admin_keep_request(rci_call *call);

/* The state set by admin_keep_request. */
static inline admin_state *admin_state_of(rci_call *call)
{
    return (admin_state *)rci_call_data(call);
}

/* Who does it, as the audit row's parameters (text). */
typedef struct admin_actor {
    const char *agency;          /* "" for an admin-only token */
    char token_id[24];
    char request_id[129];        /* x-request-id metadata, printable ASCII, or "" */
    const char *peer;
} admin_actor;

void admin_actor_init(admin_actor *a, rci_call *call, const rci_identity *who);

/* Room for a timestamp's text ("0001-01-01T00:00:00.000000Z" is 27
 * characters; the rest quiets -Wformat-truncation, which cannot bound a
 * struct tm). */
#define ADMIN_TS_TEXT 96

/* A protobuf Timestamp as RFC 3339 UTC text for a timestamptz parameter.
 * Returns -1 if it is outside 0001-01-01 .. 9999-12-31 or its nanos are
 * not 0..999,999,999. */
int admin_ts_to_text(const Google__Protobuf__Timestamp *ts, char out[ADMIN_TS_TEXT]);

/* Column col of row (microseconds since the epoch, bigint text) into *ts;
 * returns ts, or NULL when the value is SQL NULL. */
Google__Protobuf__Timestamp *admin_ts_from_us(const PGresult *res, int row, int col,
                                              Google__Protobuf__Timestamp *ts);

/* Methods and statements of each file, registered by rci_admin_init. */
extern const rci_method rci_admin_token_methods[];
extern const size_t rci_admin_token_methods_count;
void rci_admin_tokens_register_sql(void);
extern const rci_method rci_admin_audit_methods[];
extern const size_t rci_admin_audit_methods_count;
void rci_admin_audit_register_sql(void);

#endif
