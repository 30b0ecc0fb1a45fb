/* validate.c: checks of agencies and indicator definitions, enum ↔ text
 * (validate.h). No I/O. */
#include "registry/validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- codes ------------------------------------------------------------------ */

static int is_lower(char c) { return c >= 'a' && c <= 'z'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* A lowercase letter, then min_rest..max_rest of [a-z0-9] and `extra`. */
static int valid_slug(const char *s, size_t min_rest, size_t max_rest, const char *extra)
{
    size_t n = strlen(s);
    if (n < 1 + min_rest || n > 1 + max_rest || !is_lower(s[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!is_lower(s[i]) && !is_digit(s[i]) && !strchr(extra, s[i]))
            return 0;
    return 1;
}

int registry_valid_region_code(const char *s)
{
    if (strlen(s) != 6)
        return 0;
    for (int i = 0; i < 6; i++)
        if (!is_digit(s[i]))
            return 0;
    return 1;
}

int registry_valid_domain_code(const char *s) { return valid_slug(s, 1, 31, "_"); }
int registry_valid_agency_code(const char *s) { return valid_slug(s, 1, 63, "-"); }
int registry_valid_indicator_code(const char *s) { return valid_slug(s, 1, 63, "_."); }

/* ---- enum ↔ text --------------------------------------------------------------
 * Index = enum value; index 0 (UNSPECIFIED) has no text. */

static const char *const frequency_names[] = {NULL, "daily", "monthly", "quarterly",
                                              "half_yearly", "yearly"};
static const char *const value_type_names[] = {NULL, "decimal", "integer", "percent"};
static const char *const aggregation_names[] = {NULL, "sum", "mean", "population_weighted_mean",
                                                "max", "none"};
static const char *const direction_names[] = {NULL, "higher", "lower", "neutral"};

#define NAMES_LEN(t) ((int)(sizeof t / sizeof t[0]))

static const char *name_of(const char *const *names, int n, int v)
{
    return v > 0 && v < n ? names[v] : NULL;
}

static int value_of(const char *const *names, int n, const char *s)
{
    for (int i = 1; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return 0;
}

const char *registry_frequency_text(int f)
{
    return name_of(frequency_names, NAMES_LEN(frequency_names), f);
}
const char *registry_value_type_text(int t)
{
    return name_of(value_type_names, NAMES_LEN(value_type_names), t);
}
const char *registry_aggregation_text(int a)
{
    return name_of(aggregation_names, NAMES_LEN(aggregation_names), a);
}
const char *registry_direction_text(int d)
{
    return name_of(direction_names, NAMES_LEN(direction_names), d);
}
Rci__V1__Frequency registry_frequency_from_text(const char *s)
{
    return (Rci__V1__Frequency)value_of(frequency_names, NAMES_LEN(frequency_names), s);
}
Rci__V1__ValueType registry_value_type_from_text(const char *s)
{
    return (Rci__V1__ValueType)value_of(value_type_names, NAMES_LEN(value_type_names), s);
}
Rci__V1__Aggregation registry_aggregation_from_text(const char *s)
{
    return (Rci__V1__Aggregation)value_of(aggregation_names, NAMES_LEN(aggregation_names), s);
}
Rci__V1__Direction registry_direction_from_text(const char *s)
{
    return (Rci__V1__Direction)value_of(direction_names, NAMES_LEN(direction_names), s);
}

/* ---- free text ------------------------------------------------------------------ */

/* NULL if s is an acceptable text of at most max bytes (empty allowed only
 * when !required), else why not. The platform has already refused strings
 * that are not UTF-8 or hold a NUL (pbcheck). */
static const char *text_problem(const char *s, size_t max, int required)
{
    size_t n = strlen(s);
    if (n > max)
        return "too long";
    int blank = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return "must not contain control characters (tabs, line breaks)";
        if (c != ' ')
            blank = 0;
    }
    if (required && blank)
        return "required (must not be empty)";
    return NULL;
}

static void check_text(rci_violations *vs, const char *field, const char *s, size_t max,
                       int required)
{
    const char *why = text_problem(s, max, required);
    if (why && strcmp(why, "too long") == 0)
        rci_violations_add(vs, -1, field, "too long (%zu bytes, at most %zu)", strlen(s), max);
    else if (why)
        rci_violations_add(vs, -1, field, "%s", why);
}

/* ---- agency -------------------------------------------------------------------------- */

int registry_check_agency(const Rci__V1__Agency *a, rci_violations *vs)
{
    size_t before = vs->n;
    if (!a) {
        rci_violations_add(vs, -1, "agency", "required");
        return (int)(vs->n - before);
    }
    if (a->code[0] == '\0')
        rci_violations_add(vs, -1, "agency.code", "required (must not be empty)");
    else if (!registry_valid_agency_code(a->code))
        rci_violations_add(vs, -1, "agency.code",
                           "\"%.64s\" is not an agency code (2 to 64 characters: lowercase "
                           "letters, digits and '-', starting with a letter, e.g. \"hz-eeb\")",
                           a->code);
    if (a->city_code[0] == '\0')
        rci_violations_add(vs, -1, "agency.city_code", "required (must not be empty)");
    else if (!registry_valid_region_code(a->city_code))
        rci_violations_add(vs, -1, "agency.city_code",
                           "\"%.32s\" is not a GB/T 2260 code (six digits, e.g. \"441300\")",
                           a->city_code);
    check_text(vs, "agency.name_zh", a->name_zh, REGISTRY_NAME_MAX, 1);
    check_text(vs, "agency.name_en", a->name_en, REGISTRY_NAME_MAX, 1);
    if (a->n_domains > REGISTRY_AGENCY_DOMAINS_MAX) {
        rci_violations_add(vs, -1, "agency.domains", "%zu domains, at most %d", a->n_domains,
                           REGISTRY_AGENCY_DOMAINS_MAX);
        return (int)(vs->n - before);
    }
    for (size_t i = 0; i < a->n_domains; i++) {
        char field[32];
        snprintf(field, sizeof field, "agency.domains[%u]", (unsigned)i & 0xff);
        const char *d = a->domains[i];
        if (!registry_valid_domain_code(d)) {
            rci_violations_add(vs, -1, field,
                               "\"%.32s\" is not a domain code (lowercase letters, digits, _)", d);
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->domains[j], d) == 0) {
                rci_violations_add(vs, -1, field, "\"%s\" is listed twice", d);
                break;
            }
    }
    return (int)(vs->n - before);
}

/* ---- indicator ----------------------------------------------------------------------- */

int registry_format_bound(double x, char *buf, size_t buflen)
{
    if (!isfinite(x) || fabs(x) > REGISTRY_BOUND_MAX) {
        snprintf(buf, buflen, "%s", "");
        return -1;
    }
    if (x == 0)
        x = 0; /* no "-0" */
    for (int d = 0; d <= 6; d++) {
        snprintf(buf, buflen, "%.*f", d, x);
        if (strtod(buf, NULL) == x)
            return 0;
    }
    snprintf(buf, buflen, "%s", "");
    return -1;
}

/* Check one bound: a number a value could have. Fills text ("" if absent). */
static void check_bound(rci_violations *vs, const char *field, const Google__Protobuf__DoubleValue *b,
                        int integer, char *text, size_t textlen)
{
    text[0] = '\0';
    if (!b)
        return;
    if (!isfinite(b->value)) {
        rci_violations_add(vs, -1, field, "must be a finite number");
        return;
    }
    if (fabs(b->value) > REGISTRY_BOUND_MAX) {
        rci_violations_add(vs, -1, field, "%g is out of range (at most %g either way)", b->value,
                           REGISTRY_BOUND_MAX);
        return;
    }
    if (registry_format_bound(b->value, text, textlen) != 0) {
        rci_violations_add(vs, -1, field, "%.17g has more than 6 decimal places", b->value);
        return;
    }
    if (integer && b->value != floor(b->value)) {
        rci_violations_add(vs, -1, field, "%s is not a whole number, as an integer indicator's "
                           "bounds must be", text);
        text[0] = '\0';
    }
}

/* Check an enum field: set and one of the enum's values. */
static void check_enum(rci_violations *vs, const char *field, int v, const char *text,
                       const char *type, const char *choices)
{
    if (v == 0)
        rci_violations_add(vs, -1, field, "required: one of %s", choices);
    else if (!text)
        rci_violations_add(vs, -1, field, "unknown %s value %d (one of %s)", type, v, choices);
}

int registry_check_indicator(const Rci__V1__Indicator *ind, rci_violations *vs,
                             registry_bounds *out)
{
    size_t before = vs->n;
    out->min[0] = out->max[0] = '\0';
    if (!ind) {
        rci_violations_add(vs, -1, "indicator", "required");
        return (int)(vs->n - before);
    }
    if (ind->code[0] == '\0')
        rci_violations_add(vs, -1, "indicator.code", "required (must not be empty)");
    else if (!registry_valid_indicator_code(ind->code))
        rci_violations_add(vs, -1, "indicator.code",
                           "\"%.64s\" is not an indicator code (2 to 64 characters: lowercase "
                           "letters, digits, '_' and '.', starting with a letter, e.g. "
                           "\"air.pm25_mean\")",
                           ind->code);
    check_text(vs, "indicator.name_zh", ind->name_zh, REGISTRY_NAME_MAX, 1);
    check_text(vs, "indicator.name_en", ind->name_en, REGISTRY_NAME_MAX, 1);
    check_text(vs, "indicator.unit", ind->unit, REGISTRY_UNIT_MAX, 0);
    check_text(vs, "indicator.standard", ind->standard, REGISTRY_STANDARD_MAX, 0);
    if (ind->domain[0] == '\0')
        rci_violations_add(vs, -1, "indicator.domain", "required (a domain code, e.g. "
                           "\"environment\")");
    else if (!registry_valid_domain_code(ind->domain))
        rci_violations_add(vs, -1, "indicator.domain",
                           "\"%.32s\" is not a domain code (lowercase letters, digits, _)",
                           ind->domain);
    check_enum(vs, "indicator.frequency", ind->frequency, registry_frequency_text(ind->frequency),
               "Frequency", "DAILY, MONTHLY, QUARTERLY, HALF_YEARLY, YEARLY");
    check_enum(vs, "indicator.value_type", ind->value_type,
               registry_value_type_text(ind->value_type), "ValueType",
               "DECIMAL, INTEGER, PERCENT");
    check_enum(vs, "indicator.aggregation", ind->aggregation,
               registry_aggregation_text(ind->aggregation), "Aggregation",
               "SUM, MEAN, POPULATION_WEIGHTED_MEAN, MAX, NONE");
    check_enum(vs, "indicator.better", ind->better, registry_direction_text(ind->better),
               "Direction", "HIGHER_IS_BETTER, LOWER_IS_BETTER, NEUTRAL");
    int integer = ind->value_type == RCI__V1__VALUE_TYPE__VALUE_TYPE_INTEGER;
    if (ind->decimals < 0 || ind->decimals > 6)
        rci_violations_add(vs, -1, "indicator.decimals", "%d is out of range (0..6)",
                           ind->decimals);
    else if (integer && ind->decimals != 0)
        rci_violations_add(vs, -1, "indicator.decimals",
                           "must be 0 for an integer indicator (is %d)", ind->decimals);

    size_t bad_bounds = vs->n;
    check_bound(vs, "indicator.min_value", ind->min_value, integer, out->min, sizeof out->min);
    check_bound(vs, "indicator.max_value", ind->max_value, integer, out->max, sizeof out->max);
    if (vs->n != bad_bounds)
        return (int)(vs->n - before);
    if (ind->value_type == RCI__V1__VALUE_TYPE__VALUE_TYPE_PERCENT) {
        if (!ind->min_value)
            snprintf(out->min, sizeof out->min, "0");
        if (!ind->max_value)
            snprintf(out->max, sizeof out->max, "100");
    }
    if (out->min[0] && out->max[0] && strtod(out->min, NULL) > strtod(out->max, NULL))
        rci_violations_add(vs, -1, "indicator.min_value",
                           "%s is greater than max_value %s%s", out->min, out->max,
                           ind->min_value && ind->max_value ? ""
                           : " (a percent's missing bound is 0 or 100)");
    return (int)(vs->n - before);
}
