/* admin.c: rci.v1.AdminService's wiring — registering the token and audit
 * methods and statements — and the helpers its files share (admin_internal.h).
 *
 * Each method runs: on_request copies the request (admin_keep_request) →
 * rci_auth_admin (UNAUTHENTICATED / PERMISSION_DENIED end it there) →
 * validation (INVALID_ARGUMENT) → one statement that does the work and
 * writes the audit row → the answer. */
#include "admin/admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin_internal.h"
#include "platform/dispatch.h"

/* ---- the request across the token lookup ----------------------------------------- */

static void admin_state_free(void *p)
{
    admin_state *st = p;
    if (!st)
        return;
    explicit_bzero(st->secret, sizeof st->secret);
    if (st->req)
        protobuf_c_message_free_unpacked(st->req, NULL);
    free(st);
}

admin_state *admin_keep_request(rci_call *call)
{
    admin_state *st = calloc(1, sizeof *st);
    if (!st) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    st->req = rci_call_take_request(call);
    rci_call_set_data(call, st, admin_state_free);
    return st;
}

/* ---- the actor ---------------------------------------------------------------------- */

void admin_actor_init(admin_actor *a, rci_call *call, const rci_identity *who)
{
    a->agency = who->agency_code;
    snprintf(a->token_id, sizeof a->token_id, "%lld", (long long)who->token_id);
    a->request_id[0] = '\0';
    const char *rid = rci_call_header(call, "x-request-id");
    size_t n = rid ? strlen(rid) : 0;
    if (n > 0 && n < sizeof a->request_id) {
        for (size_t i = 0; i < n; i++)
            if (rid[i] < 0x20 || rid[i] > 0x7e)
                return;
        memcpy(a->request_id, rid, n + 1);
    }
    a->peer = rci_call_peer(call);
}

/* ---- timestamps -------------------------------------------------------------------------- */

#define TS_MIN_SECONDS (-62135596800LL)   /* 0001-01-01T00:00:00Z */
#define TS_MAX_SECONDS 253402300799LL     /* 9999-12-31T23:59:59Z */

int admin_ts_to_text(const Google__Protobuf__Timestamp *ts, char out[ADMIN_TS_TEXT])
{
    if (ts->seconds < TS_MIN_SECONDS || ts->seconds > TS_MAX_SECONDS || ts->nanos < 0 ||
        ts->nanos > 999999999)
        return -1;
    time_t t = (time_t)ts->seconds;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return -1;
    snprintf(out, ADMIN_TS_TEXT, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts->nanos / 1000);
    return 0;
}

Google__Protobuf__Timestamp *admin_ts_from_us(const PGresult *res, int row, int col,
                                              Google__Protobuf__Timestamp *ts)
{
    if (PQgetisnull(res, row, col))
        return NULL;
    long long us = strtoll(PQgetvalue(res, row, col), NULL, 10);
    long long s = us / 1000000, rem = us % 1000000;
    if (rem < 0) {                       /* before 1970: floor, nanos stay >= 0 */
        s -= 1;
        rem += 1000000;
    }
    google__protobuf__timestamp__init(ts);
    ts->seconds = s;
    ts->nanos = (int32_t)(rem * 1000);
    return ts;
}

/* ---- registration ------------------------------------------------------------------------ */

int rci_admin_init(char *err, size_t errlen)
{
    rci_admin_tokens_register_sql();
    rci_admin_audit_register_sql();
    if (rci_dispatch_register(rci_admin_token_methods, rci_admin_token_methods_count, err,
                              errlen) != 0)
        return -1;
    return rci_dispatch_register(rci_admin_audit_methods, rci_admin_audit_methods_count, err,
                                 errlen);
}
