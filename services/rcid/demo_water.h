/* demo_water.h: the monthly water samples of `rcid demo` (demo_water.c). */
#ifndef RCID_DEMO_WATER_H
#define RCID_DEMO_WATER_H

#include <libpq-fe.h>

typedef struct demo_water_counts {
    long long samples;        /* samples written, official and joint */
    long long official;       /* the monitors' samples: one per section and month */
    long long joint;          /* joint samples: pairs with an official one */
    long long off_target;     /* official samples that miss their section's target */
    long long discrepancies;  /* water.joint_discrepancy alerts */
    long long alerts;         /* every alert the writes raised */
    long long kept;           /* section-months left alone: samples were there */
    int sections;
} demo_water_counts;

/* Write the monthly samples of every seeded section for the months
 * first..last (YYYY-MM) through rci_water_write (migrations/0013_water.sql),
 * the path of PushSamples, so they raise the alerts a push would; in the
 * caller's transaction. window names the load in the request ids. Returns
 * 0, or -1 (said on stderr). */
int demo_water_load(PGconn *conn, const char *first, const char *last, const char *window,
                    demo_water_counts *out);

/* Delete the water samples earlier demo loads wrote, their values, their
 * requests and the alerts they raised (migrations/0014_demo_replace.sql).
 * Returns 0, or -1; *samples gets the count. */
int demo_water_delete(PGconn *conn, long long *samples);

#endif
