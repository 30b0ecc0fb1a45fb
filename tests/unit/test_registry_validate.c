/* test_registry_validate.c: the registry's pure checks (registry/validate.h)
 * — code shapes, enum ↔ column text, an agency, an indicator definition
 * and its bounds — good and bad, field by field. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "registry/validate.h"

/* ---- codes ---------------------------------------------------------------------- */

static void test_codes(void)
{
    CHECK(registry_valid_region_code("440300"));
    CHECK(registry_valid_region_code("000000"));
    CHECK(!registry_valid_region_code(""));
    CHECK(!registry_valid_region_code("44030"));
    CHECK(!registry_valid_region_code("4403000"));
    CHECK(!registry_valid_region_code("44030a"));
    CHECK(!registry_valid_region_code("szdghz"));
    CHECK(!registry_valid_region_code(" 440300"));

    CHECK(registry_valid_domain_code("environment"));
    CHECK(registry_valid_domain_code("ab"));
    CHECK(registry_valid_domain_code("a_1"));
    CHECK(!registry_valid_domain_code("a"));                 /* one character */
    CHECK(!registry_valid_domain_code(""));
    CHECK(!registry_valid_domain_code("Environment"));
    CHECK(!registry_valid_domain_code("1abc"));
    CHECK(!registry_valid_domain_code("_abc"));
    CHECK(!registry_valid_domain_code("env-ironment"));
    CHECK(!registry_valid_domain_code("env ironment"));
    CHECK(registry_valid_domain_code("a234567890123456789012345678901"));   /* 31 */
    CHECK(registry_valid_domain_code("a2345678901234567890123456789012"));  /* 32 */
    CHECK(!registry_valid_domain_code("a23456789012345678901234567890123")); /* 33 */

    CHECK(registry_valid_agency_code("hz-eeb"));
    CHECK(registry_valid_agency_code("sz-transport"));
    CHECK(registry_valid_agency_code("gd-drc"));
    CHECK(registry_valid_agency_code("a1"));
    CHECK(!registry_valid_agency_code("a"));
    CHECK(!registry_valid_agency_code("hz_eeb"));            /* '_' is not in the pattern */
    CHECK(!registry_valid_agency_code("HZ-eeb"));
    CHECK(!registry_valid_agency_code("-hz"));
    CHECK(!registry_valid_agency_code("9hz"));
    CHECK(!registry_valid_agency_code("hz.eeb"));
    CHECK(!registry_valid_agency_code("惠州"));
    char code[80];
    memset(code, 'a', 64);
    code[64] = '\0';
    CHECK(registry_valid_agency_code(code));                 /* 64 characters */
    code[64] = 'a';
    code[65] = '\0';
    CHECK(!registry_valid_agency_code(code));                /* 65 */

    CHECK(registry_valid_indicator_code("air.pm25_mean"));
    CHECK(registry_valid_indicator_code("econ.gdp"));
    CHECK(registry_valid_indicator_code("ab"));
    CHECK(!registry_valid_indicator_code("air-pm25"));
    CHECK(!registry_valid_indicator_code(".air"));
    CHECK(!registry_valid_indicator_code("Air.pm25"));
    CHECK(!registry_valid_indicator_code("air pm25"));
    CHECK(!registry_valid_indicator_code("a"));
    memset(code, 'a', 65);
    code[64] = '\0';
    CHECK(registry_valid_indicator_code(code));
    code[64] = 'a';
    code[65] = '\0';
    CHECK(!registry_valid_indicator_code(code));
}

/* ---- enum ↔ text ---------------------------------------------------------------- */

