/* water.c: rci.v1.WaterService wiring — registers the statements and
 * methods of each of the service's files (water.h lists them). */
#include "water/water.h"
#include "water/water_internal.h"

int rci_water_init(char *err, size_t errlen)
{
    if (rci_water_sections_init(err, errlen) != 0 || rci_water_push_init(err, errlen) != 0 ||
        rci_water_status_init(err, errlen) != 0)
        return -1;
    return 0;
}
