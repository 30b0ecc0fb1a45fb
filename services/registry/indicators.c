/* indicators.c: rci.v1.RegistryService/ListIndicators, GetIndicator and
 * PutIndicator — the definitions every value is checked against.
 *
 * The path of PutIndicator:
 *   on_request            keep the request, resolve the token (admin only)
 *   put_indicator_authed  check every field (validate.c); one statement checks
 *                         the domain and, for an indicator with values, that
 *                         its frequency and domain stay; inserts or updates
 *                         the row (only if something differs, so updated_at
 *                         moves only on a real change), and writes the audit
 *                         row — all or nothing
 *   put_indicator_done    INVALID_ARGUMENT (domain), FAILED_PRECONDITION, or
 *                         the indicator as stored
 *
 * Tables (migrations/0002_registry.sql): indicators, domains;
 * rci_indicator_has_values (0002, replaced by the values migration);
 * rci_audit (0003_identity.sql). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/wrappers.pb-c.h"
#include "platform/auth.h"
#include "platform/call.h"
#include "platform/store.h"
#include "platform/violations.h"
#include "rci/v1/registry.pb-c.h"
#include "registry/internal.h"
#include "registry/validate.h"

/* The columns an Indicator is built from, in indicator_from_row's order. */
#define INDICATOR_COLUMNS                                                              \
    "code, name_zh, name_en, unit, domain_code, frequency, value_type, min_value::text, " \
    "max_value::text, decimals, aggregation, better, standard"
#define INDICATOR_NCOLS 13

/* $1 domain filter, $2 frequency filter (text or NULL). The first column
 * says whether $1 names a domain that exists; the LEFT JOIN keeps that row
 * when no indicator matches (its code is then NULL). */
static const char sql_list_indicators[] =
    "WITH q AS (SELECT ($1::text IS NULL OR EXISTS (SELECT 1 FROM domains WHERE code = $1)) AS domain_ok)\n"
    "SELECT q.domain_ok, i.* FROM q LEFT JOIN LATERAL (\n"
    "  SELECT " INDICATOR_COLUMNS " FROM indicators\n"
    "  WHERE ($1::text IS NULL OR domain_code = $1) AND ($2::text IS NULL OR frequency = $2)\n"
    ") i ON q.domain_ok\n"
    "ORDER BY i.code";

static const char sql_get_indicator[] =
    "SELECT " INDICATOR_COLUMNS " FROM indicators WHERE code = $1";

/* $1 code, $2 name_zh, $3 name_en, $4 unit, $5 domain, $6 frequency,
 * $7 value_type, $8 min, $9 max (numeric text or NULL), $10 decimals,
 * $11 aggregation, $12 better, $13 standard, $14 reason; audit: $15 agency
 * (NULL for an admin-only token), $16 token id, $17 request id, $18 peer.
 *
 * One row: domain_ok, change_ok (false: the indicator has values and the
 * frequency or domain would change), the stored frequency and domain (NULL
 * for a new code), created, changed, and how many audit rows were written.
 * The existing row is locked first (FOR UPDATE) so the values test and the
 * update see the same definition. The upsert's WHERE leaves an identical
 * row alone (updated_at unmoved: the push path reads it to notice
 * definitions changing under it); the put is audited either way. */
