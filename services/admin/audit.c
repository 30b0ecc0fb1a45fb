/* audit.c: rci.v1.AdminService/ListAudit — the audit trail, newest first,
 * filtered by time, agency and action, in pages.
 *
 * A page token names the last entry of the page before (its id); the next
 * page is the entries below it. Ids only grow, so entries written while a
 * client pages arrive at the top and never shift a later page. Reading the
 * trail is itself an admin action and leaves an "audit.list" row, written
 * by the same statement (it is not in the page that statement returns).
 *
 * Table (migrations/0003_identity.sql): audit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_internal.h"
#include "platform/store.h"
#include "rci/v1/admin.pb-c.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000
#define FILTER_MAX 128

/* $1 entries below this id (NULL: from the newest), $2 since (inclusive),
 * $3 until (exclusive), $4 agency, $5 action (each NULL: any), $6 rows to
 * return, $7..$10 the actor (agency, token id, request id, peer). */
static const char sql_list_audit[] =
    "WITH a AS MATERIALIZED (\n"
    "  SELECT rci_audit($7::text, $8::bigint, 'audit.list', $9::text, $10::text,\n"
    "                   jsonb_strip_nulls(jsonb_build_object('since', $2::timestamptz,\n"
    "                     'until', $3::timestamptz, 'agency_code', $4::text,\n"
    "                     'action', $5::text, 'before_id', $1::bigint))) AS audit_id\n"
    ")\n"
    "SELECT e.id, (extract(epoch FROM e.at) * 1000000)::bigint, coalesce(e.agency_code, ''),\n"
    "       coalesce(e.token_id, 0), e.action, e.request_id, e.peer, e.detail::text\n"
    "FROM a LEFT JOIN LATERAL (\n"
    "  SELECT * FROM audit\n"
    "  WHERE ($1::bigint IS NULL OR id < $1::bigint)\n"
    "    AND ($2::timestamptz IS NULL OR at >= $2::timestamptz)\n"
    "    AND ($3::timestamptz IS NULL OR at < $3::timestamptz)\n"
    "    AND ($4::text IS NULL OR agency_code = $4::text)\n"
    "    AND ($5::text IS NULL OR action = $5::text)\n"
    "  ORDER BY id DESC\n"
    "  LIMIT $6::int\n"
    ") e ON true\n"
    "ORDER BY e.id DESC";

static int stmt_list_audit = -1;

/* Entries per page: page_size, defaulted and capped (checked >= 0 first). */
static int page_size_of(const Rci__V1__ListAuditRequest *req)
{
    return req->page_size == 0 ? PAGE_DEFAULT : req->page_size > PAGE_MAX ? PAGE_MAX : req->page_size;
}

/* ---- page tokens ------------------------------------------------------------------ */

/* "a" + the decimal id of the last entry given. Clients treat it as opaque. */
static void page_token_make(long long id, char out[24])
{
    snprintf(out, 24, "a%lld", id);
}

/* Returns the id, or -1 if s is not a token page_token_make made. */
static long long page_token_parse(const char *s)
{
    if (s[0] != 'a' || s[1] < '1' || s[1] > '9' || strlen(s) > 20)
        return -1;
    char *end;
    errno = 0;
    long long id = strtoll(s + 1, &end, 10);
    if (errno || *end || id <= 0)
        return -1;
    return id;
}

/* ---- ListAudit ------------------------------------------------------------------------ */

