/* period.c: reporting periods, calendar dates and decimal value text (see
 * period.h). Pure code: no I/O, no allocation, no global state.
 *
 * Dates are converted to a day count with the civil-from-days algorithms of
 * Howard Hinnant ("chrono-Compatible Low-Level Date Algorithms"), exact for
 * the whole proleptic Gregorian calendar. Periods are (frequency, year,
 * index) triples; all arithmetic on them goes through a period number
 * (year * periods-per-year + index - 1), or through the day count for days.
 * Decimal text is never converted to a binary number: it is compared digit
 * by digit, so boundaries are exact.
 */
#include "indicators/period.h"

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

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- calendar dates ------------------------------------------------------ */

int rci_date_is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int rci_date_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    return month == 2 && rci_date_is_leap(year) ? 29 : days[month - 1];
}

int rci_date_valid(rci_date d)
{
    return d.year >= 1 && d.year <= 9999 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
           d.day <= rci_date_days_in_month(d.year, d.month);
}

int32_t rci_date_to_days(rci_date d)
{
    int64_t y = d.year - (d.month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                          /* 0..399 */
    int64_t doy = (153 * (d.month + (d.month > 2 ? -3 : 9)) + 2) / 5 + d.day - 1; /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                  /* 0..146096 */
    return (int32_t)(era * 146097 + doe - 719468);
}

rci_date rci_date_from_days(int32_t n)
{
    int64_t z = (int64_t)n + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                       /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                /* 0..365 */
    int64_t mp = (5 * doy + 2) / 153;                                     /* 0..11 */
    rci_date d;
    d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    d.year = (int)(yoe + era * 400 + (d.month <= 2));
    return d;
}

int rci_date_weekday(rci_date d)
{
    int64_t n = rci_date_to_days(d); /* 0 = 1970-01-01, a Thursday */
    int64_t w = ((n + 3) % 7 + 7) % 7; /* 0 = Monday */
    return (int)w + 1;
}

int rci_date_cmp(rci_date a, rci_date b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.month != b.month)
        return a.month < b.month ? -1 : 1;
    if (a.day != b.day)
        return a.day < b.day ? -1 : 1;
    return 0;
}

int rci_date_format(rci_date d, char *buf, size_t buflen)
{
    if (!buf || buflen < RCI_DATE_TEXT_MAX || !rci_date_valid(d)) {
        if (buf && buflen)
            buf[0] = '\0';
        return -1;
    }
    snprintf(buf, buflen, "%04d-%02d-%02d", d.year, d.month, d.day);
    return 10;
}

/* ---- periods ------------------------------------------------------------- */

static const struct freq_info {
    const char *name;     /* SQL name */
    const char *prose;    /* in messages */
    const char *form;     /* the expected text */
    int per_year;         /* periods in a year; 0 for daily (365 or 366) */
} freqs[] = {
    [RCI_FREQ_NONE] = {NULL, NULL, NULL, 0},
    [RCI_FREQ_DAILY] = {"daily", "daily", "YYYY-MM-DD", 0},
    [RCI_FREQ_MONTHLY] = {"monthly", "monthly", "YYYY-MM", 12},
    [RCI_FREQ_QUARTERLY] = {"quarterly", "quarterly", "YYYY-Qn (n = 1..4)", 4},
    [RCI_FREQ_HALF_YEARLY] = {"half_yearly", "half-yearly", "YYYY-Hn (n = 1..2)", 2},
    [RCI_FREQ_YEARLY] = {"yearly", "yearly", "YYYY", 1},
};

static int freq_known(rci_freq f)
{
    return f >= RCI_FREQ_DAILY && f <= RCI_FREQ_YEARLY;
}

const char *rci_period_freq_name(rci_freq f)
{
    return freq_known(f) ? freqs[f].name : NULL;
}

rci_freq rci_period_freq_from_name(const char *name)
{
    if (!name)
        return RCI_FREQ_NONE;
    for (int f = RCI_FREQ_DAILY; f <= RCI_FREQ_YEARLY; f++)
        if (strcmp(name, freqs[f].name) == 0)
            return (rci_freq)f;
    return RCI_FREQ_NONE;
}

