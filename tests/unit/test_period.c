/* test_period.c: unit tests for indicators/period.c — calendar dates,
 * period parsing (every frequency, every way to get it wrong), formatting,
 * first/last day, next/previous, ordering, and the decimal value check with
 * its exact boundaries. */
#include "indicators/period.h"

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

static int same_date(rci_date a, rci_date b)
{
    return rci_date_cmp(a, b) == 0;
}

/* ---- dates --------------------------------------------------------------- */

static void test_leap_years(void)
{
    CHECK(rci_date_is_leap(2024));
    CHECK(rci_date_is_leap(2000));
    CHECK(rci_date_is_leap(2400));
    CHECK(rci_date_is_leap(1904));
    CHECK(!rci_date_is_leap(1900));
    CHECK(!rci_date_is_leap(2100));
    CHECK(!rci_date_is_leap(2023));
    CHECK(!rci_date_is_leap(2025));
    CHECK(rci_date_days_in_month(2024, 2) == 29);
    CHECK(rci_date_days_in_month(2023, 2) == 28);
    CHECK(rci_date_days_in_month(1900, 2) == 28);
    CHECK(rci_date_days_in_month(2000, 2) == 29);
    CHECK(rci_date_days_in_month(2024, 1) == 31);
    CHECK(rci_date_days_in_month(2024, 4) == 30);
    CHECK(rci_date_days_in_month(2024, 6) == 30);
    CHECK(rci_date_days_in_month(2024, 9) == 30);
    CHECK(rci_date_days_in_month(2024, 11) == 30);
    CHECK(rci_date_days_in_month(2024, 12) == 31);
    CHECK(rci_date_days_in_month(2024, 0) == 0);
    CHECK(rci_date_days_in_month(2024, 13) == 0);
    CHECK(rci_date_days_in_month(2024, -1) == 0);
    int total = 0;
    for (int m = 1; m <= 12; m++)
        total += rci_date_days_in_month(2024, m);
    CHECK(total == 366);
}

static void test_date_valid(void)
{
    CHECK(rci_date_valid(D(2024, 2, 29)));
    CHECK(!rci_date_valid(D(2023, 2, 29)));
    CHECK(!rci_date_valid(D(1900, 2, 29)));
    CHECK(rci_date_valid(D(2000, 2, 29)));
    CHECK(!rci_date_valid(D(2024, 4, 31)));
    CHECK(!rci_date_valid(D(2024, 0, 1)));
    CHECK(!rci_date_valid(D(2024, 13, 1)));
    CHECK(!rci_date_valid(D(2024, 1, 0)));
    CHECK(!rci_date_valid(D(2024, 1, 32)));
    CHECK(!rci_date_valid(D(0, 1, 1)));
    CHECK(!rci_date_valid(D(10000, 1, 1)));
    CHECK(!rci_date_valid(D(-5, 1, 1)));
    CHECK(rci_date_valid(D(1, 1, 1)));
    CHECK(rci_date_valid(D(9999, 12, 31)));
}

static void test_day_numbers(void)
{
    CHECK(rci_date_to_days(D(1970, 1, 1)) == 0);
    CHECK(rci_date_to_days(D(1970, 1, 2)) == 1);
    CHECK(rci_date_to_days(D(1969, 12, 31)) == -1);
    CHECK(rci_date_to_days(D(2000, 3, 1)) == 11017);
    CHECK(rci_date_to_days(D(2024, 5, 17)) == 19860);
    CHECK(rci_date_to_days(D(1900, 1, 1)) == -25567);
    CHECK(rci_date_to_days(D(1, 1, 1)) == -719162);
    CHECK(rci_date_to_days(D(9999, 12, 31)) == 2932896);
    CHECK(same_date(rci_date_from_days(19860), D(2024, 5, 17)));
    CHECK(same_date(rci_date_from_days(-719162), D(1, 1, 1)));
    CHECK(same_date(rci_date_from_days(2932896), D(9999, 12, 31)));
    CHECK(same_date(rci_date_from_days(-25567), D(1900, 1, 1)));

    /* Every day of 1..9999 round-trips and follows the previous one. */
    rci_date prev = D(1, 1, 1);
    int ok = 1;
    for (int32_t n = -719162; n <= 2932896; n++) {
        rci_date d = rci_date_from_days(n);
        if (!rci_date_valid(d) || rci_date_to_days(d) != n) {
            ok = 0;
            break;
        }
        if (n > -719162) {
            int next_ok = (d.year == prev.year && d.month == prev.month && d.day == prev.day + 1) ||
                          (d.year == prev.year && d.month == prev.month + 1 && d.day == 1 &&
                           prev.day == rci_date_days_in_month(prev.year, prev.month)) ||
                          (d.year == prev.year + 1 && d.month == 1 && d.day == 1 &&
                           prev.month == 12 && prev.day == 31);
            if (!next_ok) {
                ok = 0;
                break;
            }
        }
        prev = d;
    }
    CHECK(ok);
}

static void test_weekday(void)
{
    CHECK(rci_date_weekday(D(1970, 1, 1)) == 4); /* Thursday */
    CHECK(rci_date_weekday(D(2024, 5, 17)) == 5); /* Friday */
    CHECK(rci_date_weekday(D(2020, 1, 31)) == 5);
    CHECK(rci_date_weekday(D(2020, 2, 1)) == 6);
    CHECK(rci_date_weekday(D(2020, 2, 2)) == 7);
    CHECK(rci_date_weekday(D(2023, 10, 7)) == 6);
    CHECK(rci_date_weekday(D(2026, 2, 28)) == 6);
    CHECK(rci_date_weekday(D(1900, 1, 1)) == 1); /* Monday */
    CHECK(rci_date_weekday(D(1, 1, 1)) == 1);
    CHECK(rci_date_weekday(D(1969, 12, 29)) == 1);
    CHECK(rci_date_weekday(D(1969, 12, 28)) == 7);
    CHECK(rci_date_weekday(D(2000, 1, 1)) == 6);
    CHECK(rci_date_weekday(D(9999, 12, 31)) == 5);
}

static void test_date_format_cmp(void)
{
    char b[RCI_DATE_TEXT_MAX];
    CHECK(rci_date_format(D(2024, 5, 7), b, sizeof b) == 10);
    CHECK_STR(b, "2024-05-07");
    CHECK(rci_date_format(D(1, 1, 1), b, sizeof b) == 10);
    CHECK_STR(b, "0001-01-01");
    CHECK(rci_date_format(D(2023, 2, 29), b, sizeof b) == -1);
    CHECK_STR(b, "");
    CHECK(rci_date_format(D(2024, 5, 7), b, 10) == -1);
    CHECK(rci_date_cmp(D(2024, 5, 7), D(2024, 5, 7)) == 0);
    CHECK(rci_date_cmp(D(2024, 5, 7), D(2024, 5, 8)) < 0);
    CHECK(rci_date_cmp(D(2024, 6, 1), D(2024, 5, 31)) > 0);
    CHECK(rci_date_cmp(D(2023, 12, 31), D(2024, 1, 1)) < 0);
}

/* ---- frequencies --------------------------------------------------------- */

static void test_freq_names(void)
{
    CHECK_STR(rci_period_freq_name(RCI_FREQ_DAILY), "daily");
    CHECK_STR(rci_period_freq_name(RCI_FREQ_MONTHLY), "monthly");
    CHECK_STR(rci_period_freq_name(RCI_FREQ_QUARTERLY), "quarterly");
    CHECK_STR(rci_period_freq_name(RCI_FREQ_HALF_YEARLY), "half_yearly");
    CHECK_STR(rci_period_freq_name(RCI_FREQ_YEARLY), "yearly");
    CHECK(rci_period_freq_name(RCI_FREQ_NONE) == NULL);
    CHECK(rci_period_freq_name((rci_freq)99) == NULL);
    CHECK(rci_period_freq_name((rci_freq)-1) == NULL);
    for (int f = RCI_FREQ_DAILY; f <= RCI_FREQ_YEARLY; f++)
        CHECK(rci_period_freq_from_name(rci_period_freq_name((rci_freq)f)) == (rci_freq)f);
    CHECK(rci_period_freq_from_name("Monthly") == RCI_FREQ_NONE);
    CHECK(rci_period_freq_from_name("half-yearly") == RCI_FREQ_NONE);
    CHECK(rci_period_freq_from_name("month") == RCI_FREQ_NONE);
    CHECK(rci_period_freq_from_name("monthly ") == RCI_FREQ_NONE);
    CHECK(rci_period_freq_from_name("") == RCI_FREQ_NONE);
    CHECK(rci_period_freq_from_name(NULL) == RCI_FREQ_NONE);
}

