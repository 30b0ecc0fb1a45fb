/* test_gb3838.c: unit tests for water/gb3838.c — the GB 3838-2002 Table 1
 * parameter table, units, exact decimal values, the class of one value at
 * every class boundary of every item (and one step of 10^-9 either side),
 * DO's reversed direction and pH's band, lake phosphorus, exceedance
 * multiples worked by hand, single-factor evaluation of samples (ties,
 * items that must not decide), joint-sample comparison, the yearly
 * compliance rate, class names, and the bad inputs of each.
 *
 * Expected values come from the standard, typed again below from
 * shared/reference/water-quality.md §2-§4 (not read from the module's
 * table), or were worked out by hand in the comments next to them. */
#include "water/gb3838.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static char why[256];

/* A value from text the test trusts; a typo in a test counts as a failure. */
static rci_wq_value V(const char *text)
{
    rci_wq_value v = {-1};
    if (rci_wq_value_parse(text, &v, why, sizeof why) < 0) {
        fprintf(stderr, "test value \"%s\" does not parse: %s\n", text, why);
        check_failed++;
    }
    return v;
}

static rci_wq_value N(int64_t nano)
{
    rci_wq_value v = {nano};
    return v;
}

/* Class of text for code; -1 when the module refuses. */
static int cls(const char *code, rci_wq_kind k, const char *text)
{
    rci_wq_class c = RCI_WQ_CLASS_NONE;
    if (rci_wq_classify(rci_wq_param_find(code), k, V(text), &c, why, sizeof why) < 0)
        return -1;
    return (int)c;
}

static int cls_nano(const char *code, rci_wq_kind k, int64_t nano)
{
    rci_wq_class c = RCI_WQ_CLASS_NONE;
    if (rci_wq_classify(rci_wq_param_find(code), k, N(nano), &c, why, sizeof why) < 0)
        return -1;
    return (int)c;
}

static int why_has(const char *s)
{
    if (strstr(why, s))
        return 1;
    fprintf(stderr, "why = \"%s\", wanted it to contain \"%s\"\n", why, s);
    return 0;
}

/* ---- GB 3838-2002 Table 1, typed again for the test ---------------------- */

/* Every "≤" item: classes I..V, as in the standard (reference §2). */
static const struct std_row {
    const char *code;
    int item;
    const char *lim[5];
} upper_rows[] = {
    {"codmn", 4, {"2", "4", "6", "10", "15"}},
    {"cod", 5, {"15", "15", "20", "30", "40"}},
    {"bod5", 6, {"3", "3", "4", "6", "10"}},
    {"nh3n", 7, {"0.15", "0.5", "1.0", "1.5", "2.0"}},
    {"tp", 8, {"0.02", "0.1", "0.2", "0.3", "0.4"}},
    {"tn", 9, {"0.2", "0.5", "1.0", "1.5", "2.0"}},
    {"cu", 10, {"0.01", "1.0", "1.0", "1.0", "1.0"}},
    {"zn", 11, {"0.05", "1.0", "1.0", "2.0", "2.0"}},
    {"f", 12, {"1.0", "1.0", "1.0", "1.5", "1.5"}},
    {"se", 13, {"0.01", "0.01", "0.01", "0.02", "0.02"}},
    {"as", 14, {"0.05", "0.05", "0.05", "0.1", "0.1"}},
    {"hg", 15, {"0.00005", "0.00005", "0.0001", "0.001", "0.001"}},
    {"cd", 16, {"0.001", "0.005", "0.005", "0.005", "0.01"}},
    {"cr6", 17, {"0.01", "0.05", "0.05", "0.05", "0.1"}},
    {"pb", 18, {"0.01", "0.01", "0.05", "0.05", "0.1"}},
    {"cn", 19, {"0.005", "0.05", "0.2", "0.2", "0.2"}},
    {"volatile_phenol", 20, {"0.002", "0.002", "0.005", "0.01", "0.1"}},
    {"petroleum", 21, {"0.05", "0.05", "0.05", "0.5", "1.0"}},
    {"las", 22, {"0.2", "0.2", "0.2", "0.3", "0.3"}},
    {"s2", 23, {"0.05", "0.1", "0.2", "0.5", "1.0"}},
    {"fecal_coliform", 24, {"200", "2000", "10000", "20000", "40000"}},
};
#define N_UPPER (sizeof upper_rows / sizeof upper_rows[0])

/* Total phosphorus in lakes and reservoirs (湖、库). */
static const char *const tp_lake[5] = {"0.01", "0.025", "0.05", "0.1", "0.2"};

/* The table's codes in GB 3838-2002 order. */
static const char *const codes_in_order[24] = {
    "temp", "ph", "do", "codmn", "cod", "bod5", "nh3n", "tp", "tn", "cu", "zn", "f",
    "se", "as", "hg", "cd", "cr6", "pb", "cn", "volatile_phenol", "petroleum", "las", "s2",
    "fecal_coliform"};

/* ---- the table ----------------------------------------------------------- */

static void test_table_shape(void)
{
    CHECK(rci_wq_param_at(RCI_WQ_PARAM_COUNT) == NULL);
    CHECK(rci_wq_param_at((size_t)-1) == NULL);
    int assessed = 0, multiples = 0, codes_ok = 1, found_ok = 1;
    for (size_t i = 0; i < RCI_WQ_PARAM_COUNT; i++) {
        const rci_wq_param *p = rci_wq_param_at(i);
        CHECK(p != NULL);
        if (!p)
            continue;
        CHECK(p->item == (int)i + 1);
        codes_ok &= strcmp(p->code, codes_in_order[i]) == 0;
        found_ok &= rci_wq_param_find(p->code) == p;
        CHECK(p->name_zh && *p->name_zh && p->name_en && *p->name_en && p->unit);
        assessed += p->assessed;
        multiples += p->multiple;
    }
    CHECK(codes_ok);
    CHECK(found_ok);
    /* Reference §4: 21 items decide a section's class. */
    CHECK(assessed == 21);
    CHECK(!rci_wq_param_find("temp")->assessed);
    CHECK(!rci_wq_param_find("tn")->assessed);
    CHECK(!rci_wq_param_find("fecal_coliform")->assessed);
    CHECK(rci_wq_param_find("ph")->assessed);
    CHECK(rci_wq_param_find("do")->assessed);
    CHECK(rci_wq_param_find("tp")->assessed);
    /* Reference §3: no multiple for temperature, pH and DO. */
    CHECK(multiples == 21);
    CHECK(!rci_wq_param_find("temp")->multiple);
    CHECK(!rci_wq_param_find("ph")->multiple);
    CHECK(!rci_wq_param_find("do")->multiple);

    CHECK(rci_wq_param_find("PH") == NULL);
    CHECK(rci_wq_param_find("nh3-n") == NULL);
    CHECK(rci_wq_param_find("NH3N") == NULL);
    CHECK(rci_wq_param_find("") == NULL);
    CHECK(rci_wq_param_find("ph ") == NULL);
    CHECK(rci_wq_param_find(NULL) == NULL);

    const rci_wq_param *p = rci_wq_param_find("nh3n");
    CHECK_STR(p->name_zh, "氨氮");
    CHECK_STR(p->name_en, "Ammonia nitrogen");
    CHECK_STR(p->unit, "mg/L");
    CHECK(p->dir == RCI_WQ_DIR_UPPER);
    CHECK_STR(rci_wq_param_find("ph")->unit, "dimensionless");
    CHECK(rci_wq_param_find("ph")->dir == RCI_WQ_DIR_RANGE);
    CHECK_STR(rci_wq_param_find("do")->name_zh, "溶解氧");
    CHECK(rci_wq_param_find("do")->dir == RCI_WQ_DIR_LOWER);
    CHECK_STR(rci_wq_param_find("fecal_coliform")->unit, "count/L");
    CHECK_STR(rci_wq_param_find("temp")->unit, "°C");
    CHECK(rci_wq_param_find("temp")->dir == RCI_WQ_DIR_NONE);
    CHECK_STR(rci_wq_param_find("cr6")->name_zh, "铬(六价)");
}

