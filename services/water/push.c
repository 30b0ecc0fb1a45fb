/* push.c: rci.v1.WaterService/PushSamples — an agency's monthly samples of
 * river sections, checked, graded by GB 3838-2002 and written atomically,
 * idempotent by request id per agency (as PushValues, DESIGN §6), with the
 * alerts they raise in the same transaction.
 *
 * The path of one push:
 *   push_samples   bound the request, take it, resolve the token (auth.h)
 *   push_authed    an agency's token; content hash; too many samples
 *   prepare        the sections of the batch, an earlier request with the
 *                  same id, and the state the decision depends on
 *                  (rci_water_state, migrations/0013_water.sql)
 *   prepare_done   replay or ALREADY_EXISTS; else the newest samples of
 *                  those sections and months
 *   latest_done    the DESIGN §6 order — scope (PERMISSION_DENIED: the
 *                  section must concern the agency's city, and the agency
 *                  must have the environment domain), then validation of
 *                  every sample and field (INVALID_ARGUMENT); validate_only
 *                  answers here with every failure. Then the decision:
 *                  which samples are new revisions (same content is
 *                  unchanged), and which alerts they raise — off target
 *                  (to the cities of the section) and, against the other
 *                  city's sample of the month, a joint discrepancy
 *   write_done     rci_water_write has written it all and raised the alerts
 *                  last, or found the state changed meanwhile ('stale':
 *                  decide again from the start, at most PUSH_ATTEMPTS times)
 */
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "indicators/period.h"
#include "platform/auth.h"
#include "platform/batch.h"
#include "platform/log.h"
#include "platform/store.h"
#include "water/water_internal.h"

#define PUSH_MAX_SAMPLES 5000
#define PUSH_MAX_PARAMS 64          /* per sample; the table has 24 */
#define PUSH_NOTE_MAX 1000
#define PUSH_ATTEMPTS 5

/* $1 section codes, $2 agency, $3 request id, $4 / $5 the batch's
 * (section, month) pairs: 's' rows (a section), one 'q' row for an earlier
 * request, one 'f' row with the state the decision will rest on (taken
 * first, so that anything read after it and changed is seen). 18 columns. */
static const char sql_prepare[] =
    "SELECT 's', " RCI_WATER_SECTION_COLS "\n"
    "  FROM water_sections s WHERE s.code = ANY ($1::text[])\n"
    "UNION ALL\n"
    "SELECT 'q', encode(content_sha256, 'hex'), written::text, unchanged::text,\n"
    "       alerts_raised::text,\n"
    "       coalesce((extract(epoch FROM committed_at) * 1000000)::bigint, 0)::text,\n"
    "       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL\n"
    "  FROM water_push_requests WHERE agency_code = $2 AND request_id = $3\n"
    "UNION ALL\n"
    "SELECT 'f', rci_water_state($4::text[], $5::text[]),\n"
    "       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,\n"
    "       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL";

static const char sql_latest[] = RCI_WATER_LATEST_SQL;

static const char sql_write[] =
    "SELECT status, written::text, unchanged::text, alerts_raised::text,\n"
    "       coalesce(array_to_string(ids, ','), ''),\n"
    "       coalesce((extract(epoch FROM committed_at) * 1000000)::bigint, 0)::text\n"
    "  FROM rci_water_write($1, $2::bigint, $3, decode($4, 'hex'), $5, $6, $7, $8::text[],\n"
    "       $9::text[], $10::int, $11::text[], $12::text[], $13::int[], $14::date[],\n"
    "       $15::text[], $16::text[], $17::int[], $18::text[], $19::numeric[], $20::text[],\n"
    "       $21::text[], $22::text[], $23::text[], $24::text[], $25::text[], $26::jsonb[],\n"
    "       $27::int[])";

static int stmt_prepare = -1, stmt_latest = -1, stmt_write = -1;