/* Periods of frequency f in year y. */
static int periods_in_year(rci_freq f, int year)
{
    if (f == RCI_FREQ_DAILY)
        return rci_date_is_leap(year) ? 366 : 365;
    return freqs[f].per_year;
}

int rci_period_valid(const rci_period *p)
{
    return p && freq_known(p->freq) && p->year >= RCI_PERIOD_YEAR_MIN &&
           p->year <= RCI_PERIOD_YEAR_MAX && p->index >= 1 &&
           p->index <= periods_in_year(p->freq, p->year);
}

static rci_date ymd(int y, int m, int d)
{
    rci_date r = {y, m, d};
    return r;
}

rci_date rci_period_first_day(const rci_period *p)
{
    switch (p->freq) {
    case RCI_FREQ_DAILY:
        return rci_date_from_days(rci_date_to_days(ymd(p->year, 1, 1)) + p->index - 1);
    case RCI_FREQ_MONTHLY:
        return ymd(p->year, p->index, 1);
    case RCI_FREQ_QUARTERLY:
        return ymd(p->year, 3 * (p->index - 1) + 1, 1);
    case RCI_FREQ_HALF_YEARLY:
        return ymd(p->year, 6 * (p->index - 1) + 1, 1);
    default:
        return ymd(p->year, 1, 1);
    }
}

rci_date rci_period_last_day(const rci_period *p)
{
    int m;
    switch (p->freq) {
    case RCI_FREQ_DAILY:
        return rci_period_first_day(p);
    case RCI_FREQ_MONTHLY:
        m = p->index;
        break;
    case RCI_FREQ_QUARTERLY:
        m = 3 * p->index;
        break;
    case RCI_FREQ_HALF_YEARLY:
        m = 6 * p->index;
        break;
    default:
        m = 12;
        break;
    }
    return ymd(p->year, m, rci_date_days_in_month(p->year, m));
}

int rci_period_format(const rci_period *p, char *buf, size_t buflen)
{
    if (!buf || buflen < RCI_PERIOD_TEXT_MAX || !rci_period_valid(p)) {
        if (buf && buflen)
            buf[0] = '\0';
        return -1;
    }
    switch (p->freq) {
    case RCI_FREQ_DAILY:
        return rci_date_format(rci_period_first_day(p), buf, buflen);
    case RCI_FREQ_MONTHLY:
        return snprintf(buf, buflen, "%04d-%02d", p->year, p->index);
    case RCI_FREQ_QUARTERLY:
        return snprintf(buf, buflen, "%04d-Q%d", p->year, p->index);
    case RCI_FREQ_HALF_YEARLY:
        return snprintf(buf, buflen, "%04d-H%d", p->year, p->index);
    default:
        return snprintf(buf, buflen, "%04d", p->year);
    }
}

/* The value of n ASCII digits at s (all known to be digits). */
static int digits_value(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* Does s (length len) have the shape of a period of some frequency? Only
 * the characters are looked at, not the ranges. */
static rci_freq shape_of(const char *s, size_t len)
{
    if (len < 4 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) || !is_digit(s[3]))
        return RCI_FREQ_NONE;
    if (len == 4)
        return RCI_FREQ_YEARLY;
    if (s[4] != '-')
        return RCI_FREQ_NONE;
    if (len == 7 && s[5] == 'Q' && is_digit(s[6]))
        return RCI_FREQ_QUARTERLY;
    if (len == 7 && s[5] == 'H' && is_digit(s[6]))
        return RCI_FREQ_HALF_YEARLY;
    if (len == 7 && is_digit(s[5]) && is_digit(s[6]))
        return RCI_FREQ_MONTHLY;
    if (len == 10 && is_digit(s[5]) && is_digit(s[6]) && s[7] == '-' && is_digit(s[8]) &&
        is_digit(s[9]))
        return RCI_FREQ_DAILY;
    return RCI_FREQ_NONE;
}

