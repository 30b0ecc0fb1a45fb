/* period.h: reporting periods, calendar dates and decimal value text.
 * Pure code, no I/O, no allocation.
 *
 * A period is what a value is reported for: a day, a month, a quarter, a
 * half-year or a year, written strictly one way per frequency:
 *
 *   daily        2024-05-17     monthly   2024-05     quarterly   2024-Q2
 *   half_yearly  2024-H1        yearly    2024
 *
 * Years run 1900..2999; days are real Gregorian dates. Nothing else is
 * accepted: no spaces, no "2024-5", no "2024/05", no lower-case "q".
 *
 * Dates (rci_date) are calendar dates in China Standard Time (Asia/Shanghai,
 * UTC+8, no daylight saving; DESIGN §6): "2024-05-17" is that day in
 * Shenzhen, and nothing here knows or needs a time zone. The caller turns an
 * instant into a CST date before asking which period it falls in.
 *
 * This file also owns the check of a value's decimal text against an
 * indicator's value type, range and decimals (rci_decimal_check): values
 * travel as the text an agency typed, and the check is exact on that text.
 *
 * Every function that can fail writes a short English reason into why (if
 * not NULL; whylen bytes, always NUL-terminated) that an agency can act on,
 * such as "month 13 out of range (01..12)". The caller adds the row and the
 * field.
 */
#ifndef RCI_PERIOD_H
#define RCI_PERIOD_H

#include <stddef.h>
#include <stdint.h>

/* ---- calendar dates ------------------------------------------------------ */

/* A proleptic Gregorian calendar date (CST). Valid: year 1..9999. */
typedef struct rci_date {
    int year, month, day;
} rci_date;

/* Room for "YYYY-MM-DD" and its NUL. */
#define RCI_DATE_TEXT_MAX 11

/* 1 if y is a leap year (Gregorian), else 0. */
int rci_date_is_leap(int year);

/* Days in month m (1..12) of year y; 0 if m is out of range. */
int rci_date_days_in_month(int year, int month);

/* 1 if d is a real date with year 1..9999, else 0. */
int rci_date_valid(rci_date d);

/* Days since 1970-01-01 (negative before). d must be valid. */
int32_t rci_date_to_days(rci_date d);

/* The date n days after 1970-01-01. Exact for every n whose date has year
 * 1..9999 (n in -719162..2932896); outside that the result is not valid. */
rci_date rci_date_from_days(int32_t n);

/* ISO weekday of a valid date: 1 = Monday … 7 = Sunday. */
int rci_date_weekday(rci_date d);

/* <0, 0, >0 as a is before, equal to, after b. */
int rci_date_cmp(rci_date a, rci_date b);

/* Writes "YYYY-MM-DD" (buf of at least RCI_DATE_TEXT_MAX bytes); returns
 * 10, or -1 (and an empty buf) if d is not valid or buflen too small. */
int rci_date_format(rci_date d, char *buf, size_t buflen);

/* ---- periods ------------------------------------------------------------- */

typedef enum rci_freq {
    RCI_FREQ_NONE = 0, /* "infer from the text" where a frequency is asked for */
    RCI_FREQ_DAILY,
    RCI_FREQ_MONTHLY,
    RCI_FREQ_QUARTERLY,
    RCI_FREQ_HALF_YEARLY,
    RCI_FREQ_YEARLY
} rci_freq;

/* One period. index is the period's number inside its year:
 *   daily        day of the year, 1..365 (366 in leap years)
 *   monthly      month, 1..12
 *   quarterly    quarter, 1..4
 *   half_yearly  half, 1..2
 *   yearly       always 1
 * Build one with rci_period_parse, rci_period_of_date or by hand followed
 * by rci_period_valid. */
typedef struct rci_period {
    rci_freq freq;
    int year; /* 1900..2999 */
    int index;
} rci_period;

#define RCI_PERIOD_YEAR_MIN 1900
#define RCI_PERIOD_YEAR_MAX 2999
/* Room for the longest canonical text ("2024-05-17") and its NUL. */
#define RCI_PERIOD_TEXT_MAX 11