/* One input sample as checked and decided. */
typedef struct psample {
    int ok;                  /* passed every check */
    int sec;                 /* index into ctx->secs, -1 when unknown */
    rci_water_sample s;      /* parsed; s.content is the canonical content */
    rci_wq_result res;
    const rci_water_sample *prev;   /* this agency's newest of the month, or NULL */
    int widx;                /* 1-based among the written samples; 0: unchanged */
} psample;

typedef struct push_ctx {
    Rci__V1__PushSamplesRequest *req;   /* taken from the call: owned */
    rci_identity who;
    char hash_hex[65];
    char state[128];
    int attempts;
    int prior_found;
    char prior_hash[65];
    int prior_written, prior_unchanged, prior_alerts;
    long long prior_usec;
    rci_water_section *secs;
    size_t nsecs;
    rci_water_sample *latest;
    size_t nlatest;
    psample *ps;             /* req->n_samples */
    char *codes;             /* array literals for the queries: section codes, */
    char *pair_secs, *pair_months;   /* and the batch's (section, month) pairs */
} push_ctx;

static void reset(push_ctx *ctx)
{
    free(ctx->secs);
    for (size_t i = 0; i < ctx->nlatest; i++)
        rci_water_sample_free(&ctx->latest[i]);
    free(ctx->latest);
    if (ctx->ps)
        for (size_t i = 0; i < ctx->req->n_samples; i++)
            rci_water_sample_free(&ctx->ps[i].s);
    free(ctx->ps);
    free(ctx->codes);
    free(ctx->pair_secs);
    free(ctx->pair_months);
    ctx->secs = NULL;
    ctx->latest = NULL;
    ctx->ps = NULL;
    ctx->codes = ctx->pair_secs = ctx->pair_months = NULL;
    ctx->nsecs = ctx->nlatest = 0;
    ctx->prior_found = 0;
}

static void push_ctx_free(void *arg)
{
    push_ctx *ctx = arg;
    reset(ctx);
    if (ctx->req)
        protobuf_c_message_free_unpacked(&ctx->req->base, NULL);
    free(ctx);
}

/* ---- answers ----------------------------------------------------------------- */

static void reply_counts(rci_call *call, int written, int unchanged, int alerts, int replayed)
{
    Rci__V1__PushSamplesResponse resp = RCI__V1__PUSH_SAMPLES_RESPONSE__INIT;
    resp.written = written;
    resp.unchanged = unchanged;
    resp.alerts_raised = alerts;
    resp.replayed = replayed;
    rci_call_reply(call, &resp.base);
}

/* The answer of a checked batch: violations (validate_only), and an
 * assessment of every sample that passed. */
static void reply_full(rci_call *call, push_ctx *ctx, const rci_violations *vs, int written,
                       int unchanged, int alerts)
{
    Rci__V1__PushSamplesResponse resp = RCI__V1__PUSH_SAMPLES_RESPONSE__INIT;
    rci_water_arena a = {0};
    size_t n = ctx->req->n_samples;
    int ok = 1;
    resp.written = written;
    resp.unchanged = unchanged;
    resp.alerts_raised = alerts;
    if (vs && vs->n) {
        ok = rci_violations_messages(vs, &resp.violations) == 0;
        resp.n_violations = vs->n;
    } else {
        resp.assessments = rci_water_alloc(&a, n, sizeof(void *));
        Rci__V1__SampleAssessment *sa = rci_water_alloc(&a, n, sizeof *sa);
        ok = resp.assessments && sa;
        for (size_t i = 0; ok && i < n; i++) {
            const psample *p = &ctx->ps[i];
            ok = rci_water_assess(&a, &ctx->secs[p->sec], &p->s, &sa[i], NULL) == 0;
            resp.assessments[i] = &sa[i];
        }
        resp.n_assessments = n;
    }
    if (ok)
        rci_call_reply(call, &resp.base);
    else
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
    free(resp.violations);
    rci_water_arena_free(&a);
}

/* ---- write --------------------------------------------------------------------- */

static void prepare(rci_call *call, push_ctx *ctx);

