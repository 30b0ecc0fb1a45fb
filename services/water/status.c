/* status.c: reading a section's months — GetSectionStatus (one section,
 * one year: the class of each month from the monitor's sample, the other
 * city's sample as the joint check, the compliance rate) and
 * GetJointComparisons (the two cities' samples of each month compared).
 *
 * Any valid token may read. Classes are computed here on read, with
 * gb3838.c, against the section's current target (migrations/0013 stores
 * only the samples). Two queries per answer: the sections, then the
 * newest revision of every sample of their months.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/auth.h"
#include "platform/store.h"
#include "water/water_internal.h"

#define JOINT_MAX_MONTHS 120

static const char sql_latest[] = RCI_WATER_LATEST_SQL;
static int stmt_latest = -1;

typedef struct status_ctx {
    char section[RCI_WATER_CODE_MAX + 1];
    char city[16];
    int year;
    int from_y, from_m, nmonths;       /* GetJointComparisons */
    int discrepancies_only;
    int joint;                         /* which RPC */
    rci_water_section *secs;
    size_t nsecs;
    char *codes, *months;
} status_ctx;

static void status_ctx_free(void *arg)
{
    status_ctx *ctx = arg;
    free(ctx->secs);
    free(ctx->codes);
    free(ctx->months);
    free(ctx);
}

#define MONTH_TEXT 16

/* The i-th month of the range as "YYYY-MM" (years stay below 10000). */
static void month_of(const status_ctx *ctx, int i, char out[MONTH_TEXT])
{
    int y = ctx->from_y, m = ctx->from_m + i;
    y += (m - 1) / 12;
    m = (m - 1) % 12 + 1;
    snprintf(out, MONTH_TEXT, "%04d-%02d", y % 10000, m);
}

/* Index of the newest sample of (section, month) by agency (or, with
 * not_agency, by any other agency after index `after`); -1 if none. */
static int find(const rci_water_sample *ls, int n, const char *section, const char *month,
                const char *agency, int not_agency, int after)
{
    for (int i = after + 1; i < n; i++)
        if (strcmp(ls[i].section, section) == 0 && strcmp(ls[i].month, month) == 0 &&
            (strcmp(ls[i].agency, agency) == 0) != not_agency)
            return i;
    return -1;
}

static void status_answer(rci_call *call, status_ctx *ctx, rci_water_sample *ls, int n)
{
    const rci_water_section *sec = &ctx->secs[0];
    rci_water_arena a = {0};
    Rci__V1__GetSectionStatusResponse resp = RCI__V1__GET_SECTION_STATUS_RESPONSE__INIT;
    Rci__V1__Section smsg;
    Rci__V1__MonthStatus ms[12], *msp[12];
    rci_wq_class classes[12];
    int ok = rci_water_section_message(&a, sec, &smsg) == 0;
    for (int i = 0; ok && i < 12; i++) {
        char month[MONTH_TEXT];
        month_of(ctx, i, month);
        rci__v1__month_status__init(&ms[i]);
        msp[i] = &ms[i];
        ms[i].month = rci_water_strdup(&a, month);
        ms[i].water_class = "";
        classes[i] = RCI_WQ_CLASS_NONE;
        int o = find(ls, n, sec->code, month, sec->monitor, 0, -1);
        int j = find(ls, n, sec->code, month, sec->monitor, 1, -1);
        if (o >= 0) {
            rci_wq_result res;
            ms[i].official = rci_water_alloc(&a, 1, sizeof *ms[i].official);
            ok = ms[i].official &&
                 rci_water_assess(&a, sec, &ls[o], ms[i].official, &res) == 0;
            if (ok) {
                classes[i] = res.cls;
                ms[i].water_class = ms[i].official->water_class;
                ms[i].meets_target = res.meets;
            }
        }
        if (ok && j >= 0) {
            ms[i].joint = rci_water_alloc(&a, 1, sizeof *ms[i].joint);
            ok = ms[i].joint && rci_water_assess(&a, sec, &ls[j], ms[i].joint, NULL) == 0;
        }
        if (ok && o >= 0 && j >= 0) {
            Rci__V1__JointComparison jc;
            ok = rci_water_compare(&a, sec, &ls[o], &ls[j], &jc) == 0;
            ms[i].discrepancy = ok && jc.discrepancy;
        }
        ok = ok && ms[i].month;
    }
    rci_wq_compliance c;
    if (ok && rci_wq_compliance_rate(classes, 12, sec->target, &c, NULL, 0) == 0) {
        char rate[32] = "";
        if (c.rate_x10 >= 0)
            snprintf(rate, sizeof rate, "%d.%d", c.rate_x10 / 10, c.rate_x10 % 10);
        resp.section = &smsg;
        resp.year = ctx->year;
        resp.n_months = 12;
        resp.months = msp;
        resp.months_assessed = c.months;
        resp.months_met = c.met;
        resp.compliance_rate = rate;
        rci_call_reply(call, &resp.base);
    } else {
        rci_call_finish(call, RCI_INTERNAL, "a stored sample of %s could not be assessed",
                        sec->code);
    }
    rci_water_arena_free(&a);
}

