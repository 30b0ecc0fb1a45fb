/* push.c: rci.v1.IndicatorService/PushValues — an agency's batch of values,
 * checked and written atomically, idempotent by request id.
 *
 * The path of one push:
 *   on_request   take the request, bound its size, resolve the token (auth.h)
 *   push_authed  identity checks, content hash, then the "prepare" query:
 *                the definitions of the batch's indicators and regions, and
 *                an earlier request with the same id
 *   prepare_done replay or ALREADY_EXISTS; else check the rows in the order
 *                DESIGN §6 fixes — scope (PERMISSION_DENIED), then validation
 *                (INVALID_ARGUMENT); validate_only answers here
 *   write_done   rci_push_write (migrations/0004_values.sql) has written the
 *                batch in one statement, or refused it: locked periods
 *                (FAILED_PRECONDITION), definitions changed meanwhile
 *                (ABORTED), the id reused for other content (ALREADY_EXISTS)
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indicators/indicators.h"
#include "indicators/push_rows.h"
#include "platform/auth.h"
#include "platform/batch.h"
#include "platform/call.h"
#include "platform/dispatch.h"
#include "platform/store.h"
#include "platform/violations.h"
#include "rci/v1/indicators.pb-c.h"

#define PUSH_MAX_VALUES 50000

/* $1 indicator codes, $2 region codes, $3 agency, $4 request id, $5/$6 the
 * batch's distinct (indicator, period) pairs. One row per definition ('i'),
 * region ('r'), earlier request ('q') and locked pair ('l'), nine text
 * columns each; 'd' carries the newest updated_at of the indicators read.
 * The locks are for validate_only, which must report what the write would
 * refuse; the write itself checks them again inside its transaction. */
static const char sql_prepare[] =
    "SELECT 'i', code, domain_code, frequency, value_type, min_value::text, max_value::text,\n"
    "       decimals::text, NULL FROM indicators WHERE code = ANY ($1::text[])\n"
    "UNION ALL\n"
    "SELECT 'r', g.code, g.kind, coalesce(CASE WHEN g.kind = 'district' THEN g.parent_code END, g.code),\n"
    "       NULL, NULL, NULL, NULL, NULL FROM regions g WHERE g.code = ANY ($2::text[])\n"
    "UNION ALL\n"
    "SELECT 'q', request_id, encode(content_sha256, 'hex'), coalesce(batch_id, 0)::text,\n"
    "       written::text, unchanged::text,\n"
    "       coalesce((extract(epoch FROM committed_at) * 1000000)::bigint, 0)::text, NULL, NULL\n"
    "  FROM push_requests WHERE agency_code = $3 AND request_id = $4\n"
    "UNION ALL\n"
    "SELECT 'd', coalesce(max(updated_at), '-infinity')::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL\n"
    "  FROM indicators WHERE code = ANY ($1::text[])\n"
    "UNION ALL\n"
    "SELECT 'l', ind, per, NULL, NULL, NULL, NULL, NULL, NULL\n"
    "  FROM rci_locked_pairs($5::text[], $6::text[])";

static const char sql_write[] =
    "SELECT status, coalesce(batch_id, 0)::text, coalesce(written, 0)::text,\n"
    "       coalesce(unchanged, 0)::text,\n"
    "       coalesce((extract(epoch FROM committed_at) * 1000000)::bigint, 0)::text,\n"
    "       coalesce(array_to_string(locked_rows, ','), ''), coalesce(locked_total, 0)::text\n"
    "  FROM rci_push_write($1, $2::bigint, $3, decode($4, 'hex'), $5, $6::boolean, $7,\n"
    "                      $8::timestamptz, $9::text[], $10::text[], $11::text[], $12::date[],\n"
    "                      $13::numeric[], $14::text[])";

static int stmt_prepare = -1, stmt_write = -1;

typedef struct push_ctx {
    Rci__V1__PushValuesRequest *req;  /* taken from the call: owned */
    rci_identity who;
    char hash_hex[65];                /* SHA-256 of the canonical batch */
    push_rows rows;                   /* definitions and per-row results */
} push_ctx;

static void push_ctx_free(void *arg)
{
    push_ctx *ctx = arg;
    if (ctx->req)
        protobuf_c_message_free_unpacked(&ctx->req->base, NULL);
    push_rows_free(&ctx->rows);
    free(ctx);
}

