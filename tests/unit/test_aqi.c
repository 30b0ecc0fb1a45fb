/* test_aqi.c: unit tests for air/aqi.c — every IAQI breakpoint of both HJ 633
 * editions and the values either side of it, the special rules above 800,
 * the 500 cap, rounding (round-up IAQI, GB/T 8170 concentrations), the cases
 * where double arithmetic goes wrong, AQI, categories and colours, primary
 * pollutants and their ties, the daily and hourly indicator sets, the
 * edition switch on 2026-03-01, month and year statistics with missing days
 * and pollutants, percentiles, valid-day thresholds, the composite index,
 * ranking, and bad input.
 *
 * Expected values come from the standards' tables (typed again here, not
 * taken from aqi.c), from the reference's worked examples, or are worked
 * by hand in the comments. The values one reporting unit either side of
 * each HJ 633-2026 breakpoint were computed with Python's exact fractions
 * from HJ 633-2026 Table 3, independently of aqi.c. */
#include "air/aqi.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

static char why[256];

/* Concentrations: whole units, and CO in tenths of a mg/m³. */
#define C(units) ((rci_air_conc)(units) * RCI_AIR_CONC_SCALE)
#define CO10(tenths) ((rci_air_conc)(tenths) * (RCI_AIR_CONC_SCALE / 10))

#define E12 RCI_AQI_HJ633_2012
#define E26 RCI_AQI_HJ633_2026

/* The IAQI, -1 if the item has no IAQI (REPLACED), -2 if refused. */
static int iaqi(rci_aqi_edition ed, rci_air_item it, rci_air_conc c)
{
    rci_aqi_iaqi r;
    if (rci_aqi_iaqi_of(ed, it, c, &r, why, sizeof why))
        return -2;
    return r.status == RCI_AQI_OK ? r.iaqi : -1;
}

static unsigned iaqi_flags(rci_aqi_edition ed, rci_air_item it, rci_air_conc c)
{
    rci_aqi_iaqi r;
    if (rci_aqi_iaqi_of(ed, it, c, &r, why, sizeof why))
        return 0xdead;
    return r.flags;
}

/* ---- the tables, typed from the standards -------------------------------- */

static const int IAQI[8] = {0, 50, 100, 150, 200, 300, 400, 500};

typedef struct table_column {
    rci_air_item it;
    int n;
    int bp[8]; /* whole µg/m³; CO in mg/m³ */
} table_column;

/* HJ 633-2012 Table 1. */
static const table_column table_2012[] = {
    {RCI_AIR_SO2_24H, 8, {0, 50, 150, 475, 800, 1600, 2100, 2620}},
    {RCI_AIR_SO2_1H, 5, {0, 150, 500, 650, 800}},
    {RCI_AIR_NO2_24H, 8, {0, 40, 80, 180, 280, 565, 750, 940}},
    {RCI_AIR_NO2_1H, 8, {0, 100, 200, 700, 1200, 2340, 3090, 3840}},
    {RCI_AIR_PM10_24H, 8, {0, 50, 150, 250, 350, 420, 500, 600}},
    {RCI_AIR_CO_24H, 8, {0, 2, 4, 14, 24, 36, 48, 60}},
    {RCI_AIR_CO_1H, 8, {0, 5, 10, 35, 60, 90, 120, 150}},
    {RCI_AIR_O3_1H, 8, {0, 160, 200, 300, 400, 800, 1000, 1200}},
    {RCI_AIR_O3_8H, 6, {0, 100, 160, 215, 265, 800}},
    {RCI_AIR_PM25_24H, 8, {0, 35, 75, 115, 150, 250, 350, 500}},
};

/* HJ 633-2026 Table 3 (PM 1-hour values use the daily columns, §4.2.3). */
static const table_column table_2026[] = {
    {RCI_AIR_SO2_24H, 8, {0, 50, 150, 475, 800, 1600, 2100, 2620}},
    {RCI_AIR_SO2_1H, 5, {0, 150, 500, 650, 800}},
    {RCI_AIR_NO2_24H, 8, {0, 40, 80, 180, 280, 565, 750, 940}},
    {RCI_AIR_NO2_1H, 8, {0, 100, 200, 700, 1200, 2340, 3090, 3840}},
    {RCI_AIR_CO_24H, 8, {0, 2, 4, 14, 24, 36, 48, 60}},
    {RCI_AIR_CO_1H, 8, {0, 5, 10, 35, 60, 90, 120, 150}},
    {RCI_AIR_O3_1H, 8, {0, 160, 200, 300, 400, 800, 1000, 1200}},
    {RCI_AIR_O3_8H, 6, {0, 100, 160, 215, 265, 800}},
    {RCI_AIR_PM10_24H, 8, {0, 50, 120, 250, 350, 420, 500, 600}},
    {RCI_AIR_PM10_1H, 8, {0, 50, 120, 250, 350, 420, 500, 600}},
    {RCI_AIR_PM25_24H, 8, {0, 35, 60, 115, 150, 250, 350, 500}},
    {RCI_AIR_PM25_1H, 8, {0, 35, 60, 115, 150, 250, 350, 500}},
};

/* HJ 633-2026: the IAQI one reporting unit (1 µg/m³; CO 0.1 mg/m³) below
 * and above each breakpoint of Table 3; -1 where there is none (below 0,
 * above the last). Exact fractions, rounded up. */
static const struct near_2026 {
    rci_air_item it;
    int below[8], above[8];
} near_2026[] = {
    {RCI_AIR_SO2_24H, {-1, 49, 100, 150, 200, 300, 400, 500}, {1, 51, 101, 151, 201, 301, 401, -1}},
    {RCI_AIR_SO2_1H, {-1, 50, 100, 150, 200}, {1, 51, 101, 151, -1}},
    {RCI_AIR_NO2_24H, {-1, 49, 99, 150, 200, 300, 400, 500}, {2, 52, 101, 151, 201, 301, 401, -1}},
    {RCI_AIR_NO2_1H, {-1, 50, 100, 150, 200, 300, 400, 500}, {1, 51, 101, 151, 201, 301, 401, -1}},
    {RCI_AIR_CO_24H, {-1, 48, 98, 150, 200, 300, 400, 500}, {3, 53, 101, 151, 201, 301, 401, -1}},
    {RCI_AIR_CO_1H, {-1, 49, 99, 150, 200, 300, 400, 500}, {1, 51, 101, 151, 201, 301, 401, -1}},
    {RCI_AIR_O3_1H, {-1, 50, 99, 150, 200, 300, 400, 500}, {1, 52, 101, 151, 201, 301, 401, -1}},
    {RCI_AIR_O3_8H, {-1, 50, 100, 150, 199, 300}, {1, 51, 101, 151, 201, -1}},
    {RCI_AIR_PM10_24H, {-1, 49, 100, 150, 200, 299, 399, 499}, {1, 51, 101, 151, 202, 302, 401, -1}},
    {RCI_AIR_PM10_1H, {-1, 49, 100, 150, 200, 299, 399, 499}, {1, 51, 101, 151, 202, 302, 401, -1}},
    {RCI_AIR_PM25_24H, {-1, 49, 98, 150, 199, 299, 399, 500}, {2, 52, 101, 152, 201, 301, 401, -1}},
    {RCI_AIR_PM25_1H, {-1, 49, 98, 150, 199, 299, 399, 500}, {2, 52, 101, 152, 201, 301, 401, -1}},
};

static int is_co(rci_air_item it)
{
    return it == RCI_AIR_CO_24H || it == RCI_AIR_CO_1H;
}

/* ---- IAQI at and around every breakpoint --------------------------------- */

static void test_breakpoints_2012(void)
{
    for (size_t i = 0; i < sizeof table_2012 / sizeof table_2012[0]; i++) {
        const table_column *t = &table_2012[i];
        int last = t->n - 1;
        for (int k = 0; k < t->n; k++) {
            rci_air_conc bp = C(t->bp[k]);
            /* Exactly at the breakpoint: exactly the table's IAQI. */
            CHECK(iaqi(E12, t->it, bp) == IAQI[k]);
            CHECK(iaqi_flags(E12, t->it, bp) == 0);
            /* 0.001 below: a hair under IAQI[k], which rounds up to it. */
            if (k > 0)
                CHECK(iaqi(E12, t->it, bp - 1) == IAQI[k]);
            /* 0.001 above: a hair over, which rounds up to the next. */
            if (k < last)
                CHECK(iaqi(E12, t->it, bp + 1) == IAQI[k] + 1);
        }
        /* Past the last breakpoint: capped at 500 for a full column; for
         * SO2 1-hour and O3 8-hour (ending at 800) no IAQI: notes 2, 3. */
        rci_air_conc past = C(t->bp[last]) + 1;
        if (IAQI[last] == 500) {
            CHECK(iaqi(E12, t->it, past) == 500);
            CHECK(iaqi_flags(E12, t->it, past) == RCI_AQI_CAPPED);
        } else {
            CHECK(t->bp[last] == 800);
            CHECK(iaqi(E12, t->it, past) == -1);
        }
    }
}

static void test_breakpoints_2026(void)
{
    for (size_t i = 0; i < sizeof table_2026 / sizeof table_2026[0]; i++) {
        const table_column *t = &table_2026[i];
        const struct near_2026 *nr = &near_2026[i];
        CHECK(nr->it == t->it);
        rci_air_conc unit = is_co(t->it) ? CO10(1) : C(1);
        int last = t->n - 1;
        for (int k = 0; k < t->n; k++) {
            rci_air_conc bp = C(t->bp[k]);
            CHECK(iaqi(E26, t->it, bp) == IAQI[k]);
            CHECK(iaqi_flags(E26, t->it, bp) == 0);
            /* §4.2.2 rounds to the unit first: 0.001 either side is the
             * breakpoint itself. */
            if (k > 0)
                CHECK(iaqi(E26, t->it, bp - 1) == IAQI[k]);
            CHECK(iaqi(E26, t->it, bp + 1) == IAQI[k]);
            if (k > 0)
                CHECK(iaqi(E26, t->it, bp - unit) == nr->below[k]);
            if (k < last)
                CHECK(iaqi(E26, t->it, bp + unit) == nr->above[k]);
        }
        /* Past the last breakpoint: capped at 500; SO2 1-hour counts as 200
         * and O3 8-hour as 300 (notes b, c). */
        rci_air_conc past = C(t->bp[last]) + unit;
        CHECK(iaqi(E26, t->it, past) == IAQI[last]);
        CHECK(iaqi_flags(E26, t->it, past) ==
              (IAQI[last] == 500 ? RCI_AQI_CAPPED : RCI_AQI_FIXED));
    }
}

