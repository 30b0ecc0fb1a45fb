/* test_calendar.c: unit tests for indicators/calendar.c — the weekday rule,
 * special days, stepping and counting working days, due dates, and the
 * 2016–2026 holiday calendar of shared/reference/calendar-population-
 * sections.md §1 with its test vectors. The due dates of all 132 months of
 * 2016–2026 were computed by a separate script from another dataset
 * (LKI/chinese-calendar 1.11.0, chinese_calendar/constants.py, the
 * reference's [H3]), so the block, this code and that dataset must agree.
 * The migration that seeds calendar_days (0005) is checked row by row
 * against the block. */
#include "indicators/calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static char why[256];

static rci_date D(int y, int m, int d)
{
    rci_date r = {y, m, d};
    return r;
}

/* "YYYY-MM-DD" → date; aborts on a typo in the test itself. */
static rci_date T(const char *s)
{
    rci_date d;
    char tail;
    if (sscanf(s, "%4d-%2d-%2d%c", &d.year, &d.month, &d.day, &tail) != 3 || !rci_date_valid(d)) {
        fprintf(stderr, "bad test date %s\n", s);
        abort();
    }
    return d;
}

static const char *fmt(rci_date d)
{
    static char b[4][RCI_DATE_TEXT_MAX];
    static int i;
    i = (i + 1) % 4;
    if (rci_date_format(d, b[i], sizeof b[i]) < 0)
        return "(invalid)";
    return b[i];
}

/* The date n working days after (or before) s, as text. */
static const char *add(const rci_cal *cal, const char *s, int n)
{
    rci_date out;
    if (rci_cal_add_working_days(cal, T(s), n, &out) != 0)
        return "(none)";
    return fmt(out);
}

static const char *due(const rci_cal *cal, rci_freq f, const char *period, int n)
{
    rci_period p;
    rci_date out;
    if (rci_period_parse(f, period, &p, why, sizeof why) != 0) {
        fprintf(stderr, "bad test period %s: %s\n", period, why);
        abort();
    }
    if (rci_cal_due_date(cal, &p, n, &out) != 0)
        return "(none)";
    return fmt(out);
}

/* ---- the reference data ---------------------------------------------------- */

/* shared/reference/calendar-population-sections.md §1, the machine-readable
 * block, verbatim. */
