/* calendar.h: rci.v1.AdminService's working-day calendar and period locks —
 * PutCalendarDays, ListCalendarDays, LockPeriod (admin/calendar.c). */
#ifndef RCI_ADMIN_CALENDAR_H
#define RCI_ADMIN_CALENDAR_H

#include <stddef.h>

/* Register the calendar and lock statements and methods; call before serving. */
int rci_admin_calendar_init(char *err, size_t errlen);

#endif