/* Only two cells differ between the editions (reference §2). */
static void test_edition_differences(void)
{
    CHECK(iaqi(E12, RCI_AIR_PM10_24H, C(150)) == 100);
    CHECK(iaqi(E26, RCI_AIR_PM10_24H, C(150)) == 112); /* 100 + 50·30/130 = 111.5 */
    CHECK(iaqi(E12, RCI_AIR_PM10_24H, C(120)) == 85);  /* 50 + 50·70/100 */
    CHECK(iaqi(E26, RCI_AIR_PM10_24H, C(120)) == 100);
    CHECK(iaqi(E12, RCI_AIR_PM25_24H, C(75)) == 100);
    CHECK(iaqi(E26, RCI_AIR_PM25_24H, C(75)) == 114); /* 100 + 50·15/55 = 113.6 */
    /* 2012 has no 1-hour PM columns: refused with a reason. */
    CHECK(iaqi(E12, RCI_AIR_PM25_1H, C(35)) == -2);
    CHECK(strstr(why, "PM2.5 1-hour mean") != NULL);
    CHECK(strstr(why, "HJ 633-2012") != NULL);
    CHECK(iaqi(E12, RCI_AIR_PM10_1H, C(35)) == -2);
    /* 2026 puts them on the daily columns. */
    CHECK(iaqi(E26, RCI_AIR_PM25_1H, C(80)) == 119);
    CHECK(iaqi(E26, RCI_AIR_PM10_1H, C(130)) == 104);
}

/* Reference §10. */
static void test_reference_vectors(void)
{
    CHECK(iaqi(E12, RCI_AIR_PM25_24H, C(80)) == 107);
    CHECK(iaqi(E26, RCI_AIR_PM25_24H, C(80)) == 119);
    CHECK(iaqi(E12, RCI_AIR_PM25_24H, C(60)) == 82);
    CHECK(iaqi(E26, RCI_AIR_PM25_24H, C(60)) == 100);
    CHECK(iaqi(E12, RCI_AIR_PM10_24H, C(130)) == 90);
    CHECK(iaqi(E26, RCI_AIR_PM10_24H, C(130)) == 104);
    CHECK(iaqi(E12, RCI_AIR_SO2_24H, C(100)) == 75);
    CHECK(iaqi(E26, RCI_AIR_SO2_24H, C(100)) == 75);
    CHECK(iaqi(E12, RCI_AIR_O3_8H, C(170)) == 110);
    CHECK(iaqi(E26, RCI_AIR_O3_8H, C(170)) == 110);
}

/* Reference §10: over whole µg/m³ and 0.1 mg/m³, these 23 values come out
 * one too high with doubles and ceil (found with exact fractions); the
 * right answers are exact multiples. Same in both editions. */
static void test_double_traps(void)
{
    static const struct {
        rci_air_item it;
        int tenths, want;
    } traps[] = {
        {RCI_AIR_CO_24H, 22, 55},  {RCI_AIR_CO_1H, 654, 218},  {RCI_AIR_CO_1H, 669, 223},
        {RCI_AIR_CO_1H, 684, 228}, {RCI_AIR_CO_1H, 699, 233},  {RCI_AIR_CO_1H, 714, 238},
        {RCI_AIR_CO_1H, 729, 243}, {RCI_AIR_CO_1H, 744, 248},  {RCI_AIR_CO_1H, 759, 253},
        {RCI_AIR_CO_1H, 1293, 431}, {RCI_AIR_CO_1H, 1308, 436}, {RCI_AIR_CO_1H, 1323, 441},
        {RCI_AIR_CO_1H, 1338, 446}, {RCI_AIR_CO_1H, 1353, 451}, {RCI_AIR_CO_1H, 1368, 456},
        {RCI_AIR_CO_1H, 1383, 461}, {RCI_AIR_CO_1H, 1398, 466}, {RCI_AIR_CO_1H, 1413, 471},
        {RCI_AIR_CO_1H, 1428, 476}, {RCI_AIR_CO_1H, 1443, 481}, {RCI_AIR_CO_1H, 1458, 486},
        {RCI_AIR_CO_1H, 1473, 491}, {RCI_AIR_CO_1H, 1488, 496},
    };
    CHECK(sizeof traps / sizeof traps[0] == 23);
    for (size_t i = 0; i < sizeof traps / sizeof traps[0]; i++) {
        CHECK(iaqi(E12, traps[i].it, CO10(traps[i].tenths)) == traps[i].want);
        CHECK(iaqi(E26, traps[i].it, CO10(traps[i].tenths)) == traps[i].want);
    }
    /* The same through a double, as a caller holding a double would. */
    rci_air_conc c;
    CHECK(rci_air_conc_from_double(2.2, &c, why, sizeof why) == 0);
    CHECK(c == 2200);
    CHECK(iaqi(E12, RCI_AIR_CO_24H, c) == 55);
    CHECK(rci_air_conc_from_double(65.4, &c, why, sizeof why) == 0);
    CHECK(iaqi(E26, RCI_AIR_CO_1H, c) == 218);
}

/* IAQI never decreases as the concentration rises, in any column, over
 * every whole µg/m³ (0.1 mg/m³ for CO) up to past the last breakpoint. */
static void test_monotonic(void)
{
    const table_column *tables[2] = {table_2012, table_2026};
    size_t sizes[2] = {sizeof table_2012 / sizeof table_2012[0],
                       sizeof table_2026 / sizeof table_2026[0]};
    rci_aqi_edition eds[2] = {E12, E26};
    for (int e = 0; e < 2; e++) {
        for (size_t i = 0; i < sizes[e]; i++) {
            const table_column *t = &tables[e][i];
            rci_air_conc step = is_co(t->it) ? CO10(1) : C(1);
            rci_air_conc end = C(t->bp[t->n - 1]) + 20 * step;
            int prev = 0, ok = 1;
            for (rci_air_conc c = 0; c <= end; c += step) {
                int v = iaqi(eds[e], t->it, c);
                if (v == -1) /* 2012 above 800: no IAQI */
                    continue;
                if (v < prev || v > 500)
                    ok = 0;
                prev = v;
            }
            CHECK(ok);
        }
    }
}

/* ---- rounding ------------------------------------------------------------ */

static void test_rounding(void)
{
    /* IAQI rounds up: 2012 §6.2, 2026 §4.2.6. PM2.5 24h 1 µg/m³ (2012):
     * 50/35 = 1.43 → 2. */
    CHECK(iaqi(E12, RCI_AIR_PM25_24H, C(1)) == 2);
    CHECK(iaqi(E12, RCI_AIR_PM25_24H, 1) == 1); /* 0.001 µg/m³ → 0.0014 → 1 */
    CHECK(iaqi(E12, RCI_AIR_PM25_24H, 0) == 0);
    CHECK(iaqi(E26, RCI_AIR_PM25_24H, 0) == 0);

    /* 2026 §4.2.2: concentrations to integers per GB/T 8170, half to even.
     * PM2.5 35.5 → 36 → 50 + 50·1/25 = 52; 34.5 → 34 → 50·34/35 = 48.6 → 49;
     * 35.501 → 36; 34.499 → 34. */
    CHECK(iaqi(E26, RCI_AIR_PM25_24H, 35500) == 52);
    CHECK(iaqi(E26, RCI_AIR_PM25_24H, 34500) == 49);
    CHECK(iaqi(E26, RCI_AIR_PM25_24H, 35501) == 52);
    CHECK(iaqi(E26, RCI_AIR_PM25_24H, 35499) == 50);
    CHECK(iaqi(E26, RCI_AIR_PM25_24H, 34499) == 49);
    CHECK(iaqi(E26, RCI_AIR_PM25_24H, 34501) == 50);
    /* 2012 states no such rounding: the value as given.
     * 35.5 → 50 + 50·0.5/40 = 50.6 → 51; 34.5 → 50·34.5/35 = 49.3 → 50. */
    CHECK(iaqi(E12, RCI_AIR_PM25_24H, 35500) == 51);
    CHECK(iaqi(E12, RCI_AIR_PM25_24H, 34500) == 50);

    /* CO to 0.1 mg/m³ in 2026: 2.25 → 2.2 (even) → 55; 2.35 → 2.4 → 60;
     * 2.251 → 2.3 → 50 + 50·0.3/2 = 57.5 → 58. 2012: 2.25 → 56.25 → 57. */
    CHECK(iaqi(E26, RCI_AIR_CO_24H, 2250) == 55);
    CHECK(iaqi(E26, RCI_AIR_CO_24H, 2350) == 60);
    CHECK(iaqi(E26, RCI_AIR_CO_24H, 2251) == 58);
    CHECK(iaqi(E12, RCI_AIR_CO_24H, 2250) == 57);

    /* Rounding decides whether the 800 rules apply (2026): SO2 1h 800.4 and
     * 800.5 round to 800 (IAQI 200, no rule); 800.501 and 801.5 round up
     * (counted as 200 by note b). */
    CHECK(iaqi(E26, RCI_AIR_SO2_1H, 800400) == 200);
    CHECK(iaqi_flags(E26, RCI_AIR_SO2_1H, 800400) == 0);
    CHECK(iaqi_flags(E26, RCI_AIR_SO2_1H, 800500) == 0);
    CHECK(iaqi_flags(E26, RCI_AIR_SO2_1H, 800501) == RCI_AQI_FIXED);
    CHECK(iaqi_flags(E26, RCI_AIR_SO2_1H, 801500) == RCI_AQI_FIXED);
    /* …and the cap: PM2.5 500.5 rounds to 500 (even), 501.5 to 502. */
    CHECK(iaqi_flags(E26, RCI_AIR_PM25_24H, 500500) == 0);
    CHECK(iaqi_flags(E26, RCI_AIR_PM25_24H, 501500) == RCI_AQI_CAPPED);
    /* 2012 uses the value as given: 800.001 is above 800. */
    CHECK(iaqi(E12, RCI_AIR_SO2_1H, 800001) == -1);
    CHECK(iaqi(E12, RCI_AIR_PM25_24H, 500001) == 500);
    CHECK(iaqi_flags(E12, RCI_AIR_PM25_24H, 500001) == RCI_AQI_CAPPED);
}