/* The module's limits are the standard's, text for text. */
static void test_table_limits(void)
{
    for (size_t r = 0; r < N_UPPER; r++) {
        const rci_wq_param *p = rci_wq_param_find(upper_rows[r].code);
        CHECK(p && p->item == upper_rows[r].item && p->dir == RCI_WQ_DIR_UPPER);
        if (!p)
            continue;
        for (int c = 1; c <= 5; c++) {
            CHECK_STR(rci_wq_limit_text(p, RCI_WQ_RIVER, (rci_wq_class)c), upper_rows[r].lim[c - 1]);
            rci_wq_value l;
            CHECK(rci_wq_limit(p, RCI_WQ_RIVER, (rci_wq_class)c, &l) == 0);
            CHECK(l.nano == V(upper_rows[r].lim[c - 1]).nano);
            /* Only TP has a lake row; elsewhere lakes use the river limits. */
            const char *lake = strcmp(p->code, "tp") == 0 ? tp_lake[c - 1] : upper_rows[r].lim[c - 1];
            CHECK_STR(rci_wq_limit_text(p, RCI_WQ_LAKE, (rci_wq_class)c), lake);
        }
    }
    const rci_wq_param *dox = rci_wq_param_find("do");
    const char *do_lim[5] = {"7.5", "6", "5", "3", "2"};
    for (int c = 1; c <= 5; c++)
        CHECK_STR(rci_wq_limit_text(dox, RCI_WQ_RIVER, (rci_wq_class)c), do_lim[c - 1]);
    const rci_wq_param *ph = rci_wq_param_find("ph");
    CHECK_STR(ph->range_lo, "6");
    CHECK_STR(ph->range_hi, "9");
    CHECK_STR(ph->valid_max, "14");

    /* No limit for pH, temperature, class 0, 劣V, or a bad kind. */
    rci_wq_value l;
    CHECK(rci_wq_limit(ph, RCI_WQ_RIVER, RCI_WQ_CLASS_III, &l) == -1);
    CHECK(rci_wq_limit(rci_wq_param_find("temp"), RCI_WQ_RIVER, RCI_WQ_CLASS_III, &l) == -1);
    CHECK(rci_wq_limit(dox, RCI_WQ_RIVER, RCI_WQ_CLASS_NONE, &l) == -1);
    CHECK(rci_wq_limit(dox, RCI_WQ_RIVER, RCI_WQ_CLASS_WORSE_V, &l) == -1);
    CHECK(rci_wq_limit(dox, (rci_wq_kind)2, RCI_WQ_CLASS_I, &l) == -1);
    CHECK(rci_wq_limit(NULL, RCI_WQ_RIVER, RCI_WQ_CLASS_I, &l) == -1);
    CHECK(rci_wq_limit_text(dox, RCI_WQ_RIVER, (rci_wq_class)7) == NULL);

    /* Every text in the module's table parses (the module relies on it). */
    int all_parse = 1;
    for (size_t i = 0; i < RCI_WQ_PARAM_COUNT; i++) {
        const rci_wq_param *p = rci_wq_param_at(i);
        const char *texts[13] = {p->range_lo, p->range_hi, p->valid_max};
        for (int c = 0; c < 5; c++) {
            texts[3 + c] = p->limit[c];
            texts[8 + c] = p->lake_limit[c];
        }
        for (int t = 0; t < 13; t++)
            all_parse &= !texts[t] || rci_wq_value_parse(texts[t], NULL, NULL, 0) == 0;
    }
    CHECK(all_parse);

    CHECK(rci_wq_limit(rci_wq_param_find("nh3n"), RCI_WQ_RIVER, RCI_WQ_CLASS_III, &l) == 0 &&
          l.nano == 1000000000);
    CHECK(rci_wq_limit(rci_wq_param_find("tp"), RCI_WQ_LAKE, RCI_WQ_CLASS_II, &l) == 0 &&
          l.nano == 25000000);
    CHECK(rci_wq_limit(rci_wq_param_find("hg"), RCI_WQ_RIVER, RCI_WQ_CLASS_I, &l) == 0 &&
          l.nano == 50000);
}

/* ---- units --------------------------------------------------------------- */

static void test_units(void)
{
    const rci_wq_param *nh3n = rci_wq_param_find("nh3n");
    CHECK(rci_wq_unit_check(nh3n, "mg/L", why, sizeof why) == 0);
    CHECK(rci_wq_unit_check(nh3n, "mg/l", why, sizeof why) == 0);
    CHECK(rci_wq_unit_check(nh3n, "MG/L", why, sizeof why) == -1);
    CHECK(rci_wq_unit_check(nh3n, "mg/L ", why, sizeof why) == -1);
    CHECK(rci_wq_unit_check(nh3n, "µg/L", why, sizeof why) == -1);
    CHECK(why_has("\"µg/L\" is not the unit of nh3n (expected mg/L"));
    CHECK(rci_wq_unit_check(nh3n, "", why, sizeof why) == -1);
    CHECK(rci_wq_unit_check(nh3n, "dimensionless", why, sizeof why) == -1);
    CHECK(rci_wq_unit_check(nh3n, NULL, why, sizeof why) == -1);
    CHECK(rci_wq_unit_check(NULL, "mg/L", why, sizeof why) == -1);

    const rci_wq_param *ph = rci_wq_param_find("ph");
    CHECK(rci_wq_unit_check(ph, "dimensionless", why, sizeof why) == 0);
    CHECK(rci_wq_unit_check(ph, "无量纲", why, sizeof why) == 0);
    CHECK(rci_wq_unit_check(ph, "", why, sizeof why) == 0);
    CHECK(rci_wq_unit_check(ph, "mg/L", why, sizeof why) == -1);
    CHECK(rci_wq_unit_check(ph, "pH", why, sizeof why) == -1);

    const rci_wq_param *fc = rci_wq_param_find("fecal_coliform");
    CHECK(rci_wq_unit_check(fc, "count/L", why, sizeof why) == 0);
    CHECK(rci_wq_unit_check(fc, "个/L", why, sizeof why) == 0);
    CHECK(rci_wq_unit_check(fc, "MPN/L", why, sizeof why) == 0);
    CHECK(rci_wq_unit_check(fc, "mg/L", why, sizeof why) == -1);
    CHECK(rci_wq_unit_check(fc, "MPN/100mL", why, sizeof why) == -1);

    const rci_wq_param *t = rci_wq_param_find("temp");
    CHECK(rci_wq_unit_check(t, "°C", why, sizeof why) == 0);
    CHECK(rci_wq_unit_check(t, "℃", why, sizeof why) == 0);
    CHECK(rci_wq_unit_check(t, "C", why, sizeof why) == -1);
    CHECK(rci_wq_unit_check(t, "", why, sizeof why) == -1);

    CHECK(rci_wq_unit_check(rci_wq_param_find("do"), "mg/L", why, sizeof why) == 0);
    CHECK(rci_wq_unit_check(rci_wq_param_find("hg"), "mg/l", why, sizeof why) == 0);
    CHECK(rci_wq_unit_check(rci_wq_param_find("hg"), "ug/L", why, sizeof why) == -1);
}

/* ---- values -------------------------------------------------------------- */

static int parses_to(const char *text, int64_t nano)
{
    rci_wq_value v = {-7};
    return rci_wq_value_parse(text, &v, why, sizeof why) == 0 && v.nano == nano;
}

static int refused(const char *text, const char *reason)
{
    rci_wq_value v = {-7};
    why[0] = '\0';
    return rci_wq_value_parse(text, &v, why, sizeof why) == -1 && v.nano == -7 && why_has(reason);
}

static void test_value_parse(void)
{
    CHECK(parses_to("0.15", 150000000));
    CHECK(parses_to("0", 0));
    CHECK(parses_to("0.0", 0));
    CHECK(parses_to("-0", 0));
    CHECK(parses_to("-0.000", 0));
    CHECK(parses_to("7", INT64_C(7000000000)));
    CHECK(parses_to("007", INT64_C(7000000000)));
    CHECK(parses_to("1.50", INT64_C(1500000000)));
    CHECK(parses_to("0.00005", 50000));
    CHECK(parses_to("0.000000001", 1));
    CHECK(parses_to("0.1500000000000", 150000000));
    CHECK(parses_to("40000", INT64_C(40000000000000)));
    CHECK(parses_to("999999999.999999999", RCI_WQ_NANO_MAX));
    CHECK(parses_to("000999999999", INT64_C(999999999000000000)));

    CHECK(refused("", "empty value"));
    CHECK(refused(NULL, "empty value"));
    CHECK(refused(".5", "not a plain decimal number"));
    CHECK(refused("5.", "not a plain decimal number"));
    CHECK(refused("1e3", "not a plain decimal number"));
    CHECK(refused("1E-3", "not a plain decimal number"));
    CHECK(refused("+1", "not a plain decimal number"));
    CHECK(refused(" 1", "not a plain decimal number"));
    CHECK(refused("1 ", "not a plain decimal number"));
    CHECK(refused("1,5", "not a plain decimal number"));
    CHECK(refused("1.2.3", "not a plain decimal number"));
    CHECK(refused("nan", "not a plain decimal number"));
    CHECK(refused("inf", "not a plain decimal number"));
    CHECK(refused("0x10", "not a plain decimal number"));
    CHECK(refused("-", "not a plain decimal number"));
    CHECK(refused("--1", "not a plain decimal number"));
    CHECK(refused("0.01L", "not a plain decimal number"));
    CHECK(refused("<0.01", "not a plain decimal number"));
    CHECK(refused("ND", "not a plain decimal number"));
    CHECK(refused("-0.1", "negative value -0.1"));
    CHECK(refused("-5", "negative"));
    CHECK(refused("-0.000000001", "negative"));
    CHECK(refused("1000000000", "too large"));
    CHECK(refused("0001000000000", "too large"));
    CHECK(refused("0.0000000001", "more than 9 digits after the point"));
    CHECK(refused("0.1500000001", "more than 9 digits after the point"));

    /* A why buffer of 1 byte, or none, is fine. */
    char tiny[1] = {'x'};
    CHECK(rci_wq_value_parse("x", NULL, tiny, sizeof tiny) == -1 && tiny[0] == '\0');
    CHECK(rci_wq_value_parse("x", NULL, NULL, 0) == -1);
}

