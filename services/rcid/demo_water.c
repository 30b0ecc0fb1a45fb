/* demo_water.c: the monthly water samples of `rcid demo` (DESIGN §6 "Demo
 * data" and "Water").
 *
 * What it writes: for every section of the registry (the eight seeded by
 * migrations/0013_water.sql) and every month of the demo window, the
 * sample of the section's monitor agency (the official one) and, for about
 * 85 % of the months, the joint sample of the other city's environment
 * agency, both taken on the same working day between the 5th and the 17th.
 * Each sample has the items a station reports monthly: pH, DO, CODMn, COD,
 * BOD5, NH3-N, TP, and copper, zinc, cadmium and lead at class I levels.
 * Values sit between 35 % and 85 % of the limit of the section's target
 * class (DO above its floor), so most months meet the target; in about 18 %
 * of the wet-season months (April to September) and 3 % of the others
 * NH3-N or TP is 1.12 to 1.5 times its limit, and the month misses it. A
 * joint sample is the official one within ±12 % (pH ±0.15) — within the
 * 20 % tolerance — except in about 10 % of the pairs, where NH3-N, TP or
 * COD is 1.7 to 2.2 times the official value.
 *
 * How: the very path of PushSamples — the samples are evaluated by GB 3838
 * (gb3838.c), their alerts built by the service's own alerts.c, and all
 * written by rci_water_write (migrations/0013_water.sql): one call per
 * agency for the official samples (request id
 * "demo/water/<window>/<agency>/official"), then one per agency for the
 * joint ones (".../joint"), which are compared with the official samples
 * just written, as a push of the second city's samples would be. The water
 * lock is taken first and held to the commit, so the state passed to
 * rci_water_write (rci_water_state, read in the same call) cannot be stale.
 * A section-month that already has samples is left alone (an agency's data
 * wins); a sample dated after today (China Standard Time) is not written,
 * as PushSamples would refuse it.
 *
 * Deterministic: every choice is a hash of section, month, sampler and
 * purpose, and the arithmetic is on whole numbers of the value's last
 * decimal, so the rows are the same on every machine.
 */
#include "rcid/demo_water.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "indicators/period.h"
#include "water/water_internal.h"

#define PROG "rcid demo"
#define CST_OFFSET (8 * 3600)

/* ---- the values -------------------------------------------------------------- */

typedef enum { P_FIXED, P_LOWER, P_UPPER } param_rule;

/* One reported item: units are 10^-dec of the parameter's unit. P_FIXED:
 * lo..hi units whatever the target; P_LOWER: the target's floor plus lo..hi
 * units; P_UPPER: lo..hi permille of the target's limit. */
typedef struct demo_param {
    const char *code;
    int dec;
    param_rule rule;
    int lo, hi;
} demo_param;

static const demo_param PARAMS[] = {
    {"ph", 2, P_FIXED, 680, 790},    {"do", 1, P_LOWER, 4, 24},
    {"codmn", 1, P_UPPER, 350, 850}, {"cod", 0, P_UPPER, 350, 850},
    {"bod5", 1, P_UPPER, 350, 850},  {"nh3n", 3, P_UPPER, 350, 850},
    {"tp", 3, P_UPPER, 350, 850},    {"cu", 4, P_FIXED, 10, 60},
    {"zn", 3, P_FIXED, 5, 30},       {"cd", 5, P_FIXED, 5, 30},
    {"pb", 4, P_FIXED, 5, 30},
};
#define NPARAMS ((int)(sizeof PARAMS / sizeof PARAMS[0]))
#define P_COD 3
#define P_NH3N 5
#define P_TP 6

/* A 64-bit draw for (section, month, sampler, purpose): FNV-1a, then
 * splitmix64. */