static const char *const reference_block[] = {
    "2016-01-01..2016-01-03 holiday NewYear",
    "2016-02-06 workday makeup",
    "2016-02-07..2016-02-13 holiday SpringFestival",
    "2016-02-14 workday makeup",
    "2016-04-02..2016-04-04 holiday Qingming",
    "2016-05-01..2016-05-02 holiday LabourDay",
    "2016-06-09..2016-06-11 holiday DragonBoat",
    "2016-06-12 workday makeup",
    "2016-09-15..2016-09-17 holiday MidAutumn",
    "2016-09-18 workday makeup",
    "2016-10-01..2016-10-07 holiday NationalDay",
    "2016-10-08 workday makeup",
    "2016-10-09 workday makeup",
    "2017-01-01..2017-01-02 holiday NewYear",
    "2017-01-22 workday makeup",
    "2017-01-27..2017-02-02 holiday SpringFestival",
    "2017-02-04 workday makeup",
    "2017-04-01 workday makeup",
    "2017-04-02..2017-04-04 holiday Qingming",
    "2017-04-29..2017-05-01 holiday LabourDay",
    "2017-05-27 workday makeup",
    "2017-05-28..2017-05-30 holiday DragonBoat",
    "2017-09-30 workday makeup",
    "2017-10-01..2017-10-08 holiday NationalDay+MidAutumn",
    "2017-12-30..2018-01-01 holiday NewYear",
    "2018-02-11 workday makeup",
    "2018-02-15..2018-02-21 holiday SpringFestival",
    "2018-02-24 workday makeup",
    "2018-04-05..2018-04-07 holiday Qingming",
    "2018-04-08 workday makeup",
    "2018-04-28 workday makeup",
    "2018-04-29..2018-05-01 holiday LabourDay",
    "2018-06-16..2018-06-18 holiday DragonBoat",
    "2018-09-22..2018-09-24 holiday MidAutumn",
    "2018-09-29 workday makeup",
    "2018-09-30 workday makeup",
    "2018-10-01..2018-10-07 holiday NationalDay",
    "2018-12-29 workday makeup",
    "2018-12-30..2019-01-01 holiday NewYear",
    "2019-02-02 workday makeup",
    "2019-02-03 workday makeup",
    "2019-02-04..2019-02-10 holiday SpringFestival",
    "2019-04-05..2019-04-07 holiday Qingming",
    "2019-04-28 workday makeup",
    "2019-05-01..2019-05-04 holiday LabourDay",
    "2019-05-05 workday makeup",
    "2019-06-07..2019-06-09 holiday DragonBoat",
    "2019-09-13..2019-09-15 holiday MidAutumn",
    "2019-09-29 workday makeup",
    "2019-10-01..2019-10-07 holiday NationalDay",
    "2019-10-12 workday makeup",
    "2020-01-01..2020-01-01 holiday NewYear",
    "2020-01-19 workday makeup",
    "2020-01-24..2020-02-02 holiday SpringFestival",
    "2020-04-04..2020-04-06 holiday Qingming",
    "2020-04-26 workday makeup",
    "2020-05-01..2020-05-05 holiday LabourDay",
    "2020-05-09 workday makeup",
    "2020-06-25..2020-06-27 holiday DragonBoat",
    "2020-06-28 workday makeup",
    "2020-09-27 workday makeup",
    "2020-10-01..2020-10-08 holiday NationalDay+MidAutumn",
    "2020-10-10 workday makeup",
    "2021-01-01..2021-01-03 holiday NewYear",
    "2021-02-07 workday makeup",
    "2021-02-11..2021-02-17 holiday SpringFestival",
    "2021-02-20 workday makeup",
    "2021-04-03..2021-04-05 holiday Qingming",
    "2021-04-25 workday makeup",
    "2021-05-01..2021-05-05 holiday LabourDay",
    "2021-05-08 workday makeup",
    "2021-06-12..2021-06-14 holiday DragonBoat",
    "2021-09-18 workday makeup",
    "2021-09-19..2021-09-21 holiday MidAutumn",
    "2021-09-26 workday makeup",
    "2021-10-01..2021-10-07 holiday NationalDay",
    "2021-10-09 workday makeup",
    "2022-01-01..2022-01-03 holiday NewYear",
    "2022-01-29 workday makeup",
    "2022-01-30 workday makeup",
    "2022-01-31..2022-02-06 holiday SpringFestival",
    "2022-04-02 workday makeup",
    "2022-04-03..2022-04-05 holiday Qingming",
    "2022-04-24 workday makeup",
    "2022-04-30..2022-05-04 holiday LabourDay",
    "2022-05-07 workday makeup",
    "2022-06-03..2022-06-05 holiday DragonBoat",
    "2022-09-10..2022-09-12 holiday MidAutumn",
    "2022-10-01..2022-10-07 holiday NationalDay",
    "2022-10-08 workday makeup",
    "2022-10-09 workday makeup",
    "2022-12-31..2023-01-02 holiday NewYear",
    "2023-01-21..2023-01-27 holiday SpringFestival",
    "2023-01-28 workday makeup",
    "2023-01-29 workday makeup",
    "2023-04-05..2023-04-05 holiday Qingming",
    "2023-04-23 workday makeup",
    "2023-04-29..2023-05-03 holiday LabourDay",
    "2023-05-06 workday makeup",
    "2023-06-22..2023-06-24 holiday DragonBoat",
    "2023-06-25 workday makeup",
    "2023-09-29..2023-10-06 holiday NationalDay+MidAutumn",
    "2023-10-07 workday makeup",
    "2023-10-08 workday makeup",
    "2023-12-30..2024-01-01 holiday NewYear",
    "2024-02-04 workday makeup",
    "2024-02-10..2024-02-17 holiday SpringFestival",
    "2024-02-18 workday makeup",
    "2024-04-04..2024-04-06 holiday Qingming",
    "2024-04-07 workday makeup",
    "2024-04-28 workday makeup",
    "2024-05-01..2024-05-05 holiday LabourDay",
    "2024-05-11 workday makeup",
    "2024-06-08..2024-06-10 holiday DragonBoat",
    "2024-09-14 workday makeup",
    "2024-09-15..2024-09-17 holiday MidAutumn",
    "2024-09-29 workday makeup",
    "2024-10-01..2024-10-07 holiday NationalDay",
    "2024-10-12 workday makeup",
    "2025-01-01..2025-01-01 holiday NewYear",
    "2025-01-26 workday makeup",
    "2025-01-28..2025-02-04 holiday SpringFestival",
    "2025-02-08 workday makeup",
    "2025-04-04..2025-04-06 holiday Qingming",
    "2025-04-27 workday makeup",
    "2025-05-01..2025-05-05 holiday LabourDay",
    "2025-05-31..2025-06-02 holiday DragonBoat",
    "2025-09-28 workday makeup",
    "2025-10-01..2025-10-08 holiday NationalDay+MidAutumn",
    "2025-10-11 workday makeup",
    "2026-01-01..2026-01-03 holiday NewYear",
    "2026-01-04 workday makeup",
    "2026-02-14 workday makeup",
    "2026-02-15..2026-02-23 holiday SpringFestival",
    "2026-02-28 workday makeup",
    "2026-04-04..2026-04-06 holiday Qingming",
    "2026-05-01..2026-05-05 holiday LabourDay",
    "2026-05-09 workday makeup",
    "2026-06-19..2026-06-21 holiday DragonBoat",
    "2026-09-20 workday makeup",
    "2026-09-25..2026-09-27 holiday MidAutumn",
    "2026-10-01..2026-10-07 holiday NationalDay",
    "2026-10-10 workday makeup",
};

/* Due dates of every month of 2016–2026 (3 working days after month end),
 * computed from LKI/chinese-calendar's data, not from the block above. */