static void list_audit_done(rci_call *call, const PGresult *res)
{
    const Rci__V1__ListAuditRequest *req = (const void *)admin_state_of(call)->req;
    int nrows = PQntuples(res);
    if (nrows < 1 || PQnfields(res) != 8) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the audit query");
        return;
    }
    size_t page = (size_t)page_size_of(req);
    Rci__V1__AuditEntry *entries = calloc((size_t)nrows, sizeof *entries);
    Rci__V1__AuditEntry **ptrs = calloc((size_t)nrows, sizeof *ptrs);
    Google__Protobuf__Timestamp *ats = calloc((size_t)nrows, sizeof *ats);
    if (!entries || !ptrs || !ats) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    size_t n = 0;
    int more = 0;
    for (int i = 0; i < nrows; i++) {
        if (PQgetisnull(res, i, 0))
            continue;               /* the LEFT JOIN's empty row */
        if (n == page) {
            more = 1;               /* the extra row asked for: there is a next page */
            break;
        }
        Rci__V1__AuditEntry *e = &entries[n];
        rci__v1__audit_entry__init(e);
        e->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        e->at = admin_ts_from_us(res, i, 1, &ats[n]);
        e->agency_code = PQgetvalue(res, i, 2);
        e->token_id = strtoll(PQgetvalue(res, i, 3), NULL, 10);
        e->action = PQgetvalue(res, i, 4);
        e->request_id = PQgetvalue(res, i, 5);
        e->peer = PQgetvalue(res, i, 6);
        e->detail = PQgetvalue(res, i, 7);
        ptrs[n++] = e;
    }
    char next[24] = "";
    if (more)
        page_token_make((long long)entries[n - 1].id, next);
    Rci__V1__ListAuditResponse resp = RCI__V1__LIST_AUDIT_RESPONSE__INIT;
    resp.n_entries = n;
    resp.entries = ptrs;
    resp.next_page_token = next;
    rci_call_reply(call, &resp.base);
out:
    free(ats);
    free(ptrs);
    free(entries);
}

static void list_audit_authed(rci_call *call, const rci_identity *who)
{
    const Rci__V1__ListAuditRequest *req = (const void *)admin_state_of(call)->req;
    if (req->page_size < 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "page_size: must not be negative");
        return;
    }
    char before[24] = "";
    if (req->page_token[0]) {
        long long id = page_token_parse(req->page_token);
        if (id < 0) {
            rci_call_finish(call, RCI_INVALID_ARGUMENT,
                            "page_token: not a token from an earlier ListAudit answer");
            return;
        }
        snprintf(before, sizeof before, "%lld", id);
    }
    char since[ADMIN_TS_TEXT], until[ADMIN_TS_TEXT];
    if (req->since && admin_ts_to_text(req->since, since) < 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "since: not a valid timestamp");
        return;
    }
    if (req->until && admin_ts_to_text(req->until, until) < 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "until: not a valid timestamp");
        return;
    }
    if (req->since && req->until &&
        (req->until->seconds < req->since->seconds ||
         (req->until->seconds == req->since->seconds && req->until->nanos <= req->since->nanos))) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "until: must be after since");
        return;
    }
    if (strlen(req->agency_code) > FILTER_MAX || strlen(req->action) > FILTER_MAX) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "%s: longer than %d bytes",
                        strlen(req->agency_code) > FILTER_MAX ? "agency_code" : "action",
                        FILTER_MAX);
        return;
    }
    char limit[16];
    snprintf(limit, sizeof limit, "%d", page_size_of(req) + 1);  /* one more: is there a next page? */
    admin_actor a;
    admin_actor_init(&a, call, who);
    const char *params[10] = {
        before[0] ? before : NULL,
        req->since ? since : NULL,
        req->until ? until : NULL,
        req->agency_code[0] ? req->agency_code : NULL,
        req->action[0] ? req->action : NULL,
        limit,
        a.agency,
        a.token_id,
        a.request_id,
        a.peer,
    };
    rci_call_query(call, stmt_list_audit, params, list_audit_done);
}

static void list_audit(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    if (admin_keep_request(call))
        rci_auth_admin(call, list_audit_authed);
}

/* ---- registration ----------------------------------------------------------------------- */

const rci_method rci_admin_audit_methods[] = {
    {"/rci.v1.AdminService/ListAudit", &rci__v1__list_audit_request__descriptor, list_audit,
     NULL},
};
const size_t rci_admin_audit_methods_count =
    sizeof rci_admin_audit_methods / sizeof rci_admin_audit_methods[0];

void rci_admin_audit_register_sql(void)
{
    stmt_list_audit = rci_store_register("admin_list_audit", sql_list_audit, 10);
}
