/* demo_air.h: the daily air data of `rcid demo` (demo_air.c). */
#ifndef RCID_DEMO_AIR_H
#define RCID_DEMO_AIR_H

#include <libpq-fe.h>

typedef struct demo_air_counts {
    long long days;       /* air days written */
    long long months;     /* city-months they fill */
    long long skipped;    /* city-months left without days (see demo_air.c) */
    int cities;
} demo_air_counts;

/* Write the daily air data behind the demo's monthly air.good_days_rate and
 * air.pm25_mean cells of months ending first..last (YYYY-MM-DD), through
 * rci_air_write (migrations/0012_air.sql), in the caller's transaction.
 * window names the load in the request ids. Returns 0, or -1 (said on
 * stderr). */
int demo_air_load(PGconn *conn, const char *first, const char *last, const char *window,
                  demo_air_counts *out);

/* Delete the air days earlier demo loads wrote (days they first reported,
 * with all their revisions). Returns 0, or -1; *days gets the count. */
int demo_air_delete(PGconn *conn, long long *days);

#endif
