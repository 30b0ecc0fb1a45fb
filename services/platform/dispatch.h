/* dispatch.h: the table from gRPC path to handler.
 *
 * Owns: registering each service's methods at start-up (checked against
 * the descriptor index: the path must exist there, the request type must
 * match, and the method's kind — unary, server-streaming, bidi — is taken
 * from its MethodDescriptorProto, since protobuf-c does not record it),
 * lookup by :path for every new stream, and the list of served service
 * names for reflection and health. Read-only once serving starts.
 */
#ifndef RCI_DISPATCH_H
#define RCI_DISPATCH_H

#include <stddef.h>
#include "platform/call.h"

typedef enum rci_method_kind {
    RCI_KIND_UNARY = 0,
    RCI_KIND_SERVER_STREAM,
    RCI_KIND_CLIENT_STREAM,
    RCI_KIND_BIDI
} rci_method_kind;

typedef struct rci_route {
    const rci_method *method;
    rci_method_kind kind;
} rci_route;

/* Register every method in methods[0..n). Returns 0, or -1 with a message
 * (unknown path, type mismatch, duplicate). Call before serving. */
int rci_dispatch_register(const rci_method *methods, size_t n, char *err, size_t errlen);

/* Route for a :path; NULL when no such service or method is served. */
const rci_route *rci_dispatch_find(const char *path, size_t len);

/* Served service names ("grpc.health.v1.Health", …), sorted. */
size_t rci_dispatch_service_count(void);
const char *rci_dispatch_service_at(size_t i);
int rci_dispatch_has_service(const char *name);

#endif
