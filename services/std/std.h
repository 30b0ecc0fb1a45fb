/* std.h: the standard gRPC services every server offers — health
 * (grpc.health.v1.Health) and server reflection (grpc.reflection.v1 and
 * v1alpha). Each init registers its methods with dispatch; call them from
 * main before the loops start. */
#ifndef RCI_STD_H
#define RCI_STD_H

#include <stddef.h>

int rci_health_init(char *err, size_t errlen);
int rci_reflection_init(char *err, size_t errlen);

#endif
