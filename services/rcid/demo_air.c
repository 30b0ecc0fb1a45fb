/* demo_air.c: the daily air data of `rcid demo` (DESIGN §6 "Demo data").
 *
 * What it writes: for every city and month of the demo window whose
 * air.good_days_rate and air.pm25_mean the demo has just written (demo.c),
 * one day of concentrations per calendar day, made so that the month's
 * figures computed from them by the AQI module (aqi.h, HJ 633-2012 before
 * 2026-03-01 and HJ 633-2026 from then on) are exactly those two values:
 * k good days (AQI <= 100) out of n, where k/n is the demo's rate, and PM2.5
 * daily means that sum to n times its mean. The other days are lightly
 * polluted (level III) by ozone or PM2.5, never heavy, so the demo raises
 * no alerts. A month is left without days when its figures cannot be met
 * that way (a corrected value that is no k/n, a note on the cell) or when
 * the city already has air days in it (an agency's data wins).
 *
 * How: one rci_air_write per city (migrations/0012_air.sql), the very path
 * of PushAirDays, by the city's environment agency, request id
 * "demo/air/<window>/<city>". rci_air_write publishes a month's figures only
 * where they differ from the cells, which they do not, so the demo's
 * reporting story (on time, late, corrected) stays as demo.c told it.
 *
 * Deterministic: every choice is a hash of city, day and purpose.
 */
#include "rcid/demo_air.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "air/aqi.h"
#include "air/days.h"
#include "indicators/period.h"

#define PROG "rcid demo"

