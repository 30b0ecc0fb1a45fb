/* gb3838.c: surface-water quality classes by GB 3838-2002 (see gb3838.h).
 * Pure code: no I/O, no allocation, no global state.
 *
 * The table below is GB 3838-2002 Table 1 (basic items) as transcribed in
 * shared/reference/water-quality.md §2, which was read from the official
 * scan and agrees with two independent transcriptions. Limits are kept as
 * the standard's own decimal text and parsed by rci_wq_value_parse, the
 * parser every measured value goes through, so "value equals limit" is an
 * exact integer equality and never a question of binary floating point.
 * Products that could pass 2^63 (multiples, relative differences) are done
 * in 128-bit integers, which GCC and Clang provide on every target we build.
 */
#include "water/gb3838.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

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

/* num / den rounded half to even, the rule of GB/T 8170 (四舍六入五成双).
 * den > 0; the quotient must fit in 64 bits. */
static uint64_t div_half_even(u128 num, u128 den)
{
    u128 q = num / den, r = num % den;
    if (2 * r > den || (2 * r == den && (q & 1)))
        q++;
    return (uint64_t)q;
}

/* ---- values -------------------------------------------------------------- */

/* 1 if s is "-"? digits ("." digits)?, else 0. */
static int decimal_shape(const char *s)
{
    if (*s == '-')
        s++;
    if (!is_digit(*s))
        return 0;
    while (is_digit(*s))
        s++;
    if (*s == '.') {
        s++;
        if (!is_digit(*s))
            return 0;
        while (is_digit(*s))
            s++;
    }
    return *s == '\0';
}

int rci_wq_value_parse(const char *text, rci_wq_value *out, char *why, size_t whylen)
{
    if (!text || !*text)
        return fail(why, whylen, "empty value");
    if (!decimal_shape(text))
        return fail(why, whylen, "\"%.24s\" is not a plain decimal number (digits, optionally '.' and digits)",
                    text);
    const char *s = text + (*text == '-');
    int64_t whole = 0, frac = 0;
    int whole_digits = 0, frac_digits = 0, nonzero = 0, lost = 0;
    for (; is_digit(*s); s++) {
        if (whole_digits == 0 && *s == '0')
            continue; /* leading zeros say nothing */
        nonzero = 1;
        if (++whole_digits <= 9)
            whole = whole * 10 + (*s - '0');
    }
    if (*s == '.')
        for (s++; is_digit(*s); s++) {
            nonzero |= *s != '0';
            if (frac_digits < 9) {
                frac = frac * 10 + (*s - '0');
                frac_digits++;
            } else if (*s != '0') {
                lost = 1; /* a 10th decimal that is not 0 cannot be held exactly */
            }
        }
    if (*text == '-' && nonzero)
        return fail(why, whylen, "negative value %.24s (a concentration is never below 0)", text);
    if (whole_digits > 9)
        return fail(why, whylen, "value %.24s too large (at most 999999999.999999999)", text);
    if (lost)
        return fail(why, whylen, "value %.24s has more than 9 digits after the point", text);
    for (; frac_digits < 9; frac_digits++)
        frac *= 10;
    if (out)
        out->nano = whole * RCI_WQ_SCALE + frac;
    return 0;
}

int rci_wq_value_from_double(double d, rci_wq_value *out, char *why, size_t whylen)
{
    if (isnan(d))
        return fail(why, whylen, "value is not a number (NaN)");
    if (isinf(d))
        return fail(why, whylen, "value is infinite");
    if (d < 0)
        return fail(why, whylen, "negative value %g (a concentration is never below 0)", d);
    if (d >= 1e9)
        return fail(why, whylen, "value %g too large (at most 999999999.999999999)", d);
    /* d * 1e9 < 1e18, so the conversion cannot overflow; + 0.5 rounds. */
    int64_t n = (int64_t)(d * 1e9 + 0.5);
    if (n > RCI_WQ_NANO_MAX)
        return fail(why, whylen, "value %.17g too large (at most 999999999.999999999)", d);
    if (out)
        out->nano = n;
    return 0;
}

