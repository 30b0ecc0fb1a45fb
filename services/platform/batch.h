/* batch.h: the request-wide checks every batch write shares — PushValues,
 * PushAirDays, PushSamples — so an agency meets one rule for all of them.
 *
 * Owns: the size limit of a batch (RESOURCE_EXHAUSTED naming the limit),
 * the request id that makes a push idempotent (DESIGN §6 "Idempotency":
 * 1 to 128 printable ASCII characters, scoped to the agency by the
 * service), an empty batch, and the length of the reason recorded with each
 * change. Rows and their fields are each service's own business. */
#ifndef RCI_BATCH_H
#define RCI_BATCH_H

#include <stddef.h>
#include "platform/call.h"

#define RCI_BATCH_REQUEST_ID_MAX 128
#define RCI_BATCH_REASON_MAX 1000

/* Check a batch of n rows of the repeated field `rows` ("values", "days",
 * "samples") against max rows (0: no limit here), with its request id and
 * reason. Returns 0, or finishes the call and returns -1. */
int rci_batch_check(rci_call *call, const char *rows, size_t n, size_t max,
                    const char *request_id, const char *reason);

#endif
