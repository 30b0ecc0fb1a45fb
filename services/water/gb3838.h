/* gb3838.h: surface-water quality classes by GB 3838-2002 (地表水环境质量标准).
 * Pure code: no I/O, no allocation, no global state.
 *
 * This module owns:
 *   - the 24 basic items of GB 3838-2002 Table 1 with their limits for
 *     classes I..V (shared/reference/water-quality.md §2), including the
 *     lake and reservoir limits of total phosphorus;
 *   - which of them count for a section's class: the 21 items of national
 *     section assessment, i.e. all but water temperature, total nitrogen and
 *     fecal coliform (reference §4);
 *   - the class of one value, the single-factor class of a sample and the
 *     exceedance multiples against a target class (reference §3);
 *   - the comparison of two cities' joint samples of one section and month
 *     (DESIGN §6 "Water");
 *   - a section's compliance rate over the months of a year.
 * It does not know sections, agencies or months: the service does.
 *
 * Values. Concentrations travel as the decimal text an agency typed, and a
 * class boundary must not move by a rounding error ("0.15" mg/L NH3-N is
 * class I, "0.150000001" is class II). So a value is held as a whole number
 * of 10^-9 units (rci_wq_value), and every limit of the table is written in
 * the code as the standard's text and read by the same parser: a value and a
 * limit written alike are equal, and every comparison is exact integer
 * arithmetic. Values are 0 .. 999999999.999999999 with at most 9 decimals.
 * Non-detects ("0.01L", "ND") are resolved by the caller before this module.
 *
 * Classes are 1..5 for I..V and 6 for 劣V (worse than V); 0 means "no class"
 * (a parameter without class limits, or a sample with no assessed item).
 *
 * Every function that can fail writes a short English reason into why (if
 * not NULL; whylen bytes, always NUL-terminated) that an agency can act on,
 * such as "pH 15 out of range (0..14)". The caller adds the row and field.
 */
#ifndef RCI_GB3838_H
#define RCI_GB3838_H

#include <stddef.h>
#include <stdint.h>

/* ---- values -------------------------------------------------------------- */

/* A non-negative decimal value in units of 10^-9 (nano = 0.15 mg/L is
 * 150000000). A plain struct, so that it never mixes with a count by
 * accident. */
typedef struct rci_wq_value {
    int64_t nano;
} rci_wq_value;

#define RCI_WQ_SCALE INT64_C(1000000000)             /* nano per unit */
#define RCI_WQ_NANO_MAX INT64_C(999999999999999999)  /* 999999999.999999999 */
/* Room for the longest text rci_wq_value_format writes, and its NUL. */
#define RCI_WQ_VALUE_TEXT_MAX 21

/* Parse text (NUL-terminated) as a value. The text must be a plain decimal
 * number: digits, optionally '.' followed by digits ("0.15", "7", "007",
 * "1.50"); no '+', no exponent, no spaces, no ".5" or "5.". At most 9
 * integer digits after leading zeros, and at most 9 decimals unless the
 * extra ones are zeros ("0.1500000000000" is 0.15). A '-' is accepted only
 * before a zero ("-0" is 0): a concentration is never below 0. Returns 0 and
 * fills *out, or -1 with the reason in why. */
int rci_wq_value_parse(const char *text, rci_wq_value *out, char *why, size_t whylen);

/* A value from a double, for values the caller computed (means, say), to
 * the nearest 10^-9. NaN, infinities, negatives (other than -0.0) and values
 * above the maximum are rejected. A double that strtod made from decimal
 * text with at most 9 decimals gives back exactly that text's value when it
 * is below 2,000,000, and for every whole number: the product with 10^9
 * is then within half a unit of the true one. Returns 0 or -1 (why). */
int rci_wq_value_from_double(double d, rci_wq_value *out, char *why, size_t whylen);

/* 1 if v is 0 .. RCI_WQ_NANO_MAX, else 0 (for values built by hand). */
int rci_wq_value_valid(rci_wq_value v);

