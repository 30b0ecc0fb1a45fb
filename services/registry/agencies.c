/* agencies.c: rci.v1.RegistryService/ListDomains, ListAgencies and
 * CreateAgency — the reporting domains and the agencies that report in them.
 *
 * The path of CreateAgency:
 *   on_request           keep the request, resolve the token (admin only)
 *   create_agency_authed check the fields (validate.c); one statement checks
 *                        the city and the domains, inserts the agency and its
 *                        domains, and writes the audit row — all or nothing
 *   create_agency_done   INVALID_ARGUMENT (city, domains), ALREADY_EXISTS, or
 *                        the agency as stored
 *
 * Tables (migrations/0002_registry.sql): domains, agencies, agency_domains;
 * rci_audit from migrations/0003_identity.sql. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/auth.h"
#include "platform/call.h"
#include "platform/store.h"
#include "platform/violations.h"
#include "rci/v1/registry.pb-c.h"
#include "registry/internal.h"
#include "registry/validate.h"

static const char sql_list_domains[] =
    "SELECT code, name_zh, name_en FROM domains ORDER BY code";

/* $1 city filter, $2 domain filter (text or NULL). The first two columns
 * say whether the filters name a region and a domain that exist, so one
 * round trip tells "unknown" from "no rows"; the LEFT JOIN keeps that row
 * when no agency matches (its code is then NULL). */
static const char sql_list_agencies[] =
    "WITH q AS (SELECT ($1::text IS NULL OR EXISTS (SELECT 1 FROM regions WHERE code = $1)) AS city_ok,\n"
    "                  ($2::text IS NULL OR EXISTS (SELECT 1 FROM domains WHERE code = $2)) AS domain_ok)\n"
    "SELECT q.city_ok, q.domain_ok, a.code, a.city_code, a.name_zh, a.name_en, a.domains\n"
    "FROM q LEFT JOIN LATERAL (\n"
    "  SELECT g.code, g.city_code, g.name_zh, g.name_en,\n"
    "         coalesce((SELECT string_agg(d.domain_code, ',' ORDER BY d.domain_code)\n"
    "                   FROM agency_domains d WHERE d.agency_code = g.code), '') AS domains\n"
    "  FROM agencies g\n"
    "  WHERE ($1::text IS NULL OR g.city_code = $1)\n"
    "    AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM agency_domains d\n"
    "                                     WHERE d.agency_code = g.code AND d.domain_code = $2))\n"
    ") a ON q.city_ok AND q.domain_ok\n"
    "ORDER BY a.city_code, a.code";

/* $1 code, $2 city, $3 name_zh, $4 name_en, $5 domains (text[] literal);
 * audit: $6 agency (NULL for an admin-only token), $7 token id, $8 request
 * id, $9 peer. One row: the city's kind ('' if no such region), the unknown
 * domains (comma-separated, '' if none), whether the agency was created
 * (false: the code is taken), how many audit rows were written, and the
 * domains stored. Nothing is written unless the city is a city or the
 * province and every domain exists. The agency rows inserted by the CTE
 * satisfy agency_domains' foreign key: it is checked at the end of the
 * statement. */
static const char sql_create_agency[] =
    "WITH chk AS (\n"
    "  SELECT (SELECT kind FROM regions WHERE code = $2::text) AS city_kind,\n"
    "         (SELECT string_agg(u.d, ',' ORDER BY u.o)\n"
    "            FROM unnest($5::text[]) WITH ORDINALITY AS u (d, o)\n"
    "           WHERE NOT EXISTS (SELECT 1 FROM domains WHERE code = u.d)) AS unknown_domains\n"
    "), ins AS (\n"
    "  INSERT INTO agencies (code, city_code, name_zh, name_en)\n"
    "  SELECT $1::text, $2::text, $3::text, $4::text FROM chk\n"
    "   WHERE chk.city_kind IN ('city', 'province') AND chk.unknown_domains IS NULL\n"
    "  ON CONFLICT (code) DO NOTHING\n"
    "  RETURNING code, city_code, name_zh, name_en\n"
    "), dom AS (\n"
    "  INSERT INTO agency_domains (agency_code, domain_code)\n"
    "  SELECT ins.code, u.d FROM ins CROSS JOIN unnest($5::text[]) AS u (d)\n"
    "  RETURNING domain_code\n"
    "), aud AS (\n"
    "  SELECT rci_audit($6::text, $7::bigint, 'agency.create', $8::text, $9::text,\n"
    "                   jsonb_build_object('agency', ins.code, 'city_code', ins.city_code,\n"
    "                                      'name_zh', ins.name_zh, 'name_en', ins.name_en,\n"
    "                                      'domains', to_jsonb($5::text[])))\n"
    "  FROM ins\n"
    ")\n"
    "SELECT coalesce(chk.city_kind, ''), coalesce(chk.unknown_domains, ''),\n"
    "       EXISTS (SELECT 1 FROM ins), (SELECT count(*) FROM aud),\n"
    "       coalesce((SELECT string_agg(domain_code, ',' ORDER BY domain_code) FROM dom), '')\n"
    "FROM chk";