static void joint_answer(rci_call *call, status_ctx *ctx, rci_water_sample *ls, int n)
{
    rci_water_arena a = {0};
    Rci__V1__GetJointComparisonsResponse resp = RCI__V1__GET_JOINT_COMPARISONS_RESPONSE__INIT;
    size_t cap = 16, cnt = 0;
    Rci__V1__JointComparison **list = rci_water_alloc(&a, cap, sizeof *list);
    int ok = list != NULL;
    for (size_t s = 0; ok && s < ctx->nsecs; s++) {
        const rci_water_section *sec = &ctx->secs[s];
        for (int i = 0; ok && i < ctx->nmonths; i++) {
            char month[MONTH_TEXT];
            month_of(ctx, i, month);
            int o = find(ls, n, sec->code, month, sec->monitor, 0, -1);
            for (int j = find(ls, n, sec->code, month, sec->monitor, 1, -1); ok && o >= 0 && j >= 0;
                 j = find(ls, n, sec->code, month, sec->monitor, 1, j)) {
                Rci__V1__JointComparison *jc = rci_water_alloc(&a, 1, sizeof *jc);
                ok = jc && rci_water_compare(&a, sec, &ls[o], &ls[j], jc) == 0;
                if (!ok || (ctx->discrepancies_only && !jc->discrepancy))
                    continue;
                if (cnt == cap) {
                    Rci__V1__JointComparison **bigger = rci_water_alloc(&a, cap * 2, sizeof *list);
                    ok = bigger != NULL;
                    if (!ok)
                        break;
                    memcpy(bigger, list, cap * sizeof *list);
                    list = bigger;
                    cap *= 2;
                }
                list[cnt++] = jc;
            }
        }
    }
    if (ok) {
        resp.n_comparisons = cnt;
        resp.comparisons = list;
        rci_call_reply(call, &resp.base);
    } else {
        rci_call_finish(call, RCI_INTERNAL, "stored samples could not be compared");
    }
    rci_water_arena_free(&a);
}

static void latest_done(rci_call *call, const PGresult *res)
{
    status_ctx *ctx = rci_call_data(call);
    int n = PQntuples(res);
    rci_water_sample *ls = calloc((size_t)(n ? n : 1), sizeof *ls);
    int ok = ls != NULL;
    for (int i = 0; ok && i < n; i++)
        ok = rci_water_sample_load(&ls[i], res, i) == 0;
    if (!ok)
        rci_call_finish(call, RCI_INTERNAL, "a stored sample could not be read");
    else if (ctx->joint)
        joint_answer(call, ctx, ls, n);
    else
        status_answer(call, ctx, ls, n);
    for (int i = 0; ls && i < n; i++)
        rci_water_sample_free(&ls[i]);
    free(ls);
}

/* Array literals of codes and months for the latest query. */
static int literals(status_ctx *ctx)
{
    size_t cap = 2 + ctx->nsecs * (RCI_WATER_CODE_MAX + 3);
    ctx->codes = malloc(cap);
    ctx->months = malloc(2 + (size_t)ctx->nmonths * (MONTH_TEXT + 1));
    if (!ctx->codes || !ctx->months)
        return -1;
    size_t u = (size_t)snprintf(ctx->codes, cap, "{");
    for (size_t i = 0; i < ctx->nsecs; i++)
        u += (size_t)snprintf(ctx->codes + u, cap - u, "%s\"%s\"", i ? "," : "",
                              ctx->secs[i].code);
    snprintf(ctx->codes + u, cap - u, "}");
    u = (size_t)sprintf(ctx->months, "{");
    for (int i = 0; i < ctx->nmonths; i++) {
        char m[MONTH_TEXT];
        month_of(ctx, i, m);
        u += (size_t)sprintf(ctx->months + u, "%s%s", i ? "," : "", m);
    }
    sprintf(ctx->months + u, "}");
    return 0;
}