/* ---- answers -------------------------------------------------------------- */

static void set_timestamp(Google__Protobuf__Timestamp *ts, long long usec)
{
    ts->seconds = usec / 1000000;
    ts->nanos = (int32_t)(usec % 1000000) * 1000;
}

static void reply_written(rci_call *call, long long batch, int written, int unchanged,
                          long long committed_usec, int replayed)
{
    Rci__V1__PushValuesResponse resp = RCI__V1__PUSH_VALUES_RESPONSE__INIT;
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    resp.batch_id = batch;
    resp.written = written;
    resp.unchanged = unchanged;
    resp.replayed = replayed;
    if (committed_usec) {
        set_timestamp(&ts, committed_usec);
        resp.committed_at = &ts;
    }
    rci_call_reply(call, &resp.base);
}

/* validate_only: every failure as a normal response. */
static void reply_violations(rci_call *call, const rci_violations *vs)
{
    Rci__V1__PushValuesResponse resp = RCI__V1__PUSH_VALUES_RESPONSE__INIT;
    if (rci_violations_messages(vs, &resp.violations) < 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    resp.n_violations = vs->n;
    rci_call_reply(call, &resp.base);
    free(resp.violations);
}

/* ---- write ------------------------------------------------------------------ */

static void write_done(rci_call *call, const PGresult *res)
{
    push_ctx *ctx = rci_call_data(call);
    if (PQntuples(res) != 1 || PQnfields(res) != 7) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result from rci_push_write");
        return;
    }
    const char *status = PQgetvalue(res, 0, 0);
    long long batch = atoll(PQgetvalue(res, 0, 1));
    int written = atoi(PQgetvalue(res, 0, 2));
    int unchanged = atoi(PQgetvalue(res, 0, 3));
    long long committed = atoll(PQgetvalue(res, 0, 4));
    if (strcmp(status, "ok") == 0 || strcmp(status, "replay") == 0) {
        reply_written(call, batch, written, unchanged, committed, status[0] == 'r');
    } else if (strcmp(status, "conflict") == 0) {
        rci_call_finish(call, RCI_ALREADY_EXISTS,
                        "request_id \"%s\" was already used by agency %s for a different batch",
                        ctx->req->request_id, ctx->who.agency_code);
    } else if (strcmp(status, "stale") == 0) {
        rci_call_finish(call, RCI_ABORTED,
                        "an indicator definition changed while the batch was checked; retry");
    } else if (strcmp(status, "locked") == 0) {
        rci_violations vs = {0};
        push_rows_locked(&ctx->rows, PQgetvalue(res, 0, 5), ctx->req, &vs);
        rci_call_fail_violations(call, RCI_FAILED_PRECONDITION,
                                 "locked periods (an admin override with a reason is needed)",
                                 "values", &vs);
        rci_violations_free(&vs);
    } else {
        rci_call_finish(call, RCI_INTERNAL, "unexpected push status \"%s\"", status);
    }
}

static void push_write(rci_call *call, push_ctx *ctx)
{
    push_arrays a;
    if (push_rows_arrays(&ctx->rows, ctx->req, &a) != 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    char token[24];
    snprintf(token, sizeof token, "%lld", (long long)ctx->who.token_id);
    const char *params[14] = {
        ctx->who.agency_code, token, ctx->req->request_id, ctx->hash_hex, ctx->req->reason,
        ctx->req->override_lock ? "true" : "false", rci_call_peer(call), ctx->rows.defs_at,
        a.indicators, a.regions, a.periods, a.period_ends, a.values, a.notes,
    };
    rci_call_query(call, stmt_write, params, write_done);
    push_arrays_free(&a);
}

/* ---- check ---------------------------------------------------------------- */

static void prepare_done(rci_call *call, const PGresult *res)
{
    push_ctx *ctx = rci_call_data(call);
    push_prior prior;
    if (push_rows_load(&ctx->rows, res, &prior) != 0) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result from the push prepare query");
        return;
    }
    if (prior.found && !ctx->req->validate_only) {
        if (strcmp(prior.hash_hex, ctx->hash_hex) != 0)
            rci_call_finish(call, RCI_ALREADY_EXISTS,
                            "request_id \"%s\" was already used by agency %s for a different batch",
                            ctx->req->request_id, ctx->who.agency_code);
        else
            reply_written(call, prior.batch_id, prior.written, prior.unchanged,
                          prior.committed_usec, 1);
        return;
    }
    rci_violations vs = {0};
    /* DESIGN §6: scope first, then validation; the first failing stage
     * answers for the whole batch. validate_only reports both. */
    push_rows_check_scope(&ctx->rows, ctx->req, &ctx->who, &vs);
    if (vs.n && !ctx->req->validate_only) {
        rci_call_fail_violations(call, RCI_PERMISSION_DENIED, "outside the agency's scope",
                                 "values", &vs);
        rci_violations_free(&vs);
        return;
    }
    push_rows_validate(&ctx->rows, ctx->req, &vs);
    if (ctx->req->validate_only && !ctx->req->override_lock)
        push_rows_check_locks(&ctx->rows, ctx->req, &vs);
    if (ctx->req->validate_only) {
        reply_violations(call, &vs);
    } else if (vs.n) {
        rci_call_fail_violations(call, RCI_INVALID_ARGUMENT, "invalid values", "values", &vs);
    } else {
        push_write(call, ctx);
    }
    rci_violations_free(&vs);
}