static int from_double_is(double d, int64_t nano)
{
    rci_wq_value v = {-7};
    return rci_wq_value_from_double(d, &v, why, sizeof why) == 0 && v.nano == nano;
}

static void test_value_double(void)
{
    rci_wq_value v;
    CHECK(rci_wq_value_from_double(NAN, &v, why, sizeof why) == -1 && why_has("NaN"));
    CHECK(rci_wq_value_from_double(INFINITY, &v, why, sizeof why) == -1 && why_has("infinite"));
    CHECK(rci_wq_value_from_double(-INFINITY, &v, why, sizeof why) == -1);
    CHECK(rci_wq_value_from_double(-0.1, &v, why, sizeof why) == -1 && why_has("negative"));
    CHECK(rci_wq_value_from_double(1e9, &v, why, sizeof why) == -1 && why_has("too large"));
    CHECK(rci_wq_value_from_double(1e300, &v, why, sizeof why) == -1);
    CHECK(from_double_is(-0.0, 0));
    CHECK(from_double_is(0.0, 0));
    CHECK(from_double_is(0.15, 150000000));
    CHECK(from_double_is(7.5, INT64_C(7500000000)));
    CHECK(from_double_is(0.00005, 50000));
    CHECK(from_double_is(40000.0, INT64_C(40000000000000)));
    CHECK(from_double_is(999999999.0, INT64_C(999999999000000000)));
    /* Computed values: 0.1 + 0.2 is 0.30000000000000004 in binary; to the
     * nearest 10^-9 it is 0.3, so a mean lands on the class it should. */
    CHECK(from_double_is(0.1 + 0.2, 300000000));
    rci_wq_class c;
    CHECK(rci_wq_value_from_double(0.1 + 0.2, &v, why, sizeof why) == 0);
    CHECK(rci_wq_classify(rci_wq_param_find("tp"), RCI_WQ_RIVER, v, &c, why, sizeof why) == 0 &&
          c == RCI_WQ_CLASS_IV);

    /* Every limit of the table, through strtod, comes back as its text. */
    int same = 1;
    for (size_t r = 0; r < N_UPPER; r++)
        for (int i = 0; i < 5; i++) {
            const char *t = upper_rows[r].lim[i];
            same &= rci_wq_value_from_double(strtod(t, NULL), &v, NULL, 0) == 0 && v.nano == V(t).nano;
        }
    CHECK(same);
    /* And so do 9-decimal texts next to the boundaries. */
    const char *near[] = {"0.150000001", "0.149999999", "7.499999999", "1999999.999999999",
                          "0.000050001", "40000.000000001"};
    for (size_t i = 0; i < sizeof near / sizeof near[0]; i++)
        CHECK(rci_wq_value_from_double(strtod(near[i], NULL), &v, NULL, 0) == 0 &&
              v.nano == V(near[i]).nano);
}

static int formats_as(int64_t nano, const char *text)
{
    char b[RCI_WQ_VALUE_TEXT_MAX];
    int n = rci_wq_value_format(N(nano), b, sizeof b);
    return n == (int)strlen(text) && strcmp(b, text) == 0;
}

static void test_value_format(void)
{
    CHECK(formats_as(150000000, "0.15"));
    CHECK(formats_as(0, "0"));
    CHECK(formats_as(1, "0.000000001"));
    CHECK(formats_as(INT64_C(7000000000), "7"));
    CHECK(formats_as(INT64_C(7500000000), "7.5"));
    CHECK(formats_as(INT64_C(40000000000000), "40000"));
    CHECK(formats_as(RCI_WQ_NANO_MAX, "999999999.999999999"));
    char b[RCI_WQ_VALUE_TEXT_MAX];
    CHECK(rci_wq_value_format(N(-1), b, sizeof b) == -1 && b[0] == '\0');
    CHECK(rci_wq_value_format(N(RCI_WQ_NANO_MAX + 1), b, sizeof b) == -1);
    CHECK(rci_wq_value_format(N(1), b, RCI_WQ_VALUE_TEXT_MAX - 1) == -1 && b[0] == '\0');
    CHECK(rci_wq_value_format(N(1), NULL, 0) == -1);
    CHECK(rci_wq_value_valid(N(0)) && rci_wq_value_valid(N(RCI_WQ_NANO_MAX)));
    CHECK(!rci_wq_value_valid(N(-1)) && !rci_wq_value_valid(N(RCI_WQ_NANO_MAX + 1)));
    /* parse(format(v)) == v */
    int64_t some[] = {0, 1, 50000, 150000000, INT64_C(1000000000), INT64_C(123456789012345678),
                      RCI_WQ_NANO_MAX};
    for (size_t i = 0; i < sizeof some / sizeof some[0]; i++) {
        CHECK(rci_wq_value_format(N(some[i]), b, sizeof b) > 0);
        CHECK(V(b).nano == some[i]);
    }
}

/* ---- the class of one value ---------------------------------------------- */

/* The best class sharing limit lim[c-1] (classes sharing a limit give the
 * better one), and the first class with a larger limit (劣V past V). Both
 * read off the standard's row. */
static int best_with_limit(const char *const lim[5], int c)
{
    int k = c;
    while (k > 1 && strcmp(lim[k - 2], lim[c - 1]) == 0)
        k--;
    return k;
}

static int next_looser(const char *const lim[5], int c)
{
    int k = c + 1;
    while (k <= 5 && strcmp(lim[k - 1], lim[c - 1]) == 0)
        k++;
    return k; /* 6 = 劣V */
}

/* For every "≤" item and every class: the value at the limit, one 10^-9
 * below and one above. */
static void check_upper_row(const char *code, rci_wq_kind k, const char *const lim[5])
{
    for (int c = 1; c <= 5; c++) {
        int64_t l = V(lim[c - 1]).nano;
        int at = best_with_limit(lim, c), above = next_looser(lim, c);
        int got_at = cls_nano(code, k, l), got_below = cls_nano(code, k, l - 1);
        int got_above = cls_nano(code, k, l + 1);
        if (got_at != at || got_below != at || got_above != above)
            fprintf(stderr, "%s %s class %d limit %s: at %d (want %d), below %d (want %d), above %d "
                    "(want %d)\n", code, rci_wq_kind_name(k), c, lim[c - 1], got_at, at, got_below,
                    at, got_above, above);
        CHECK(got_at == at);
        CHECK(got_below == at);
        CHECK(got_above == above);
    }
    CHECK(cls_nano(code, k, 0) == RCI_WQ_CLASS_I);
    CHECK(cls_nano(code, k, RCI_WQ_NANO_MAX) == RCI_WQ_CLASS_WORSE_V);
}

static void test_every_boundary(void)
{
    for (size_t r = 0; r < N_UPPER; r++) {
        const char *const *lim = upper_rows[r].lim;
        check_upper_row(upper_rows[r].code, RCI_WQ_RIVER, lim);
        check_upper_row(upper_rows[r].code, RCI_WQ_LAKE,
                        strcmp(upper_rows[r].code, "tp") == 0 ? tp_lake : lim);
    }
}

