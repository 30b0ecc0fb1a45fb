/* fuzz_period.c: libFuzzer target for indicators/period.c and
 * indicators/calendar.c.
 *
 * Input layout (seeds in corpus/fuzz_period/ follow it):
 *   byte 0   mode % 3 picks the part, (mode / 3) % 6 the frequency
 *   rest     the payload:
 *   mode 0   period text. A text that parses is canonical (format gives it
 *            back byte for byte), parses the same with the frequency
 *            inferred, and its first/last day, of_date, next/prev and cmp
 *            agree with each other.
 *   mode 1   "value\nmin\nmax" with the value type and decimals taken from
 *            the frequency byte. Never crashes; an accepted value respects
 *            decimals and bounds (checked again with rci_decimal_cmp), and
 *            rci_decimal_cmp agrees with long double on short numbers.
 *   mode 2   a calendar: byte 1..2 a start day, byte 3 a signed step, then
 *            3-byte special days (16-bit day offset, working flag). Stepping
 *            and counting working days agree, stepping lands on a working
 *            day and no earlier one, and due dates are consistent.
 * Any broken property traps.
 */
#include "indicators/calendar.h"
#include "indicators/period.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(c)                                                                             \
    do {                                                                                       \
        if (!(c))                                                                              \
            __builtin_trap();                                                                  \
    } while (0)

#define FUZZ_TEXT_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Copy bytes into a NUL-terminated string (cut at FUZZ_TEXT_MAX). */
static void take(char *out, const uint8_t *p, size_t n)
{
    if (n > FUZZ_TEXT_MAX)
        n = FUZZ_TEXT_MAX;
    memcpy(out, p, n);
    out[n] = '\0';
}

static void fuzz_period(rci_freq freq, const uint8_t *p, size_t n)
{
    char text[FUZZ_TEXT_MAX + 1], why[128], buf[RCI_PERIOD_TEXT_MAX];
    take(text, p, n);
    rci_period per;
    memset(why, 'x', sizeof why);
    int r = rci_period_parse(freq, text, &per, why, sizeof why);
    REQUIRE(memchr(why, '\0', sizeof why) != NULL);
    if (r != 0) {
        REQUIRE(r == -1 && why[0] != '\0');
        return;
    }
    REQUIRE(why[0] == '\0');
    REQUIRE(rci_period_valid(&per));
    REQUIRE(freq == RCI_FREQ_NONE || per.freq == freq);
    int len = rci_period_format(&per, buf, sizeof buf);
    REQUIRE(len > 0 && (size_t)len == strlen(text) && strcmp(buf, text) == 0);
    rci_period again;
    REQUIRE(rci_period_parse(RCI_FREQ_NONE, buf, &again, why, sizeof why) == 0);
    REQUIRE(rci_period_cmp(&again, &per) == 0 && again.freq == per.freq);

    rci_date first = rci_period_first_day(&per), last = rci_period_last_day(&per);
    REQUIRE(rci_date_valid(first) && rci_date_valid(last) && rci_date_cmp(first, last) <= 0);
    rci_period of;
    REQUIRE(rci_period_of_date(per.freq, first, &of) == 0 && rci_period_cmp(&of, &per) == 0);
    REQUIRE(rci_period_of_date(per.freq, last, &of) == 0 && rci_period_cmp(&of, &per) == 0);
    rci_period nx, pv;
    if (rci_period_next(&per, &nx) == 0) {
        REQUIRE(rci_period_cmp(&per, &nx) < 0);
        REQUIRE(rci_date_to_days(rci_period_first_day(&nx)) == rci_date_to_days(last) + 1);
        REQUIRE(rci_period_prev(&nx, &pv) == 0 && rci_period_cmp(&pv, &per) == 0);
    } else {
        REQUIRE(last.year == RCI_PERIOD_YEAR_MAX && last.month == 12 && last.day == 31);
    }
    if (rci_period_prev(&per, &pv) == 0)
        REQUIRE(rci_date_to_days(rci_period_last_day(&pv)) == rci_date_to_days(first) - 1);
    else
        REQUIRE(first.year == RCI_PERIOD_YEAR_MIN && first.month == 1 && first.day == 1);
    /* a jump of k is k single steps */
    rci_period a, b = per;
    int k = (int)(n % 7) - 3, ok = 1;
    for (int i = 0; i < (k < 0 ? -k : k) && ok; i++)
        ok = (k < 0 ? rci_period_prev(&b, &b) : rci_period_next(&b, &b)) == 0;
    if (rci_period_add(&per, k, &a) == 0)
        REQUIRE(ok && rci_period_cmp(&a, &b) == 0);
    else
        REQUIRE(!ok);
}

/* Decimals written and significant digits of a text accepted as a plain
 * decimal number. */
static void count_digits(const char *s, size_t *decimals, size_t *sig)
{
    const char *point = strchr(s, '.');
    *decimals = point ? strlen(point + 1) : 0;
    const char *d = s + (*s == '-');
    while (*d == '0' || *d == '.')
        d++;
    size_t n = 0;
    for (; *d; d++)
        n += *d != '.';
    *sig = n ? n : 1;
}