static void test_enums(void)
{
    CHECK(registry_frequency_text(0) == NULL);
    CHECK_STR(registry_frequency_text(RCI__V1__FREQUENCY__FREQUENCY_DAILY), "daily");
    CHECK_STR(registry_frequency_text(RCI__V1__FREQUENCY__FREQUENCY_HALF_YEARLY), "half_yearly");
    CHECK_STR(registry_frequency_text(RCI__V1__FREQUENCY__FREQUENCY_YEARLY), "yearly");
    CHECK(registry_frequency_text(6) == NULL);
    CHECK(registry_frequency_text(-1) == NULL);
    CHECK(registry_frequency_from_text("quarterly") == RCI__V1__FREQUENCY__FREQUENCY_QUARTERLY);
    CHECK(registry_frequency_from_text("Quarterly") == 0);
    CHECK(registry_frequency_from_text("") == 0);

    CHECK_STR(registry_value_type_text(RCI__V1__VALUE_TYPE__VALUE_TYPE_PERCENT), "percent");
    CHECK(registry_value_type_text(4) == NULL);
    CHECK(registry_value_type_from_text("integer") == RCI__V1__VALUE_TYPE__VALUE_TYPE_INTEGER);

    CHECK_STR(registry_aggregation_text(RCI__V1__AGGREGATION__AGGREGATION_POPULATION_WEIGHTED_MEAN),
              "population_weighted_mean");
    CHECK_STR(registry_aggregation_text(RCI__V1__AGGREGATION__AGGREGATION_NONE), "none");
    CHECK(registry_aggregation_text(6) == NULL);
    CHECK(registry_aggregation_from_text("max") == RCI__V1__AGGREGATION__AGGREGATION_MAX);

    CHECK_STR(registry_direction_text(RCI__V1__DIRECTION__DIRECTION_LOWER_IS_BETTER), "lower");
    CHECK(registry_direction_text(0) == NULL);
    CHECK(registry_direction_from_text("neutral") == RCI__V1__DIRECTION__DIRECTION_NEUTRAL);
    CHECK(registry_direction_from_text("better") == 0);

    /* Every value round-trips. */
    for (int v = 1; v <= 5; v++)
        CHECK(registry_frequency_from_text(registry_frequency_text(v)) == (Rci__V1__Frequency)v);
    for (int v = 1; v <= 3; v++)
        CHECK(registry_value_type_from_text(registry_value_type_text(v)) == (Rci__V1__ValueType)v);
    for (int v = 1; v <= 5; v++)
        CHECK(registry_aggregation_from_text(registry_aggregation_text(v)) ==
              (Rci__V1__Aggregation)v);
    for (int v = 1; v <= 3; v++)
        CHECK(registry_direction_from_text(registry_direction_text(v)) == (Rci__V1__Direction)v);
}

/* ---- bounds --------------------------------------------------------------------- */

static void test_format_bound(void)
{
    char buf[40];
    CHECK(registry_format_bound(0, buf, sizeof buf) == 0);
    CHECK_STR(buf, "0");
    CHECK(registry_format_bound(-0.0, buf, sizeof buf) == 0);
    CHECK_STR(buf, "0");
    CHECK(registry_format_bound(100, buf, sizeof buf) == 0);
    CHECK_STR(buf, "100");
    CHECK(registry_format_bound(-50, buf, sizeof buf) == 0);
    CHECK_STR(buf, "-50");
    CHECK(registry_format_bound(0.1, buf, sizeof buf) == 0);
    CHECK_STR(buf, "0.1");
    CHECK(registry_format_bound(29.5, buf, sizeof buf) == 0);
    CHECK_STR(buf, "29.5");
    CHECK(registry_format_bound(0.123456, buf, sizeof buf) == 0);
    CHECK_STR(buf, "0.123456");
    CHECK(registry_format_bound(1e15, buf, sizeof buf) == 0);
    CHECK_STR(buf, "1000000000000000");
    CHECK(registry_format_bound(-1e15, buf, sizeof buf) == 0);
    CHECK_STR(buf, "-1000000000000000");
    CHECK(registry_format_bound(0.1234567, buf, sizeof buf) == -1);  /* 7 places */
    CHECK(registry_format_bound(1.0 / 3, buf, sizeof buf) == -1);
    CHECK(registry_format_bound(1e16, buf, sizeof buf) == -1);
    CHECK(registry_format_bound(NAN, buf, sizeof buf) == -1);
    CHECK(registry_format_bound(INFINITY, buf, sizeof buf) == -1);
    CHECK(registry_format_bound(-INFINITY, buf, sizeof buf) == -1);
}

/* ---- agency ------------------------------------------------------------------------ */

static char *domains_ok[] = {"environment", "transit"};

static Rci__V1__Agency good_agency(void)
{
    Rci__V1__Agency a = RCI__V1__AGENCY__INIT;
    a.code = "hz-water";
    a.city_code = "441300";
    a.name_zh = "惠州市水务局";
    a.name_en = "Huizhou Water Authority";
    a.n_domains = 2;
    a.domains = domains_ok;
    return a;
}