static const struct { const char *month, *due; } h3_monthly_due[] = {
    {"2016-01", "2016-02-03"}, {"2016-02", "2016-03-03"}, {"2016-03", "2016-04-06"},
    {"2016-04", "2016-05-05"}, {"2016-05", "2016-06-03"}, {"2016-06", "2016-07-05"},
    {"2016-07", "2016-08-03"}, {"2016-08", "2016-09-05"}, {"2016-09", "2016-10-10"},
    {"2016-10", "2016-11-03"}, {"2016-11", "2016-12-05"}, {"2016-12", "2017-01-05"},
    {"2017-01", "2017-02-06"}, {"2017-02", "2017-03-03"}, {"2017-03", "2017-04-06"},
    {"2017-04", "2017-05-04"}, {"2017-05", "2017-06-05"}, {"2017-06", "2017-07-05"},
    {"2017-07", "2017-08-03"}, {"2017-08", "2017-09-05"}, {"2017-09", "2017-10-11"},
    {"2017-10", "2017-11-03"}, {"2017-11", "2017-12-05"}, {"2017-12", "2018-01-04"},
    {"2018-01", "2018-02-05"}, {"2018-02", "2018-03-05"}, {"2018-03", "2018-04-04"},
    {"2018-04", "2018-05-04"}, {"2018-05", "2018-06-05"}, {"2018-06", "2018-07-04"},
    {"2018-07", "2018-08-03"}, {"2018-08", "2018-09-05"}, {"2018-09", "2018-10-10"},
    {"2018-10", "2018-11-05"}, {"2018-11", "2018-12-05"}, {"2018-12", "2019-01-04"},
    {"2019-01", "2019-02-03"}, {"2019-02", "2019-03-05"}, {"2019-03", "2019-04-03"},
    {"2019-04", "2019-05-07"}, {"2019-05", "2019-06-05"}, {"2019-06", "2019-07-03"},
    {"2019-07", "2019-08-05"}, {"2019-08", "2019-09-04"}, {"2019-09", "2019-10-10"},
    {"2019-10", "2019-11-05"}, {"2019-11", "2019-12-04"}, {"2019-12", "2020-01-06"},
    {"2020-01", "2020-02-05"}, {"2020-02", "2020-03-04"}, {"2020-03", "2020-04-03"},
    {"2020-04", "2020-05-08"}, {"2020-05", "2020-06-03"}, {"2020-06", "2020-07-03"},
    {"2020-07", "2020-08-05"}, {"2020-08", "2020-09-03"}, {"2020-09", "2020-10-12"},
    {"2020-10", "2020-11-04"}, {"2020-11", "2020-12-03"}, {"2020-12", "2021-01-06"},
    {"2021-01", "2021-02-03"}, {"2021-02", "2021-03-03"}, {"2021-03", "2021-04-06"},
    {"2021-04", "2021-05-08"}, {"2021-05", "2021-06-03"}, {"2021-06", "2021-07-05"},
    {"2021-07", "2021-08-04"}, {"2021-08", "2021-09-03"}, {"2021-09", "2021-10-11"},
    {"2021-10", "2021-11-03"}, {"2021-11", "2021-12-03"}, {"2021-12", "2022-01-06"},
    {"2022-01", "2022-02-09"}, {"2022-02", "2022-03-03"}, {"2022-03", "2022-04-06"},
    {"2022-04", "2022-05-07"}, {"2022-05", "2022-06-06"}, {"2022-06", "2022-07-05"},
    {"2022-07", "2022-08-03"}, {"2022-08", "2022-09-05"}, {"2022-09", "2022-10-10"},
    {"2022-10", "2022-11-03"}, {"2022-11", "2022-12-05"}, {"2022-12", "2023-01-05"},
    {"2023-01", "2023-02-03"}, {"2023-02", "2023-03-03"}, {"2023-03", "2023-04-06"},
    {"2023-04", "2023-05-06"}, {"2023-05", "2023-06-05"}, {"2023-06", "2023-07-05"},
    {"2023-07", "2023-08-03"}, {"2023-08", "2023-09-05"}, {"2023-09", "2023-10-09"},
    {"2023-10", "2023-11-03"}, {"2023-11", "2023-12-05"}, {"2023-12", "2024-01-04"},
    {"2024-01", "2024-02-04"}, {"2024-02", "2024-03-05"}, {"2024-03", "2024-04-03"},
    {"2024-04", "2024-05-08"}, {"2024-05", "2024-06-05"}, {"2024-06", "2024-07-03"},
    {"2024-07", "2024-08-05"}, {"2024-08", "2024-09-04"}, {"2024-09", "2024-10-10"},
    {"2024-10", "2024-11-05"}, {"2024-11", "2024-12-04"}, {"2024-12", "2025-01-06"},
    {"2025-01", "2025-02-07"}, {"2025-02", "2025-03-05"}, {"2025-03", "2025-04-03"},
    {"2025-04", "2025-05-08"}, {"2025-05", "2025-06-05"}, {"2025-06", "2025-07-03"},
    {"2025-07", "2025-08-05"}, {"2025-08", "2025-09-03"}, {"2025-09", "2025-10-11"},
    {"2025-10", "2025-11-05"}, {"2025-11", "2025-12-03"}, {"2025-12", "2026-01-06"},
    {"2026-01", "2026-02-04"}, {"2026-02", "2026-03-04"}, {"2026-03", "2026-04-03"},
    {"2026-04", "2026-05-08"}, {"2026-05", "2026-06-03"}, {"2026-06", "2026-07-03"},
    {"2026-07", "2026-08-05"}, {"2026-08", "2026-09-03"}, {"2026-09", "2026-10-10"},
    {"2026-10", "2026-11-04"}, {"2026-11", "2026-12-03"}, {"2026-12", "2027-01-05"},
};

