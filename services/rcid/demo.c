/* demo.c: `rcid demo` — the demo data (DESIGN §6 "Demo data", issue 3).
 *
 * What it writes: for the ten cities of the 深莞惠+汕尾、河源 and
 * 广佛肇+清远、云浮 circles, every indicator of the catalogue that has a
 * model below (the starter catalogue of migrations/0002_registry.sql) and a
 * monthly, quarterly, half-yearly or yearly frequency, at that frequency,
 * for every period ending inside a window of --months months (36) ending
 * with --until (2026-10): 2023-11..2026-10 by default, which crosses
 * 2026-03-01, the day HJ 633-2026 and GB 3095-2026 came into force.
 *
 * As reported: each value comes from the agency of its city and domain
 * (sz-eeb for Shenzhen's air, hz-transport for Huizhou's buses, …; read
 * from agencies/agency_domains), in one batch per agency and period. A batch
 * is committed on one of the working days up to the due date (3 working days
 * after the period, services/indicators/calendar.h over the calendar_days
 * rows of the database) — or, for about 8 % of them, 1 to 10 working days
 * late. About 5 % of the cells are corrected later by a second batch of the
 * same agency (revision 2, reason "数据订正 / data correction …"), within 30
 * days of the due date, before the period locks itself; about 2 %
 * are never reported, a few agencies skipping a whole period. Nothing is
 * dated after the due date of the last month plus 10 working days.
 *
 * Deterministic: every random choice is a splitmix64 draw seeded with a
 * hash of what it is for (indicator code, region, period, purpose), and the
 * arithmetic avoids libm functions whose last bit could differ between
 * machines, so the same window gives the same rows everywhere.
 *
 * Plausible: the figures follow the seeds and the reference notes — Huizhou
 * at about 96.7 % good-air days a year (seed 000, 2016), haze dips in
 * winter and spring and ozone in autumn, a stricter good-day count after
 * 2026-03-01, PM2.5 highest in winter, 19–22 Huizhou–Shenzhen bus lines
 * growing step by step, 34 planned express channels and 21 border roads for
 * Huizhou, Heyuan's 226 supervised tasks with their traffic lights (seed
 * 003), year-to-date economic figures, census-anchored populations
 * (reference §2.2). Each value is rounded to its indicator's decimals and
 * kept inside its range, and checked with rci_decimal_check before writing.
 *
 * Daily air data: behind each city's monthly air.good_days_rate and
 * air.pm25_mean, one record a day whose figures by the AQI module are
 * exactly those values, written through rci_air_write as PushAirDays writes
 * them (demo_air.c).
 *
 * Water: for every river section, each month's sample of its monitor
 * agency and, most months, the other city's joint sample, written through
 * rci_water_write as PushSamples writes them, with the water.off_target and
 * water.joint_discrepancy alerts they raise (demo_water.c).
 *
 * How: one transaction with blocking libpq — batches, cells, revisions
 * through two COPY FROM STDIN into temporary tables and three INSERT …
 * SELECT, plus one audit row (rci_audit, action "demo.load"). The batches
 * carry their past committed_at, which is why this cannot go through
 * PushValues. Demo batches are those with no token and a request id
 * starting "demo/"; when there are any, the command says so and writes
 * nothing, unless --replace, which first deletes them and what they wrote
 * (and only that: a later agency revision of a demo cell stays), the demo's
 * air days, and its water samples with the alerts they raised.
 */
#include "rcid/demo.h"

#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "indicators/calendar.h"
#include "indicators/period.h"
#include "rcid/demo_air.h"
#include "rcid/demo_water.h"
#include "rcid/localdb.h"

#define EXIT_DONE 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define PARSED_HELP (-1)

#define PROG "rcid demo"
#define DEFAULT_UNTIL "2026-10"
#define DEFAULT_MONTHS 36
#define MAX_MONTHS 240
#define LATE_MAX_WD 10            /* late reports: 1..10 working days after the due date */
/* Corrections come on or before the 30th day after the due date: the day
 * after that, a period locks itself (auto_lock_days' default, migration
 * 0007) and a change needs an admin override. */
#define FIX_WITHIN_DAYS 30
#define CST_OFFSET (8 * 3600)
#define REQUEST_PREFIX "demo/"

static void usage(FILE *out)
{
    fputs("Usage: rcid demo [--until YYYY-MM] [--months N] [--replace] [DATABASE]\n"
          "\n"
          "Load the demo data: the starter catalogue's monthly, quarterly, half-yearly\n"
          "and yearly indicators for the ten cities of the 深莞惠+汕尾、河源 and\n"
          "广佛肇+清远、云浮 circles, for every period ending in the N months up to and\n"
          "including YYYY-MM, as their agencies would have pushed them: one batch per\n"
          "agency and period, most on time, some late, some corrected later, a few\n"
          "missing; and behind the monthly air figures, one air-quality record a day\n"
          "per city, written the way PushAirDays writes them; and for every river\n"
          "section, each month's sample of its monitor agency and most months a joint\n"
          "sample of the other city, written the way PushSamples writes them, so a few\n"
          "off-target months and joint discrepancies raise their alerts. The same\n"
          "options give the same rows on every machine.\n"
          "\n"
          "  --until YYYY-MM  the last month of the window (default " DEFAULT_UNTIL ")\n"
          "  --months N       its length in months, 1..240 (default 36)\n"
          "  --replace        delete the demo data already loaded (only what the demo\n"
          "                   batches wrote) and load it again; without it, a database\n"
          "                   that has demo data is left as it is\n"
          "\n"
          "DATABASE (as for rcid itself):\n"
          "  --database CONNINFO  a PostgreSQL connection string or URL (also\n"
          "                       RCI_DATABASE_URL)\n"
          "  --data-dir DIR       the embedded cluster's directory (default: rcid's); if\n"
          "                       an rcid is running on it, its socket is used, else the\n"
          "                       cluster is started (and created) for the command\n"
          "  --config FILE        read `database` / `data-dir` from rcid's config file\n"
          "\n"
          "A summary goes to stderr; one audit row (action demo.load) is written.\n"
          "Exit status: 0 loaded or already there, 1 failed, 2 usage error.\n",
          out);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'rcid demo --help'.\n", stderr);
    return EXIT_USAGE;
}

/* ---- arguments ------------------------------------------------------------- */

typedef struct demo_args {
    const char *until, *months;
    int replace;
    const char *database, *data_dir, *config;
} demo_args;

static int parse_args(int argc, char **argv, demo_args *d)
{
    memset(d, 0, sizeof *d);
    const struct {
        const char *name;
        const char **dst;
    } valued[] = {
        {"until", &d->until},       {"months", &d->months},     {"database", &d->database},
        {"data-dir", &d->data_dir}, {"config", &d->config},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return PARSED_HELP;
        }
        if (strcmp(a, "--replace") == 0) {
            d->replace = 1;
            continue;
        }
        int matched = 0;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0] && !matched; k++) {
            int r = rcid_take_value(argc, argv, &i, valued[k].name, valued[k].dst);
            if (r < 0)
                return usage_error("--%s needs a value", valued[k].name);
            matched = r == 1;
        }
        if (matched)
            continue;
        if (a[0] == '-')
            return usage_error("unknown option %s", a);
        return usage_error("unexpected argument \"%s\"", a);
    }
    if (d->database && d->data_dir)
        return usage_error("give --database or --data-dir, not both");
    return 0;
}

/* ---- deterministic randomness ---------------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* FNV-1a over the parts, each followed by '|'. */
static uint64_t seed_of(const char *a, const char *b, const char *c, const char *salt)
{
    const char *parts[4] = {a, b, c, salt};
    uint64_t h = 0xCBF29CE484222325ULL;
    for (int i = 0; i < 4; i++) {
        for (const char *p = parts[i] ? parts[i] : ""; *p; p++) {
            h ^= (unsigned char)*p;
            h *= 0x100000001B3ULL;
        }
        h ^= '|';
        h *= 0x100000001B3ULL;
    }
    return h;
}