static const char sql_put_indicator[] =
    "WITH new (code, name_zh, name_en, unit, domain_code, frequency, value_type,\n"
    "          min_value, max_value, decimals, aggregation, better, standard) AS (\n"
    "  VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text,\n"
    "          $8::numeric, $9::numeric, $10::int, $11::text, $12::text, $13::text)\n"
    "), old AS (\n"
    "  SELECT * FROM indicators WHERE code = $1::text FOR UPDATE\n"
    "), chk AS (\n"
    "  SELECT EXISTS (SELECT 1 FROM domains WHERE code = $5::text) AS domain_ok,\n"
    "         NOT EXISTS (SELECT 1 FROM old WHERE (old.frequency <> $6::text OR old.domain_code <> $5::text)\n"
    "                                         AND rci_indicator_has_values($1::text)) AS change_ok\n"
    "), up AS (\n"
    "  INSERT INTO indicators AS i (code, name_zh, name_en, unit, domain_code, frequency, value_type,\n"
    "                               min_value, max_value, decimals, aggregation, better, standard)\n"
    "  SELECT new.* FROM new, chk WHERE chk.domain_ok AND chk.change_ok\n"
    "  ON CONFLICT (code) DO UPDATE\n"
    "     SET name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en, unit = EXCLUDED.unit,\n"
    "         domain_code = EXCLUDED.domain_code, frequency = EXCLUDED.frequency,\n"
    "         value_type = EXCLUDED.value_type, min_value = EXCLUDED.min_value,\n"
    "         max_value = EXCLUDED.max_value, decimals = EXCLUDED.decimals,\n"
    "         aggregation = EXCLUDED.aggregation, better = EXCLUDED.better,\n"
    "         standard = EXCLUDED.standard, updated_at = now()\n"
    "   WHERE (i.name_zh, i.name_en, i.unit, i.domain_code, i.frequency, i.value_type, i.min_value,\n"
    "          i.max_value, i.decimals, i.aggregation, i.better, i.standard)\n"
    "         IS DISTINCT FROM\n"
    "         (EXCLUDED.name_zh, EXCLUDED.name_en, EXCLUDED.unit, EXCLUDED.domain_code,\n"
    "          EXCLUDED.frequency, EXCLUDED.value_type, EXCLUDED.min_value, EXCLUDED.max_value,\n"
    "          EXCLUDED.decimals, EXCLUDED.aggregation, EXCLUDED.better, EXCLUDED.standard)\n"
    "  RETURNING (i.xmax = 0) AS created\n"
    "), aud AS (\n"
    "  SELECT rci_audit($15::text, $16::bigint,\n"
    "                   CASE WHEN coalesce(up.created, false) THEN 'indicator.create'\n"
    "                        ELSE 'indicator.update' END,\n"
    "                   $17::text, $18::text,\n"
    "                   jsonb_build_object('indicator', $1::text, 'reason', $14::text,\n"
    "                                      'changed', up.created IS NOT NULL,\n"
    "                                      'before', (SELECT to_jsonb(old) - 'created_at' - 'updated_at'\n"
    "                                                   FROM old),\n"
    "                                      'after', (SELECT to_jsonb(new) FROM new)))\n"
    "  FROM chk LEFT JOIN up ON true\n"
    "  WHERE chk.domain_ok AND chk.change_ok\n"
    ")\n"
    "SELECT chk.domain_ok, chk.change_ok, (SELECT frequency FROM old), (SELECT domain_code FROM old),\n"
    "       coalesce((SELECT created FROM up), false), EXISTS (SELECT 1 FROM up),\n"
    "       (SELECT count(*) FROM aud)\n"
    "FROM chk";

static int stmt_list_indicators = -1, stmt_get_indicator = -1, stmt_put_indicator = -1;

void registry_indicators_register(void)
{
    stmt_list_indicators = rci_store_register("registry_list_indicators", sql_list_indicators, 2);
    stmt_get_indicator = rci_store_register("registry_get_indicator", sql_get_indicator, 1);
    stmt_put_indicator = rci_store_register("registry_put_indicator", sql_put_indicator, 18);
}

/* ---- rows → messages ------------------------------------------------------------ */

/* An Indicator and the wrappers its bounds point to. */
typedef struct indicator_msg {
    Rci__V1__Indicator ind;
    Google__Protobuf__DoubleValue min, max;
} indicator_msg;

/* Fill m from row i of res, columns col.. in INDICATOR_COLUMNS order.
 * Strings point into res. */
static void indicator_from_row(const PGresult *res, int i, int col, indicator_msg *m)
{
    Rci__V1__Indicator *ind = &m->ind;
    rci__v1__indicator__init(ind);
    ind->code = PQgetvalue(res, i, col + 0);
    ind->name_zh = PQgetvalue(res, i, col + 1);
    ind->name_en = PQgetvalue(res, i, col + 2);
    ind->unit = PQgetvalue(res, i, col + 3);
    ind->domain = PQgetvalue(res, i, col + 4);
    ind->frequency = registry_frequency_from_text(PQgetvalue(res, i, col + 5));
    ind->value_type = registry_value_type_from_text(PQgetvalue(res, i, col + 6));
    if (!PQgetisnull(res, i, col + 7)) {
        google__protobuf__double_value__init(&m->min);
        m->min.value = strtod(PQgetvalue(res, i, col + 7), NULL);
        ind->min_value = &m->min;
    }
    if (!PQgetisnull(res, i, col + 8)) {
        google__protobuf__double_value__init(&m->max);
        m->max.value = strtod(PQgetvalue(res, i, col + 8), NULL);
        ind->max_value = &m->max;
    }
    ind->decimals = (int32_t)strtol(PQgetvalue(res, i, col + 9), NULL, 10);
    ind->aggregation = registry_aggregation_from_text(PQgetvalue(res, i, col + 10));
    ind->better = registry_direction_from_text(PQgetvalue(res, i, col + 11));
    ind->standard = PQgetvalue(res, i, col + 12);
}