/* Working days per year 2016–2026, from the same dataset. */
static const int h3_working_days[] = {250, 249, 250, 250, 249, 250, 249, 249, 251, 248, 248};

#define NBLOCK (sizeof reference_block / sizeof reference_block[0])

/* Expand the block into special days (holiday ranges day by day). Returns
 * the count; *ranges and *makeups count the lines of each kind. */
static size_t expand_block(rci_cal_day *out, size_t cap, int *ranges, int *makeups)
{
    size_t n = 0;
    *ranges = *makeups = 0;
    for (size_t i = 0; i < NBLOCK; i++) {
        const char *l = reference_block[i];
        char a[11], b[11], name[40];
        if (sscanf(l, "%10[0-9-]..%10[0-9-] holiday %39s", a, b, name) == 3) {
            (*ranges)++;
            for (int32_t d = rci_date_to_days(T(a)); d <= rci_date_to_days(T(b)); d++) {
                if (n == cap)
                    abort();
                out[n].date = rci_date_from_days(d);
                out[n++].working = 0;
            }
        } else if (sscanf(l, "%10[0-9-] workday %39s", a, name) == 2 &&
                   strcmp(name, "makeup") == 0) {
            (*makeups)++;
            if (n == cap)
                abort();
            out[n].date = T(a);
            out[n++].working = 1;
        } else {
            fprintf(stderr, "unreadable block line: %s\n", l);
            abort();
        }
    }
    return n;
}

static rci_cal_day block_days[1000];
static size_t nblock_days;

static rci_cal *reference_calendar(void)
{
    int ranges, makeups;
    nblock_days = expand_block(block_days, sizeof block_days / sizeof block_days[0], &ranges,
                               &makeups);
    rci_cal *cal = rci_cal_new(block_days, nblock_days, why, sizeof why);
    if (!cal) {
        fprintf(stderr, "reference calendar: %s\n", why);
        abort();
    }
    return cal;
}

static void test_block_counts(void)
{
    int ranges, makeups;
    size_t n = expand_block(block_days, sizeof block_days / sizeof block_days[0], &ranges,
                            &makeups);
    CHECK(NBLOCK == 143);
    CHECK(ranges == 73);
    CHECK(makeups == 70); /* the reference's table: 6+5+6+7+6+7+7+7+8+5+6 */
    CHECK(n == 395);      /* 325 holiday days + 70 make-up days */
    rci_cal *cal = rci_cal_new(block_days, n, why, sizeof why);
    CHECK(cal != NULL);
    CHECK(cal && rci_cal_special_count(cal) == 395); /* no date twice */
    /* every make-up day is a Saturday or Sunday */
    int weekday_makeup = 0;
    for (size_t i = 0; i < n; i++)
        if (block_days[i].working && rci_date_weekday(block_days[i].date) < 6)
            weekday_makeup++;
    CHECK(weekday_makeup == 0);
    rci_cal_free(cal);
}

static void test_reference_vectors(void)
{
    rci_cal *cal = reference_calendar();
    /* the four in the reference */
    CHECK_STR(add(cal, "2020-01-31", 3), "2020-02-05"); /* 02-01 is not a make-up day */
    CHECK_STR(add(cal, "2023-09-30", 3), "2023-10-09"); /* 10-07, 10-08 count */
    CHECK_STR(add(cal, "2025-04-30", 3), "2025-05-08");
    CHECK_STR(add(cal, "2026-02-28", 3), "2026-03-04");
    CHECK_STR(due(cal, RCI_FREQ_MONTHLY, "2020-01", RCI_CAL_DUE_DEFAULT), "2020-02-05");
    CHECK_STR(due(cal, RCI_FREQ_MONTHLY, "2023-09", RCI_CAL_DUE_DEFAULT), "2023-10-09");
    CHECK_STR(due(cal, RCI_FREQ_MONTHLY, "2025-04", RCI_CAL_DUE_DEFAULT), "2025-05-08");
    CHECK_STR(due(cal, RCI_FREQ_MONTHLY, "2026-02", RCI_CAL_DUE_DEFAULT), "2026-03-04");
    /* the 2020 extension: 02-01 (Sat) and 02-02 (Sun) are off, not make-up */
    CHECK(!rci_cal_is_working(cal, T("2020-02-01")));
    CHECK(!rci_cal_is_working(cal, T("2020-02-02")));
    CHECK(rci_cal_is_working(cal, T("2020-01-19")));
    CHECK(rci_cal_is_working(cal, T("2020-02-03")));
    /* 2024's 除夕 (Friday 02-09) was only encouraged off: a working day */
    CHECK(rci_cal_is_working(cal, T("2024-02-09")));
    CHECK_STR(add(cal, "2024-02-09", 1), "2024-02-18"); /* Sunday make-up */
    /* a notice reaching into the previous December */
    CHECK(rci_cal_is_working(cal, T("2018-12-29")));
    CHECK(!rci_cal_is_working(cal, T("2018-12-31")));
    CHECK(!rci_cal_is_working(cal, T("2022-12-31")));
    CHECK(!rci_cal_is_working(cal, T("2023-01-02")));
    CHECK(!rci_cal_is_working(cal, T("2023-12-30")));
    /* the 2019 Labour Day change */
    CHECK(!rci_cal_is_working(cal, T("2019-05-02")));
    CHECK(!rci_cal_is_working(cal, T("2019-05-03")));
    CHECK(rci_cal_is_working(cal, T("2019-04-28")));
    CHECK(rci_cal_is_working(cal, T("2019-05-05")));
    rci_cal_free(cal);
}