static double unit(uint64_t x)
{
    return (double)(x >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform in [0, 1) for what (a, b, c, salt) names. */
static double u01(const char *a, const char *b, const char *c, const char *salt)
{
    uint64_t s = seed_of(a, b, c, salt);
    return unit(splitmix64(&s));
}

/* About N(0, 1): the sum of four uniforms, centred and scaled (Irwin–Hall;
 * no libm, so the same bits everywhere). */
static double gauss(const char *a, const char *b, const char *c, const char *salt)
{
    uint64_t s = seed_of(a, b, c, salt);
    double t = 0;
    for (int i = 0; i < 4; i++)
        t += unit(splitmix64(&s));
    return (t - 2.0) * 1.7320508075688772;
}

/* ---- the cities ---------------------------------------------------------------- */

/* Each city's character: levels of 2023–2024 unless said otherwise. */
typedef struct city {
    const char *code, *name;
    /* air: good-day rate of the clean months (%) and how deep the seasonal
     * dips go; annual PM2.5, NO2, SO2 (µg/m³), CO 95th percentile (mg/m³),
     * O3 8-hour 90th percentile (µg/m³) */
    double good_peak, haze, pm25, no2, so2, co, o3;
    /* water: assessed sections, drinking-water sources, chance a section
     * meets its class, urban sewage treatment rate 2023 (%) */
    int sections, sources;
    double water_ok, sewage;
    /* transit: cross-city bus lines at 2016-01 and opened a year; express
     * channels and border roads (at 2016-01, a year, planned total or 0);
     * intercity rail riders a month (万人次, 2024); bus riders per line a
     * month (万人次); electric buses 2023 (%) */
    double bus0, bus_rate, chan0, chan_rate;
    int chan_cap;
    double road0, road_rate;
    int road_cap;
    double rail, per_line, ebus;
    /* credit, a month at 2024-01 */
    double records, punish, red, dishonest;
    /* tasks under supervision, share with a yellow light */
    int tasks;
    double yellow;
    /* economy: GDP 2023 (亿元), real growth and the other growth rates (%),
     * registered unemployment (%), CPI offset from the province (points),
     * year-end population 2023 (万人) and its yearly change, industrial
     * transfer projects a year */
    double gdp2023, growth, iva, fai, retail, income, unemp, cpi;
    double pop2023, pop_change, transfer;
    /* innovation 2023: R&D share of GDP (%), high-tech enterprises,
     * high-tech output share (%), enterprises with an R&D institution (%) */
    double rd, hte, hts, rdc;
} city;

/* 深莞惠+汕尾、河源, then 广佛肇+清远、云浮 (migrations/0001_regions.sql).
 * Anchors: Huizhou 96.7 % good days (seed 000: 98.9 − 0.6 × 3.75 mean dip);
 * 20 Huizhou cross-city lines in 2016 (19 to Shenzhen, 3 to Dongguan in
 * 2017), 34 planned channels, 21 border roads with 11 done in 2017 (seed
 * 000); Heyuan's 226 tasks, ≥ 96 % good days, PM2.5 ≤ 29 (seed 003);
 * Zhaoqing ≥ 80 % good days, R&D 1.3 % of GDP, 30.3 % high-tech output and
 * 17 % of enterprises with R&D in 2016 (seed 004); Huizhou's 65 transferred
 * projects in 2016 (seed 000); populations of reference §2.2 (Guangzhou,
 * Huizhou, Zhaoqing, Qingyuan, Yunfu 2023 exactly). */
static const city cities[] = {
    {"440300", "Shenzhen", 98.6, 0.9, 19, 23, 6, 0.8, 150, 8, 6, 0.88, 98.2,
     26, 0.8, 4, 0.8, 0, 5, 0.8, 0, 130, 2.2, 100.0,
     92000, 240, 1500, 600, 280, 0.040,
     34606.40, 5.8, 5.5, 4.0, 3.5, 5.2, 2.23, -0.1, 1779.01, 9.5, 8,
     6.46, 24800, 63.5, 52},
    {"441900", "Dongguan", 97.5, 2.1, 24, 29, 8, 0.9, 162, 9, 5, 0.84, 97.0,
     14, 0.6, 4, 0.8, 0, 5, 0.8, 0, 150, 1.8, 97.5,
     52000, 140, 800, 380, 240, 0.050,
     11438.13, 4.6, 4.5, 3.0, 3.5, 5.0, 2.45, -0.2, 1048.54, 2.3, 12,
     4.10, 10400, 47.0, 58},
    {"441300", "Huizhou", 98.9, 0.6, 20, 19, 7, 0.8, 142, 10, 5, 0.93, 97.3,
     20, 0.5, 12, 2.5, 34, 9, 1.2, 21, 95, 1.6, 95.0,
     31000, 80, 450, 190, 250, 0.045,
     5639.68, 5.6, 9.0, 0.0, 3.0, 5.6, 2.31, 0.0, 607.34, 5.3, 60,
     3.30, 2950, 46.0, 54},
    {"441500", "Shanwei", 99.2, 0.5, 17, 11, 6, 0.7, 130, 6, 3, 0.96, 95.2,
     3, 0.3, 2, 0.5, 0, 2, 0.3, 0, 0, 0.9, 82.0,
     5900, 20, 80, 50, 180, 0.060,
     1394.82, 5.2, 6.0, 3.0, 3.5, 6.0, 2.65, 0.1, 267.27, -0.5, 35,
     0.85, 270, 22.0, 24},
    {"441600", "Heyuan", 99.0, 0.55, 21, 16, 7, 0.8, 135, 15, 4, 0.97, 96.4,
     3, 0.4, 3, 0.7, 0, 2, 0.4, 0, 0, 1.0, 86.0,
     7400, 22, 110, 55, 226, 0.050,
     1346.77, 4.9, 6.5, 2.0, 3.5, 6.1, 2.58, 0.1, 283.99, -0.4, 45,
     1.20, 420, 29.0, 33},
    {"440100", "Guangzhou", 97.5, 2.3, 24, 32, 7, 0.9, 165, 12, 6, 0.90, 97.5,
     30, 1.5, 6, 1.0, 0, 6, 0.8, 0, 380, 2.4, 99.6,
     88000, 230, 1400, 560, 300, 0.040,
     30355.73, 4.0, 2.5, 2.0, 2.5, 4.8, 2.35, 0.0, 1882.70, 5.5, 10,
     3.43, 12500, 51.2, 46},
    {"440600", "Foshan", 97.0, 2.4, 26, 30, 8, 1.0, 170, 8, 5, 0.86, 96.8,
     28, 1.2, 6, 1.0, 0, 6, 0.8, 0, 240, 2.0, 99.0,
     47000, 120, 700, 300, 230, 0.050,
     13276.14, 4.3, 4.0, -2.0, 3.0, 4.9, 2.40, -0.1, 961.54, 4.5, 15,
     2.95, 8800, 31.5, 50},
    {"441200", "Zhaoqing", 97.0, 2.3, 26, 24, 8, 1.0, 160, 7, 4, 0.92, 95.8,
     8, 0.6, 3, 0.6, 0, 2, 0.4, 0, 42, 1.4, 90.0,
     12500, 35, 180, 90, 200, 0.055,
     2920.79, 4.5, 5.0, -3.0, 2.5, 5.4, 2.50, 0.0, 413.17, 0.3, 55,
     1.55, 880, 33.0, 36},
    {"441800", "Qingyuan", 98.0, 2.0, 25, 22, 9, 1.0, 150, 6, 4, 0.95, 95.5,
     7, 0.6, 3, 0.6, 0, 2, 0.4, 0, 30, 1.2, 88.0,
     10800, 30, 160, 80, 190, 0.055,
     2120.78, 4.8, 5.5, -2.0, 3.0, 5.6, 2.55, 0.1, 398.67, 0.2, 50,
     1.10, 640, 26.0, 31},
    {"445300", "Yunfu", 98.5, 1.2, 23, 19, 9, 0.9, 140, 6, 3, 0.96, 95.6,
     3, 0.3, 2, 0.4, 0, 1, 0.3, 0, 0, 0.9, 85.0,
     6200, 18, 90, 45, 170, 0.060,
     1185.41, 4.4, 4.0, 1.0, 3.0, 5.8, 2.62, 0.1, 239.66, -0.3, 30,
     0.95, 310, 21.0, 27},
};
#define NCITIES ((int)(sizeof cities / sizeof cities[0]))

/* ---- the models ------------------------------------------------------------------ */

/* What one value is generated for. */
typedef struct gen {
    const city *c;
    const char *code;                 /* indicator */
    rci_period per;
    char ptext[RCI_PERIOD_TEXT_MAX];
    int year, month;                  /* the period's last month */
    int mabs;                         /* that month, counted from 2016-01 = 0 */
    int ndays;                        /* days in that month */
    const char *note;                 /* out: the note to report with it */
} gen;

static double G(const gen *g, const char *salt)
{
    return gauss(g->code, g->c->code, g->ptext, salt);
}

static double U(const gen *g, const char *salt)
{
    return u01(g->code, g->c->code, g->ptext, salt);
}

/* Keyed by city and year only, shared by the indicators of one story. */
static double GY(const gen *g, int year, const char *salt)
{
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    return gauss("", g->c->code, y, salt);
}

static double UY(const gen *g, int year, const char *salt)
{
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    return u01("", g->c->code, y, salt);
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Round half away from zero to d decimals (d ≤ 6). */
static double roundd(double v, int d)
{
    static const double p10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
    return (double)llround(v * p10[d]) / p10[d];
}

/* Years since 2024-01 (negative before). */
static double years_since_2024(const gen *g)
{
    return (g->mabs - 96) / 12.0;
}

static int after_2026_03(const gen *g)
{
    return g->year > 2026 || (g->year == 2026 && g->month >= 3);
}

/* Step counts: the k-th opening happens about (k + 0.5) × 12 / per_year
 * months after 2016-01, so counts grow one by one and never fall. */
static double steps(const gen *g, const char *what, double start, double per_year, int cap)
{
    int n = (int)start;
    if (per_year <= 0)
        return n;
    double gap = 12.0 / per_year;
    for (int k = 0; k < 100000; k++) {
        if (cap && n >= cap)
            break;
        char kk[16];
        snprintf(kk, sizeof kk, "%d", k);
        double at = (k + 0.5 + 0.8 * (u01("", g->c->code, kk, what) - 0.5)) * gap;
        if (at > g->mabs)
            break;
        n++;
    }
    return n;
}

/* Seasonal shapes, January first. */
static const double good_dip[12] = {7, 6, 5, 2, 1, 0.5, 0.5, 1, 4, 7, 5, 6};
static const double pm_season[12] = {1.40, 1.28, 1.18, 1.00, 0.82, 0.68,
                                     0.64, 0.70, 0.88, 1.05, 1.22, 1.36};
static const double no2_season[12] = {1.22, 1.05, 1.08, 1.00, 0.88, 0.78,
                                      0.74, 0.78, 0.92, 1.05, 1.20, 1.28};
static const double o3_season[12] = {0.76, 0.80, 0.90, 0.96, 1.02, 0.88,
                                     0.86, 1.00, 1.18, 1.24, 1.10, 0.90};
static const double rail_season[12] = {1.00, 0.84, 0.98, 1.00, 1.05, 0.97,
                                       1.06, 1.08, 0.97, 1.08, 1.00, 0.99};
static const double bus_season[12] = {1.00, 0.80, 0.98, 1.02, 1.04, 0.98,
                                      1.03, 1.04, 0.99, 1.06, 1.00, 1.00};
static const double credit_season[12] = {1.00, 0.78, 1.02, 1.00, 1.00, 1.03,
                                         0.99, 1.00, 1.02, 0.90, 1.03, 1.10};

static int winter(const gen *g)
{
    return g->month == 12 || g->month <= 2;
}

/* -- environment -- */

static double m_good_days(gen *g)
{
    const city *c = g->c;
    double dip = good_dip[g->month - 1] * c->haze;
    double rate = c->good_peak - dip + G(g, "n") * (0.6 + 0.5 * c->haze);
    if (after_2026_03(g))            /* GB 3095-2026: PM2.5 daily 75 → 60 µg/m³ */
        rate -= 0.5 + 0.15 * dip;
    long good = llround(rate / 100.0 * g->ndays);
    if (good > g->ndays)
        good = g->ndays;
    if (good < 0)
        good = 0;
    return 100.0 * (double)good / g->ndays;
}

static double m_heavy_days(gen *g)
{
    if (winter(g) && g->c->haze >= 2.0 && U(g, "h") < 0.06 * g->c->haze)
        return 1 + (U(g, "h2") < 0.15);
    return 0;
}

static double m_pm25(gen *g)
{
    double trend = 1 - 0.02 * years_since_2024(g);
    return g->c->pm25 * pm_season[g->month - 1] * trend * (1 + 0.07 * G(g, "n"));
}

/* The value another air indicator of the same city and month has, rounded
 * as its definition rounds it. */
static double air_of(const gen *g, const char *code, double (*fn)(gen *), int decimals)
{
    gen o = *g;
    o.code = code;
    return roundd(fn(&o), decimals);
}

static double m_pm10(gen *g)
{
    double pm25 = air_of(g, "air.pm25_mean", m_pm25, 0);
    double dust = g->month == 3 || g->month == 4 ? 0.1 : 0;
    return pm25 * (1.55 + dust + 0.12 * G(g, "n"));
}

static double m_no2(gen *g)
{
    return g->c->no2 * no2_season[g->month - 1] * (1 - 0.015 * years_since_2024(g)) *
           (1 + 0.08 * G(g, "n"));
}

static double m_so2(gen *g)
{
    double v = g->c->so2 * (winter(g) ? 1.1 : 1.0) * (1 + 0.12 * G(g, "n"));
    return v < 3 ? 3 : v;
}

static double m_co(gen *g)
{
    double season = winter(g) ? 0.15 : g->month <= 4 ? 0.05 : 0;
    return g->c->co + season + 0.05 * G(g, "n");
}

static double m_o3(gen *g)
{
    return g->c->o3 * o3_season[g->month - 1] * (1 + 0.06 * G(g, "n"));
}

/* HJ 663-2013: the sum of each concentration over its Grade II limit. */
static double m_composite(gen *g)
{
    return air_of(g, "air.so2_mean", m_so2, 0) / 60 + air_of(g, "air.no2_mean", m_no2, 0) / 40 +
           air_of(g, "air.pm10_mean", m_pm10, 0) / 70 +
           air_of(g, "air.pm25_mean", m_pm25, 0) / 35 + air_of(g, "air.co_p95", m_co, 1) / 4 +
           air_of(g, "air.o3_8h_p90", m_o3, 0) / 160;
}

static double m_sections(gen *g)
{
    int n = g->c->sections, ok = 0;
    double p = g->c->water_ok - (g->month >= 4 && g->month <= 9 ? 0.03 : 0);
    for (int i = 0; i < n; i++) {
        char s[16];
        snprintf(s, sizeof s, "s%d", i);
        ok += U(g, s) < p;
    }
    return 100.0 * ok / n;
}

static double m_sources(gen *g)
{
    int n = g->c->sources, ok = 0;
    for (int i = 0; i < n; i++) {
        char s[16];
        snprintf(s, sizeof s, "s%d", i);
        ok += U(g, s) >= 0.008;
    }
    return 100.0 * ok / n;
}

static double m_sewage(gen *g)
{
    return clampd(g->c->sewage + 0.3 * (g->year - 2023) + 0.15 * G(g, "n"), 80, 99.6);
}

/* -- transit -- */

static double m_bus_lines(gen *g)
{
    return steps(g, "bus", g->c->bus0, g->c->bus_rate, 0);
}

static double m_channels(gen *g)
{
    return steps(g, "channel", g->c->chan0, g->c->chan_rate, g->c->chan_cap);
}

static double m_roads(gen *g)
{
    return steps(g, "road", g->c->road0, g->c->road_rate, g->c->road_cap);
}

static double m_rail(gen *g)
{
    if (g->c->rail <= 0) {
        g->note = "未开通城际轨道 / no intercity rail line in service";
        return 0;
    }
    return g->c->rail * rail_season[g->month - 1] * (1 + 0.06 * years_since_2024(g)) *
           (1 + 0.03 * G(g, "n"));
}

static double m_bus_riders(gen *g)
{
    double lines = steps(g, "bus", g->c->bus0, g->c->bus_rate, 0);
    return lines * g->c->per_line * bus_season[g->month - 1] * (1 + 0.05 * G(g, "n"));
}

static double m_ebus(gen *g)
{
    if (g->c->ebus >= 100)
        return 100;
    return clampd(g->c->ebus + 1.2 * (g->year - 2023) + 0.2 * G(g, "n"), 0, 100);
}

/* -- credit -- */

static double m_records(gen *g)
{
    double v = g->c->records * (1 + 0.012 * (g->mabs - 96)) * credit_season[g->month - 1] *
               (1 + 0.06 * G(g, "n"));
    return v < 0 ? 0 : v;
}

static double m_punish(gen *g)
{
    double v = g->c->punish * (1 + 0.004 * (g->mabs - 96)) * (g->month == 2 ? 0.7 : 1) *
               (1 + 0.15 * G(g, "n"));
    return v < 0 ? 0 : v;
}

static double m_red(gen *g)
{
    double v = g->c->red * (1 + 0.006 * (g->mabs - 96)) * credit_season[g->month - 1] *
               (1 + 0.12 * G(g, "n"));
    return v < 0 ? 0 : v;
}

static double m_dishonest(gen *g)
{
    double v = g->c->dishonest * (1 - 0.004 * (g->mabs - 96)) * credit_season[g->month - 1] *
               (1 + 0.12 * G(g, "n"));
    return v < 0 ? 0 : v;
}

/* -- tasks: one month's traffic lights, shared by the four indicators -- */

typedef struct lights {
    int tasks, green, yellow, red;
} lights;

static lights task_lights(const gen *g)
{
    const city *c = g->c;
    lights l;
    l.tasks = c->tasks + (int)llround((UY(g, g->year, "tasks") - 0.5) * 20);
    int node = g->month == 8 || g->month == 10 || g->month == 12;   /* node deadlines */
    double rate = c->yellow * (node ? 1.6 : 1.0) * (1 + 0.3 * gauss("", c->code, g->ptext, "y"));
    l.yellow = (int)llround(l.tasks * (rate < 0 ? 0 : rate));
    double r = u01("", c->code, g->ptext, "r");
    l.red = (int)(r * r * r * 4);                 /* after two yellows in a row: rare */
    if (l.yellow + l.red > l.tasks)
        l.yellow = l.tasks - l.red;
    l.green = l.tasks - l.yellow - l.red;
    return l;
}

static double m_on_schedule(gen *g)
{
    lights l = task_lights(g);
    return 100.0 * l.green / l.tasks;
}

static double m_green(gen *g)
{
    return task_lights(g).green;
}

static double m_yellow(gen *g)
{
    return task_lights(g).yellow;
}

static double m_red_lights(gen *g)
{
    return task_lights(g).red;
}

static double m_coop(gen *g)
{
    int n = 24 + (int)(UY(g, g->year, "coop") * 30);
    double share = g->per.index == 1 ? 0.42 + 0.16 * U(g, "s") : 0.90 + 0.10 * U(g, "s");
    return 100.0 * (double)llround(n * share) / n;
}

/* -- economy (year to date, growth year on year) -- */

static double year_effect(int year)
{
    switch (year) {
    case 2023: return 0.4;
    case 2024: return -0.2;
    case 2026: return -0.3;
    default: return 0;
    }
}

/* The year's real GDP growth as the fourth quarter reports it. */
static double annual_growth(const gen *g, int year)
{
    return g->c->growth + year_effect(year) + 0.45 * GY(g, year, "growth");
}

static double m_gdp_growth(gen *g)
{
    return clampd(annual_growth(g, g->year) + 0.3 * G(g, "n") * (4 - g->per.index) / 3.0, 3.0,
                  8.0);
}

static double m_gdp(gen *g)
{
    static const double share[5] = {0, 0.232, 0.478, 0.731, 1.0};
    double y = g->c->gdp2023;       /* nominal: real growth + 0.5 points of prices */
    for (int yr = 2024; yr <= g->year; yr++)
        y *= 1 + (annual_growth(g, yr) + 0.5) / 100;
    for (int yr = 2023; yr > g->year; yr--)
        y /= 1 + (annual_growth(g, yr) + 0.5) / 100;
    double s = g->per.index == 4 ? 1.0 : share[g->per.index] * (1 + 0.004 * G(g, "n"));
    return y * s;
}

static double m_iva(gen *g)
{
    return g->c->iva + 1.5 * year_effect(g->year) + 0.8 * GY(g, g->year, "iva") +
           (0.6 + 2.4 / g->month) * G(g, "n");
}

static double m_fai(gen *g)
{
    static const double ye[] = {[0] = 0, [1] = -3, [2] = -5, [3] = -2};   /* 2023.. */
    int i = g->year - 2023;
    double e = i >= 0 && i <= 3 ? ye[i] : 0;
    return g->c->fai + e + 1.5 * GY(g, g->year, "fai") + (1.0 + 4.0 / g->month) * G(g, "n");
}

static double m_retail(gen *g)
{
    static const double ye[] = {[0] = 1.5, [1] = -1.0, [2] = 1.5, [3] = 0};
    int i = g->year - 2023;
    double e = i >= 0 && i <= 3 ? ye[i] : 0;
    return g->c->retail + e + 0.6 * GY(g, g->year, "retail") + (0.4 + 2.0 / g->month) * G(g, "n");
}

static double m_income(gen *g)
{
    return g->c->income + 0.5 * year_effect(g->year) + 0.2 * GY(g, g->year, "income") +
           0.25 * G(g, "n");
}

/* The month of the Spring Festival (1 January, 2 February): its move
 * between years swings January's and February's CPI year on year. */
static int spring_festival_month(int year)
{
    switch (year) {
    case 2017: case 2020: case 2023: case 2025: case 2028:
        return 1;
    default:
        return 2;
    }
}

static double province_cpi_shock(int mabs)
{
    char m[16];
    snprintf(m, sizeof m, "%d", mabs);
    return gauss("cpi", "440000", m, "shock");
}

static double m_cpi(gen *g)
{
    double common = 0.2 + 0.2 * (province_cpi_shock(g->mabs - 1) + province_cpi_shock(g->mabs) +
                                  province_cpi_shock(g->mabs + 1));
    int now = spring_festival_month(g->year), before = spring_festival_month(g->year - 1);
    if (now == 2 && before == 1)
        common += g->month == 1 ? -0.5 : g->month == 2 ? 0.6 : 0;
    else if (now == 1 && before == 2)
        common += g->month == 1 ? 0.5 : g->month == 2 ? -0.6 : 0;
    return common + g->c->cpi + 0.15 * G(g, "n");
}

static double m_unemployment(gen *g)
{
    return g->c->unemp - 0.03 * (g->year - 2023) + (g->per.index == 1 ? 0.05 : 0) +
           0.08 * G(g, "n");
}

static double m_population(gen *g)
{
    double p = g->c->pop2023;
    for (int yr = 2024; yr <= g->year; yr++)
        p += g->c->pop_change + 0.3 * GY(g, yr, "pop");
    for (int yr = 2023; yr > g->year; yr--)
        p -= g->c->pop_change + 0.3 * GY(g, yr, "pop");
    return p;
}

static double m_transfer(gen *g)
{
    static const double share[5] = {0, 0.20, 0.45, 0.70, 1.0};
    double year_total = g->c->transfer * (1 + 0.15 * GY(g, g->year, "transfer"));
    double ytd = 0;
    for (int q = 1; q <= g->per.index; q++) {
        char s[16];
        snprintf(s, sizeof s, "q%d", q);
        double inc = year_total * (share[q] - share[q - 1]) * (1 + 0.2 * GY(g, g->year, s));
        ytd += inc < 0 ? 0 : inc;
    }
    return ytd;
}

/* -- innovation (yearly) -- */

static double m_rd(gen *g)
{
    return g->c->rd + 0.08 * (g->year - 2023) + 0.04 * G(g, "n");
}

static double m_hte(gen *g)
{
    return g->c->hte * (1 + 0.04 * (g->year - 2023)) * (1 + 0.015 * G(g, "n"));
}

static double m_hts(gen *g)
{
    return g->c->hts + 0.6 * (g->year - 2023) + 0.4 * G(g, "n");
}

static double m_rdc(gen *g)
{
    return g->c->rdc + 1.2 * (g->year - 2023) + 0.8 * G(g, "n");
}

typedef double (*model_fn)(gen *g);

static const struct {
    const char *code;
    model_fn fn;
} models[] = {
    {"air.good_days_rate", m_good_days},
    {"air.pm25_mean", m_pm25},
    {"air.pm10_mean", m_pm10},
    {"air.o3_8h_p90", m_o3},
    {"air.no2_mean", m_no2},
    {"air.so2_mean", m_so2},
    {"air.co_p95", m_co},
    {"air.composite_index", m_composite},
    {"air.heavy_pollution_days", m_heavy_days},
    {"water.section_compliance_rate", m_sections},
    {"water.drinking_source_compliance_rate", m_sources},
    {"water.urban_sewage_treatment_rate", m_sewage},
    {"transit.cross_city_bus_lines", m_bus_lines},
    {"transit.express_channels_opened", m_channels},
    {"transit.border_roads_completed", m_roads},
    {"transit.intercity_rail_ridership", m_rail},
    {"transit.cross_city_bus_ridership", m_bus_riders},
    {"transit.bus_electrification_rate", m_ebus},
    {"credit.records_shared", m_records},
    {"credit.joint_punishment_cases", m_punish},
    {"credit.redlist_entries", m_red},
    {"credit.dishonest_subjects_listed", m_dishonest},
    {"tasks.on_schedule_rate", m_on_schedule},
    {"tasks.green_lights", m_green},
    {"tasks.yellow_lights", m_yellow},
    {"tasks.red_lights", m_red_lights},
    {"tasks.cooperation_items_completion_rate", m_coop},
    {"econ.gdp", m_gdp},
    {"econ.gdp_growth", m_gdp_growth},
    {"econ.industrial_va_growth", m_iva},
    {"econ.fixed_asset_investment_growth", m_fai},
    {"econ.retail_sales_growth", m_retail},
    {"econ.disposable_income_growth", m_income},
    {"econ.cpi_change", m_cpi},
    {"econ.unemployment_rate", m_unemployment},
    {"econ.resident_population", m_population},
    {"econ.transferred_projects", m_transfer},
    {"innov.rd_spending_share", m_rd},
    {"innov.high_tech_enterprises", m_hte},
    {"innov.high_tech_output_share", m_hts},
    {"innov.enterprise_rd_coverage", m_rdc},
};

static model_fn model_of(const char *code)
{
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        if (strcmp(models[i].code, code) == 0)
            return models[i].fn;
    return NULL;
}

/* ---- what the database says ---------------------------------------------------- */

typedef struct indicator {
    char *code, *domain, *value_type, *min, *max;   /* min/max NULL: none */
    rci_freq freq;
    int decimals;
    double lo, hi;                   /* the range as numbers */
    model_fn fn;
} indicator;

typedef struct agency {
    char *code;
    double late_rate;                /* this agency's habit */
} agency;

/* Who reports a city's values of a domain. */
typedef struct route {
    int city, agency;
    char *domain;
} route;

typedef struct catalogue {
    indicator *ind;
    int nind;
    agency *ag;                      /* distinct, by code */
    int nag;
    route *route;
    int nroute;
    rci_cal *cal;
    char skipped[512];               /* indicators without a model */
} catalogue;

static void catalogue_free(catalogue *k)
{
    for (int i = 0; i < k->nind; i++) {
        free(k->ind[i].code);
        free(k->ind[i].domain);
        free(k->ind[i].value_type);
        free(k->ind[i].min);
        free(k->ind[i].max);
    }
    free(k->ind);
    for (int i = 0; i < k->nag; i++)
        free(k->ag[i].code);
    free(k->ag);
    for (int i = 0; i < k->nroute; i++)
        free(k->route[i].domain);
    free(k->route);
    rci_cal_free(k->cal);
}

static PGresult *query(PGconn *conn, const char *sql, int n, const char *const *params)
{
    PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        fprintf(stderr, PROG ": %s", PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    return r;
}

static int exec_ok(PGconn *conn, const char *sql)
{
    PGresult *r = query(conn, sql, 0, NULL);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

static char *dup_or_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

static int city_index(const char *code)
{
    for (int i = 0; i < NCITIES; i++)
        if (strcmp(cities[i].code, code) == 0)
            return i;
    return -1;
}

static int read_catalogue(PGconn *conn, catalogue *k)
{
    memset(k, 0, sizeof *k);
    char codes[NCITIES * 8 + 4];
    size_t off = 0;
    codes[off++] = '{';
    for (int i = 0; i < NCITIES; i++)
        off += (size_t)snprintf(codes + off, sizeof codes - off, "%s%s", i ? "," : "",
                                cities[i].code);
    snprintf(codes + off, sizeof codes - off, "}");
    const char *p1[1] = {codes};

    PGresult *r = query(conn, "SELECT count(*) FROM regions WHERE code = ANY ($1::text[])", 1, p1);
    if (!r)
        return -1;
    int found = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (found != NCITIES) {
        fprintf(stderr, PROG ": the regions table lacks some of the ten demo cities (%d of %d)\n",
                found, NCITIES);
        return -1;
    }

    r = query(conn,
              "SELECT code, domain_code, frequency, value_type, min_value::text, max_value::text,\n"
              "       decimals FROM indicators WHERE frequency <> 'daily' ORDER BY code",
              0, NULL);
    if (!r)
        return -1;
    int n = PQntuples(r);
    k->ind = calloc(n ? (size_t)n : 1, sizeof *k->ind);
    if (!k->ind) {
        PQclear(r);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const char *code = PQgetvalue(r, i, 0);
        model_fn fn = model_of(code);
        if (!fn) {
            size_t l = strlen(k->skipped);
            if (l + strlen(code) + 8 < sizeof k->skipped)
                snprintf(k->skipped + l, sizeof k->skipped - l, "%s%s", l ? ", " : "", code);
            continue;
        }
        indicator *d = &k->ind[k->nind++];
        d->code = strdup(code);
        d->domain = strdup(PQgetvalue(r, i, 1));
        d->freq = rci_period_freq_from_name(PQgetvalue(r, i, 2));
        d->value_type = strdup(PQgetvalue(r, i, 3));
        d->min = dup_or_null(r, i, 4);
        d->max = dup_or_null(r, i, 5);
        d->decimals = atoi(PQgetvalue(r, i, 6));
        int percent = strcmp(d->value_type, "percent") == 0;
        d->lo = d->min ? strtod(d->min, NULL) : percent ? 0 : -1e300;
        d->hi = d->max ? strtod(d->max, NULL) : percent ? 100 : 1e300;
        d->fn = fn;
        if (!d->code || !d->domain || !d->value_type || d->freq == RCI_FREQ_NONE ||
            d->decimals < 0 || d->decimals > 6) {
            PQclear(r);
            fprintf(stderr, PROG ": cannot use the definition of %s\n", code);
            return -1;
        }
    }
    PQclear(r);

    r = query(conn,
              "SELECT a.city_code, d.domain_code, min(a.code)\n"
              "  FROM agencies a JOIN agency_domains d ON d.agency_code = a.code\n"
              " WHERE a.city_code = ANY ($1::text[])\n"
              " GROUP BY 1, 2 ORDER BY 3, 2",
              1, p1);
    if (!r)
        return -1;
    n = PQntuples(r);
    k->ag = calloc(n ? (size_t)n : 1, sizeof *k->ag);
    k->route = calloc(n ? (size_t)n : 1, sizeof *k->route);
    if (!k->ag || !k->route) {
        PQclear(r);
        return -1;
    }
    for (int i = 0; i < n; i++) {               /* rows come ordered by agency code */
        const char *code = PQgetvalue(r, i, 2);
        if (k->nag == 0 || strcmp(k->ag[k->nag - 1].code, code) != 0) {
            agency *a = &k->ag[k->nag++];
            if (!(a->code = strdup(code))) {
                PQclear(r);
                return -1;
            }
            a->late_rate = 0.02 + 0.12 * u01("", a->code, "", "late-rate");
        }
        route *rt = &k->route[k->nroute++];
        rt->city = city_index(PQgetvalue(r, i, 0));
        rt->agency = k->nag - 1;
        if (!(rt->domain = strdup(PQgetvalue(r, i, 1)))) {
            PQclear(r);
            return -1;
        }
    }
    PQclear(r);

    r = query(conn, "SELECT day::text, working FROM calendar_days ORDER BY day", 0, NULL);
    if (!r)
        return -1;
    n = PQntuples(r);
    rci_cal_day *days = calloc(n ? (size_t)n : 1, sizeof *days);
    if (!days) {
        PQclear(r);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        rci_cal_day *cd = &days[i];
        if (sscanf(PQgetvalue(r, i, 0), "%d-%d-%d", &cd->date.year, &cd->date.month,
                   &cd->date.day) != 3) {
            free(days);
            PQclear(r);
            fprintf(stderr, PROG ": calendar_days: bad day %s\n", PQgetvalue(r, i, 0));
            return -1;
        }
        cd->working = strcmp(PQgetvalue(r, i, 1), "t") == 0;
    }
    PQclear(r);
    char why[256];
    k->cal = rci_cal_new(days, (size_t)n, why, sizeof why);
    free(days);
    if (!k->cal) {
        fprintf(stderr, PROG ": calendar_days: %s\n", why);
        return -1;
    }
    return 0;
}

/* The agency of city ci for domain, or -1. */
static int agency_for(const catalogue *k, int ci, const char *domain)
{
    for (int i = 0; i < k->nroute; i++)
        if (k->route[i].city == ci && strcmp(k->route[i].domain, domain) == 0)
            return k->route[i].agency;
    return -1;
}

/* ---- the plan: every cell and batch ---------------------------------------------- */

typedef struct dcell {
    int ind, city, agency;
    rci_period per;
    char value[RCI_DECIMAL_TEXT_MAX + 1];   /* the (final) value */
    char first[RCI_DECIMAL_TEXT_MAX + 1];   /* the first report, when corrected; else "" */
    const char *note;
    int missing;
    int batch, fix;                          /* batch indexes; fix -1 if none */
} dcell;

typedef struct dbatch {
    int agency;
    rci_period per;
    int correction, late, cells;
    long long at;                            /* seconds since the epoch */
    const char *reason;
    int k;                                   /* rank in commit order, from 1 */
} dbatch;

typedef struct plan {
    dcell *cell;
    int ncell;
    dbatch *batch;
    int nbatch;
    int reports, corrections, late_reports, late_cells, missing, corrected, values;
    long long last_at;
} plan;

static void plan_free(plan *p)
{
    free(p->cell);
    free(p->batch);
}

/* Writes v rounded to d decimals ("-12.5", "96.7", "0"). */
static void format_value(double v, int d, char *out, size_t outlen)
{
    static const long long p10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    long long q = llround(v * (double)p10[d]);
    if (d == 0) {
        snprintf(out, outlen, "%lld", q);
        return;
    }
    long long a = q < 0 ? -q : q;
    snprintf(out, outlen, "%s%lld.%0*lld", q < 0 ? "-" : "", a / p10[d], d, a % p10[d]);
}

/* As PushValues stores a value: trailing zeros after the point dropped
 * ("90.0" → "90"), the figure rather than its display format. */
static void drop_trailing_zeros(char *s)
{
    if (!strchr(s, '.'))
        return;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '0')
        s[--n] = '\0';
    if (n > 0 && s[n - 1] == '.')
        s[--n] = '\0';
}

static int fill_gen(gen *g, const city *c, const char *code, const rci_period *per)
{
    memset(g, 0, sizeof *g);
    g->c = c;
    g->code = code;
    g->per = *per;
    if (rci_period_format(per, g->ptext, sizeof g->ptext) < 0)
        return -1;
    rci_date last = rci_period_last_day(per);
    g->year = last.year;
    g->month = last.month;
    g->mabs = (last.year - 2016) * 12 + last.month - 1;
    g->ndays = rci_date_days_in_month(last.year, last.month);
    return 0;
}

/* The value text of indicator d for g, inside its range and checked. */
static int make_value(const indicator *d, gen *g, char *out, size_t outlen)
{
    double v = d->fn(g);
    if (isnan(v))                                   /* a model bug */
        v = d->lo > -1e300 ? d->lo : 0;
    v = clampd(roundd(v, d->decimals), d->lo, d->hi);
    format_value(v, d->decimals, out, outlen);
    char why[200];
    if (rci_decimal_check(out, d->value_type, d->min, d->max, d->decimals, why, sizeof why) < 0) {
        fprintf(stderr, PROG ": generated %s = %s for %s %s: %s\n", d->code, out, g->c->code,
                g->ptext, why);
        return -1;
    }
    drop_trailing_zeros(out);
    return 0;
}

/* The first report of a corrected cell: the final value with a slip in it
 * (a wrong last digit, or a few per cent off). 0 with out set, or -1 if no
 * slip fits the range. */
static int make_slip(const indicator *d, const gen *g, const char *final, char *out,
                     size_t outlen)
{
    static const double unit_of[] = {1, 0.1, 0.01, 0.001, 0.0001, 0.00001, 0.000001};
    double v = strtod(final, NULL), unitv = unit_of[d->decimals];
    double delta;
    if (U(g, "slip-kind") < 0.5 && (v >= 100 * unitv || v <= -100 * unitv)) {
        delta = unitv * (1 + (int)(U(g, "slip-digit") * 9));
    } else {
        delta = v * (0.01 + 0.05 * U(g, "slip-size"));
        if (delta < 0)
            delta = -delta;
        if (delta < unitv)
            delta = unitv;
    }
    double sign = U(g, "slip-sign") < 0.5 ? -1 : 1;
    for (int attempt = 0; attempt < 2; attempt++, sign = -sign) {
        double w = roundd(v + sign * delta, d->decimals);
        if (w < d->lo || w > d->hi)
            continue;
        format_value(w, d->decimals, out, outlen);
        if (rci_decimal_check(out, d->value_type, d->min, d->max, d->decimals, NULL, 0) < 0)
            continue;
        drop_trailing_zeros(out);
        if (strcmp(out, final) != 0)
            return 0;
    }
    return -1;
}

static int cmp_cell(const void *a, const void *b)
{
    const dcell *x = a, *y = b;
    if (x->agency != y->agency)
        return x->agency - y->agency;
    if (x->per.freq != y->per.freq)
        return (int)x->per.freq - (int)y->per.freq;
    int c = rci_period_cmp(&x->per, &y->per);
    if (c)
        return c;
    return x->ind - y->ind;
}

static long long instant(rci_date d, int seconds_of_day_cst)
{
    return (long long)rci_date_to_days(d) * 86400 + seconds_of_day_cst - CST_OFFSET;
}

/* A working-hours time of day, 09:00:00..17:59:59 CST. */
static int office_time(const char *a, const char *b, const char *salt)
{
    return 9 * 3600 + (int)(u01(a, b, "", salt) * 9 * 3600);
}

static const char *const correction_reasons[] = {
    "数据订正 / data correction: 复核后更正 / corrected after review",
    "数据订正 / data correction: 录入错误 / typing error",
    "数据订正 / data correction: 按最新统计口径调整 / aligned with the final statistics",
};

static int add_batch(plan *p, int cap, int ai, const rci_period *per, int correction,
                     long long at, const char *reason)
{
    if (p->nbatch >= cap)
        return -1;
    dbatch *b = &p->batch[p->nbatch];
    memset(b, 0, sizeof *b);
    b->agency = ai;
    b->per = *per;
    b->correction = correction;
    b->at = at;
    b->reason = reason;
    if (at > p->last_at)
        p->last_at = at;
    return p->nbatch++;
}

static int make_plan(const catalogue *k, rci_period until, int months, plan *p)
{
    memset(p, 0, sizeof *p);
    rci_period first_month;
    if (rci_period_add(&until, -(months - 1), &first_month) < 0)
        return -1;
    rci_date wfirst = rci_period_first_day(&first_month), wlast = rci_period_last_day(&until);
    rci_date cutoff;
    if (rci_cal_due_date(k->cal, &until, RCI_CAL_DUE_DEFAULT, &cutoff) < 0 ||
        rci_cal_add_working_days(k->cal, cutoff, LATE_MAX_WD, &cutoff) < 0)
        return -1;

    /* Room: every period of every indicator for every city. */
    size_t room = (size_t)k->nind * NCITIES * ((size_t)months + 2);
    p->cell = calloc(room ? room : 1, sizeof *p->cell);
    if (!p->cell)
        return -1;
    for (int ci = 0; ci < NCITIES; ci++) {
        for (int ii = 0; ii < k->nind; ii++) {
            const indicator *d = &k->ind[ii];
            int ai = agency_for(k, ci, d->domain);
            if (ai < 0)
                continue;
            rci_period per;
            if (rci_period_of_date(d->freq, wfirst, &per) < 0)
                return -1;
            for (;;) {
                rci_date end = rci_period_last_day(&per);
                if (rci_date_cmp(end, wlast) > 0)
                    break;
                if (rci_date_cmp(end, wfirst) >= 0) {
                    if ((size_t)p->ncell >= room)
                        return -1;
                    dcell *c = &p->cell[p->ncell++];
                    c->ind = ii;
                    c->city = ci;
                    c->agency = ai;
                    c->per = per;
                    c->batch = c->fix = -1;
                }
                if (rci_period_next(&per, &per) < 0)
                    return -1;
            }
        }
    }
    qsort(p->cell, (size_t)p->ncell, sizeof *p->cell, cmp_cell);

    int bcap = 2 * p->ncell + 2;
    p->batch = calloc((size_t)bcap, sizeof *p->batch);
    if (!p->batch)
        return -1;
    for (int s = 0; s < p->ncell;) {
        int e = s;
        while (e < p->ncell && p->cell[e].agency == p->cell[s].agency &&
               p->cell[e].per.freq == p->cell[s].per.freq &&
               rci_period_cmp(&p->cell[e].per, &p->cell[s].per) == 0)
            e++;
        const agency *a = &k->ag[p->cell[s].agency];
        const rci_period *per = &p->cell[s].per;
        char ptext[RCI_PERIOD_TEXT_MAX];
        rci_period_format(per, ptext, sizeof ptext);

        /* The values, and which of them go unreported. */
        int absent = u01("", a->code, ptext, "absent") < 0.008;
        int reported = 0;
        for (int i = s; i < e; i++) {
            dcell *c = &p->cell[i];
            const indicator *d = &k->ind[c->ind];
            gen g;
            if (fill_gen(&g, &cities[c->city], d->code, &c->per) < 0 ||
                make_value(d, &g, c->value, sizeof c->value) < 0)
                return -1;
            c->note = g.note ? g.note : "";
            c->missing = absent || U(&g, "missing") < 0.012;
            reported += !c->missing;
        }
        if (reported == 0) {
            for (int i = s; i < e; i++)
                p->cell[i].missing = 1;
            p->missing += e - s;
            s = e;
            continue;
        }

        /* When the report came: on one of the three working days up to the
         * due date, or 1..10 working days late. */
        rci_date due, day;
        if (rci_cal_due_date(k->cal, per, RCI_CAL_DUE_DEFAULT, &due) < 0)
            return -1;
        int late = u01("", a->code, ptext, "late") < a->late_rate;
        if (late) {
            double u = u01("", a->code, ptext, "late-by");
            if (rci_cal_add_working_days(k->cal, due, 1 + (int)(u * u * LATE_MAX_WD), &day) < 0)
                return -1;
        } else {
            double u = u01("", a->code, ptext, "early-by");
            if (rci_cal_add_working_days(k->cal, due, u < 0.45 ? 0 : u < 0.8 ? -1 : -2, &day) < 0)
                return -1;
        }
        long long at = instant(day, office_time(a->code, ptext, "at"));
        int bi = add_batch(p, bcap, p->cell[s].agency, per, 0, at, "");
        if (bi < 0)
            return -1;
        p->batch[bi].late = late;
        p->reports++;
        p->late_reports += late;

        /* Corrections: 3..22 working days later, but on a working day before
         * the period locks itself and never after the cutoff. */
        rci_date fix_day, fix_last = rci_date_from_days(rci_date_to_days(due) + FIX_WITHIN_DAYS);
        if (rci_date_cmp(fix_last, cutoff) > 0)
            fix_last = cutoff;
        double u = u01("", a->code, ptext, "fix-after");
        if (rci_cal_add_working_days(k->cal, day, 3 + (int)(u * 20), &fix_day) < 0)
            return -1;
        if (rci_date_cmp(fix_day, fix_last) > 0 &&
            rci_cal_add_working_days(k->cal, rci_date_from_days(rci_date_to_days(fix_last) + 1),
                                     -1, &fix_day) < 0)
            return -1;
        int can_fix = rci_date_cmp(fix_day, day) > 0;
        int fi = -1;
        for (int i = s; i < e; i++) {
            dcell *c = &p->cell[i];
            if (c->missing) {
                p->missing++;
                continue;
            }
            c->batch = bi;
            p->batch[bi].cells++;
            p->late_cells += late;
            p->values++;
            const indicator *d = &k->ind[c->ind];
            gen g;
            fill_gen(&g, &cities[c->city], d->code, &c->per);
            if (!can_fix || U(&g, "revise") >= 0.05 ||
                make_slip(d, &g, c->value, c->first, sizeof c->first) < 0) {
                c->first[0] = '\0';
                continue;
            }
            if (fi < 0) {
                const char *reason = correction_reasons[(int)(u01("", a->code, ptext, "reason") *
                                                              3)];
                fi = add_batch(p, bcap, p->cell[s].agency, per, 1,
                               instant(fix_day, office_time(a->code, ptext, "fix-at")), reason);
                if (fi < 0)
                    return -1;
                p->corrections++;
            }
            c->fix = fi;
            p->batch[fi].cells++;
            p->corrected++;
            p->values++;
        }
        s = e;
    }
    return 0;
}

/* ---- writing ------------------------------------------------------------------------ */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 1 << 16;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

/* Text for COPY's text format: backslash, tab, newline and CR escaped. */
static void sb_copy_text(sbuf *b, const char *t)
{
    for (; *t; t++) {
        switch (*t) {
        case '\\': sb_printf(b, "\\\\"); break;
        case '\t': sb_printf(b, "\\t"); break;
        case '\n': sb_printf(b, "\\n"); break;
        case '\r': sb_printf(b, "\\r"); break;
        default: sb_printf(b, "%c", *t);
        }
    }
}

static void format_instant(long long at, char out[32])
{
    long long t = at + CST_OFFSET;
    long long days = t / 86400 - (t % 86400 < 0);
    int sod = (int)(t - days * 86400);
    rci_date d = rci_date_from_days((int32_t)days);
    snprintf(out, 32, "%04d-%02d-%02d %02d:%02d:%02d+08", d.year, d.month, d.day, sod / 3600,
             sod / 60 % 60, sod % 60);
}

static int copy_in(PGconn *conn, const char *sql, const sbuf *b)
{
    PGresult *r = PQexec(conn, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        fprintf(stderr, PROG ": %s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    PQclear(r);
    size_t off = 0;
    while (off < b->len) {
        size_t n = b->len - off > (1 << 20) ? (1 << 20) : b->len - off;
        if (PQputCopyData(conn, b->s + off, (int)n) != 1) {
            fprintf(stderr, PROG ": COPY: %s", PQerrorMessage(conn));
            return -1;
        }
        off += n;
    }
    if (PQputCopyEnd(conn, NULL) != 1) {
        fprintf(stderr, PROG ": COPY: %s", PQerrorMessage(conn));
        return -1;
    }
    int rc = 0;
    while ((r = PQgetResult(conn)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, PROG ": COPY: %s", PQresultErrorMessage(r));
            rc = -1;
        }
        PQclear(r);
    }
    return rc;
}

static int cmp_batch_order(const void *a, const void *b, void *arg)
{
    const dbatch *x = *(const dbatch *const *)a, *y = *(const dbatch *const *)b;
    const catalogue *k = arg;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    int c = strcmp(k->ag[x->agency].code, k->ag[y->agency].code);
    if (c)
        return c;
    if (x->per.freq != y->per.freq)
        return (int)x->per.freq - (int)y->per.freq;
    c = rci_period_cmp(&x->per, &y->per);
    return c ? c : x->correction - y->correction;
}

static void request_id(const catalogue *k, const dbatch *b, char *out, size_t outlen)
{
    char ptext[RCI_PERIOD_TEXT_MAX];
    rci_period_format(&b->per, ptext, sizeof ptext);
    snprintf(out, outlen, REQUEST_PREFIX "%s/%s%s", k->ag[b->agency].code, ptext,
             b->correction ? "/fix" : "");
}

static int write_plan(PGconn *conn, const catalogue *k, plan *p, long long *cells_written,
                      long long *revisions_written, long long *batches_written)
{
    /* Commit order: batch ids follow committed_at. */
    dbatch **order = malloc((size_t)(p->nbatch ? p->nbatch : 1) * sizeof *order);
    if (!order)
        return -1;
    for (int i = 0; i < p->nbatch; i++)
        order[i] = &p->batch[i];
    qsort_r(order, (size_t)p->nbatch, sizeof *order, cmp_batch_order, (void *)k);
    for (int i = 0; i < p->nbatch; i++)
        order[i]->k = i + 1;
    free(order);

    sbuf bb = {0}, vb = {0};
    for (int i = 0; i < p->nbatch; i++) {
        const dbatch *b = &p->batch[i];
        char rid[160], at[32];
        request_id(k, b, rid, sizeof rid);
        format_instant(b->at, at);
        sb_printf(&bb, "%d\t%s\t%s\t", b->k, k->ag[b->agency].code, rid);
        sb_copy_text(&bb, b->reason);
        sb_printf(&bb, "\t%s\n", at);
    }
    for (int i = 0; i < p->ncell; i++) {
        const dcell *c = &p->cell[i];
        if (c->missing)
            continue;
        char ptext[RCI_PERIOD_TEXT_MAX], end[RCI_DATE_TEXT_MAX];
        rci_period_format(&c->per, ptext, sizeof ptext);
        rci_date_format(rci_period_last_day(&c->per), end, sizeof end);
        const char *ind = k->ind[c->ind].code, *reg = cities[c->city].code;
        int corrected = c->first[0] != '\0';
        sb_printf(&vb, "%d\t%s\t%s\t%s\t%s\t1\t%s\t", p->batch[c->batch].k, ind, reg, ptext, end,
                  corrected ? c->first : c->value);
        sb_copy_text(&vb, c->note);
        sb_printf(&vb, "\t%s\n", corrected ? "f" : "t");
        if (corrected) {
            sb_printf(&vb, "%d\t%s\t%s\t%s\t%s\t2\t%s\t", p->batch[c->fix].k, ind, reg, ptext, end,
                      c->value);
            sb_copy_text(&vb, c->note);
            sb_printf(&vb, "\tt\n");
        }
    }
    int rc = -1;
    if (bb.oom || vb.oom) {
        fputs(PROG ": out of memory\n", stderr);
        goto out;
    }
    if (exec_ok(conn, "CREATE TEMP TABLE demo_batch (k int PRIMARY KEY, agency text NOT NULL,\n"
                      "    request_id text NOT NULL UNIQUE, reason text NOT NULL,\n"
                      "    committed_at timestamptz NOT NULL, id bigint) ON COMMIT DROP") < 0 ||
        exec_ok(conn, "CREATE TEMP TABLE demo_value (k int NOT NULL, indicator text NOT NULL,\n"
                      "    region text NOT NULL, period text NOT NULL, period_end date NOT NULL,\n"
                      "    revision int NOT NULL, value numeric NOT NULL, note text NOT NULL,\n"
                      "    last boolean NOT NULL) ON COMMIT DROP") < 0 ||
        copy_in(conn, "COPY demo_batch (k, agency, request_id, reason, committed_at) FROM STDIN",
                &bb) < 0 ||
        copy_in(conn, "COPY demo_value FROM STDIN", &vb) < 0 ||
        exec_ok(conn, "ANALYZE demo_batch") < 0 || exec_ok(conn, "ANALYZE demo_value") < 0)
        goto out;

    /* Batches in commit order, then the cells (unless an agency already
     * pushed that cell: its value stays) and their revisions. */
    if (exec_ok(conn,
                "WITH ins AS (\n"
                "    INSERT INTO batches (agency_code, token_id, request_id, reason, override_lock,\n"
                "                         peer, committed_at)\n"
                "    SELECT agency, NULL, request_id, reason, false, 'local', committed_at\n"
                "      FROM demo_batch ORDER BY k\n"
                "    RETURNING id, request_id)\n"
                "UPDATE demo_batch d SET id = ins.id FROM ins WHERE d.request_id = ins.request_id") <
        0)
        goto out;
    PGresult *r = query(
        conn,
        "WITH fb AS (\n"
        "    SELECT v.indicator, v.region, v.period, b.id AS first_id\n"
        "      FROM demo_value v JOIN demo_batch b ON b.k = v.k WHERE v.revision = 1\n"
        "), c AS (\n"
        "    INSERT INTO cells (indicator_code, region_code, period, period_end, revision, value,\n"
        "                       note, batch_id, first_batch_id)\n"
        "    SELECT v.indicator, v.region, v.period, v.period_end, v.revision, v.value, v.note,\n"
        "           b.id, fb.first_id\n"
        "      FROM demo_value v\n"
        "      JOIN demo_batch b ON b.k = v.k\n"
        "      JOIN fb ON fb.indicator = v.indicator AND fb.region = v.region\n"
        "             AND fb.period = v.period\n"
        "     WHERE v.last\n"
        "     ORDER BY v.indicator, v.region, v.period\n"
        "    ON CONFLICT DO NOTHING\n"
        "    RETURNING indicator_code, region_code, period\n"
        "), r AS (\n"
        "    INSERT INTO revisions (indicator_code, region_code, period, revision, value, note,\n"
        "                           batch_id)\n"
        "    SELECT v.indicator, v.region, v.period, v.revision, v.value, v.note, b.id\n"
        "      FROM demo_value v\n"
        "      JOIN demo_batch b ON b.k = v.k\n"
        "      JOIN c ON c.indicator_code = v.indicator AND c.region_code = v.region\n"
        "            AND c.period = v.period\n"
        "    RETURNING 1\n"
        ")\n"
        "SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM r)",
        0, NULL);
    if (!r)
        goto out;
    *cells_written = atoll(PQgetvalue(r, 0, 0));
    *revisions_written = atoll(PQgetvalue(r, 0, 1));
    PQclear(r);
    /* A batch all of whose cells an agency had already pushed. */
    r = query(conn,
              "DELETE FROM batches b USING demo_batch d\n"
              " WHERE b.id = d.id AND NOT EXISTS (SELECT 1 FROM revisions r WHERE r.batch_id = b.id)",
              0, NULL);
    if (!r)
        goto out;
    *batches_written = p->nbatch - atoll(PQcmdTuples(r));
    PQclear(r);
    rc = 0;
out:
    free(bb.s);
    free(vb.s);
    return rc;
}

/* Delete what earlier demo loads wrote; a cell an agency revised since
 * keeps its other revisions. Counts go to the out arguments. */
static int delete_demo(PGconn *conn, long long *batches, long long *cells, long long *revisions)
{
    static const char *const steps_sql[] = {
        "CREATE TEMP TABLE demo_old ON COMMIT DROP AS\n"
        "SELECT id FROM batches WHERE token_id IS NULL AND request_id LIKE 'demo/%'",
        "DELETE FROM revisions r USING demo_old o WHERE r.batch_id = o.id",
        "DELETE FROM cells c\n"
        " WHERE (c.batch_id IN (SELECT id FROM demo_old)\n"
        "        OR c.first_batch_id IN (SELECT id FROM demo_old))\n"
        "   AND NOT EXISTS (SELECT 1 FROM revisions r WHERE r.indicator_code = c.indicator_code\n"
        "                   AND r.region_code = c.region_code AND r.period = c.period)",
        "UPDATE cells c SET (revision, value, note, batch_id) =\n"
        "       (SELECT r.revision, r.value, r.note, r.batch_id FROM revisions r\n"
        "         WHERE r.indicator_code = c.indicator_code AND r.region_code = c.region_code\n"
        "           AND r.period = c.period ORDER BY r.revision DESC LIMIT 1)\n"
        " WHERE c.batch_id IN (SELECT id FROM demo_old)",
        "UPDATE cells c SET first_batch_id =\n"
        "       (SELECT r.batch_id FROM revisions r\n"
        "         WHERE r.indicator_code = c.indicator_code AND r.region_code = c.region_code\n"
        "           AND r.period = c.period ORDER BY r.revision LIMIT 1)\n"
        " WHERE c.first_batch_id IN (SELECT id FROM demo_old)",
        "DELETE FROM push_requests WHERE batch_id IN (SELECT id FROM demo_old)",
        "DELETE FROM batches WHERE id IN (SELECT id FROM demo_old)",
    };
    long long *counts[] = {NULL, revisions, cells, NULL, NULL, NULL, batches};
    for (size_t i = 0; i < sizeof steps_sql / sizeof steps_sql[0]; i++) {
        PGresult *r = query(conn, steps_sql[i], 0, NULL);
        if (!r)
            return -1;
        if (counts[i])
            *counts[i] = atoll(PQcmdTuples(r));
        PQclear(r);
    }
    return 0;
}

static void os_user(char *out, size_t outlen)
{
    struct passwd *pw = getpwuid(geteuid());
    size_t k = 0;
    for (const char *p = pw ? pw->pw_name : ""; *p && k + 1 < outlen; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '.' || *p == '_' || *p == '-')
            out[k++] = *p;
    out[k] = '\0';
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The whole load, in the transaction the caller opened. */
static int load(PGconn *conn, const demo_args *d, rci_period until, int months,
                const char *window)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    /* One demo load at a time; then: is the demo data already there? */
    if (exec_ok(conn, "SELECT pg_advisory_xact_lock(hashtext('rcid demo'))") < 0)
        return EXIT_FAILED;
    PGresult *r = query(conn,
                        "SELECT count(DISTINCT b.id), count(r.*),\n"
                        "       coalesce(min(r.period) FILTER (WHERE r.period ~ '^[0-9]{4}-[0-9]{2}$'), ''),\n"
                        "       coalesce(max(r.period) FILTER (WHERE r.period ~ '^[0-9]{4}-[0-9]{2}$'), '')\n"
                        "  FROM batches b LEFT JOIN revisions r ON r.batch_id = b.id\n"
                        " WHERE b.token_id IS NULL AND b.request_id LIKE 'demo/%'",
                        0, NULL);
    if (!r)
        return EXIT_FAILED;
    long long old_batches = atoll(PQgetvalue(r, 0, 0)), old_revisions = atoll(PQgetvalue(r, 0, 1));
    char old_window[64];
    snprintf(old_window, sizeof old_window, "%s..%s", PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3));
    PQclear(r);
    long long del_batches = 0, del_cells = 0, del_revisions = 0, del_air = 0, del_water = 0;
    if (old_batches > 0 && !d->replace) {
        fprintf(stderr,
                PROG ": the demo data is already loaded (%lld batches, %lld revisions, months "
                "%s); nothing written (--replace loads it again)\n",
                old_batches, old_revisions, old_window);
        return EXIT_DONE;
    }
    if (old_batches > 0 && (delete_demo(conn, &del_batches, &del_cells, &del_revisions) < 0 ||
                            demo_air_delete(conn, &del_air) < 0 ||
                            demo_water_delete(conn, &del_water) < 0))
        return EXIT_FAILED;

    catalogue k;
    plan p;
    memset(&p, 0, sizeof p);
    int rc = EXIT_FAILED;
    if (read_catalogue(conn, &k) < 0) {
        fputs(PROG ": cannot read the catalogue, agencies or calendar\n", stderr);
        goto out;
    }
    if (k.nind == 0) {
        fputs(PROG ": the catalogue has none of the starter indicators the demo knows\n", stderr);
        goto out;
    }
    if (make_plan(&k, until, months, &p) < 0) {
        fputs(PROG ": cannot generate the demo data (out of memory or a bad window)\n", stderr);
        goto out;
    }
    long long cells_written = 0, revisions_written = 0, batches_written = 0;
    if (write_plan(conn, &k, &p, &cells_written, &revisions_written, &batches_written) < 0)
        goto out;
    /* The daily air data behind the monthly air figures just written
     * (demo_air.c), through the write path of PushAirDays. */
    rci_period first_month;
    char first_day[RCI_DATE_TEXT_MAX], last_day[RCI_DATE_TEXT_MAX];
    demo_air_counts air;
    if (rci_period_add(&until, -(months - 1), &first_month) < 0)
        goto out;
    rci_date_format(rci_period_first_day(&first_month), first_day, sizeof first_day);
    rci_date_format(rci_period_last_day(&until), last_day, sizeof last_day);
    if (demo_air_load(conn, first_day, last_day, window, &air) < 0)
        goto out;
    /* The monthly samples of the river sections (demo_water.c), through
     * the write path of PushSamples, with the alerts they raise. */
    char first_text[RCI_PERIOD_TEXT_MAX], last_text[RCI_PERIOD_TEXT_MAX];
    demo_water_counts water;
    rci_period_format(&first_month, first_text, sizeof first_text);
    rci_period_format(&until, last_text, sizeof last_text);
    if (demo_water_load(conn, first_text, last_text, window, &water) < 0)
        goto out;

    /* The audit row, then the commit-order lock as every writer takes it. */
    char user[64], detail[1024], rid[64];
    os_user(user, sizeof user);
    snprintf(rid, sizeof rid, REQUEST_PREFIX "%s", window);
    snprintf(detail, sizeof detail,
             "{\"via\": \"rcid demo\", \"os_uid\": %u, \"os_user\": \"%s\", \"window\": \"%s\", "
             "\"months\": %d, \"cells\": %lld, \"revisions\": %lld, \"batches\": %lld, "
             "\"late_reports\": %d, \"corrections\": %d, \"missing\": %d, "
             "\"replaced\": {\"batches\": %lld, \"cells\": %lld, \"revisions\": %lld}}",
             (unsigned)geteuid(), user, window, months, cells_written, revisions_written,
             batches_written, p.late_reports, p.corrections, p.missing, del_batches, del_cells,
             del_revisions);
    const char *ap[2] = {rid, detail};
    r = query(conn, "SELECT rci_audit(NULL, NULL, 'demo.load', $1, 'local', $2::jsonb)", 2, ap);
    if (!r)
        goto out;
    PQclear(r);
    if (exec_ok(conn, "SELECT pg_advisory_xact_lock(rci_commit_lock_key())") < 0 ||
        exec_ok(conn, "COMMIT") < 0)
        goto out;

    double secs = seconds_since(&t0);
    if (del_batches)
        fprintf(stderr, PROG ": replaced the earlier demo data (%lld batches, %lld cells, %lld "
                "revisions deleted)\n", del_batches, del_cells, del_revisions);
    fprintf(stderr,
            PROG ": loaded months %s (%d) for %d cities x %d indicators in %.1f s:\n"
            PROG ":   %lld cells, %lld revisions (%d corrected later), %lld batches (%d reports + "
            "%d corrections)\n"
            PROG ":   late: %d reports (%d cells) after their due date; missing: %d cells never "
            "reported\n",
            window, months, NCITIES, k.nind, secs, cells_written, revisions_written, p.corrected,
            batches_written, p.reports, p.corrections, p.late_reports, p.late_cells, p.missing);
    fprintf(stderr,
            PROG ":   air: %lld daily records for %d cities (%lld city-months; %lld left "
            "without days)\n", air.days, air.cities, air.months, air.skipped);
    fprintf(stderr,
            PROG ":   water: %lld samples for %d sections (%lld official, %lld joint pairs); "
            "%lld off-target months; %lld joint discrepancies; %lld alerts raised\n",
            water.samples, water.sections, water.official, water.joint, water.off_target,
            water.discrepancies, water.alerts);
    if (water.kept)
        fprintf(stderr, PROG ":   kept %lld section-months that already had water samples\n",
                water.kept);
    if (del_air)
        fprintf(stderr, PROG ":   replaced %lld earlier demo air days\n", del_air);
    if (del_water)
        fprintf(stderr, PROG ":   replaced %lld earlier demo water samples\n", del_water);
    if (cells_written < p.ncell - p.missing)
        fprintf(stderr, PROG ":   kept %lld cells agencies had already pushed\n",
                (long long)(p.ncell - p.missing) - cells_written);
    if (k.skipped[0])
        fprintf(stderr, PROG ":   no demo model for (skipped): %s\n", k.skipped);
    if (p.last_at > (long long)time(NULL))
        fprintf(stderr, PROG ": note: the newest reports are dated after now; reads as of now "
                "do not see them yet\n");
    rc = EXIT_DONE;
out:
    plan_free(&p);
    catalogue_free(&k);
    return rc;
}

int rcid_demo_main(int argc, char **argv)
{
    demo_args d;
    int rc = parse_args(argc, argv, &d);
    if (rc == PARSED_HELP)
        return EXIT_DONE;
    if (rc != 0)
        return rc;
    rci_period until;
    char why[200];
    if (rci_period_parse(RCI_FREQ_MONTHLY, d.until ? d.until : DEFAULT_UNTIL, &until, why,
                         sizeof why) < 0)
        return usage_error("--until \"%s\": %s", d.until ? d.until : DEFAULT_UNTIL, why);
    int months = DEFAULT_MONTHS;
    if (d.months) {
        char *end;
        long m = strtol(d.months, &end, 10);
        if (end == d.months || *end || m < 1 || m > MAX_MONTHS)
            return usage_error("--months \"%s\": a number of months, 1..%d", d.months, MAX_MONTHS);
        months = (int)m;
    }
    rci_period first;
    if (rci_period_add(&until, -(months - 1), &first) < 0)
        return usage_error("--months %d before --until %s leaves the years %d..%d", months,
                           d.until ? d.until : DEFAULT_UNTIL, RCI_PERIOD_YEAR_MIN,
                           RCI_PERIOD_YEAR_MAX);
    char window[2 * RCI_PERIOD_TEXT_MAX + 4], a[RCI_PERIOD_TEXT_MAX], b[RCI_PERIOD_TEXT_MAX];
    rci_period_format(&first, a, sizeof a);
    rci_period_format(&until, b, sizeof b);
    snprintf(window, sizeof window, "%s..%s", a, b);

    rci_config cfg;
    if (rcid_localdb_settings(PROG, d.config, d.database, d.data_dir, &cfg) < 0)
        return EXIT_USAGE;
    rcid_localdb db = {0};
    rc = EXIT_FAILED;
    if (rcid_localdb_open(&db, PROG, &cfg, NULL) == 0) {
        if (exec_ok(db.conn, "BEGIN") == 0) {
            rc = load(db.conn, &d, until, months, window);
            if (PQtransactionStatus(db.conn) != PQTRANS_IDLE)
                PQclear(PQexec(db.conn, "ROLLBACK"));
        }
    }
    rcid_localdb_close(&db);
    rci_config_free(&cfg);
    return rc;
}
