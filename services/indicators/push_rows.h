/* push_rows.h: the rows of one PushValues batch — the definitions they
 * refer to, the scope and validation checks on them, and the array
 * parameters that carry them to rci_push_write. No I/O: push.c runs the
 * queries and hands the results here. */
#ifndef RCI_PUSH_ROWS_H
#define RCI_PUSH_ROWS_H

#include <libpq-fe.h>
#include <stddef.h>

#include "indicators/period.h"
#include "platform/auth.h"
#include "platform/violations.h"
#include "rci/v1/indicators.pb-c.h"

typedef struct push_def {
    char code[72];
    char domain[32];
    rci_freq freq;
    char value_type[16];
    char min[72], max[72];       /* "" when unbounded */
    int decimals;
} push_def;

typedef struct push_region {
    char code[40];
    char kind[16];               /* province, circle, city, district */
    char city[16];               /* itself, or the parent city of a district */
} push_region;

typedef struct push_rows {
    push_def *defs;              /* sorted by code */
    size_t ndefs;
    push_region *regions;        /* sorted by code */
    size_t nregions;
    char defs_at[64];            /* newest indicators.updated_at read */
    char (*locked)[2][72];       /* locked (indicator, period) pairs */
    size_t nlocked;
    size_t nrows;
    char (*period_end)[RCI_DATE_TEXT_MAX];   /* per row, set by validate */
} push_rows;

/* An earlier request with the same id (from the prepare query). */
typedef struct push_prior {
    int found;
    char hash_hex[65];
    long long batch_id;
    int written, unchanged;
    long long committed_usec;
} push_prior;

/* PostgreSQL array literals ("{\"a\",\"b\"}"), malloc'd. */
typedef struct push_arrays {
    char *indicators, *regions, *periods, *period_ends, *values, *notes;
    char *lock_indicators, *lock_periods;   /* distinct (indicator, period) pairs */
} push_arrays;

/* Read the prepare query's rows. Returns 0, or -1 if the result is not
 * shaped as expected (or out of memory). */
int push_rows_load(push_rows *rows, const PGresult *res, push_prior *prior);

/* Rows whose indicator and region exist but lie outside who's city or
 * domains (PERMISSION_DENIED stage). */
void push_rows_check_scope(const push_rows *rows, const Rci__V1__PushValuesRequest *req,
                           const rci_identity *who, rci_violations *vs);

/* Every other check on every row: indicator and region exist, a region
 * not a circle, the period matches the indicator's frequency, the value its
 * type, range and decimals, the note's length, no cell twice in a batch.
 * Fills rows->period_end for the rows that pass. */
void push_rows_validate(push_rows *rows, const Rci__V1__PushValuesRequest *req,
                        rci_violations *vs);

/* validate_only: a violation for every row whose period is locked (the
 * pairs the prepare query found). */
void push_rows_check_locks(const push_rows *rows, const Rci__V1__PushValuesRequest *req,
                           rci_violations *vs);

/* Violations for the locked rows rci_push_write reported ("3,17,…"). */
void push_rows_locked(const push_rows *rows, const char *csv_rows,
                      const Rci__V1__PushValuesRequest *req, rci_violations *vs);

/* Distinct indicator and region codes of the batch, and its distinct
 * (indicator, period) pairs, for the prepare query: .indicators, .regions,
 * .lock_indicators and .lock_periods are set. Returns 0 or -1. */
int push_rows_key_arrays(const Rci__V1__PushValuesRequest *req, push_arrays *out);

/* Every column of a validated batch. Returns 0 or -1 (out of memory). */
int push_rows_arrays(const push_rows *rows, const Rci__V1__PushValuesRequest *req,
                     push_arrays *out);

void push_arrays_free(push_arrays *a);
void push_rows_free(push_rows *rows);

#endif