static void test_h3_monthly_due_dates(void)
{
    rci_cal *cal = reference_calendar();
    size_t n = sizeof h3_monthly_due / sizeof h3_monthly_due[0];
    CHECK(n == 132);
    for (size_t i = 0; i < n; i++)
        CHECK_STR(due(cal, RCI_FREQ_MONTHLY, h3_monthly_due[i].month, RCI_CAL_DUE_DEFAULT),
                  h3_monthly_due[i].due);
    rci_cal_free(cal);
}

static void test_h3_working_days_per_year(void)
{
    rci_cal *cal = reference_calendar();
    for (int y = 2016; y <= 2026; y++) {
        long counted = rci_cal_count_working_days(cal, D(y - 1, 12, 31), D(y, 12, 31));
        int walked = 0;
        for (int32_t d = rci_date_to_days(D(y, 1, 1)); d <= rci_date_to_days(D(y, 12, 31)); d++)
            walked += rci_cal_is_working(cal, rci_date_from_days(d));
        CHECK(counted == h3_working_days[y - 2016]);
        CHECK(walked == h3_working_days[y - 2016]);
    }
    rci_cal_free(cal);
}

/* Vectors derived by hand from the block (and confirmed on [H3]). */
static void test_hand_vectors(void)
{
    rci_cal *cal = reference_calendar();
    /* quarterly, half-yearly, yearly: 3 working days, like months */
    CHECK_STR(due(cal, RCI_FREQ_QUARTERLY, "2024-Q3", RCI_CAL_DUE_DEFAULT), "2024-10-10");
    CHECK_STR(due(cal, RCI_FREQ_QUARTERLY, "2025-Q3", RCI_CAL_DUE_DEFAULT), "2025-10-11"); /* Sat */
    CHECK_STR(due(cal, RCI_FREQ_QUARTERLY, "2026-Q3", RCI_CAL_DUE_DEFAULT), "2026-10-10"); /* Sat */
    CHECK_STR(due(cal, RCI_FREQ_QUARTERLY, "2021-Q3", RCI_CAL_DUE_DEFAULT), "2021-10-11");
    CHECK_STR(due(cal, RCI_FREQ_QUARTERLY, "2020-Q1", RCI_CAL_DUE_DEFAULT), "2020-04-03");
    CHECK_STR(due(cal, RCI_FREQ_QUARTERLY, "2019-Q3", RCI_CAL_DUE_DEFAULT), "2019-10-10");
    CHECK_STR(due(cal, RCI_FREQ_HALF_YEARLY, "2025-H1", RCI_CAL_DUE_DEFAULT), "2025-07-03");
    CHECK_STR(due(cal, RCI_FREQ_HALF_YEARLY, "2020-H1", RCI_CAL_DUE_DEFAULT), "2020-07-03");
    CHECK_STR(due(cal, RCI_FREQ_HALF_YEARLY, "2026-H1", RCI_CAL_DUE_DEFAULT), "2026-07-03");
    CHECK_STR(due(cal, RCI_FREQ_HALF_YEARLY, "2022-H2", RCI_CAL_DUE_DEFAULT), "2023-01-05");
    CHECK_STR(due(cal, RCI_FREQ_YEARLY, "2016", RCI_CAL_DUE_DEFAULT), "2017-01-05");
    CHECK_STR(due(cal, RCI_FREQ_YEARLY, "2017", RCI_CAL_DUE_DEFAULT), "2018-01-04");
    CHECK_STR(due(cal, RCI_FREQ_YEARLY, "2018", RCI_CAL_DUE_DEFAULT), "2019-01-04");
    CHECK_STR(due(cal, RCI_FREQ_YEARLY, "2019", RCI_CAL_DUE_DEFAULT), "2020-01-06");
    CHECK_STR(due(cal, RCI_FREQ_YEARLY, "2023", RCI_CAL_DUE_DEFAULT), "2024-01-04");
    CHECK_STR(due(cal, RCI_FREQ_YEARLY, "2025", RCI_CAL_DUE_DEFAULT), "2026-01-06"); /* 01-04 Sun */
    /* daily: 1 working day */
    CHECK_STR(due(cal, RCI_FREQ_DAILY, "2024-09-13", RCI_CAL_DUE_DEFAULT), "2024-09-14"); /* Sat */
    CHECK_STR(due(cal, RCI_FREQ_DAILY, "2020-01-23", RCI_CAL_DUE_DEFAULT), "2020-02-03");
    CHECK_STR(due(cal, RCI_FREQ_DAILY, "2018-12-28", RCI_CAL_DUE_DEFAULT), "2018-12-29"); /* Sat */
    CHECK_STR(due(cal, RCI_FREQ_DAILY, "2026-02-13", RCI_CAL_DUE_DEFAULT), "2026-02-14"); /* Sat */
    CHECK_STR(due(cal, RCI_FREQ_DAILY, "2025-01-24", RCI_CAL_DUE_DEFAULT), "2025-01-26"); /* Sun */
    CHECK_STR(due(cal, RCI_FREQ_DAILY, "2025-01-27", RCI_CAL_DUE_DEFAULT), "2025-02-05");
    /* a parameter other than the default */
    CHECK_STR(due(cal, RCI_FREQ_MONTHLY, "2020-01", 10), "2020-02-14");
    CHECK_STR(due(cal, RCI_FREQ_MONTHLY, "2020-01", 0), "2020-01-31");
    CHECK_STR(due(cal, RCI_FREQ_MONTHLY, "2020-01", 1), "2020-02-03");
    CHECK_STR(due(cal, RCI_FREQ_DAILY, "2020-01-23", 3), "2020-02-05");
    CHECK_STR(due(cal, RCI_FREQ_MONTHLY, "2020-01", -2), "(none)");
    CHECK_STR(due(cal, RCI_FREQ_MONTHLY, "2020-01", RCI_CAL_MAX_STEP + 1), "(none)");
    /* backwards */
    CHECK_STR(add(cal, "2023-10-09", -3), "2023-09-28");
    CHECK_STR(add(cal, "2023-10-09", -1), "2023-10-08"); /* Sunday make-up */
    CHECK_STR(add(cal, "2020-02-03", -1), "2020-01-23");
    CHECK_STR(add(cal, "2020-02-05", -3), "2020-01-23");
    CHECK_STR(add(cal, "2020-02-05", -2), "2020-02-03");
    CHECK_STR(add(cal, "2024-02-18", -1), "2024-02-09");
    rci_cal_free(cal);
}