/* The checks of a, and whether exactly the one violation on field came out. */
static int agency_fails_on(const Rci__V1__Agency *a, const char *field)
{
    rci_violations vs = {0};
    int n = registry_check_agency(a, &vs);
    int ok = n == 1 && vs.n == 1 && strcmp(vs.items[0].field, field) == 0 &&
             vs.items[0].row == -1 && vs.items[0].description[0] != '\0';
    if (!ok)
        for (size_t i = 0; i < vs.n; i++)
            fprintf(stderr, "  got %s: %s\n", vs.items[i].field, vs.items[i].description);
    rci_violations_free(&vs);
    return ok;
}

static void test_agency(void)
{
    rci_violations vs = {0};
    Rci__V1__Agency a = good_agency();
    CHECK(registry_check_agency(&a, &vs) == 0 && vs.n == 0);
    a.n_domains = 0;                       /* an agency that only reads */
    CHECK(registry_check_agency(&a, &vs) == 0);
    CHECK(registry_check_agency(NULL, &vs) == 1);
    CHECK_STR(vs.items[0].field, "agency");
    rci_violations_free(&vs);

    a = good_agency();
    a.code = "";
    CHECK(agency_fails_on(&a, "agency.code"));
    a.code = "HZ-water";
    CHECK(agency_fails_on(&a, "agency.code"));
    a.code = "hz_water";
    CHECK(agency_fails_on(&a, "agency.code"));
    a.code = "h";
    CHECK(agency_fails_on(&a, "agency.code"));

    a = good_agency();
    a.city_code = "";
    CHECK(agency_fails_on(&a, "agency.city_code"));
    a.city_code = "szdghz";
    CHECK(agency_fails_on(&a, "agency.city_code"));
    a.city_code = "4413";
    CHECK(agency_fails_on(&a, "agency.city_code"));

    a = good_agency();
    a.name_zh = "";
    CHECK(agency_fails_on(&a, "agency.name_zh"));
    a.name_zh = "   ";
    CHECK(agency_fails_on(&a, "agency.name_zh"));
    a.name_zh = "惠州市\n水务局";
    CHECK(agency_fails_on(&a, "agency.name_zh"));
    a = good_agency();
    char long_name[REGISTRY_NAME_MAX + 2];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    a.name_en = long_name;
    CHECK(agency_fails_on(&a, "agency.name_en"));
    long_name[REGISTRY_NAME_MAX] = '\0';   /* exactly the limit */
    CHECK(registry_check_agency(&a, &vs) == 0);

    a = good_agency();
    char *bad_domain[] = {"environment", "Transit"};
    a.domains = bad_domain;
    CHECK(agency_fails_on(&a, "agency.domains[1]"));
    char *twice[] = {"transit", "transit"};
    a.domains = twice;
    CHECK(agency_fails_on(&a, "agency.domains[1]"));
    char *many[REGISTRY_AGENCY_DOMAINS_MAX + 1];
    char names[REGISTRY_AGENCY_DOMAINS_MAX + 1][8];
    for (int i = 0; i <= REGISTRY_AGENCY_DOMAINS_MAX; i++) {
        snprintf(names[i], sizeof names[i], "d%02d", i);
        many[i] = names[i];
    }
    a.domains = many;
    a.n_domains = REGISTRY_AGENCY_DOMAINS_MAX;
    CHECK(registry_check_agency(&a, &vs) == 0);
    a.n_domains = REGISTRY_AGENCY_DOMAINS_MAX + 1;
    CHECK(agency_fails_on(&a, "agency.domains"));

    /* Every failing field at once: one violation each. */
    a = good_agency();
    a.code = "X";
    a.city_code = "abc";
    a.name_zh = "";
    a.name_en = "";
    a.domains = twice;
    CHECK(registry_check_agency(&a, &vs) == 5);
    rci_violations_free(&vs);
}

/* ---- indicator ----------------------------------------------------------------------- */

static Google__Protobuf__DoubleValue dv(double v)
{
    Google__Protobuf__DoubleValue d = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;
    d.value = v;
    return d;
}