/* ---- parsing: the good ---------------------------------------------------- */

static int parses(rci_freq f, const char *s, rci_period *p)
{
    why[0] = 'x';
    int r = rci_period_parse(f, s, p, why, sizeof why);
    return r == 0 && why[0] == '\0';
}

static void test_parse_good(void)
{
    rci_period p;
    CHECK(parses(RCI_FREQ_MONTHLY, "2024-05", &p));
    CHECK(p.freq == RCI_FREQ_MONTHLY && p.year == 2024 && p.index == 5);
    CHECK(parses(RCI_FREQ_MONTHLY, "1900-01", &p));
    CHECK(p.year == 1900 && p.index == 1);
    CHECK(parses(RCI_FREQ_MONTHLY, "2999-12", &p));
    CHECK(p.year == 2999 && p.index == 12);
    CHECK(parses(RCI_FREQ_QUARTERLY, "2024-Q2", &p));
    CHECK(p.freq == RCI_FREQ_QUARTERLY && p.year == 2024 && p.index == 2);
    CHECK(parses(RCI_FREQ_QUARTERLY, "2024-Q1", &p) && p.index == 1);
    CHECK(parses(RCI_FREQ_QUARTERLY, "2024-Q4", &p) && p.index == 4);
    CHECK(parses(RCI_FREQ_HALF_YEARLY, "2024-H1", &p));
    CHECK(p.freq == RCI_FREQ_HALF_YEARLY && p.year == 2024 && p.index == 1);
    CHECK(parses(RCI_FREQ_HALF_YEARLY, "2024-H2", &p) && p.index == 2);
    CHECK(parses(RCI_FREQ_YEARLY, "2024", &p));
    CHECK(p.freq == RCI_FREQ_YEARLY && p.year == 2024 && p.index == 1);
    CHECK(parses(RCI_FREQ_YEARLY, "1900", &p) && p.year == 1900);
    CHECK(parses(RCI_FREQ_YEARLY, "2999", &p) && p.year == 2999);
    CHECK(parses(RCI_FREQ_DAILY, "2024-05-17", &p));
    CHECK(p.freq == RCI_FREQ_DAILY && p.year == 2024 && p.index == 31 + 29 + 31 + 30 + 17);
    CHECK(parses(RCI_FREQ_DAILY, "2024-01-01", &p) && p.index == 1);
    CHECK(parses(RCI_FREQ_DAILY, "2024-12-31", &p) && p.index == 366);
    CHECK(parses(RCI_FREQ_DAILY, "2023-12-31", &p) && p.index == 365);
    CHECK(parses(RCI_FREQ_DAILY, "2024-02-29", &p) && p.index == 60);
    CHECK(parses(RCI_FREQ_DAILY, "2000-02-29", &p));
    CHECK(parses(RCI_FREQ_DAILY, "2023-03-01", &p) && p.index == 60);
    CHECK(parses(RCI_FREQ_DAILY, "1900-01-01", &p) && p.year == 1900 && p.index == 1);
    CHECK(parses(RCI_FREQ_DAILY, "2999-12-31", &p) && p.index == 365);
    /* out may be NULL: a pure check */
    CHECK(parses(RCI_FREQ_MONTHLY, "2024-05", NULL));
}

static void test_parse_infer(void)
{
    rci_period p;
    CHECK(parses(RCI_FREQ_NONE, "2024-05", &p) && p.freq == RCI_FREQ_MONTHLY && p.index == 5);
    CHECK(parses(RCI_FREQ_NONE, "2024-Q3", &p) && p.freq == RCI_FREQ_QUARTERLY && p.index == 3);
    CHECK(parses(RCI_FREQ_NONE, "2024-H2", &p) && p.freq == RCI_FREQ_HALF_YEARLY);
    CHECK(parses(RCI_FREQ_NONE, "2024", &p) && p.freq == RCI_FREQ_YEARLY);
    CHECK(parses(RCI_FREQ_NONE, "2024-05-17", &p) && p.freq == RCI_FREQ_DAILY);
    CHECK(rci_period_parse(RCI_FREQ_NONE, "2024/05", &p, why, sizeof why) == -1);
    CHECK_STR(why, "expected a period: YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY");
    CHECK(rci_period_parse(RCI_FREQ_NONE, "2024-13", &p, why, sizeof why) == -1);
    CHECK_STR(why, "month 13 out of range (01..12)");
    CHECK(rci_period_parse(RCI_FREQ_NONE, "2024-q1", &p, why, sizeof why) == -1);
    CHECK_STR(why, "write the quarter with a capital Q, as 2024-Q1");
}

/* ---- parsing: the bad ----------------------------------------------------- */

/* Parse must fail with exactly this reason and leave *out alone. */
static void bad(rci_freq f, const char *s, const char *reason, int line)
{
    rci_period p = {RCI_FREQ_YEARLY, 1234, 1};
    int r = rci_period_parse(f, s, &p, why, sizeof why);
    if (r != -1 || strcmp(why, reason) != 0 || p.year != 1234) {
        fprintf(stderr, "line %d: parse(%d, \"%s\") = %d, \"%s\"; want \"%s\"\n", line, f,
                s ? s : "(null)", r, why, reason);
        check_failed++;
    } else {
        check_passed++;
    }
}
#define BAD(f, s, reason) bad(f, s, reason, __LINE__)

#define M_FORM "expected YYYY-MM for a monthly indicator"
#define Q_FORM "expected YYYY-Qn (n = 1..4) for a quarterly indicator"
#define H_FORM "expected YYYY-Hn (n = 1..2) for a half-yearly indicator"
#define Y_FORM "expected YYYY for a yearly indicator"
#define D_FORM "expected YYYY-MM-DD for a daily indicator"