/* SHA-256 of the batch's canonical serialization: the request without its
 * id and validate_only flag, so "same content" means the same values, notes,
 * reason and override (DESIGN §6). */
static int push_hash(const Rci__V1__PushValuesRequest *req, char out[65])
{
    Rci__V1__PushValuesRequest canon = *req;
    canon.request_id = "";
    canon.validate_only = 0;
    size_t len = rci__v1__push_values_request__get_packed_size(&canon);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -1;
    rci__v1__push_values_request__pack(&canon, buf);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok = EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
    free(buf);
    if (!ok)
        return -1;
    for (unsigned int i = 0; i < mdlen; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

static void push_authed(rci_call *call, const rci_identity *who)
{
    push_ctx *ctx = rci_call_data(call);
    const Rci__V1__PushValuesRequest *req = ctx->req;
    ctx->who = *who;
    if (who->agency_code[0] == '\0') {
        rci_call_finish(call, RCI_PERMISSION_DENIED,
                        "values are pushed with an agency's token; this token belongs to no agency");
        return;
    }
    if (req->override_lock && !who->admin) {
        rci_call_finish(call, RCI_PERMISSION_DENIED, "override_lock needs an admin token");
        return;
    }
    if (push_hash(req, ctx->hash_hex) != 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    push_arrays keys;
    if (push_rows_key_arrays(req, &keys) != 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    /* Locks are looked up here only for a dry run: a real push has the write
     * check them inside its transaction, and each lookup costs a calendar
     * computation per (indicator, period). */
    int dry = req->validate_only && !req->override_lock;
    const char *params[6] = {keys.indicators, keys.regions, who->agency_code, req->request_id,
                             dry ? keys.lock_indicators : NULL, dry ? keys.lock_periods : NULL};
    rci_call_query(call, stmt_prepare, params, prepare_done);
    push_arrays_free(&keys);
}

/* Checks on the request as a whole, before anything is looked up. */
static int push_check_request(rci_call *call, const Rci__V1__PushValuesRequest *req)
{
    if (rci_batch_check(call, "values", req->n_values, PUSH_MAX_VALUES, req->request_id,
                        req->reason) != 0)
        return -1;
    if (req->override_lock && req->reason[0] == '\0') {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "reason: required with override_lock");
        return -1;
    }
    return 0;
}

static void push_values(rci_call *call, const ProtobufCMessage *msg)
{
    const Rci__V1__PushValuesRequest *req = (const void *)msg;
    if (push_check_request(call, req) != 0)
        return;
    push_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    ctx->req = (Rci__V1__PushValuesRequest *)rci_call_take_request(call);
    rci_call_set_data(call, ctx, push_ctx_free);
    rci_auth(call, push_authed);
}

static const rci_method push_methods[] = {
    {"/rci.v1.IndicatorService/PushValues", &rci__v1__push_values_request__descriptor,
     push_values, NULL},
};

int rci_push_init(char *err, size_t errlen)
{
    stmt_prepare = rci_store_register("push_prepare", sql_prepare, 6);
    stmt_write = rci_store_register("push_write", sql_write, 14);
    return rci_dispatch_register(push_methods, sizeof push_methods / sizeof push_methods[0], err,
                                 errlen);
}
