/* aqi.h: air quality by the national standards. Pure code: no I/O, no
 * allocation, no global state.
 *
 * This module owns
 *   - concentrations as exact decimals (rci_air_conc) and their checks;
 *   - the IAQI of each monitored item, the AQI, its level, category, colour
 *     and primary pollutant(s), for the daily report (日报) and the hourly
 *     real-time report (实时报), by HJ 633-2012 for days before 2026-03-01
 *     and by HJ 633-2026 from that day on (DESIGN §6);
 *   - statistics of one city over a month or a year: mean concentrations,
 *     the CO 95th and O3 90th percentiles (HJ 663), good days, days per
 *     level, valid days (GB 3095 Table 4), single indices and the composite
 *     index (综合指数);
 *   - the ranking of cities by composite index.
 *
 * Exactness. Concentrations are decimals with at most 3 decimals, held as
 * integers in thousandths of their unit, and every interpolation, mean,
 * percentile and index is done in integer arithmetic, so a value exactly at
 * a breakpoint gives exactly the table's IAQI and "round up" never turns 55
 * into 56 (air-quality reference §10 shows doubles do).
 *
 * Units: µg/m³ for every item except CO, which is in mg/m³ (HJ 633 Table 1
 * of 2012, Table 3 of 2026).
 *
 * Every function that can fail writes a short English reason into why (if
 * not NULL; whylen bytes, always NUL-terminated), such as
 * "PM2.5 24-hour mean: 200000 µg/m³ is above the plausible maximum 100000";
 * the caller adds the row or the city.
 */
#ifndef RCI_AQI_H
#define RCI_AQI_H

#include <stddef.h>
#include <stdint.h>

/* ---- concentrations ------------------------------------------------------ */

/* A concentration in thousandths of its unit: PM2.5 35.4 µg/m³ is 35400,
 * CO 2.2 mg/m³ is 2200. Accepted: 0 .. the item's maximum below, at most 3
 * decimals; monitoring data carry 0 (µg/m³) or 1 (CO) decimals. */
typedef int64_t rci_air_conc;

#define RCI_AIR_CONC_SCALE 1000
/* Plausible maxima, far above anything measured (the IAQI 500 breakpoints
 * are 3840 µg/m³ and 150 mg/m³); beyond them a value is a unit or typing
 * mistake, not air. */
#define RCI_AIR_UG_MAX 100000 /* µg/m³ */
#define RCI_AIR_MG_MAX 1000   /* mg/m³, CO */
/* Room for the text of any concentration ("100000.000") and its NUL. */
#define RCI_AIR_CONC_TEXT_MAX 24

/* Parse a plain decimal ("35", "0.8", "35.125"; no sign, no exponent, no
 * spaces, at most 3 decimals, at most RCI_AIR_UG_MAX). Returns 0, or -1
 * with the reason in why. */
int rci_air_conc_parse(const char *text, rci_air_conc *out, char *why, size_t whylen);

/* The concentration a double stands for. The double must be finite, >= 0,
 * <= RCI_AIR_UG_MAX and a decimal of at most 3 decimals up to binary
 * representation error (35.4 is accepted as 35400; 35.4567 is refused, not
 * rounded, so nothing is silently changed). Returns 0, or -1 with why. */
int rci_air_conc_from_double(double v, rci_air_conc *out, char *why, size_t whylen);

/* Writes c with as few decimals as it needs ("35", "2.2", "35.125"); returns
 * the length, or -1 (and an empty buf) if buflen is too small. */
int rci_air_conc_format(rci_air_conc c, char *buf, size_t buflen);

/* ---- monitored items ----------------------------------------------------- */

/* What was measured over which time. In the daily report the 24-hour items
 * are the day's means, O3_1H the day's largest 1-hour mean and O3_8H the
 * day's largest 8-hour moving mean; in the hourly report the 1H items are
 * the hour's means and the 24H and O3_8H items the moving means ending
 * with that hour. */
typedef enum rci_air_item {
    RCI_AIR_SO2_24H,
    RCI_AIR_SO2_1H,
    RCI_AIR_NO2_24H,
    RCI_AIR_NO2_1H,
    RCI_AIR_PM10_24H,
    RCI_AIR_PM10_1H,
    RCI_AIR_CO_24H,
    RCI_AIR_CO_1H,
    RCI_AIR_O3_1H,
    RCI_AIR_O3_8H,
    RCI_AIR_PM25_24H,
    RCI_AIR_PM25_1H,
    RCI_AIR_ITEMS
} rci_air_item;

