/* batch.c: the request-wide checks of a batch write (see batch.h). */
#include "platform/batch.h"

#include <string.h>

int rci_batch_check(rci_call *call, const char *rows, size_t n, size_t max,
                    const char *request_id, const char *reason)
{
    if (max && n > max) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED,
                        "at most %zu %s per call (got %zu): split the batch", max, rows, n);
        return -1;
    }
    size_t idlen = strlen(request_id);
    if (idlen == 0 || idlen > RCI_BATCH_REQUEST_ID_MAX) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "request_id: required, 1 to %d characters (a UUID or the file's name and "
                        "date), so a retried push is not written twice",
                        RCI_BATCH_REQUEST_ID_MAX);
        return -1;
    }
    for (size_t i = 0; i < idlen; i++) {
        unsigned char c = (unsigned char)request_id[i];
        if (c < 0x21 || c > 0x7E) {
            rci_call_finish(call, RCI_INVALID_ARGUMENT,
                            "request_id: printable ASCII without spaces only");
            return -1;
        }
    }
    if (n == 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "%s: the batch is empty", rows);
        return -1;
    }
    if (strlen(reason) > RCI_BATCH_REASON_MAX) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "reason: at most %d bytes",
                        RCI_BATCH_REASON_MAX);
        return -1;
    }
    return 0;
}
