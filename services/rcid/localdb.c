/* localdb.c: the database of a local `rcid …` command (see localdb.h). */
#include "rcid/localdb.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "platform/embedded.h"
#include "platform/log.h"
#include "platform/migrate.h"

int rcid_localdb_settings(const char *prog, const char *config, const char *database,
                          const char *data_dir, rci_config *cfg)
{
    char *cargv[8];
    int cargc = 0;
    cargv[cargc++] = "rcid";
    if (config) {
        cargv[cargc++] = "--config";
        cargv[cargc++] = (char *)config;
    }
    if (database) {
        cargv[cargc++] = "--database";
        cargv[cargc++] = (char *)database;
    }
    if (data_dir) {
        cargv[cargc++] = "--data-dir";
        cargv[cargc++] = (char *)data_dir;
    }
    cargv[cargc] = NULL;
    char err[1024] = "";
    if (rci_config_parse(cfg, cargc, cargv, err, sizeof err) != RCI_CONFIG_OK) {
        fprintf(stderr, "%s: %s\n", prog, err);
        rci_config_free(cfg);
        return -1;
    }
    if (data_dir) {                  /* --data-dir wins over RCI_DATABASE_URL */
        free(cfg->database);
        cfg->database = NULL;
    }
    rci_log_set_level(RCI_LOG_WARN);
    return 0;
}

/* A libpq conninfo value, single-quoted with \ and ' escaped. */
static void conninfo_quote(const char *v, char *out, size_t outlen)
{
    size_t k = 0;
    out[k++] = '\'';
    for (; *v && k + 3 < outlen; v++) {
        if (*v == '\'' || *v == '\\')
            out[k++] = '\\';
        out[k++] = *v;
    }
    out[k++] = '\'';
    out[k] = '\0';
}

/* 1 if an rcid holds DATA_DIR/pg.lock (it runs the cluster), 0 if not. */
static int embedded_in_use(const char *data_dir)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/pg.lock", data_dir);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int busy = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
    close(fd);   /* releases our lock, if we took it */
    return busy;
}

int rcid_localdb_open(rcid_localdb *db, const char *prog, const rci_config *cfg,
                      const char *need_existing)
{
    char err[1024] = "";
    if (!cfg->database && need_existing) {
        char pgdir[PATH_MAX + 8];
        snprintf(pgdir, sizeof pgdir, "%s/pg", cfg->data_dir);
        if (access(pgdir, F_OK) != 0) {
            fprintf(stderr, "%s: no embedded cluster in %s yet, so no %s (give "
                    "--data-dir or --database)\n", prog, cfg->data_dir, need_existing);
            return -1;
        }
    }
    if (cfg->database) {
        db->conninfo = strdup(cfg->database);
    } else {
        char dd[PATH_MAX];
        if (!realpath(cfg->data_dir, dd))
            snprintf(dd, sizeof dd, "%s", cfg->data_dir);
        if (embedded_in_use(dd)) {
            char sock[PATH_MAX + 8], q[2 * PATH_MAX + 16];
            snprintf(sock, sizeof sock, "%s/run", dd);
            conninfo_quote(sock, q, sizeof q);
            if (asprintf(&db->conninfo, "host=%s port=5432 dbname=rci user=rci", q) < 0)
                db->conninfo = NULL;
            fprintf(stderr, "%s: using the embedded PostgreSQL of the rcid running on %s\n",
                    prog, dd);
        } else {
            fprintf(stderr, "%s: starting the embedded PostgreSQL in %s\n", prog, dd);
            db->pg = rci_pgembed_start(dd, err, sizeof err);
            if (!db->pg) {
                fprintf(stderr, "%s: %s\n", prog, err);
                return -1;
            }
            db->conninfo = strdup(rci_pgembed_conninfo(db->pg));
        }
    }
    if (!db->conninfo) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return -1;
    }
    /* Through a running rcid's socket: DATA_DIR/run, unless DATA_DIR is too
     * long for a socket path and rcid put it in /tmp (its log says where). */
    int via_socket = !cfg->database && !db->pg;
    const char *hint = "if rcid's log says its socket is elsewhere, pass "
                       "--database 'host=THAT_DIR port=5432 dbname=rci user=rci'";
    if (rci_migrate(db->conninfo, rci_embedded_migrations, rci_embedded_migrations_count, err,
                    sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        if (via_socket)
            fprintf(stderr, "%s: %s\n", prog, hint);
        return -1;
    }
    db->conn = PQconnectdb(db->conninfo);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        fprintf(stderr, "%s: cannot connect to PostgreSQL: %s", prog, PQerrorMessage(db->conn));
        if (via_socket)
            fprintf(stderr, "%s: %s\n", prog, hint);
        return -1;
    }
    return 0;
}

void rcid_localdb_close(rcid_localdb *db)
{
    if (db->conn)
        PQfinish(db->conn);
    if (db->pg)
        rci_pgembed_stop(db->pg);
    free(db->conninfo);
    db->conn = NULL;
    db->pg = NULL;
    db->conninfo = NULL;
}

int rcid_take_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
        return 0;
    if (a[2 + n] == '=') {
        *val = a + 3 + n;
        return 1;
    }
    if (a[2 + n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *val = argv[++*i];
    return 1;
}