static int stmt_list_domains = -1, stmt_list_agencies = -1, stmt_create_agency = -1;

void registry_agencies_register(void)
{
    stmt_list_domains = rci_store_register("registry_list_domains", sql_list_domains, 0);
    stmt_list_agencies = rci_store_register("registry_list_agencies", sql_list_agencies, 2);
    stmt_create_agency = rci_store_register("registry_create_agency", sql_create_agency, 9);
}

/* ---- ListDomains ---------------------------------------------------------------- */

static void list_domains_done(rci_call *call, const PGresult *res)
{
    int nrows = PQntuples(res);
    if (PQnfields(res) != 3) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the domains query");
        return;
    }
    Rci__V1__Domain *domains = calloc((size_t)nrows + 1, sizeof *domains);
    Rci__V1__Domain **ptrs = calloc((size_t)nrows + 1, sizeof *ptrs);
    if (!domains || !ptrs) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    for (int i = 0; i < nrows; i++) {
        rci__v1__domain__init(&domains[i]);
        domains[i].code = PQgetvalue(res, i, 0);
        domains[i].name_zh = PQgetvalue(res, i, 1);
        domains[i].name_en = PQgetvalue(res, i, 2);
        ptrs[i] = &domains[i];
    }
    Rci__V1__ListDomainsResponse resp = RCI__V1__LIST_DOMAINS_RESPONSE__INIT;
    resp.n_domains = (size_t)nrows;
    resp.domains = ptrs;
    rci_call_reply(call, &resp.base);
out:
    free(ptrs);
    free(domains);
}

static void list_domains_authed(rci_call *call, const rci_identity *who)
{
    (void)who;
    rci_call_query(call, stmt_list_domains, NULL, list_domains_done);
}

void registry_list_domains(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    rci_auth(call, list_domains_authed);
}

/* ---- ListAgencies ------------------------------------------------------------------ */

/* Agency messages for rows [first, nrows) of res, columns col.. (code,
 * city_code, name_zh, name_en, domains); rows whose code is NULL are
 * skipped. Strings point into res; *lists holds the copies the domain
 * arrays point into. Returns the number filled, or -1 on out of memory. */
static int agencies_from_rows(const PGresult *res, int col, Rci__V1__Agency *out,
                              Rci__V1__Agency **ptrs, char **lists)
{
    int n = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        if (PQgetisnull(res, i, col))
            continue;
        Rci__V1__Agency *a = &out[n];
        rci__v1__agency__init(a);
        a->code = PQgetvalue(res, i, col);
        a->city_code = PQgetvalue(res, i, col + 1);
        a->name_zh = PQgetvalue(res, i, col + 2);
        a->name_en = PQgetvalue(res, i, col + 3);
        lists[n] = strdup(PQgetvalue(res, i, col + 4));
        if (!lists[n])
            return -1;
        a->domains = registry_split_codes(lists[n], &a->n_domains);
        ptrs[n] = a;
        n++;
    }
    return n;
}

static void list_agencies_done(rci_call *call, const PGresult *res)
{
    const Rci__V1__ListAgenciesRequest *req = rci_call_data(call);
    int nrows = PQntuples(res);
    if (nrows < 1 || PQnfields(res) != 7) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the agencies query");
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        rci_call_finish(call, RCI_NOT_FOUND, "no region with code \"%s\"", req->city_code);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
        rci_call_finish(call, RCI_NOT_FOUND, "no domain with code \"%s\"", req->domain);
        return;
    }
    Rci__V1__Agency *agencies = calloc((size_t)nrows, sizeof *agencies);
    Rci__V1__Agency **ptrs = calloc((size_t)nrows, sizeof *ptrs);
    char **lists = calloc((size_t)nrows, sizeof *lists);
    int n = 0;
    if (!agencies || !ptrs || !lists ||
        (n = agencies_from_rows(res, 2, agencies, ptrs, lists)) < 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
    } else {
        Rci__V1__ListAgenciesResponse resp = RCI__V1__LIST_AGENCIES_RESPONSE__INIT;
        resp.n_agencies = (size_t)n;
        resp.agencies = ptrs;
        rci_call_reply(call, &resp.base);
    }
    for (int i = 0; lists && agencies && i < nrows; i++) {
        free(agencies[i].domains);
        free(lists[i]);
    }
    free(lists);
    free(ptrs);
    free(agencies);
}