int rci_wq_value_valid(rci_wq_value v)
{
    return v.nano >= 0 && v.nano <= RCI_WQ_NANO_MAX;
}

int rci_wq_value_format(rci_wq_value v, char *buf, size_t buflen)
{
    if (!buf || buflen < RCI_WQ_VALUE_TEXT_MAX || !rci_wq_value_valid(v)) {
        if (buf && buflen)
            buf[0] = '\0';
        return -1;
    }
    int64_t whole = v.nano / RCI_WQ_SCALE, frac = v.nano % RCI_WQ_SCALE;
    if (frac == 0)
        return snprintf(buf, buflen, "%" PRId64, whole);
    int len = snprintf(buf, buflen, "%" PRId64 ".%09" PRId64, whole, frac);
    while (buf[len - 1] == '0')
        buf[--len] = '\0';
    return len;
}

/* ---- classes ------------------------------------------------------------- */

static int class_valid(rci_wq_class c)
{
    return c >= RCI_WQ_CLASS_I && c <= RCI_WQ_CLASS_WORSE_V;
}

/* A target is one of I..V: "劣V" is not something two cities agree to reach. */
static int target_valid(rci_wq_class c)
{
    return c >= RCI_WQ_CLASS_I && c <= RCI_WQ_CLASS_V;
}

static const struct class_text {
    const char *ascii, *roman, *en, *quality, *quality_en;
} class_texts[] = {
    [RCI_WQ_CLASS_I] = {"I", "Ⅰ", "I", "优", "excellent"},
    [RCI_WQ_CLASS_II] = {"II", "Ⅱ", "II", "优", "excellent"},
    [RCI_WQ_CLASS_III] = {"III", "Ⅲ", "III", "良好", "good"},
    [RCI_WQ_CLASS_IV] = {"IV", "Ⅳ", "IV", "轻度污染", "lightly polluted"},
    [RCI_WQ_CLASS_V] = {"V", "Ⅴ", "V", "中度污染", "moderately polluted"},
    [RCI_WQ_CLASS_WORSE_V] = {"劣V", "劣Ⅴ", "worse than V", "重度污染", "heavily polluted"},
};

const char *rci_wq_class_name(rci_wq_class c)
{
    return class_valid(c) ? class_texts[c].ascii : NULL;
}

const char *rci_wq_class_name_en(rci_wq_class c)
{
    return class_valid(c) ? class_texts[c].en : NULL;
}

rci_wq_class rci_wq_class_parse(const char *text)
{
    if (!text)
        return RCI_WQ_CLASS_NONE;
    for (int c = RCI_WQ_CLASS_I; c <= RCI_WQ_CLASS_WORSE_V; c++)
        if (strcmp(text, class_texts[c].ascii) == 0 || strcmp(text, class_texts[c].roman) == 0)
            return (rci_wq_class)c;
    return RCI_WQ_CLASS_NONE;
}

const char *rci_wq_class_quality(rci_wq_class c)
{
    return class_valid(c) ? class_texts[c].quality : NULL;
}

const char *rci_wq_class_quality_en(rci_wq_class c)
{
    return class_valid(c) ? class_texts[c].quality_en : NULL;
}

/* ---- water bodies -------------------------------------------------------- */

static int kind_valid(rci_wq_kind k)
{
    return k == RCI_WQ_RIVER || k == RCI_WQ_LAKE;
}

const char *rci_wq_kind_name(rci_wq_kind k)
{
    return k == RCI_WQ_RIVER ? "river" : k == RCI_WQ_LAKE ? "lake" : NULL;
}

int rci_wq_kind_from_name(const char *name, rci_wq_kind *out)
{
    if (name && strcmp(name, "river") == 0)
        *out = RCI_WQ_RIVER;
    else if (name && strcmp(name, "lake") == 0)
        *out = RCI_WQ_LAKE;
    else
        return -1;
    return 0;
}

/* ---- the parameter table (GB 3838-2002 Table 1) -------------------------- */

