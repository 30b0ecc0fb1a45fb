/* test_air_days.c: unit tests for air/days.c — the pollutant names and
 * units of rci.v1.AirConcentration, column text into an AQI sample, the
 * edition chosen by date, and the JSON text buffer the write statement's
 * parameters are built with. */
#include "air/days.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"

static void test_pollutants(void)
{
    static const char *const names[AIR_COLS] = {"so2_24h", "no2_24h", "pm10_24h", "co_24h",
                                                "o3_1h_max", "o3_8h_max", "pm25_24h"};
    for (int c = 0; c < AIR_COLS; c++)
        CHECK(air_col_of_pollutant(names[c]) == c);
    CHECK(air_col_of_pollutant("pm25") == -1);
    CHECK(air_col_of_pollutant("PM25_24H") == -1);
    CHECK(air_col_of_pollutant("") == -1);
    CHECK(air_col_of_pollutant(NULL) == -1);
    CHECK(air_cols[3].mg && air_cols[3].item == RCI_AIR_CO_24H);
    CHECK(air_cols[5].item == RCI_AIR_O3_8H && air_cols[4].item == RCI_AIR_O3_1H);
}

static void test_units(void)
{
    int so2 = air_col_of_pollutant("so2_24h"), co = air_col_of_pollutant("co_24h");
    /* µ as U+00B5 and as Greek mu U+03BC, ³ or 3, ASCII u. */
    CHECK(air_unit_ok(so2, "\xC2\xB5g/m\xC2\xB3"));
    CHECK(air_unit_ok(so2, "\xCE\xBCg/m\xC2\xB3"));
    CHECK(air_unit_ok(so2, "ug/m3"));
    CHECK(air_unit_ok(so2, "\xC2\xB5g/m3"));
    CHECK(air_unit_ok(so2, "ug/m\xC2\xB3"));
    CHECK(!air_unit_ok(so2, "mg/m3"));
    CHECK(!air_unit_ok(so2, "mg/m\xC2\xB3"));
    CHECK(!air_unit_ok(so2, ""));
    CHECK(!air_unit_ok(so2, "ug/m3 "));
    CHECK(!air_unit_ok(so2, "ug/m"));
    CHECK(!air_unit_ok(so2, "ppb"));
    CHECK(air_unit_ok(co, "mg/m\xC2\xB3"));
    CHECK(air_unit_ok(co, "mg/m3"));
    CHECK(!air_unit_ok(co, "ug/m3"));
    CHECK(!air_unit_ok(co, "\xC2\xB5g/m\xC2\xB3"));
    CHECK(!air_unit_ok(-1, "ug/m3"));
    CHECK(!air_unit_ok(AIR_COLS, "ug/m3"));
    CHECK(!air_unit_ok(so2, NULL));
}

static void test_samples(void)
{
    const char *text[AIR_COLS] = {"10", "40", "130", "1.0", "120", "100", "80"};
    rci_air_sample s;
    char why[200];
    CHECK(air_sample_from_texts(text, &s, why, sizeof why) == 0);
    CHECK(s.present == ((1u << RCI_AIR_SO2_24H) | (1u << RCI_AIR_NO2_24H) |
                        (1u << RCI_AIR_PM10_24H) | (1u << RCI_AIR_CO_24H) |
                        (1u << RCI_AIR_O3_1H) | (1u << RCI_AIR_O3_8H) |
                        (1u << RCI_AIR_PM25_24H)));
    CHECK(s.conc[RCI_AIR_CO_24H] == 1000 && s.conc[RCI_AIR_PM25_24H] == 80000);
    /* HJ 633-2012 on 2026-02-28: PM2.5 80 -> 100 + 50/40 * 5 = 106.25 -> 107;
     * HJ 633-2026 on 2026-03-01: 100 + 50/55 * 20 = 118.2 -> 119. */
    rci_aqi_result r;
    CHECK(air_day_aqi(2026, 2, 28, &s, &r) == 0 && r.aqi == 107 &&
          r.edition == RCI_AQI_HJ633_2012);
    CHECK(air_day_aqi(2026, 3, 1, &s, &r) == 0 && r.aqi == 119 &&
          r.edition == RCI_AQI_HJ633_2026);
    /* Missing columns: NULL or "" is not measured. */
    const char *some[AIR_COLS] = {NULL, "", NULL, NULL, NULL, NULL, "35"};
    CHECK(air_sample_from_texts(some, &s, why, sizeof why) == 0);
    CHECK(s.present == (1u << RCI_AIR_PM25_24H));
    /* A bad value names its pollutant. */
    const char *bad[AIR_COLS] = {NULL, NULL, NULL, "-1", NULL, NULL, NULL};
    CHECK(air_sample_from_texts(bad, &s, why, sizeof why) == -1);
    CHECK(strncmp(why, "co_24h: ", 8) == 0);
    const char *dec[AIR_COLS] = {NULL, NULL, NULL, NULL, NULL, NULL, "1.2345"};
    CHECK(air_sample_from_texts(dec, &s, why, sizeof why) == -1);
    CHECK(strstr(why, "pm25_24h") != NULL);
}

static void test_buf(void)
{
    air_buf b = {0};
    air_buf_add(&b, "[");
    air_buf_json(&b, "a\"b\\c\n\x01 惠州");
    air_buf_printf(&b, ",%d]", 42);
    char *s = air_buf_take(&b);
    CHECK_STR(s, "[\"a\\\"b\\\\c\\u000a\\u0001 惠州\",42]");
    CHECK(b.s == NULL && b.len == 0);
    free(s);
    /* Long formatted text goes through the heap path. */
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    air_buf_printf(&b, "%s!", big);
    s = air_buf_take(&b);
    CHECK(s && strlen(s) == sizeof big && s[sizeof big - 1] == '!');
    free(s);
    /* Nothing added: an empty string, not NULL. */
    s = air_buf_take(&b);
    CHECK_STR(s, "");
    free(s);
}

int main(void)
{
    test_pollutants();
    test_units();
    test_samples();
    test_buf();
    return check_done();
}