/* ---- special rules and the cap ------------------------------------------- */

static void test_cap(void)
{
    /* Far above: still 500, flagged; exactly 500's breakpoint: not flagged. */
    CHECK(iaqi(E12, RCI_AIR_PM25_24H, C(2000)) == 500);
    CHECK(iaqi_flags(E12, RCI_AIR_PM25_24H, C(2000)) == RCI_AQI_CAPPED);
    CHECK(iaqi(E26, RCI_AIR_NO2_1H, C(5000)) == 500);
    CHECK(iaqi(E26, RCI_AIR_CO_24H, C(61)) == 500);
    CHECK(iaqi_flags(E26, RCI_AIR_CO_24H, C(60)) == 0);
    CHECK(iaqi(E12, RCI_AIR_O3_1H, C(1300)) == 500);

    rci_air_sample s = {0};
    rci_aqi_result r;
    rci_air_sample_set(&s, RCI_AIR_SO2_24H, C(10));
    rci_air_sample_set(&s, RCI_AIR_NO2_24H, C(10));
    rci_air_sample_set(&s, RCI_AIR_CO_24H, CO10(5));
    rci_air_sample_set(&s, RCI_AIR_O3_8H, C(50));
    rci_air_sample_set(&s, RCI_AIR_PM10_24H, C(700));
    rci_air_sample_set(&s, RCI_AIR_PM25_24H, C(400));
    CHECK(rci_aqi_compute(E26, RCI_AQI_DAILY, &s, &r, why, sizeof why) == 0);
    CHECK(r.aqi == 500);
    CHECK(r.capped == 1);
    CHECK(r.primary == (1u << RCI_AIR_PM10_24H));
    CHECK(r.item[RCI_AIR_PM10_24H].flags == RCI_AQI_CAPPED);
    CHECK(r.item[RCI_AIR_PM25_24H].iaqi == 434); /* 400 + 100·50/150 = 433.3 */
    CHECK(r.item[RCI_AIR_PM25_24H].flags == 0);
}

static void test_special_rules_2012(void)
{
    rci_air_sample s = {0};
    rci_aqi_result r;
    char text[48];

    /* Daily: O3 8-hour 801 gets no IAQI (note 3); O3 is reported by its
     * 1-hour IAQI: 500 → 200 + 100·100/400 = 225. */
    rci_air_sample_set(&s, RCI_AIR_SO2_24H, C(10));
    rci_air_sample_set(&s, RCI_AIR_NO2_24H, C(20));
    rci_air_sample_set(&s, RCI_AIR_PM10_24H, C(40));
    rci_air_sample_set(&s, RCI_AIR_CO_24H, CO10(8));
    rci_air_sample_set(&s, RCI_AIR_PM25_24H, C(20));
    rci_air_sample_set(&s, RCI_AIR_O3_1H, C(500));
    rci_air_sample_set(&s, RCI_AIR_O3_8H, C(801));
    CHECK(rci_aqi_compute(E12, RCI_AQI_DAILY, &s, &r, why, sizeof why) == 0);
    CHECK(r.item[RCI_AIR_O3_8H].status == RCI_AQI_REPLACED);
    CHECK(r.item[RCI_AIR_O3_1H].status == RCI_AQI_OK);
    CHECK(r.item[RCI_AIR_O3_1H].iaqi == 225);
    CHECK(r.aqi == 225);
    CHECK(r.complete && r.published);
    CHECK(rci_aqi_primary_text(&r, text, sizeof text) == 5);
    CHECK_STR(text, "O3_1h");
    CHECK(r.category->level == 5);

    /* Without the 1-hour value the O3 IAQI is missing. */
    s.present &= ~(1u << RCI_AIR_O3_1H);
    CHECK(rci_aqi_compute(E12, RCI_AQI_DAILY, &s, &r, why, sizeof why) == 0);
    CHECK(r.item[RCI_AIR_O3_1H].status == RCI_AQI_MISSING);
    CHECK(!r.complete);

    /* At exactly 800 the rule does not apply: 300. */
    rci_air_sample_set(&s, RCI_AIR_O3_1H, C(100));
    rci_air_sample_set(&s, RCI_AIR_O3_8H, C(800));
    CHECK(rci_aqi_compute(E12, RCI_AQI_DAILY, &s, &r, why, sizeof why) == 0);
    CHECK(r.item[RCI_AIR_O3_8H].status == RCI_AQI_OK);
    CHECK(r.aqi == 300);

    /* Hourly: SO2 1-hour 801 → reported from the 24-hour value (note 2):
     * 300 → 100 + 50·150/325 = 123.1 → 124. */
    rci_air_sample h = {0};
    rci_air_sample_set(&h, RCI_AIR_SO2_1H, C(801));
    rci_air_sample_set(&h, RCI_AIR_SO2_24H, C(300));
    rci_air_sample_set(&h, RCI_AIR_NO2_1H, C(50));
    rci_air_sample_set(&h, RCI_AIR_CO_1H, CO10(10));
    rci_air_sample_set(&h, RCI_AIR_O3_1H, C(60));
    rci_air_sample_set(&h, RCI_AIR_O3_8H, C(50));
    rci_air_sample_set(&h, RCI_AIR_PM10_24H, C(60));
    rci_air_sample_set(&h, RCI_AIR_PM25_24H, C(30));
    CHECK(rci_aqi_compute(E12, RCI_AQI_HOURLY, &h, &r, why, sizeof why) == 0);
    CHECK(r.item[RCI_AIR_SO2_1H].status == RCI_AQI_REPLACED);
    CHECK(r.item[RCI_AIR_SO2_24H].status == RCI_AQI_OK);
    CHECK(r.item[RCI_AIR_SO2_24H].iaqi == 124);
    CHECK(r.aqi == 124);
    CHECK(r.complete);
    CHECK(rci_aqi_primary_text(&r, text, sizeof text) == 3);
    CHECK_STR(text, "SO2");

    /* …and without a 24-hour value the SO2 IAQI is NA. */
    h.present &= ~(1u << RCI_AIR_SO2_24H);
    CHECK(rci_aqi_compute(E12, RCI_AQI_HOURLY, &h, &r, why, sizeof why) == 0);
    CHECK(r.item[RCI_AIR_SO2_24H].status == RCI_AQI_MISSING);
    CHECK(!r.complete);
    CHECK(r.aqi == 55); /* PM10 60 → 55 */
    CHECK(!r.published);

    /* SO2 1-hour at or below 800: the 24-hour value plays no part. */
    rci_air_sample_set(&h, RCI_AIR_SO2_1H, C(800));
    rci_air_sample_set(&h, RCI_AIR_SO2_24H, C(2000));
    CHECK(rci_aqi_compute(E12, RCI_AQI_HOURLY, &h, &r, why, sizeof why) == 0);
    CHECK(r.item[RCI_AIR_SO2_1H].iaqi == 200);
    CHECK(r.item[RCI_AIR_SO2_24H].status == RCI_AQI_UNUSED);
    CHECK(r.aqi == 200);
}

static void test_special_rules_2026(void)
{
    rci_air_sample s = {0};
    rci_aqi_result r;
    char text[48];

    /* Daily: O3 8-hour above 800 counts as 300 (note c). */
    rci_air_sample_set(&s, RCI_AIR_SO2_24H, C(10));
    rci_air_sample_set(&s, RCI_AIR_NO2_24H, C(20));
    rci_air_sample_set(&s, RCI_AIR_PM10_24H, C(40));
    rci_air_sample_set(&s, RCI_AIR_CO_24H, CO10(8));
    rci_air_sample_set(&s, RCI_AIR_PM25_24H, C(20));
    rci_air_sample_set(&s, RCI_AIR_O3_8H, C(900));
    CHECK(rci_aqi_compute(E26, RCI_AQI_DAILY, &s, &r, why, sizeof why) == 0);
    CHECK(r.item[RCI_AIR_O3_8H].status == RCI_AQI_OK);
    CHECK(r.item[RCI_AIR_O3_8H].iaqi == 300);
    CHECK(r.item[RCI_AIR_O3_8H].flags == RCI_AQI_FIXED);
    CHECK(r.aqi == 300);
    CHECK(!r.capped);
    CHECK(rci_aqi_primary_text(&r, text, sizeof text) == 5);
    CHECK_STR(text, "O3_8h");

    /* Hourly: SO2 1-hour above 800 counts as 200 (note b); no 24-hour value
     * is needed. */
    rci_air_sample h = {0};
    rci_air_sample_set(&h, RCI_AIR_SO2_1H, C(1500));
    rci_air_sample_set(&h, RCI_AIR_NO2_1H, C(50));
    rci_air_sample_set(&h, RCI_AIR_CO_1H, CO10(10));
    rci_air_sample_set(&h, RCI_AIR_O3_1H, C(60));
    rci_air_sample_set(&h, RCI_AIR_PM10_1H, C(60));
    rci_air_sample_set(&h, RCI_AIR_PM25_1H, C(30));
    CHECK(rci_aqi_compute(E26, RCI_AQI_HOURLY, &h, &r, why, sizeof why) == 0);
    CHECK(r.item[RCI_AIR_SO2_1H].iaqi == 200);
    CHECK(r.item[RCI_AIR_SO2_1H].flags == RCI_AQI_FIXED);
    CHECK(r.item[RCI_AIR_SO2_24H].status == RCI_AQI_UNUSED);
    CHECK(r.aqi == 200);
    CHECK(r.complete);
}

/* ---- which indicators count ---------------------------------------------- */