static void write_done(rci_call *call, const PGresult *res)
{
    push_ctx *ctx = rci_call_data(call);
    if (PQntuples(res) != 1 || PQnfields(res) != 6) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result from rci_water_write");
        return;
    }
    const char *status = PQgetvalue(res, 0, 0);
    int written = atoi(PQgetvalue(res, 0, 1));
    int unchanged = atoi(PQgetvalue(res, 0, 2));
    int alerts = atoi(PQgetvalue(res, 0, 3));
    if (strcmp(status, "replay") == 0) {
        reply_counts(call, written, unchanged, alerts, 1);
    } else if (strcmp(status, "conflict") == 0) {
        rci_call_finish(call, RCI_ALREADY_EXISTS,
                        "request_id \"%s\" was already used by agency %s for different samples",
                        ctx->req->request_id, ctx->who.agency_code);
    } else if (strcmp(status, "stale") == 0) {
        if (++ctx->attempts >= PUSH_ATTEMPTS) {
            rci_call_finish(call, RCI_ABORTED,
                            "the sections' samples or settings kept changing while the batch "
                            "was checked; retry");
            return;
        }
        rci_log(RCI_LOG_INFO, "water push %s/%s: samples of its months changed meanwhile; "
                "deciding again (attempt %d)", ctx->who.agency_code, ctx->req->request_id,
                ctx->attempts + 1);
        reset(ctx);
        prepare(call, ctx);
    } else if (strcmp(status, "ok") == 0) {
        /* Fill in the new samples' ids and instant for the assessments. */
        const char *ids = PQgetvalue(res, 0, 4);
        long long at = atoll(PQgetvalue(res, 0, 5));
        for (size_t i = 0; i < ctx->req->n_samples; i++) {
            psample *p = &ctx->ps[i];
            if (p->widx) {
                const char *q = ids;
                for (int k = 1; k < p->widx && q; k++) {
                    q = strchr(q, ',');
                    q = q ? q + 1 : NULL;
                }
                p->s.id = q ? atoll(q) : 0;
                p->s.recorded_usec = at;
            } else if (p->prev) {
                p->s.id = p->prev->id;
                p->s.recorded_usec = p->prev->recorded_usec;
            }
        }
        reply_full(call, ctx, NULL, written, unchanged, alerts);
    } else {
        rci_call_finish(call, RCI_INTERNAL, "unexpected water push status \"%s\"", status);
    }
}

/* The newest sample of (section, agency, month) read by the latest query. */
static const rci_water_sample *find_latest(const push_ctx *ctx, const char *section,
                                           const char *agency, const char *month)
{
    for (size_t i = 0; i < ctx->nlatest; i++) {
        const rci_water_sample *l = &ctx->latest[i];
        if (strcmp(l->section, section) == 0 && strcmp(l->agency, agency) == 0 &&
            strcmp(l->month, month) == 0)
            return l;
    }
    return NULL;
}

/* Which samples change, and the alerts the changed ones raise. */
static void decide(push_ctx *ctx, rci_water_alerts *al, int *nwritten)
{
    *nwritten = 0;
    for (size_t i = 0; i < ctx->req->n_samples; i++) {
        psample *p = &ctx->ps[i];
        p->prev = find_latest(ctx, p->s.section, ctx->who.agency_code, p->s.month);
        if (p->prev && strcmp(p->prev->content, p->s.content) == 0)
            continue;
        p->widx = ++*nwritten;
        p->s.revision = p->prev ? p->prev->revision + 1 : 1;
        const rci_water_section *sec = &ctx->secs[p->sec];
        if (p->res.cls != RCI_WQ_CLASS_NONE && !p->res.meets)
            rci_water_alert_off_target(al, sec, &p->s, p->widx);
        if (strcmp(ctx->who.agency_code, sec->monitor) == 0) {
            for (size_t k = 0; k < ctx->nlatest; k++) {
                const rci_water_sample *o = &ctx->latest[k];
                if (strcmp(o->section, sec->code) == 0 && strcmp(o->month, p->s.month) == 0 &&
                    strcmp(o->agency, sec->monitor) != 0)
                    rci_water_alert_joint(al, sec, &p->s, o, p->widx);
            }
        } else {
            const rci_water_sample *m = find_latest(ctx, sec->code, sec->monitor, p->s.month);
            if (m)
                rci_water_alert_joint(al, sec, m, &p->s, p->widx);
        }
    }
}