/* An item with "≤" limits in mg/L and an exceedance multiple. */
#define UPPER(code, item, zh, en, l1, l2, l3, l4, l5, assessed)                                  \
    {code, item, zh, en, "mg/L", {"mg/l", NULL, NULL}, RCI_WQ_DIR_UPPER, {l1, l2, l3, l4, l5}, \
     {NULL, NULL, NULL, NULL, NULL}, NULL, NULL, NULL, assessed, 1}

/* GB 3838-2002 Table 1, in its order (reference §2). "assessed" is the
 * 21-item list of national section assessment (reference §4): every item
 * but water temperature, total nitrogen and fecal coliform. */
static const rci_wq_param table[RCI_WQ_PARAM_COUNT] = {
    /* 1: the standard limits the human-caused change of temperature (weekly
     * mean rise <= 1 °C, drop <= 2 °C), not the temperature itself, so a
     * single reading has no class. */
    {.code = "temp", .item = 1, .name_zh = "水温", .name_en = "Water temperature",
     .unit = "°C", .unit_alt = {"℃"}, .dir = RCI_WQ_DIR_NONE},
    /* 2: 6-9 for every class; the class is I inside and 劣V outside, as
     * reference §3 says ([W2]). 0..14 is the scale itself. */
    {.code = "ph", .item = 2, .name_zh = "pH值", .name_en = "pH", .unit = "dimensionless",
     .unit_alt = {"无量纲", ""}, .dir = RCI_WQ_DIR_RANGE, .range_lo = "6", .range_hi = "9",
     .valid_max = "14", .assessed = 1},
    /* 3: "≥". Class I is "90 % saturation (or 7.5)": saturation needs the
     * temperature and pressure of the sample, which do not travel with the
     * value, so 7.5 mg/L is used, as the reference's sources do. */
    {.code = "do", .item = 3, .name_zh = "溶解氧", .name_en = "Dissolved oxygen", .unit = "mg/L",
     .unit_alt = {"mg/l"}, .dir = RCI_WQ_DIR_LOWER, .limit = {"7.5", "6", "5", "3", "2"},
     .assessed = 1},
    UPPER("codmn", 4, "高锰酸盐指数", "Permanganate index", "2", "4", "6", "10", "15", 1),
    UPPER("cod", 5, "化学需氧量", "Chemical oxygen demand", "15", "15", "20", "30", "40", 1),
    UPPER("bod5", 6, "五日生化需氧量", "Five-day biochemical oxygen demand", "3", "3", "4", "6",
          "10", 1),
    UPPER("nh3n", 7, "氨氮", "Ammonia nitrogen", "0.15", "0.5", "1.0", "1.5", "2.0", 1),
    /* 8: as P; lakes and reservoirs (湖、库) have their own, stricter row. */
    {.code = "tp", .item = 8, .name_zh = "总磷", .name_en = "Total phosphorus", .unit = "mg/L",
     .unit_alt = {"mg/l"}, .dir = RCI_WQ_DIR_UPPER, .limit = {"0.02", "0.1", "0.2", "0.3", "0.4"},
     .lake_limit = {"0.01", "0.025", "0.05", "0.1", "0.2"}, .assessed = 1, .multiple = 1},
    /* 9: the standard gives this row for lakes and reservoirs only; it is
     * applied to rivers too, for information, since TN never decides a
     * class (reference §4: evaluated separately). */
    UPPER("tn", 9, "总氮", "Total nitrogen", "0.2", "0.5", "1.0", "1.5", "2.0", 0),
    UPPER("cu", 10, "铜", "Copper", "0.01", "1.0", "1.0", "1.0", "1.0", 1),
    UPPER("zn", 11, "锌", "Zinc", "0.05", "1.0", "1.0", "2.0", "2.0", 1),
    UPPER("f", 12, "氟化物", "Fluoride", "1.0", "1.0", "1.0", "1.5", "1.5", 1),
    UPPER("se", 13, "硒", "Selenium", "0.01", "0.01", "0.01", "0.02", "0.02", 1),
    UPPER("as", 14, "砷", "Arsenic", "0.05", "0.05", "0.05", "0.1", "0.1", 1),
    UPPER("hg", 15, "汞", "Mercury", "0.00005", "0.00005", "0.0001", "0.001", "0.001", 1),
    UPPER("cd", 16, "镉", "Cadmium", "0.001", "0.005", "0.005", "0.005", "0.01", 1),
    UPPER("cr6", 17, "铬(六价)", "Chromium (hexavalent)", "0.01", "0.05", "0.05", "0.05", "0.1", 1),
    UPPER("pb", 18, "铅", "Lead", "0.01", "0.01", "0.05", "0.05", "0.1", 1),
    UPPER("cn", 19, "氰化物", "Cyanide", "0.005", "0.05", "0.2", "0.2", "0.2", 1),
    UPPER("volatile_phenol", 20, "挥发酚", "Volatile phenol", "0.002", "0.002", "0.005", "0.01",
          "0.1", 1),
    UPPER("petroleum", 21, "石油类", "Petroleum", "0.05", "0.05", "0.05", "0.5", "1.0", 1),
    UPPER("las", 22, "阴离子表面活性剂", "Anionic surfactant", "0.2", "0.2", "0.2", "0.3", "0.3", 1),
    UPPER("s2", 23, "硫化物", "Sulfide", "0.05", "0.1", "0.2", "0.5", "1.0", 1),
    /* 24: 个/L in the standard. Laboratories report the most probable
     * number per litre (MPN/L) of the same count, so that is accepted. */
    {.code = "fecal_coliform", .item = 24, .name_zh = "粪大肠菌群", .name_en = "Fecal coliform",
     .unit = "count/L", .unit_alt = {"个/L", "MPN/L"}, .dir = RCI_WQ_DIR_UPPER,
     .limit = {"200", "2000", "10000", "20000", "40000"}, .multiple = 1},
};