/* ---- the weekday rule and special days ------------------------------------ */

static void test_plain_calendar(void)
{
    rci_cal *cal = rci_cal_new(NULL, 0, why, sizeof why);
    CHECK(cal != NULL);
    CHECK(rci_cal_special_count(cal) == 0);
    CHECK(rci_cal_is_working(cal, T("2024-05-17")));  /* Friday */
    CHECK(!rci_cal_is_working(cal, T("2024-05-18"))); /* Saturday */
    CHECK(!rci_cal_is_working(cal, T("2024-05-19"))); /* Sunday */
    CHECK(rci_cal_is_working(cal, T("2024-05-20")));  /* Monday */
    CHECK(rci_cal_is_working(cal, T("2024-10-01")));  /* no holidays without the list */
    CHECK_STR(add(cal, "2024-05-31", 3), "2024-06-05");
    CHECK_STR(add(cal, "2024-05-17", 1), "2024-05-20");
    CHECK_STR(add(cal, "2024-05-18", 1), "2024-05-20");
    CHECK_STR(add(cal, "2024-05-19", 1), "2024-05-20");
    CHECK_STR(add(cal, "2024-05-20", 1), "2024-05-21");
    CHECK_STR(add(cal, "2024-05-20", 5), "2024-05-27");
    CHECK_STR(add(cal, "2024-05-20", 0), "2024-05-20");
    CHECK_STR(add(cal, "2024-05-18", 0), "2024-05-18"); /* itself, working or not */
    CHECK_STR(add(cal, "2024-05-20", -1), "2024-05-17");
    CHECK_STR(add(cal, "2024-05-19", -1), "2024-05-17");
    CHECK_STR(add(cal, "2024-05-17", -5), "2024-05-10");
    CHECK_STR(add(cal, "2024-12-31", 1), "2025-01-01");
    CHECK_STR(add(cal, "2024-02-28", 1), "2024-02-29");
    CHECK_STR(add(cal, "2024-05-17", 260), "2025-05-16"); /* 52 weeks */
    CHECK_STR(add(cal, "2024-05-17", 261), "2025-05-19");
    CHECK(rci_cal_count_working_days(cal, T("2024-05-17"), T("2024-05-17")) == 0);
    CHECK(rci_cal_count_working_days(cal, T("2024-05-17"), T("2024-05-20")) == 1);
    CHECK(rci_cal_count_working_days(cal, T("2024-05-20"), T("2024-05-17")) == -1);
    CHECK(rci_cal_count_working_days(cal, T("2024-05-18"), T("2024-05-19")) == 0);
    CHECK(rci_cal_count_working_days(cal, T("2023-12-31"), T("2024-12-31")) == 262);
    CHECK(rci_cal_count_working_days(cal, T("2022-12-31"), T("2023-12-31")) == 260);
    CHECK_STR(due(cal, RCI_FREQ_MONTHLY, "2024-05", RCI_CAL_DUE_DEFAULT), "2024-06-05");
    CHECK_STR(due(cal, RCI_FREQ_MONTHLY, "2024-08", RCI_CAL_DUE_DEFAULT), "2024-09-04"); /* Sat end */
    CHECK_STR(due(cal, RCI_FREQ_DAILY, "2024-05-17", RCI_CAL_DUE_DEFAULT), "2024-05-20");
    rci_cal_free(cal);
    rci_cal_free(NULL);
}

