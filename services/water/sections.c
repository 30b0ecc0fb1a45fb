/* sections.c: the section registry — ListSections (any valid token) and
 * PutSection (admin: add a section or change its target class, monitor or
 * tolerances, audited in the same transaction by rci_water_put_section,
 * migrations/0013_water.sql). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/auth.h"
#include "platform/call.h"
#include "platform/store.h"
#include "water/water_internal.h"

#define REASON_MAX 1000

/* $1 city ('' for all), $2 section code ('' for all). */
static const char sql_list[] =
    "SELECT " RCI_WATER_SECTION_COLS "\n"
    "  FROM water_sections s\n"
    " WHERE ($1 = '' OR $1 = ANY (s.cities)) AND ($2 = '' OR s.code = $2)\n"
    " ORDER BY s.code";

static const char sql_put[] =
    "SELECT rci_water_put_section($1::bigint, $2, $3, $4, $5, $6, $7, $8, nullif($9, ''),\n"
    "       nullif($10, ''), $11::text[], $12::float8, $13::float8, $14, $15::boolean, $16, $17,\n"
    "       $18::text[], $19::numeric[])";

static int stmt_list = -1, stmt_put = -1;

int rci_water_stmt_sections(void)
{
    return stmt_list;
}

/* ---- ListSections ------------------------------------------------------------ */

int rci_water_reply_sections(rci_call *call, const PGresult *res, int only_one)
{
    int n = PQntuples(res);
    rci_water_arena a = {0};
    rci_water_section *secs = calloc((size_t)(n ? n : 1), sizeof *secs);
    Rci__V1__Section *msgs = calloc((size_t)(n ? n : 1), sizeof *msgs);
    Rci__V1__Section **ptrs = calloc((size_t)(n ? n : 1), sizeof *ptrs);
    int ok = secs && msgs && ptrs;
    for (int i = 0; ok && i < n; i++) {
        ok = rci_water_section_load(&secs[i], res, i, 0) == 0 &&
             rci_water_section_message(&a, &secs[i], &msgs[i]) == 0;
        ptrs[i] = &msgs[i];
    }
    if (!ok) {
        rci_call_finish(call, RCI_INTERNAL, "could not read the sections");
    } else if (only_one) {
        rci_call_reply(call, &msgs[0].base);
    } else {
        Rci__V1__ListSectionsResponse resp = RCI__V1__LIST_SECTIONS_RESPONSE__INIT;
        resp.n_sections = (size_t)n;
        resp.sections = ptrs;
        rci_call_reply(call, &resp.base);
    }
    free(ptrs);
    free(msgs);
    free(secs);
    rci_water_arena_free(&a);
    return 0;
}

static void list_done(rci_call *call, const PGresult *res)
{
    rci_water_reply_sections(call, res, 0);
}

static void list_authed(rci_call *call, const rci_identity *who)
{
    (void)who;
    const char *city = rci_call_data(call);
    const char *params[2] = {city, ""};
    rci_call_query(call, stmt_list, params, list_done);
}

static void list_sections(rci_call *call, const ProtobufCMessage *msg)
{
    const Rci__V1__ListSectionsRequest *req = (const void *)msg;
    if (strlen(req->city) > 15) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "city: a GB/T 2260 code such as 441300");
        return;
    }
    char *city = strdup(req->city);
    if (!city) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    rci_call_set_data(call, city, free);
    rci_auth(call, list_authed);
}

/* ---- PutSection ----------------------------------------------------------------- */

typedef struct put_ctx {
    Rci__V1__PutSectionRequest *req;
    char code[RCI_WATER_CODE_MAX + 1];
    char *border, *tol_params, *tol_values;   /* array literals, malloc'd */
} put_ctx;

static void put_ctx_free(void *arg)
{
    put_ctx *ctx = arg;
    if (ctx->req)
        protobuf_c_message_free_unpacked(&ctx->req->base, NULL);
    free(ctx->border);
    free(ctx->tol_params);
    free(ctx->tol_values);
    free(ctx);
}

static int code_ok(const char *c)
{
    size_t n = strlen(c);
    if (n == 0 || n > RCI_WATER_CODE_MAX || c[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= '0' && c[i] <= '9') || c[i] == '-'))
            return 0;
    return 1;
}

static int digits6(const char *c)
{
    if (strlen(c) != 6)
        return 0;
    for (int i = 0; i < 6; i++)
        if (c[i] < '0' || c[i] > '9')
            return 0;
    return 1;
}

static int text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n > 0 && n <= max;
}

/* Every check PutSection makes before the database; violations name the
 * field. Array literals for the tolerances are built on the way. */
