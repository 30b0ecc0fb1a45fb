/* indicators.h: rci.v1.IndicatorService — pushing values (push.c) and
 * reading them (values.c; series and circle aggregates: series.c). Each
 * init registers its statements and methods; call them before serving. */
#ifndef RCI_INDICATORS_H
#define RCI_INDICATORS_H

#include <stddef.h>

int rci_push_init(char *err, size_t errlen);
int rci_values_init(char *err, size_t errlen);
int rci_completeness_init(char *err, size_t errlen);
int rci_series_init(char *err, size_t errlen);

#endif
