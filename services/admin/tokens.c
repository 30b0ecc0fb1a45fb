/* tokens.c: rci.v1.AdminService/CreateToken, ListTokens, RevokeToken — their
 * validation, their statements (shared with `rcid token`, admin_sql.h) and
 * token rows turned into Token messages.
 *
 * A secret is made here (rci_auth_new_secret), sent once in the
 * CreateToken answer and never stored: the tokens table keeps its SHA-256
 * and its first TOKEN_PREFIX_LEN characters. Each statement writes its
 * audit row itself (rci_audit), so the change and the row commit together.
 *
 * Tables (migrations/0003_identity.sql): tokens, audit; agencies (0002). */
#include <stdlib.h>
#include <string.h>

#include "admin/admin_internal.h"
#include "admin/admin_sql.h"
#include "platform/store.h"
#include "rci/v1/admin.pb-c.h"

#define LABEL_MAX_CHARS 200
#define AGENCY_CODE_MAX 64     /* agencies.code (0002) and rci_identity.agency_code */

/* Token columns of table alias t, in the TOKEN_COL_* order. */
#define TOKEN_COLUMNS(t)                                                              \
    t ".id, coalesce(" t ".agency_code, ''), " t ".admin, " t ".label, " t ".prefix, " \
    "(extract(epoch FROM " t ".created_at) * 1000000)::bigint, "                       \
    "(extract(epoch FROM " t ".expires_at) * 1000000)::bigint, "                       \
    "(extract(epoch FROM " t ".revoked_at) * 1000000)::bigint"

const char rci_admin_sql_create_token[] =
    "WITH chk AS (\n"
    "  SELECT ($1::text IS NULL OR EXISTS (SELECT 1 FROM agencies WHERE code = $1::text))\n"
    "           AS agency_ok,\n"
    "         ($6::timestamptz IS NULL OR $6::timestamptz > now()) AS expiry_ok\n"
    "), ins AS (\n"
    "  INSERT INTO tokens (agency_code, admin, label, hash, prefix, expires_at, created_by)\n"
    "  SELECT $1::text, $2::boolean, $3::text, decode($4::text, 'hex'), $5::text,\n"
    "         $6::timestamptz, $8::bigint\n"
    "  FROM chk WHERE agency_ok AND expiry_ok\n"
    "  RETURNING *\n"
    ")\n"
    "SELECT chk.agency_ok, chk.expiry_ok, " TOKEN_COLUMNS("ins") ",\n"
    "       CASE WHEN ins.id IS NOT NULL THEN\n"
    "         rci_audit($7::text, $8::bigint, 'token.create', $9::text, $10::text,\n"
    "                   $11::jsonb || jsonb_build_object('token_id', ins.id,\n"
    "                     'agency_code', ins.agency_code, 'admin', ins.admin,\n"
    "                     'label', ins.label, 'prefix', ins.prefix,\n"
    "                     'expires_at', ins.expires_at))\n"
    "       END\n"
    "FROM chk LEFT JOIN ins ON true";

const char rci_admin_sql_list_tokens[] =
    "WITH a AS MATERIALIZED (\n"
    "  SELECT rci_audit($3::text, $4::bigint, 'token.list', $5::text, $6::text,\n"
    "                   $7::jsonb || jsonb_strip_nulls(jsonb_build_object(\n"
    "                     'agency_code', $1::text, 'include_revoked', $2::boolean))) AS audit_id\n"
    ")\n"
    "SELECT " TOKEN_COLUMNS("t") "\n"
    "FROM a LEFT JOIN LATERAL (\n"
    "  SELECT * FROM tokens\n"
    "  WHERE ($1::text IS NULL OR agency_code = $1::text)\n"
    "    AND ($2::boolean OR revoked_at IS NULL)\n"
    ") t ON true\n"
    "ORDER BY t.id";

/* Revoking twice keeps the first revoked_at; revoked_at = now() tells a
 * revocation made by this statement (now() is the transaction's start). */
const char rci_admin_sql_revoke_token[] =
    "WITH upd AS (\n"
    "  UPDATE tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1::bigint\n"
    "  RETURNING *, revoked_at <> now() AS already\n"
    ")\n"
    "SELECT " TOKEN_COLUMNS("upd") ", upd.already,\n"
    "       rci_audit($2::text, $3::bigint, 'token.revoke', $4::text, $5::text,\n"
    "                 $6::jsonb || jsonb_build_object('token_id', upd.id,\n"
    "                   'agency_code', upd.agency_code, 'already_revoked', upd.already))\n"
    "FROM upd";