/* The same boundaries written out as an agency would type them. */
static void test_boundaries_by_hand(void)
{
    const rci_wq_kind R = RCI_WQ_RIVER, L = RCI_WQ_LAKE;
    /* NH3-N: 0.15 / 0.5 / 1.0 / 1.5 / 2.0 */
    CHECK(cls("nh3n", R, "0") == 1);
    CHECK(cls("nh3n", R, "0.149999999") == 1);
    CHECK(cls("nh3n", R, "0.15") == 1);
    CHECK(cls("nh3n", R, "0.150") == 1);
    CHECK(cls("nh3n", R, "0.150000001") == 2);
    CHECK(cls("nh3n", R, "0.16") == 2);
    CHECK(cls("nh3n", R, "0.5") == 2);
    CHECK(cls("nh3n", R, "0.500000001") == 3);
    CHECK(cls("nh3n", R, "1") == 3);
    CHECK(cls("nh3n", R, "1.00") == 3);
    CHECK(cls("nh3n", R, "1.000000001") == 4);
    CHECK(cls("nh3n", R, "1.5") == 4);
    CHECK(cls("nh3n", R, "1.51") == 5);
    CHECK(cls("nh3n", R, "2.0") == 5);
    CHECK(cls("nh3n", R, "2.000000001") == 6);
    CHECK(cls("nh3n", R, "35.2") == 6);
    /* COD: I = II = 15, so 15 is I and just above skips II. */
    CHECK(cls("cod", R, "15") == 1);
    CHECK(cls("cod", R, "15.000000001") == 3);
    CHECK(cls("cod", R, "20") == 3);
    CHECK(cls("cod", R, "20.1") == 4);
    CHECK(cls("cod", R, "30") == 4);
    CHECK(cls("cod", R, "40") == 5);
    CHECK(cls("cod", R, "40.000000001") == 6);
    /* BOD5: I = II = 3. */
    CHECK(cls("bod5", R, "3") == 1);
    CHECK(cls("bod5", R, "3.1") == 3);
    CHECK(cls("bod5", R, "10") == 5);
    CHECK(cls("bod5", R, "10.1") == 6);
    /* CODMn */
    CHECK(cls("codmn", R, "2") == 1);
    CHECK(cls("codmn", R, "2.1") == 2);
    CHECK(cls("codmn", R, "6.0") == 3);
    CHECK(cls("codmn", R, "15") == 5);
    CHECK(cls("codmn", R, "15.5") == 6);
    /* Copper: I 0.01, then 1.0 for II..V: past 1.0 is straight 劣V. */
    CHECK(cls("cu", R, "0.01") == 1);
    CHECK(cls("cu", R, "0.010000001") == 2);
    CHECK(cls("cu", R, "1") == 2);
    CHECK(cls("cu", R, "1.000000001") == 6);
    /* Fluoride: I = II = III = 1.0, IV = V = 1.5. */
    CHECK(cls("f", R, "1.0") == 1);
    CHECK(cls("f", R, "1.000000001") == 4);
    CHECK(cls("f", R, "1.5") == 4);
    CHECK(cls("f", R, "1.500000001") == 6);
    /* Mercury: 0.00005 / 0.00005 / 0.0001 / 0.001 / 0.001 */
    CHECK(cls("hg", R, "0.00005") == 1);
    CHECK(cls("hg", R, "0.000050001") == 3);
    CHECK(cls("hg", R, "0.0001") == 3);
    CHECK(cls("hg", R, "0.00011") == 4);
    CHECK(cls("hg", R, "0.001") == 4);
    CHECK(cls("hg", R, "0.001000001") == 6);
    /* Cadmium: 0.001 / 0.005 x3 / 0.01 */
    CHECK(cls("cd", R, "0.001") == 1);
    CHECK(cls("cd", R, "0.005") == 2);
    CHECK(cls("cd", R, "0.006") == 5);
    CHECK(cls("cd", R, "0.011") == 6);
    /* Cyanide: 0.2 for III..V */
    CHECK(cls("cn", R, "0.2") == 3);
    CHECK(cls("cn", R, "0.200000001") == 6);
    /* Volatile phenol */
    CHECK(cls("volatile_phenol", R, "0.002") == 1);
    CHECK(cls("volatile_phenol", R, "0.003") == 3);
    CHECK(cls("volatile_phenol", R, "0.1") == 5);
    /* Petroleum */
    CHECK(cls("petroleum", R, "0.05") == 1);
    CHECK(cls("petroleum", R, "0.06") == 4);
    CHECK(cls("petroleum", R, "1.0") == 5);
    /* Fecal coliform, count/L */
    CHECK(cls("fecal_coliform", R, "200") == 1);
    CHECK(cls("fecal_coliform", R, "201") == 2);
    CHECK(cls("fecal_coliform", R, "10000") == 3);
    CHECK(cls("fecal_coliform", R, "40000") == 5);
    CHECK(cls("fecal_coliform", R, "40000.000000001") == 6);
    CHECK(cls("fecal_coliform", R, "160000") == 6);
    /* Total phosphorus: rivers 0.02 / 0.1 / 0.2 / 0.3 / 0.4, lakes and
     * reservoirs 0.01 / 0.025 / 0.05 / 0.1 / 0.2. */
    CHECK(cls("tp", R, "0.02") == 1);
    CHECK(cls("tp", L, "0.02") == 2);
    CHECK(cls("tp", L, "0.01") == 1);
    CHECK(cls("tp", L, "0.010000001") == 2);
    CHECK(cls("tp", L, "0.025") == 2);
    CHECK(cls("tp", L, "0.026") == 3);
    CHECK(cls("tp", R, "0.05") == 2);
    CHECK(cls("tp", L, "0.05") == 3);
    CHECK(cls("tp", R, "0.2") == 3);
    CHECK(cls("tp", L, "0.2") == 5);
    CHECK(cls("tp", L, "0.200000001") == 6);
    CHECK(cls("tp", R, "0.4") == 5);
    CHECK(cls("tp", R, "0.400000001") == 6);
    /* TN has one row in the standard, used for both kinds. */
    CHECK(cls("tn", R, "1.0") == 3);
    CHECK(cls("tn", L, "1.0") == 3);
    CHECK(cls("tn", R, "2.01") == 6);
}

static void test_dissolved_oxygen(void)
{
    const rci_wq_kind R = RCI_WQ_RIVER;
    /* "≥": 7.5 / 6 / 5 / 3 / 2, larger is better. */
    CHECK(cls("do", R, "12.3") == 1);
    CHECK(cls("do", R, "7.500000001") == 1);
    CHECK(cls("do", R, "7.5") == 1);
    CHECK(cls("do", R, "7.499999999") == 2);
    CHECK(cls("do", R, "6.000000001") == 2);
    CHECK(cls("do", R, "6") == 2);
    CHECK(cls("do", R, "5.999999999") == 3);
    CHECK(cls("do", R, "5") == 3);
    CHECK(cls("do", R, "4.999999999") == 4);
    CHECK(cls("do", R, "3") == 4);
    CHECK(cls("do", R, "2.999999999") == 5);
    CHECK(cls("do", R, "2") == 5);
    CHECK(cls("do", R, "1.999999999") == 6);
    CHECK(cls("do", R, "0") == 6);
    /* Lakes: the same. */
    CHECK(cls("do", RCI_WQ_LAKE, "5") == 3);
    CHECK(cls("do", RCI_WQ_LAKE, "1.9") == 6);
}

static void test_ph(void)
{
    const rci_wq_kind R = RCI_WQ_RIVER;
    CHECK(cls("ph", R, "7") == 1);
    CHECK(cls("ph", R, "6") == 1);
    CHECK(cls("ph", R, "6.0") == 1);
    CHECK(cls("ph", R, "5.999999999") == 6);
    CHECK(cls("ph", R, "9") == 1);
    CHECK(cls("ph", R, "9.000000001") == 6);
    CHECK(cls("ph", R, "0") == 6);
    CHECK(cls("ph", R, "14") == 6);
    CHECK(cls("ph", RCI_WQ_LAKE, "8.2") == 1);
    /* Beyond the scale: refused, not 劣V. */
    CHECK(cls("ph", R, "14.000000001") == -1 && why_has("pH 14.000000001 out of range (0..14)"));
    CHECK(cls("ph", R, "15") == -1 && why_has("pH 15 out of range (0..14)"));
}

static void test_classify_refusals(void)
{
    rci_wq_class c = RCI_WQ_CLASS_III;
    const rci_wq_param *nh3n = rci_wq_param_find("nh3n");
    CHECK(rci_wq_classify(rci_wq_param_find("temp"), RCI_WQ_RIVER, V("25"), &c, why, sizeof why) == -1);
    CHECK(why_has("no class limits"));
    CHECK(rci_wq_classify(NULL, RCI_WQ_RIVER, V("1"), &c, why, sizeof why) == -1);
    CHECK(rci_wq_classify(nh3n, RCI_WQ_RIVER, V("1"), NULL, why, sizeof why) == -1);
    CHECK(rci_wq_classify(nh3n, (rci_wq_kind)2, V("1"), &c, why, sizeof why) == -1);
    CHECK(why_has("kind"));
    CHECK(rci_wq_classify(nh3n, (rci_wq_kind)-1, V("1"), &c, why, sizeof why) == -1);
    CHECK(rci_wq_classify(nh3n, RCI_WQ_RIVER, N(-1), &c, why, sizeof why) == -1);
    CHECK(why_has("out of range"));
    CHECK(rci_wq_classify(nh3n, RCI_WQ_RIVER, N(RCI_WQ_NANO_MAX + 1), &c, why, sizeof why) == -1);
    CHECK(rci_wq_classify(nh3n, RCI_WQ_RIVER, N(INT64_MIN), &c, why, sizeof why) == -1);
    CHECK(c == RCI_WQ_CLASS_III); /* untouched on failure */
    CHECK(rci_wq_value_check(rci_wq_param_find("ph"), V("14"), why, sizeof why) == 0);
    CHECK(rci_wq_value_check(rci_wq_param_find("temp"), V("35.5"), why, sizeof why) == 0);
    CHECK(rci_wq_value_check(NULL, V("1"), why, sizeof why) == -1);
}

/* ---- exceedance multiples ------------------------------------------------ */

/* The multiple of text for code against target, x100; -2 when none, -1 on
 * refusal. */
