/* alerts.h: rci.v1.AlertService — WatchAlerts and ListAlerts over the
 * alerts table of migrations/0011_alerts.sql (see alerts.c). */
#ifndef RCI_ALERTS_H
#define RCI_ALERTS_H

#include <stddef.h>

/* Register the statements, the rci_alerts channel and the methods; call
 * once before serving. */
int rci_alerts_init(char *err, size_t errlen);

#endif