static void list_agencies_authed(rci_call *call, const rci_identity *who)
{
    (void)who;
    const Rci__V1__ListAgenciesRequest *req = rci_call_data(call);
    if (req->city_code[0] && !registry_valid_region_code(req->city_code)) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "city_code: \"%.32s\" is not a GB/T 2260 code (six digits, e.g. \"441300\")",
                        req->city_code);
        return;
    }
    if (req->domain[0] && !registry_valid_domain_code(req->domain)) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "domain: \"%.32s\" is not a domain code (lowercase letters, digits, _)",
                        req->domain);
        return;
    }
    const char *params[2] = {req->city_code[0] ? req->city_code : NULL,
                             req->domain[0] ? req->domain : NULL};
    rci_call_query(call, stmt_list_agencies, params, list_agencies_done);
}

void registry_list_agencies(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    registry_keep_request(call);
    rci_auth(call, list_agencies_authed);
}

/* ---- CreateAgency -------------------------------------------------------------------- */

static void create_agency_done(rci_call *call, const PGresult *res)
{
    const Rci__V1__CreateAgencyRequest *req = rci_call_data(call);
    const Rci__V1__Agency *a = req->agency;
    if (PQntuples(res) != 1 || PQnfields(res) != 5) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the agency insert");
        return;
    }
    const char *city_kind = PQgetvalue(res, 0, 0);
    const char *unknown = PQgetvalue(res, 0, 1);
    rci_violations vs = {0};
    if (city_kind[0] == '\0')
        rci_violations_add(&vs, -1, "agency.city_code", "no region with code \"%s\"",
                           a->city_code);
    else if (strcmp(city_kind, "city") != 0 && strcmp(city_kind, "province") != 0)
        rci_violations_add(&vs, -1, "agency.city_code",
                           "\"%s\" is a %s: an agency belongs to a city or to the province",
                           a->city_code, city_kind);
    if (unknown[0])
        rci_violations_add(&vs, -1, "agency.domains", "no such domain: %s (ListDomains lists them)",
                           unknown);
    if (vs.n) {
        rci_call_fail_violations(call, RCI_INVALID_ARGUMENT, "invalid agency", "agency", &vs);
        rci_violations_free(&vs);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 2), "t") != 0) {
        rci_call_finish(call, RCI_ALREADY_EXISTS, "an agency with code \"%s\" already exists",
                        a->code);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 3), "1") != 0) {
        /* rci_audit returned no row: nothing may be written unaudited. */
        rci_call_finish(call, RCI_INTERNAL, "the agency was written without its audit row");
        return;
    }
    char *list = strdup(PQgetvalue(res, 0, 4));
    Rci__V1__Agency out = *a;  /* as validated and stored; domains in code order */
    out.domains = list ? registry_split_codes(list, &out.n_domains) : NULL;
    if (!list || (out.n_domains == 0 && a->n_domains > 0))
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
    else
        rci_call_reply(call, &out.base);
    free(out.domains);
    free(list);
}

/* "{a,b}" for the domain codes (validated: no quoting needed); malloc'd. */
static char *text_array(char **items, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + 1;
    char *out = malloc(len);
    if (!out)
        return NULL;
    size_t off = 0;
    out[off++] = '{';
    for (size_t i = 0; i < n; i++)
        off += (size_t)sprintf(out + off, "%s%s", i ? "," : "", items[i]);
    out[off++] = '}';
    out[off] = '\0';
    return out;
}

static void create_agency_authed(rci_call *call, const rci_identity *who)
{
    const Rci__V1__CreateAgencyRequest *req = rci_call_data(call);
    const Rci__V1__Agency *a = req->agency;
    rci_violations vs = {0};
    if (registry_check_agency(a, &vs) > 0) {
        rci_call_fail_violations(call, RCI_INVALID_ARGUMENT, "invalid agency", "agency", &vs);
        rci_violations_free(&vs);
        return;
    }
    char *domains = text_array(a->domains, a->n_domains);
    if (!domains) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    registry_audit au;
    registry_audit_fill(&au, call, who);
    const char *params[9] = {a->code,  a->city_code, a->name_zh,     a->name_en, domains,
                             au.agency, au.token_id, au.request_id, au.peer};
    rci_call_query(call, stmt_create_agency, params, create_agency_done);
    free(domains);
}

void registry_create_agency(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    registry_keep_request(call);
    rci_auth_admin(call, create_agency_authed);
}