static int64_t mult(const char *code, rci_wq_kind k, rci_wq_class target, const char *text)
{
    int64_t x = -99;
    int r = rci_wq_exceedance(rci_wq_param_find(code), k, target, V(text), &x, why, sizeof why);
    return r == 1 ? x : r == 0 ? (x == 0 ? -2 : -98) : -1;
}

static void test_exceedance(void)
{
    const rci_wq_kind R = RCI_WQ_RIVER, L = RCI_WQ_LAKE;
    /* (1.8 - 1.0) / 1.0 = 0.8 */
    CHECK(mult("nh3n", R, RCI_WQ_CLASS_III, "1.8") == 80);
    /* (25 - 20) / 20 = 0.25 */
    CHECK(mult("cod", R, RCI_WQ_CLASS_III, "25") == 25);
    /* (0.45 - 0.2) / 0.2 = 1.25 */
    CHECK(mult("tp", R, RCI_WQ_CLASS_III, "0.45") == 125);
    /* lake: (0.45 - 0.05) / 0.05 = 8 */
    CHECK(mult("tp", L, RCI_WQ_CLASS_III, "0.45") == 800);
    /* (0.00012 - 0.00005) / 0.00005 = 1.4 */
    CHECK(mult("hg", R, RCI_WQ_CLASS_II, "0.00012") == 140);
    /* (4 - 3) / 3 = 0.333… → 0.33; (5 - 3) / 3 = 0.666… → 0.67 */
    CHECK(mult("bod5", R, RCI_WQ_CLASS_I, "4") == 33);
    CHECK(mult("bod5", R, RCI_WQ_CLASS_I, "5") == 67);
    /* COD target I or II: both 15. (18 - 15) / 15 = 0.2 */
    CHECK(mult("cod", R, RCI_WQ_CLASS_I, "18") == 20);
    CHECK(mult("cod", R, RCI_WQ_CLASS_II, "18") == 20);
    /* Against target V: (3 - 2) / 2 = 0.5 */
    CHECK(mult("nh3n", R, RCI_WQ_CLASS_V, "3") == 50);
    /* Halves go to the even hundredth (GB/T 8170): CODMn target III (6):
     * 6.03 → 0.005 → 0.00; 6.09 → 0.015 → 0.02; 6.15 → 0.025 → 0.02;
     * 6.21 → 0.035 → 0.04. */
    CHECK(mult("codmn", R, RCI_WQ_CLASS_III, "6.03") == 0);
    CHECK(mult("codmn", R, RCI_WQ_CLASS_III, "6.09") == 2);
    CHECK(mult("codmn", R, RCI_WQ_CLASS_III, "6.15") == 2);
    CHECK(mult("codmn", R, RCI_WQ_CLASS_III, "6.21") == 4);
    /* A hair over: multiple 0.00, still over. */
    CHECK(mult("nh3n", R, RCI_WQ_CLASS_III, "1.000000001") == 0);
    /* Fecal coliform (not assessed, shown for information):
     * (100000 - 10000) / 10000 = 9 */
    CHECK(mult("fecal_coliform", R, RCI_WQ_CLASS_III, "100000") == 900);
    /* The largest value over the smallest limit does not overflow:
     * (999999999.999999999 - 0.00005) / 0.00005 = 19999999999998.99998,
     * to 2 decimals 19999999999999.00 */
    CHECK(mult("hg", R, RCI_WQ_CLASS_I, "999999999.999999999") == INT64_C(1999999999999900));

    /* At or within the limit: none. */
    CHECK(mult("cod", R, RCI_WQ_CLASS_III, "20") == -2);
    CHECK(mult("cod", R, RCI_WQ_CLASS_III, "3") == -2);
    CHECK(mult("nh3n", R, RCI_WQ_CLASS_II, "0.5") == -2);
    /* pH, DO, temperature: never a multiple, however far off. */
    CHECK(mult("ph", R, RCI_WQ_CLASS_III, "10.5") == -2);
    CHECK(mult("ph", R, RCI_WQ_CLASS_III, "3") == -2);
    CHECK(mult("do", R, RCI_WQ_CLASS_III, "1") == -2);
    CHECK(mult("do", R, RCI_WQ_CLASS_I, "0") == -2);
    CHECK(mult("temp", R, RCI_WQ_CLASS_III, "35") == -2);

    /* Refusals. */
    CHECK(mult("cod", R, RCI_WQ_CLASS_NONE, "25") == -1 && why_has("target"));
    CHECK(mult("cod", R, RCI_WQ_CLASS_WORSE_V, "25") == -1);
    CHECK(mult("cod", (rci_wq_kind)5, RCI_WQ_CLASS_III, "25") == -1);
    CHECK(mult("ph", R, RCI_WQ_CLASS_III, "14.5") == -1);
    int64_t x;
    CHECK(rci_wq_exceedance(NULL, R, RCI_WQ_CLASS_III, V("1"), &x, why, sizeof why) == -1);
    CHECK(rci_wq_exceedance(rci_wq_param_find("cod"), R, RCI_WQ_CLASS_III, V("1"), NULL, why,
                            sizeof why) == -1);
    CHECK(rci_wq_exceedance(rci_wq_param_find("cod"), R, RCI_WQ_CLASS_III, N(-5), &x, why,
                            sizeof why) == -1);
}

/* ---- single-factor evaluation -------------------------------------------- */

static rci_wq_item I(const char *code, const char *value)
{
    rci_wq_item it = {code, V(value)};
    return it;
}

static void test_evaluate_ties(void)
{
    /* NH3-N 1.2 (IV) and TP 0.25 (IV) tie for the worst class; COD 18
     * (III), DO 6.5 (II), pH 7.2 (I). Target III. */
    rci_wq_item s[] = {I("ph", "7.2"), I("do", "6.5"), I("cod", "18"), I("nh3n", "1.2"),
                       I("tp", "0.25")};
    rci_wq_factor f[5];
    rci_wq_result r;
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_III, s, 5, f, &r, why, sizeof why) == 0);
    CHECK(r.cls == RCI_WQ_CLASS_IV);
    CHECK(r.target == RCI_WQ_CLASS_III);
    CHECK(!r.meets);
    CHECK(r.deciding == 2);
    CHECK(r.over == 2);
    CHECK(f[0].param == rci_wq_param_find("ph") && f[0].cls == 1 && !f[0].deciding);
    CHECK(f[1].cls == 2 && !f[1].deciding && !f[1].over_target);
    CHECK(f[2].cls == 3 && !f[2].deciding && !f[2].over_target && !f[2].has_multiple);
    CHECK(f[3].cls == 4 && f[3].deciding && f[3].over_target);
    CHECK(f[4].cls == 4 && f[4].deciding && f[4].over_target);
    /* (1.2 - 1.0) / 1.0 = 0.2; (0.25 - 0.2) / 0.2 = 0.25 */
    CHECK(f[3].has_multiple && f[3].multiple_x100 == 20);
    CHECK(f[4].has_multiple && f[4].multiple_x100 == 25);
    CHECK(f[3].value.nano == 1200000000);
    for (int i = 0; i < 5; i++)
        CHECK(f[i].assessed);

    /* Against target IV the same sample meets, with no item over. */
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_IV, s, 5, f, &r, why, sizeof why) == 0);
    CHECK(r.cls == RCI_WQ_CLASS_IV && r.meets && r.over == 0 && r.deciding == 2);
    CHECK(!f[3].has_multiple && f[3].multiple_x100 == 0);

    /* In a lake, TP 0.25 is 劣V (> 0.2) and decides alone:
     * (0.25 - 0.05) / 0.05 = 4. */
    CHECK(rci_wq_evaluate(RCI_WQ_LAKE, RCI_WQ_CLASS_III, s, 5, f, &r, why, sizeof why) == 0);
    CHECK(r.cls == RCI_WQ_CLASS_WORSE_V && r.deciding == 1 && f[4].deciding && !f[3].deciding);
    CHECK(f[4].multiple_x100 == 400);
}

static void test_evaluate_ph_do(void)
{
    /* DO 1.5 (劣V) and pH 9.2 (劣V) decide; NH3-N 1.9 (V). Target III:
     * no multiple for DO and pH, (1.9 - 1.0) / 1.0 = 0.9 for NH3-N. */
    rci_wq_item s[] = {I("nh3n", "1.9"), I("do", "1.5"), I("ph", "9.2")};
    rci_wq_factor f[3];
    rci_wq_result r;
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_III, s, 3, f, &r, why, sizeof why) == 0);
    CHECK(r.cls == RCI_WQ_CLASS_WORSE_V);
    CHECK(r.deciding == 2 && r.over == 3 && !r.meets);
    CHECK(f[0].cls == 5 && !f[0].deciding && f[0].has_multiple && f[0].multiple_x100 == 90);
    CHECK(f[1].cls == 6 && f[1].deciding && f[1].over_target && !f[1].has_multiple &&
          f[1].multiple_x100 == 0);
    CHECK(f[2].cls == 6 && f[2].deciding && f[2].over_target && !f[2].has_multiple);
}

