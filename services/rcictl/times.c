/* times.c: dates and instants on rcictl's command line and in its output —
 * RFC 3339 and plain dates in, China Standard Time (+08:00, DESIGN §6) out.
 * Calendar arithmetic is Howard Hinnant's days_from_civil / civil_from_days,
 * so no time zone database or libc range is involved. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rcictl/rcictl.h"

static int digits(const char *s, size_t n, int *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (Howard Hinnant's
 * days_from_civil): no time zone or libc range involved. */
long long rcictl_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void rcictl_civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}


/* "YYYY-MM-DD", a real date of 1900..2999, into days since 1970-01-01.
 * Returns 0, or -1. */
int rcictl_parse_date(const char *s, long long *days)
{
    int y, m, d;
    if (strlen(s) != 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1)
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return -1;
    *days = rcictl_days_from_civil(y, m, d);
    return 0;
}

/* RFC 3339 date-time with a zone ("2026-11-05T18:00:00+08:00", "…Z",
 * fractions allowed), or a date alone — its start in China Standard Time
 * (DESIGN §6) — into a Timestamp. Returns 0, or -1 if s is neither. */
int rcictl_parse_time(const char *s, Google__Protobuf__Timestamp *ts)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, nanos = 0, off = 8 * 3600;
    size_t n = strlen(s);
    if (n < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || y < 1)
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return -1;
    if (n > 10) {
        const char *p = s + 10;
        if ((*p != 'T' && *p != 't' && *p != ' ') || n < 20 || !digits(p + 1, 2, &h) ||
            p[3] != ':' || !digits(p + 4, 2, &mi) || p[6] != ':' || !digits(p + 7, 2, &sec) ||
            h > 23 || mi > 59 || sec > 60)
            return -1;
        p += 9;
        if (*p == '.') {
            size_t f = strspn(p + 1, "0123456789");
            if (f == 0 || f > 9)
                return -1;
            for (size_t i = 0; i < 9; i++)
                nanos = nanos * 10 + (i < f ? p[1 + i] - '0' : 0);
            p += 1 + f;
        }
        int oh, om;
        if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0)
            off = 0;
        else if (strlen(p) == 6 && (p[0] == '+' || p[0] == '-') && digits(p + 1, 2, &oh) &&
                 p[3] == ':' && digits(p + 4, 2, &om) && oh < 24 && om < 60)
            off = (p[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
        else
            return -1;
        if (sec == 60)
            sec = 59;                               /* a leap second: its last instant */
    }
    google__protobuf__timestamp__init(ts);
    ts->seconds = rcictl_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    ts->nanos = nanos;
    return 0;
}

const char *rcictl_cst(const Google__Protobuf__Timestamp *ts, int micros, char buf[48])
{
    if (!ts)
        return "";
    time_t t = (time_t)(ts->seconds + 8 * 3600);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return "?";
    size_t n = strftime(buf, 48, "%Y-%m-%dT%H:%M:%S", &tm);
    if (micros && ts->nanos > 0 && ts->nanos < 1000000000)
        n += (size_t)snprintf(buf + n, 48 - n, ".%06d", (int)(ts->nanos / 1000));
    snprintf(buf + n, 48 - n, "+08:00");
    return buf;
}