static void put_validate(put_ctx *ctx, rci_violations *vs)
{
    const Rci__V1__Section *s = ctx->req->section;
    if (!s) {
        rci_violations_add(vs, -1, "section", "required");
        return;
    }
    if (!code_ok(s->code))
        rci_violations_add(vs, -1, "code",
                           "1 to %d characters of a-z, 0-9 and '-', not starting with '-'",
                           RCI_WATER_CODE_MAX);
    if (!text_ok(s->name_zh, 64))
        rci_violations_add(vs, -1, "name_zh", "required, at most 64 bytes");
    if (!text_ok(s->name_en, 128))
        rci_violations_add(vs, -1, "name_en", "required, at most 128 bytes");
    if (!text_ok(s->river, 64))
        rci_violations_add(vs, -1, "river", "required, at most 64 bytes");
    if (!text_ok(s->basin, 64))
        rci_violations_add(vs, -1, "basin", "required, at most 64 bytes");
    int pair = s->upstream_city[0] || s->downstream_city[0];
    if (pair) {
        if (!digits6(s->upstream_city) || !digits6(s->downstream_city) ||
            strcmp(s->upstream_city, s->downstream_city) == 0 || s->n_border_cities)
            rci_violations_add(vs, -1, "upstream_city",
                               "an upstream and a different downstream city (GB/T 2260 codes), "
                               "and no border cities");
    } else if (s->n_border_cities != 2 || !digits6(s->border_cities[0]) ||
               !digits6(s->border_cities[1]) ||
               strcmp(s->border_cities[0], s->border_cities[1]) == 0) {
        rci_violations_add(vs, -1, "border_cities",
                           "two different cities (GB/T 2260 codes) sharing the river, or an "
                           "upstream and a downstream city");
    }
    if (!(s->latitude >= -90 && s->latitude <= 90) || !(s->longitude >= -180 && s->longitude <= 180))
        rci_violations_add(vs, -1, "latitude", "latitude -90..90 and longitude -180..180");
    rci_wq_class t = rci_wq_class_parse(s->target_class);
    if (t == RCI_WQ_CLASS_NONE || t == RCI_WQ_CLASS_WORSE_V)
        rci_violations_add(vs, -1, "target_class", "one of I, II, III, IV, V");
    if (!text_ok(s->monitor_agency, 64))
        rci_violations_add(vs, -1, "monitor_agency", "required: the agency whose sample decides");
    rci_wq_kind k;
    if (rci_wq_kind_from_name(s->kind, &k) != 0)
        rci_violations_add(vs, -1, "kind", "\"river\" or \"lake\"");
    if (strlen(ctx->req->reason) > REASON_MAX)
        rci_violations_add(vs, -1, "reason", "at most %d bytes", REASON_MAX);

    size_t n = s->n_tolerances;
    size_t cap = 4 + n * 48;
    ctx->tol_params = malloc(cap);
    ctx->tol_values = malloc(cap);
    if (!ctx->tol_params || !ctx->tol_values) {
        rci_violations_add(vs, -1, "tolerances", "out of memory");
        return;
    }
    size_t up = 0, uv = 0;
    int seen[RCI_WQ_PARAM_COUNT] = {0};
    up += (size_t)snprintf(ctx->tol_params + up, cap - up, "{");
    uv += (size_t)snprintf(ctx->tol_values + uv, cap - uv, "{");
    for (size_t i = 0; i < n; i++) {
        const Rci__V1__ParamTolerance *pt = s->tolerances[i];
        const rci_wq_param *pm = rci_wq_param_find(pt->parameter);
        rci_wq_value v;
        char why[160];
        if (!pm) {
            rci_violations_add(vs, -1, "tolerances", "tolerance %zu: unknown parameter \"%.32s\"",
                               i + 1, pt->parameter);
            continue;
        }
        size_t pi = 0;
        while (rci_wq_param_at(pi) != pm)
            pi++;
        if (seen[pi]++) {
            rci_violations_add(vs, -1, "tolerances", "tolerance %zu: %s given twice", i + 1,
                               pm->code);
            continue;
        }
        if (rci_wq_value_parse(pt->tolerance, &v, why, sizeof why) != 0) {
            rci_violations_add(vs, -1, "tolerances", "tolerance %zu (%s): %s", i + 1, pm->code, why);
            continue;
        }
        if (pm->dir != RCI_WQ_DIR_RANGE && v.nano % 100 != 0) {
            rci_violations_add(vs, -1, "tolerances",
                               "tolerance %zu (%s): a percent with at most 7 decimals", i + 1,
                               pm->code);
            continue;
        }
        char vt[RCI_WQ_VALUE_TEXT_MAX];
        rci_wq_value_format(v, vt, sizeof vt);
        up += (size_t)snprintf(ctx->tol_params + up, cap - up, "%s%s", up > 1 ? "," : "", pm->code);
        uv += (size_t)snprintf(ctx->tol_values + uv, cap - uv, "%s%s", uv > 1 ? "," : "", vt);
    }
    snprintf(ctx->tol_params + up, cap - up, "}");
    snprintf(ctx->tol_values + uv, cap - uv, "}");
}