static void test_evaluate_excluded(void)
{
    /* TN 5 and fecal coliform 100000 are far beyond V, temperature has no
     * class; none of them decides. NH3-N 0.1 (I) and COD 15 (I) do. */
    rci_wq_item s[] = {I("tn", "5"), I("fecal_coliform", "100000"), I("temp", "30.5"),
                       I("nh3n", "0.1"), I("cod", "15")};
    rci_wq_factor f[5];
    rci_wq_result r;
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_II, s, 5, f, &r, why, sizeof why) == 0);
    CHECK(r.cls == RCI_WQ_CLASS_I);
    CHECK(r.meets);
    CHECK(r.deciding == 2 && r.over == 0);
    CHECK(f[0].cls == 6 && !f[0].assessed && !f[0].deciding && f[0].over_target);
    /* shown for information: (5 - 0.5) / 0.5 = 9; (100000 - 2000) / 2000 = 49 */
    CHECK(f[0].has_multiple && f[0].multiple_x100 == 900);
    CHECK(f[1].cls == 6 && !f[1].assessed && !f[1].deciding && f[1].multiple_x100 == 4900);
    CHECK(f[2].cls == RCI_WQ_CLASS_NONE && !f[2].assessed && !f[2].deciding && !f[2].over_target &&
          !f[2].has_multiple);
    CHECK(f[3].deciding && f[4].deciding);

    /* Only items that do not count: no class, and so no "meets". */
    rci_wq_item t[] = {I("tn", "0.1"), I("temp", "20")};
    CHECK(rci_wq_evaluate(RCI_WQ_LAKE, RCI_WQ_CLASS_III, t, 2, f, &r, why, sizeof why) == 0);
    CHECK(r.cls == RCI_WQ_CLASS_NONE && !r.meets && r.deciding == 0 && r.over == 0);
    CHECK(f[0].cls == 1 && !f[0].deciding);

    /* An empty sample likewise. */
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_III, NULL, 0, NULL, &r, why, sizeof why) == 0);
    CHECK(r.cls == RCI_WQ_CLASS_NONE && !r.meets);

    /* All class I: every assessed item attains the sample's class. */
    rci_wq_item u[] = {I("ph", "7"), I("do", "8"), I("nh3n", "0.1"), I("tn", "0.1")};
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_I, u, 4, f, &r, why, sizeof why) == 0);
    CHECK(r.cls == RCI_WQ_CLASS_I && r.meets && r.deciding == 3 && !f[3].deciding);

    /* All 24 items at once: at their class III limit (and pH 7, DO 5),
     * with temperature 20: class III, the 21 assessed items decide. */
    rci_wq_item all[RCI_WQ_PARAM_COUNT];
    for (size_t i = 0; i < RCI_WQ_PARAM_COUNT; i++) {
        const rci_wq_param *p = rci_wq_param_at(i);
        all[i].code = p->code;
        all[i].value = strcmp(p->code, "ph") == 0     ? V("7")
                       : strcmp(p->code, "temp") == 0 ? V("20")
                                                      : V(rci_wq_limit_text(p, RCI_WQ_RIVER,
                                                                            RCI_WQ_CLASS_III));
    }
    rci_wq_factor fa[RCI_WQ_PARAM_COUNT];
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_III, all, RCI_WQ_PARAM_COUNT, fa, &r, why,
                          sizeof why) == 0);
    /* Items whose III limit is shared with a better class come out
     * better (COD 20 is III, but Cu 1.0 is II), so the class is III and
     * only some items decide; none is over. */
    CHECK(r.cls == RCI_WQ_CLASS_III && r.meets && r.over == 0);
    CHECK(fa[6].param == rci_wq_param_find("nh3n") && fa[6].cls == 3 && fa[6].deciding);
    CHECK(fa[9].param == rci_wq_param_find("cu") && fa[9].cls == 2 && !fa[9].deciding);
    CHECK(fa[2].param == rci_wq_param_find("do") && fa[2].cls == 3 && fa[2].deciding);
}

static void test_evaluate_refusals(void)
{
    rci_wq_factor f[4];
    rci_wq_result r;
    rci_wq_item unknown[] = {I("ph", "7"), I("nh4", "1")};
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_III, unknown, 2, f, &r, why, sizeof why) == -1);
    CHECK(why_has("item 2: unknown parameter \"nh4\""));
    rci_wq_item nocode[] = {I("ph", "7"), {NULL, {0}}};
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_III, nocode, 2, f, &r, why, sizeof why) == -1);
    CHECK(why_has("item 2 has no parameter code"));
    rci_wq_item twice[] = {I("cod", "12"), I("ph", "7"), I("cod", "13")};
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_III, twice, 3, f, &r, why, sizeof why) == -1);
    CHECK(why_has("item 3: parameter cod given twice (also item 1)"));
    rci_wq_item badph[] = {I("ph", "15")};
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_III, badph, 1, f, &r, why, sizeof why) == -1);
    CHECK(why_has("item 1 (ph): pH 15 out of range (0..14)"));
    rci_wq_item neg[] = {{"cod", {-1}}};
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_III, neg, 1, f, &r, why, sizeof why) == -1);
    CHECK(why_has("item 1 (cod)"));
    rci_wq_item ok[] = {I("cod", "12")};
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_NONE, ok, 1, f, &r, why, sizeof why) == -1);
    CHECK(why_has("target class must be I..V"));
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_WORSE_V, ok, 1, f, &r, why, sizeof why) == -1);
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, (rci_wq_class)9, ok, 1, f, &r, why, sizeof why) == -1);
    CHECK(rci_wq_evaluate((rci_wq_kind)3, RCI_WQ_CLASS_III, ok, 1, f, &r, why, sizeof why) == -1);
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_III, ok, 1, NULL, &r, why, sizeof why) == -1);
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_III, NULL, 1, f, &r, why, sizeof why) == -1);
    CHECK(rci_wq_evaluate(RCI_WQ_RIVER, RCI_WQ_CLASS_III, ok, 1, f, NULL, why, sizeof why) == -1);
}

/* ---- joint monitoring ---------------------------------------------------- */

/* The entry for code in out[0..n), or NULL. */
static const rci_wq_joint *entry(const rci_wq_joint *out, int n, const char *code)
{
    for (int i = 0; i < n; i++)
        if (strcmp(out[i].param->code, code) == 0)
            return &out[i];
    return NULL;
}

static void test_joint_basic(void)
{
    /* City A: COD 20, NH3-N 1.0, pH 7.0, TP 0.2, DO 6.
     * City B: COD 23, NH3-N 1.3, pH 7.6, TP 0,   Hg 0.0001. */
    rci_wq_item a[] = {I("cod", "20"), I("nh3n", "1.0"), I("ph", "7.0"), I("tp", "0.2"), I("do", "6")};
    rci_wq_item b[] = {I("hg", "0.0001"), I("tp", "0"), I("ph", "7.6"), I("nh3n", "1.3"), I("cod", "23")};
    rci_wq_joint out[RCI_WQ_PARAM_COUNT];
    int n = rci_wq_joint_compare(a, 5, b, 5, NULL, 0, out, why, sizeof why);
    CHECK(n == 4);
    if (n != 4)
        return;
    /* Table order: ph, cod, nh3n, tp. DO and Hg are in one sample only. */
    CHECK(out[0].param == rci_wq_param_find("ph"));
    CHECK(out[1].param == rci_wq_param_find("cod"));
    CHECK(out[2].param == rci_wq_param_find("nh3n"));
    CHECK(out[3].param == rci_wq_param_find("tp"));
    CHECK(entry(out, n, "do") == NULL && entry(out, n, "hg") == NULL);

    /* pH: |7.0 - 7.6| = 0.6 pH units > 0.5 */
    CHECK(!out[0].relative && out[0].diff.nano == 600000000 && out[0].tol.nano == 500000000);
    CHECK(!out[0].within);
    CHECK(out[0].a.nano == 7000000000 && out[0].b.nano == 7600000000);
    /* COD: |20 - 23| / (20 + 23) = 3/43 = 0.069767441|86… ≤ 0.2 */
    CHECK(out[1].relative && out[1].diff.nano == 69767442 && out[1].tol.nano == 200000000);
    CHECK(out[1].within);
    /* NH3-N: 0.3 / 2.3 = 0.130434782|608… ≤ 0.2 (it would be 0.26, beyond,
     * over the mean: the relative deviation is half that). */
    CHECK(out[2].diff.nano == 130434783 && out[2].within);
    /* TP: 0.2 against 0: 0.2 / 0.2 = 1 (100 %) */
    CHECK(out[3].diff.nano == 1000000000 && !out[3].within);
    CHECK(out[3].a.nano == 200000000 && out[3].b.nano == 0);

    /* Symmetric: swapping the cities changes nothing but a and b. */
    rci_wq_joint sw[RCI_WQ_PARAM_COUNT];
    CHECK(rci_wq_joint_compare(b, 5, a, 5, NULL, 0, sw, why, sizeof why) == 4);
    for (int i = 0; i < 4; i++)
        CHECK(sw[i].diff.nano == out[i].diff.nano && sw[i].within == out[i].within &&
              sw[i].a.nano == out[i].b.nano);

    /* Nothing in common: no entries. */
    CHECK(rci_wq_joint_compare(a, 1, b, 1, NULL, 0, out, why, sizeof why) == 0);
    CHECK(rci_wq_joint_compare(NULL, 0, NULL, 0, NULL, 0, out, why, sizeof why) == 0);
}

