/* admin.h: rci.v1.AdminService — bearer tokens (CreateToken, ListTokens,
 * RevokeToken) and the audit trail (ListAudit). Every method needs an
 * admin token, and every one of them leaves an audit row written by the
 * same statement that does the work.
 *
 * The calendar and period-lock methods of the same service are registered
 * by their own module. */
#ifndef RCI_ADMIN_H
#define RCI_ADMIN_H

#include <stddef.h>

/* Register the token and audit statements and methods; call before serving. */
int rci_admin_init(char *err, size_t errlen);

#endif