/* The reason for text that has no period's shape at all. */
static int shape_error(rci_freq want, const char *s, size_t len, char *why, size_t whylen)
{
    if (len == 0)
        return fail(why, whylen, "period is empty");
    for (size_t i = 0; i < len; i++)
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
            return fail(why, whylen, "period has a space in it");
    if (len == 7 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
        s[4] == '-' && is_digit(s[6]) && (s[5] == 'q' || s[5] == 'h') &&
        (want == RCI_FREQ_NONE ||
         want == (s[5] == 'q' ? RCI_FREQ_QUARTERLY : RCI_FREQ_HALF_YEARLY)))
        return fail(why, whylen, "write the %s with a capital %c, as %.4s-%c%c",
                    s[5] == 'q' ? "quarter" : "half", s[5] == 'q' ? 'Q' : 'H', s, s[5] - 32,
                    s[6]);
    if (want == RCI_FREQ_NONE)
        return fail(why, whylen,
                    "expected a period: YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY");
    return fail(why, whylen, "expected %s for a %s indicator", freqs[want].form,
                freqs[want].prose);
}

int rci_period_parse(rci_freq freq, const char *text, rci_period *out, char *why, size_t whylen)
{
    if (why && whylen)
        why[0] = '\0';
    if (freq != RCI_FREQ_NONE && !freq_known(freq))
        return fail(why, whylen, "unknown frequency");
    if (!text)
        return fail(why, whylen, "period is empty");
    size_t len = strlen(text);
    rci_freq shape = len <= 10 ? shape_of(text, len) : RCI_FREQ_NONE;
    if (shape == RCI_FREQ_NONE)
        return shape_error(freq, text, len, why, whylen);
    if (freq != RCI_FREQ_NONE && shape != freq)
        return fail(why, whylen, "expected %s for a %s indicator (%s is a %s period)",
                    freqs[freq].form, freqs[freq].prose, text, freqs[shape].prose);

    rci_period p = {shape, digits_value(text, 4), 1};
    if (p.year < RCI_PERIOD_YEAR_MIN || p.year > RCI_PERIOD_YEAR_MAX)
        return fail(why, whylen, "year %.4s out of range (%d..%d)", text, RCI_PERIOD_YEAR_MIN,
                    RCI_PERIOD_YEAR_MAX);
    switch (shape) {
    case RCI_FREQ_QUARTERLY:
        p.index = text[6] - '0';
        if (p.index < 1 || p.index > 4)
            return fail(why, whylen, "quarter Q%c out of range (Q1..Q4)", text[6]);
        break;
    case RCI_FREQ_HALF_YEARLY:
        p.index = text[6] - '0';
        if (p.index < 1 || p.index > 2)
            return fail(why, whylen, "half H%c out of range (H1..H2)", text[6]);
        break;
    case RCI_FREQ_MONTHLY:
    case RCI_FREQ_DAILY: {
        int m = digits_value(text + 5, 2);
        if (m < 1 || m > 12)
            return fail(why, whylen, "month %.2s out of range (01..12)", text + 5);
        p.index = m;
        if (shape == RCI_FREQ_MONTHLY)
            break;
        int d = digits_value(text + 8, 2), dim = rci_date_days_in_month(p.year, m);
        if (d < 1 || d > dim)
            return fail(why, whylen, "day %.2s out of range for %.7s (01..%d)", text + 8, text,
                        dim);
        p.index = rci_date_to_days(ymd(p.year, m, d)) - rci_date_to_days(ymd(p.year, 1, 1)) + 1;
        break;
    }
    default:
        break;
    }
    if (out)
        *out = p;
    return 0;
}

int rci_period_of_date(rci_freq freq, rci_date d, rci_period *out)
{
    if (!freq_known(freq) || !rci_date_valid(d) || d.year < RCI_PERIOD_YEAR_MIN ||
        d.year > RCI_PERIOD_YEAR_MAX)
        return -1;
    rci_period p = {freq, d.year, 1};
    switch (freq) {
    case RCI_FREQ_DAILY:
        p.index = rci_date_to_days(d) - rci_date_to_days(ymd(d.year, 1, 1)) + 1;
        break;
    case RCI_FREQ_MONTHLY:
        p.index = d.month;
        break;
    case RCI_FREQ_QUARTERLY:
        p.index = (d.month - 1) / 3 + 1;
        break;
    case RCI_FREQ_HALF_YEARLY:
        p.index = (d.month - 1) / 6 + 1;
        break;
    default:
        break;
    }
    *out = p;
    return 0;
}