static rci_air_sample full_sample(void)
{
    /* Every item measured: 1-hour values high, so a report that counts
     * them shows it. */
    rci_air_sample s = {0};
    rci_air_sample_set(&s, RCI_AIR_SO2_24H, C(50));  /* 50 */
    rci_air_sample_set(&s, RCI_AIR_SO2_1H, C(500));  /* 100 */
    rci_air_sample_set(&s, RCI_AIR_NO2_24H, C(40));  /* 50 */
    rci_air_sample_set(&s, RCI_AIR_NO2_1H, C(700));  /* 150 */
    rci_air_sample_set(&s, RCI_AIR_PM10_24H, C(50)); /* 50 */
    rci_air_sample_set(&s, RCI_AIR_PM10_1H, C(350)); /* 200 (2026) */
    rci_air_sample_set(&s, RCI_AIR_CO_24H, C(2));    /* 50 */
    rci_air_sample_set(&s, RCI_AIR_CO_1H, C(90));    /* 300 */
    rci_air_sample_set(&s, RCI_AIR_O3_1H, C(1000));  /* 400 */
    rci_air_sample_set(&s, RCI_AIR_O3_8H, C(100));   /* 50 */
    rci_air_sample_set(&s, RCI_AIR_PM25_24H, C(35)); /* 50 */
    rci_air_sample_set(&s, RCI_AIR_PM25_1H, C(500)); /* 500 (2026) */
    return s;
}

static uint32_t counted(const rci_aqi_result *r)
{
    uint32_t m = 0;
    for (int it = 0; it < RCI_AIR_ITEMS; it++)
        if (r->item[it].status == RCI_AQI_OK)
            m |= 1u << it;
    return m;
}

#define B(it) (1u << (it))

static void test_indicator_sets(void)
{
    rci_air_sample s = full_sample();
    rci_aqi_result r;

    /* 2012 daily, §5.1.2: five 24-hour means, O3 max 1-hour, O3 max 8-hour. */
    CHECK(rci_aqi_compute(E12, RCI_AQI_DAILY, &s, &r, why, sizeof why) == 0);
    CHECK(counted(&r) == (B(RCI_AIR_SO2_24H) | B(RCI_AIR_NO2_24H) | B(RCI_AIR_PM10_24H) |
                          B(RCI_AIR_CO_24H) | B(RCI_AIR_O3_1H) | B(RCI_AIR_O3_8H) |
                          B(RCI_AIR_PM25_24H)));
    CHECK(r.aqi == 400); /* the O3 1-hour maximum */
    CHECK(r.primary == B(RCI_AIR_O3_1H));

    /* 2026 daily, §4.2.2: the O3 1-hour maximum is no longer an indicator. */
    CHECK(rci_aqi_compute(E26, RCI_AQI_DAILY, &s, &r, why, sizeof why) == 0);
    CHECK(counted(&r) == (B(RCI_AIR_SO2_24H) | B(RCI_AIR_NO2_24H) | B(RCI_AIR_PM10_24H) |
                          B(RCI_AIR_CO_24H) | B(RCI_AIR_O3_8H) | B(RCI_AIR_PM25_24H)));
    CHECK(r.item[RCI_AIR_O3_1H].status == RCI_AQI_UNUSED);
    CHECK(r.aqi == 50);
    CHECK(r.primary == 0); /* AQI 50: no primary pollutant */

    /* 2012 hourly, §5.1.3 and Table 4: 1-hour SO2, NO2, CO, O3; O3 8-hour;
     * PM10 and PM2.5 by their 24-hour moving means. */
    CHECK(rci_aqi_compute(E12, RCI_AQI_HOURLY, &s, &r, why, sizeof why) == 0);
    CHECK(counted(&r) == (B(RCI_AIR_SO2_1H) | B(RCI_AIR_NO2_1H) | B(RCI_AIR_PM10_24H) |
                          B(RCI_AIR_CO_1H) | B(RCI_AIR_O3_1H) | B(RCI_AIR_O3_8H) |
                          B(RCI_AIR_PM25_24H)));
    CHECK(r.item[RCI_AIR_PM25_1H].status == RCI_AQI_UNUSED);
    CHECK(r.aqi == 400);

    /* 2026 hourly, §4.2.3: the six 1-hour means. */
    CHECK(rci_aqi_compute(E26, RCI_AQI_HOURLY, &s, &r, why, sizeof why) == 0);
    CHECK(counted(&r) == (B(RCI_AIR_SO2_1H) | B(RCI_AIR_NO2_1H) | B(RCI_AIR_PM10_1H) |
                          B(RCI_AIR_CO_1H) | B(RCI_AIR_O3_1H) | B(RCI_AIR_PM25_1H)));
    CHECK(r.item[RCI_AIR_PM25_1H].iaqi == 500);
    CHECK(r.item[RCI_AIR_PM10_1H].iaqi == 200);
    CHECK(r.item[RCI_AIR_CO_1H].iaqi == 300);
    CHECK(r.aqi == 500);
    CHECK(!r.capped); /* exactly at the top breakpoint */
    CHECK(r.category->level == 6);
}

/* ---- AQI, primary pollutants, publication -------------------------------- */

static rci_air_sample daily_2012(int so2, int no2, int pm10, int co10, int o3_1h, int o3_8h,
                                 int pm25)
{
    rci_air_sample s = {0};
    rci_air_sample_set(&s, RCI_AIR_SO2_24H, C(so2));
    rci_air_sample_set(&s, RCI_AIR_NO2_24H, C(no2));
    rci_air_sample_set(&s, RCI_AIR_PM10_24H, C(pm10));
    rci_air_sample_set(&s, RCI_AIR_CO_24H, CO10(co10));
    rci_air_sample_set(&s, RCI_AIR_O3_1H, C(o3_1h));
    rci_air_sample_set(&s, RCI_AIR_O3_8H, C(o3_8h));
    rci_air_sample_set(&s, RCI_AIR_PM25_24H, C(pm25));
    return s;
}

static const char *primary_of(rci_aqi_edition ed, rci_air_sample s)
{
    static char text[48];
    rci_aqi_result r;
    if (rci_aqi_compute(ed, RCI_AQI_DAILY, &s, &r, why, sizeof why) ||
        rci_aqi_primary_text(&r, text, sizeof text) < 0)
        return "(error)";
    return text;
}

static void test_primary(void)
{
    /* 2012: PM10 150 → 100, PM2.5 75 → 100: a tie, both primary. */
    CHECK_STR(primary_of(E12, daily_2012(10, 20, 150, 5, 50, 50, 75)), "PM10,PM2.5");
    /* The same day in 2026: PM10 150 → 112, PM2.5 75 → 114. */
    CHECK_STR(primary_of(E26, daily_2012(10, 20, 150, 5, 50, 50, 75)), "PM2.5");
    /* Three-way tie at 150: SO2 475, NO2 180, CO 14. */
    CHECK_STR(primary_of(E12, daily_2012(475, 180, 40, 140, 50, 50, 20)), "SO2,NO2,CO");
    /* AQI exactly 50: none (primary only when AQI > 50, 2012 §3.3). */
    CHECK_STR(primary_of(E12, daily_2012(50, 40, 50, 20, 160, 100, 35)), "");
    /* AQI 51 (PM2.5 35.7 → 50 + 50·0.7/40 = 50.9 → 51): PM2.5 alone. */
    rci_air_sample s = daily_2012(50, 40, 50, 20, 160, 100, 35);
    rci_air_sample_set(&s, RCI_AIR_PM25_24H, 35700);
    CHECK_STR(primary_of(E12, s), "PM2.5");
    /* O3 1-hour and 8-hour tie (200 → 100, 160 → 100): O3 named once, by
     * its 8-hour figure. */
    CHECK_STR(primary_of(E12, daily_2012(10, 20, 40, 5, 200, 160, 20)), "O3_8h");
    /* …and with PM2.5 at 100 too. */
    CHECK_STR(primary_of(E12, daily_2012(10, 20, 40, 5, 200, 160, 75)), "O3_8h,PM2.5");
    /* The 1-hour figure alone on top: O3_1h. */
    CHECK_STR(primary_of(E12, daily_2012(10, 20, 40, 5, 300, 160, 20)), "O3_1h");

    /* Every pollutant tied at 200 (2012 hourly has none of PM 1h; use daily):
     * the text fits the documented 48 bytes. */
    rci_aqi_result r;
    char text[48], tiny[4];
    rci_air_sample all = daily_2012(800, 280, 350, 240, 400, 265, 150);
    CHECK(rci_aqi_compute(E12, RCI_AQI_DAILY, &all, &r, why, sizeof why) == 0);
    CHECK(r.aqi == 200);
    CHECK(rci_aqi_primary_text(&r, text, sizeof text) > 0);
    CHECK_STR(text, "SO2,NO2,PM10,CO,O3_8h,PM2.5");
    CHECK(rci_aqi_primary_text(&r, tiny, sizeof tiny) == -1);
    CHECK_STR(tiny, "");
}

static void test_published(void)
{
    rci_aqi_result r;
    /* 2026 §5.3.1: PM2.5 missing, the rest gives 120 (> 100): published. */
    rci_air_sample s = {0};
    rci_air_sample_set(&s, RCI_AIR_SO2_24H, C(10));
    rci_air_sample_set(&s, RCI_AIR_NO2_24H, C(20));
    rci_air_sample_set(&s, RCI_AIR_PM10_24H, C(40));
    rci_air_sample_set(&s, RCI_AIR_CO_24H, CO10(8));
    rci_air_sample_set(&s, RCI_AIR_O3_8H, C(180)); /* 100 + 50·20/55 = 118.2 → 119 */
    CHECK(rci_aqi_compute(E26, RCI_AQI_DAILY, &s, &r, why, sizeof why) == 0);
    CHECK(r.item[RCI_AIR_PM25_24H].status == RCI_AQI_MISSING);
    CHECK(r.aqi == 119);
    CHECK(!r.complete);
    CHECK(r.published);
    /* Missing with the rest at or below 100: not published. */
    rci_air_sample_set(&s, RCI_AIR_O3_8H, C(160)); /* 100 */
    CHECK(rci_aqi_compute(E26, RCI_AQI_DAILY, &s, &r, why, sizeof why) == 0);
    CHECK(r.aqi == 100);
    CHECK(!r.published);
    /* Complete at any AQI: published. */
    rci_air_sample_set(&s, RCI_AIR_PM25_24H, C(10));
    CHECK(rci_aqi_compute(E26, RCI_AQI_DAILY, &s, &r, why, sizeof why) == 0);
    CHECK(r.complete && r.published);
    /* Nothing measured: no AQI at all. */
    rci_air_sample none = {0};
    CHECK(rci_aqi_compute(E26, RCI_AQI_DAILY, &none, &r, why, sizeof why) == 0);
    CHECK(r.aqi == -1);
    CHECK(!r.published);
    CHECK(r.category == NULL);
    CHECK(r.primary == 0);
    char text[8];
    CHECK(rci_aqi_primary_text(&r, text, sizeof text) == 0);
    CHECK_STR(text, "");
}