/* ---- ListIndicators -------------------------------------------------------------- */

static void list_indicators_done(rci_call *call, const PGresult *res)
{
    const Rci__V1__ListIndicatorsRequest *req = rci_call_data(call);
    int nrows = PQntuples(res);
    if (nrows < 1 || PQnfields(res) != 1 + INDICATOR_NCOLS) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the indicators query");
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        rci_call_finish(call, RCI_NOT_FOUND, "no domain with code \"%s\"", req->domain);
        return;
    }
    indicator_msg *msgs = calloc((size_t)nrows, sizeof *msgs);
    Rci__V1__Indicator **ptrs = calloc((size_t)nrows, sizeof *ptrs);
    if (!msgs || !ptrs) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    size_t n = 0;
    for (int i = 0; i < nrows; i++) {
        if (PQgetisnull(res, i, 1))
            continue; /* the LEFT JOIN's empty row */
        indicator_from_row(res, i, 1, &msgs[n]);
        ptrs[n] = &msgs[n].ind;
        n++;
    }
    Rci__V1__ListIndicatorsResponse resp = RCI__V1__LIST_INDICATORS_RESPONSE__INIT;
    resp.n_indicators = n;
    resp.indicators = ptrs;
    rci_call_reply(call, &resp.base);
out:
    free(ptrs);
    free(msgs);
}

static void list_indicators_authed(rci_call *call, const rci_identity *who)
{
    (void)who;
    const Rci__V1__ListIndicatorsRequest *req = rci_call_data(call);
    if (req->domain[0] && !registry_valid_domain_code(req->domain)) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "domain: \"%.32s\" is not a domain code (lowercase letters, digits, _)",
                        req->domain);
        return;
    }
    const char *freq = NULL;
    if (req->frequency != RCI__V1__FREQUENCY__FREQUENCY_UNSPECIFIED &&
        !(freq = registry_frequency_text(req->frequency))) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "frequency: unknown Frequency value %d",
                        req->frequency);
        return;
    }
    const char *params[2] = {req->domain[0] ? req->domain : NULL, freq};
    rci_call_query(call, stmt_list_indicators, params, list_indicators_done);
}

void registry_list_indicators(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    registry_keep_request(call);
    rci_auth(call, list_indicators_authed);
}

/* ---- GetIndicator ------------------------------------------------------------------ */

static void get_indicator_done(rci_call *call, const PGresult *res)
{
    const Rci__V1__GetIndicatorRequest *req = rci_call_data(call);
    if (PQnfields(res) != INDICATOR_NCOLS || PQntuples(res) > 1) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the indicator query");
        return;
    }
    if (PQntuples(res) == 0) {
        rci_call_finish(call, RCI_NOT_FOUND, "no indicator with code \"%s\"", req->code);
        return;
    }
    indicator_msg m;
    indicator_from_row(res, 0, 0, &m);
    rci_call_reply(call, &m.ind.base);
}

static void get_indicator_authed(rci_call *call, const rci_identity *who)
{
    (void)who;
    const Rci__V1__GetIndicatorRequest *req = rci_call_data(call);
    if (req->code[0] == '\0') {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "code: required (an indicator code, e.g. "
                        "\"air.pm25_mean\")");
        return;
    }
    if (!registry_valid_indicator_code(req->code)) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "code: \"%.64s\" is not an indicator code (lowercase letters, digits, "
                        "'_' and '.', starting with a letter)",
                        req->code);
        return;
    }
    const char *params[1] = {req->code};
    rci_call_query(call, stmt_get_indicator, params, get_indicator_done);
}

