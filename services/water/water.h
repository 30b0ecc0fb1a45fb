/* water.h: rci.v1.WaterService — cross-boundary river sections, their
 * monthly samples graded by GB 3838-2002, yearly compliance, joint
 * monitoring and its alerts (issue 4; migrations/0013_water.sql).
 *
 *   sections.c  ListSections, PutSection
 *   push.c      PushSamples: check, decide, write
 *   alerts.c    the alerts a written sample raises
 *   status.c    GetSectionStatus, GetJointComparisons
 *   common.c    what they share: section and sample rows, assessments
 *   pgtext.c    array literals and JSON text for the SQL
 *   gb3838.c    the standard itself (pure)
 */
#ifndef RCI_WATER_H
#define RCI_WATER_H
#include <stddef.h>

/* Registers the statements and methods of the whole service. */
int rci_water_init(char *err, size_t errlen);

#endif