/* Uniform in [0, 1) for (city, day, purpose): FNV-1a, then splitmix64. */
static double u01(const char *city, int ymd, const char *salt)
{
    uint64_t h = 0xCBF29CE484222325ULL;
    char key[96];
    snprintf(key, sizeof key, "%s|%d|%s", city, ymd, salt);
    for (const char *p = key; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 0x100000001B3ULL;
    }
    uint64_t z = h + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

/* Concentrations of one day, µg/m³ except CO in tenths of mg/m³. */
typedef struct demo_day {
    int good;
    int so2, no2, pm10, co10, o3_1h, o3_8h, pm25;
} demo_day;

typedef struct order_item {
    double key;
    int day;
} order_item;

static int order_cmp(const void *a, const void *b)
{
    const order_item *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key ? 1 : x->day - y->day;
}

/* Good days of n whose rate (tenths of a percent, half to even as
 * rci_air_period_stats rounds it) is rate_x10; -1 if none. */
static int good_days_for(int rate_x10, int n)
{
    for (int k = 0; k <= n; k++) {
        long long num = 1000LL * k, q = num / n, r = num % n;
        if (2 * r > n || (2 * r == n && (q & 1)))
            q++;
        if (q == rate_x10)
            return k;
    }
    return -1;
}

/* The days of one city-month: k good of n, PM2.5 summing to pm25 * n.
 * Returns 0, or -1 if that cannot be met. */
static int make_month(const char *city, int year, int month, int n, int k, int pm25,
                      demo_day *d)
{
    order_item order[31];
    for (int i = 0; i < n; i++)
        order[i] = (order_item){u01(city, year * 10000 + month * 100 + i + 1, "bad"), i};
    qsort(order, (size_t)n, sizeof *order, order_cmp);
    for (int i = 0; i < n; i++)
        d[order[i].day].good = i < k;
    long sum = 0, want = (long)pm25 * n;
    for (int i = 0; i < n; i++) {
        int ymd = year * 10000 + month * 100 + i + 1;
        int cap = d[i].good ? 60 : 110;      /* IAQI <= 100 / <= 150 in both editions */
        int v = (int)(pm25 * (0.7 + 0.6 * u01(city, ymd, "pm25")) + 0.5);
        d[i].pm25 = v < 3 ? 3 : v > cap ? cap : v;
        sum += d[i].pm25;
    }
    /* Even out to the exact sum, one µg/m³ at a time, day after day. */
    for (int guard = 0; sum != want && guard < 200 * n; guard++) {
        int i = guard % n, cap = d[i].good ? 60 : 110;
        if (sum < want && d[i].pm25 < cap) {
            d[i].pm25++;
            sum++;
        } else if (sum > want && d[i].pm25 > 3) {
            d[i].pm25--;
            sum--;
        }
    }
    if (sum != want)
        return -1;
    for (int i = 0; i < n; i++) {
        int ymd = year * 10000 + month * 100 + i + 1;
        d[i].so2 = 4 + (int)(8 * u01(city, ymd, "so2"));
        d[i].no2 = 15 + (int)(25 * u01(city, ymd, "no2"));
        d[i].co10 = 5 + (int)(6 * u01(city, ymd, "co"));
        d[i].pm10 = d[i].pm25 * 16 / 10;
        if (d[i].good) {
            d[i].o3_8h = 60 + (int)(90 * u01(city, ymd, "o3"));         /* IAQI <= 92 */
        } else {
            d[i].o3_8h = 170 + (int)(40 * u01(city, ymd, "o3"));        /* IAQI 110..146 */
        }
        d[i].o3_1h = d[i].o3_8h + 20 + (int)(20 * u01(city, ymd, "o31"));
    }
    return 0;
}

static void sample_of(const demo_day *d, rci_air_sample *s)
{
    memset(s, 0, sizeof *s);
    rci_air_sample_set(s, RCI_AIR_SO2_24H, (rci_air_conc)d->so2 * 1000);
    rci_air_sample_set(s, RCI_AIR_NO2_24H, (rci_air_conc)d->no2 * 1000);
    rci_air_sample_set(s, RCI_AIR_PM10_24H, (rci_air_conc)d->pm10 * 1000);
    rci_air_sample_set(s, RCI_AIR_CO_24H, (rci_air_conc)d->co10 * 100);
    rci_air_sample_set(s, RCI_AIR_O3_1H, (rci_air_conc)d->o3_1h * 1000);
    rci_air_sample_set(s, RCI_AIR_O3_8H, (rci_air_conc)d->o3_8h * 1000);
    rci_air_sample_set(s, RCI_AIR_PM25_24H, (rci_air_conc)d->pm25 * 1000);
}

/* One city's JSON parameters, being built. */
typedef struct city_json {
    char code[16], agency[72];
    air_buf months, days, values;
    int nmonths;
    long long ndays;
} city_json;

static void city_json_open(city_json *c, const char *code, const char *agency)
{
    memset(c, 0, sizeof *c);
    snprintf(c->code, sizeof c->code, "%s", code);
    snprintf(c->agency, sizeof c->agency, "%s", agency);
    air_buf_add(&c->months, "[");
    air_buf_add(&c->days, "[");
    air_buf_add(&c->values, "[");
}

static void city_json_free(city_json *c)
{
    air_buf_free(&c->months);
    air_buf_free(&c->days);
    air_buf_free(&c->values);
}

/* Add one month if its figures come out as the cells say; 1 added, 0
 * skipped. */
static int add_month(city_json *c, const char *period, const char *rate, const char *pm25)
{
    rci_period per;
    if (rci_period_parse(RCI_FREQ_MONTHLY, period, &per, NULL, 0) != 0)
        return 0;
    int year = per.year, month = per.index, n = rci_date_days_in_month(year, month);
    rci_air_conc rate_c, pm_c;
    if (rci_air_conc_parse(rate, &rate_c, NULL, 0) != 0 || rate_c % 100 != 0 ||
        rci_air_conc_parse(pm25, &pm_c, NULL, 0) != 0 || pm_c % 1000 != 0)
        return 0;
    int k = good_days_for((int)(rate_c / 100), n);
    demo_day d[31];
    if (k < 0 || make_month(c->code, year, month, n, k, (int)(pm_c / 1000), d) != 0)
        return 0;
    /* The check the write will make: these days give exactly the cells. */
    rci_air_day days[31];
    for (int i = 0; i < n; i++) {
        days[i] = (rci_air_day){year, month, i + 1, {0, {0}}};
        sample_of(&d[i], &days[i].sample);
    }
    rci_air_period st;
    if (rci_air_period_stats(year, month, days, (size_t)n, &st, NULL, 0) != 0 ||
        st.good_rate_x10 != rate_c / 100 || st.stat[RCI_AIR_STAT_PM25].value != pm_c ||
        st.valid_days != n)
        return 0;
    for (int i = 0; i < n; i++) {
        rci_aqi_result r;
        air_day_aqi(year, month, i + 1, &days[i].sample, &r);
        air_buf_printf(&c->days,
                       "%s{\"city\":\"%s\",\"day\":\"%04d-%02d-%02d\",\"so2\":%d,\"no2\":%d,"
                       "\"pm10\":%d,\"co\":%d.%d,\"o3_1h\":%d,\"o3_8h\":%d,\"pm25\":%d,"
                       "\"note\":\"\",\"aqi\":%d}",
                       c->ndays ? "," : "", c->code, year, month, i + 1, d[i].so2, d[i].no2,
                       d[i].pm10, d[i].co10 / 10, d[i].co10 % 10, d[i].o3_1h, d[i].o3_8h,
                       d[i].pm25, r.aqi);
        c->ndays++;
    }
    air_buf_printf(&c->months, "%s{\"city\":\"%s\",\"month\":\"%s\",\"seq\":0}",
                   c->nmonths ? "," : "", c->code, period);
    air_buf_printf(&c->values,
                   "%s{\"indicator\":\"air.good_days_rate\",\"region\":\"%s\",\"period\":\"%s\","
                   "\"end\":\"%04d-%02d-%02d\",\"value\":\"%s\",\"note\":\"\"},"
                   "{\"indicator\":\"air.pm25_mean\",\"region\":\"%s\",\"period\":\"%s\","
                   "\"end\":\"%04d-%02d-%02d\",\"value\":\"%s\",\"note\":\"\"}",
                   c->nmonths ? "," : "", c->code, period, year, month, n, rate, c->code,
                   period, year, month, n, pm25);
    c->nmonths++;
    return 1;
}

/* rci_air_write for one city's months. */
static int write_city(PGconn *conn, city_json *c, const char *window)
{
    air_buf_add(&c->months, "]");
    air_buf_add(&c->days, "]");
    air_buf_add(&c->values, "]");
    char *months = air_buf_take(&c->months), *days = air_buf_take(&c->days);
    char *values = air_buf_take(&c->values);
    int rc = -1;
    char rid[128], hash[65];
    snprintf(rid, sizeof rid, "demo/air/%s/%s", window, c->code);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!months || !days || !values ||
        !EVP_Digest(days, strlen(days), md, &mdlen, EVP_sha256(), NULL)) {
        fputs(PROG ": out of memory\n", stderr);
        goto out;
    }
    for (unsigned int i = 0; i < mdlen && i < 32; i++)
        snprintf(hash + 2 * i, 3, "%02x", md[i]);
    const char *params[9] = {c->agency, rid, hash, months, days, values};
    PGresult *r = PQexecParams(conn,
                               "SELECT status, written FROM rci_air_write($1, NULL, $2, "
                               "decode($3, 'hex'), '', 'local', $4::jsonb, $5::jsonb, "
                               "$6::jsonb, '[]'::jsonb)",
                               6, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        fprintf(stderr, PROG ": air days of %s: %s", c->code, PQresultErrorMessage(r));
    } else if (strcmp(PQgetvalue(r, 0, 0), "ok") != 0) {
        fprintf(stderr, PROG ": air days of %s: rci_air_write answered %s\n", c->code,
                PQgetvalue(r, 0, 0));
    } else {
        rc = 0;
    }
    PQclear(r);
out:
    free(months);
    free(days);
    free(values);
    return rc;
}