static void push_write(rci_call *call, push_ctx *ctx)
{
    rci_water_alerts al = {0};
    rci_water_buf sec = {0}, mon = {0}, rev = {0}, day = {0}, note = {0}, con = {0};
    rci_water_buf pidx = {0}, par = {0}, val = {0}, unit = {0};
    int nwritten = 0;
    decide(ctx, &al, &nwritten);
    for (size_t i = 0; i < ctx->req->n_samples; i++) {
        const psample *p = &ctx->ps[i];
        if (!p->widx)
            continue;
        const Rci__V1__SampleInput *in = ctx->req->samples[i];
        rci_water_buf_elem(&sec, p->s.section);
        rci_water_buf_elem(&mon, p->s.month);
        rci_water_buf_elemf(&rev, "%d", p->s.revision);
        rci_water_buf_elem(&day, p->s.sampled_on);
        rci_water_buf_elem(&note, in->note);
        rci_water_buf_elem(&con, p->s.content);
        for (size_t j = 0; j < p->s.n; j++) {
            char v[RCI_WQ_VALUE_TEXT_MAX];
            rci_wq_value_format(p->s.items[j].value, v, sizeof v);
            rci_water_buf_elemf(&pidx, "%d", p->widx);
            rci_water_buf_elem(&par, p->s.items[j].code);
            rci_water_buf_elem(&val, v);
            rci_water_buf_elem(&unit, in->params[j]->unit);
        }
    }
    /* $11..$27 of sql_write, in order. */
    rci_water_buf *cols[17] = {&sec,     &mon,     &rev,        &day,        &note,
                               &con,     &pidx,    &par,        &val,        &unit,
                               &al.kind, &al.sev,  &al.cities,  &al.subject, &al.message,
                               &al.detail, &al.idx};
    char *arr[17];
    int ok = 1;
    for (int i = 0; i < 17; i++) {
        arr[i] = rci_water_buf_array(cols[i]);
        ok = ok && arr[i];
    }
    if (!ok) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
    } else {
        char token[24], unchanged[24];
        snprintf(token, sizeof token, "%lld", (long long)ctx->who.token_id);
        snprintf(unchanged, sizeof unchanged, "%d", (int)ctx->req->n_samples - nwritten);
        const char *params[27] = {
            ctx->who.agency_code, token, ctx->req->request_id, ctx->hash_hex, ctx->req->reason,
            rci_call_peer(call), ctx->state, ctx->pair_secs, ctx->pair_months, unchanged,
            arr[0], arr[1], arr[2], arr[3], arr[4], arr[5], arr[6], arr[7], arr[8], arr[9],
            arr[10], arr[11], arr[12], arr[13], arr[14], arr[15], arr[16],
        };
        rci_call_query(call, stmt_write, params, write_done);
    }
    for (int i = 0; i < 17; i++)
        free(arr[i]);
}

/* ---- check ------------------------------------------------------------------------- */

static int section_index(const push_ctx *ctx, const char *code)
{
    for (size_t i = 0; i < ctx->nsecs; i++)
        if (strcmp(ctx->secs[i].code, code) == 0)
            return (int)i;
    return -1;
}

static int has_domain(const rci_identity *who, const char *domain)
{
    for (size_t i = 0; i < who->ndomains; i++)
        if (strcmp(who->domains[i], domain) == 0)
            return 1;
    return 0;
}

/* Scope (DESIGN §6): a sample only for a section concerning the agency's
 * own city, and only by an agency with the environment domain. */