/* Writes v as the shortest plain decimal text ("0.15", "7", "0"); buf of at
 * least RCI_WQ_VALUE_TEXT_MAX bytes. Returns the length, or -1 (and an
 * empty buf) if v is not valid or buflen too small. */
int rci_wq_value_format(rci_wq_value v, char *buf, size_t buflen);

/* ---- classes ------------------------------------------------------------- */

typedef enum rci_wq_class {
    RCI_WQ_CLASS_NONE = 0,
    RCI_WQ_CLASS_I = 1,
    RCI_WQ_CLASS_II = 2,
    RCI_WQ_CLASS_III = 3,
    RCI_WQ_CLASS_IV = 4,
    RCI_WQ_CLASS_V = 5,
    RCI_WQ_CLASS_WORSE_V = 6 /* 劣V */
} rci_wq_class;

/* "I", "II", "III", "IV", "V", "劣V"; NULL for anything else (also NONE). */
const char *rci_wq_class_name(rci_wq_class c);

/* "I", "II", "III", "IV", "V", "worse than V"; NULL for anything else. */
const char *rci_wq_class_name_en(rci_wq_class c);

/* The class named by text: the ASCII names above, or the same written with
 * the Unicode Roman numerals Chinese documents use ("Ⅲ", "劣Ⅴ"). Exact, no
 * spaces. RCI_WQ_CLASS_NONE if text is none of them. */
rci_wq_class rci_wq_class_parse(const char *text);

/* Qualitative wording of a section's class (reference §3, [W6]): I and II
 * 优 / excellent, III 良好 / good, IV 轻度污染 / lightly polluted, V 中度污染 /
 * moderately polluted, 劣V 重度污染 / heavily polluted. NULL for NONE. */
const char *rci_wq_class_quality(rci_wq_class c);
const char *rci_wq_class_quality_en(rci_wq_class c);

/* ---- water bodies -------------------------------------------------------- */

/* Only total phosphorus depends on it (GB 3838-2002 Table 1 item 8). */
typedef enum rci_wq_kind {
    RCI_WQ_RIVER = 0, /* rivers, canals, estuaries */
    RCI_WQ_LAKE = 1   /* lakes and reservoirs (湖、库) */
} rci_wq_kind;

/* "river" or "lake"; NULL for a bad kind. */
const char *rci_wq_kind_name(rci_wq_kind k);

/* The kind for "river" or "lake" (exact); 0 and *out set, or -1. */
int rci_wq_kind_from_name(const char *name, rci_wq_kind *out);

/* ---- the parameter table (GB 3838-2002 Table 1) -------------------------- */

typedef enum rci_wq_dir {
    RCI_WQ_DIR_NONE = 0, /* no class limits (water temperature) */
    RCI_WQ_DIR_UPPER,    /* "≤": a class is met when value <= its limit */
    RCI_WQ_DIR_LOWER,    /* "≥": a class is met when value >= its limit (DO) */
    RCI_WQ_DIR_RANGE     /* within [range_lo, range_hi] for every class (pH) */
} rci_wq_dir;

#define RCI_WQ_PARAM_COUNT 24

/* One basic item. Limits are decimal text exactly as in the standard. */
typedef struct rci_wq_param {
    const char *code;        /* stable ASCII code, e.g. "nh3n" */
    int item;                /* number in GB 3838-2002 Table 1, 1..24 */
    const char *name_zh;     /* e.g. "氨氮" */
    const char *name_en;     /* e.g. "Ammonia nitrogen" */
    const char *unit;        /* canonical unit: "mg/L", "dimensionless", "count/L", "°C" */
    const char *unit_alt[3]; /* other spellings accepted by rci_wq_unit_check; NULL ends */
    rci_wq_dir dir;
    const char *limit[5];      /* classes I..V (UPPER, LOWER) */
    const char *lake_limit[5]; /* lakes and reservoirs where they differ, else all NULL */
    const char *range_lo, *range_hi; /* RANGE: the band every class requires */
    const char *valid_max;   /* largest possible value (pH 14), NULL if none */
    int assessed;            /* 1: one of the 21 items that decide a section's class */
    int multiple;            /* 1: has an exceedance multiple (not pH, DO, temperature) */
} rci_wq_param;

