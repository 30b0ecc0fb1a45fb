/* aqi.c: air quality by the national standards (see aqi.h). Pure code: no
 * I/O, no allocation, no global state.
 *
 * The tables below are typed from the standards, as summarised in the
 * project's air-quality reference (its section numbers are cited as
 * "reference §n"): HJ 633-2012 Table 1, Table 2 and Table A.1; HJ 633-2026
 * Table 3, Table 1 and Table A.1; GB 3095-2012 Table 1 Grade II for the
 * composite-index divisors; GB 3095 Table 4 for valid days.
 *
 * Everything is integer arithmetic on concentrations in thousandths of their
 * unit (rci_air_conc). The IAQI formula (HJ 633 eq. 1)
 *
 *   IAQI = IAQI_lo + (IAQI_hi - IAQI_lo) (C - BP_lo) / (BP_hi - BP_lo)
 *
 * is a fraction of integers once C and the breakpoints share that scale, so
 * "round up" (2012 §6.2, 2026 §4.2.6) is an exact ceiling division. Means,
 * percentiles and indices are fractions of integers too, rounded half to
 * even (GB/T 8170, 四舍六入五成双) by integer division and remainder.
 */
#include "air/aqi.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Write a formatted reason into why (if any) and return -1. */
static int fail(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ceil(num / den) for num >= 0, den > 0. */
static int64_t ceil_div(int64_t num, int64_t den)
{
    return (num + den - 1) / den;
}

/* num / den rounded half to even (GB/T 8170), for num >= 0, den > 0: the
 * remainder decides, so a tie is a tie only when it is one exactly. */
static int64_t round_half_even(int64_t num, int64_t den)
{
    int64_t q = num / den, r2 = (num % den) * 2;
    if (r2 > den || (r2 == den && (q & 1)))
        q++;
    return q;
}

/* ---- concentrations ------------------------------------------------------ */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int rci_air_conc_parse(const char *text, rci_air_conc *out, char *why, size_t whylen)
{
    if (!text || !*text)
        return fail(why, whylen, "concentration is empty");
    if (*text == '-')
        return fail(why, whylen, "concentration %.30s is negative", text);
    const char *p = text;
    int64_t whole = 0, frac = 0;
    int decimals = 0;
    for (; is_digit(*p); p++) {
        whole = whole * 10 + (*p - '0');
        if (whole > RCI_AIR_UG_MAX) /* stop before it can overflow */
            return fail(why, whylen, "concentration %.30s is above the plausible maximum %d",
                        text, RCI_AIR_UG_MAX);
    }
    if (p == text)
        return fail(why, whylen, "concentration \"%.30s\" is not a plain decimal (like 35 or 0.8)",
                    text);
    if (*p == '.') {
        const char *start = ++p;
        for (; is_digit(*p); p++) {
            /* Decimals past the third are accepted only as zeros: "35.4000"
             * is 35.4, but "35.4567" would need rounding we refuse to guess. */
            if (decimals == 3) {
                if (*p != '0')
                    return fail(why, whylen, "concentration %.30s has more than 3 decimals", text);
                continue;
            }
            frac = frac * 10 + (*p - '0');
            decimals++;
        }
        if (p == start)
            return fail(why, whylen,
                        "concentration \"%.30s\" is not a plain decimal (like 35 or 0.8)", text);
    }
    if (*p != '\0')
        return fail(why, whylen, "concentration \"%.30s\" is not a plain decimal (like 35 or 0.8)",
                    text);
    for (; decimals < 3; decimals++)
        frac *= 10;
    rci_air_conc c = whole * RCI_AIR_CONC_SCALE + frac;
    if (c > (rci_air_conc)RCI_AIR_UG_MAX * RCI_AIR_CONC_SCALE)
        return fail(why, whylen, "concentration %.30s is above the plausible maximum %d", text,
                    RCI_AIR_UG_MAX);
    if (out)
        *out = c;
    return 0;
}

int rci_air_conc_from_double(double v, rci_air_conc *out, char *why, size_t whylen)
{
    if (isnan(v) || isinf(v))
        return fail(why, whylen, "concentration is not a finite number");
    if (v < 0)
        return fail(why, whylen, "concentration %g is negative", v);
    if (v > RCI_AIR_UG_MAX)
        return fail(why, whylen, "concentration %g is above the plausible maximum %d", v,
                    RCI_AIR_UG_MAX);
    /* v * 1000 <= 1e8, where a double's error (from v's own representation
     * and the product) stays below 1e-7; a real fourth decimal moves it by
     * at least 0.1 - 1e-7. */
    double scaled = v * RCI_AIR_CONC_SCALE;
    long long n = llround(scaled);
    if (fabs(scaled - (double)n) > 1e-6)
        return fail(why, whylen, "concentration %.10g has more than 3 decimals", v);
    if (out)
        *out = n;
    return 0;
}

int rci_air_conc_format(rci_air_conc c, char *buf, size_t buflen)
{
    /* Through unsigned, so that even INT64_MIN has a magnitude. */
    uint64_t mag = c < 0 ? 0 - (uint64_t)c : (uint64_t)c;
    unsigned frac = (unsigned)(mag % RCI_AIR_CONC_SCALE);
    int decimals = 3;
    while (decimals > 0 && frac % 10 == 0) {
        frac /= 10;
        decimals--;
    }
    int n;
    if (decimals)
        n = snprintf(buf, buflen, "%s%llu.%0*u", c < 0 ? "-" : "",
                     (unsigned long long)(mag / RCI_AIR_CONC_SCALE), decimals, frac);
    else
        n = snprintf(buf, buflen, "%s%llu", c < 0 ? "-" : "",
                     (unsigned long long)(mag / RCI_AIR_CONC_SCALE));
    if (n < 0 || (size_t)n >= buflen) {
        if (buf && buflen)
            buf[0] = '\0';
        return -1;
    }
    return n;
}

/* ---- monitored items ----------------------------------------------------- */

static const struct item_info {
    const char *name;
    const char *code; /* as a primary pollutant */
    int mg;           /* CO: mg/m³; the rest µg/m³ */
} items[RCI_AIR_ITEMS] = {
    [RCI_AIR_SO2_24H] = {"SO2 24-hour mean", "SO2", 0},
    [RCI_AIR_SO2_1H] = {"SO2 1-hour mean", "SO2", 0},
    [RCI_AIR_NO2_24H] = {"NO2 24-hour mean", "NO2", 0},
    [RCI_AIR_NO2_1H] = {"NO2 1-hour mean", "NO2", 0},
    [RCI_AIR_PM10_24H] = {"PM10 24-hour mean", "PM10", 0},
    [RCI_AIR_PM10_1H] = {"PM10 1-hour mean", "PM10", 0},
    [RCI_AIR_CO_24H] = {"CO 24-hour mean", "CO", 1},
    [RCI_AIR_CO_1H] = {"CO 1-hour mean", "CO", 1},
    [RCI_AIR_O3_1H] = {"O3 1-hour mean", "O3_1h", 0},
    [RCI_AIR_O3_8H] = {"O3 8-hour mean", "O3_8h", 0},
    [RCI_AIR_PM25_24H] = {"PM2.5 24-hour mean", "PM2.5", 0},
    [RCI_AIR_PM25_1H] = {"PM2.5 1-hour mean", "PM2.5", 0},
};

static int item_known(rci_air_item it)
{
    return (int)it >= 0 && it < RCI_AIR_ITEMS;
}

const char *rci_air_item_name(rci_air_item it)
{
    return item_known(it) ? items[it].name : NULL;
}

const char *rci_air_item_code(rci_air_item it)
{
    return item_known(it) ? items[it].code : NULL;
}

const char *rci_air_item_unit(rci_air_item it)
{
    if (!item_known(it))
        return NULL;
    return items[it].mg ? "mg/m³" : "µg/m³";
}

void rci_air_sample_set(rci_air_sample *s, rci_air_item it, rci_air_conc c)
{
    if (!s || !item_known(it))
        return;
    s->present |= 1u << it;
    s->conc[it] = c;
}

/* Refuse what is not air: a negative value (only a hand-built one can be)
 * or one past the plausible maximum of the item's unit. */
static int check_conc(rci_air_item it, rci_air_conc c, char *why, size_t whylen)
{
    int64_t max = (int64_t)(items[it].mg ? RCI_AIR_MG_MAX : RCI_AIR_UG_MAX) * RCI_AIR_CONC_SCALE;
    char t[RCI_AIR_CONC_TEXT_MAX];
    if (c < 0) {
        rci_air_conc_format(c, t, sizeof t);
        return fail(why, whylen, "%s: concentration %s is negative", items[it].name, t);
    }
    if (c > max) {
        rci_air_conc_format(c, t, sizeof t);
        return fail(why, whylen, "%s: %s %s is above the plausible maximum %d", items[it].name, t,
                    rci_air_item_unit(it), (int)(max / RCI_AIR_CONC_SCALE));
    }
    return 0;
}

/* ---- breakpoint tables --------------------------------------------------- */

/* The IAQI of each breakpoint row (HJ 633-2012 Table 1, HJ 633-2026 Table 3,
 * first column). */
static const int iaqi_row[8] = {0, 50, 100, 150, 200, 300, 400, 500};

/* One column of concentration limits, in the table's unit, for the first n
 * rows. A column that stops before IAQI 500 (SO2 1-hour at 200, O3 8-hour
 * at 300) has a special rule above its last value (notes 2, 3 / b, c). */
typedef struct column {
    int n;
    int32_t bp[8];
} column;

/* Columns common to both editions (reference §1, §2: only the PM10 and PM2.5
 * cells at IAQI 100 differ). */
static const column so2_24h = {8, {0, 50, 150, 475, 800, 1600, 2100, 2620}};
static const column so2_1h = {5, {0, 150, 500, 650, 800}};
static const column no2_24h = {8, {0, 40, 80, 180, 280, 565, 750, 940}};
static const column no2_1h = {8, {0, 100, 200, 700, 1200, 2340, 3090, 3840}};
static const column co_24h = {8, {0, 2, 4, 14, 24, 36, 48, 60}};      /* mg/m³ */
static const column co_1h = {8, {0, 5, 10, 35, 60, 90, 120, 150}};    /* mg/m³ */
static const column o3_1h = {8, {0, 160, 200, 300, 400, 800, 1000, 1200}};
static const column o3_8h = {6, {0, 100, 160, 215, 265, 800}};
/* HJ 633-2012 Table 1. */
static const column pm10_2012 = {8, {0, 50, 150, 250, 350, 420, 500, 600}};
static const column pm25_2012 = {8, {0, 35, 75, 115, 150, 250, 350, 500}};
/* HJ 633-2026 Table 3: PM10 120 and PM2.5 60 at IAQI 100. */
static const column pm10_2026 = {8, {0, 50, 120, 250, 350, 420, 500, 600}};
static const column pm25_2026 = {8, {0, 35, 60, 115, 150, 250, 350, 500}};

/* The column each item is interpolated on, per edition; NULL where the
 * edition has none. HJ 633-2012 has no 1-hour PM columns; HJ 633-2026 §4.2.3
 * puts 1-hour PM values on the daily columns. */
static const column *const columns[3][RCI_AIR_ITEMS] = {
    [RCI_AQI_HJ633_2012] =
        {
            [RCI_AIR_SO2_24H] = &so2_24h, [RCI_AIR_SO2_1H] = &so2_1h,
            [RCI_AIR_NO2_24H] = &no2_24h, [RCI_AIR_NO2_1H] = &no2_1h,
            [RCI_AIR_PM10_24H] = &pm10_2012, [RCI_AIR_PM10_1H] = NULL,
            [RCI_AIR_CO_24H] = &co_24h, [RCI_AIR_CO_1H] = &co_1h,
            [RCI_AIR_O3_1H] = &o3_1h, [RCI_AIR_O3_8H] = &o3_8h,
            [RCI_AIR_PM25_24H] = &pm25_2012, [RCI_AIR_PM25_1H] = NULL,
        },
    [RCI_AQI_HJ633_2026] =
        {
            [RCI_AIR_SO2_24H] = &so2_24h, [RCI_AIR_SO2_1H] = &so2_1h,
            [RCI_AIR_NO2_24H] = &no2_24h, [RCI_AIR_NO2_1H] = &no2_1h,
            [RCI_AIR_PM10_24H] = &pm10_2026, [RCI_AIR_PM10_1H] = &pm10_2026,
            [RCI_AIR_CO_24H] = &co_24h, [RCI_AIR_CO_1H] = &co_1h,
            [RCI_AIR_O3_1H] = &o3_1h, [RCI_AIR_O3_8H] = &o3_8h,
            [RCI_AIR_PM25_24H] = &pm25_2026, [RCI_AIR_PM25_1H] = &pm25_2026,
        },
};

/* ---- editions ------------------------------------------------------------ */

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int date_valid(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* 0-based day of the year of a valid date. */
static int day_of_year(int y, int m, int d)
{
    int n = d - 1;
    for (int i = 1; i < m; i++)
        n += days_in_month(y, i);
    return n;
}

static int edition_known(rci_aqi_edition ed)
{
    return ed == RCI_AQI_HJ633_2012 || ed == RCI_AQI_HJ633_2026;
}

rci_aqi_edition rci_aqi_edition_of(int year, int month, int day)
{
    if (!date_valid(year, month, day))
        return RCI_AQI_EDITION_NONE;
    /* HJ 633-2026 is in force from 2026-03-01 (reference §0). */
    int on_or_after = year != 2026 ? year > 2026 : month >= 3;
    return on_or_after ? RCI_AQI_HJ633_2026 : RCI_AQI_HJ633_2012;
}

const char *rci_aqi_edition_name(rci_aqi_edition ed)
{
    switch (ed) {
    case RCI_AQI_HJ633_2012:
        return "HJ 633-2012";
    case RCI_AQI_HJ633_2026:
        return "HJ 633-2026";
    default:
        return NULL;
    }
}

/* ---- IAQI ---------------------------------------------------------------- */

/* c rounded per GB/T 8170 (half to even) to the reporting precision of
 * HJ 633-2026 §4.2.2: an integer µg/m³, or 0.1 mg/m³ for CO. */
static rci_air_conc round_report(rci_air_item it, rci_air_conc c)
{
    int64_t step = items[it].mg ? RCI_AIR_CONC_SCALE / 10 : RCI_AIR_CONC_SCALE;
    return round_half_even(c, step) * step;
}

/* Above a column's last breakpoint. A full column caps at 500 (DESIGN §6;
 * the standards define nothing there, reference §3). A short one (SO2 1-hour,
 * O3 8-hour, both ending at 800 µg/m³) follows its note: 2026 counts the
 * top IAQI (200, 300); 2012 computes none and hands over to another item. */
static void above_top(rci_aqi_edition ed, const column *col, rci_aqi_iaqi *out)
{
    int top = iaqi_row[col->n - 1];
    if (top == 500) {
        out->status = RCI_AQI_OK;
        out->iaqi = 500;
        out->flags = RCI_AQI_CAPPED;
    } else if (ed == RCI_AQI_HJ633_2026) {
        out->status = RCI_AQI_OK;
        out->iaqi = top;
        out->flags = RCI_AQI_FIXED;
    } else {
        out->status = RCI_AQI_REPLACED;
    }
}

/* HJ 633 eq. (1), rounded up. Rows are chosen with BP_lo < c <= BP_hi
 * (c = 0 takes the first row); the formula agrees at the shared ends, so
 * the choice does not matter (reference §3). */
static void interpolate(rci_aqi_edition ed, const column *col, rci_air_conc c, rci_aqi_iaqi *out)
{
    memset(out, 0, sizeof *out);
    if (c > (int64_t)col->bp[col->n - 1] * RCI_AIR_CONC_SCALE) {
        above_top(ed, col, out);
        return;
    }
    int k = 1;
    while (c > (int64_t)col->bp[k] * RCI_AIR_CONC_SCALE)
        k++;
    int64_t lo = (int64_t)col->bp[k - 1] * RCI_AIR_CONC_SCALE;
    int64_t hi = (int64_t)col->bp[k] * RCI_AIR_CONC_SCALE;
    int64_t rise = iaqi_row[k] - iaqi_row[k - 1];
    out->status = RCI_AQI_OK;
    out->iaqi = iaqi_row[k - 1] + (int)ceil_div(rise * (c - lo), hi - lo);
}

int rci_aqi_iaqi_of(rci_aqi_edition ed, rci_air_item it, rci_air_conc c, rci_aqi_iaqi *out,
                    char *why, size_t whylen)
{
    if (!edition_known(ed))
        return fail(why, whylen, "unknown AQI edition %d", (int)ed);
    if (!item_known(it))
        return fail(why, whylen, "unknown air quality item %d", (int)it);
    if (check_conc(it, c, why, whylen))
        return -1;
    const column *col = columns[ed][it];
    if (!col)
        return fail(why, whylen,
                    "%s: %s has no IAQI breakpoints for it (its real-time report uses the "
                    "24-hour moving mean)",
                    items[it].name, rci_aqi_edition_name(ed));
    if (ed == RCI_AQI_HJ633_2026)
        c = round_report(it, c);
    rci_aqi_iaqi r;
    interpolate(ed, col, c, &r);
    if (out)
        *out = r;
    return 0;
}

/* ---- categories ---------------------------------------------------------- */

/* HJ 633-2012 Table 2 and Table A.1 (RGB); HJ 633-2026 Table 1 and Table A.1
 * keep the levels, boundaries and colours (reference §5). */
static const rci_aqi_category categories[6] = {
    {1, 0, 50, "一级", "I", "优", "Excellent", "绿色", "green", "#00E400", 0, 228, 0},
    {2, 51, 100, "二级", "II", "良", "Good", "黄色", "yellow", "#FFFF00", 255, 255, 0},
    {3, 101, 150, "三级", "III", "轻度污染", "Lightly polluted", "橙色", "orange", "#FF7E00", 255,
     126, 0},
    {4, 151, 200, "四级", "IV", "中度污染", "Moderately polluted", "红色", "red", "#FF0000", 255, 0,
     0},
    {5, 201, 300, "五级", "V", "重度污染", "Heavily polluted", "紫色", "purple", "#99004C", 153, 0,
     76},
    {6, 301, 500, "六级", "VI", "严重污染", "Severely polluted", "褐红色", "maroon", "#7E0023", 126,
     0, 35},
};

const rci_aqi_category *rci_aqi_category_of(int aqi)
{
    for (int i = 0; i < 6; i++)
        if (aqi >= categories[i].aqi_min && aqi <= categories[i].aqi_max)
            return &categories[i];
    return NULL;
}

/* ---- AQI ----------------------------------------------------------------- */

#define BIT(it) (1u << (it))

/* The indicators of each report (see rci_aqi_compute in aqi.h). */
static const uint32_t indicators[3][2] = {
    [RCI_AQI_HJ633_2012] =
        {
            [RCI_AQI_DAILY] = BIT(RCI_AIR_SO2_24H) | BIT(RCI_AIR_NO2_24H) | BIT(RCI_AIR_PM10_24H) |
                              BIT(RCI_AIR_CO_24H) | BIT(RCI_AIR_O3_1H) | BIT(RCI_AIR_O3_8H) |
                              BIT(RCI_AIR_PM25_24H),
            [RCI_AQI_HOURLY] = BIT(RCI_AIR_SO2_1H) | BIT(RCI_AIR_NO2_1H) | BIT(RCI_AIR_PM10_24H) |
                               BIT(RCI_AIR_CO_1H) | BIT(RCI_AIR_O3_1H) | BIT(RCI_AIR_O3_8H) |
                               BIT(RCI_AIR_PM25_24H),
        },
    [RCI_AQI_HJ633_2026] =
        {
            [RCI_AQI_DAILY] = BIT(RCI_AIR_SO2_24H) | BIT(RCI_AIR_NO2_24H) | BIT(RCI_AIR_PM10_24H) |
                              BIT(RCI_AIR_CO_24H) | BIT(RCI_AIR_O3_8H) | BIT(RCI_AIR_PM25_24H),
            [RCI_AQI_HOURLY] = BIT(RCI_AIR_SO2_1H) | BIT(RCI_AIR_NO2_1H) | BIT(RCI_AIR_PM10_1H) |
                               BIT(RCI_AIR_CO_1H) | BIT(RCI_AIR_O3_1H) | BIT(RCI_AIR_PM25_1H),
        },
};

/* HJ 633-2012 notes 2 and 3: where a REPLACED item's IAQI comes from. */
static rci_air_item replacement_of(rci_air_item it)
{
    return it == RCI_AIR_SO2_1H ? RCI_AIR_SO2_24H : RCI_AIR_O3_1H;
}

/* Evaluate one indicator of s into out (its value was checked already). */
static void evaluate(rci_aqi_edition ed, const rci_air_sample *s, rci_air_item it,
                     rci_aqi_result *out)
{
    rci_aqi_iaqi *r = &out->item[it];
    memset(r, 0, sizeof *r);
    if (!(s->present & BIT(it)))
        r->status = RCI_AQI_MISSING;
    else
        rci_aqi_iaqi_of(ed, it, s->conc[it], r, NULL, 0);
}

/* AQI = max IAQI (eq. 2); primary pollutants (2012 §4.4.2, 2026 §4.3.1);
 * whether it is published (2026 §5.3.1). */
static void summarise(rci_aqi_result *out)
{
    out->aqi = -1;
    out->complete = 1;
    for (int it = 0; it < RCI_AIR_ITEMS; it++) {
        const rci_aqi_iaqi *r = &out->item[it];
        if (r->status == RCI_AQI_MISSING)
            out->complete = 0;
        if (r->status != RCI_AQI_OK)
            continue;
        if (r->iaqi > out->aqi)
            out->aqi = r->iaqi;
        if (r->flags & RCI_AQI_CAPPED)
            out->capped = 1;
    }
    /* A missing pollutant can only raise the AQI, so an AQI above 100 from
     * the others stands; at 100 or below it might hide a worse one. */
    out->published = out->aqi >= 0 && (out->complete || out->aqi > 100);
    out->category = rci_aqi_category_of(out->aqi);
    if (out->aqi <= 50)
        return;
    for (int it = 0; it < RCI_AIR_ITEMS; it++)
        if (out->item[it].status == RCI_AQI_OK && out->item[it].iaqi == out->aqi)
            out->primary |= BIT(it);
    /* O3 is one pollutant: name it once, by its 8-hour figure (the one its
     * air quality standard judges days by) when both tie. */
    if ((out->primary & BIT(RCI_AIR_O3_8H)) && (out->primary & BIT(RCI_AIR_O3_1H)))
        out->primary &= ~BIT(RCI_AIR_O3_1H);
}

int rci_aqi_compute(rci_aqi_edition ed, rci_aqi_report rep, const rci_air_sample *s,
                    rci_aqi_result *out, char *why, size_t whylen)
{
    if (!edition_known(ed))
        return fail(why, whylen, "unknown AQI edition %d", (int)ed);
    if (rep != RCI_AQI_DAILY && rep != RCI_AQI_HOURLY)
        return fail(why, whylen, "unknown AQI report %d", (int)rep);
    if (!s || !out)
        return fail(why, whylen, "no sample or no result");
    for (int it = 0; it < RCI_AIR_ITEMS; it++)
        if ((s->present & BIT(it)) && check_conc((rci_air_item)it, s->conc[it], why, whylen))
            return -1;

    memset(out, 0, sizeof *out);
    out->edition = ed;
    out->report = rep;
    uint32_t want = indicators[ed][rep];
    for (int it = 0; it < RCI_AIR_ITEMS; it++)
        if (want & BIT(it))
            evaluate(ed, s, (rci_air_item)it, out);
    /* A REPLACED item's pollutant is reported from its fallback, which then
     * is an indicator too (SO2_24H in the 2012 hourly report). */
    for (int it = 0; it < RCI_AIR_ITEMS; it++) {
        if (out->item[it].status != RCI_AQI_REPLACED)
            continue;
        rci_air_item fb = replacement_of((rci_air_item)it);
        if (out->item[fb].status == RCI_AQI_UNUSED)
            evaluate(ed, s, fb, out);
    }
    summarise(out);
    return 0;
}

int rci_aqi_primary_text(const rci_aqi_result *r, char *buf, size_t buflen)
{
    size_t len = 0;
    if (!buf || !buflen)
        return -1;
    buf[0] = '\0';
    for (int it = 0; r && it < RCI_AIR_ITEMS; it++) {
        if (!(r->primary & BIT(it)))
            continue;
        int n = snprintf(buf + len, buflen - len, "%s%s", len ? "," : "", items[it].code);
        if (n < 0 || (size_t)n >= buflen - len) {
            buf[0] = '\0';
            return -1;
        }
        len += (size_t)n;
    }
    return (int)len;
}

/* ---- statistics ---------------------------------------------------------- */

static const struct stat_info {
    const char *code;
    rci_air_item item;  /* the daily item it is computed from */
    int percentile;     /* 0 for the mean */
    int64_t divisor;    /* S_i in thousandths of the unit */
} stats[RCI_AIR_STATS] = {
    /* Reference §7.1: GB 3095-2012 Table 1 Grade II, annual limits for the
     * means, 24-hour CO and daily max 8-hour O3 for the percentiles. */
    [RCI_AIR_STAT_SO2] = {"SO2", RCI_AIR_SO2_24H, 0, 60000},
    [RCI_AIR_STAT_NO2] = {"NO2", RCI_AIR_NO2_24H, 0, 40000},
    [RCI_AIR_STAT_PM10] = {"PM10", RCI_AIR_PM10_24H, 0, 70000},
    [RCI_AIR_STAT_PM25] = {"PM2.5", RCI_AIR_PM25_24H, 0, 35000},
    [RCI_AIR_STAT_CO] = {"CO", RCI_AIR_CO_24H, 95, 4000},
    [RCI_AIR_STAT_O3] = {"O3_8h", RCI_AIR_O3_8H, 90, 160000},
};
/* The least common multiple of the divisors, so that the sum of the six
 * fractions is one fraction of integers. */
#define DIVISOR_LCM 3360000

const char *rci_air_stat_code(rci_air_stat st)
{
    return (int)st >= 0 && st < RCI_AIR_STATS ? stats[st].code : NULL;
}

int rci_air_percentile(const rci_air_conc *sorted, size_t n, int p, int64_t *x100)
{
    if (!sorted || !x100 || n == 0 || p < 0 || p > 100)
        return -1;
    for (size_t i = 1; i < n; i++)
        if (sorted[i] < sorted[i - 1])
            return -1;
    /* With k = 1 + (n-1)p/100: t = 100(k - 1), so X(s) is sorted[t / 100]
     * (0-based) and 100(k - s) is t % 100, both exact. */
    int64_t t = (int64_t)(n - 1) * p;
    size_t s = (size_t)(t / 100);
    int64_t frac = t % 100;
    rci_air_conc lo = sorted[s], hi = frac ? sorted[s + 1] : lo;
    *x100 = lo * 100 + (hi - lo) * frac;
    return 0;
}

int rci_air_composite(const rci_air_conc value[RCI_AIR_STATS], int32_t index_x100[RCI_AIR_STATS],
                      int32_t *composite_x100)
{
    if (!value || !index_x100 || !composite_x100)
        return -1;
    int64_t sum = 0; /* the composite index times DIVISOR_LCM */
    for (int i = 0; i < RCI_AIR_STATS; i++)
        if (value[i] < 0 || value[i] > (int64_t)RCI_AIR_UG_MAX * RCI_AIR_CONC_SCALE)
            return -1;
    for (int i = 0; i < RCI_AIR_STATS; i++) {
        index_x100[i] = (int32_t)round_half_even(value[i] * 100, stats[i].divisor);
        sum += value[i] * (DIVISOR_LCM / stats[i].divisor);
    }
    *composite_x100 = (int32_t)round_half_even(sum * 100, DIVISOR_LCM);
    return 0;
}

int rci_air_days_needed(int year, int month)
{
    /* GB 3095 Table 4: 324 daily means a year, 27 a month, 25 in February. */
    if (month == 0)
        return 324;
    if (month < 1 || month > 12)
        return -1;
    (void)year;
    return month == 2 ? 25 : 27;
}

/* Values gathered for the statistics, on the stack: a year has at most 366
 * days, and each day is given once. */
typedef struct gather {
    int64_t sum[RCI_AIR_STATS];
    rci_air_conc co[366], o3[366];
} gather;

/* Count one day's AQI into the period. */
static void count_day(rci_air_period *out, const rci_aqi_result *r)
{
    if (!r->published)
        return;
    out->valid_days++;
    if (r->aqi <= 100)
        out->good_days++;
    out->level_days[r->category->level - 1]++;
    if (r->capped)
        out->capped_days++;
}

/* Add one day's daily values to the statistics. */
static void gather_day(rci_air_period *out, gather *g, const rci_air_sample *s)
{
    for (int i = 0; i < RCI_AIR_STATS; i++) {
        rci_air_item it = stats[i].item;
        if (!(s->present & BIT(it)))
            continue;
        int n = out->stat[i].n++;
        if (i == RCI_AIR_STAT_CO)
            g->co[n] = s->conc[it];
        else if (i == RCI_AIR_STAT_O3)
            g->o3[n] = s->conc[it];
        else
            g->sum[i] += s->conc[it];
    }
}

/* Insertion sort: at most 366 values, and no allocation. */
static void sort_conc(rci_air_conc *v, int n)
{
    for (int i = 1; i < n; i++) {
        rci_air_conc x = v[i];
        int j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Means and percentiles, rounded per GB/T 8170 to the reporting precision
 * of HJ 633-2026 §4.2.2 (integer µg/m³, 0.1 mg/m³); then the indices. */
static void finish_stats(rci_air_period *out, gather *g)
{
    rci_air_conc value[RCI_AIR_STATS];
    int32_t index[RCI_AIR_STATS], composite;
    out->enough = 1;
    out->composite_ok = 1;
    for (int i = 0; i < RCI_AIR_STATS; i++) {
        rci_air_stat_result *st = &out->stat[i];
        int64_t step = items[stats[i].item].mg ? RCI_AIR_CONC_SCALE / 10 : RCI_AIR_CONC_SCALE;
        if (st->n < out->days_needed)
            out->enough = 0;
        if (st->n == 0) {
            out->composite_ok = 0;
            value[i] = 0;
            continue;
        }
        if (stats[i].percentile) {
            rci_air_conc *v = i == RCI_AIR_STAT_CO ? g->co : g->o3;
            int64_t x100;
            sort_conc(v, st->n);
            rci_air_percentile(v, (size_t)st->n, stats[i].percentile, &x100);
            st->value = round_half_even(x100, 100 * step) * step;
        } else {
            st->value = round_half_even(g->sum[i], st->n * step) * step;
        }
        value[i] = st->value;
    }
    rci_air_composite(value, index, &composite);
    for (int i = 0; i < RCI_AIR_STATS; i++)
        out->stat[i].index_x100 = out->stat[i].n ? index[i] : 0;
    out->composite_x100 = out->composite_ok ? composite : 0;
}

int rci_air_period_stats(int year, int month, const rci_air_day *days, size_t ndays,
                         rci_air_period *out, char *why, size_t whylen)
{
    if (!out)
        return fail(why, whylen, "no result");
    if (year < 1 || year > 9999 || month < 0 || month > 12)
        return fail(why, whylen, "period %04d-%02d is not a month or a year", year, month);
    if (ndays && !days)
        return fail(why, whylen, "no days");
    if (ndays > 366)
        return fail(why, whylen, "%zu days given; a year has at most 366", ndays);

    /* Built here and copied out only on success: nothing half-written. */
    rci_air_period p;
    memset(&p, 0, sizeof p);
    p.year = year;
    p.month = month;
    p.days_in_period = month ? days_in_month(year, month) : 365 + is_leap(year);
    p.days_needed = rci_air_days_needed(year, month);
    p.days_given = (int)ndays;
    p.method = RCI_AIR_COMPOSITE_METHOD;

    unsigned char seen[366] = {0};
    gather g;
    memset(&g, 0, sizeof g);
    for (size_t i = 0; i < ndays; i++) {
        const rci_air_day *d = &days[i];
        char inner[200];
        rci_aqi_result r;
        if (!date_valid(d->year, d->month, d->day))
            return fail(why, whylen, "%04d-%02d-%02d is not a date", d->year, d->month, d->day);
        if (d->year != year || (month && d->month != month))
            return fail(why, whylen, "%04d-%02d-%02d is outside the period", d->year, d->month,
                        d->day);
        int doy = day_of_year(d->year, d->month, d->day);
        if (seen[doy])
            return fail(why, whylen, "%04d-%02d-%02d is given twice", d->year, d->month, d->day);
        seen[doy] = 1;
        if (rci_aqi_compute(rci_aqi_edition_of(d->year, d->month, d->day), RCI_AQI_DAILY,
                            &d->sample, &r, inner, sizeof inner))
            return fail(why, whylen, "%04d-%02d-%02d: %s", d->year, d->month, d->day, inner);
        count_day(&p, &r);
        gather_day(&p, &g, &d->sample);
    }
    if (p.valid_days)
        p.good_rate_x10 = (int)round_half_even((int64_t)p.good_days * 1000, p.valid_days);
    else
        p.good_rate_x10 = -1;
    finish_stats(&p, &g);
    *out = p;
    return 0;
}

/* ---- ranking ------------------------------------------------------------- */

int rci_air_rank(const rci_air_rank_in *cities, size_t n, int *rank, size_t *order)
{
    if (n && (!cities || !rank))
        return -1;
    /* Competition ranking: 1 + the number of rankable cities strictly
     * better; equal hundredths are equal indices (ties share a rank). */
    for (size_t i = 0; i < n; i++) {
        rank[i] = 0;
        if (!cities[i].rankable)
            continue;
        int r = 1;
        for (size_t j = 0; j < n; j++)
            if (cities[j].rankable && cities[j].composite_x100 < cities[i].composite_x100)
                r++;
        rank[i] = r;
    }
    if (!order)
        return 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) /* ranked ones, stable insertion by rank */
        if (rank[i]) {
            size_t j = m++;
            for (; j > 0 && rank[order[j - 1]] > rank[i]; j--)
                order[j] = order[j - 1];
            order[j] = i;
        }
    for (size_t i = 0; i < n; i++)
        if (!rank[i])
            order[m++] = i;
    return 0;
}