static void check_scope(push_ctx *ctx, rci_violations *vs)
{
    int env = has_domain(&ctx->who, "environment");
    for (size_t i = 0; i < ctx->req->n_samples; i++) {
        int si = ctx->ps[i].sec;
        if (si < 0)
            continue;
        const rci_water_section *sec = &ctx->secs[si];
        char cities[80];
        rci_water_section_cities(sec, cities, sizeof cities);
        if (!env)
            rci_violations_add(vs, (int)i, "section",
                               "agency %s has no environment domain: only ecology and "
                               "environment agencies push samples of section %s",
                               ctx->who.agency_code, sec->code);
        else if (!rci_water_section_concerns(sec, ctx->who.city_code))
            rci_violations_add(vs, (int)i, "section",
                               "agency %s (city %s) may not push samples of section %s (%s), "
                               "which concerns cities %s",
                               ctx->who.agency_code, ctx->who.city_code, sec->code, sec->name_zh,
                               cities);
    }
}

/* Today's date in China Standard Time (DESIGN §6 "Time"). */
static rci_date today_cst(void)
{
    time_t t = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    rci_date d = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
    return d;
}

/* "YYYY-MM-DD", a real day. */
static int parse_date(const char *s, rci_date *d)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    d->year = atoi(s);
    d->month = atoi(s + 5);
    d->day = atoi(s + 8);
    return rci_date_valid(*d) ? 0 : -1;
}

/* The parameter named by code, or by its Chinese name. */
static const rci_wq_param *find_param(const char *name)
{
    const rci_wq_param *p = rci_wq_param_find(name);
    for (size_t i = 0; !p && i < RCI_WQ_PARAM_COUNT; i++)
        if (strcmp(rci_wq_param_at(i)->name_zh, name) == 0)
            p = rci_wq_param_at(i);
    return p;
}

/* Every field of sample i; fills ctx->ps[i] and returns the number of
 * violations added. */