static Rci__V1__Indicator good_indicator(void)
{
    Rci__V1__Indicator i = RCI__V1__INDICATOR__INIT;
    i.code = "air.pm25_mean";
    i.name_zh = "细颗粒物（PM2.5）月均浓度";
    i.name_en = "PM2.5 monthly mean concentration";
    i.unit = "µg/m³";
    i.domain = "environment";
    i.frequency = RCI__V1__FREQUENCY__FREQUENCY_MONTHLY;
    i.value_type = RCI__V1__VALUE_TYPE__VALUE_TYPE_DECIMAL;
    i.decimals = 0;
    i.aggregation = RCI__V1__AGGREGATION__AGGREGATION_MEAN;
    i.better = RCI__V1__DIRECTION__DIRECTION_LOWER_IS_BETTER;
    i.standard = "GB 3095-2012";
    return i;
}

static int indicator_fails_on(const Rci__V1__Indicator *ind, const char *field)
{
    rci_violations vs = {0};
    registry_bounds b;
    int n = registry_check_indicator(ind, &vs, &b);
    int ok = n == 1 && vs.n == 1 && strcmp(vs.items[0].field, field) == 0 &&
             vs.items[0].row == -1 && vs.items[0].description[0] != '\0';
    if (!ok)
        for (size_t i = 0; i < vs.n; i++)
            fprintf(stderr, "  got %s: %s\n", vs.items[i].field, vs.items[i].description);
    rci_violations_free(&vs);
    return ok;
}

static int indicator_ok(const Rci__V1__Indicator *ind, registry_bounds *b)
{
    rci_violations vs = {0};
    int n = registry_check_indicator(ind, &vs, b);
    for (size_t i = 0; i < vs.n; i++)
        fprintf(stderr, "  unexpected %s: %s\n", vs.items[i].field, vs.items[i].description);
    rci_violations_free(&vs);
    return n == 0;
}

static void test_indicator_fields(void)
{
    registry_bounds b;
    rci_violations vs = {0};
    Rci__V1__Indicator i = good_indicator();
    CHECK(indicator_ok(&i, &b));
    CHECK_STR(b.min, "");
    CHECK_STR(b.max, "");
    CHECK(registry_check_indicator(NULL, &vs, &b) == 1);
    CHECK_STR(vs.items[0].field, "indicator");
    rci_violations_free(&vs);

    i = good_indicator();
    i.code = "";
    CHECK(indicator_fails_on(&i, "indicator.code"));
    i.code = "Air.PM25";
    CHECK(indicator_fails_on(&i, "indicator.code"));
    i.code = "air-pm25";
    CHECK(indicator_fails_on(&i, "indicator.code"));

    i = good_indicator();
    i.name_zh = "";
    CHECK(indicator_fails_on(&i, "indicator.name_zh"));
    i = good_indicator();
    i.name_en = " ";
    CHECK(indicator_fails_on(&i, "indicator.name_en"));
    i.name_en = "PM2.5\tmean";
    CHECK(indicator_fails_on(&i, "indicator.name_en"));

    i = good_indicator();
    i.unit = "";                       /* a unit may be empty (an index) */
    CHECK(indicator_ok(&i, &b));
    i.unit = "micrograms per cubic metre, as a monthly mean";
    CHECK(indicator_fails_on(&i, "indicator.unit"));
    i = good_indicator();
    char standard[REGISTRY_STANDARD_MAX + 2];
    memset(standard, 's', sizeof standard - 1);
    standard[sizeof standard - 1] = '\0';
    i.standard = standard;
    CHECK(indicator_fails_on(&i, "indicator.standard"));

    i = good_indicator();
    i.domain = "";
    CHECK(indicator_fails_on(&i, "indicator.domain"));
    i.domain = "Environment";
    CHECK(indicator_fails_on(&i, "indicator.domain"));

    i = good_indicator();
    i.frequency = 0;
    CHECK(indicator_fails_on(&i, "indicator.frequency"));
    i.frequency = 9;
    CHECK(indicator_fails_on(&i, "indicator.frequency"));
    i = good_indicator();
    i.value_type = 0;
    CHECK(indicator_fails_on(&i, "indicator.value_type"));
    i.value_type = 4;
    CHECK(indicator_fails_on(&i, "indicator.value_type"));
    i = good_indicator();
    i.aggregation = 0;
    CHECK(indicator_fails_on(&i, "indicator.aggregation"));
    i.aggregation = -1;
    CHECK(indicator_fails_on(&i, "indicator.aggregation"));
    i = good_indicator();
    i.better = 0;
    CHECK(indicator_fails_on(&i, "indicator.better"));
    i.better = 4;
    CHECK(indicator_fails_on(&i, "indicator.better"));

    i = good_indicator();
    i.decimals = 6;
    CHECK(indicator_ok(&i, &b));
    i.decimals = 7;
    CHECK(indicator_fails_on(&i, "indicator.decimals"));
    i.decimals = -1;
    CHECK(indicator_fails_on(&i, "indicator.decimals"));
    i = good_indicator();
    i.value_type = RCI__V1__VALUE_TYPE__VALUE_TYPE_INTEGER;
    i.decimals = 1;
    CHECK(indicator_fails_on(&i, "indicator.decimals"));

    /* Everything wrong at once: one violation per field. */
    i = good_indicator();
    i.code = "";
    i.name_zh = "";
    i.name_en = "";
    i.domain = "";
    i.frequency = 0;
    i.value_type = 0;
    i.aggregation = 0;
    i.better = 0;
    i.decimals = 9;
    CHECK(registry_check_indicator(&i, &vs, &b) == 9);
    rci_violations_free(&vs);
}