static void test_joint_edges(void)
{
    rci_wq_joint out[RCI_WQ_PARAM_COUNT];
    /* Exactly 20 %: 0.6 and 0.9 → 0.3 / 1.5 = 0.2, within. (In binary
     * doubles, (0.9 - 0.6) / 1.5 is 0.20000000000000004, which would be
     * "beyond".) COD 8 and 12 → 4 / 20 = 0.2. */
    rci_wq_item a1[] = {I("nh3n", "0.6"), I("ph", "7.0"), I("cod", "8")};
    rci_wq_item b1[] = {I("nh3n", "0.9"), I("ph", "7.5"), I("cod", "12")};
    CHECK(rci_wq_joint_compare(a1, 3, b1, 3, NULL, 0, out, why, sizeof why) == 3);
    CHECK(entry(out, 3, "nh3n")->diff.nano == 200000000 && entry(out, 3, "nh3n")->within);
    CHECK(entry(out, 3, "cod")->diff.nano == 200000000 && entry(out, 3, "cod")->within);
    /* pH exactly 0.5 apart: within. */
    CHECK(entry(out, 3, "ph")->diff.nano == 500000000 && entry(out, 3, "ph")->within);

    /* One step of 10^-9 further: beyond. NH3-N: 0.300000001 / 1.500000001
     * = 0.200000000|53… → 0.200000001. COD: 4.000000001 / 20.000000001 =
     * 0.200000000|04… reads 0.2 when rounded, yet is beyond: within is
     * decided exactly, not on the rounded difference. */
    rci_wq_item b2[] = {I("nh3n", "0.900000001"), I("ph", "7.500000001"), I("cod", "12.000000001")};
    CHECK(rci_wq_joint_compare(a1, 3, b2, 3, NULL, 0, out, why, sizeof why) == 3);
    CHECK(!entry(out, 3, "nh3n")->within);
    CHECK(entry(out, 3, "nh3n")->diff.nano == 200000001);
    CHECK(!entry(out, 3, "cod")->within);
    CHECK(entry(out, 3, "cod")->diff.nano == 200000000);
    CHECK(entry(out, 3, "ph")->diff.nano == 500000001 && !entry(out, 3, "ph")->within);

    /* Zeros: both 0 → within, difference 0. One 0 → 100 %. pH 0 and 0. */
    rci_wq_item a3[] = {I("cn", "0"), I("hg", "0"), I("ph", "0")};
    rci_wq_item b3[] = {I("cn", "0.000"), I("hg", "0.00001"), I("ph", "0")};
    CHECK(rci_wq_joint_compare(a3, 3, b3, 3, NULL, 0, out, why, sizeof why) == 3);
    CHECK(entry(out, 3, "cn")->diff.nano == 0 && entry(out, 3, "cn")->within);
    CHECK(entry(out, 3, "hg")->diff.nano == 1000000000 && !entry(out, 3, "hg")->within);
    CHECK(entry(out, 3, "ph")->diff.nano == 0 && entry(out, 3, "ph")->within);

    /* Largest values: no overflow. 999999999.999999999 and 0 → 1; the
     * maximum and one step below: 10^-9 / 1999999999.999999997 → 0. */
    rci_wq_item a4[] = {{"fecal_coliform", {RCI_WQ_NANO_MAX}}, {"cod", {RCI_WQ_NANO_MAX}}};
    rci_wq_item b4[] = {{"fecal_coliform", {0}}, {"cod", {RCI_WQ_NANO_MAX - 1}}};
    CHECK(rci_wq_joint_compare(a4, 2, b4, 2, NULL, 0, out, why, sizeof why) == 2);
    CHECK(entry(out, 2, "fecal_coliform")->diff.nano == 1000000000);
    CHECK(entry(out, 2, "cod")->diff.nano == 0 && entry(out, 2, "cod")->within);

    /* Water temperature is compared relatively like the rest (DESIGN §6:
     * only pH is absolute): 20 and 24 → 4 / 44 = 0.090909090|9… within. */
    rci_wq_item a5[] = {I("temp", "20")};
    rci_wq_item b5[] = {I("temp", "24")};
    CHECK(rci_wq_joint_compare(a5, 1, b5, 1, NULL, 0, out, why, sizeof why) == 1);
    CHECK(out[0].relative && out[0].diff.nano == 90909091 && out[0].within);
}

static void test_joint_tolerances(void)
{
    rci_wq_item a[] = {I("cod", "20"), I("ph", "7.0"), I("nh3n", "1.0")};
    rci_wq_item b[] = {I("cod", "23"), I("ph", "7.6"), I("nh3n", "1.3")};
    rci_wq_joint out[RCI_WQ_PARAM_COUNT];
    /* COD 5 %: 3/43 = 0.0697… beyond. pH 1.0: 0.6 within. NH3-N 10 %:
     * 0.3/2.3 = 0.1304… beyond; 15 %: within. */
    rci_wq_tolerance t[] = {{"cod", V("0.05")}, {"ph", V("1.0")}, {"nh3n", V("0.1")}};
    CHECK(rci_wq_joint_compare(a, 3, b, 3, t, 3, out, why, sizeof why) == 3);
    CHECK(!entry(out, 3, "cod")->within && entry(out, 3, "cod")->tol.nano == 50000000);
    CHECK(entry(out, 3, "ph")->within && entry(out, 3, "ph")->tol.nano == 1000000000);
    CHECK(!entry(out, 3, "nh3n")->within);
    rci_wq_tolerance t15[] = {{"nh3n", V("0.15")}};
    CHECK(rci_wq_joint_compare(a, 3, b, 3, t15, 1, out, why, sizeof why) == 3);
    CHECK(entry(out, 3, "nh3n")->within);
    /* An override for a parameter not sampled is fine. */
    rci_wq_tolerance t2[] = {{"hg", V("0.5")}};
    CHECK(rci_wq_joint_compare(a, 3, b, 3, t2, 1, out, why, sizeof why) == 3);
    CHECK(entry(out, 3, "cod")->tol.nano == 200000000);
    /* Zero tolerance: only equal values pass. */
    rci_wq_item a6[] = {I("cod", "20")};
    rci_wq_tolerance t3[] = {{"cod", V("0")}};
    CHECK(rci_wq_joint_compare(a6, 1, a6, 1, t3, 1, out, why, sizeof why) == 1 && out[0].within);
    CHECK(rci_wq_joint_compare(a6, 1, b, 1, t3, 1, out, why, sizeof why) == 1 && !out[0].within);

    /* Refusals. */
    rci_wq_tolerance bad1[] = {{"nh4", V("0.1")}};
    CHECK(rci_wq_joint_compare(a, 3, b, 3, bad1, 1, out, why, sizeof why) == -1);
    CHECK(why_has("tolerance 1: unknown parameter \"nh4\""));
    rci_wq_tolerance bad2[] = {{"cod", V("0.1")}, {"cod", V("0.2")}};
    CHECK(rci_wq_joint_compare(a, 3, b, 3, bad2, 2, out, why, sizeof why) == -1);
    CHECK(why_has("tolerance 2: parameter cod given twice"));
    rci_wq_tolerance bad3[] = {{"cod", {-1}}};
    CHECK(rci_wq_joint_compare(a, 3, b, 3, bad3, 1, out, why, sizeof why) == -1);
    CHECK(why_has("tolerance 1 (cod)"));
    rci_wq_tolerance bad4[] = {{NULL, {0}}};
    CHECK(rci_wq_joint_compare(a, 3, b, 3, bad4, 1, out, why, sizeof why) == -1);
    CHECK(rci_wq_joint_compare(a, 3, b, 3, NULL, 1, out, why, sizeof why) == -1);
    rci_wq_item badb[] = {I("cod", "23"), I("ph", "14.5")};
    CHECK(rci_wq_joint_compare(a, 3, badb, 2, NULL, 0, out, why, sizeof why) == -1);
    CHECK(why_has("sample b: item 2 (ph): pH 14.5 out of range"));
    rci_wq_item twice[] = {I("cod", "23"), I("cod", "24")};
    CHECK(rci_wq_joint_compare(twice, 2, b, 3, NULL, 0, out, why, sizeof why) == -1);
    CHECK(why_has("sample a: item 2: parameter cod given twice"));
    CHECK(rci_wq_joint_compare(a, 3, b, 3, NULL, 0, NULL, why, sizeof why) == -1);
    CHECK(rci_wq_joint_compare(NULL, 2, b, 3, NULL, 0, out, why, sizeof why) == -1);
}