int demo_air_load(PGconn *conn, const char *first, const char *last, const char *window,
                  demo_air_counts *out)
{
    memset(out, 0, sizeof *out);
    /* The demo's own air cells (no note), with the city's environment
     * agency, in months where the city has no air days yet. */
    const char *params[2] = {first, last};
    PGresult *r = PQexecParams(
        conn,
        "WITH demo AS (SELECT id FROM batches WHERE token_id IS NULL AND request_id LIKE 'demo/%')\n"
        "SELECT g.region_code, g.period, g.value::text, p.value::text, a.code\n"
        "  FROM cells g\n"
        "  JOIN cells p ON p.indicator_code = 'air.pm25_mean' AND p.region_code = g.region_code\n"
        "              AND p.period = g.period\n"
        "  JOIN LATERAL (SELECT a.code FROM agencies a\n"
        "                  JOIN agency_domains d ON d.agency_code = a.code\n"
        "                 WHERE a.city_code = g.region_code AND d.domain_code = 'environment'\n"
        "                 ORDER BY a.code LIMIT 1) a ON true\n"
        " WHERE g.indicator_code = 'air.good_days_rate' AND g.note = '' AND p.note = ''\n"
        "   AND g.period_end BETWEEN $1::date AND $2::date\n"
        "   AND g.batch_id IN (SELECT id FROM demo) AND p.batch_id IN (SELECT id FROM demo)\n"
        "   AND NOT EXISTS (SELECT 1 FROM air_days d WHERE d.city_code = g.region_code\n"
        "                     AND d.day BETWEEN (g.period || '-01')::date AND g.period_end)\n"
        " ORDER BY 1, 2",
        2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, PROG ": reading the air cells: %s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    int rc = 0, open = 0;
    city_json c;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        const char *code = PQgetvalue(r, i, 0);
        if (open && strcmp(code, c.code) != 0) {
            if (c.nmonths)
                rc = write_city(conn, &c, window);
            out->days += c.ndays;
            out->months += c.nmonths;
            out->cities += c.nmonths > 0;
            city_json_free(&c);
            open = 0;
        }
        if (rc != 0)
            break;
        if (!open) {
            city_json_open(&c, code, PQgetvalue(r, i, 4));
            open = 1;
        }
        if (!add_month(&c, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3)))
            out->skipped++;
    }
    if (open) {
        if (rc == 0 && c.nmonths)
            rc = write_city(conn, &c, window);
        out->days += c.ndays;
        out->months += c.nmonths;
        out->cities += c.nmonths > 0;
        city_json_free(&c);
    }
    PQclear(r);
    return rc;
}