static void test_indicator_bounds(void)
{
    registry_bounds b;
    Rci__V1__Indicator i = good_indicator();
    Google__Protobuf__DoubleValue lo = dv(0), hi = dv(500);
    i.min_value = &lo;
    i.max_value = &hi;
    CHECK(indicator_ok(&i, &b));
    CHECK_STR(b.min, "0");
    CHECK_STR(b.max, "500");

    hi = dv(0);                            /* min = max is a range of one */
    CHECK(indicator_ok(&i, &b));
    lo = dv(1);
    CHECK(indicator_fails_on(&i, "indicator.min_value"));
    lo = dv(NAN);
    hi = dv(5);
    CHECK(indicator_fails_on(&i, "indicator.min_value"));
    lo = dv(0);
    hi = dv(INFINITY);
    CHECK(indicator_fails_on(&i, "indicator.max_value"));
    hi = dv(2e15);
    CHECK(indicator_fails_on(&i, "indicator.max_value"));
    hi = dv(0.0000001);
    CHECK(indicator_fails_on(&i, "indicator.max_value"));
    hi = dv(0.25);
    CHECK(indicator_ok(&i, &b));
    CHECK_STR(b.max, "0.25");
    i.min_value = NULL;                    /* open below */
    CHECK(indicator_ok(&i, &b));
    CHECK_STR(b.min, "");

    /* Integer bounds are whole numbers. */
    i = good_indicator();
    i.value_type = RCI__V1__VALUE_TYPE__VALUE_TYPE_INTEGER;
    lo = dv(0.5);
    i.min_value = &lo;
    CHECK(indicator_fails_on(&i, "indicator.min_value"));
    lo = dv(-3);
    CHECK(indicator_ok(&i, &b));
    CHECK_STR(b.min, "-3");
    CHECK_STR(b.max, "");

    /* A percent's missing bounds are 0 and 100, each on its own. */
    i = good_indicator();
    i.value_type = RCI__V1__VALUE_TYPE__VALUE_TYPE_PERCENT;
    i.decimals = 1;
    CHECK(indicator_ok(&i, &b));
    CHECK_STR(b.min, "0");
    CHECK_STR(b.max, "100");
    lo = dv(-50);
    i.min_value = &lo;
    CHECK(indicator_ok(&i, &b));
    CHECK_STR(b.min, "-50");
    CHECK_STR(b.max, "100");
    i.min_value = NULL;
    hi = dv(500);
    i.max_value = &hi;
    CHECK(indicator_ok(&i, &b));
    CHECK_STR(b.min, "0");
    CHECK_STR(b.max, "500");
    hi = dv(-10);                          /* below the default minimum */
    CHECK(indicator_fails_on(&i, "indicator.min_value"));
    i.max_value = NULL;
    lo = dv(150);                          /* above the default maximum */
    i.min_value = &lo;
    CHECK(indicator_fails_on(&i, "indicator.min_value"));
}

int main(void)
{
    test_codes();
    test_enums();
    test_format_bound();
    test_agency();
    test_indicator_fields();
    test_indicator_bounds();
    return check_done();
}