/* "PM2.5 24-hour mean", "O3 8-hour mean" …; NULL for a bad item. */
const char *rci_air_item_name(rci_air_item it);
/* The primary-pollutant code: "SO2", "NO2", "PM10", "CO", "O3_1h", "O3_8h",
 * "PM2.5" (both SO2 items are "SO2", and so on); NULL for a bad item. */
const char *rci_air_item_code(rci_air_item it);
/* "µg/m³", or "mg/m³" for CO; NULL for a bad item. */
const char *rci_air_item_unit(rci_air_item it);

/* The items measured at one place and time. Zero-initialise it (nothing
 * present) and set what was measured; an item not set is missing (NA). */
typedef struct rci_air_sample {
    uint32_t present; /* bit (1u << item) */
    rci_air_conc conc[RCI_AIR_ITEMS];
} rci_air_sample;

void rci_air_sample_set(rci_air_sample *s, rci_air_item it, rci_air_conc c);

/* ---- editions, IAQI and AQI ---------------------------------------------- */

typedef enum rci_aqi_edition {
    RCI_AQI_EDITION_NONE = 0,
    RCI_AQI_HJ633_2012, /* days before 2026-03-01 */
    RCI_AQI_HJ633_2026  /* from 2026-03-01 (reference §0) */
} rci_aqi_edition;

/* The edition in force on a (CST) calendar day; RCI_AQI_EDITION_NONE if
 * year/month/day is not a date of years 1..9999. */
rci_aqi_edition rci_aqi_edition_of(int year, int month, int day);
/* "HJ 633-2012", "HJ 633-2026"; NULL otherwise. */
const char *rci_aqi_edition_name(rci_aqi_edition ed);

typedef enum rci_aqi_report {
    RCI_AQI_DAILY,  /* 日报 */
    RCI_AQI_HOURLY  /* 实时报 */
} rci_aqi_report;

typedef enum rci_aqi_status {
    RCI_AQI_UNUSED = 0, /* not an indicator of this report in this edition */
    RCI_AQI_MISSING,    /* an indicator, but not measured: NA */
    RCI_AQI_OK,         /* IAQI computed; it counts in the AQI */
    RCI_AQI_REPLACED    /* HJ 633-2012 notes 2 and 3: above 800 µg/m³ no IAQI
                         * is computed; the pollutant's IAQI is reported from
                         * SO2_24H (for SO2_1H) or O3_1H (for O3_8H) */
} rci_aqi_status;

/* Flags on an IAQI. */
#define RCI_AQI_CAPPED 1u /* above the IAQI-500 breakpoint: counted as 500 (DESIGN §6) */
#define RCI_AQI_FIXED 2u  /* HJ 633-2026 notes b, c: SO2_1H above 800 counts as 200,
                           * O3_8H above 800 counts as 300 */

typedef struct rci_aqi_iaqi {
    rci_aqi_status status;
    int iaqi;       /* 0..500 when status is RCI_AQI_OK, else 0 */
    unsigned flags; /* RCI_AQI_CAPPED, RCI_AQI_FIXED */
} rci_aqi_iaqi;

/* The IAQI of one item's concentration c by edition ed's table:
 *   HJ 633-2026: c is first rounded per GB/T 8170 (half to even) to an
 *     integer µg/m³ or 0.1 mg/m³ (HJ 633-2026 §4.2.2); PM10_1H and PM25_1H
 *     use the daily columns (§4.2.3);
 *   HJ 633-2012: c is used as given (the edition states no rounding of
 *     concentrations); it has no 1-hour PM columns, so PM10_1H and PM25_1H
 *     are refused;
 * then interpolated between the nearest breakpoints (eq. 1) and rounded up
 * (2012 §6.2, 2026 §4.2.6). Above the IAQI-500 breakpoint the IAQI is 500
 * with RCI_AQI_CAPPED; SO2_1H and O3_8H above 800 follow the edition's
 * notes (status REPLACED in 2012, RCI_AQI_FIXED in 2026). Returns 0, or -1
 * with why for a bad edition or item, or a negative or absurd c. */
int rci_aqi_iaqi_of(rci_aqi_edition ed, rci_air_item it, rci_air_conc c, rci_aqi_iaqi *out,
                    char *why, size_t whylen);

/* One AQI level (HJ 633-2012 Table 2 and Table A.1; HJ 633-2026 Table 1 and
 * Table A.1; unchanged between them). */