static void sections_done(rci_call *call, const PGresult *res)
{
    status_ctx *ctx = rci_call_data(call);
    int n = PQntuples(res);
    if (n == 0 && ctx->section[0]) {
        rci_call_finish(call, RCI_NOT_FOUND, "no section \"%s\"%s%s", ctx->section,
                        ctx->city[0] ? " concerning city " : "", ctx->city);
        return;
    }
    ctx->secs = calloc((size_t)(n ? n : 1), sizeof *ctx->secs);
    if (!ctx->secs) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++)
        if (rci_water_section_load(&ctx->secs[ctx->nsecs++], res, i, 0) != 0) {
            rci_call_finish(call, RCI_INTERNAL, "a section could not be read");
            return;
        }
    if (literals(ctx) != 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    const char *params[2] = {ctx->codes, ctx->months};
    rci_call_query(call, stmt_latest, params, latest_done);
}

static void authed(rci_call *call, const rci_identity *who)
{
    (void)who;
    status_ctx *ctx = rci_call_data(call);
    const char *params[2] = {ctx->city, ctx->section};
    rci_call_query(call, rci_water_stmt_sections(), params, sections_done);
}

static status_ctx *new_ctx(rci_call *call)
{
    status_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
    else
        rci_call_set_data(call, ctx, status_ctx_free);
    return ctx;
}

static void get_status(rci_call *call, const ProtobufCMessage *msg)
{
    const Rci__V1__GetSectionStatusRequest *req = (const void *)msg;
    size_t len = strlen(req->section);
    if (len == 0 || len > RCI_WATER_CODE_MAX) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "section: required, a code such as dj-lhs");
        return;
    }
    if (req->year < 1 || req->year > 9998) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "year: required, e.g. 2024");
        return;
    }
    status_ctx *ctx = new_ctx(call);
    if (!ctx)
        return;
    snprintf(ctx->section, sizeof ctx->section, "%s", req->section);
    ctx->year = req->year;
    ctx->from_y = req->year;
    ctx->from_m = 1;
    ctx->nmonths = 12;
    rci_auth(call, authed);
}

/* "YYYY-MM" into year and month. */
static int parse_month(const char *s, int *y, int *m)
{
    if (strlen(s) != 7 || s[4] != '-' || strspn(s, "0123456789") != 4 ||
        strspn(s + 5, "0123456789") != 2)
        return -1;
    *y = atoi(s);
    *m = atoi(s + 5);
    return *y >= 1 && *m >= 1 && *m <= 12 ? 0 : -1;
}

static void get_joint(rci_call *call, const ProtobufCMessage *msg)
{
    const Rci__V1__GetJointComparisonsRequest *req = (const void *)msg;
    int fy, fm, ty, tm;
    if (strlen(req->section) > RCI_WATER_CODE_MAX || strlen(req->city) > 15) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "section or city: too long");
        return;
    }
    if (parse_month(req->month_from, &fy, &fm) != 0 || parse_month(req->month_to, &ty, &tm) != 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "month_from and month_to: required, YYYY-MM (e.g. 2024-01)");
        return;
    }
    int span = (ty * 12 + tm) - (fy * 12 + fm) + 1;
    if (span < 1 || span > JOINT_MAX_MONTHS) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "month_to must not be before month_from, and at most %d months apart",
                        JOINT_MAX_MONTHS);
        return;
    }
    status_ctx *ctx = new_ctx(call);
    if (!ctx)
        return;
    snprintf(ctx->section, sizeof ctx->section, "%s", req->section);
    snprintf(ctx->city, sizeof ctx->city, "%s", req->city);
    ctx->from_y = fy;
    ctx->from_m = fm;
    ctx->nmonths = span;
    ctx->joint = 1;
    ctx->discrepancies_only = req->discrepancies_only;
    rci_auth(call, authed);
}

static const rci_method status_methods[] = {
    {"/rci.v1.WaterService/GetSectionStatus", &rci__v1__get_section_status_request__descriptor,
     get_status, NULL},
    {"/rci.v1.WaterService/GetJointComparisons",
     &rci__v1__get_joint_comparisons_request__descriptor, get_joint, NULL},
};

int rci_water_status_init(char *err, size_t errlen)
{
    stmt_latest = rci_store_register("water_status_latest", sql_latest, 2);
    return rci_dispatch_register(status_methods, sizeof status_methods / sizeof status_methods[0],
                                 err, errlen);
}