static void fuzz_decimal(int sel, const uint8_t *p, size_t n)
{
    char all[FUZZ_TEXT_MAX + 1], why[160];
    take(all, p, n);
    char *value = all, *min = NULL, *max = NULL;
    char *nl = strchr(all, '\n');
    if (nl) {
        *nl = '\0';
        min = nl + 1;
        nl = strchr(min, '\n');
        if (nl) {
            *nl = '\0';
            max = nl + 1;
        }
        if (min && *min == '\0')
            min = NULL; /* "\n\nmax": no minimum */
    }
    static const char *const types[] = {"decimal", "integer", "percent"};
    const char *type = types[sel % 3];
    int decimals = sel / 3 - 1; /* -1 (no limit), 0 */
    int r = rci_decimal_check(value, type, min, max, decimals, why, sizeof why);
    REQUIRE(r == 0 || r == -1);
    REQUIRE(r == 0 ? why[0] == '\0' : why[0] != '\0');
    int plain = rci_decimal_check(value, "decimal", NULL, NULL, -1, NULL, 0) == 0;
    if (r == 0) {
        REQUIRE(plain);
        size_t dec, sig;
        count_digits(value, &dec, &sig);
        REQUIRE(sig <= RCI_DECIMAL_DIGITS_MAX && strlen(value) <= RCI_DECIMAL_TEXT_MAX);
        if (decimals >= 0 || sel % 3 == 1)
            REQUIRE(dec == 0);
        const char *lo = min ? min : (sel % 3 == 2 ? "0" : NULL);
        const char *hi = max ? max : (sel % 3 == 2 ? "100" : NULL);
        if (lo)
            REQUIRE(rci_decimal_cmp(value, lo) >= 0);
        if (hi)
            REQUIRE(rci_decimal_cmp(value, hi) <= 0);
    }
    if (plain) {
        REQUIRE(rci_decimal_cmp(value, value) == 0);
        if (min && rci_decimal_check(min, "decimal", NULL, NULL, -1, NULL, 0) == 0) {
            int c1 = rci_decimal_cmp(value, min), c2 = rci_decimal_cmp(min, value);
            REQUIRE((c1 > 0) == (c2 < 0) && (c1 == 0) == (c2 == 0));
            /* long double tells short numbers apart exactly enough */
            if (strlen(value) <= 16 && strlen(min) <= 16) {
                long double a = strtold(value, NULL), b = strtold(min, NULL);
                REQUIRE(((a > b) - (a < b)) == ((c1 > 0) - (c1 < 0)));
            }
        }
    }
}

static void fuzz_calendar(int sel, const uint8_t *p, size_t n)
{
    if (n < 3)
        return;
    const int32_t base = rci_date_to_days((rci_date){2020, 1, 1});
    int32_t start = base + (int32_t)((p[0] << 8 | p[1]) % 4000) - 500;
    int step = (int8_t)p[2];
    p += 3;
    n -= 3;
    size_t ndays = n / 3;
    rci_cal_day *days = malloc((ndays ? ndays : 1) * sizeof *days);
    if (!days)
        return;
    for (size_t i = 0; i < ndays; i++) {
        int32_t off = (int32_t)((p[3 * i] << 8 | p[3 * i + 1]) % 4000);
        days[i].date = rci_date_from_days(base + off);
        days[i].working = p[3 * i + 2] & 1;
        if (p[3 * i + 2] & 0x80) /* a duplicate listing, maybe conflicting */
            days[i].date = days[i ? i - 1 : 0].date;
    }
    char why[128];
    rci_cal *cal = rci_cal_new(days, ndays, why, sizeof why);
    free(days);
    if (!cal) {
        REQUIRE(why[0] != '\0');
        return;
    }
    REQUIRE(rci_cal_special_count(cal) <= ndays);
    rci_date d = rci_date_from_days(start), r;
    REQUIRE(rci_cal_add_working_days(cal, d, step, &r) == 0);
    int w = rci_cal_is_working(cal, d);
    long want = step >= 0 ? step : step + 1 - w;
    REQUIRE(rci_cal_count_working_days(cal, d, r) == want);
    REQUIRE(rci_cal_count_working_days(cal, r, d) == -want);
    if (step != 0) {
        REQUIRE(rci_cal_is_working(cal, r));
        /* the nearest such day: strictly between d and r lie |step| - 1 */
        long between;
        if (step > 0)
            between = rci_cal_count_working_days(
                cal, d, rci_date_from_days(rci_date_to_days(r) - 1));
        else
            between = rci_cal_count_working_days(
                cal, r, rci_date_from_days(rci_date_to_days(d) - 1));
        REQUIRE(between == (step > 0 ? step : -step) - 1);
    } else {
        REQUIRE(rci_date_cmp(r, d) == 0);
    }
    /* a step of a + b working days is a step of a then b */
    if (step > 1) {
        rci_date m, r2;
        int a = step / 2;
        REQUIRE(rci_cal_add_working_days(cal, d, a, &m) == 0);
        REQUIRE(rci_cal_add_working_days(cal, m, step - a, &r2) == 0);
        REQUIRE(rci_date_cmp(r2, r) == 0);
    }
    /* due dates: after the period's end, on a working day */
    rci_freq f = (rci_freq)(sel % 5 + 1);
    rci_period per;
    if (rci_period_of_date(f, d, &per) == 0) {
        rci_date due;
        REQUIRE(rci_cal_due_date(cal, &per, RCI_CAL_DUE_DEFAULT, &due) == 0);
        rci_date last = rci_period_last_day(&per);
        REQUIRE(rci_date_cmp(due, last) > 0 && rci_cal_is_working(cal, due));
        REQUIRE(rci_cal_count_working_days(cal, last, due) ==
                (f == RCI_FREQ_DAILY ? RCI_CAL_DUE_DAILY : RCI_CAL_DUE_MONTHLY));
    }
    rci_cal_free(cal);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] % 3, sel = (data[0] / 3) % 6;
    switch (mode) {
    case 0:
        fuzz_period((rci_freq)sel, data + 1, size - 1);
        break;
    case 1:
        fuzz_decimal(sel, data + 1, size - 1);
        break;
    default:
        fuzz_calendar(sel, data + 1, size - 1);
        break;
    }
    return 0;
}
