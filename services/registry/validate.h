/* validate.h: the registry's checks of what a client sends — codes, names,
 * an agency, an indicator definition — and the tables between the proto's
 * enums and the text the columns hold (migrations/0002_registry.sql).
 *
 * Pure: no I/O, no call, no database, so unit tests reach every case
 * (tests/unit/test_registry_validate.c). What only the database knows —
 * whether a domain or a city exists, whether a code is taken — is checked
 * by the handlers' statements.
 */
#ifndef RCI_REGISTRY_VALIDATE_H
#define RCI_REGISTRY_VALIDATE_H

#include <stddef.h>

#include "platform/violations.h"
#include "rci/v1/registry.pb-c.h"

/* Longest name (bytes of UTF-8) and other free texts accepted. */
#define REGISTRY_NAME_MAX 200
#define REGISTRY_UNIT_MAX 32
#define REGISTRY_STANDARD_MAX 500
#define REGISTRY_REASON_MAX 1000
/* Bounds of an indicator's range, in absolute value. */
#define REGISTRY_BOUND_MAX 1e15
/* Domains one agency may report: what an identity holds (auth.h). */
#define REGISTRY_AGENCY_DOMAINS_MAX 16

/* ---- codes: 1 if s has the shape the column's CHECK accepts, else 0 ----- */

int registry_valid_region_code(const char *s);    /* GB/T 2260: six digits */
int registry_valid_domain_code(const char *s);    /* ^[a-z][a-z0-9_]{1,31}$ */
int registry_valid_agency_code(const char *s);    /* ^[a-z][a-z0-9-]{1,63}$ */
int registry_valid_indicator_code(const char *s); /* ^[a-z][a-z0-9_.]{1,63}$ */

/* ---- enum ↔ column text ---------------------------------------------------
 * *_text: the column's text for a value, NULL for UNSPECIFIED and for
 * numbers the enum does not define. *_from_text: the value, UNSPECIFIED
 * (0) for text the table does not hold. */

const char *registry_frequency_text(int f);
const char *registry_value_type_text(int t);
const char *registry_aggregation_text(int a);
const char *registry_direction_text(int d);
Rci__V1__Frequency registry_frequency_from_text(const char *s);
Rci__V1__ValueType registry_value_type_from_text(const char *s);
Rci__V1__Aggregation registry_aggregation_from_text(const char *s);
Rci__V1__Direction registry_direction_from_text(const char *s);

/* ---- requests ------------------------------------------------------------ */

/* Check an agency to create. Adds one violation per failing field, named
 * "agency.code", "agency.city_code", "agency.name_zh", "agency.name_en",
 * "agency.domains" (row -1: the request itself). a may be NULL (the field
 * was absent). Returns the number of violations added. */
int registry_check_agency(const Rci__V1__Agency *a, rci_violations *vs);

/* An indicator's bounds as the statement takes them: plain decimal text
 * (registry_format_bound), "" for none. */
typedef struct registry_bounds {
    char min[40];
    char max[40];
} registry_bounds;

/* Check an indicator definition to put. Adds one violation per failing
 * field ("indicator.code", "indicator.frequency", …), and fills *out with
 * its bounds, a percent's missing ones defaulted to 0 and 100. ind may be
 * NULL. Returns the number of violations added. */
int registry_check_indicator(const Rci__V1__Indicator *ind, rci_violations *vs,
                             registry_bounds *out);

/* The shortest plain decimal text, with at most 6 decimal places, that
 * strtod reads back as x ("0.1", "29", "-50", "1000000000000000"); buf of
 * at least 40 bytes. Returns 0, or -1 when x is not finite, is beyond
 * REGISTRY_BOUND_MAX, or needs more than 6 decimal places (no value may
 * have more, so such a bound means nothing). */
int registry_format_bound(double x, char *buf, size_t buflen);

#endif