/* The table in GB 3838-2002 order; i in 0..RCI_WQ_PARAM_COUNT-1, else NULL. */
const rci_wq_param *rci_wq_param_at(size_t i);

/* The parameter with this code (exact, lower case), or NULL. Codes:
 *   temp ph do codmn cod bod5 nh3n tp tn cu zn f se as hg cd cr6 pb cn
 *   volatile_phenol petroleum las s2 fecal_coliform */
const rci_wq_param *rci_wq_param_find(const char *code);

/* 0 if unit is a spelling of p's unit, else -1 with why. Accepted:
 * "mg/L" and "mg/l" for the mg/L items; "dimensionless", "无量纲" and ""
 * for pH; "count/L", "个/L" and "MPN/L" for fecal coliform; "°C" and "℃"
 * for water temperature. Nothing is converted: a value in µg/L is refused,
 * not divided by 1000, because only the sender knows what it measured. */
int rci_wq_unit_check(const rci_wq_param *p, const char *unit, char *why, size_t whylen);

/* 0 if v is a possible value of p (valid, and pH within 0..14), else -1
 * with why, e.g. "pH 15 out of range (0..14)". */
int rci_wq_value_check(const rci_wq_param *p, rci_wq_value v, char *why, size_t whylen);

/* The limit of class c (I..V) of p for kind k into *out. 0, or -1 if p has
 * no such limit (pH, water temperature) or an argument is bad. */
int rci_wq_limit(const rci_wq_param *p, rci_wq_kind k, rci_wq_class c, rci_wq_value *out);

/* The same limit as the standard's text ("0.15"), or NULL. */
const char *rci_wq_limit_text(const rci_wq_param *p, rci_wq_kind k, rci_wq_class c);

/* ---- one value ----------------------------------------------------------- */

/* The class of value v of parameter p in water of kind k: the best class
 * whose limit v satisfies, limits inclusive ("≤ 0.15" holds for 0.15), so
 * where classes share a limit the better one wins (COD 15 is I, not II);
 * 劣V when even class V's limit fails. pH is class I inside 6..9 (both
 * ends included) and 劣V outside. Returns 0 and *out, or -1 (why) for a
 * bad argument, a bad value, or water temperature, which has no classes. */
int rci_wq_classify(const rci_wq_param *p, rci_wq_kind k, rci_wq_value v, rci_wq_class *out,
                    char *why, size_t whylen);

/* Exceedance multiple (超标倍数) of v against the limit L of target class
 * (I..V): (v − L) / L, times 100 and rounded half to even (GB/T 8170), i.e.
 * the multiple to 2 decimals: 0.25 is 25. Returns 1 and sets *x100 when v is
 * worse than L and p has multiples; 0 when v meets L, or p has none (pH,
 * DO, water temperature: reference §3 and DESIGN §6); -1 (why) for bad
 * arguments. A tiny exceedance can round to 0 and still return 1. */
int rci_wq_exceedance(const rci_wq_param *p, rci_wq_kind k, rci_wq_class target, rci_wq_value v,
                      int64_t *x100, char *why, size_t whylen);

/* ---- one sample: single-factor evaluation (reference §3) ----------------- */

/* One measured parameter of a sample. */
typedef struct rci_wq_item {
    const char *code; /* rci_wq_param code */
    rci_wq_value value;
} rci_wq_item;

/* What the evaluation says about one item. */
typedef struct rci_wq_factor {
    const rci_wq_param *param;
    rci_wq_value value;
    rci_wq_class cls;      /* NONE for water temperature */
    int assessed;          /* counts for the sample's class (param->assessed) */
    int deciding;          /* assessed, and its class is the sample's class */
    int over_target;       /* cls worse than the target (shown for every item) */
    int has_multiple;      /* over the target and param->multiple */
    int64_t multiple_x100; /* see rci_wq_exceedance; 0 without a multiple */
} rci_wq_factor;