typedef struct rci_aqi_category {
    int level;              /* 1..6 */
    int aqi_min, aqi_max;   /* 0-50, 51-100, …, 301-500 */
    const char *level_zh;   /* "一级" … "六级" */
    const char *level_roman; /* "I" … "VI" */
    const char *name_zh;    /* "优", "良", "轻度污染", … */
    const char *name_en;    /* "Excellent", "Good", "Lightly polluted", … */
    const char *colour_zh;  /* "绿色", … */
    const char *colour_en;  /* "green", … */
    const char *hex;        /* "#00E400", … */
    unsigned char r, g, b;
} rci_aqi_category;

/* The category of an AQI 0..500; NULL outside. */
const rci_aqi_category *rci_aqi_category_of(int aqi);

typedef struct rci_aqi_result {
    rci_aqi_edition edition;
    rci_aqi_report report;
    rci_aqi_iaqi item[RCI_AIR_ITEMS];
    int aqi;        /* largest IAQI of the items with status OK; -1 if none */
    int complete;   /* no indicator is MISSING */
    int published;  /* the AQI stands: complete, or incomplete with AQI > 100
                     * (HJ 633-2026 §5.3.1, applied to both editions);
                     * otherwise show the AQI, level and primary as NA */
    int capped;     /* some counted IAQI carries RCI_AQI_CAPPED */
    uint32_t primary; /* items (bit 1u << item) whose IAQI equals the AQI,
                       * when the AQI > 50; O3 is named once, as O3_8h
                       * when its 8-hour IAQI ties its 1-hour one */
    const rci_aqi_category *category; /* of aqi; NULL if aqi < 0 */
} rci_aqi_result;

/* The AQI of one sample, by edition ed, for report rep. The indicators:
 *   2012 daily  (§5.1.2, Table 3): SO2, NO2, PM10, CO, PM2.5 24-hour means,
 *               O3 max 1-hour, O3 max 8-hour;
 *   2012 hourly (§5.1.3, Table 4): SO2, NO2, CO, O3 1-hour means, O3 8-hour
 *               and PM10, PM2.5 24-hour moving means (Table 4 gives no IAQI
 *               for the PM 1-hour values); SO2_24H counts only when SO2_1H
 *               is above 800 (note 2);
 *   2026 daily  (§4.2.2): SO2, NO2, CO, PM10, PM2.5 daily means, O3 max
 *               8-hour (O3 max 1-hour is no longer an indicator);
 *   2026 hourly (§4.2.3): the six 1-hour means.
 * Items outside the report are ignored but still checked. Returns 0, or -1
 * with why (naming the item) for a bad edition, report or value. */
int rci_aqi_compute(rci_aqi_edition ed, rci_aqi_report rep, const rci_air_sample *s,
                    rci_aqi_result *out, char *why, size_t whylen);

/* Writes the primary pollutant codes of r, comma-separated in item order
 * ("PM2.5", "PM10,PM2.5", or "" when there is none); returns the length, or
 * -1 (and an empty buf) if buflen is too small. 48 bytes always suffice. */
int rci_aqi_primary_text(const rci_aqi_result *r, char *buf, size_t buflen);

/* ---- statistics over a month or a year ----------------------------------- */

/* The six statistics of the composite index (reference §7.1), in its order. */
typedef enum rci_air_stat {
    RCI_AIR_STAT_SO2,  /* mean of daily means */
    RCI_AIR_STAT_NO2,  /* mean of daily means */
    RCI_AIR_STAT_PM10, /* mean of daily means */
    RCI_AIR_STAT_PM25, /* mean of daily means */
    RCI_AIR_STAT_CO,   /* 95th percentile of daily means */
    RCI_AIR_STAT_O3,   /* 90th percentile of daily max 8-hour means */
    RCI_AIR_STATS
} rci_air_stat;

/* "SO2", "NO2", "PM10", "PM2.5", "CO", "O3_8h"; NULL for a bad stat. */
const char *rci_air_stat_code(rci_air_stat st);

/* The method, to be named in every answer that shows a composite index
 * (DESIGN §6). */
#define RCI_AIR_COMPOSITE_METHOD                                                         \
    "composite index: sum of Ci/Si, GB 3095-2012 Grade II divisors (HJ 663): SO2 60, "   \
    "NO2 40, PM10 70, PM2.5 35 µg/m³ (period means), CO 4 mg/m³ (95th percentile of "    \
    "daily means), O3 160 µg/m³ (90th percentile of daily max 8-hour means); rounded to " \
    "2 decimals"