int rci_period_add(const rci_period *p, int64_t n, rci_period *out)
{
    /* No result stays in 1900..2999 beyond this many steps of any kind. */
    const int64_t limit = (int64_t)(RCI_PERIOD_YEAR_MAX - RCI_PERIOD_YEAR_MIN + 1) * 366;
    if (!rci_period_valid(p) || n > limit || n < -limit)
        return -1;
    if (p->freq == RCI_FREQ_DAILY) {
        int64_t day = rci_date_to_days(rci_period_first_day(p)) + n;
        rci_date d = rci_date_from_days((int32_t)day);
        return rci_period_of_date(RCI_FREQ_DAILY, d, out);
    }
    int per = freqs[p->freq].per_year;
    int64_t k = (int64_t)p->year * per + (p->index - 1) + n;
    if (k < (int64_t)RCI_PERIOD_YEAR_MIN * per || k > (int64_t)RCI_PERIOD_YEAR_MAX * per + per - 1)
        return -1;
    out->freq = p->freq;
    out->year = (int)(k / per);
    out->index = (int)(k % per) + 1;
    return 0;
}

int rci_period_next(const rci_period *p, rci_period *out)
{
    return rci_period_add(p, 1, out);
}

int rci_period_prev(const rci_period *p, rci_period *out)
{
    return rci_period_add(p, -1, out);
}

int rci_period_cmp(const rci_period *a, const rci_period *b)
{
    int c = rci_date_cmp(rci_period_first_day(a), rci_period_first_day(b));
    if (c == 0)
        c = rci_date_cmp(rci_period_last_day(a), rci_period_last_day(b));
    return c;
}

/* ---- decimal value text -------------------------------------------------- */

/* A plain decimal number, as pointers into its text. */
typedef struct dec {
    int neg;           /* a '-' was written (even for zero) */
    const char *ip;    /* integer digits without leading zeros */
    size_t il;         /* may be 0 (the number is below 1) */
    const char *fp;    /* fraction digits as written */
    size_t fl;         /* as written: the decimals */
    size_t fl_trim;    /* without trailing zeros */
} dec;

static int dec_is_zero(const dec *d)
{
    return d->il == 0 && d->fl_trim == 0;
}

