/* calendar.h: the working-day calendar and reporting due dates.
 * Pure code, no I/O.
 *
 * A day is a working day when it is Monday to Friday, a rest day when it is
 * Saturday or Sunday, unless the calendar's list of special days says
 * otherwise: a public holiday (working = 0) or a make-up working day (调休,
 * working = 1, usually a weekend day next to a long holiday). The list comes
 * from the caller; in the daemon it is the calendar_days table (migration
 * 0005, editable by admin), which this module never reads itself.
 *
 * All dates are calendar dates in China Standard Time (see period.h).
 *
 * A calendar is immutable once built, so one can be shared by every event
 * loop thread without locks; to change it, build a new one and swap.
 *
 * Due dates (issue 3, Heyuan seed): a monthly value is due 3 working days
 * after the month ends, counting from the day after the last day; quarterly,
 * half-yearly and yearly values likewise; a daily value 1 working day after
 * its day. So January 2020 (ending Friday 2020-01-31, with 2020-02-01..02 a
 * holiday) is due Wednesday 2020-02-05.
 */
#ifndef RCI_CALENDAR_H
#define RCI_CALENDAR_H

#include <stddef.h>

#include "indicators/period.h"

/* One special day: a holiday (working = 0) or a make-up working day
 * (working = 1). A holiday on a weekend or a working day on a weekday
 * changes nothing and is allowed. */
typedef struct rci_cal_day {
    rci_date date;
    int working;
} rci_cal_day;

typedef struct rci_cal rci_cal;

/* The default number of working days between a period's end and its due
 * date: 3, and 1 for daily periods. */
#define RCI_CAL_DUE_MONTHLY 3
#define RCI_CAL_DUE_DAILY 1
/* Pass as working_days to rci_cal_due_date for the default. */
#define RCI_CAL_DUE_DEFAULT (-1)

/* Most working days one call may step (about 400 years). */
#define RCI_CAL_MAX_STEP 100000

/* Build a calendar from n special days (days may be NULL when n is 0: the
 * plain Monday-to-Friday calendar). Dates must be valid; a date may appear
 * more than once only with the same working flag. Returns the calendar
 * (free with rci_cal_free), or NULL with the reason in why: a bad date,
 * a date listed as both, or no memory. */
rci_cal *rci_cal_new(const rci_cal_day *days, size_t n, char *why, size_t whylen);

/* Frees cal; NULL is fine. */
void rci_cal_free(rci_cal *cal);

/* Number of distinct special days in cal. */
size_t rci_cal_special_count(const rci_cal *cal);

/* 1 if d is a working day in cal, else 0. d must be valid. */
int rci_cal_is_working(const rci_cal *cal, rci_date d);

/* The n-th working day strictly after d (n > 0), strictly before d (n < 0),
 * or d itself (n == 0). Returns 0 and sets *out, or -1 if d is not valid,
 * |n| > RCI_CAL_MAX_STEP, or the search leaves the years 1..9999. */
int rci_cal_add_working_days(const rci_cal *cal, rci_date d, int n, rci_date *out);

/* The number of working days in (a, b]: after a, up to and including b;
 * the negative of that for (b, a] when b is before a. So for n > 0,
 * rci_cal_count_working_days(a, rci_cal_add_working_days(a, n)) == n.
 * Both dates must be valid. */
long rci_cal_count_working_days(const rci_cal *cal, rci_date a, rci_date b);

/* The date a value for period p is due: working_days working days after
 * the period's last day (RCI_CAL_DUE_DEFAULT: 3, or 1 for daily). A value
 * first reported on or before that date (CST) is on time. Returns 0, or -1
 * if p is not valid or working_days is negative and not the default. */
int rci_cal_due_date(const rci_cal *cal, const rci_period *p, int working_days, rci_date *out);

#endif