/* Percentile p (0..100) of n >= 1 values sorted ascending, by HJ 663
 * (reference §7.3): k = 1 + (n-1)p/100, s = floor(k),
 * M = X(s) + (X(s+1) - X(s))(k - s). The result is exact: *x100 is 100 × M
 * in thousandths of the unit. Returns 0, or -1 if n is 0, p is out of range
 * or the values are not sorted. */
int rci_air_percentile(const rci_air_conc *sorted, size_t n, int p, int64_t *x100);

/* Single indices and composite index of six statistics C_i (indexed by
 * rci_air_stat, used exactly as given): I_i = C_i / S_i with the divisors of
 * RCI_AIR_COMPOSITE_METHOD, each written to index_x100[i] in hundredths
 * (half to even, GB/T 8170), and the exact sum of the I_i rounded the same
 * way to *composite_x100. The sum is of the exact indices, not of the
 * rounded ones (reference §7.2's worked example gives 3.06; summing the
 * rounded indices would give 3.07), so it may differ by a few hundredths
 * from the sum of the shown indices. Returns 0, or -1 for a NULL pointer or
 * a value outside 0..RCI_AIR_UG_MAX. */
int rci_air_composite(const rci_air_conc value[RCI_AIR_STATS], int32_t index_x100[RCI_AIR_STATS],
                      int32_t *composite_x100);

/* Daily values needed for a valid period (GB 3095-2012/2026 Table 4): 27 for
 * a month, 25 for February, 324 for a year (month 0); -1 for a bad month. */
int rci_air_days_needed(int year, int month);

/* One day of one city: a daily-report sample (the 24H items, O3_1H and
 * O3_8H as the day's maxima). */
typedef struct rci_air_day {
    int year, month, day;
    rci_air_sample sample;
} rci_air_day;

typedef struct rci_air_stat_result {
    int n;              /* days with a value */
    rci_air_conc value; /* the statistic rounded per GB/T 8170 to an integer
                         * µg/m³ (CO: 0.1 mg/m³); 0 when n is 0 */
    int32_t index_x100; /* single index value/S_i in hundredths; 0 when n is 0 */
} rci_air_stat_result;

typedef struct rci_air_period {
    int year, month;      /* month 0: the whole year */
    int days_in_period;
    int days_needed;      /* rci_air_days_needed */
    int days_given;       /* records passed */
    int valid_days;       /* days whose daily AQI is published */
    int good_days;        /* valid days with AQI <= 100 */
    int good_rate_x10;    /* good_days / valid_days in tenths of a percent
                           * (half to even); -1 without valid days */
    int level_days[6];    /* valid days per level I..VI */
    int capped_days;      /* valid days with a capped IAQI */
    int enough;           /* every statistic has >= days_needed values:
                           * rankable (DESIGN §6) */
    rci_air_stat_result stat[RCI_AIR_STATS];
    int composite_ok;     /* every statistic has a value */
    int32_t composite_x100; /* 0 unless composite_ok */
    const char *method;   /* RCI_AIR_COMPOSITE_METHOD */
} rci_air_period;

/* Statistics of one city for month (1..12) or, with month 0, the whole year,
 * from its daily records in any order. Each day's AQI is computed by the
 * edition of its date (a year may hold both); the statistics use the day's
 * SO2, NO2, PM10, PM2.5, CO 24-hour means and O3 max 8-hour. Days not given
 * and items not present are missing. Returns 0, or -1 with why (and *out
 * untouched) for a bad period, a day outside it, a day given twice or a bad
 * value (the day is named). */
int rci_air_period_stats(int year, int month, const rci_air_day *days, size_t ndays,
                         rci_air_period *out, char *why, size_t whylen);

/* ---- ranking ------------------------------------------------------------- */

typedef struct rci_air_rank_in {
    int32_t composite_x100; /* rci_air_period.composite_x100 */
    int rankable;           /* enough && composite_ok */
} rci_air_rank_in;

/* Ranks n cities by composite index, ascending (lower is better). Indices
 * are compared at their 2 decimals, so equal hundredths tie and share a rank
 * (1, 2, 2, 4). rank[i] is city i's rank, 0 if it is not rankable. order
 * (if not NULL) receives the city numbers: the ranked ones by rank (ties in
 * input order), then the unranked ones in input order. Returns 0, or -1 if a needed
 * pointer is NULL. */
int rci_air_rank(const rci_air_rank_in *cities, size_t n, int *rank, size_t *order);

#endif
