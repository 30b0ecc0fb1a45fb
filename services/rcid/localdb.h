/* localdb.h: the database of a local `rcid …` command (`rcid token`,
 * `rcid demo`), which works on PostgreSQL directly with blocking libpq
 * before any event loop exists.
 *
 * Which database: --database (or RCI_DATABASE_URL, or `database` in
 * --config) when given. Otherwise the embedded cluster in --data-dir: when
 * an rcid runs it (it holds DATA_DIR/pg.lock) we connect through its socket
 * in DATA_DIR/run; when none does, we start the cluster ourselves
 * (rci_pgembed_start), work, and stop it. Migrations are applied first, as
 * rcid itself would at start-up, so the command works before the first start
 * of the daemon.
 *
 * Messages go to stderr, prefixed with the command's name ("rcid token").
 * Also the argument helper the local commands share.
 */
#ifndef RCID_LOCALDB_H
#define RCID_LOCALDB_H

#include <libpq-fe.h>

#include "platform/config.h"
#include "platform/pgembed.h"

/* One option of a local command's arguments: "--name value" or
 * "--name=value". Returns 1 with *val when argv[*i] is --name (advancing *i
 * past a separate value), -1 if its value is missing, 0 if it is another
 * argument. */
int rcid_take_value(int argc, char **argv, int *i, const char *name, const char **val);

typedef struct rcid_localdb {
    rci_pgembed *pg;             /* the cluster we started, if we did */
    char *conninfo;
    PGconn *conn;
} rcid_localdb;

/* The database settings, read the way rcid reads them: config, database and
 * data_dir are the values of --config, --database and --data-dir (each NULL
 * when not given); --data-dir wins over RCI_DATABASE_URL. Returns 0 with
 * *cfg filled (free it with rci_config_free), or -1 after printing why
 * (*cfg is then already freed). Also quiets the log to warnings. */
int rcid_localdb_settings(const char *prog, const char *config, const char *database,
                          const char *data_dir, rci_config *cfg);

/* Connect (zero *db first). need_existing: NULL to create the embedded
 * cluster if DATA_DIR has none yet; else the cluster must exist, and the
 * message when it does not says "so no NEED_EXISTING". Returns 0, or -1
 * after printing why; call rcid_localdb_close either way. */
int rcid_localdb_open(rcid_localdb *db, const char *prog, const rci_config *cfg,
                      const char *need_existing);

/* Disconnect, and stop the cluster if we started it. */
void rcid_localdb_close(rcid_localdb *db);

#endif