/* ---- categories and colours ---------------------------------------------- */

static void test_categories(void)
{
    /* HJ 633-2012 Table 2 and Table A.1. */
    static const struct {
        int lo, hi, level;
        const char *level_zh, *roman, *zh, *en, *colour_zh, *colour_en, *hex;
        int r, g, b;
    } want[6] = {
        {0, 50, 1, "一级", "I", "优", "Excellent", "绿色", "green", "#00E400", 0, 228, 0},
        {51, 100, 2, "二级", "II", "良", "Good", "黄色", "yellow", "#FFFF00", 255, 255, 0},
        {101, 150, 3, "三级", "III", "轻度污染", "Lightly polluted", "橙色", "orange", "#FF7E00",
         255, 126, 0},
        {151, 200, 4, "四级", "IV", "中度污染", "Moderately polluted", "红色", "red", "#FF0000",
         255, 0, 0},
        {201, 300, 5, "五级", "V", "重度污染", "Heavily polluted", "紫色", "purple", "#99004C",
         153, 0, 76},
        {301, 500, 6, "六级", "VI", "严重污染", "Severely polluted", "褐红色", "maroon", "#7E0023",
         126, 0, 35},
    };
    for (int i = 0; i < 6; i++) {
        const int probes[3] = {want[i].lo, want[i].hi, (want[i].lo + want[i].hi) / 2};
        for (int p = 0; p < 3; p++) {
            const rci_aqi_category *c = rci_aqi_category_of(probes[p]);
            CHECK(c != NULL);
            if (!c)
                continue;
            CHECK(c->level == want[i].level);
            CHECK_STR(c->level_zh, want[i].level_zh);
            CHECK_STR(c->level_roman, want[i].roman);
            CHECK_STR(c->name_zh, want[i].zh);
            CHECK_STR(c->name_en, want[i].en);
            CHECK_STR(c->colour_zh, want[i].colour_zh);
            CHECK_STR(c->colour_en, want[i].colour_en);
            CHECK_STR(c->hex, want[i].hex);
            CHECK(c->r == want[i].r && c->g == want[i].g && c->b == want[i].b);
            /* The hex is the RGB. */
            char hex[8];
            snprintf(hex, sizeof hex, "#%02X%02X%02X", c->r, c->g, c->b);
            CHECK_STR(hex, c->hex);
        }
    }
    CHECK(rci_aqi_category_of(-1) == NULL);
    CHECK(rci_aqi_category_of(501) == NULL);
    CHECK(rci_aqi_category_of(50)->level == 1);
    CHECK(rci_aqi_category_of(51)->level == 2);
    CHECK(rci_aqi_category_of(100)->level == 2);
    CHECK(rci_aqi_category_of(101)->level == 3);
    CHECK(rci_aqi_category_of(300)->level == 5);
    CHECK(rci_aqi_category_of(301)->level == 6);
}

/* ---- editions ------------------------------------------------------------ */

static void test_editions(void)
{
    CHECK(rci_aqi_edition_of(2026, 2, 28) == E12);
    CHECK(rci_aqi_edition_of(2026, 3, 1) == E26);
    CHECK(rci_aqi_edition_of(2026, 1, 31) == E12);
    CHECK(rci_aqi_edition_of(2025, 12, 31) == E12);
    CHECK(rci_aqi_edition_of(2025, 3, 1) == E12);
    CHECK(rci_aqi_edition_of(2026, 12, 31) == E26);
    CHECK(rci_aqi_edition_of(2027, 1, 1) == E26);
    CHECK(rci_aqi_edition_of(2013, 1, 1) == E12);
    CHECK(rci_aqi_edition_of(2026, 2, 29) == RCI_AQI_EDITION_NONE); /* not a leap year */
    CHECK(rci_aqi_edition_of(2024, 2, 29) == E12);
    CHECK(rci_aqi_edition_of(2026, 13, 1) == RCI_AQI_EDITION_NONE);
    CHECK(rci_aqi_edition_of(2026, 4, 31) == RCI_AQI_EDITION_NONE);
    CHECK(rci_aqi_edition_of(0, 1, 1) == RCI_AQI_EDITION_NONE);
    CHECK_STR(rci_aqi_edition_name(E12), "HJ 633-2012");
    CHECK_STR(rci_aqi_edition_name(E26), "HJ 633-2026");
    CHECK(rci_aqi_edition_name(RCI_AQI_EDITION_NONE) == NULL);

    /* PM2.5 70 on the last day of the old edition and the first of the new:
     * 2012: 50 + 50·35/40 = 93.75 → 94, good; 2026: 100 + 50·10/55 = 109.1
     * → 110, lightly polluted. */
    rci_air_sample s = daily_2012(10, 20, 40, 5, 50, 50, 70);
    rci_aqi_result r;
    CHECK(rci_aqi_compute(rci_aqi_edition_of(2026, 2, 28), RCI_AQI_DAILY, &s, &r, why,
                          sizeof why) == 0);
    CHECK(r.aqi == 94);
    CHECK(r.category->level == 2);
    CHECK(rci_aqi_compute(rci_aqi_edition_of(2026, 3, 1), RCI_AQI_DAILY, &s, &r, why,
                          sizeof why) == 0);
    CHECK(r.aqi == 110);
    CHECK(r.category->level == 3);
}

/* ---- concentrations and bad input ---------------------------------------- */

static void test_conc_parse(void)
{
    rci_air_conc c = -7;
    CHECK(rci_air_conc_parse("35", &c, why, sizeof why) == 0 && c == 35000);
    CHECK(rci_air_conc_parse("0.8", &c, why, sizeof why) == 0 && c == 800);
    CHECK(rci_air_conc_parse("35.125", &c, why, sizeof why) == 0 && c == 35125);
    CHECK(rci_air_conc_parse("35.4000", &c, why, sizeof why) == 0 && c == 35400);
    CHECK(rci_air_conc_parse("0", &c, why, sizeof why) == 0 && c == 0);
    CHECK(rci_air_conc_parse("007", &c, why, sizeof why) == 0 && c == 7000);
    CHECK(rci_air_conc_parse("100000", &c, why, sizeof why) == 0 && c == 100000000);

    c = -7;
    CHECK(rci_air_conc_parse("", &c, why, sizeof why) == -1);
    CHECK_STR(why, "concentration is empty");
    CHECK(rci_air_conc_parse(NULL, &c, why, sizeof why) == -1);
    CHECK(rci_air_conc_parse("-1", &c, why, sizeof why) == -1);
    CHECK_STR(why, "concentration -1 is negative");
    CHECK(rci_air_conc_parse("-0", &c, why, sizeof why) == -1);
    CHECK(rci_air_conc_parse("35.4567", &c, why, sizeof why) == -1);
    CHECK_STR(why, "concentration 35.4567 has more than 3 decimals");
    CHECK(rci_air_conc_parse("100000.001", &c, why, sizeof why) == -1);
    CHECK(strstr(why, "plausible maximum") != NULL);
    CHECK(rci_air_conc_parse("99999999999999999999999", &c, why, sizeof why) == -1);
    CHECK(strstr(why, "plausible maximum") != NULL);
    const char *bad[] = {"abc", "1e5", "35.", ".5", "+3", " 35", "35 ", "3,5", "NaN", "35.4.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(rci_air_conc_parse(bad[i], &c, why, sizeof why) == -1);
        CHECK(strstr(why, "not a plain decimal") != NULL);
    }
    CHECK(c == -7); /* never written on failure */
    CHECK(rci_air_conc_parse("x", NULL, NULL, 0) == -1);
}

static void test_conc_double(void)
{
    rci_air_conc c = -7;
    CHECK(rci_air_conc_from_double(35.4, &c, why, sizeof why) == 0 && c == 35400);
    CHECK(rci_air_conc_from_double(0.1 + 0.2, &c, why, sizeof why) == 0 && c == 300);
    CHECK(rci_air_conc_from_double(-0.0, &c, why, sizeof why) == 0 && c == 0);
    CHECK(rci_air_conc_from_double(99999.999, &c, why, sizeof why) == 0 && c == 99999999);
    CHECK(rci_air_conc_from_double(100000.0, &c, why, sizeof why) == 0 && c == 100000000);
    c = -7;
    CHECK(rci_air_conc_from_double(NAN, &c, why, sizeof why) == -1);
    CHECK_STR(why, "concentration is not a finite number");
    CHECK(rci_air_conc_from_double(INFINITY, &c, why, sizeof why) == -1);
    CHECK(rci_air_conc_from_double(-INFINITY, &c, why, sizeof why) == -1);
    CHECK(rci_air_conc_from_double(-1.0, &c, why, sizeof why) == -1);
    CHECK_STR(why, "concentration -1 is negative");
    CHECK(rci_air_conc_from_double(-0.001, &c, why, sizeof why) == -1);
    CHECK(rci_air_conc_from_double(1e9, &c, why, sizeof why) == -1);
    CHECK(strstr(why, "plausible maximum") != NULL);
    CHECK(rci_air_conc_from_double(35.4567, &c, why, sizeof why) == -1);
    CHECK_STR(why, "concentration 35.4567 has more than 3 decimals");
    CHECK(rci_air_conc_from_double(35.0001, &c, why, sizeof why) == -1);
    CHECK(c == -7);
}

static void test_conc_format(void)
{
    char buf[RCI_AIR_CONC_TEXT_MAX];
    CHECK(rci_air_conc_format(35400, buf, sizeof buf) == 4);
    CHECK_STR(buf, "35.4");
    CHECK(rci_air_conc_format(2200, buf, sizeof buf) == 3);
    CHECK_STR(buf, "2.2");
    CHECK(rci_air_conc_format(35125, buf, sizeof buf) == 6);
    CHECK_STR(buf, "35.125");
    CHECK(rci_air_conc_format(35000, buf, sizeof buf) == 2);
    CHECK_STR(buf, "35");
    CHECK(rci_air_conc_format(0, buf, sizeof buf) == 1);
    CHECK_STR(buf, "0");
    CHECK(rci_air_conc_format(50, buf, sizeof buf) == 4);
    CHECK_STR(buf, "0.05");
    CHECK(rci_air_conc_format(-1500, buf, sizeof buf) == 4);
    CHECK_STR(buf, "-1.5");
    CHECK(rci_air_conc_format(INT64_MIN, buf, sizeof buf) > 0);
    CHECK_STR(buf, "-9223372036854775.808");
    char small[4];
    CHECK(rci_air_conc_format(35400, small, sizeof small) == -1);
    CHECK_STR(small, "");
    /* Every value of the parse's range goes back and forth. */
    int ok = 1;
    for (rci_air_conc v = 0; v < 5000; v += 7) {
        rci_air_conc back;
        if (rci_air_conc_format(v, buf, sizeof buf) < 0 ||
            rci_air_conc_parse(buf, &back, NULL, 0) || back != v)
            ok = 0;
    }
    CHECK(ok);
}