void registry_get_indicator(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    registry_keep_request(call);
    rci_auth(call, get_indicator_authed);
}

/* ---- PutIndicator -------------------------------------------------------------------- */

/* What the put handler keeps across its query: the request, and the
 * bounds as stored (a percent's defaults filled in). */
typedef struct put_ctx {
    Rci__V1__PutIndicatorRequest *req;
    registry_bounds bounds;
} put_ctx;

static void put_ctx_free(void *arg)
{
    put_ctx *ctx = arg;
    if (ctx->req)
        protobuf_c_message_free_unpacked(&ctx->req->base, NULL);
    free(ctx);
}

static void put_indicator_done(rci_call *call, const PGresult *res)
{
    const put_ctx *ctx = rci_call_data(call);
    const Rci__V1__Indicator *ind = ctx->req->indicator;
    if (PQntuples(res) != 1 || PQnfields(res) != 7) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the indicator upsert");
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        rci_violations vs = {0};
        rci_violations_add(&vs, -1, "indicator.domain",
                           "no such domain: \"%s\" (ListDomains lists them)", ind->domain);
        rci_call_fail_violations(call, RCI_INVALID_ARGUMENT, "invalid indicator", "indicator",
                                 &vs);
        rci_violations_free(&vs);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
        rci_call_finish(call, RCI_FAILED_PRECONDITION,
                        "indicator \"%s\" already has values: its frequency (%s) and domain (%s) "
                        "cannot change",
                        ind->code, PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3));
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 6), "1") != 0) {
        rci_call_finish(call, RCI_INTERNAL, "the indicator was written without its audit row");
        return;
    }
    /* The answer is the definition as stored: the request as checked, with
     * the bounds as written (a percent's defaults filled in). */
    Rci__V1__Indicator out = *ind;
    Google__Protobuf__DoubleValue min = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;
    Google__Protobuf__DoubleValue max = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;
    out.min_value = out.max_value = NULL;
    if (ctx->bounds.min[0]) {
        min.value = strtod(ctx->bounds.min, NULL);
        out.min_value = &min;
    }
    if (ctx->bounds.max[0]) {
        max.value = strtod(ctx->bounds.max, NULL);
        out.max_value = &max;
    }
    rci_call_reply(call, &out.base);
}

static void put_indicator_authed(rci_call *call, const rci_identity *who)
{
    put_ctx *ctx = rci_call_data(call);
    const Rci__V1__PutIndicatorRequest *req = ctx->req;
    const Rci__V1__Indicator *ind = req->indicator;
    rci_violations vs = {0};
    registry_check_indicator(ind, &vs, &ctx->bounds);
    if (strlen(req->reason) > REGISTRY_REASON_MAX)
        rci_violations_add(&vs, -1, "reason", "too long (%zu bytes, at most %d)",
                           strlen(req->reason), REGISTRY_REASON_MAX);
    if (vs.n) {
        rci_call_fail_violations(call, RCI_INVALID_ARGUMENT, "invalid indicator", "indicator",
                                 &vs);
        rci_violations_free(&vs);
        return;
    }
    char decimals[16];
    snprintf(decimals, sizeof decimals, "%d", ind->decimals);
    registry_audit au;
    registry_audit_fill(&au, call, who);
    const char *params[18] = {
        ind->code,
        ind->name_zh,
        ind->name_en,
        ind->unit,
        ind->domain,
        registry_frequency_text(ind->frequency),
        registry_value_type_text(ind->value_type),
        ctx->bounds.min[0] ? ctx->bounds.min : NULL,
        ctx->bounds.max[0] ? ctx->bounds.max : NULL,
        decimals,
        registry_aggregation_text(ind->aggregation),
        registry_direction_text(ind->better),
        ind->standard,
        req->reason,
        au.agency,
        au.token_id,
        au.request_id,
        au.peer,
    };
    rci_call_query(call, stmt_put_indicator, params, put_indicator_done);
}

void registry_put_indicator(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    put_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    ctx->req = (Rci__V1__PutIndicatorRequest *)rci_call_take_request(call);
    rci_call_set_data(call, ctx, put_ctx_free);
    rci_auth_admin(call, put_indicator_authed);
}