/* ---- compliance over a year ---------------------------------------------- */

static void test_compliance(void)
{
    rci_wq_compliance c;
    /* II III IV – III V I III 劣V – III III against III: 10 months with a
     * class, 7 of them III or better → 70.0 %. */
    rci_wq_class m[12] = {2, 3, 4, 0, 3, 5, 1, 3, 6, 0, 3, 3};
    CHECK(rci_wq_compliance_rate(m, 12, RCI_WQ_CLASS_III, &c, why, sizeof why) == 0);
    CHECK(c.months == 10 && c.met == 7 && c.rate_x10 == 700);
    /* Against V: 9 of 10 (only 劣V misses) → 90.0 %. */
    CHECK(rci_wq_compliance_rate(m, 12, RCI_WQ_CLASS_V, &c, why, sizeof why) == 0);
    CHECK(c.months == 10 && c.met == 9 && c.rate_x10 == 900);
    /* Against I: 1 of 10 → 10.0 %. */
    CHECK(rci_wq_compliance_rate(m, 12, RCI_WQ_CLASS_I, &c, why, sizeof why) == 0);
    CHECK(c.met == 1 && c.rate_x10 == 100);
    /* 11 of 12 → 91.666… → 91.7 %; 2 of 3 → 66.666… → 66.7 %; 1 of 3 → 33.3 %. */
    rci_wq_class y[12] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 4};
    CHECK(rci_wq_compliance_rate(y, 12, RCI_WQ_CLASS_II, &c, why, sizeof why) == 0);
    CHECK(c.months == 12 && c.met == 11 && c.rate_x10 == 917);
    rci_wq_class q[3] = {3, 4, 3};
    CHECK(rci_wq_compliance_rate(q, 3, RCI_WQ_CLASS_III, &c, why, sizeof why) == 0);
    CHECK(c.months == 3 && c.met == 2 && c.rate_x10 == 667);
    CHECK(rci_wq_compliance_rate(q, 3, RCI_WQ_CLASS_II, &c, why, sizeof why) == 0);
    CHECK(c.met == 0 && c.rate_x10 == 0);
    rci_wq_class q1[3] = {3, 4, 4};
    CHECK(rci_wq_compliance_rate(q1, 3, RCI_WQ_CLASS_III, &c, why, sizeof why) == 0);
    CHECK(c.rate_x10 == 333);
    /* 7 of 7 → 100.0 %; 1 of 7 → 14.285… → 14.3 %. */
    rci_wq_class s[7] = {1, 1, 1, 1, 1, 1, 1};
    CHECK(rci_wq_compliance_rate(s, 7, RCI_WQ_CLASS_I, &c, why, sizeof why) == 0 && c.rate_x10 == 1000);
    rci_wq_class s1[7] = {1, 2, 2, 2, 2, 2, 2};
    CHECK(rci_wq_compliance_rate(s1, 7, RCI_WQ_CLASS_I, &c, why, sizeof why) == 0 && c.rate_x10 == 143);
    /* No month classified: no rate. */
    rci_wq_class none[4] = {0, 0, 0, 0};
    CHECK(rci_wq_compliance_rate(none, 4, RCI_WQ_CLASS_III, &c, why, sizeof why) == 0);
    CHECK(c.months == 0 && c.met == 0 && c.rate_x10 == -1);
    CHECK(rci_wq_compliance_rate(NULL, 0, RCI_WQ_CLASS_III, &c, why, sizeof why) == 0 && c.rate_x10 == -1);

    /* Refusals. */
    rci_wq_class thirteen[13] = {3};
    CHECK(rci_wq_compliance_rate(thirteen, 13, RCI_WQ_CLASS_III, &c, why, sizeof why) == -1);
    CHECK(why_has("13 months given (at most 12"));
    rci_wq_class bad[2] = {3, 7};
    CHECK(rci_wq_compliance_rate(bad, 2, RCI_WQ_CLASS_III, &c, why, sizeof why) == -1);
    CHECK(why_has("month 2: bad class 7"));
    rci_wq_class bad2[1] = {(rci_wq_class)-1};
    CHECK(rci_wq_compliance_rate(bad2, 1, RCI_WQ_CLASS_III, &c, why, sizeof why) == -1);
    CHECK(rci_wq_compliance_rate(m, 12, RCI_WQ_CLASS_WORSE_V, &c, why, sizeof why) == -1);
    CHECK(rci_wq_compliance_rate(m, 12, RCI_WQ_CLASS_NONE, &c, why, sizeof why) == -1);
    CHECK(rci_wq_compliance_rate(m, 12, RCI_WQ_CLASS_III, NULL, why, sizeof why) == -1);
    CHECK(rci_wq_compliance_rate(NULL, 3, RCI_WQ_CLASS_III, &c, why, sizeof why) == -1);
}

/* ---- names --------------------------------------------------------------- */

static void test_names(void)
{
    const char *zh[] = {NULL, "I", "II", "III", "IV", "V", "劣V"};
    const char *en[] = {NULL, "I", "II", "III", "IV", "V", "worse than V"};
    const char *roman[] = {NULL, "Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"};
    for (int c = 1; c <= 6; c++) {
        CHECK_STR(rci_wq_class_name((rci_wq_class)c), zh[c]);
        CHECK_STR(rci_wq_class_name_en((rci_wq_class)c), en[c]);
        CHECK(rci_wq_class_parse(zh[c]) == (rci_wq_class)c);
        CHECK(rci_wq_class_parse(roman[c]) == (rci_wq_class)c);
    }
    CHECK(rci_wq_class_name(RCI_WQ_CLASS_NONE) == NULL);
    CHECK(rci_wq_class_name((rci_wq_class)7) == NULL);
    CHECK(rci_wq_class_name_en((rci_wq_class)-1) == NULL);
    CHECK(rci_wq_class_parse("worse than V") == RCI_WQ_CLASS_NONE);
    CHECK(rci_wq_class_parse("iii") == RCI_WQ_CLASS_NONE);
    CHECK(rci_wq_class_parse("VI") == RCI_WQ_CLASS_NONE);
    CHECK(rci_wq_class_parse("3") == RCI_WQ_CLASS_NONE);
    CHECK(rci_wq_class_parse(" III") == RCI_WQ_CLASS_NONE);
    CHECK(rci_wq_class_parse("劣 V") == RCI_WQ_CLASS_NONE);
    CHECK(rci_wq_class_parse("") == RCI_WQ_CLASS_NONE);
    CHECK(rci_wq_class_parse(NULL) == RCI_WQ_CLASS_NONE);

    CHECK_STR(rci_wq_class_quality(RCI_WQ_CLASS_I), "优");
    CHECK_STR(rci_wq_class_quality(RCI_WQ_CLASS_II), "优");
    CHECK_STR(rci_wq_class_quality(RCI_WQ_CLASS_III), "良好");
    CHECK_STR(rci_wq_class_quality(RCI_WQ_CLASS_IV), "轻度污染");
    CHECK_STR(rci_wq_class_quality(RCI_WQ_CLASS_V), "中度污染");
    CHECK_STR(rci_wq_class_quality(RCI_WQ_CLASS_WORSE_V), "重度污染");
    CHECK_STR(rci_wq_class_quality_en(RCI_WQ_CLASS_II), "excellent");
    CHECK_STR(rci_wq_class_quality_en(RCI_WQ_CLASS_WORSE_V), "heavily polluted");
    CHECK(rci_wq_class_quality(RCI_WQ_CLASS_NONE) == NULL);

    rci_wq_kind k = RCI_WQ_LAKE;
    CHECK_STR(rci_wq_kind_name(RCI_WQ_RIVER), "river");
    CHECK_STR(rci_wq_kind_name(RCI_WQ_LAKE), "lake");
    CHECK(rci_wq_kind_name((rci_wq_kind)2) == NULL);
    CHECK(rci_wq_kind_from_name("river", &k) == 0 && k == RCI_WQ_RIVER);
    CHECK(rci_wq_kind_from_name("lake", &k) == 0 && k == RCI_WQ_LAKE);
    CHECK(rci_wq_kind_from_name("reservoir", &k) == -1);
    CHECK(rci_wq_kind_from_name("River", &k) == -1);
    CHECK(rci_wq_kind_from_name(NULL, &k) == -1);
}

int main(void)
{
    test_table_shape();
    test_table_limits();
    test_units();
    test_value_parse();
    test_value_double();
    test_value_format();
    test_every_boundary();
    test_boundaries_by_hand();
    test_dissolved_oxygen();
    test_ph();
    test_classify_refusals();
    test_exceedance();
    test_evaluate_ties();
    test_evaluate_ph_do();
    test_evaluate_excluded();
    test_evaluate_refusals();
    test_joint_basic();
    test_joint_edges();
    test_joint_tolerances();
    test_compliance();
    test_names();
    return check_done();
}