static int stmt_create = -1, stmt_list = -1, stmt_revoke = -1;

/* ---- rows → messages ---------------------------------------------------------------- */

/* A Token and the timestamps it points to; strings point into the result. */
typedef struct token_msg {
    Rci__V1__Token t;
    Google__Protobuf__Timestamp created, expires, revoked;
} token_msg;

static void token_from_row(token_msg *m, const PGresult *res, int row, int col)
{
    rci__v1__token__init(&m->t);
    m->t.id = strtoll(PQgetvalue(res, row, col + TOKEN_COL_ID), NULL, 10);
    m->t.agency_code = PQgetvalue(res, row, col + TOKEN_COL_AGENCY);
    m->t.admin = strcmp(PQgetvalue(res, row, col + TOKEN_COL_ADMIN), "t") == 0;
    m->t.label = PQgetvalue(res, row, col + TOKEN_COL_LABEL);
    m->t.prefix = PQgetvalue(res, row, col + TOKEN_COL_PREFIX);
    m->t.created_at = admin_ts_from_us(res, row, col + TOKEN_COL_CREATED_US, &m->created);
    m->t.expires_at = admin_ts_from_us(res, row, col + TOKEN_COL_EXPIRES_US, &m->expires);
    m->t.revoked_at = admin_ts_from_us(res, row, col + TOKEN_COL_REVOKED_US, &m->revoked);
}

/* UTF-8 characters in s (bytes that do not continue a sequence). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* ---- CreateToken ---------------------------------------------------------------------- */

static void create_token_done(rci_call *call, const PGresult *res)
{
    admin_state *st = admin_state_of(call);
    const Rci__V1__CreateTokenRequest *req = (const void *)st->req;
    if (PQntuples(res) != 1 || PQnfields(res) != RCI_ADMIN_CREATE_COL_TOKEN + TOKEN_NCOLS + 1) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the token insert");
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        rci_call_finish(call, RCI_NOT_FOUND, "agency_code: no agency \"%s\"", req->agency_code);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "expires_at: must be in the future");
        return;
    }
    token_msg m;
    token_from_row(&m, res, 0, RCI_ADMIN_CREATE_COL_TOKEN);
    Rci__V1__CreateTokenResponse resp = RCI__V1__CREATE_TOKEN_RESPONSE__INIT;
    resp.token = &m.t;
    resp.secret = st->secret;
    rci_call_reply(call, &resp.base);
    explicit_bzero(st->secret, sizeof st->secret);
}

static void create_token_authed(rci_call *call, const rci_identity *who)
{
    admin_state *st = admin_state_of(call);
    const Rci__V1__CreateTokenRequest *req = (const void *)st->req;
    size_t alen = strlen(req->agency_code);
    if (alen == 0 && !req->admin) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "agency_code: required for a token that is not admin");
        return;
    }
    if (alen > AGENCY_CODE_MAX) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "agency_code: longer than %d bytes",
                        AGENCY_CODE_MAX);
        return;
    }
    if (utf8_chars(req->label) > LABEL_MAX_CHARS) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "label: longer than %d characters",
                        LABEL_MAX_CHARS);
        return;
    }
    char expires[ADMIN_TS_TEXT];
    if (req->expires_at && admin_ts_to_text(req->expires_at, expires) < 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "expires_at: not a valid timestamp (0001-01-01 to 9999-12-31)");
        return;
    }
    char hash[65];
    if (rci_auth_new_secret(st->secret, sizeof st->secret, hash, sizeof hash) < 0) {
        rci_call_finish(call, RCI_UNAVAILABLE, "no randomness available for a new secret");
        return;
    }
    char prefix[TOKEN_PREFIX_LEN + 1];
    memcpy(prefix, st->secret, TOKEN_PREFIX_LEN);
    prefix[TOKEN_PREFIX_LEN] = '\0';
    admin_actor a;
    admin_actor_init(&a, call, who);
    const char *params[RCI_ADMIN_CREATE_NPARAMS] = {
        alen ? req->agency_code : NULL,
        req->admin ? "true" : "false",
        req->label,
        hash,
        prefix,
        req->expires_at ? expires : NULL,
        a.agency,
        a.token_id,
        a.request_id,
        a.peer,
        "{}",
    };
    rci_call_query(call, stmt_create, params, create_token_done);
}

static void create_token(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    if (admin_keep_request(call))
        rci_auth_admin(call, create_token_authed);
}

/* ---- ListTokens ----------------------------------------------------------------------- */