const rci_wq_param *rci_wq_param_at(size_t i)
{
    return i < RCI_WQ_PARAM_COUNT ? &table[i] : NULL;
}

/* Index of code in the table, or -1. */
static int param_index(const char *code)
{
    if (!code)
        return -1;
    for (int i = 0; i < RCI_WQ_PARAM_COUNT; i++)
        if (strcmp(code, table[i].code) == 0)
            return i;
    return -1;
}

const rci_wq_param *rci_wq_param_find(const char *code)
{
    int i = param_index(code);
    return i < 0 ? NULL : &table[i];
}

int rci_wq_unit_check(const rci_wq_param *p, const char *unit, char *why, size_t whylen)
{
    if (!p)
        return fail(why, whylen, "no parameter");
    if (!unit)
        return fail(why, whylen, "no unit for %s (expected %s)", p->code, p->unit);
    if (strcmp(unit, p->unit) == 0)
        return 0;
    for (size_t i = 0; i < sizeof p->unit_alt / sizeof p->unit_alt[0] && p->unit_alt[i]; i++)
        if (strcmp(unit, p->unit_alt[i]) == 0)
            return 0;
    return fail(why, whylen, "unit \"%.16s\" is not the unit of %s (expected %s; values are not converted)",
                unit, p->code, p->unit);
}

/* A limit of the table as a number. The table's texts are checked by the
 * unit test, so the parse does not fail. */
static int64_t nano_of(const char *text)
{
    rci_wq_value v = {-1};
    rci_wq_value_parse(text, &v, NULL, 0);
    return v.nano;
}

int rci_wq_value_check(const rci_wq_param *p, rci_wq_value v, char *why, size_t whylen)
{
    if (!p)
        return fail(why, whylen, "no parameter");
    if (!rci_wq_value_valid(v))
        return fail(why, whylen, "%s value out of range (0..999999999.999999999)", p->code);
    if (p->valid_max && v.nano > nano_of(p->valid_max)) {
        char text[RCI_WQ_VALUE_TEXT_MAX];
        rci_wq_value_format(v, text, sizeof text);
        return fail(why, whylen, "%s %s out of range (0..%s)", p->name_en, text, p->valid_max);
    }
    return 0;
}

/* The limit row of p for kind k: the lake row where there is one. */
static const char *const *limits_of(const rci_wq_param *p, rci_wq_kind k)
{
    return k == RCI_WQ_LAKE && p->lake_limit[0] ? p->lake_limit : p->limit;
}

