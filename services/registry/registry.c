/* registry.c: rci.v1.RegistryService — the method table and init, and
 * ListRegions: request validation, its one SQL statement, and the rows
 * turned into Region messages. Also the helpers the service's other files
 * share (internal.h). Agencies and domains are in agencies.c, indicator
 * definitions in indicators.c.
 *
 * ListRegions needs no token: the regions are public reference data. They
 * change only with a migration (no RPC writes them), so each loop keeps the
 * answer of each (kind, circle) asked for REGIONS_CACHE_SEC seconds and
 * serves it without a query while the database is up; an operator's edit
 * in SQL shows within that.
 *
 * Tables (migrations/0001_regions.sql): regions, circle_members. */
#include "registry/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform/call.h"
#include "platform/dispatch.h"
#include "platform/loop.h"
#include "platform/store.h"
#include "rci/v1/registry.pb-c.h"
#include "registry/internal.h"

/* ---- helpers (internal.h) -------------------------------------------------- */

char **registry_split_codes(char *list, size_t *n)
{
    *n = 0;
    if (list[0] == '\0')
        return NULL;
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    char **out = malloc(cap * sizeof *out);
    if (!out)
        return NULL;
    char *save = NULL; /* strtok_r: loops run on several threads */
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        out[(*n)++] = tok;
    return out;
}

static void free_request(void *req)
{
    protobuf_c_message_free_unpacked(req, NULL);
}

const ProtobufCMessage *registry_keep_request(rci_call *call)
{
    ProtobufCMessage *req = rci_call_take_request(call);
    rci_call_set_data(call, req, free_request);
    return req;
}

void registry_audit_fill(registry_audit *a, rci_call *call, const rci_identity *who)
{
    a->agency = who->agency_code[0] ? who->agency_code : NULL;
    snprintf(a->token_id, sizeof a->token_id, "%lld", (long long)who->token_id);
    a->request_id[0] = '\0';
    const char *id = rci_call_header(call, "x-request-id");
    if (id && strlen(id) < sizeof a->request_id) {
        size_t i = 0;
        while (id[i] > 0x20 && id[i] < 0x7f)
            i++;
        if (id[i] == '\0')
            memcpy(a->request_id, id, i + 1);
    }
    a->peer = rci_call_peer(call);
}

/* ---- ListRegions ------------------------------------------------------------- */

/* $1 kind filter (text or NULL), $2 circle filter (text or NULL).
 * The first column says whether $2 names a circle, so one round trip tells
 * "unknown circle" from "no rows"; a LEFT JOIN keeps that row even when no
 * region matches (its code is then NULL). */
static const char sql_list_regions[] =
    "WITH q AS (SELECT EXISTS (SELECT 1 FROM regions WHERE code = $2 AND kind = 'circle') AS circle_ok)\n"
    "SELECT q.circle_ok, r.code, r.kind, r.name_zh, r.name_en, r.parent_code, r.members, r.circles\n"
    "FROM q LEFT JOIN LATERAL (\n"
    "  SELECT g.code, g.kind, g.name_zh, g.name_en, coalesce(g.parent_code, '') AS parent_code,\n"
    "         coalesce((SELECT string_agg(m.city_code, ',' ORDER BY m.city_code)\n"
    "                   FROM circle_members m WHERE m.circle_code = g.code), '') AS members,\n"
    "         coalesce((SELECT string_agg(m.circle_code, ',' ORDER BY m.circle_code)\n"
    "                   FROM circle_members m WHERE m.city_code = g.code), '') AS circles,\n"
    "         array_position(ARRAY['province','circle','city','district'], g.kind) AS kind_order\n"
    "  FROM regions g\n"
    "  WHERE ($1::text IS NULL OR g.kind = $1)\n"
    "    AND ($2::text IS NULL OR g.code IN (SELECT city_code FROM circle_members WHERE circle_code = $2))\n"
    ") r ON true\n"
    "ORDER BY r.kind_order, r.code";

static int stmt_list_regions = -1;

/* ---- the per-loop cache of answers ---------------------------------------------- */

#define REGIONS_CACHE_SEC 60
#define REGIONS_CACHE_SLOTS 16      /* 5 kinds × (no circle + 3 circles) fit */
#define CIRCLE_MAX 32

