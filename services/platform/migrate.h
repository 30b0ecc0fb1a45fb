/* migrate.h: schema migrations, applied at start-up before serving.
 *
 * Owns: the rci_schema_migrations table (version, name, sha256 checksum,
 * applied_at), applying each not-yet-applied migration in name order in a
 * transaction of its own, and refusing to start when an applied migration's
 * text has changed since (checksum mismatch) or when the database has a
 * migration this binary does not know. Concurrent daemons starting at once
 * serialise on a PostgreSQL advisory lock.
 *
 * Runs on the main thread before any event loop exists, so it uses libpq's
 * blocking API.
 */
#ifndef RCI_MIGRATE_H
#define RCI_MIGRATE_H

#include <stddef.h>
#include "platform/embedded.h"

/* Apply the migrations in files[0..n) (each named NNNN_name.sql, sorted)
 * to the database at conninfo. Returns the number newly applied (>= 0), or
 * -1 with a message for the operator in err (which migration, what failed,
 * what to do). */
int rci_migrate(const char *conninfo, const rci_embedded_file *files, size_t n,
                char *err, size_t errlen);

#endif