const char *rci_wq_limit_text(const rci_wq_param *p, rci_wq_kind k, rci_wq_class c)
{
    if (!p || !kind_valid(k) || !target_valid(c))
        return NULL;
    if (p->dir != RCI_WQ_DIR_UPPER && p->dir != RCI_WQ_DIR_LOWER)
        return NULL;
    return limits_of(p, k)[c - 1];
}

int rci_wq_limit(const rci_wq_param *p, rci_wq_kind k, rci_wq_class c, rci_wq_value *out)
{
    const char *text = rci_wq_limit_text(p, k, c);
    if (!text)
        return -1;
    out->nano = nano_of(text);
    return 0;
}

/* ---- one value ----------------------------------------------------------- */

/* The best class whose limit v meets. Checking I first is what makes a
 * shared limit (COD I = II = 15) give the better class (reference §3). */
static rci_wq_class class_by_limits(const char *const *limit, rci_wq_dir dir, int64_t v)
{
    for (int c = 0; c < 5; c++) {
        int64_t l = nano_of(limit[c]);
        if (dir == RCI_WQ_DIR_UPPER ? v <= l : v >= l)
            return (rci_wq_class)(c + 1);
    }
    return RCI_WQ_CLASS_WORSE_V;
}

int rci_wq_classify(const rci_wq_param *p, rci_wq_kind k, rci_wq_value v, rci_wq_class *out,
                    char *why, size_t whylen)
{
    if (!p || !out)
        return fail(why, whylen, "no parameter");
    if (!kind_valid(k))
        return fail(why, whylen, "bad water body kind %d (river or lake)", (int)k);
    if (rci_wq_value_check(p, v, why, whylen) < 0)
        return -1;
    switch (p->dir) {
    case RCI_WQ_DIR_UPPER:
    case RCI_WQ_DIR_LOWER:
        *out = class_by_limits(limits_of(p, k), p->dir, v.nano);
        return 0;
    case RCI_WQ_DIR_RANGE:
        *out = v.nano >= nano_of(p->range_lo) && v.nano <= nano_of(p->range_hi)
                   ? RCI_WQ_CLASS_I
                   : RCI_WQ_CLASS_WORSE_V;
        return 0;
    default:
        return fail(why, whylen, "%s has no class limits in GB 3838-2002", p->name_en);
    }
}

int rci_wq_exceedance(const rci_wq_param *p, rci_wq_kind k, rci_wq_class target, rci_wq_value v,
                      int64_t *x100, char *why, size_t whylen)
{
    if (!p || !x100)
        return fail(why, whylen, "no parameter");
    if (!kind_valid(k))
        return fail(why, whylen, "bad water body kind %d (river or lake)", (int)k);
    if (!target_valid(target))
        return fail(why, whylen, "target class must be I..V");
    if (rci_wq_value_check(p, v, why, whylen) < 0)
        return -1;
    *x100 = 0;
    if (!p->multiple)
        return 0; /* pH, DO, temperature: only "missed", never "how much" */
    int64_t l = nano_of(limits_of(p, k)[target - 1]);
    if (v.nano <= l)
        return 0;
    /* (v - l) * 100 < 10^20 fits in 128 bits; the quotient, below
     * 10^20 / (5 * 10^4) for the smallest limit, fits in 64. */
    *x100 = (int64_t)div_half_even((u128)(v.nano - l) * 100, (u128)l);
    return 1;
}

/* ---- samples ------------------------------------------------------------- */

/* Checks item i of a sample (label prefixes the message): a known code, not
 * seen before, a possible value. first[] holds 1 + the item number that
 * first gave each parameter, 0 for none yet. Returns the table index or -1. */