typedef struct regions_entry {
    int kind;                    /* the request's RegionKind */
    char circle[CIRCLE_MAX + 1]; /* "" for none */
    long long until;             /* CLOCK_MONOTONIC seconds */
    PGresult *res;               /* a copy of the query's result, owned */
} regions_entry;

static _Thread_local regions_entry regions_cache[REGIONS_CACHE_SLOTS];

static long long mono_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static const PGresult *regions_cached(int kind, const char *circle)
{
    long long now = mono_sec();
    for (int i = 0; i < REGIONS_CACHE_SLOTS; i++) {
        const regions_entry *e = &regions_cache[i];
        if (e->res && e->kind == kind && strcmp(e->circle, circle) == 0 && now < e->until)
            return e->res;
    }
    return NULL;
}

/* Keep a copy of res for (kind, circle), in the slot it had, a free one or
 * the one that expires first. Out of memory only means no caching. */
static void regions_remember(int kind, const char *circle, const PGresult *res)
{
    regions_entry *slot = &regions_cache[0];
    for (int i = 0; i < REGIONS_CACHE_SLOTS; i++) {
        regions_entry *e = &regions_cache[i];
        if (!e->res || (e->kind == kind && strcmp(e->circle, circle) == 0)) {
            slot = e;
            break;
        }
        if (e->until < slot->until)
            slot = e;
    }
    PGresult *copy = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    if (!copy)
        return;
    PQclear(slot->res);
    slot->res = copy;
    slot->kind = kind;
    snprintf(slot->circle, sizeof slot->circle, "%s", circle);
    slot->until = mono_sec() + REGIONS_CACHE_SEC;
}

static void regions_cache_free(void)
{
    for (int i = 0; i < REGIONS_CACHE_SLOTS; i++) {
        PQclear(regions_cache[i].res);
        regions_cache[i].res = NULL;
    }
}

/* RegionKind ↔ the kind column. Index = enum value. */
static const char *const kind_names[] = {NULL, "province", "circle", "city", "district"};

static Rci__V1__RegionKind kind_from_text(const char *s)
{
    for (int i = 1; i < 5; i++)
        if (strcmp(kind_names[i], s) == 0)
            return (Rci__V1__RegionKind)i;
    return RCI__V1__REGION_KIND__REGION_KIND_UNSPECIFIED;
}

/* A circle code is a short ASCII slug (DESIGN §6), the same CHECK as the table. */
static int valid_circle_code(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 32 || s[0] < 'a' || s[0] > 'z')
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* Build the response from the rows; strings point into res (valid during
 * the call), arrays are freed before returning. */
static void list_regions_answer(rci_call *call, const char *circle, const PGresult *res)
{
    int nrows = PQntuples(res);
    if (circle[0] && strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        rci_call_finish(call, RCI_NOT_FOUND, "no circle with code \"%s\"", circle);
        return;
    }
    Rci__V1__Region *regions = calloc((size_t)nrows, sizeof *regions);
    Rci__V1__Region **ptrs = calloc((size_t)nrows, sizeof *ptrs);
    char **lists = calloc((size_t)nrows * 2, sizeof *lists);
    size_t n = 0;
    if (!regions || !ptrs || !lists) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    for (int i = 0; i < nrows; i++) {
        if (PQgetisnull(res, i, 1))
            continue; /* the LEFT JOIN's empty row */
        Rci__V1__Region *r = &regions[n];
        rci__v1__region__init(r);
        r->code = PQgetvalue(res, i, 1);
        r->kind = kind_from_text(PQgetvalue(res, i, 2));
        r->name_zh = PQgetvalue(res, i, 3);
        r->name_en = PQgetvalue(res, i, 4);
        r->parent_code = PQgetvalue(res, i, 5);
        lists[2 * n] = strdup(PQgetvalue(res, i, 6));
        lists[2 * n + 1] = strdup(PQgetvalue(res, i, 7));
        if (!lists[2 * n] || !lists[2 * n + 1]) {
            rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
            n++;
            goto out;
        }
        r->member_codes = registry_split_codes(lists[2 * n], &r->n_member_codes);
        r->circle_codes = registry_split_codes(lists[2 * n + 1], &r->n_circle_codes);
        ptrs[n] = r;
        n++;
    }
    Rci__V1__ListRegionsResponse resp = RCI__V1__LIST_REGIONS_RESPONSE__INIT;
    resp.n_regions = n;
    resp.regions = ptrs;
    rci_call_reply(call, &resp.base);
out:
    for (size_t i = 0; i < n && regions; i++) {
        free(regions[i].member_codes);
        free(regions[i].circle_codes);
    }
    for (size_t i = 0; lists && i < 2 * n; i++)
        free(lists[i]);
    free(lists);
    free(ptrs);
    free(regions);
}