static void test_special_days(void)
{
    rci_cal_day days[] = {
        {{2024, 5, 20}, 0}, /* Monday off */
        {{2024, 5, 18}, 1}, /* Saturday on */
        {{2024, 5, 21}, 0}, /* Tuesday off */
        {{2024, 5, 19}, 0}, /* Sunday off: no change */
        {{2024, 5, 22}, 1}, /* Wednesday on: no change */
        {{2024, 5, 18}, 7}, /* again, any non-zero means working */
    };
    rci_cal *cal = rci_cal_new(days, sizeof days / sizeof days[0], why, sizeof why);
    CHECK(cal != NULL);
    CHECK(rci_cal_special_count(cal) == 5);
    CHECK(rci_cal_is_working(cal, T("2024-05-18")));
    CHECK(!rci_cal_is_working(cal, T("2024-05-19")));
    CHECK(!rci_cal_is_working(cal, T("2024-05-20")));
    CHECK(!rci_cal_is_working(cal, T("2024-05-21")));
    CHECK(rci_cal_is_working(cal, T("2024-05-22")));
    CHECK_STR(add(cal, "2024-05-17", 1), "2024-05-18");
    CHECK_STR(add(cal, "2024-05-17", 2), "2024-05-22");
    CHECK_STR(add(cal, "2024-05-17", 3), "2024-05-23");
    CHECK_STR(add(cal, "2024-05-22", -1), "2024-05-18");
    CHECK_STR(add(cal, "2024-05-22", -2), "2024-05-17");
    CHECK(rci_cal_count_working_days(cal, T("2024-05-17"), T("2024-05-24")) == 4);
    CHECK(rci_cal_count_working_days(cal, T("2024-05-24"), T("2024-05-17")) == -4);
    CHECK(rci_cal_count_working_days(cal, T("2024-05-18"), T("2024-05-22")) == 1);
    CHECK(rci_cal_count_working_days(cal, T("2024-05-17"), T("2024-05-18")) == 1);
    rci_cal_free(cal);
}

static void test_new_errors(void)
{
    rci_cal_day bad_date[] = {{{2024, 5, 20}, 0}, {{2023, 2, 29}, 0}};
    why[0] = '\0';
    CHECK(rci_cal_new(bad_date, 2, why, sizeof why) == NULL);
    CHECK_STR(why, "special day 1 is not a valid date (2023-2-29)");
    rci_cal_day zero[] = {{{0, 0, 0}, 1}};
    CHECK(rci_cal_new(zero, 1, why, sizeof why) == NULL);
    CHECK_STR(why, "special day 0 is not a valid date (0-0-0)");
    rci_cal_day both[] = {{{2024, 2, 18}, 1}, {{2024, 1, 1}, 0}, {{2024, 2, 18}, 0}};
    CHECK(rci_cal_new(both, 3, why, sizeof why) == NULL);
    CHECK_STR(why, "2024-02-18 is listed both as a holiday and as a working day");
    CHECK(rci_cal_new(both, 3, NULL, 0) == NULL);
    /* without why, success too */
    rci_cal *cal = rci_cal_new(both, 2, NULL, 0);
    CHECK(cal != NULL);
    rci_cal_free(cal);
}

static void test_limits(void)
{
    rci_cal *cal = rci_cal_new(NULL, 0, why, sizeof why);
    rci_date out;
    CHECK(rci_cal_add_working_days(cal, D(9999, 12, 30), 1, &out) == 0); /* a Thursday */
    CHECK_STR(fmt(out), "9999-12-31");
    CHECK(rci_cal_add_working_days(cal, D(9999, 12, 31), 1, &out) == -1);
    CHECK(rci_cal_add_working_days(cal, D(1, 1, 2), -1, &out) == 0);
    CHECK_STR(fmt(out), "0001-01-01"); /* a Monday */
    CHECK(rci_cal_add_working_days(cal, D(1, 1, 1), -1, &out) == -1);
    CHECK(rci_cal_add_working_days(cal, D(2023, 2, 29), 1, &out) == -1);
    CHECK(rci_cal_add_working_days(cal, D(2024, 1, 1), RCI_CAL_MAX_STEP, &out) == 0);
    CHECK(rci_cal_count_working_days(cal, D(2024, 1, 1), out) == RCI_CAL_MAX_STEP);
    CHECK(rci_cal_add_working_days(cal, D(2024, 1, 1), -RCI_CAL_MAX_STEP, &out) == 0);
    CHECK(rci_cal_count_working_days(cal, D(2024, 1, 1), out) == -RCI_CAL_MAX_STEP);
    CHECK(rci_cal_add_working_days(cal, D(2024, 1, 1), RCI_CAL_MAX_STEP + 1, &out) == -1);
    CHECK(rci_cal_add_working_days(cal, D(2024, 1, 1), -RCI_CAL_MAX_STEP - 1, &out) == -1);
    CHECK(rci_cal_count_working_days(cal, D(1, 1, 1), D(9999, 12, 31)) ==
          (rci_date_to_days(D(9999, 12, 31)) - rci_date_to_days(D(1, 1, 1)) + 1) / 7 * 5 + 4);
    rci_period bad = {RCI_FREQ_MONTHLY, 2024, 13};
    CHECK(rci_cal_due_date(cal, &bad, RCI_CAL_DUE_DEFAULT, &out) == -1);
    CHECK(rci_cal_due_date(cal, NULL, RCI_CAL_DUE_DEFAULT, &out) == -1);
    rci_period last = {RCI_FREQ_YEARLY, 2999, 1};
    CHECK(rci_cal_due_date(cal, &last, RCI_CAL_DUE_DEFAULT, &out) == 0);
    CHECK_STR(fmt(out), "3000-01-03"); /* 2999-12-31 is a Tuesday */
    rci_cal_free(cal);

    /* a whole year of holidays is stepped over */
    rci_cal_day year[366];
    for (int i = 0; i < 366; i++) {
        year[i].date = rci_date_from_days(rci_date_to_days(D(2024, 1, 1)) + i);
        year[i].working = 0;
    }
    cal = rci_cal_new(year, 366, why, sizeof why);
    CHECK(cal != NULL);
    CHECK_STR(add(cal, "2023-12-29", 1), "2025-01-01");
    CHECK_STR(add(cal, "2025-01-01", -1), "2023-12-29");
    CHECK(rci_cal_count_working_days(cal, T("2023-12-31"), T("2024-12-31")) == 0);
    rci_cal_free(cal);
}