static void test_parse_wrong_form(void)
{
    /* monthly */
    BAD(RCI_FREQ_MONTHLY, "2024-5", M_FORM);
    BAD(RCI_FREQ_MONTHLY, "2024-005", M_FORM);
    BAD(RCI_FREQ_MONTHLY, "2024/05", M_FORM);
    BAD(RCI_FREQ_MONTHLY, "2024.05", M_FORM);
    BAD(RCI_FREQ_MONTHLY, "202405", M_FORM);
    BAD(RCI_FREQ_MONTHLY, "05-2024", M_FORM);
    BAD(RCI_FREQ_MONTHLY, "24-05", M_FORM);
    BAD(RCI_FREQ_MONTHLY, "2024-05-", M_FORM);
    BAD(RCI_FREQ_MONTHLY, "-2024-05", M_FORM);
    BAD(RCI_FREQ_MONTHLY, "2024年5月", M_FORM);
    BAD(RCI_FREQ_MONTHLY, "２０２４-05", M_FORM); /* full-width digits */
    BAD(RCI_FREQ_MONTHLY, "2024-0a", M_FORM);
    BAD(RCI_FREQ_MONTHLY, "2024-M05", M_FORM);
    BAD(RCI_FREQ_MONTHLY, "May 2024", "period has a space in it");
    BAD(RCI_FREQ_MONTHLY, "abcdefg", M_FORM);
    BAD(RCI_FREQ_MONTHLY, "2024-Q2", M_FORM " (2024-Q2 is a quarterly period)");
    BAD(RCI_FREQ_MONTHLY, "2024-H1", M_FORM " (2024-H1 is a half-yearly period)");
    BAD(RCI_FREQ_MONTHLY, "2024", M_FORM " (2024 is a yearly period)");
    BAD(RCI_FREQ_MONTHLY, "2024-05-17", M_FORM " (2024-05-17 is a daily period)");
    BAD(RCI_FREQ_MONTHLY, "2024-05-17T00:00:00", M_FORM);
    /* the hint describes only the form, even when the value is out of range */
    BAD(RCI_FREQ_MONTHLY, "2024-Q9", M_FORM " (2024-Q9 is a quarterly period)");
    /* quarterly */
    BAD(RCI_FREQ_QUARTERLY, "2024Q2", Q_FORM);
    BAD(RCI_FREQ_QUARTERLY, "2024-Q02", Q_FORM);
    BAD(RCI_FREQ_QUARTERLY, "2024 Q2", "period has a space in it");
    BAD(RCI_FREQ_QUARTERLY, "Q2-2024", Q_FORM);
    BAD(RCI_FREQ_QUARTERLY, "2024-2", Q_FORM);
    BAD(RCI_FREQ_QUARTERLY, "2024-S2", Q_FORM);
    BAD(RCI_FREQ_QUARTERLY, "2024-QQ", Q_FORM);
    BAD(RCI_FREQ_QUARTERLY, "2024-q2", "write the quarter with a capital Q, as 2024-Q2");
    BAD(RCI_FREQ_QUARTERLY, "2024-h2", Q_FORM);
    BAD(RCI_FREQ_QUARTERLY, "2024-05", Q_FORM " (2024-05 is a monthly period)");
    BAD(RCI_FREQ_QUARTERLY, "2024-H2", Q_FORM " (2024-H2 is a half-yearly period)");
    BAD(RCI_FREQ_QUARTERLY, "2024", Q_FORM " (2024 is a yearly period)");
    /* half-yearly */
    BAD(RCI_FREQ_HALF_YEARLY, "2024H1", H_FORM);
    BAD(RCI_FREQ_HALF_YEARLY, "2024-S1", H_FORM);
    BAD(RCI_FREQ_HALF_YEARLY, "2024-h1", "write the half with a capital H, as 2024-H1");
    BAD(RCI_FREQ_HALF_YEARLY, "2024-q1", H_FORM);
    BAD(RCI_FREQ_HALF_YEARLY, "2024-上半年", H_FORM);
    BAD(RCI_FREQ_HALF_YEARLY, "2024-Q2", H_FORM " (2024-Q2 is a quarterly period)");
    BAD(RCI_FREQ_HALF_YEARLY, "2024-06", H_FORM " (2024-06 is a monthly period)");
    /* yearly */
    BAD(RCI_FREQ_YEARLY, "24", Y_FORM);
    BAD(RCI_FREQ_YEARLY, "20240", Y_FORM);
    BAD(RCI_FREQ_YEARLY, "2024年", Y_FORM);
    BAD(RCI_FREQ_YEARLY, "2024-", Y_FORM);
    BAD(RCI_FREQ_YEARLY, "+2024", Y_FORM);
    BAD(RCI_FREQ_YEARLY, "2024.0", Y_FORM);
    BAD(RCI_FREQ_YEARLY, "2024-01", Y_FORM " (2024-01 is a monthly period)");
    BAD(RCI_FREQ_YEARLY, "2024-H1", Y_FORM " (2024-H1 is a half-yearly period)");
    /* daily */
    BAD(RCI_FREQ_DAILY, "2024-5-17", D_FORM);
    BAD(RCI_FREQ_DAILY, "2024-05-7", D_FORM);
    BAD(RCI_FREQ_DAILY, "20240517", D_FORM);
    BAD(RCI_FREQ_DAILY, "2024/05/17", D_FORM);
    BAD(RCI_FREQ_DAILY, "17-05-2024", D_FORM);
    BAD(RCI_FREQ_DAILY, "2024-05-17Z", D_FORM);
    BAD(RCI_FREQ_DAILY, "2024-05_17", D_FORM);
    BAD(RCI_FREQ_DAILY, "2024-05-17 00:00", "period has a space in it");
    BAD(RCI_FREQ_DAILY, "2024-05", D_FORM " (2024-05 is a monthly period)");
    BAD(RCI_FREQ_DAILY, "2024", D_FORM " (2024 is a yearly period)");
    /* empty, NULL, spaces, control characters */
    BAD(RCI_FREQ_MONTHLY, "", "period is empty");
    BAD(RCI_FREQ_MONTHLY, NULL, "period is empty");
    BAD(RCI_FREQ_NONE, "", "period is empty");
    BAD(RCI_FREQ_MONTHLY, " 2024-05", "period has a space in it");
    BAD(RCI_FREQ_MONTHLY, "2024-05 ", "period has a space in it");
    BAD(RCI_FREQ_MONTHLY, "2024-05\n", "period has a space in it");
    BAD(RCI_FREQ_MONTHLY, "2024-05\r", "period has a space in it");
    BAD(RCI_FREQ_MONTHLY, "2024\t-05", "period has a space in it");
    BAD(RCI_FREQ_YEARLY, "2024\x01", Y_FORM);
    BAD(RCI_FREQ_YEARLY, "2024\xEF\xBB\xBF", Y_FORM); /* a stray BOM */
    BAD(RCI_FREQ_YEARLY, "\xEF\xBB\xBF" "2024", Y_FORM);
    /* a long text is refused without reading past it */
    char longtext[300];
    memset(longtext, '9', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    BAD(RCI_FREQ_YEARLY, longtext, Y_FORM);
    /* bad frequency */
    BAD((rci_freq)42, "2024", "unknown frequency");
    BAD((rci_freq)-3, "2024", "unknown frequency");
}

static void test_parse_out_of_range(void)
{
    BAD(RCI_FREQ_MONTHLY, "2024-13", "month 13 out of range (01..12)");
    BAD(RCI_FREQ_MONTHLY, "2024-00", "month 00 out of range (01..12)");
    BAD(RCI_FREQ_MONTHLY, "2024-99", "month 99 out of range (01..12)");
    BAD(RCI_FREQ_MONTHLY, "1899-12", "year 1899 out of range (1900..2999)");
    BAD(RCI_FREQ_MONTHLY, "3000-01", "year 3000 out of range (1900..2999)");
    BAD(RCI_FREQ_MONTHLY, "0000-01", "year 0000 out of range (1900..2999)");
    BAD(RCI_FREQ_MONTHLY, "9999-13", "year 9999 out of range (1900..2999)"); /* year first */
    BAD(RCI_FREQ_QUARTERLY, "2024-Q0", "quarter Q0 out of range (Q1..Q4)");
    BAD(RCI_FREQ_QUARTERLY, "2024-Q5", "quarter Q5 out of range (Q1..Q4)");
    BAD(RCI_FREQ_QUARTERLY, "2024-Q9", "quarter Q9 out of range (Q1..Q4)");
    BAD(RCI_FREQ_QUARTERLY, "1899-Q4", "year 1899 out of range (1900..2999)");
    BAD(RCI_FREQ_HALF_YEARLY, "2024-H0", "half H0 out of range (H1..H2)");
    BAD(RCI_FREQ_HALF_YEARLY, "2024-H3", "half H3 out of range (H1..H2)");
    BAD(RCI_FREQ_YEARLY, "1899", "year 1899 out of range (1900..2999)");
    BAD(RCI_FREQ_YEARLY, "3000", "year 3000 out of range (1900..2999)");
    BAD(RCI_FREQ_YEARLY, "0024", "year 0024 out of range (1900..2999)");
    BAD(RCI_FREQ_DAILY, "2023-02-29", "day 29 out of range for 2023-02 (01..28)");
    BAD(RCI_FREQ_DAILY, "1900-02-29", "day 29 out of range for 1900-02 (01..28)");
    BAD(RCI_FREQ_DAILY, "2100-02-29", "day 29 out of range for 2100-02 (01..28)");
    BAD(RCI_FREQ_DAILY, "2024-02-30", "day 30 out of range for 2024-02 (01..29)");
    BAD(RCI_FREQ_DAILY, "2024-04-31", "day 31 out of range for 2024-04 (01..30)");
    BAD(RCI_FREQ_DAILY, "2024-06-31", "day 31 out of range for 2024-06 (01..30)");
    BAD(RCI_FREQ_DAILY, "2024-09-31", "day 31 out of range for 2024-09 (01..30)");
    BAD(RCI_FREQ_DAILY, "2024-11-31", "day 31 out of range for 2024-11 (01..30)");
    BAD(RCI_FREQ_DAILY, "2024-01-32", "day 32 out of range for 2024-01 (01..31)");
    BAD(RCI_FREQ_DAILY, "2024-01-00", "day 00 out of range for 2024-01 (01..31)");
    BAD(RCI_FREQ_DAILY, "2024-00-10", "month 00 out of range (01..12)");
    BAD(RCI_FREQ_DAILY, "2024-13-01", "month 13 out of range (01..12)");
    BAD(RCI_FREQ_DAILY, "1899-12-31", "year 1899 out of range (1900..2999)");
    BAD(RCI_FREQ_DAILY, "3000-01-01", "year 3000 out of range (1900..2999)");
}

/* Every string of the period alphabet up to 3 characters, and every
 * 4-character digit string, parses only if it is a year in range. */
static void test_parse_small_strings(void)
{
    const char alpha[] = "0129-QH ";
    char s[40];
    int wrong = 0;
    size_t na = strlen(alpha);
    for (size_t len = 0; len <= 3; len++) {
        size_t total = 1;
        for (size_t i = 0; i < len; i++)
            total *= na;
        for (size_t k = 0; k < total; k++) {
            size_t x = k;
            for (size_t i = 0; i < len; i++, x /= na)
                s[i] = alpha[x % na];
            s[len] = '\0';
            for (int f = RCI_FREQ_NONE; f <= RCI_FREQ_YEARLY; f++)
                if (rci_period_parse((rci_freq)f, s, NULL, why, sizeof why) != -1 || !why[0])
                    wrong++;
        }
    }
    for (int y = 0; y <= 9999; y++) {
        snprintf(s, sizeof s, "%04d", y);
        rci_period p;
        int want = y >= 1900 && y <= 2999;
        int got = rci_period_parse(RCI_FREQ_YEARLY, s, &p, why, sizeof why) == 0;
        if (got != want || (got && p.year != y))
            wrong++;
    }
    CHECK(wrong == 0);
}

/* Every monthly and every quarterly and half-yearly text with any two
 * digits: exactly the real ones parse. */
static void test_parse_all_indexes(void)
{
    char s[40];
    int wrong = 0;
    for (int m = 0; m <= 99; m++) {
        snprintf(s, sizeof s, "2024-%02d", m);
        rci_period p;
        int got = rci_period_parse(RCI_FREQ_MONTHLY, s, &p, why, sizeof why) == 0;
        if (got != (m >= 1 && m <= 12) || (got && p.index != m))
            wrong++;
    }
    for (int q = 0; q <= 9; q++) {
        snprintf(s, sizeof s, "2024-Q%d", q);
        int got = rci_period_parse(RCI_FREQ_QUARTERLY, s, NULL, why, sizeof why) == 0;
        if (got != (q >= 1 && q <= 4))
            wrong++;
        snprintf(s, sizeof s, "2024-H%d", q);
        got = rci_period_parse(RCI_FREQ_HALF_YEARLY, s, NULL, why, sizeof why) == 0;
        if (got != (q >= 1 && q <= 2))
            wrong++;
    }
    /* every MM-DD pair of a leap and a common year */
    int valid_days = 0;
    for (int y = 2023; y <= 2024; y++)
        for (int m = 0; m <= 13; m++)
            for (int d = 0; d <= 32; d++) {
                snprintf(s, sizeof s, "%04d-%02d-%02d", y, m, d);
                rci_period p;
                int got = rci_period_parse(RCI_FREQ_DAILY, s, &p, why, sizeof why) == 0;
                if (got != rci_date_valid(D(y, m, d)))
                    wrong++;
                if (got) {
                    valid_days++;
                    if (!same_date(rci_period_first_day(&p), D(y, m, d)))
                        wrong++;
                }
            }
    CHECK(wrong == 0);
    CHECK(valid_days == 365 + 366);
}

static void test_parse_why_optional(void)
{
    rci_period p;
    CHECK(rci_period_parse(RCI_FREQ_MONTHLY, "2024-13", &p, NULL, 0) == -1);
    CHECK(rci_period_parse(RCI_FREQ_MONTHLY, "2024-12", &p, NULL, 0) == 0);
    /* a short buffer is cut, never overrun */
    char small[8];
    memset(small, 'x', sizeof small);
    CHECK(rci_period_parse(RCI_FREQ_MONTHLY, "2024-13", &p, small, 6) == -1);
    CHECK_STR(small, "month");
    CHECK(small[6] == 'x');
}

/* ---- formatting and round trips ----------------------------------------- */

static void test_format(void)
{
    char b[RCI_PERIOD_TEXT_MAX];
    rci_period p = {RCI_FREQ_MONTHLY, 2024, 5};
    CHECK(rci_period_format(&p, b, sizeof b) == 7);
    CHECK_STR(b, "2024-05");
    p = (rci_period){RCI_FREQ_QUARTERLY, 2024, 2};
    CHECK(rci_period_format(&p, b, sizeof b) == 7);
    CHECK_STR(b, "2024-Q2");
    p = (rci_period){RCI_FREQ_HALF_YEARLY, 1900, 1};
    CHECK(rci_period_format(&p, b, sizeof b) == 7);
    CHECK_STR(b, "1900-H1");
    p = (rci_period){RCI_FREQ_YEARLY, 2999, 1};
    CHECK(rci_period_format(&p, b, sizeof b) == 4);
    CHECK_STR(b, "2999");
    p = (rci_period){RCI_FREQ_DAILY, 2024, 138};
    CHECK(rci_period_format(&p, b, sizeof b) == 10);
    CHECK_STR(b, "2024-05-17");
    p = (rci_period){RCI_FREQ_DAILY, 2024, 366};
    CHECK(rci_period_format(&p, b, sizeof b) == 10);
    CHECK_STR(b, "2024-12-31");
    /* invalid periods are refused and leave an empty string */
    p = (rci_period){RCI_FREQ_DAILY, 2023, 366};
    CHECK(rci_period_format(&p, b, sizeof b) == -1);
    CHECK_STR(b, "");
    p = (rci_period){RCI_FREQ_MONTHLY, 2024, 13};
    CHECK(rci_period_format(&p, b, sizeof b) == -1);
    p = (rci_period){RCI_FREQ_MONTHLY, 2024, 0};
    CHECK(rci_period_format(&p, b, sizeof b) == -1);
    p = (rci_period){RCI_FREQ_QUARTERLY, 2024, 5};
    CHECK(rci_period_format(&p, b, sizeof b) == -1);
    p = (rci_period){RCI_FREQ_HALF_YEARLY, 2024, 3};
    CHECK(rci_period_format(&p, b, sizeof b) == -1);
    p = (rci_period){RCI_FREQ_YEARLY, 2024, 2};
    CHECK(rci_period_format(&p, b, sizeof b) == -1);
    p = (rci_period){RCI_FREQ_YEARLY, 1899, 1};
    CHECK(rci_period_format(&p, b, sizeof b) == -1);
    p = (rci_period){RCI_FREQ_YEARLY, 3000, 1};
    CHECK(rci_period_format(&p, b, sizeof b) == -1);
    p = (rci_period){RCI_FREQ_NONE, 2024, 1};
    CHECK(rci_period_format(&p, b, sizeof b) == -1);
    CHECK(rci_period_format(NULL, b, sizeof b) == -1);
    p = (rci_period){RCI_FREQ_YEARLY, 2024, 1};
    CHECK(rci_period_format(&p, b, RCI_PERIOD_TEXT_MAX - 1) == -1);
    CHECK(!rci_period_valid(NULL));
}

/* Every period of every frequency in 1900..2999: format → parse gives it
 * back, next() of each is the one after it, and the last day of each plus
 * one day is the first day of the next. */
static void test_round_trip_everything(void)
{
    int wrong = 0;
    long count[6] = {0};
    for (int f = RCI_FREQ_DAILY; f <= RCI_FREQ_YEARLY; f++) {
        rci_period p = {(rci_freq)f, 1900, 1}, q, back;
        for (;;) {
            char b[RCI_PERIOD_TEXT_MAX];
            count[f]++;
            if (rci_period_format(&p, b, sizeof b) < 0 ||
                rci_period_parse((rci_freq)f, b, &back, why, sizeof why) != 0 ||
                back.freq != p.freq || back.year != p.year || back.index != p.index ||
                rci_period_parse(RCI_FREQ_NONE, b, &back, why, sizeof why) != 0 ||
                back.freq != p.freq)
                wrong++;
            rci_date first = rci_period_first_day(&p), last = rci_period_last_day(&p);
            rci_period of;
            if (rci_period_of_date((rci_freq)f, first, &of) || rci_period_cmp(&of, &p) ||
                rci_period_of_date((rci_freq)f, last, &of) || rci_period_cmp(&of, &p))
                wrong++;
            if (rci_period_next(&p, &q) != 0)
                break;
            rci_period pr;
            if (rci_period_prev(&q, &pr) != 0 || rci_period_cmp(&pr, &p) != 0)
                wrong++;
            if (rci_period_cmp(&p, &q) >= 0 || rci_period_cmp(&q, &p) <= 0)
                wrong++;
            if (rci_date_to_days(last) + 1 != rci_date_to_days(rci_period_first_day(&q)))
                wrong++;
            p = q;
        }
        /* p is the last period: 2999's last */
        if (p.year != 2999 || !same_date(rci_period_last_day(&p), D(2999, 12, 31)))
            wrong++;
    }
    CHECK(wrong == 0);
    CHECK(count[RCI_FREQ_YEARLY] == 1100);
    CHECK(count[RCI_FREQ_HALF_YEARLY] == 2200);
    CHECK(count[RCI_FREQ_QUARTERLY] == 4400);
    CHECK(count[RCI_FREQ_MONTHLY] == 13200);
    CHECK(count[RCI_FREQ_DAILY] ==
          rci_date_to_days(D(2999, 12, 31)) - rci_date_to_days(D(1900, 1, 1)) + 1);
}

/* ---- first/last day ----------------------------------------------------- */

static rci_period P(rci_freq f, const char *s)
{
    rci_period p = {RCI_FREQ_NONE, 0, 0};
    if (rci_period_parse(f, s, &p, why, sizeof why) != 0) {
        fprintf(stderr, "P(%s): %s\n", s, why);
        abort();
    }
    return p;
}

static void test_bounds(void)
{
    rci_period p = P(RCI_FREQ_MONTHLY, "2024-02");
    CHECK(same_date(rci_period_first_day(&p), D(2024, 2, 1)));
    CHECK(same_date(rci_period_last_day(&p), D(2024, 2, 29)));
    p = P(RCI_FREQ_MONTHLY, "2023-02");
    CHECK(same_date(rci_period_last_day(&p), D(2023, 2, 28)));
    p = P(RCI_FREQ_MONTHLY, "1900-02");
    CHECK(same_date(rci_period_last_day(&p), D(1900, 2, 28)));
    p = P(RCI_FREQ_MONTHLY, "2024-12");
    CHECK(same_date(rci_period_last_day(&p), D(2024, 12, 31)));
    p = P(RCI_FREQ_MONTHLY, "2024-04");
    CHECK(same_date(rci_period_last_day(&p), D(2024, 4, 30)));
    p = P(RCI_FREQ_QUARTERLY, "2024-Q1");
    CHECK(same_date(rci_period_first_day(&p), D(2024, 1, 1)));
    CHECK(same_date(rci_period_last_day(&p), D(2024, 3, 31)));
    p = P(RCI_FREQ_QUARTERLY, "2024-Q2");
    CHECK(same_date(rci_period_first_day(&p), D(2024, 4, 1)));
    CHECK(same_date(rci_period_last_day(&p), D(2024, 6, 30)));
    p = P(RCI_FREQ_QUARTERLY, "2024-Q3");
    CHECK(same_date(rci_period_first_day(&p), D(2024, 7, 1)));
    CHECK(same_date(rci_period_last_day(&p), D(2024, 9, 30)));
    p = P(RCI_FREQ_QUARTERLY, "2024-Q4");
    CHECK(same_date(rci_period_first_day(&p), D(2024, 10, 1)));
    CHECK(same_date(rci_period_last_day(&p), D(2024, 12, 31)));
    p = P(RCI_FREQ_HALF_YEARLY, "2024-H1");
    CHECK(same_date(rci_period_first_day(&p), D(2024, 1, 1)));
    CHECK(same_date(rci_period_last_day(&p), D(2024, 6, 30)));
    p = P(RCI_FREQ_HALF_YEARLY, "2024-H2");
    CHECK(same_date(rci_period_first_day(&p), D(2024, 7, 1)));
    CHECK(same_date(rci_period_last_day(&p), D(2024, 12, 31)));
    p = P(RCI_FREQ_YEARLY, "2024");
    CHECK(same_date(rci_period_first_day(&p), D(2024, 1, 1)));
    CHECK(same_date(rci_period_last_day(&p), D(2024, 12, 31)));
    p = P(RCI_FREQ_DAILY, "2024-05-17");
    CHECK(same_date(rci_period_first_day(&p), D(2024, 5, 17)));
    CHECK(same_date(rci_period_last_day(&p), D(2024, 5, 17)));
}

static void test_of_date(void)
{
    rci_period p;
    char b[RCI_PERIOD_TEXT_MAX];
    CHECK(rci_period_of_date(RCI_FREQ_QUARTERLY, D(2024, 6, 30), &p) == 0);
    rci_period_format(&p, b, sizeof b);
    CHECK_STR(b, "2024-Q2");
    CHECK(rci_period_of_date(RCI_FREQ_QUARTERLY, D(2024, 7, 1), &p) == 0);
    rci_period_format(&p, b, sizeof b);
    CHECK_STR(b, "2024-Q3");
    CHECK(rci_period_of_date(RCI_FREQ_HALF_YEARLY, D(2024, 6, 30), &p) == 0);
    rci_period_format(&p, b, sizeof b);
    CHECK_STR(b, "2024-H1");
    CHECK(rci_period_of_date(RCI_FREQ_HALF_YEARLY, D(2024, 7, 1), &p) == 0);
    rci_period_format(&p, b, sizeof b);
    CHECK_STR(b, "2024-H2");
    CHECK(rci_period_of_date(RCI_FREQ_MONTHLY, D(2024, 12, 31), &p) == 0);
    rci_period_format(&p, b, sizeof b);
    CHECK_STR(b, "2024-12");
    CHECK(rci_period_of_date(RCI_FREQ_YEARLY, D(2024, 12, 31), &p) == 0);
    rci_period_format(&p, b, sizeof b);
    CHECK_STR(b, "2024");
    CHECK(rci_period_of_date(RCI_FREQ_DAILY, D(2024, 12, 31), &p) == 0);
    CHECK(p.index == 366);
    CHECK(rci_period_of_date(RCI_FREQ_DAILY, D(1899, 12, 31), &p) == -1);
    CHECK(rci_period_of_date(RCI_FREQ_DAILY, D(3000, 1, 1), &p) == -1);
    CHECK(rci_period_of_date(RCI_FREQ_MONTHLY, D(2023, 2, 29), &p) == -1);
    CHECK(rci_period_of_date(RCI_FREQ_NONE, D(2024, 1, 1), &p) == -1);
    CHECK(rci_period_of_date((rci_freq)77, D(2024, 1, 1), &p) == -1);
}

/* ---- arithmetic ----------------------------------------------------------- */

static const char *add_text(rci_freq f, const char *s, int64_t n)
{
    static char b[RCI_PERIOD_TEXT_MAX];
    rci_period p = P(f, s), q;
    if (rci_period_add(&p, n, &q) != 0)
        return "(none)";
    rci_period_format(&q, b, sizeof b);
    return b;
}

static void test_add(void)
{
    CHECK_STR(add_text(RCI_FREQ_MONTHLY, "2024-12", 1), "2025-01");
    CHECK_STR(add_text(RCI_FREQ_MONTHLY, "2024-01", -1), "2023-12");
    CHECK_STR(add_text(RCI_FREQ_MONTHLY, "2024-05", 0), "2024-05");
    CHECK_STR(add_text(RCI_FREQ_MONTHLY, "2024-05", 36), "2027-05");
    CHECK_STR(add_text(RCI_FREQ_MONTHLY, "2024-05", -36), "2021-05");
    CHECK_STR(add_text(RCI_FREQ_MONTHLY, "2024-05", -17), "2022-12");
    CHECK_STR(add_text(RCI_FREQ_MONTHLY, "1900-01", -1), "(none)");
    CHECK_STR(add_text(RCI_FREQ_MONTHLY, "2999-12", 1), "(none)");
    CHECK_STR(add_text(RCI_FREQ_MONTHLY, "1900-01", 13199), "2999-12");
    CHECK_STR(add_text(RCI_FREQ_MONTHLY, "1900-01", 13200), "(none)");
    CHECK_STR(add_text(RCI_FREQ_QUARTERLY, "2024-Q4", 1), "2025-Q1");
    CHECK_STR(add_text(RCI_FREQ_QUARTERLY, "2024-Q1", -1), "2023-Q4");
    CHECK_STR(add_text(RCI_FREQ_QUARTERLY, "2024-Q2", 7), "2026-Q1");
    CHECK_STR(add_text(RCI_FREQ_HALF_YEARLY, "2024-H2", 1), "2025-H1");
    CHECK_STR(add_text(RCI_FREQ_HALF_YEARLY, "2024-H1", -1), "2023-H2");
    CHECK_STR(add_text(RCI_FREQ_HALF_YEARLY, "2024-H1", -3), "2022-H2");
    CHECK_STR(add_text(RCI_FREQ_YEARLY, "2024", 1), "2025");
    CHECK_STR(add_text(RCI_FREQ_YEARLY, "2024", -124), "1900");
    CHECK_STR(add_text(RCI_FREQ_YEARLY, "2024", -125), "(none)");
    CHECK_STR(add_text(RCI_FREQ_YEARLY, "2024", 975), "2999");
    CHECK_STR(add_text(RCI_FREQ_YEARLY, "2024", 976), "(none)");
    CHECK_STR(add_text(RCI_FREQ_DAILY, "2024-02-28", 1), "2024-02-29");
    CHECK_STR(add_text(RCI_FREQ_DAILY, "2024-02-29", 1), "2024-03-01");
    CHECK_STR(add_text(RCI_FREQ_DAILY, "2023-02-28", 1), "2023-03-01");
    CHECK_STR(add_text(RCI_FREQ_DAILY, "2024-12-31", 1), "2025-01-01");
    CHECK_STR(add_text(RCI_FREQ_DAILY, "2025-01-01", -1), "2024-12-31");
    CHECK_STR(add_text(RCI_FREQ_DAILY, "2024-05-17", 365), "2025-05-17");
    CHECK_STR(add_text(RCI_FREQ_DAILY, "2024-05-17", -366), "2023-05-17");
    CHECK_STR(add_text(RCI_FREQ_DAILY, "1900-01-01", -1), "(none)");
    CHECK_STR(add_text(RCI_FREQ_DAILY, "2999-12-31", 1), "(none)");
    /* huge steps are refused, not overflowed */
    CHECK_STR(add_text(RCI_FREQ_MONTHLY, "2024-05", INT64_MAX), "(none)");
    CHECK_STR(add_text(RCI_FREQ_MONTHLY, "2024-05", INT64_MIN), "(none)");
    CHECK_STR(add_text(RCI_FREQ_DAILY, "2024-05-17", INT64_MAX), "(none)");
    CHECK_STR(add_text(RCI_FREQ_DAILY, "2024-05-17", -(int64_t)4000000000LL), "(none)");
    CHECK_STR(add_text(RCI_FREQ_YEARLY, "2024", 3000000), "(none)");
    rci_period bad = {RCI_FREQ_MONTHLY, 2024, 13}, out;
    CHECK(rci_period_add(&bad, 1, &out) == -1);
    CHECK(rci_period_next(&bad, &out) == -1);
    CHECK(rci_period_prev(&bad, &out) == -1);
}

static void test_cmp(void)
{
    rci_period d1 = P(RCI_FREQ_DAILY, "2024-05-01"), m = P(RCI_FREQ_MONTHLY, "2024-05"),
               q = P(RCI_FREQ_QUARTERLY, "2024-Q2"), h = P(RCI_FREQ_HALF_YEARLY, "2024-H1"),
               y = P(RCI_FREQ_YEARLY, "2024"), d31 = P(RCI_FREQ_DAILY, "2024-05-31"),
               m4 = P(RCI_FREQ_MONTHLY, "2024-04"), y23 = P(RCI_FREQ_YEARLY, "2023");
    CHECK(rci_period_cmp(&m, &m) == 0);
    CHECK(rci_period_cmp(&d1, &m) < 0); /* same first day, shorter first */
    CHECK(rci_period_cmp(&m, &d1) > 0);
    CHECK(rci_period_cmp(&d31, &m) > 0);
    CHECK(rci_period_cmp(&m4, &q) < 0); /* April = Q2's first day, shorter */
    CHECK(rci_period_cmp(&q, &m) < 0);  /* Q2 starts in April */
    CHECK(rci_period_cmp(&y, &h) > 0);  /* same start, year longer */
    CHECK(rci_period_cmp(&y23, &h) < 0);
    CHECK(rci_period_cmp(&y23, &d1) < 0);
}

/* ---- decimal values ------------------------------------------------------- */

static int dec_ok(const char *text, const char *type, const char *min, const char *max,
                  int decimals)
{
    why[0] = 'x';
    int r = rci_decimal_check(text, type, min, max, decimals, why, sizeof why);
    return r == 0 && why[0] == '\0';
}

static void dec_bad(const char *text, const char *type, const char *min, const char *max,
                    int decimals, const char *reason, int line)
{
    int r = rci_decimal_check(text, type, min, max, decimals, why, sizeof why);
    if (r != -1 || strcmp(why, reason) != 0) {
        fprintf(stderr, "line %d: decimal_check(\"%s\") = %d, \"%s\"; want \"%s\"\n", line,
                text ? text : "(null)", r, why, reason);
        check_failed++;
    } else {
        check_passed++;
    }
}
#define DEC_BAD(t, ty, mi, ma, dc, reason) dec_bad(t, ty, mi, ma, dc, reason, __LINE__)

#define NOT_DEC "not a plain decimal number (like -12.5, 0 or 96.7)"

static void test_decimal_good(void)
{
    CHECK(dec_ok("-12.5", "decimal", NULL, NULL, -1));
    CHECK(dec_ok("96.7", "decimal", NULL, NULL, -1));
    CHECK(dec_ok("0", "decimal", NULL, NULL, -1));
    CHECK(dec_ok("-0", "decimal", NULL, NULL, -1));
    CHECK(dec_ok("0.0", "decimal", NULL, NULL, -1));
    CHECK(dec_ok("007", "decimal", NULL, NULL, -1));
    CHECK(dec_ok("0.5", "decimal", NULL, NULL, -1));
    CHECK(dec_ok("123456789012345678901234567890", "decimal", NULL, NULL, -1)); /* 30 digits */
    CHECK(dec_ok("-12345678901234567890.1234567890", "decimal", NULL, NULL, -1));
    CHECK(dec_ok("0.000000000000000000000000000001", "decimal", NULL, NULL, -1)); /* 1 sig */
    CHECK(dec_ok("0.123456789012345678901234567890", "decimal", NULL, NULL, -1));
    CHECK(dec_ok("00000000000000000000000000000000001", "decimal", NULL, NULL, -1));
    CHECK(dec_ok("42", "integer", NULL, NULL, -1));
    CHECK(dec_ok("-42", "integer", NULL, NULL, 2));
    CHECK(dec_ok("0", "integer", "0", NULL, -1));
    CHECK(dec_ok("96.7", "percent", NULL, NULL, 1));
    CHECK(dec_ok("0", "percent", NULL, NULL, -1));
    CHECK(dec_ok("100", "percent", NULL, NULL, -1));
    CHECK(dec_ok("100.0", "percent", NULL, NULL, -1));
    CHECK(dec_ok("100.000000", "percent", NULL, NULL, -1));
    CHECK(dec_ok("-0.0", "percent", NULL, NULL, -1));
    CHECK(dec_ok("150", "percent", "0", "200", -1)); /* growth index with its own range */
    CHECK(dec_ok("-3.5", "percent", "-100", NULL, -1));
}

static void test_decimal_form(void)
{
    DEC_BAD("", "decimal", NULL, NULL, -1, "value is empty");
    DEC_BAD(NULL, "decimal", NULL, NULL, -1, "value is empty");
    DEC_BAD("+12.5", "decimal", NULL, NULL, -1, "no '+' sign: write 12.5, not +12.5");
    DEC_BAD("1.2e-4", "decimal", NULL, NULL, -1, "no exponent: write 0.00012, not 1.2e-4");
    DEC_BAD("1E5", "decimal", NULL, NULL, -1, "no exponent: write 0.00012, not 1.2e-4");
    DEC_BAD("12,345", "decimal", NULL, NULL, -1,
            "no commas: write 12345.6, with a point for decimals and no thousands separators");
    DEC_BAD("12,5", "decimal", NULL, NULL, -1,
            "no commas: write 12345.6, with a point for decimals and no thousands separators");
    DEC_BAD("96.7%", "percent", NULL, NULL, -1, "no percent sign: write 96.7, not 96.7%");
    DEC_BAD(" 96.7", "decimal", NULL, NULL, -1, "value has a space in it");
    DEC_BAD("96.7 ", "decimal", NULL, NULL, -1, "value has a space in it");
    DEC_BAD("1 000", "decimal", NULL, NULL, -1, "value has a space in it");
    DEC_BAD("96.7\n", "decimal", NULL, NULL, -1, "value has a space in it");
    DEC_BAD(".5", "decimal", NULL, NULL, -1, "write 0.5, not .5: a digit must come before the point");
    DEC_BAD("-.5", "decimal", NULL, NULL, -1,
            "write 0.5, not .5: a digit must come before the point");
    DEC_BAD("5.", "decimal", NULL, NULL, -1,
            "a point must be followed by digits: write 5 or 5.0, not 5.");
    DEC_BAD("-5.", "decimal", NULL, NULL, -1,
            "a point must be followed by digits: write 5 or 5.0, not 5.");
    DEC_BAD(".", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("-", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("--1", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("-+1", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("1-", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("1.2.3", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("1..2", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("0x1A", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("NaN", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("nan", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("inf", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("-Infinity", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("e5", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("abc", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("１２", "decimal", NULL, NULL, -1, NOT_DEC); /* full-width digits */
    DEC_BAD("12\xEF\xBC\x8E" "5", "decimal", NULL, NULL, -1, NOT_DEC); /* full-width point */
    DEC_BAD("−12", "decimal", NULL, NULL, -1, NOT_DEC);  /* U+2212 minus sign */
    DEC_BAD("12'345", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("12_345", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("(12)", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("¥12", "decimal", NULL, NULL, -1, NOT_DEC);
    DEC_BAD("12\x01", "decimal", NULL, NULL, -1, NOT_DEC);
    /* 31 significant digits, in every position */
    DEC_BAD("1234567890123456789012345678901", "decimal", NULL, NULL, -1,
            "more than 30 significant digits");
    DEC_BAD("-1234567890123456789012345678901", "decimal", NULL, NULL, -1,
            "more than 30 significant digits");
    DEC_BAD("12345678901234567890.12345678901", "decimal", NULL, NULL, -1,
            "more than 30 significant digits");
    DEC_BAD("0.1234567890123456789012345678901", "decimal", NULL, NULL, -1,
            "more than 30 significant digits");
    DEC_BAD("100000000000000000000000000000.0", "decimal", NULL, NULL, -1,
            "more than 30 significant digits"); /* trailing zeros written count */
    /* length */
    char longv[RCI_DECIMAL_TEXT_MAX + 2];
    memset(longv, '0', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    DEC_BAD(longv, "decimal", NULL, NULL, -1, "value is longer than 64 characters");
    longv[RCI_DECIMAL_TEXT_MAX] = '\0'; /* 64 zeros: fine */
    CHECK(dec_ok(longv, "decimal", NULL, NULL, -1));
}

static void test_decimal_type_and_decimals(void)
{
    DEC_BAD("12.5", "integer", NULL, NULL, -1, "expected a whole number, without a decimal point");
    DEC_BAD("12.0", "integer", NULL, NULL, -1, "expected a whole number, without a decimal point");
    DEC_BAD("-0.0", "integer", NULL, NULL, 3, "expected a whole number, without a decimal point");
    DEC_BAD("96.75", "percent", NULL, NULL, 1, "2 decimals, at most 1 allowed");
    DEC_BAD("96.70", "percent", NULL, NULL, 1, "2 decimals, at most 1 allowed");
    DEC_BAD("12.5", "decimal", NULL, NULL, 0, "no decimals allowed, 1 given");
    DEC_BAD("0.001", "decimal", NULL, NULL, 2, "3 decimals, at most 2 allowed");
    CHECK(dec_ok("0.01", "decimal", NULL, NULL, 2));
    CHECK(dec_ok("0.1", "decimal", NULL, NULL, 2));
    CHECK(dec_ok("12", "decimal", NULL, NULL, 0));
    CHECK(dec_ok("12.345678", "decimal", NULL, NULL, -1));
    CHECK(dec_ok("12.345678", "decimal", NULL, NULL, -7));
    DEC_BAD("1", "float", NULL, NULL, -1, "indicator has an unknown value type \"float\"");
    DEC_BAD("1", "Decimal", NULL, NULL, -1, "indicator has an unknown value type \"Decimal\"");
    DEC_BAD("1", "", NULL, NULL, -1, "indicator has an unknown value type \"\"");
    DEC_BAD("1", NULL, NULL, NULL, -1, "indicator has no value type");
    /* form is checked before type: the agency fixes the text first */
    DEC_BAD("1e3", "integer", NULL, NULL, -1, "no exponent: write 0.00012, not 1.2e-4");
}

static void test_decimal_range(void)
{
    /* percent's default range, at and just past both ends */
    CHECK(dec_ok("100.0", "percent", NULL, NULL, -1));
    DEC_BAD("100.01", "percent", NULL, NULL, -1, "100.01 is above the maximum 100");
    DEC_BAD("100.000000000000000000000000001", "percent", NULL, NULL, -1,
            "100.000000000000000000000000001 is above the maximum 100");
    DEC_BAD("101", "percent", NULL, NULL, -1, "101 is above the maximum 100");
    DEC_BAD("1000", "percent", NULL, NULL, -1, "1000 is above the maximum 100");
    DEC_BAD("-0.1", "percent", NULL, NULL, -1, "-0.1 is below the minimum 0");
    DEC_BAD("-0.000000000000000000000000001", "percent", NULL, NULL, -1,
            "-0.000000000000000000000000001 is below the minimum 0");
    CHECK(dec_ok("-0", "percent", NULL, NULL, -1));
    CHECK(dec_ok("-0.000", "percent", NULL, NULL, -1));
    CHECK(dec_ok("0099.99", "percent", NULL, NULL, -1));
    /* given bounds, exactly at and just past them, as any number of digits */
    CHECK(dec_ok("29", "decimal", "0", "29", -1));
    CHECK(dec_ok("29.000", "decimal", "0", "29", -1));
    CHECK(dec_ok("29", "decimal", "0", "29.000", -1));
    DEC_BAD("29.001", "decimal", "0", "29", -1, "29.001 is above the maximum 29");
    DEC_BAD("29.0000000000000000000000001", "decimal", "0", "29.0", -1,
            "29.0000000000000000000000001 is above the maximum 29.0");
    CHECK(dec_ok("-12.5", "decimal", "-12.5", "12.5", -1));
    CHECK(dec_ok("-12.50", "decimal", "-12.5", "12.5", -1));
    DEC_BAD("-12.51", "decimal", "-12.5", "12.5", -1, "-12.51 is below the minimum -12.5");
    DEC_BAD("-13", "decimal", "-12.5", "12.5", -1, "-13 is below the minimum -12.5");
    DEC_BAD("12.500001", "decimal", "-12.5", "12.5", -1, "12.500001 is above the maximum 12.5");
    CHECK(dec_ok("9", "decimal", "-12.5", "12.5", -1));
    CHECK(dec_ok("-9", "decimal", "-12.5", "12.5", -1));
    CHECK(dec_ok("0", "decimal", "-0", "0", -1));
    CHECK(dec_ok("-0", "decimal", "0", "-0", -1));
    DEC_BAD("0.1", "decimal", "-1", "0", -1, "0.1 is above the maximum 0");
    DEC_BAD("10", "decimal", "0", "9.99", -1, "10 is above the maximum 9.99");
    DEC_BAD("9", "decimal", "10", NULL, -1, "9 is below the minimum 10");
    DEC_BAD("99", "decimal", "100", NULL, -1, "99 is below the minimum 100");
    CHECK(dec_ok("100", "decimal", "99.999999999999999999999999999999999999", NULL, -1));
    DEC_BAD("-100", "decimal", "-99.9999999999999999999999999", NULL, -1,
            "-100 is below the minimum -99.9999999999999999999999999");
    /* bounds longer than values may be: they are compared in full */
    CHECK(dec_ok("1", "decimal", "0.0000000000000000000000000000000000000000000000000000000001",
                 NULL, -1));
    DEC_BAD("0", "decimal", "0.0000000000000000000000000000000000000000000000000000000001", NULL,
            -1, "0 is below the minimum "
            "0.0000000000000000000000000000000000000000000000000000000001");
    /* one bound only */
    CHECK(dec_ok("1000000", "decimal", "0", NULL, -1));
    CHECK(dec_ok("-1000000", "decimal", NULL, "0", -1));
    DEC_BAD("1", "decimal", NULL, "0", -1, "1 is above the maximum 0");
    /* integer bounds */
    CHECK(dec_ok("34", "integer", "0", "34", -1));
    DEC_BAD("35", "integer", "0", "34", -1, "35 is above the maximum 34");
    /* an empty range refuses everything */
    DEC_BAD("5", "decimal", "10", "0", -1, "5 is below the minimum 10");
    /* malformed bounds are the definition's fault and say so */
    DEC_BAD("5", "decimal", "1e3", NULL, -1,
            "indicator's minimum \"1e3\" is not a decimal number");
    DEC_BAD("5", "decimal", NULL, "", -1, "indicator's maximum \"\" is not a decimal number");
    DEC_BAD("5", "percent", "abc", NULL, -1,
            "indicator's minimum \"abc\" is not a decimal number");
    /* the value's form is checked before the range */
    DEC_BAD("1000%", "percent", NULL, NULL, -1, "no percent sign: write 96.7, not 96.7%");
    /* the value's decimals before the range */
    DEC_BAD("100.01", "percent", NULL, NULL, 1, "2 decimals, at most 1 allowed");
}

static void test_decimal_cmp(void)
{
    CHECK(rci_decimal_cmp("1", "1") == 0);
    CHECK(rci_decimal_cmp("1.50", "1.5") == 0);
    CHECK(rci_decimal_cmp("001.5", "1.50") == 0);
    CHECK(rci_decimal_cmp("-0", "0") == 0);
    CHECK(rci_decimal_cmp("-0.000", "0") == 0);
    CHECK(rci_decimal_cmp("0.0", "-0") == 0);
    CHECK(rci_decimal_cmp("1", "2") < 0);
    CHECK(rci_decimal_cmp("2", "1") > 0);
    CHECK(rci_decimal_cmp("10", "9") > 0);
    CHECK(rci_decimal_cmp("9.99", "10") < 0);
    CHECK(rci_decimal_cmp("-10", "-9") < 0);
    CHECK(rci_decimal_cmp("-9", "-10") > 0);
    CHECK(rci_decimal_cmp("-1", "0") < 0);
    CHECK(rci_decimal_cmp("0", "-1") > 0);
    CHECK(rci_decimal_cmp("-0.5", "-0.25") < 0);
    CHECK(rci_decimal_cmp("0.25", "0.5") < 0);
    CHECK(rci_decimal_cmp("0.1", "0.09999999999999999999999999999999999999999") > 0);
    CHECK(rci_decimal_cmp("123456789012345678901234567890123456789",
                          "123456789012345678901234567890123456788") > 0);
    /* non-numbers compare as equal: check first */
    CHECK(rci_decimal_cmp("x", "1") == 0);
    CHECK(rci_decimal_cmp(NULL, "1") == 0);

    /* Against long double on many small numbers with few digits, where
     * binary floating point is exact enough to be the reference. */
    static const char *nums[] = {"0",     "-0",  "1",    "-1",   "0.5",  "-0.5",  "0.25", "10",
                                 "9.75",  "100", "99.5", "-100", "0.125", "-0.125", "7",   "007.0",
                                 "12.50", "-3",  "3",    "2.5"};
    size_t n = sizeof nums / sizeof nums[0];
    int wrong = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            long double a = strtold(nums[i], NULL), b = strtold(nums[j], NULL);
            int want = (a > b) - (a < b);
            int got = rci_decimal_cmp(nums[i], nums[j]);
            got = (got > 0) - (got < 0);
            if (got != want)
                wrong++;
        }
    CHECK(wrong == 0);
}

static void test_decimal_why_optional(void)
{
    CHECK(rci_decimal_check("101", "percent", NULL, NULL, -1, NULL, 0) == -1);
    CHECK(rci_decimal_check("99", "percent", NULL, NULL, -1, NULL, 0) == 0);
    char small[5];
    memset(small, 'x', sizeof small);
    CHECK(rci_decimal_check("101", "percent", NULL, NULL, -1, small, 4) == -1);
    CHECK_STR(small, "101");
    CHECK(small[4] == 'x');
}

int main(void)
{
    test_leap_years();
    test_date_valid();
    test_day_numbers();
    test_weekday();
    test_date_format_cmp();
    test_freq_names();
    test_parse_good();
    test_parse_infer();
    test_parse_wrong_form();
    test_parse_out_of_range();
    test_parse_small_strings();
    test_parse_all_indexes();
    test_parse_why_optional();
    test_format();
    test_round_trip_everything();
    test_bounds();
    test_of_date();
    test_add();
    test_cmp();
    test_decimal_good();
    test_decimal_form();
    test_decimal_type_and_decimals();
    test_decimal_range();
    test_decimal_cmp();
    test_decimal_why_optional();
    return check_done();
}