static void test_bad_input(void)
{
    rci_aqi_iaqi r;
    CHECK(rci_aqi_iaqi_of(E12, RCI_AIR_PM25_24H, -1000, &r, why, sizeof why) == -1);
    CHECK_STR(why, "PM2.5 24-hour mean: concentration -1 is negative");
    CHECK(rci_aqi_iaqi_of(E26, RCI_AIR_CO_24H, C(1000) + 1, &r, why, sizeof why) == -1);
    CHECK_STR(why, "CO 24-hour mean: 1000.001 mg/m³ is above the plausible maximum 1000");
    CHECK(rci_aqi_iaqi_of(E26, RCI_AIR_CO_24H, C(1000), &r, why, sizeof why) == 0);
    CHECK(r.iaqi == 500 && r.flags == RCI_AQI_CAPPED);
    CHECK(rci_aqi_iaqi_of(E26, RCI_AIR_NO2_1H, C(100000) + 1, &r, why, sizeof why) == -1);
    CHECK(strstr(why, "NO2 1-hour mean") != NULL);
    CHECK(rci_aqi_iaqi_of(RCI_AQI_EDITION_NONE, RCI_AIR_SO2_24H, 0, &r, why, sizeof why) == -1);
    CHECK(strstr(why, "edition") != NULL);
    CHECK(rci_aqi_iaqi_of((rci_aqi_edition)7, RCI_AIR_SO2_24H, 0, &r, why, sizeof why) == -1);
    CHECK(rci_aqi_iaqi_of(E12, RCI_AIR_ITEMS, 0, &r, why, sizeof why) == -1);
    CHECK(strstr(why, "item") != NULL);
    CHECK(rci_aqi_iaqi_of(E12, (rci_air_item)-1, 0, &r, why, sizeof why) == -1);
    CHECK(rci_aqi_iaqi_of(E12, RCI_AIR_SO2_24H, 0, NULL, NULL, 0) == 0); /* out optional */

    rci_air_sample s = full_sample();
    rci_aqi_result res;
    CHECK(rci_aqi_compute(E12, (rci_aqi_report)5, &s, &res, why, sizeof why) == -1);
    CHECK(strstr(why, "report") != NULL);
    CHECK(rci_aqi_compute(E12, RCI_AQI_DAILY, NULL, &res, why, sizeof why) == -1);
    CHECK(rci_aqi_compute(E12, RCI_AQI_DAILY, &s, NULL, why, sizeof why) == -1);
    CHECK(rci_aqi_compute(RCI_AQI_EDITION_NONE, RCI_AQI_DAILY, &s, &res, why, sizeof why) == -1);
    /* A bad value is refused even in an item the report does not use. */
    s.conc[RCI_AIR_PM25_1H] = -5;
    CHECK(rci_aqi_compute(E26, RCI_AQI_DAILY, &s, &res, why, sizeof why) == -1);
    CHECK_STR(why, "PM2.5 1-hour mean: concentration -0.005 is negative");
    /* …but not one that is not present. */
    s.present &= ~(1u << RCI_AIR_PM25_1H);
    CHECK(rci_aqi_compute(E26, RCI_AQI_DAILY, &s, &res, why, sizeof why) == 0);
    /* why is optional, and cut to its size. */
    char small[8];
    CHECK(rci_aqi_iaqi_of(E12, RCI_AIR_PM25_24H, -1000, &r, NULL, 0) == -1);
    CHECK(rci_aqi_iaqi_of(E12, RCI_AIR_PM25_24H, -1000, &r, small, sizeof small) == -1);
    CHECK_STR(small, "PM2.5 2");

    /* Names and units. */
    CHECK_STR(rci_air_item_name(RCI_AIR_O3_8H), "O3 8-hour mean");
    CHECK_STR(rci_air_item_code(RCI_AIR_SO2_1H), "SO2");
    CHECK_STR(rci_air_item_code(RCI_AIR_PM25_24H), "PM2.5");
    CHECK_STR(rci_air_item_unit(RCI_AIR_CO_1H), "mg/m³");
    CHECK_STR(rci_air_item_unit(RCI_AIR_O3_1H), "µg/m³");
    CHECK(rci_air_item_name(RCI_AIR_ITEMS) == NULL);
    CHECK(rci_air_item_code((rci_air_item)-1) == NULL);
    CHECK(rci_air_item_unit(RCI_AIR_ITEMS) == NULL);
    CHECK_STR(rci_air_stat_code(RCI_AIR_STAT_O3), "O3_8h");
    CHECK(rci_air_stat_code(RCI_AIR_STATS) == NULL);
    rci_air_sample_set(NULL, RCI_AIR_SO2_24H, 0); /* harmless */
    rci_air_sample z = {0};
    rci_air_sample_set(&z, RCI_AIR_ITEMS, 5);
    CHECK(z.present == 0);
}

/* ---- percentiles, composite index, valid days ---------------------------- */

static void test_percentile(void)
{
    /* Reference §7.3: for 1..30, P90 = 27.1 and P95 = 28.55. */
    rci_air_conc v[30];
    int64_t x100;
    for (int i = 0; i < 30; i++)
        v[i] = C(i + 1);
    CHECK(rci_air_percentile(v, 30, 90, &x100) == 0);
    CHECK(x100 == 2710000); /* 27.1 × 1000 × 100 */
    CHECK(rci_air_percentile(v, 30, 95, &x100) == 0);
    CHECK(x100 == 2855000);
    CHECK(rci_air_percentile(v, 30, 100, &x100) == 0);
    CHECK(x100 == 3000000);
    CHECK(rci_air_percentile(v, 30, 0, &x100) == 0);
    CHECK(x100 == 100000);
    CHECK(rci_air_percentile(v, 30, 50, &x100) == 0);
    CHECK(x100 == 1550000); /* k = 15.5: 15 + 0.5·1 */
    /* One value: it is every percentile. */
    CHECK(rci_air_percentile(v, 1, 95, &x100) == 0);
    CHECK(x100 == 100000);
    /* Two values 1 and 2: k = 1.95, 1 + 0.95. */
    CHECK(rci_air_percentile(v, 2, 95, &x100) == 0);
    CHECK(x100 == 195000);
    /* Bad calls. */
    CHECK(rci_air_percentile(v, 0, 95, &x100) == -1);
    CHECK(rci_air_percentile(v, 30, 101, &x100) == -1);
    CHECK(rci_air_percentile(v, 30, -1, &x100) == -1);
    CHECK(rci_air_percentile(NULL, 30, 90, &x100) == -1);
    CHECK(rci_air_percentile(v, 30, 90, NULL) == -1);
    v[3] = C(100); /* not sorted */
    CHECK(rci_air_percentile(v, 30, 90, &x100) == -1);
}

static void test_composite(void)
{
    /* Reference §7.2 ([P2]): PM2.5 21, PM10 39, SO2 9, NO2 15, O3 P90 192,
     * CO P95 0.7: 0.600 + 0.557 + 0.150 + 0.375 + 1.200 + 0.175 = 3.057
     * → 3.06. The shown single indices (half to even): 0.60, 0.56, 0.15,
     * 0.38 (0.375: 7 is odd → 8), 1.20, 0.18 (0.175 → 0.18); they add up
     * to 3.07, but the index is the exact sum. */
    rci_air_conc v[RCI_AIR_STATS] = {0};
    int32_t idx[RCI_AIR_STATS], comp = -1;
    v[RCI_AIR_STAT_SO2] = C(9);
    v[RCI_AIR_STAT_NO2] = C(15);
    v[RCI_AIR_STAT_PM10] = C(39);
    v[RCI_AIR_STAT_PM25] = C(21);
    v[RCI_AIR_STAT_CO] = CO10(7);
    v[RCI_AIR_STAT_O3] = C(192);
    CHECK(rci_air_composite(v, idx, &comp) == 0);
    CHECK(comp == 306);
    CHECK(idx[RCI_AIR_STAT_SO2] == 15);
    CHECK(idx[RCI_AIR_STAT_NO2] == 38);
    CHECK(idx[RCI_AIR_STAT_PM10] == 56);
    CHECK(idx[RCI_AIR_STAT_PM25] == 60);
    CHECK(idx[RCI_AIR_STAT_CO] == 18);
    CHECK(idx[RCI_AIR_STAT_O3] == 120);

    /* Ties in the rounding go to even: CO 0.1 / 4 = 0.025 → 0.02, and as
     * the only term, the composite too; CO 0.3 → 0.075 → 0.08. */
    memset(v, 0, sizeof v);
    v[RCI_AIR_STAT_CO] = CO10(1);
    CHECK(rci_air_composite(v, idx, &comp) == 0);
    CHECK(idx[RCI_AIR_STAT_CO] == 2);
    CHECK(comp == 2);
    v[RCI_AIR_STAT_CO] = CO10(3);
    CHECK(rci_air_composite(v, idx, &comp) == 0);
    CHECK(idx[RCI_AIR_STAT_CO] == 8);
    CHECK(comp == 8);
    /* Exactly the divisors: each index 1.00, composite 6.00. */
    v[RCI_AIR_STAT_SO2] = C(60);
    v[RCI_AIR_STAT_NO2] = C(40);
    v[RCI_AIR_STAT_PM10] = C(70);
    v[RCI_AIR_STAT_PM25] = C(35);
    v[RCI_AIR_STAT_CO] = C(4);
    v[RCI_AIR_STAT_O3] = C(160);
    CHECK(rci_air_composite(v, idx, &comp) == 0);
    CHECK(comp == 600);
    for (int i = 0; i < RCI_AIR_STATS; i++)
        CHECK(idx[i] == 100);
    /* Bad calls. */
    v[RCI_AIR_STAT_NO2] = -1;
    CHECK(rci_air_composite(v, idx, &comp) == -1);
    CHECK(rci_air_composite(NULL, idx, &comp) == -1);
    CHECK(strstr(RCI_AIR_COMPOSITE_METHOD, "GB 3095-2012 Grade II") != NULL);
    CHECK(strstr(RCI_AIR_COMPOSITE_METHOD, "HJ 663") != NULL);
}