int demo_air_delete(PGconn *conn, long long *days)
{
    static const char *const steps_sql[] = {
        "CREATE TEMP TABLE demo_air_old ON COMMIT DROP AS\n"
        "SELECT id FROM air_batches WHERE token_id IS NULL AND request_id LIKE 'demo/%'",
        "DELETE FROM air_day_revisions r USING air_days d\n"
        " WHERE d.city_code = r.city_code AND d.day = r.day\n"
        "   AND d.first_air_batch_id IN (SELECT id FROM demo_air_old)",
        "DELETE FROM air_days WHERE first_air_batch_id IN (SELECT id FROM demo_air_old)",
        "DELETE FROM air_requests WHERE air_batch_id IN (SELECT id FROM demo_air_old)",
        "DELETE FROM air_batches WHERE id IN (SELECT id FROM demo_air_old)",
    };
    *days = 0;
    for (size_t i = 0; i < sizeof steps_sql / sizeof steps_sql[0]; i++) {
        PGresult *r = PQexec(conn, steps_sql[i]);
        ExecStatusType st = PQresultStatus(r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            fprintf(stderr, PROG ": %s", PQresultErrorMessage(r));
            PQclear(r);
            return -1;
        }
        if (i == 2)
            *days = atoll(PQcmdTuples(r));
        PQclear(r);
    }
    return 0;
}