static size_t check_sample(push_ctx *ctx, size_t i, rci_date today, rci_violations *vs)
{
    const Rci__V1__SampleInput *in = ctx->req->samples[i];
    psample *p = &ctx->ps[i];
    size_t before = vs->n;
    int row = (int)i;
    if (in->section[0] == '\0')
        rci_violations_add(vs, row, "section", "required: a section code such as dj-lhs");
    else if (p->sec < 0)
        rci_violations_add(vs, row, "section", "unknown section \"%.64s\"", in->section);

    rci_date d;
    if (parse_date(in->sampled_on, &d) != 0)
        rci_violations_add(vs, row, "sampled_on", "\"%.32s\" is not a date YYYY-MM-DD",
                           in->sampled_on);
    else if (rci_date_cmp(d, today) > 0)
        rci_violations_add(vs, row, "sampled_on",
                           "%s is in the future (today is %04d-%02d-%02d, China Standard Time)",
                           in->sampled_on, today.year, today.month, today.day);
    else {
        snprintf(p->s.sampled_on, sizeof p->s.sampled_on, "%s", in->sampled_on);
        snprintf(p->s.month, sizeof p->s.month, "%.7s", in->sampled_on);
    }
    if (strlen(in->note) > PUSH_NOTE_MAX)
        rci_violations_add(vs, row, "note", "at most %d bytes", PUSH_NOTE_MAX);

    if (in->n_params == 0)
        rci_violations_add(vs, row, "params", "no parameters: a sample needs at least one");
    else if (in->n_params > PUSH_MAX_PARAMS)
        rci_violations_add(vs, row, "params", "%zu parameters; at most %d", in->n_params,
                           PUSH_MAX_PARAMS);
    size_t first[RCI_WQ_PARAM_COUNT] = {0};
    for (size_t j = 0; j < in->n_params && j < PUSH_MAX_PARAMS; j++) {
        const Rci__V1__WaterParam *wp = in->params[j];
        char field[32], why[160];
        const rci_wq_param *pm = find_param(wp->parameter);
        snprintf(field, sizeof field, "params[%zu].parameter", j);
        if (!pm) {
            rci_violations_add(vs, row, field,
                               "unknown parameter \"%.32s\" (GB 3838-2002 Table 1 codes: ph, do, "
                               "codmn, cod, bod5, nh3n, tp, tn, …)", wp->parameter);
            continue;
        }
        size_t pi = 0;
        while (rci_wq_param_at(pi) != pm)
            pi++;
        if (first[pi]) {
            rci_violations_add(vs, row, field, "%s given twice (also params[%zu])", pm->code,
                               first[pi] - 1);
            continue;
        }
        first[pi] = j + 1;
        snprintf(field, sizeof field, "params[%zu].unit", j);
        if (rci_wq_unit_check(pm, wp->unit, why, sizeof why) != 0)
            rci_violations_add(vs, row, field, "%s", why);
        snprintf(field, sizeof field, "params[%zu].value", j);
        rci_wq_value v;
        if (wp->value[0] == '-' && strspn(wp->value + 1, "0.") != strlen(wp->value + 1))
            rci_violations_add(vs, row, field, "%s %.32s is negative: a measurement is never "
                               "below 0", pm->code, wp->value);
        else if (rci_wq_value_parse(wp->value, &v, why, sizeof why) != 0)
            rci_violations_add(vs, row, field, "%s: %s", pm->code, why);
        else if (rci_wq_value_check(pm, v, why, sizeof why) != 0)
            rci_violations_add(vs, row, field, "%s", why);
        else if (p->s.n < RCI_WQ_PARAM_COUNT) {
            p->s.items[p->s.n].code = pm->code;
            p->s.items[p->s.n++].value = v;
        }
    }
    /* One sample per section, agency and month. */
    if (p->s.month[0] && in->section[0])
        for (size_t k = 0; k < i; k++)
            if (strcmp(ctx->req->samples[k]->section, in->section) == 0 &&
                strcmp(ctx->ps[k].s.month, p->s.month) == 0) {
                rci_violations_add(vs, row, "sampled_on",
                                   "a second sample of section %.64s for %s (first: "
                                   "samples[%zu]); one sample per section and month",
                                   in->section, p->s.month, k);
                break;
            }
    return vs->n - before;
}

static void validate(push_ctx *ctx, rci_violations *vs)
{
    rci_date today = today_cst();
    for (size_t i = 0; i < ctx->req->n_samples; i++) {
        psample *p = &ctx->ps[i];
        if (check_sample(ctx, i, today, vs) != 0)
            continue;
        const rci_water_section *sec = &ctx->secs[p->sec];
        snprintf(p->s.section, sizeof p->s.section, "%s", sec->code);
        snprintf(p->s.agency, sizeof p->s.agency, "%s", ctx->who.agency_code);
        snprintf(p->s.city, sizeof p->s.city, "%s", ctx->who.city_code);
        p->s.content = rci_water_content(p->s.sampled_on, p->s.items, p->s.n,
                                         ctx->req->samples[i]->note);
        /* items[j] is params[j] here: a sample with any bad parameter
         * stops above. */
        rci_wq_factor f[RCI_WQ_PARAM_COUNT];
        if (!p->s.content ||
            rci_wq_evaluate(sec->kind, sec->target, p->s.items, p->s.n, f, &p->res, NULL, 0) != 0) {
            rci_violations_add(vs, (int)i, "params", "could not be evaluated");
            continue;
        }
        p->ok = 1;
    }
}