static void list_tokens_done(rci_call *call, const PGresult *res)
{
    int nrows = PQntuples(res);
    if (nrows < 1 || PQnfields(res) != TOKEN_NCOLS) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the token list");
        return;
    }
    token_msg *msgs = calloc((size_t)nrows, sizeof *msgs);
    Rci__V1__Token **ptrs = calloc((size_t)nrows, sizeof *ptrs);
    if (!msgs || !ptrs) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    size_t n = 0;
    for (int i = 0; i < nrows; i++) {
        if (PQgetisnull(res, i, TOKEN_COL_ID))
            continue;               /* the LEFT JOIN's empty row */
        token_from_row(&msgs[n], res, i, 0);
        ptrs[n] = &msgs[n].t;
        n++;
    }
    Rci__V1__ListTokensResponse resp = RCI__V1__LIST_TOKENS_RESPONSE__INIT;
    resp.n_tokens = n;
    resp.tokens = ptrs;
    rci_call_reply(call, &resp.base);
out:
    free(ptrs);
    free(msgs);
}

static void list_tokens_authed(rci_call *call, const rci_identity *who)
{
    const Rci__V1__ListTokensRequest *req = (const void *)admin_state_of(call)->req;
    if (strlen(req->agency_code) > AGENCY_CODE_MAX) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "agency_code: longer than %d bytes",
                        AGENCY_CODE_MAX);
        return;
    }
    admin_actor a;
    admin_actor_init(&a, call, who);
    const char *params[RCI_ADMIN_LIST_NPARAMS] = {
        req->agency_code[0] ? req->agency_code : NULL,
        req->include_revoked ? "true" : "false",
        a.agency,
        a.token_id,
        a.request_id,
        a.peer,
        "{}",
    };
    rci_call_query(call, stmt_list, params, list_tokens_done);
}

static void list_tokens(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    if (admin_keep_request(call))
        rci_auth_admin(call, list_tokens_authed);
}

/* ---- RevokeToken ---------------------------------------------------------------------- */

static void revoke_token_done(rci_call *call, const PGresult *res)
{
    const Rci__V1__RevokeTokenRequest *req = (const void *)admin_state_of(call)->req;
    if (PQntuples(res) == 0) {
        rci_call_finish(call, RCI_NOT_FOUND, "no token with id %lld", (long long)req->id);
        return;
    }
    if (PQnfields(res) != TOKEN_NCOLS + 2) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the token revoke");
        return;
    }
    rci_auth_forget_all();   /* this loop at once; the others by NOTIFY rci_tokens */
    token_msg m;
    token_from_row(&m, res, 0, 0);
    rci_call_reply(call, &m.t.base);
}

static void revoke_token_authed(rci_call *call, const rci_identity *who)
{
    const Rci__V1__RevokeTokenRequest *req = (const void *)admin_state_of(call)->req;
    if (req->id <= 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "id: a token id is a positive number");
        return;
    }
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)req->id);
    admin_actor a;
    admin_actor_init(&a, call, who);
    const char *params[RCI_ADMIN_REVOKE_NPARAMS] = {id, a.agency, a.token_id, a.request_id,
                                                    a.peer, "{}"};
    rci_call_query(call, stmt_revoke, params, revoke_token_done);
}

static void revoke_token(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    if (admin_keep_request(call))
        rci_auth_admin(call, revoke_token_authed);
}

/* ---- registration ----------------------------------------------------------------------- */

const rci_method rci_admin_token_methods[] = {
    {"/rci.v1.AdminService/CreateToken", &rci__v1__create_token_request__descriptor,
     create_token, NULL},
    {"/rci.v1.AdminService/ListTokens", &rci__v1__list_tokens_request__descriptor, list_tokens,
     NULL},
    {"/rci.v1.AdminService/RevokeToken", &rci__v1__revoke_token_request__descriptor,
     revoke_token, NULL},
};
const size_t rci_admin_token_methods_count =
    sizeof rci_admin_token_methods / sizeof rci_admin_token_methods[0];

void rci_admin_tokens_register_sql(void)
{
    stmt_create = rci_store_register("admin_create_token", rci_admin_sql_create_token,
                                     RCI_ADMIN_CREATE_NPARAMS);
    stmt_list = rci_store_register("admin_list_tokens", rci_admin_sql_list_tokens,
                                   RCI_ADMIN_LIST_NPARAMS);
    stmt_revoke = rci_store_register("admin_revoke_token", rci_admin_sql_revoke_token,
                                     RCI_ADMIN_REVOKE_NPARAMS);
}