static void test_days_needed(void)
{
    /* GB 3095 Table 4: 27 a month, 25 in February, 324 a year. */
    CHECK(rci_air_days_needed(2025, 1) == 27);
    CHECK(rci_air_days_needed(2025, 2) == 25);
    CHECK(rci_air_days_needed(2024, 2) == 25);
    CHECK(rci_air_days_needed(2025, 4) == 27);
    CHECK(rci_air_days_needed(2025, 12) == 27);
    CHECK(rci_air_days_needed(2025, 0) == 324);
    CHECK(rci_air_days_needed(2024, 0) == 324);
    CHECK(rci_air_days_needed(2025, 13) == -1);
    CHECK(rci_air_days_needed(2025, -1) == -1);
}

/* ---- a month with missing days and pollutants ---------------------------- */

/* April 2025 (HJ 633-2012, 30 days, 27 needed). Days 5 and 17 are not
 * given: 28 days. Day 3 has no CO, day 4 no PM10. For a given day d:
 *   SO2    10, but 12 on day 1
 *   NO2    30 on the first 14 given days (1-4, 6-15), 31 on the other 14
 *   PM10   40, but 200 on day 10 and 300 on day 20
 *   CO     d/10 mg/m³
 *   O3 8h  100 + 2d; O3 1h 120 + 2d
 *   PM2.5  d
 */
static int april(rci_air_day *days, int co_also_missing_on)
{
    int n = 0;
    for (int d = 1; d <= 30; d++) {
        if (d == 5 || d == 17)
            continue;
        rci_air_day *x = &days[n++];
        memset(x, 0, sizeof *x);
        x->year = 2025;
        x->month = 4;
        x->day = d;
        rci_air_sample_set(&x->sample, RCI_AIR_SO2_24H, C(d == 1 ? 12 : 10));
        rci_air_sample_set(&x->sample, RCI_AIR_NO2_24H, C(n <= 14 ? 30 : 31));
        if (d != 4)
            rci_air_sample_set(&x->sample, RCI_AIR_PM10_24H,
                               C(d == 10 ? 200 : d == 20 ? 300 : 40));
        if (d != 3 && d != co_also_missing_on)
            rci_air_sample_set(&x->sample, RCI_AIR_CO_24H, CO10(d));
        rci_air_sample_set(&x->sample, RCI_AIR_O3_8H, C(100 + 2 * d));
        rci_air_sample_set(&x->sample, RCI_AIR_O3_1H, C(120 + 2 * d));
        rci_air_sample_set(&x->sample, RCI_AIR_PM25_24H, C(d));
    }
    return n;
}

static void test_month(void)
{
    rci_air_day days[31];
    rci_air_period p;
    int n = april(days, 0);
    CHECK(n == 28);
    CHECK(rci_air_period_stats(2025, 4, days, (size_t)n, &p, why, sizeof why) == 0);
    CHECK(p.year == 2025 && p.month == 4);
    CHECK(p.days_in_period == 30);
    CHECK(p.days_needed == 27);
    CHECK(p.days_given == 28);

    /* Daily AQI (2012). O3 8h IAQI = 50 + 50·2d/60 = 50 + 5d/3: 52 (d=1)
     * … 100 (d=30), always above the O3 1h IAQI (≤ 75) and PM2.5 (≤ 43).
     * Day 10: PM10 200 → 100 + 50·50/100 = 125 (level III); day 20: PM10
     * 300 → 150 + 50·50/100 = 175 (level IV). Days 3 and 4 are incomplete
     * with AQI ≤ 100: not published, not valid. So 26 valid days: 24 at
     * level II, one III, one IV; good 24/26 = 92.31 % → 92.3. */
    CHECK(p.valid_days == 26);
    CHECK(p.good_days == 24);
    CHECK(p.good_rate_x10 == 923);
    CHECK(p.level_days[0] == 0);
    CHECK(p.level_days[1] == 24);
    CHECK(p.level_days[2] == 1);
    CHECK(p.level_days[3] == 1);
    CHECK(p.level_days[4] == 0 && p.level_days[5] == 0);
    CHECK(p.capped_days == 0);

    /* SO2: (12 + 27·10)/28 = 282/28 = 10.07 → 10. */
    CHECK(p.stat[RCI_AIR_STAT_SO2].n == 28);
    CHECK(p.stat[RCI_AIR_STAT_SO2].value == C(10));
    /* NO2: (14·30 + 14·31)/28 = 30.5 → 30 (half to even). */
    CHECK(p.stat[RCI_AIR_STAT_NO2].value == C(30));
    /* PM10: 27 days, (25·40 + 200 + 300)/27 = 55.56 → 56. */
    CHECK(p.stat[RCI_AIR_STAT_PM10].n == 27);
    CHECK(p.stat[RCI_AIR_STAT_PM10].value == C(56));
    /* PM2.5: (465 - 5 - 17)/28 = 443/28 = 15.82 → 16. */
    CHECK(p.stat[RCI_AIR_STAT_PM25].value == C(16));
    /* CO P95 of 27 values (tenths) 1,2,4,6..16,18..30: k = 1 + 26·0.95 =
     * 25.7; X(25) = 28, X(26) = 29 (positions 15..27 hold 18..30);
     * 28 + 0.7 = 28.7 tenths = 2.87 mg/m³ → 2.9. */
    CHECK(p.stat[RCI_AIR_STAT_CO].n == 27);
    CHECK(p.stat[RCI_AIR_STAT_CO].value == CO10(29));
    /* O3 P90 of 28 values 100 + 2d: k = 1 + 27·0.9 = 25.3; positions 16..28
     * hold d = 18..30, so X(25) = 100 + 2·27 = 154, X(26) = 156;
     * 154 + 0.3·2 = 154.6 → 155. */
    CHECK(p.stat[RCI_AIR_STAT_O3].n == 28);
    CHECK(p.stat[RCI_AIR_STAT_O3].value == C(155));

    /* Single indices: 10/60 = 0.167 → 0.17; 30/40 = 0.75; 56/70 = 0.80;
     * 16/35 = 0.457 → 0.46; 2.9/4 = 0.725 → 0.72 (half to even);
     * 155/160 = 0.96875 → 0.97. Composite: 0.16667 + 0.75 + 0.8 + 0.45714
     * + 0.725 + 0.96875 = 3.86756 → 3.87. */
    CHECK(p.stat[RCI_AIR_STAT_SO2].index_x100 == 17);
    CHECK(p.stat[RCI_AIR_STAT_NO2].index_x100 == 75);
    CHECK(p.stat[RCI_AIR_STAT_PM10].index_x100 == 80);
    CHECK(p.stat[RCI_AIR_STAT_PM25].index_x100 == 46);
    CHECK(p.stat[RCI_AIR_STAT_CO].index_x100 == 72);
    CHECK(p.stat[RCI_AIR_STAT_O3].index_x100 == 97);
    CHECK(p.composite_ok);
    CHECK(p.composite_x100 == 387);
    /* Every statistic has at least 27 values (PM10 and CO exactly 27). */
    CHECK(p.enough);
    CHECK_STR(p.method, RCI_AIR_COMPOSITE_METHOD);

    /* One more day without CO: 26 < 27, not enough; the index is still
     * computed (shown, flagged, not ranked). CO now 1,2,4,6..16,18..29
     * (26 values): k = 1 + 25·0.95 = 24.75, X(24) = 27, X(25) = 28:
     * 27.75 tenths → 2.8. */
    n = april(days, 30);
    CHECK(rci_air_period_stats(2025, 4, days, (size_t)n, &p, why, sizeof why) == 0);
    CHECK(p.stat[RCI_AIR_STAT_CO].n == 26);
    CHECK(p.stat[RCI_AIR_STAT_CO].value == CO10(28));
    CHECK(!p.enough);
    CHECK(p.composite_ok);
    CHECK(p.valid_days == 25); /* day 30 is incomplete now, and AQI 100 */

    /* The days in any order give the same answer. */
    n = april(days, 0);
    for (int i = 0; i < n / 2; i++) {
        rci_air_day t = days[i];
        days[i] = days[n - 1 - i];
        days[n - 1 - i] = t;
    }
    CHECK(rci_air_period_stats(2025, 4, days, (size_t)n, &p, why, sizeof why) == 0);
    CHECK(p.composite_x100 == 387);
    CHECK(p.stat[RCI_AIR_STAT_CO].value == CO10(29));
}

static void test_month_without_a_pollutant(void)
{
    rci_air_day days[31];
    rci_air_period p;
    int n = april(days, 0);
    for (int i = 0; i < n; i++)
        days[i].sample.present &= ~(1u << RCI_AIR_O3_8H);
    CHECK(rci_air_period_stats(2025, 4, days, (size_t)n, &p, why, sizeof why) == 0);
    CHECK(p.stat[RCI_AIR_STAT_O3].n == 0);
    CHECK(!p.composite_ok);
    CHECK(p.composite_x100 == 0);
    CHECK(!p.enough);
    CHECK(p.stat[RCI_AIR_STAT_O3].index_x100 == 0);
    /* No O3 8h: every day incomplete; day 10 (125) and 20 (175) still
     * published, the rest not. */
    CHECK(p.valid_days == 2);
    CHECK(p.good_days == 0);
    CHECK(p.good_rate_x10 == 0);

    /* No days at all. */
    CHECK(rci_air_period_stats(2025, 4, NULL, 0, &p, why, sizeof why) == 0);
    CHECK(p.valid_days == 0);
    CHECK(p.good_rate_x10 == -1);
    CHECK(!p.composite_ok && !p.enough);
}