static void latest_done(rci_call *call, const PGresult *res)
{
    push_ctx *ctx = rci_call_data(call);
    int n = PQntuples(res);
    ctx->latest = calloc((size_t)(n ? n : 1), sizeof *ctx->latest);
    if (!ctx->latest) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        if (rci_water_sample_load(&ctx->latest[ctx->nlatest++], res, i) != 0) {
            rci_call_finish(call, RCI_INTERNAL, "a stored sample could not be read");
            return;
        }
    }
    rci_violations vs = {0};
    /* DESIGN §6: scope first, then validation; validate_only reports both. */
    check_scope(ctx, &vs);
    if (vs.n && !ctx->req->validate_only) {
        rci_call_fail_violations(call, RCI_PERMISSION_DENIED, "outside the agency's scope",
                                 "samples", &vs);
        rci_violations_free(&vs);
        return;
    }
    validate(ctx, &vs);
    if (ctx->req->validate_only)
        reply_full(call, ctx, &vs, 0, 0, 0);
    else if (vs.n)
        rci_call_fail_violations(call, RCI_INVALID_ARGUMENT, "invalid samples", "samples", &vs);
    else
        push_write(call, ctx);
    rci_violations_free(&vs);
}

static void prepare_done(rci_call *call, const PGresult *res)
{
    push_ctx *ctx = rci_call_data(call);
    int n = PQntuples(res);
    if (PQnfields(res) != 1 + RCI_WATER_SECTION_NCOLS) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result from the water prepare query");
        return;
    }
    ctx->secs = calloc((size_t)(n ? n : 1), sizeof *ctx->secs);
    if (!ctx->secs) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    for (int r = 0; r < n; r++) {
        const char *kind = PQgetvalue(res, r, 0);
        if (kind[0] == 's') {
            if (rci_water_section_load(&ctx->secs[ctx->nsecs++], res, r, 1) != 0) {
                rci_call_finish(call, RCI_INTERNAL, "a section could not be read");
                return;
            }
        } else if (kind[0] == 'q') {
            ctx->prior_found = 1;
            snprintf(ctx->prior_hash, sizeof ctx->prior_hash, "%s", PQgetvalue(res, r, 1));
            ctx->prior_written = atoi(PQgetvalue(res, r, 2));
            ctx->prior_unchanged = atoi(PQgetvalue(res, r, 3));
            ctx->prior_alerts = atoi(PQgetvalue(res, r, 4));
        } else if (kind[0] == 'f') {
            snprintf(ctx->state, sizeof ctx->state, "%s", PQgetvalue(res, r, 1));
        }
    }
    if (ctx->prior_found && !ctx->req->validate_only) {
        if (strcmp(ctx->prior_hash, ctx->hash_hex) != 0)
            rci_call_finish(call, RCI_ALREADY_EXISTS,
                            "request_id \"%s\" was already used by agency %s for different "
                            "samples", ctx->req->request_id, ctx->who.agency_code);
        else
            reply_counts(call, ctx->prior_written, ctx->prior_unchanged, ctx->prior_alerts, 1);
        return;
    }
    /* Sections resolved; the newest samples of the batch's months. */
    size_t ns = ctx->req->n_samples;
    ctx->ps = calloc(ns, sizeof *ctx->ps);
    if (!ctx->ps) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    for (size_t i = 0; i < ns; i++) {
        const Rci__V1__SampleInput *in = ctx->req->samples[i];
        ctx->ps[i].sec = strlen(in->section) <= RCI_WATER_CODE_MAX
                             ? section_index(ctx, in->section) : -1;
    }
    const char *params[2] = {ctx->codes, ctx->pair_months};
    rci_call_query(call, stmt_latest, params, latest_done);
}

/* The distinct section codes of the batch (those that can be codes), and
 * its (section, month) pairs (those with a date). */
