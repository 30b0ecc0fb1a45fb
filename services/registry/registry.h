/* registry.h: rci.v1.RegistryService — the regions (province, circles,
 * cities, districts) that share indicators. */
#ifndef RCI_REGISTRY_H
#define RCI_REGISTRY_H

#include <stddef.h>

/* Register the service's statements and methods; call before serving. */
int rci_registry_init(char *err, size_t errlen);

#endif