/* February: 25 needed, in a common and a leap year. */
static int february(rci_air_day *days, int year, int ndays)
{
    for (int d = 1; d <= ndays; d++) {
        rci_air_day *x = &days[d - 1];
        memset(x, 0, sizeof *x);
        x->year = year;
        x->month = 2;
        x->day = d;
        rci_air_sample_set(&x->sample, RCI_AIR_SO2_24H, C(8));
        rci_air_sample_set(&x->sample, RCI_AIR_NO2_24H, C(20));
        rci_air_sample_set(&x->sample, RCI_AIR_PM10_24H, C(35));
        rci_air_sample_set(&x->sample, RCI_AIR_CO_24H, CO10(6));
        rci_air_sample_set(&x->sample, RCI_AIR_O3_8H, C(90));
        rci_air_sample_set(&x->sample, RCI_AIR_O3_1H, C(110));
        rci_air_sample_set(&x->sample, RCI_AIR_PM25_24H, C(21));
    }
    return ndays;
}

static void test_february(void)
{
    rci_air_day days[29];
    rci_air_period p;
    CHECK(rci_air_period_stats(2025, 2, days, (size_t)february(days, 2025, 25), &p, why,
                               sizeof why) == 0);
    CHECK(p.days_in_period == 28);
    CHECK(p.days_needed == 25);
    CHECK(p.enough);
    /* Every day: SO2 8 (8), NO2 20 (25), PM10 35 (35), CO 0.6 (15),
     * O3 8h 90 (45), O3 1h 110 (34.4 → 35), PM2.5 21 (30): AQI 45, level I. */
    CHECK(p.level_days[0] == 25);
    CHECK(p.good_rate_x10 == 1000);
    CHECK(rci_air_period_stats(2025, 2, days, (size_t)february(days, 2025, 24), &p, why,
                               sizeof why) == 0);
    CHECK(!p.enough);
    CHECK(rci_air_period_stats(2024, 2, days, (size_t)february(days, 2024, 29), &p, why,
                               sizeof why) == 0);
    CHECK(p.days_in_period == 29);
    CHECK(p.enough);
    CHECK(p.valid_days == 29);
    /* 2025-02-29 does not exist. */
    CHECK(rci_air_period_stats(2025, 2, days, (size_t)february(days, 2025, 29), &p, why,
                               sizeof why) == -1);
    CHECK_STR(why, "2025-02-29 is not a date");
}

/* A year across the edition switch: 2026, every day PM2.5 70 and the rest
 * low. Before March (59 days) the day is 94 (good); from March (306 days)
 * it is 110 (lightly polluted). */
static void test_year(void)
{
    static rci_air_day days[366];
    rci_air_period p;
    int n = 0;
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int m = 1; m <= 12; m++)
        for (int d = 1; d <= dim[m - 1]; d++) {
            rci_air_day *x = &days[n++];
            memset(x, 0, sizeof *x);
            x->year = 2026;
            x->month = m;
            x->day = d;
            x->sample = daily_2012(10, 20, 40, 5, 50, 50, 70);
        }
    CHECK(n == 365);
    CHECK(rci_air_period_stats(2026, 0, days, (size_t)n, &p, why, sizeof why) == 0);
    CHECK(p.month == 0);
    CHECK(p.days_in_period == 365);
    CHECK(p.days_needed == 324);
    CHECK(p.valid_days == 365);
    CHECK(p.good_days == 59);
    CHECK(p.level_days[1] == 59);
    CHECK(p.level_days[2] == 306);
    CHECK(p.good_rate_x10 == 162); /* 59/365 = 16.16 % */
    CHECK(p.enough);
    CHECK(p.stat[RCI_AIR_STAT_PM25].value == C(70));
    /* 324 days are enough, 323 are not (drop the last days of the year). */
    CHECK(rci_air_period_stats(2026, 0, days, 324, &p, why, sizeof why) == 0);
    CHECK(p.enough);
    CHECK(rci_air_period_stats(2026, 0, days, 323, &p, why, sizeof why) == 0);
    CHECK(!p.enough);
    /* One pollutant short on a single day is enough to fall below. */
    days[0].sample.present &= ~(1u << RCI_AIR_NO2_24H);
    CHECK(rci_air_period_stats(2026, 0, days, 324, &p, why, sizeof why) == 0);
    CHECK(p.stat[RCI_AIR_STAT_NO2].n == 323);
    CHECK(!p.enough);
    /* A capped day is counted. */
    rci_air_sample_set(&days[1].sample, RCI_AIR_PM25_24H, C(600));
    CHECK(rci_air_period_stats(2026, 0, days, 324, &p, why, sizeof why) == 0);
    CHECK(p.capped_days == 1);
    CHECK(p.level_days[5] == 1);
}

static void test_period_bad_input(void)
{
    rci_air_day days[3];
    rci_air_period p;
    february(days, 2025, 3);
    CHECK(rci_air_period_stats(2025, 13, days, 3, &p, why, sizeof why) == -1);
    CHECK_STR(why, "period 2025-13 is not a month or a year");
    CHECK(rci_air_period_stats(2025, -1, days, 3, &p, why, sizeof why) == -1);
    CHECK(rci_air_period_stats(0, 1, days, 3, &p, why, sizeof why) == -1);
    CHECK(rci_air_period_stats(2025, 3, days, 3, &p, why, sizeof why) == -1);
    CHECK_STR(why, "2025-02-01 is outside the period");
    CHECK(rci_air_period_stats(2024, 0, days, 3, &p, why, sizeof why) == -1);
    CHECK_STR(why, "2025-02-01 is outside the period");
    CHECK(rci_air_period_stats(2025, 2, days, 3, NULL, why, sizeof why) == -1);
    CHECK(rci_air_period_stats(2025, 2, NULL, 3, &p, why, sizeof why) == -1);
    days[2].day = 1;
    CHECK(rci_air_period_stats(2025, 2, days, 3, &p, why, sizeof why) == -1);
    CHECK_STR(why, "2025-02-01 is given twice");
    february(days, 2025, 3);
    days[1].sample.conc[RCI_AIR_PM10_24H] = -1000;
    CHECK(rci_air_period_stats(2025, 2, days, 3, &p, why, sizeof why) == -1);
    CHECK_STR(why, "2025-02-02: PM10 24-hour mean: concentration -1 is negative");
    february(days, 2025, 3);
    days[2].sample.conc[RCI_AIR_CO_24H] = C(2000);
    CHECK(rci_air_period_stats(2025, 2, days, 3, &p, why, sizeof why) == -1);
    CHECK(strstr(why, "2025-02-03: CO 24-hour mean: 2000 mg/m³") == why);
    /* A failure leaves the result as it was. */
    memset(&p, 0x5a, sizeof p);
    rci_air_period before = p;
    CHECK(rci_air_period_stats(2025, 2, days, 3, &p, why, sizeof why) == -1);
    CHECK(memcmp(&p, &before, sizeof p) == 0);
    CHECK(rci_air_period_stats(2025, 2, days, 367, &p, why, sizeof why) == -1);
    CHECK_STR(why, "367 days given; a year has at most 366");
}

/* ---- ranking ------------------------------------------------------------- */

static void test_rank(void)
{
    /* 3.06, 4.10, 3.06, 2.50, (too few days) 1.00, 4.10 → 2, 4, 2, 1, –, 4. */
    rci_air_rank_in c[6] = {{306, 1}, {410, 1}, {306, 1}, {250, 1}, {100, 0}, {410, 1}};
    int rank[6];
    size_t order[6];
    CHECK(rci_air_rank(c, 6, rank, order) == 0);
    CHECK(rank[0] == 2 && rank[1] == 4 && rank[2] == 2 && rank[3] == 1);
    CHECK(rank[4] == 0 && rank[5] == 4);
    CHECK(order[0] == 3 && order[1] == 0 && order[2] == 2 && order[3] == 1 && order[4] == 5);
    CHECK(order[5] == 4); /* unranked after all ranked, whatever its index */

    /* 1, 2, 2, 4. */
    rci_air_rank_in d[4] = {{300, 1}, {350, 1}, {350, 1}, {400, 1}};
    CHECK(rci_air_rank(d, 4, rank, NULL) == 0);
    CHECK(rank[0] == 1 && rank[1] == 2 && rank[2] == 2 && rank[3] == 4);

    /* Ties are at 2 decimals: two months whose exact indices differ but
     * round to the same hundredths share a rank. 3.86756 (April above)
     * and, with O3 0.133 µg/m³ lower, 3.86673 both show 3.87. */
    rci_air_conc v[RCI_AIR_STATS] = {C(10), C(30), C(56), C(16), CO10(29), C(155)};
    rci_air_conc w[RCI_AIR_STATS] = {C(10), C(30), C(56), C(16), CO10(29), C(155)};
    int32_t idx[RCI_AIR_STATS];
    rci_air_rank_in e[2];
    w[RCI_AIR_STAT_O3] = C(155) - 133;
    CHECK(rci_air_composite(v, idx, &e[0].composite_x100) == 0);
    CHECK(rci_air_composite(w, idx, &e[1].composite_x100) == 0);
    e[0].rankable = e[1].rankable = 1;
    CHECK(e[0].composite_x100 == 387 && e[1].composite_x100 == 387);
    CHECK(rci_air_rank(e, 2, rank, order) == 0);
    CHECK(rank[0] == 1 && rank[1] == 1);
    CHECK(order[0] == 0 && order[1] == 1);

    /* Nobody rankable; nobody at all; bad pointers. */
    rci_air_rank_in u[2] = {{200, 0}, {100, 0}};
    CHECK(rci_air_rank(u, 2, rank, order) == 0);
    CHECK(rank[0] == 0 && rank[1] == 0 && order[0] == 0 && order[1] == 1);
    CHECK(rci_air_rank(NULL, 0, NULL, NULL) == 0);
    CHECK(rci_air_rank(NULL, 2, rank, order) == -1);
    CHECK(rci_air_rank(u, 2, NULL, order) == -1);
}

int main(void)
{
    test_breakpoints_2012();
    test_breakpoints_2026();
    test_edition_differences();
    test_reference_vectors();
    test_double_traps();
    test_monotonic();
    test_rounding();
    test_cap();
    test_special_rules_2012();
    test_special_rules_2026();
    test_indicator_sets();
    test_primary();
    test_published();
    test_categories();
    test_editions();
    test_conc_parse();
    test_conc_double();
    test_conc_format();
    test_bad_input();
    test_percentile();
    test_composite();
    test_days_needed();
    test_month();
    test_month_without_a_pollutant();
    test_february();
    test_year();
    test_period_bad_input();
    test_rank();
    return check_done();
}
