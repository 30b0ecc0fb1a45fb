/* registry.h: rci.v1.RegistryService — the regions (province, circles,
 * cities, districts) that share indicators, the reporting domains, the
 * agencies that report, and the indicator definitions. The service's files
 * and who may call what: registry/internal.h. */
#ifndef RCI_REGISTRY_H
#define RCI_REGISTRY_H

#include <stddef.h>

/* Register the service's statements and methods; call before serving.
 * Needs rci_auth_init (platform/auth.h) for the token-checked methods. */
int rci_registry_init(char *err, size_t errlen);

#endif
