/* internal.h: what the registry's files share and nobody else sees — the
 * handlers the method table in registry.c routes to, the statement
 * registration of each file, and small helpers.
 *
 * Files of the service:
 *   registry.c    the method table and init, ListRegions, the helpers below
 *   agencies.c    ListDomains, ListAgencies, CreateAgency
 *   indicators.c  ListIndicators, GetIndicator, PutIndicator
 *   validate.c    pure checks of what clients send (validate.h)
 *
 * Who may call what: ListRegions is open (the regions are public reference
 * data, and clients learn the region codes from it before they hold a
 * token); the other reads need any valid token (issue 3: "reading shared
 * indicators needs any valid token"); CreateAgency and PutIndicator need an
 * admin token and are audited in the same statement that writes.
 */
#ifndef RCI_REGISTRY_INTERNAL_H
#define RCI_REGISTRY_INTERNAL_H

#include <stddef.h>

#include "platform/auth.h"
#include "platform/call.h"

/* ---- handlers ---------------------------------------------------------------- */

void registry_list_domains(rci_call *call, const ProtobufCMessage *req);
void registry_list_agencies(rci_call *call, const ProtobufCMessage *req);
void registry_create_agency(rci_call *call, const ProtobufCMessage *req);
void registry_list_indicators(rci_call *call, const ProtobufCMessage *req);
void registry_get_indicator(rci_call *call, const ProtobufCMessage *req);
void registry_put_indicator(rci_call *call, const ProtobufCMessage *req);

/* Register each file's statements (rci_store_register); from rci_registry_init. */
void registry_agencies_register(void);
void registry_indicators_register(void);

/* ---- helpers (registry.c) ---------------------------------------------------- */

/* Inside on_request: keep the request being handled as the call's data
 * (freed when the call ends), so that it outlives on_request while the
 * token is looked up. Returns it; rci_call_data(call) returns it later. */
const ProtobufCMessage *registry_keep_request(rci_call *call);

/* Split "a,b,c" in place into an array of pointers into list (caller frees
 * the array, not the strings); NULL with *n = 0 for "" or out of memory. */
char **registry_split_codes(char *list, size_t *n);

/* The audit columns of a write (rci_audit's first, second, fourth and fifth
 * arguments): the caller's agency (NULL for an admin-only token), its token
 * id, the client's x-request-id metadata if it sent a sane one (printable
 * ASCII, at most 128 bytes; else ""), and the peer address. agency points
 * into who: use it before the auth callback returns. */
typedef struct registry_audit {
    const char *agency;
    char token_id[24];
    char request_id[129];
    const char *peer;
} registry_audit;

void registry_audit_fill(registry_audit *a, rci_call *call, const rci_identity *who);

#endif