/* What list_regions keeps across the query: the request's key. */
typedef struct regions_key {
    int kind;
    char circle[CIRCLE_MAX + 1];
} regions_key;

static void list_regions_done(rci_call *call, const PGresult *res)
{
    const regions_key *key = rci_call_data(call);
    if (PQntuples(res) < 1 || PQnfields(res) != 8) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the regions query");
        return;
    }
    regions_remember(key->kind, key->circle, res);
    list_regions_answer(call, key->circle, res);
}

static void list_regions(rci_call *call, const ProtobufCMessage *msg)
{
    const Rci__V1__ListRegionsRequest *req = (const void *)msg;
    if (req->kind < 0 || req->kind > RCI__V1__REGION_KIND__REGION_KIND_DISTRICT) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "kind: unknown RegionKind value %d", req->kind);
        return;
    }
    const char *circle = NULL;
    if (req->circle[0] != '\0') {
        if (!valid_circle_code(req->circle)) {
            rci_call_finish(call, RCI_INVALID_ARGUMENT,
                            "circle: \"%.64s\" is not a circle code (lowercase letters, digits, _)",
                            req->circle);
            return;
        }
        circle = req->circle;
    }
    /* Only while the database is up: every RPC answers UNAVAILABLE alike
     * when it is not, which is what health and operators go by. */
    rci_loop *loop = rci_loop_current();
    const PGresult *hit = loop && rci_store_is_up(loop->store)
                              ? regions_cached(req->kind, circle ? circle : "")
                              : NULL;
    if (hit) {
        list_regions_answer(call, circle ? circle : "", hit);
        return;
    }
    regions_key *key = calloc(1, sizeof *key);
    if (!key) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    key->kind = req->kind;
    snprintf(key->circle, sizeof key->circle, "%s", circle ? circle : "");
    rci_call_set_data(call, key, free);
    const char *params[2] = {kind_names[req->kind], circle};
    rci_call_query(call, stmt_list_regions, params, list_regions_done);
}

/* ---- wiring ---------------------------------------------------------------- */

static const rci_method registry_methods[] = {
    {"/rci.v1.RegistryService/ListRegions", &rci__v1__list_regions_request__descriptor,
     list_regions, NULL},
    {"/rci.v1.RegistryService/ListDomains", &rci__v1__list_domains_request__descriptor,
     registry_list_domains, NULL},
    {"/rci.v1.RegistryService/ListAgencies", &rci__v1__list_agencies_request__descriptor,
     registry_list_agencies, NULL},
    {"/rci.v1.RegistryService/CreateAgency", &rci__v1__create_agency_request__descriptor,
     registry_create_agency, NULL},
    {"/rci.v1.RegistryService/ListIndicators", &rci__v1__list_indicators_request__descriptor,
     registry_list_indicators, NULL},
    {"/rci.v1.RegistryService/GetIndicator", &rci__v1__get_indicator_request__descriptor,
     registry_get_indicator, NULL},
    {"/rci.v1.RegistryService/PutIndicator", &rci__v1__put_indicator_request__descriptor,
     registry_put_indicator, NULL},
};

int rci_registry_init(char *err, size_t errlen)
{
    stmt_list_regions = rci_store_register("registry_list_regions", sql_list_regions, 2);
    rci_loop_at_exit(regions_cache_free);
    registry_agencies_register();
    registry_indicators_register();
    return rci_dispatch_register(registry_methods,
                                 sizeof registry_methods / sizeof registry_methods[0], err, errlen);
}