/* The SQL name of a frequency: "daily", "monthly", "quarterly",
 * "half_yearly", "yearly"; NULL for RCI_FREQ_NONE or a bad value. */
const char *rci_period_freq_name(rci_freq f);

/* The frequency for an SQL name (exact, lower case); RCI_FREQ_NONE if the
 * name is none of the five. */
rci_freq rci_period_freq_from_name(const char *name);

/* 1 if p is a period (known frequency, year 1900..2999, index in range for
 * that year), else 0. */
int rci_period_valid(const rci_period *p);

/* Parse text (NUL-terminated) as a period of frequency freq. With
 * RCI_FREQ_NONE the frequency is taken from the form of the text. Returns 0
 * and fills *out, or -1 with the reason in why, e.g.
 *   "expected YYYY-MM for a monthly indicator (2024-Q2 is a quarterly period)"
 *   "month 13 out of range (01..12)"
 *   "day 29 out of range for 2023-02 (01..28)"
 *   "year 1899 out of range (1900..2999)". */
int rci_period_parse(rci_freq freq, const char *text, rci_period *out, char *why, size_t whylen);

/* Writes the canonical text of p (buf of at least RCI_PERIOD_TEXT_MAX
 * bytes). Returns its length, or -1 (and an empty buf) if p is not valid or
 * buflen is too small. rci_period_parse of the text gives p back. */
int rci_period_format(const rci_period *p, char *buf, size_t buflen);

/* First and last day of a valid period. */
rci_date rci_period_first_day(const rci_period *p);
rci_date rci_period_last_day(const rci_period *p);

/* The period of frequency freq (not NONE) that contains date d. Returns 0,
 * or -1 if freq is bad or d's year is outside 1900..2999. */
int rci_period_of_date(rci_freq freq, rci_date d, rci_period *out);

/* The period n periods after p (before, for negative n) of the same
 * frequency. Returns 0, or -1 if p is not valid or the result leaves
 * 1900..2999. */
int rci_period_add(const rci_period *p, int64_t n, rci_period *out);
int rci_period_next(const rci_period *p, rci_period *out);
int rci_period_prev(const rci_period *p, rci_period *out);

/* Total order on valid periods: by first day, then by last day (so a day
 * sorts before the month that starts with it). For one frequency this is
 * plain time order. Returns <0, 0, >0. */
int rci_period_cmp(const rci_period *a, const rci_period *b);

/* ---- decimal value text -------------------------------------------------- */

/* Longest value text accepted, and most significant digits in it. */
#define RCI_DECIMAL_TEXT_MAX 64
#define RCI_DECIMAL_DIGITS_MAX 30

/* Check text (NUL-terminated) as a value of an indicator:
 *   value_type  "decimal", "integer" or "percent"
 *   min, max    inclusive bounds as decimal text, or NULL for none; a
 *               percent with a NULL bound uses 0 and 100 for it
 *   decimals    most digits after the point, or -1 for no limit; an
 *               integer allows none whatever this says
 * The text must be a plain decimal number: an optional '-', digits, and
 * optionally '.' followed by digits ("-12.5", "96.7", "0", "007"); no '+',
 * no exponent, no thousands separators, no spaces, no ".5" or "5.", at most
 * RCI_DECIMAL_DIGITS_MAX significant digits (from the first non-zero digit
 * to the last digit written) and RCI_DECIMAL_TEXT_MAX bytes. Decimals are
 * counted as written ("96.70" has 2), and the range is compared exactly on
 * the digits ("100.0" <= 100 holds, "100.000000000000000000001" > 100).
 * Returns 0 if the value is acceptable, -1 with the reason in why
 * otherwise (also when value_type, min or max is itself malformed). */
int rci_decimal_check(const char *text, const char *value_type, const char *min, const char *max,
                      int decimals, char *why, size_t whylen);

/* Exact comparison of two texts that are plain decimal numbers in the
 * sense above (any length): <0, 0, >0. "-0" equals "0"; "1.50" equals
 * "1.5". Returns 0 for anything that is not such a number: check first. */
int rci_decimal_cmp(const char *a, const char *b);

#endif