/* ---- consistency: stepping, counting and the day-by-day rule ----------- */

static void test_consistency(void)
{
    rci_cal *cal = reference_calendar();
    int wrong = 0;
    int32_t from = rci_date_to_days(D(2015, 12, 1)), to = rci_date_to_days(D(2027, 1, 31));
    for (int32_t x = from; x <= to; x++) {
        rci_date d = rci_date_from_days(x), prev = rci_date_from_days(x - 1);
        int w = rci_cal_is_working(cal, d);
        if (rci_cal_count_working_days(cal, prev, d) != w)
            wrong++;
        for (int n = -12; n <= 12; n++) {
            rci_date r;
            if (rci_cal_add_working_days(cal, d, n, &r) != 0) {
                wrong++;
                continue;
            }
            /* (d, r] holds n working days; going back, (r, d] holds the
             * |n| - 1 between them and d itself if it works */
            long want = n >= 0 ? n : n + 1 - w;
            if (rci_cal_count_working_days(cal, d, r) != want)
                wrong++;
            if (n != 0 && !rci_cal_is_working(cal, r))
                wrong++;
            /* the result is the first such day: one day less is one fewer */
            if (n > 0 && rci_cal_count_working_days(cal, d, rci_date_from_days(
                                                               rci_date_to_days(r) - 1)) != n - 1)
                wrong++;
        }
    }
    CHECK(wrong == 0);
    /* specials listed in any order give the same calendar */
    rci_cal_day rev[1000];
    for (size_t i = 0; i < nblock_days; i++)
        rev[i] = block_days[nblock_days - 1 - i];
    rci_cal *cal2 = rci_cal_new(rev, nblock_days, why, sizeof why);
    CHECK(cal2 != NULL);
    int differ = 0;
    for (int32_t x = from; x <= to && cal2; x++)
        differ += rci_cal_is_working(cal, rci_date_from_days(x)) !=
                  rci_cal_is_working(cal2, rci_date_from_days(x));
    CHECK(differ == 0);
    rci_cal_free(cal2);
    rci_cal_free(cal);
}

/* ---- the migration -------------------------------------------------------- */

/* migrations/0005_calendar.sql, found from this file's path. */
static FILE *open_migration(void)
{
    char path[4096];
    const char *me = __FILE__, *cut = strstr(me, "tests/unit/test_calendar.c");
    size_t prefix = cut ? (size_t)(cut - me) : 0;
    snprintf(path, sizeof path, "%.*smigrations/0005_calendar.sql", (int)prefix, me);
    FILE *f = fopen(path, "r");
    if (!f)
        fprintf(stderr, "cannot open %s\n", path);
    return f;
}

static void test_migration_matches_block(void)
{
    rci_cal *cal = reference_calendar();
    FILE *f = open_migration();
    CHECK(f != NULL);
    if (!f) {
        rci_cal_free(cal);
        return;
    }
    char line[512];
    int rows = 0, wrong = 0, working_rows = 0;
    int32_t last = INT32_MIN;
    while (fgets(line, sizeof line, f)) {
        int y, m, d;
        char flag[8], name[64];
        if (sscanf(line, " ('%4d-%2d-%2d', %7[a-z], '%63[A-Za-z+]')", &y, &m, &d, flag, name) !=
            5)
            continue;
        rows++;
        rci_date day = D(y, m, d);
        int working = strcmp(flag, "true") == 0;
        if (!rci_date_valid(day) || (!working && strcmp(flag, "false") != 0))
            wrong++;
        working_rows += working;
        /* in date order, no date twice, and as the block says */
        if (rci_date_to_days(day) <= last)
            wrong++;
        last = rci_date_to_days(day);
        int found = 0;
        for (size_t i = 0; i < nblock_days; i++)
            if (rci_date_cmp(block_days[i].date, day) == 0) {
                found = 1;
                if (block_days[i].working != working)
                    wrong++;
            }
        if (!found || rci_cal_is_working(cal, day) != working)
            wrong++;
        if (working != (strcmp(name, "makeup") == 0))
            wrong++;
    }
    fclose(f);
    CHECK(rows == 395);
    CHECK(working_rows == 70);
    CHECK((size_t)rows == nblock_days);
    CHECK(wrong == 0);
    rci_cal_free(cal);
}

int main(void)
{
    test_block_counts();
    test_reference_vectors();
    test_h3_monthly_due_dates();
    test_h3_working_days_per_year();
    test_hand_vectors();
    test_plain_calendar();
    test_special_days();
    test_new_errors();
    test_limits();
    test_consistency();
    test_migration_matches_block();
    return check_done();
}
