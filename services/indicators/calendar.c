/* calendar.c: the working-day calendar and due dates (see calendar.h).
 * Pure code: no I/O; memory only in rci_cal_new and rci_cal_free.
 *
 * Days are counted as days since 1970-01-01 (period.h). The special days
 * are kept sorted, each with the running sum of how much the days before it
 * change the plain weekday count (+1 for a make-up Saturday or Sunday, -1
 * for a holiday on a weekday, 0 for a special day that changes nothing).
 * Counting working days in a range is then arithmetic on weeks plus two
 * binary searches; stepping to the n-th working day walks day by day with a
 * cursor into the sorted list, and the two are checked against each other
 * by the unit tests and the fuzzer.
 */
#include "indicators/calendar.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct special {
    int32_t day;  /* days since 1970-01-01 */
    int working;  /* 1 make-up working day, 0 holiday */
    long before;  /* sum of the changes of the special days before this one */
} special;

struct rci_cal {
    size_t n;
    special days[]; /* sorted by day, no two alike */
};

/* The first and the last day of the years 1..9999. */
#define DAY_MIN (-719162)
#define DAY_MAX 2932896

/* Monday to Friday, by day number (1970-01-01 was a Thursday). */
static int weekday_rule(int32_t day)
{
    int64_t w = (((int64_t)day + 3) % 7 + 7) % 7; /* 0 = Monday */
    return w < 5;
}

/* How a special day changes the plain weekday count. */
static int change_of(const special *s)
{
    return s->working - weekday_rule(s->day);
}

static int cmp_day(const void *a, const void *b)
{
    const rci_cal_day *x = a, *y = b;
    int32_t dx = rci_date_to_days(x->date), dy = rci_date_to_days(y->date);
    return (dx > dy) - (dx < dy);
}

rci_cal *rci_cal_new(const rci_cal_day *days, size_t n, char *why, size_t whylen)
{
    if (why && whylen)
        why[0] = '\0';
    if (n > (SIZE_MAX - sizeof(rci_cal)) / sizeof(special) / 2) {
        if (why)
            snprintf(why, whylen, "too many special days");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!rci_date_valid(days[i].date)) {
            if (why)
                snprintf(why, whylen, "special day %zu is not a valid date (%d-%d-%d)", i,
                         days[i].date.year, days[i].date.month, days[i].date.day);
            return NULL;
        }
    }
    rci_cal_day *sorted = n ? malloc(n * sizeof *sorted) : NULL;
    rci_cal *cal = malloc(sizeof *cal + n * sizeof(special));
    if ((n && !sorted) || !cal) {
        free(sorted);
        free(cal);
        if (why)
            snprintf(why, whylen, "out of memory");
        return NULL;
    }
    if (n) {
        memcpy(sorted, days, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, cmp_day);
    }
    cal->n = 0;
    long sum = 0;
    for (size_t i = 0; i < n; i++) {
        int working = sorted[i].working != 0;
        int32_t day = rci_date_to_days(sorted[i].date);
        if (cal->n && cal->days[cal->n - 1].day == day) {
            if (cal->days[cal->n - 1].working != working) {
                if (why) {
                    char t[RCI_DATE_TEXT_MAX];
                    rci_date_format(sorted[i].date, t, sizeof t);
                    snprintf(why, whylen, "%s is listed both as a holiday and as a working day",
                             t);
                }
                free(sorted);
                free(cal);
                return NULL;
            }
            continue;
        }
        special *s = &cal->days[cal->n++];
        s->day = day;
        s->working = working;
        s->before = sum;
        sum += change_of(s);
    }
    free(sorted);
    return cal;
}

void rci_cal_free(rci_cal *cal)
{
    free(cal);
}

size_t rci_cal_special_count(const rci_cal *cal)
{
    return cal->n;
}

/* Index of the first special day later than day (cal->n if none). */
static size_t first_after(const rci_cal *cal, int32_t day)
{
    size_t lo = 0, hi = cal->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->days[mid].day <= day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int working_on(const rci_cal *cal, int32_t day)
{
    size_t i = first_after(cal, day);
    if (i > 0 && cal->days[i - 1].day == day)
        return cal->days[i - 1].working;
    return weekday_rule(day);
}

int rci_cal_is_working(const rci_cal *cal, rci_date d)
{
    return working_on(cal, rci_date_to_days(d));
}

int rci_cal_add_working_days(const rci_cal *cal, rci_date d, int n, rci_date *out)
{
    if (!rci_date_valid(d) || n > RCI_CAL_MAX_STEP || n < -RCI_CAL_MAX_STEP)
        return -1;
    int32_t day = rci_date_to_days(d);
    if (n > 0) {
        size_t i = first_after(cal, day); /* next special day to meet */
        while (n > 0) {
            if (day >= DAY_MAX)
                return -1;
            day++;
            int w;
            if (i < cal->n && cal->days[i].day == day)
                w = cal->days[i++].working;
            else
                w = weekday_rule(day);
            n -= w;
        }
    } else if (n < 0) {
        size_t i = first_after(cal, day - 1); /* specials before day: [0, i) */
        while (n < 0) {
            if (day <= DAY_MIN)
                return -1;
            day--;
            int w;
            if (i > 0 && cal->days[i - 1].day == day)
                w = cal->days[--i].working;
            else
                w = weekday_rule(day);
            n += w;
        }
    }
    *out = rci_date_from_days(day);
    return 0;
}

/* Plain weekdays among the days before day (from a fixed Monday long
 * before the year 1). */
static int64_t weekdays_before(int32_t day)
{
    int64_t t = (int64_t)day + 3 + 7 * 200000; /* a multiple of 7 is a Monday */
    return 5 * (t / 7) + (t % 7 < 5 ? t % 7 : 5);
}

/* The change the special days up to and including day make. */
static long changes_through(const rci_cal *cal, int32_t day)
{
    size_t i = first_after(cal, day);
    if (i == 0)
        return 0;
    const special *s = &cal->days[i - 1];
    return s->before + change_of(s);
}

long rci_cal_count_working_days(const rci_cal *cal, rci_date a, rci_date b)
{
    int32_t x = rci_date_to_days(a), y = rci_date_to_days(b);
    int sign = 1;
    if (y < x) {
        int32_t t = x;
        x = y;
        y = t;
        sign = -1;
    }
    /* working days in (x, y] */
    int64_t plain = weekdays_before(y + 1) - weekdays_before(x + 1);
    long changes = changes_through(cal, y) - changes_through(cal, x);
    return sign * (long)(plain + changes);
}

int rci_cal_due_date(const rci_cal *cal, const rci_period *p, int working_days, rci_date *out)
{
    if (!rci_period_valid(p))
        return -1;
    if (working_days == RCI_CAL_DUE_DEFAULT)
        working_days = p->freq == RCI_FREQ_DAILY ? RCI_CAL_DUE_DAILY : RCI_CAL_DUE_MONTHLY;
    if (working_days < 0)
        return -1;
    return rci_cal_add_working_days(cal, rci_period_last_day(p), working_days, out);
}
