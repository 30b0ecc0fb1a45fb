/* violations.h: per-row, per-field failures of a request, and the error a
 * call ends with when there are some (DESIGN §6 "Failing rows").
 *
 * Owns: collecting violations (row, field, description), and finishing a
 * call with them: the status message names the first 20 and the total, and
 * grpc-status-details-bin carries a google.rpc.Status whose details hold a
 * google.rpc.BadRequest with at most 100 field violations — trailers must
 * stay well under the 8 KiB clients accept (grpc-wire.md §3). A
 * validate-only call returns the whole list in its response instead. */
#ifndef RCI_VIOLATIONS_H
#define RCI_VIOLATIONS_H

#include <stddef.h>
#include "platform/call.h"

#define RCI_VIOLATIONS_IN_MESSAGE 20
#define RCI_VIOLATIONS_IN_DETAILS 100

typedef struct rci_violation {
    int row;                 /* 0-based index in the request's list; -1: the request itself */
    char field[32];          /* "period", "value", … */
    char *description;       /* owned */
} rci_violation;

typedef struct rci_violations {
    rci_violation *items;    /* owned */
    size_t n, cap;
} rci_violations;

/* Add one; returns 0, or -1 when out of memory (the list stays valid). */
int rci_violations_add(rci_violations *vs, int row, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void rci_violations_free(rci_violations *vs);

/* Finish call with code (INVALID_ARGUMENT, PERMISSION_DENIED,
 * FAILED_PRECONDITION …): "<what>: N row(s) failed: row 3 period: …; …"
 * with the BadRequest details. `list` names the repeated field the rows
 * belong to ("values"), used in BadRequest paths like "values[3].period". */
void rci_call_fail_violations(rci_call *call, rci_status code, const char *what,
                              const char *list, const rci_violations *vs);

/* For a validate-only answer: vs as rci.v1.Violation messages, *out set to
 * vs->n pointers to them, all in one allocation that the caller frees with
 * free(*out) once the response is sent; the strings stay vs's. Returns 0,
 * or -1 when out of memory (*out NULL). */
struct Rci__V1__Violation;
int rci_violations_messages(const rci_violations *vs, struct Rci__V1__Violation ***out);

#endif
