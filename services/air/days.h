/* days.h: one city's day of air data as the service and its SQL carry it —
 * the seven columns of air_days (migrations/0012_air.sql), their
 * pollutant names in rci.v1.AirConcentration, their units, and the
 * conversion of column text into an AQI-module sample (aqi.h). Also the
 * small JSON writer the write statement's parameters are built with.
 * Pure code, no I/O. */
#ifndef RCI_AIR_DAYS_H
#define RCI_AIR_DAYS_H

#include <stddef.h>

#include "air/aqi.h"

/* so2, no2, pm10, co, o3_1h, o3_8h, pm25: the order of air_days' columns. */
#define AIR_COLS 7

typedef struct air_col {
    const char *pollutant;   /* AirConcentration.pollutant: "so2_24h", … */
    const char *column;      /* air_days column: "so2", … */
    rci_air_item item;       /* the daily-report item (aqi.h) */
    int mg;                  /* 1: mg/m³ (CO), 0: µg/m³ */
} air_col;

extern const air_col air_cols[AIR_COLS];

/* The column of a pollutant name; -1 if it is none of the seven. */
int air_col_of_pollutant(const char *name);

/* 1 if unit is an accepted spelling of column col's unit: "µg/m³",
 * "μg/m³" (Greek mu), "ug/m3" (and the mixed "µg/m3", "ug/m³"), or for
 * CO "mg/m³", "mg/m3"; else 0. */
int air_unit_ok(int col, const char *unit);

/* The sample of a day from its column texts (NULL or "" = not measured).
 * Returns 0, or -1 with why naming the pollutant. */
int air_sample_from_texts(const char *const text[AIR_COLS], rci_air_sample *s, char *why,
                          size_t whylen);

/* The daily AQI of a sample on a date, by the edition in force that day. */
int air_day_aqi(int year, int month, int day, const rci_air_sample *s, rci_aqi_result *out);

/* ---- a growing text buffer, with JSON string escaping ---------------------- */

typedef struct air_buf {
    char *s;        /* owned; NUL-terminated while not failed */
    size_t len, cap;
    int failed;     /* out of memory: every later add is ignored */
} air_buf;

void air_buf_add(air_buf *b, const char *text);
void air_buf_printf(air_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* text as a JSON string, quotes included. */
void air_buf_json(air_buf *b, const char *text);
/* The text (the caller owns it), or NULL if anything failed (then freed). */
char *air_buf_take(air_buf *b);
void air_buf_free(air_buf *b);

#endif