static void put_done(rci_call *call, const PGresult *res);

static void put_reread(rci_call *call, const PGresult *res)
{
    if (PQntuples(res) != 1) {
        rci_call_finish(call, RCI_INTERNAL, "the section was not found after it was written");
        return;
    }
    rci_water_reply_sections(call, res, 1);
}

static void put_done(rci_call *call, const PGresult *res)
{
    put_ctx *ctx = rci_call_data(call);
    const char *st = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
    const Rci__V1__Section *s = ctx->req->section;
    if (strcmp(st, "ok") == 0) {
        const char *params[2] = {"", ctx->code};
        rci_call_query(call, stmt_list, params, put_reread);
    } else if (strncmp(st, "city:", 5) == 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "section: %s is not a city's GB/T 2260 code",
                        st + 5);
    } else if (strcmp(st, "agency") == 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "monitor_agency: no agency \"%s\"",
                        s->monitor_agency);
    } else if (strcmp(st, "monitor_city") == 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "monitor_agency: %s is not an agency of a city the section concerns",
                        s->monitor_agency);
    } else if (strcmp(st, "monitor_domain") == 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "monitor_agency: %s does not have the environment domain",
                        s->monitor_agency);
    } else if (strcmp(st, "name_zh") == 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "name_zh: another section is already named \"%s\"", s->name_zh);
    } else {
        rci_call_finish(call, RCI_INTERNAL, "unexpected answer \"%s\" from rci_water_put_section",
                        st);
    }
}

static void put_authed(rci_call *call, const rci_identity *who)
{
    put_ctx *ctx = rci_call_data(call);
    rci_violations vs = {0};
    put_validate(ctx, &vs);
    if (vs.n) {
        rci_call_fail_violations(call, RCI_INVALID_ARGUMENT, "invalid section", "section", &vs);
        rci_violations_free(&vs);
        return;
    }
    const Rci__V1__Section *s = ctx->req->section;
    snprintf(ctx->code, sizeof ctx->code, "%s", s->code);
    size_t blen = 40;
    ctx->border = malloc(blen);
    if (!ctx->border) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    if (s->n_border_cities == 2)
        snprintf(ctx->border, blen, "{%s,%s}", s->border_cities[0], s->border_cities[1]);
    else
        snprintf(ctx->border, blen, "{}");
    char token[24], lat[40], lon[40];
    snprintf(token, sizeof token, "%lld", (long long)who->token_id);
    snprintf(lat, sizeof lat, "%.6f", s->latitude);
    snprintf(lon, sizeof lon, "%.6f", s->longitude);
    rci_wq_class t = rci_wq_class_parse(s->target_class);
    const char *params[19] = {
        token, rci_call_peer(call), ctx->req->reason, s->code, s->name_zh, s->name_en, s->river,
        s->basin, s->upstream_city, s->downstream_city, ctx->border, lat, lon,
        rci_wq_class_name(t), s->target_is_demo ? "true" : "false", s->monitor_agency, s->kind,
        ctx->tol_params, ctx->tol_values,
    };
    rci_call_query(call, stmt_put, params, put_done);
}

static void put_section(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    put_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    ctx->req = (Rci__V1__PutSectionRequest *)rci_call_take_request(call);
    rci_call_set_data(call, ctx, put_ctx_free);
    rci_auth_admin(call, put_authed);
}

static const rci_method section_methods[] = {
    {"/rci.v1.WaterService/ListSections", &rci__v1__list_sections_request__descriptor,
     list_sections, NULL},
    {"/rci.v1.WaterService/PutSection", &rci__v1__put_section_request__descriptor, put_section,
     NULL},
};

int rci_water_sections_init(char *err, size_t errlen)
{
    stmt_list = rci_store_register("water_sections", sql_list, 2);
    stmt_put = rci_store_register("water_put_section", sql_put, 19);
    return rci_dispatch_register(section_methods, sizeof section_methods / sizeof section_methods[0],
                                 err, errlen);
}