static void prepare(rci_call *call, push_ctx *ctx)
{
    rci_water_buf codes = {0}, psec = {0}, pmon = {0};
    for (size_t i = 0; i < ctx->req->n_samples; i++) {
        const Rci__V1__SampleInput *in = ctx->req->samples[i];
        size_t len = strlen(in->section);
        int dup = 0;
        for (size_t k = 0; k < i && !dup; k++)
            dup = strcmp(ctx->req->samples[k]->section, in->section) == 0;
        if (len && len <= RCI_WATER_CODE_MAX && !dup)
            rci_water_buf_elem(&codes, in->section);
        rci_date d;
        if (len && len <= RCI_WATER_CODE_MAX && parse_date(in->sampled_on, &d) == 0) {
            rci_water_buf_elem(&psec, in->section);
            rci_water_buf_elemf(&pmon, "%04d-%02d", d.year, d.month);
        }
    }
    ctx->codes = rci_water_buf_array(&codes);
    ctx->pair_secs = rci_water_buf_array(&psec);
    ctx->pair_months = rci_water_buf_array(&pmon);
    if (!ctx->codes || !ctx->pair_secs || !ctx->pair_months) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    const char *params[5] = {ctx->codes, ctx->who.agency_code, ctx->req->request_id,
                             ctx->pair_secs, ctx->pair_months};
    rci_call_query(call, stmt_prepare, params, prepare_done);
}

/* SHA-256 of the canonical batch: the request without its id and
 * validate_only flag (DESIGN §6 "same content"). */
static int push_hash(const Rci__V1__PushSamplesRequest *req, char out[65])
{
    Rci__V1__PushSamplesRequest canon = *req;
    canon.request_id = "";
    canon.validate_only = 0;
    size_t len = rci__v1__push_samples_request__get_packed_size(&canon);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -1;
    rci__v1__push_samples_request__pack(&canon, buf);
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
    ctx->who = *who;
    if (who->agency_code[0] == '\0') {
        rci_call_finish(call, RCI_PERMISSION_DENIED,
                        "samples are pushed with an agency's token; this token belongs to no "
                        "agency");
        return;
    }
    if (ctx->req->n_samples > PUSH_MAX_SAMPLES) {
        rci_violations vs = {0};
        rci_violations_add(&vs, -1, "samples", "%zu samples; at most %d per call: split the file",
                           ctx->req->n_samples, PUSH_MAX_SAMPLES);
        if (ctx->req->validate_only) {
            Rci__V1__PushSamplesResponse resp = RCI__V1__PUSH_SAMPLES_RESPONSE__INIT;
            Rci__V1__Violation v = RCI__V1__VIOLATION__INIT, *vp = &v;
            v.row = -1;
            v.field = vs.items[0].field;
            v.description = vs.items[0].description;
            resp.n_violations = vs.n;
            resp.violations = &vp;
            rci_call_reply(call, &resp.base);
        } else {
            rci_call_fail_violations(call, RCI_INVALID_ARGUMENT, "invalid samples", "samples",
                                     &vs);
        }
        rci_violations_free(&vs);
        return;
    }
    if (push_hash(ctx->req, ctx->hash_hex) != 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    prepare(call, ctx);
}

/* Checks on the request as a whole, before anything is looked up. */
static int check_request(rci_call *call, const Rci__V1__PushSamplesRequest *req)
{
    /* The sample limit is a validation failure with its row (validate). */
    return rci_batch_check(call, "samples", req->n_samples, 0, req->request_id, req->reason);
}

static void push_samples(rci_call *call, const ProtobufCMessage *msg)
{
    const Rci__V1__PushSamplesRequest *req = (const void *)msg;
    if (check_request(call, req) != 0)
        return;
    push_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    ctx->req = (Rci__V1__PushSamplesRequest *)rci_call_take_request(call);
    rci_call_set_data(call, ctx, push_ctx_free);
    rci_auth(call, push_authed);
}

static const rci_method push_methods[] = {
    {"/rci.v1.WaterService/PushSamples", &rci__v1__push_samples_request__descriptor,
     push_samples, NULL},
};

int rci_water_push_init(char *err, size_t errlen)
{
    stmt_prepare = rci_store_register("water_push_prepare", sql_prepare, 5);
    stmt_latest = rci_store_register("water_push_latest", sql_latest, 2);
    stmt_write = rci_store_register("water_push_write", sql_write, 27);
    return rci_dispatch_register(push_methods, sizeof push_methods / sizeof push_methods[0], err,
                                 errlen);
}
