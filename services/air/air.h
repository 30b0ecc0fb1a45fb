/* air.h: rci.v1.AirService — pushing daily city concentrations (push.c)
 * and reading calendars, statistics and rankings (read.c). The arithmetic
 * is the AQI module's (aqi.h); each init registers its statements and
 * methods; call them before serving. */
#ifndef RCI_AIR_H
#define RCI_AIR_H

#include <stddef.h>

int rci_air_push_init(char *err, size_t errlen);
int rci_air_read_init(char *err, size_t errlen);

/* Both of the above. */
int rci_air_init(char *err, size_t errlen);

#endif