/* Why text is not a plain decimal number: the most helpful thing to say. */
static int dec_shape_error(const char *s, char *why, size_t whylen)
{
    if (*s == '\0')
        return fail(why, whylen, "value is empty");
    if (*s == '+')
        return fail(why, whylen, "no '+' sign: write 12.5, not +12.5");
    for (const char *c = s; *c; c++) {
        if (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n')
            return fail(why, whylen, "value has a space in it");
        if (*c == ',')
            return fail(why, whylen,
                        "no commas: write 12345.6, with a point for decimals and no thousands "
                        "separators");
        if (*c == '%')
            return fail(why, whylen, "no percent sign: write 96.7, not 96.7%%");
        if ((*c == 'e' || *c == 'E') && c > s && is_digit(c[-1]))
            return fail(why, whylen, "no exponent: write 0.00012, not 1.2e-4");
    }
    const char *p = s + (*s == '-');
    if (*p == '.' && is_digit(p[1]))
        return fail(why, whylen, "write 0.5, not .5: a digit must come before the point");
    while (is_digit(*p))
        p++;
    if (p > s + (*s == '-') && *p == '.' && p[1] == '\0')
        return fail(why, whylen, "a point must be followed by digits: write 5 or 5.0, not 5.");
    return fail(why, whylen, "not a plain decimal number (like -12.5, 0 or 96.7)");
}

/* Parse s as a plain decimal number into *d. With limits, also refuse more
 * than RCI_DECIMAL_TEXT_MAX bytes or RCI_DECIMAL_DIGITS_MAX significant
 * digits. Returns 0 or -1 (why set). */
static int dec_parse(const char *s, int limits, dec *d, char *why, size_t whylen)
{
    const char *p = s;
    memset(d, 0, sizeof *d);
    if (limits && strnlen(s, RCI_DECIMAL_TEXT_MAX + 1) > RCI_DECIMAL_TEXT_MAX)
        return fail(why, whylen, "value is longer than %d characters", RCI_DECIMAL_TEXT_MAX);
    if (*p == '-') {
        d->neg = 1;
        p++;
    }
    const char *int_start = p;
    while (is_digit(*p))
        p++;
    if (p == int_start)
        return dec_shape_error(s, why, whylen);
    const char *int_end = p;
    if (*p == '.') {
        d->fp = ++p;
        while (is_digit(*p))
            p++;
        d->fl = (size_t)(p - d->fp);
        if (d->fl == 0)
            return dec_shape_error(s, why, whylen);
    }
    if (*p != '\0')
        return dec_shape_error(s, why, whylen);

    d->ip = int_start;
    while (d->ip < int_end && *d->ip == '0')
        d->ip++;
    d->il = (size_t)(int_end - d->ip);
    d->fl_trim = d->fl;
    while (d->fl_trim > 0 && d->fp[d->fl_trim - 1] == '0')
        d->fl_trim--;

    if (limits) {
        /* Significant digits: from the first non-zero digit to the last
         * digit written ("0.00120" has 3, "100" has 3, "0" has 1). */
        size_t sig;
        if (d->il > 0) {
            sig = d->il + d->fl;
        } else {
            size_t lead = 0;
            while (lead < d->fl && d->fp[lead] == '0')
                lead++;
            sig = lead == d->fl ? 1 : d->fl - lead;
        }
        if (sig > RCI_DECIMAL_DIGITS_MAX)
            return fail(why, whylen, "more than %d significant digits", RCI_DECIMAL_DIGITS_MAX);
    }
    return 0;
}

/* Compare the absolute values. */
static int dec_cmp_abs(const dec *a, const dec *b)
{
    if (a->il != b->il)
        return a->il < b->il ? -1 : 1;
    int c = a->il ? memcmp(a->ip, b->ip, a->il) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    size_t n = a->fl_trim > b->fl_trim ? a->fl_trim : b->fl_trim;
    for (size_t i = 0; i < n; i++) {
        char x = i < a->fl_trim ? a->fp[i] : '0', y = i < b->fl_trim ? b->fp[i] : '0';
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

static int dec_cmp(const dec *a, const dec *b)
{
    int an = a->neg && !dec_is_zero(a), bn = b->neg && !dec_is_zero(b);
    if (an != bn)
        return an ? -1 : 1;
    int c = dec_cmp_abs(a, b);
    return an ? -c : c;
}

int rci_decimal_cmp(const char *a, const char *b)
{
    dec x, y;
    if (!a || !b || dec_parse(a, 0, &x, NULL, 0) || dec_parse(b, 0, &y, NULL, 0))
        return 0;
    return dec_cmp(&x, &y);
}

int rci_decimal_check(const char *text, const char *value_type, const char *min, const char *max,
                      int decimals, char *why, size_t whylen)
{
    if (why && whylen)
        why[0] = '\0';
    int integer = 0;
    if (!value_type)
        return fail(why, whylen, "indicator has no value type");
    if (strcmp(value_type, "integer") == 0) {
        integer = 1;
    } else if (strcmp(value_type, "percent") == 0) {
        if (!min)
            min = "0";
        if (!max)
            max = "100";
    } else if (strcmp(value_type, "decimal") != 0) {
        return fail(why, whylen, "indicator has an unknown value type \"%.20s\"", value_type);
    }

    dec v, lo, hi;
    if (!text)
        return fail(why, whylen, "value is empty");
    if (dec_parse(text, 1, &v, why, whylen))
        return -1;
    if (min && dec_parse(min, 0, &lo, NULL, 0))
        return fail(why, whylen, "indicator's minimum \"%.40s\" is not a decimal number", min);
    if (max && dec_parse(max, 0, &hi, NULL, 0))
        return fail(why, whylen, "indicator's maximum \"%.40s\" is not a decimal number", max);

    if (integer && v.fl > 0)
        return fail(why, whylen, "expected a whole number, without a decimal point");
    if (decimals == 0 && v.fl > 0)
        return fail(why, whylen, "no decimals allowed, %zu given", v.fl);
    if (decimals > 0 && v.fl > (size_t)decimals)
        return fail(why, whylen, "%zu decimals, at most %d allowed", v.fl, decimals);
    if (min && dec_cmp(&v, &lo) < 0)
        return fail(why, whylen, "%s is below the minimum %s", text, min);
    if (max && dec_cmp(&v, &hi) > 0)
        return fail(why, whylen, "%s is above the maximum %s", text, max);
    return 0;
}
