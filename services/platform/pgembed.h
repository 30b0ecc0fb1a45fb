/* pgembed.h: the embedded PostgreSQL — a private cluster in the daemon's
 * data directory, reachable only through a Unix socket.
 *
 * Owns: finding the server binaries (pg_config --bindir, else
 * /usr/lib/postgresql/15/bin), initdb on first start (UTF-8, C collation,
 * trust for the local socket only, no TCP: listen_addresses=''), starting
 * postgres as a child process and waiting until it accepts connections,
 * recovering a server left running by a crashed earlier rcid, and stopping
 * it (fast shutdown) so no process is left behind. As root, PostgreSQL runs
 * as the unprivileged user "postgres" (it refuses to run as root) and the
 * data directory must be reachable by that user.
 *
 * Start-up code: runs on the main thread before the event loops, may block.
 */
#ifndef RCI_PGEMBED_H
#define RCI_PGEMBED_H

#include <stddef.h>

typedef struct rci_pgembed rci_pgembed;

/* Start (initialising if needed) the cluster under data_dir/pg. Returns
 * NULL with an operator-facing message in err on failure. */
rci_pgembed *rci_pgembed_start(const char *data_dir, char *err, size_t errlen);

/* libpq connection string for the running cluster ("host=/sock/dir
 * dbname=rci user=rci"). Owned by pg. */
const char *rci_pgembed_conninfo(const rci_pgembed *pg);

/* The server's process id (for tests that stop and restart it). */
int rci_pgembed_pid(const rci_pgembed *pg);

/* Fast shutdown, wait for the postmaster to exit, free pg. */
void rci_pgembed_stop(rci_pgembed *pg);

#endif