static int check_item(const char *label, const rci_wq_item *items, size_t i, size_t *first,
                      char *why, size_t whylen)
{
    const rci_wq_item *it = &items[i];
    if (!it->code)
        return fail(why, whylen, "%sitem %zu has no parameter code", label, i + 1);
    int pi = param_index(it->code);
    if (pi < 0)
        return fail(why, whylen, "%sitem %zu: unknown parameter \"%.32s\" (codes as in GB 3838-2002 "
                    "Table 1: ph, do, codmn, cod, bod5, nh3n, tp, ...)", label, i + 1, it->code);
    if (first[pi])
        return fail(why, whylen, "%sitem %zu: parameter %s given twice (also item %zu)", label, i + 1,
                    it->code, first[pi]);
    char reason[160];
    if (rci_wq_value_check(&table[pi], it->value, reason, sizeof reason) < 0)
        return fail(why, whylen, "%sitem %zu (%s): %s", label, i + 1, it->code, reason);
    first[pi] = i + 1;
    return pi;
}

/* Fills f for an item already checked. */
static void factor_of(const rci_wq_param *p, rci_wq_kind k, rci_wq_class target, rci_wq_value v,
                      rci_wq_factor *f)
{
    memset(f, 0, sizeof *f);
    f->param = p;
    f->value = v;
    f->assessed = p->assessed;
    if (p->dir == RCI_WQ_DIR_NONE)
        return; /* water temperature: no class, no verdict */
    rci_wq_classify(p, k, v, &f->cls, NULL, 0);
    f->over_target = f->cls > target;
    f->has_multiple = rci_wq_exceedance(p, k, target, v, &f->multiple_x100, NULL, 0) == 1;
}

int rci_wq_evaluate(rci_wq_kind k, rci_wq_class target, const rci_wq_item *items, size_t n,
                    rci_wq_factor *factors, rci_wq_result *res, char *why, size_t whylen)
{
    if (!res || (n && (!items || !factors)))
        return fail(why, whylen, "no sample");
    if (!kind_valid(k))
        return fail(why, whylen, "bad water body kind %d (river or lake)", (int)k);
    if (!target_valid(target))
        return fail(why, whylen, "target class must be I..V");
    size_t first[RCI_WQ_PARAM_COUNT] = {0};
    rci_wq_class worst = RCI_WQ_CLASS_NONE;
    for (size_t i = 0; i < n; i++) {
        int pi = check_item("", items, i, first, why, whylen);
        if (pi < 0)
            return -1;
        factor_of(&table[pi], k, target, items[i].value, &factors[i]);
        if (factors[i].assessed && factors[i].cls > worst)
            worst = factors[i].cls;
    }
    memset(res, 0, sizeof *res);
    res->cls = worst;
    res->target = target;
    res->meets = worst != RCI_WQ_CLASS_NONE && worst <= target;
    for (size_t i = 0; i < n; i++) {
        rci_wq_factor *f = &factors[i];
        f->deciding = f->assessed && f->cls == worst && worst != RCI_WQ_CLASS_NONE;
        res->deciding += (size_t)f->deciding;
        res->over += (size_t)(f->assessed && f->over_target);
    }
    return 0;
}

/* ---- joint monitoring ---------------------------------------------------- */

/* Checks a whole sample; pos[] gets 1 + the item index of each parameter. */
static int check_sample(const char *label, const rci_wq_item *items, size_t n, size_t *pos,
                        char *why, size_t whylen)
{
    if (n && !items)
        return fail(why, whylen, "%sno items", label);
    for (size_t i = 0; i < n; i++)
        if (check_item(label, items, i, pos, why, whylen) < 0)
            return -1;
    return 0;
}

/* Default tolerances, then the caller's. A repeated code is refused rather
 * than "last one wins", which would hide a mistake in the section's set-up. */
static int tolerances(const rci_wq_tolerance *tols, size_t ntols, rci_wq_value *tol, char *why,
                      size_t whylen)
{
    int given[RCI_WQ_PARAM_COUNT] = {0};
    for (int i = 0; i < RCI_WQ_PARAM_COUNT; i++)
        tol[i].nano = table[i].dir == RCI_WQ_DIR_RANGE ? RCI_WQ_JOINT_PH_DEFAULT_NANO
                                                       : RCI_WQ_JOINT_REL_DEFAULT_NANO;
    if (ntols && !tols)
        return fail(why, whylen, "no tolerances");
    for (size_t i = 0; i < ntols; i++) {
        int pi = param_index(tols[i].code);
        if (pi < 0)
            return fail(why, whylen, "tolerance %zu: unknown parameter \"%.32s\"", i + 1,
                        tols[i].code ? tols[i].code : "");
        if (given[pi]++)
            return fail(why, whylen, "tolerance %zu: parameter %s given twice", i + 1, tols[i].code);
        if (!rci_wq_value_valid(tols[i].tol))
            return fail(why, whylen, "tolerance %zu (%s): out of range (0..999999999.999999999)", i + 1,
                        tols[i].code);
        tol[pi] = tols[i].tol;
    }
    return 0;
}