static uint64_t draw(const char *sec, const char *month, const char *who, const char *what)
{
    uint64_t h = 0xCBF29CE484222325ULL;
    char key[128];
    snprintf(key, sizeof key, "water|%s|%s|%s|%s", sec, month, who, what);
    for (const char *p = key; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 0x100000001B3ULL;
    }
    uint64_t z = h + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* lo..hi inclusive. */
static long long pick(const char *sec, const char *month, const char *who, const char *what,
                      long long lo, long long hi)
{
    return lo + (long long)(draw(sec, month, who, what) % (uint64_t)(hi - lo + 1));
}

static long long pow10ll(int n)
{
    long long p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

/* The limit of the section's target class for PARAMS[i], in its units. */
static long long target_limit(const rci_water_section *s, int i)
{
    rci_wq_value v;
    if (rci_wq_limit(rci_wq_param_find(PARAMS[i].code), s->kind, s->target, &v) != 0)
        return 0;
    return v.nano / pow10ll(9 - PARAMS[i].dec);
}

/* The official sample's values of section s for month. */
static void official_values(const rci_water_section *s, const char *month, long long *u)
{
    const char *sec = s->code, *who = "official";
    for (int i = 0; i < NPARAMS; i++) {
        const demo_param *p = &PARAMS[i];
        long long lim = target_limit(s, i);
        if (p->rule == P_FIXED)
            u[i] = pick(sec, month, who, p->code, p->lo, p->hi);
        else if (p->rule == P_LOWER)
            u[i] = lim + pick(sec, month, who, p->code, p->lo, p->hi);
        else
            u[i] = lim * pick(sec, month, who, p->code, p->lo, p->hi) / 1000;
        if (u[i] < 1)
            u[i] = 1;
    }
    /* A month that misses the target: NH3-N or TP above the limit, mostly
     * in the wet season. */
    int m = atoi(month + 5);
    long long pct = pick(sec, month, who, "off", 0, 99);
    if (pct < (m >= 4 && m <= 9 ? 18 : 3)) {
        int i = pick(sec, month, who, "off_param", 0, 1) ? P_TP : P_NH3N;
        u[i] = target_limit(s, i) * pick(sec, month, who, "off_by", 1120, 1500) / 1000;
    }
}

/* The joint sample's values: the official ones within ±12 % (pH ±0.15),
 * or one of NH3-N, TP and COD 1.7 to 2.2 times as high. */
static void joint_values(const rci_water_section *s, const char *month, const long long *off,
                         long long *u)
{
    const char *sec = s->code, *who = "joint";
    for (int i = 0; i < NPARAMS; i++) {
        if (i == 0) {
            u[i] = off[i] + pick(sec, month, who, PARAMS[i].code, -15, 15);
        } else {
            long long k = pick(sec, month, who, PARAMS[i].code, 880, 1120);
            u[i] = (off[i] * k + 500) / 1000;
        }
        if (u[i] < 1)
            u[i] = 1;
    }
    if (pick(sec, month, who, "disc", 0, 99) < 10) {
        static const int which[3] = {P_NH3N, P_TP, P_COD};
        int i = which[pick(sec, month, who, "disc_param", 0, 2)];
        u[i] = (off[i] * pick(sec, month, who, "disc_by", 1700, 2200) + 500) / 1000;
    }
}

/* ---- the samples ------------------------------------------------------------------- */

/* A section and its joint sampler. */
typedef struct demo_section {
    rci_water_section s;
    char other[72], other_city[16];   /* "" when the other city has no such agency */
} demo_section;

/* One section-month: the official sample and maybe a joint one. */
typedef struct demo_month {
    int sec;
    rci_water_sample off, joint;
    int has_joint;
} demo_month;

/* Fill smp from values u (PARAMS order). 0, or -1 out of memory. */
static int make_sample(rci_water_sample *smp, const char *section, const char *agency,
                       const char *city, const char *month, const char *day, const long long *u)
{
    rci_wq_item items[NPARAMS];
    for (int i = 0; i < NPARAMS; i++) {
        items[i].code = rci_wq_param_find(PARAMS[i].code)->code;
        items[i].value.nano = u[i] * pow10ll(9 - PARAMS[i].dec);
    }
    rci_water_sort_items(items, NPARAMS);
    char *content = rci_water_content(day, items, NPARAMS, "");
    int rc = content ? rci_water_sample_parse(smp, content) : -1;
    free(content);
    snprintf(smp->section, sizeof smp->section, "%s", section);
    snprintf(smp->agency, sizeof smp->agency, "%s", agency);
    snprintf(smp->city, sizeof smp->city, "%s", city);
    snprintf(smp->month, sizeof smp->month, "%s", month);
    smp->revision = 1;
    return rc;
}

/* The sampling day: a working day (Monday to Friday) from the 5th. */
static rci_date sampling_day(const char *sec, const char *month)
{
    rci_date d = {atoi(month), atoi(month + 5), (int)pick(sec, month, "both", "day", 5, 15)};
    while (rci_date_weekday(d) > 5)
        d.day++;
    return d;
}

static rci_date today_cst(void)
{
    time_t t = time(NULL) + CST_OFFSET;
    struct tm tm;
    gmtime_r(&t, &tm);
    return (rci_date){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

/* ---- reading ------------------------------------------------------------------------- */

static PGresult *query(PGconn *conn, const char *what, const char *sql, int n,
                       const char *const *params)
{
    PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        fprintf(stderr, PROG ": %s: %s", what, PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    return r;
}

/* The sections, each with the other city's environment agency. */
static int read_sections(PGconn *conn, demo_section **out, int *n)
{
    PGresult *r = query(
        conn, "reading the water sections",
        "SELECT " RCI_WATER_SECTION_COLS ",\n"
        "       coalesce(o.code, ''), coalesce(o.city_code, '')\n"
        "  FROM water_sections s\n"
        "  LEFT JOIN LATERAL (SELECT a.code, a.city_code FROM agencies a\n"
        "                       JOIN agency_domains d ON d.agency_code = a.code\n"
        "                      WHERE d.domain_code = 'environment'\n"
        "                        AND a.city_code = ANY (s.cities)\n"
        "                        AND a.city_code <> (SELECT m.city_code FROM agencies m\n"
        "                                             WHERE m.code = s.monitor_agency)\n"
        "                      ORDER BY a.city_code, a.code LIMIT 1) o ON true\n"
        " ORDER BY s.code",
        0, NULL);
    if (!r)
        return -1;
    *n = PQntuples(r);
    *out = calloc((size_t)(*n ? *n : 1), sizeof **out);
    int rc = *out ? 0 : -1;
    for (int i = 0; rc == 0 && i < *n; i++) {
        demo_section *d = &(*out)[i];
        if (rci_water_section_load(&d->s, r, i, 0) != 0) {
            rc = -1;
            break;
        }
        snprintf(d->other, sizeof d->other, "%s", PQgetvalue(r, i, RCI_WATER_SECTION_NCOLS));
        snprintf(d->other_city, sizeof d->other_city, "%s",
                 PQgetvalue(r, i, RCI_WATER_SECTION_NCOLS + 1));
    }
    if (rc != 0)
        fputs(PROG ": cannot read the water sections\n", stderr);
    PQclear(r);
    return rc;
}

/* ---- writing ------------------------------------------------------------------------- */

static const char sql_write[] =
    "SELECT status, alerts_raised::text, coalesce(array_to_string(ids, ','), '')\n"
    "  FROM rci_water_write($1, NULL, $2, decode($3, 'hex'), '', 'local',\n"
    "       rci_water_state($4::text[], $5::text[]), $4::text[], $5::text[], 0,\n"
    "       $4::text[], $5::text[], $6::int[], $7::date[], $8::text[], $9::text[],\n"
    "       $10::int[], $11::text[], $12::numeric[], $13::text[],\n"
    "       $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::jsonb[],\n"
    "       $20::int[])";

/* One rci_water_write of agency's samples: the official ones (joint 0) or
 * the joint ones. Official samples get their ids. */
static int write_batch(PGconn *conn, const demo_section *secs, demo_month *ms, int nm,
                       const char *agency, int joint, const char *window,
                       demo_water_counts *out)
{
    rci_water_alerts al = {0};
    rci_water_buf sec = {0}, mon = {0}, rev = {0}, day = {0}, note = {0}, con = {0};
    rci_water_buf pidx = {0}, par = {0}, val = {0}, unit = {0}, all = {0};
    int n = 0;
    long long off_target = 0, disc = 0;
    for (int i = 0; i < nm; i++) {
        const demo_section *d = &secs[ms[i].sec];
        if (joint ? !ms[i].has_joint || strcmp(d->other, agency) != 0
                  : strcmp(d->s.monitor, agency) != 0)
            continue;
        const rci_water_sample *s = joint ? &ms[i].joint : &ms[i].off;
        int widx = ++n;
        rci_water_buf_elem(&sec, s->section);
        rci_water_buf_elem(&mon, s->month);
        rci_water_buf_elem(&rev, "1");
        rci_water_buf_elem(&day, s->sampled_on);
        rci_water_buf_elem(&note, "");
        rci_water_buf_elem(&con, s->content);
        rci_water_buf_printf(&all, "%s|%s\n", s->section, s->content);
        for (size_t j = 0; j < s->n; j++) {
            char v[RCI_WQ_VALUE_TEXT_MAX];
            rci_wq_value_format(s->items[j].value, v, sizeof v);
            rci_water_buf_elemf(&pidx, "%d", widx);
            rci_water_buf_elem(&par, s->items[j].code);
            rci_water_buf_elem(&val, v);
            rci_water_buf_elem(&unit, rci_wq_param_find(s->items[j].code)->unit);
        }
        /* As push.c decides for a new sample: off target, and against the
         * other city's sample of the month. */
        rci_wq_factor f[RCI_WQ_PARAM_COUNT];
        rci_wq_result res;
        if (rci_wq_evaluate(d->s.kind, d->s.target, s->items, s->n, f, &res, NULL, 0) == 0 &&
            res.cls != RCI_WQ_CLASS_NONE && !res.meets) {
            rci_water_alert_off_target(&al, &d->s, s, widx);
            off_target++;
        }
        if (joint) {
            int before = al.n;
            rci_water_alert_joint(&al, &d->s, &ms[i].off, s, widx);
            disc += al.n - before;
        }
    }
    int rc = -1;
    rci_water_buf *cols[17] = {&sec,     &mon,     &rev,       &day,        &note,
                               &con,     &pidx,    &par,       &val,        &unit,
                               &al.kind, &al.sev,  &al.cities, &al.subject, &al.message,
                               &al.detail, &al.idx};
    char *arr[17];
    int ok = !all.err;
    for (int i = 0; i < 17; i++) {
        arr[i] = rci_water_buf_array(cols[i]);
        ok = ok && arr[i];
    }
    char rid[160], hash[65];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (n == 0) {
        rc = 0;
        goto out;
    }
    if (!ok || !EVP_Digest(all.p, all.n, md, &mdlen, EVP_sha256(), NULL)) {
        fputs(PROG ": out of memory\n", stderr);
        goto out;
    }
    for (unsigned int i = 0; i < mdlen && i < 32; i++)
        snprintf(hash + 2 * i, 3, "%02x", md[i]);
    snprintf(rid, sizeof rid, "demo/water/%s/%s/%s", window, agency,
             joint ? "joint" : "official");
    const char *params[20] = {agency, rid, hash};
    for (int i = 0; i < 17; i++)
        params[3 + i] = arr[i];
    PGresult *r = query(conn, "water samples", sql_write, 20, params);
    if (!r)
        goto out;
    if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "ok") != 0) {
        fprintf(stderr, PROG ": water samples of %s: rci_water_write answered %s\n", agency,
                PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "nothing");
        PQclear(r);
        goto out;
    }
    out->alerts += atoll(PQgetvalue(r, 0, 1));
    if (!joint) {
        const char *q = PQgetvalue(r, 0, 2);
        for (int i = 0; i < nm && q; i++) {
            if (strcmp(secs[ms[i].sec].s.monitor, agency) != 0)
                continue;
            ms[i].off.id = atoll(q);
            q = strchr(q, ',');
            q = q ? q + 1 : NULL;
        }
    }
    PQclear(r);
    out->samples += n;
    *(joint ? &out->joint : &out->official) += n;
    if (!joint)
        out->off_target += off_target;
    out->discrepancies += disc;
    rc = 0;
out:
    for (int i = 0; i < 17; i++)
        free(arr[i]);
    free(all.p);
    return rc;
}

/* 1 if an earlier section than i has the same sampler for the round. */
static int seen_before(const demo_section *secs, int i, int joint)
{
    const char *a = joint ? secs[i].other : secs[i].s.monitor;
    for (int k = 0; k < i; k++)
        if (strcmp(joint ? secs[k].other : secs[k].s.monitor, a) == 0)
            return 1;
    return 0;
}

int demo_water_load(PGconn *conn, const char *first, const char *last, const char *window,
                    demo_water_counts *out)
{
    memset(out, 0, sizeof *out);
    /* Held to the commit: nothing else changes the samples meanwhile. */
    PGresult *r = query(conn, "the water lock",
                        "SELECT pg_advisory_xact_lock(rci_water_lock_key())", 0, NULL);
    if (!r)
        return -1;
    PQclear(r);
    demo_section *secs = NULL;
    demo_month *ms = NULL;
    int nsecs = 0, nm = 0, rc = -1;
    const char *range[2] = {first, last};
    PGresult *had = NULL;
    rci_period p0, p1;
    if (read_sections(conn, &secs, &nsecs) != 0)
        goto out;
    if (rci_period_parse(RCI_FREQ_MONTHLY, first, &p0, NULL, 0) != 0 ||
        rci_period_parse(RCI_FREQ_MONTHLY, last, &p1, NULL, 0) != 0)
        goto out;
    had = query(conn, "reading the water samples",
                "SELECT DISTINCT section_code, month FROM water_samples\n"
                " WHERE month BETWEEN $1 AND $2",
                2, range);
    if (!had)
        goto out;
    int nmonths = (p1.year - p0.year) * 12 + p1.index - p0.index + 1;
    ms = calloc((size_t)(nsecs * (nmonths > 0 ? nmonths : 0) + 1), sizeof *ms);
    if (!ms) {
        fputs(PROG ": out of memory\n", stderr);
        goto out;
    }
    rci_date today = today_cst();
    for (int i = 0; i < nsecs; i++) {
        const demo_section *d = &secs[i];
        int any = 0;
        for (int k = 0; k < nmonths; k++) {
            rci_period per;
            char month[RCI_PERIOD_TEXT_MAX], dayt[RCI_DATE_TEXT_MAX];
            rci_period_add(&p0, k, &per);
            rci_period_format(&per, month, sizeof month);
            int kept = 0;
            for (int h = 0; h < PQntuples(had) && !kept; h++)
                kept = strcmp(PQgetvalue(had, h, 0), d->s.code) == 0 &&
                       strcmp(PQgetvalue(had, h, 1), month) == 0;
            rci_date day = sampling_day(d->s.code, month);
            if (kept || rci_date_cmp(day, today) > 0) {
                out->kept += kept;
                continue;
            }
            rci_date_format(day, dayt, sizeof dayt);
            long long off[NPARAMS], jv[NPARAMS];
            demo_month *m = &ms[nm++];
            m->sec = i;
            official_values(&d->s, month, off);
            if (make_sample(&m->off, d->s.code, d->s.monitor, d->s.monitor_city, month, dayt,
                            off) != 0)
                goto oom;
            m->has_joint = d->other[0] && pick(d->s.code, month, "joint", "present", 0, 99) < 85;
            if (m->has_joint) {
                joint_values(&d->s, month, off, jv);
                if (make_sample(&m->joint, d->s.code, d->other, d->other_city, month, dayt,
                                jv) != 0)
                    goto oom;
            }
            any = 1;
        }
        out->sections += any;
    }
    /* The official samples first, then the joint checks against them. */
    for (int joint = 0; joint <= 1; joint++)
        for (int i = 0; i < nsecs; i++) {
            const char *agency = joint ? secs[i].other : secs[i].s.monitor;
            if (agency[0] && !seen_before(secs, i, joint) &&
                write_batch(conn, secs, ms, nm, agency, joint, window, out) != 0)
                goto out;
        }
    rc = 0;
    goto out;
oom:
    fputs(PROG ": out of memory\n", stderr);
out:
    for (int i = 0; ms && i < nm; i++) {
        rci_water_sample_free(&ms[i].off);
        rci_water_sample_free(&ms[i].joint);
    }
    free(ms);
    free(secs);
    PQclear(had);
    return rc;
}

int demo_water_delete(PGconn *conn, long long *samples)
{
    static const char *const steps_sql[] = {
        /* Let the append-only triggers through for demo rows only
         * (migrations/0014_demo_replace.sql), to the end of the
         * transaction. */
        "SELECT set_config('rci.demo_replace', 'on', true)",
        "CREATE TEMP TABLE demo_water_old ON COMMIT DROP AS\n"
        "SELECT id, agency_code, request_id FROM water_samples\n"
        " WHERE token_id IS NULL AND request_id LIKE 'demo/%'",
        "DELETE FROM alerts\n"
        " WHERE kind IN ('water.off_target', 'water.joint_discrepancy')\n"
        "   AND detail ->> 'sample_id' IN (SELECT id::text FROM demo_water_old)",
        "DELETE FROM water_sample_values WHERE sample_id IN (SELECT id FROM demo_water_old)",
        "DELETE FROM water_samples WHERE id IN (SELECT id FROM demo_water_old)",
        "DELETE FROM water_push_requests r USING (SELECT DISTINCT agency_code, request_id\n"
        "                                           FROM demo_water_old) o\n"
        " WHERE r.agency_code = o.agency_code AND r.request_id = o.request_id",
        "SELECT set_config('rci.demo_replace', 'off', true)",
    };
    *samples = 0;
    for (size_t i = 0; i < sizeof steps_sql / sizeof steps_sql[0]; i++) {
        PGresult *r = query(conn, "deleting the demo water samples", steps_sql[i], 0, NULL);
        if (!r)
            return -1;
        if (i == 4)
            *samples = atoll(PQcmdTuples(r));
        PQclear(r);
    }
    return 0;
}