typedef struct rci_wq_result {
    rci_wq_class cls;    /* worst class of the assessed items; NONE if none */
    rci_wq_class target;
    int meets;           /* cls is not NONE and no worse than target */
    size_t deciding;     /* items whose class is cls (all of them, ties included) */
    size_t over;         /* assessed items worse than the target: the failing items */
} rci_wq_result;

/* Single-factor evaluation of a sample of n items in water of kind k
 * against target class (I..V). factors (room for n) gets one entry per item
 * in the caller's order. The sample's class is the worst class among the
 * assessed items; items not assessed (water temperature, total nitrogen,
 * fecal coliform) get their class and multiple for information but never
 * decide the class or the verdict. A code may appear once. Returns 0, or -1
 * (why names the item, counting from 1) for an unknown code, a repeated
 * code, a bad value, or a bad kind or target. */
int rci_wq_evaluate(rci_wq_kind k, rci_wq_class target, const rci_wq_item *items, size_t n,
                    rci_wq_factor *factors, rci_wq_result *res, char *why, size_t whylen);

/* ---- joint monitoring: two samples of one section and month -------------- */

/* Default tolerances (DESIGN §6): relative 20 % for every parameter, except
 * pH, which is absolute, 0.5 pH units. */
#define RCI_WQ_JOINT_REL_DEFAULT_NANO INT64_C(200000000) /* 0.2 */
#define RCI_WQ_JOINT_PH_DEFAULT_NANO INT64_C(500000000)  /* 0.5 */

/* A caller's tolerance for one parameter: a fraction (0.1 = 10 %) for a
 * relative parameter, pH units for pH. */
typedef struct rci_wq_tolerance {
    const char *code;
    rci_wq_value tol;
} rci_wq_tolerance;

/* One parameter present in both samples. */
typedef struct rci_wq_joint {
    const rci_wq_param *param;
    rci_wq_value a, b;
    int relative;      /* 1: diff and tol are fractions; 0: absolute (pH) */
    rci_wq_value diff; /* |a − b|, or |a − b| / (a + b) to the nearest 10^-9 */
    rci_wq_value tol;
    int within;        /* diff <= tol, decided exactly, not on the rounded diff */
} rci_wq_joint;

/* Compares samples a (na items) and b (nb items) parameter by parameter.
 * The relative difference is the relative deviation of parallel samples
 * used in laboratory quality control (相对偏差), |a − b| / (a + b): half
 * the "relative percent difference" over the mean. It is symmetric, so it
 * does not matter which city is the monitor, and bounded by 1 (100 %) when
 * one value is 0. Two zeros are equal (diff 0, within). tols (ntols entries, may be NULL) override the
 * defaults per code. out (room for RCI_WQ_PARAM_COUNT) gets one entry per
 * parameter present in both, in table order; parameters in only one sample
 * are left out. Returns the number of entries, or -1 (why) for a bad item
 * in either sample (as rci_wq_evaluate) or a bad or repeated tolerance. */
int rci_wq_joint_compare(const rci_wq_item *a, size_t na, const rci_wq_item *b, size_t nb,
                         const rci_wq_tolerance *tols, size_t ntols, rci_wq_joint *out,
                         char *why, size_t whylen);

/* ---- a section's year ---------------------------------------------------- */

typedef struct rci_wq_compliance {
    int months;   /* months with a class */
    int met;      /* of those, months no worse than the target */
    int rate_x10; /* met / months in percent to one decimal (91.7 % is 917),
                   * rounded half to even; -1 when months is 0 (no rate,
                   * neither 0 % nor 100 %) */
} rci_wq_compliance;

/* Compliance of a section over n (0..12) months: monthly[i] is the month's
 * class, RCI_WQ_CLASS_NONE when it has none (not sampled, or no assessed
 * item). A month meets the target when its class is no worse than target
 * (I..V). Returns 0, or -1 (why) for n > 12, a class out of 0..6 or a bad
 * target. */
int rci_wq_compliance_rate(const rci_wq_class *monthly, size_t n, rci_wq_class target,
                           rci_wq_compliance *out, char *why, size_t whylen);

#endif