/* pH is a logarithm: a relative difference of two pH values means nothing,
 * so pH (the one RANGE item) is compared in pH units (DESIGN §6). */
static void compare_one(const rci_wq_param *p, rci_wq_value a, rci_wq_value b, rci_wq_value tol,
                        rci_wq_joint *j)
{
    uint64_t d = (uint64_t)(a.nano > b.nano ? a.nano - b.nano : b.nano - a.nano);
    uint64_t sum = (uint64_t)a.nano + (uint64_t)b.nano;
    j->param = p;
    j->a = a;
    j->b = b;
    j->tol = tol;
    j->relative = p->dir != RCI_WQ_DIR_RANGE;
    if (!j->relative) {
        j->diff.nano = (int64_t)d;
        j->within = d <= (uint64_t)tol.nano;
    } else if (sum == 0) {
        j->diff.nano = 0; /* two zeros agree */
        j->within = 1;
    } else {
        /* The relative deviation of parallel samples (相对偏差):
         * |a-b| / (a+b) <= tol  <=>  |a-b| * 10^9 <= tol * (a+b), in nano
         * units on both sides; under 2^128, so exact. */
        u128 lhs = (u128)d * (u128)RCI_WQ_SCALE;
        j->diff.nano = (int64_t)div_half_even(lhs, sum);
        j->within = lhs <= (u128)(uint64_t)tol.nano * sum;
    }
}

int rci_wq_joint_compare(const rci_wq_item *a, size_t na, const rci_wq_item *b, size_t nb,
                         const rci_wq_tolerance *tols, size_t ntols, rci_wq_joint *out,
                         char *why, size_t whylen)
{
    size_t pos_a[RCI_WQ_PARAM_COUNT] = {0}, pos_b[RCI_WQ_PARAM_COUNT] = {0};
    rci_wq_value tol[RCI_WQ_PARAM_COUNT];
    if (!out)
        return fail(why, whylen, "no room for the comparison");
    if (check_sample("sample a: ", a, na, pos_a, why, whylen) < 0 ||
        check_sample("sample b: ", b, nb, pos_b, why, whylen) < 0 ||
        tolerances(tols, ntols, tol, why, whylen) < 0)
        return -1;
    int m = 0;
    for (int i = 0; i < RCI_WQ_PARAM_COUNT; i++)
        if (pos_a[i] && pos_b[i])
            compare_one(&table[i], a[pos_a[i] - 1].value, b[pos_b[i] - 1].value, tol[i], &out[m++]);
    return m;
}

/* ---- a section's year ---------------------------------------------------- */

int rci_wq_compliance_rate(const rci_wq_class *monthly, size_t n, rci_wq_class target,
                           rci_wq_compliance *out, char *why, size_t whylen)
{
    if (!out || (n && !monthly))
        return fail(why, whylen, "no months");
    if (n > 12)
        return fail(why, whylen, "%zu months given (at most 12 in a year)", n);
    if (!target_valid(target))
        return fail(why, whylen, "target class must be I..V");
    int months = 0, met = 0;
    for (size_t i = 0; i < n; i++) {
        rci_wq_class c = monthly[i];
        if (c != RCI_WQ_CLASS_NONE && !class_valid(c))
            return fail(why, whylen, "month %zu: bad class %d (0 for none, 1..6 for I..劣V)", i + 1,
                        (int)c);
        months += c != RCI_WQ_CLASS_NONE;
        met += c != RCI_WQ_CLASS_NONE && c <= target;
    }
    out->months = months;
    out->met = met;
    out->rate_x10 = months ? (int)div_half_even((u128)met * 1000, (u128)months) : -1;
    return 0;
}
