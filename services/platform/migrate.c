/* migrate.c: schema migrations, applied at start-up before serving.
 *
 * Owns: the rci_schema_migrations table and the rules around it. Every
 * migration file is NNNN_name.sql; NNNN is its version. Under a session
 * advisory lock (so daemons starting together take turns) this module
 *   1. checks every applied migration against the binary's copy (same name,
 *      same SHA-256) and that the database has no version the binary lacks;
 *   2. applies each missing one with PQexec inside BEGIN … COMMIT, together
 *      with its row in rci_schema_migrations, so a migration is applied and
 *      recorded entirely or not at all.
 * Nothing is applied unless every check passes.
 *
 * Start-up code: blocking libpq on the main thread, before any event loop.
 */
#include "platform/migrate.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/log.h"

/* pg_advisory_lock key: "rci_migr" as a big-endian 64-bit integer. */
#define MIGRATE_LOCK_KEY "8242547601596573554"

typedef struct applied_row {
    int version;
    char name[256];
    char sha256[65];
} applied_row;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Copy a server or libpq message without its trailing newline. */
static void trim_copy(char *buf, size_t len, const char *msg)
{
    snprintf(buf, len, "%s", msg && *msg ? msg : "unknown error");
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
}

/* Version of a file named ^[0-9]{4}_[a-z0-9_]+\.sql$, or -1. */
static int migration_version(const char *name)
{
    size_t len = strlen(name);
    if (len < 4 + 1 + 1 + 4 || strcmp(name + len - 4, ".sql") != 0 || name[4] != '_')
        return -1;
    for (size_t i = 0; i < 4; i++)
        if (!isdigit((unsigned char)name[i]))
            return -1;
    for (size_t i = 5; i < len - 4; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return -1;
    }
    return (name[0] - '0') * 1000 + (name[1] - '0') * 100 + (name[2] - '0') * 10 +
           (name[3] - '0');
}

static int sha256_hex(const unsigned char *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return -1;
    for (unsigned int i = 0; i < mdlen; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

static void migrate_notice(void *arg, const char *message)
{
    (void)arg;
    char buf[512];
    trim_copy(buf, sizeof buf, message);
    rci_log_debug("migrate: %s", buf);
}

/* Run a command that returns no rows; -1 with a message on error. */
static int exec_cmd(PGconn *pg, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        PQclear(r);
        return 0;
    }
    char msg[512];
    trim_copy(msg, sizeof msg, PQresultErrorMessage(r));
    set_err(err, errlen, "migrations: \"%s\" failed: %s", sql, msg);
    PQclear(r);
    return -1;
}

/* Line (1-based) of character position pos (1-based, in characters as the
 * server counts them) in UTF-8 text. */
static int line_of_position(const char *text, long pos)
{
    int line = 1;
    long ch = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;   /* UTF-8 continuation byte */
        if (++ch >= pos)
            break;
        if (*p == '\n')
            line++;
    }
    return line;
}

/* Describe a failed migration statement for the operator. */
static void describe_failure(const rci_embedded_file *f, const PGresult *r, char *err,
                             size_t errlen)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);
    const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
    char msg[512], where[32] = "";
    trim_copy(msg, sizeof msg, primary ? primary : PQresultErrorMessage(r));
    if (pos)
        snprintf(where, sizeof where, " at line %d",
                 line_of_position((const char *)f->data, atol(pos)));
    set_err(err, errlen,
            "migration %s failed%s and was rolled back: %s (SQLSTATE %s)%s%s%s%s; "
            "nothing of it was applied — fix the migration and restart",
            f->name, where, msg, state ? state : "none", detail ? "; detail: " : "",
            detail ? detail : "", hint ? "; hint: " : "", hint ? hint : "");
}

/* Apply one migration and record it, in one transaction. */
static int apply_one(PGconn *pg, const rci_embedded_file *f, int version, const char *sha,
                     char *err, size_t errlen)
{
    if (exec_cmd(pg, "BEGIN", err, errlen) < 0)
        return -1;
    PGresult *r = PQexec(pg, (const char *)f->data);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
        describe_failure(f, r, err, errlen);
        PQclear(r);
        PQclear(PQexec(pg, "ROLLBACK"));
        return -1;
    }
    PQclear(r);
    if (PQtransactionStatus(pg) != PQTRANS_INTRANS) {
        set_err(err, errlen,
                "migration %s ends the transaction itself (COMMIT or ROLLBACK in the "
                "file), so it cannot be applied atomically and was not recorded; "
                "remove the transaction control from the file (check what it already "
                "changed before restarting)",
                f->name);
        PQclear(PQexec(pg, "ROLLBACK"));
        return -1;
    }
    char vbuf[16];
    snprintf(vbuf, sizeof vbuf, "%d", version);
    const char *params[3] = {vbuf, f->name, sha};
    r = PQexecParams(pg,
                     "INSERT INTO rci_schema_migrations (version, name, sha256) "
                     "VALUES ($1, $2, $3)",
                     3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        char msg[512];
        trim_copy(msg, sizeof msg, PQresultErrorMessage(r));
        set_err(err, errlen, "migration %s: cannot record it, rolled back: %s", f->name, msg);
        PQclear(r);
        PQclear(PQexec(pg, "ROLLBACK"));
        return -1;
    }
    PQclear(r);
    r = PQexec(pg, "COMMIT");
    /* COMMIT of a failed transaction answers "ROLLBACK" without an error. */
    if (PQresultStatus(r) != PGRES_COMMAND_OK || strcmp(PQcmdStatus(r), "COMMIT") != 0) {
        char msg[512];
        trim_copy(msg, sizeof msg, PQresultErrorMessage(r));
        set_err(err, errlen, "migration %s: commit failed: %s", f->name,
                *PQresultErrorMessage(r) ? msg : "the transaction was rolled back");
        PQclear(r);
        return -1;
    }
    PQclear(r);
    return 0;
}

/* Check names, order and content of the binary's migrations. */
static int check_files(const rci_embedded_file *files, size_t n, char *err, size_t errlen)
{
    int prev = -1;
    for (size_t i = 0; i < n; i++) {
        int v = migration_version(files[i].name);
        if (v < 0) {
            set_err(err, errlen,
                    "migration file name \"%s\" is not NNNN_name.sql (four digits, '_', "
                    "lower-case letters, digits and '_')",
                    files[i].name);
            return -1;
        }
        if (v == prev) {
            set_err(err, errlen, "migrations %s and %s have the same version %04d",
                    files[i - 1].name, files[i].name, v);
            return -1;
        }
        if (v < prev) {
            set_err(err, errlen, "migration %s is out of order: it follows %s (the list "
                    "must be sorted by version)", files[i].name, files[i - 1].name);
            return -1;
        }
        if (memchr(files[i].data, '\0', files[i].len)) {
            set_err(err, errlen, "migration %s contains a NUL byte", files[i].name);
            return -1;
        }
        prev = v;
    }
    return 0;
}

/* Read rci_schema_migrations; *rows malloc'd. */
static int read_applied(PGconn *pg, applied_row **rows, int *nrows, char *err, size_t errlen)
{
    PGresult *r = PQexec(pg, "SELECT version, name, sha256 FROM rci_schema_migrations "
                             "ORDER BY version");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        char msg[512];
        trim_copy(msg, sizeof msg, PQresultErrorMessage(r));
        set_err(err, errlen, "migrations: cannot read rci_schema_migrations: %s", msg);
        PQclear(r);
        return -1;
    }
    int nt = PQntuples(r);
    *rows = calloc(nt > 0 ? (size_t)nt : 1, sizeof **rows);
    if (!*rows) {
        PQclear(r);
        set_err(err, errlen, "migrations: out of memory");
        return -1;
    }
    for (int i = 0; i < nt; i++) {
        (*rows)[i].version = atoi(PQgetvalue(r, i, 0));
        snprintf((*rows)[i].name, sizeof(*rows)[i].name, "%s", PQgetvalue(r, i, 1));
        snprintf((*rows)[i].sha256, sizeof(*rows)[i].sha256, "%s", PQgetvalue(r, i, 2));
    }
    *nrows = nt;
    PQclear(r);
    return 0;
}

/* Compare the database's record with the binary's files; -1 to refuse. */
static int check_applied(const rci_embedded_file *files, size_t n, char (*shas)[65],
                         const applied_row *rows, int nrows, char *err, size_t errlen)
{
    for (int j = 0; j < nrows; j++) {
        const applied_row *a = &rows[j];
        size_t i = 0;
        while (i < n && migration_version(files[i].name) != a->version)
            i++;
        if (i == n) {
            set_err(err, errlen,
                    "database is newer than this rcid: it has migration %04d (%s), which "
                    "this rcid does not know; run the rcid version that applied it, or a "
                    "newer one",
                    a->version, a->name);
            return -1;
        }
        if (strcmp(a->name, files[i].name) != 0) {
            set_err(err, errlen,
                    "migration %04d was applied as %s but this rcid calls it %s; an applied "
                    "migration must never be renamed or edited (add a new one instead)",
                    a->version, a->name, files[i].name);
            return -1;
        }
        if (strcmp(a->sha256, shas[i]) != 0) {
            set_err(err, errlen,
                    "migration %s was changed after it was applied: the database recorded "
                    "sha256 %s, this rcid has sha256 %s; an applied migration must never be "
                    "edited — restore its original text and add a new migration instead",
                    files[i].name, a->sha256, shas[i]);
            return -1;
        }
    }
    return 0;
}

static int is_applied(const applied_row *rows, int nrows, int version)
{
    for (int j = 0; j < nrows; j++)
        if (rows[j].version == version)
            return 1;
    return 0;
}

/* Checks and applies with the lock held; returns the number applied or -1. */
static int migrate_locked(PGconn *pg, const rci_embedded_file *files, size_t n,
                          char *err, size_t errlen)
{
    if (exec_cmd(pg,
                 "CREATE TABLE IF NOT EXISTS rci_schema_migrations ("
                 " version int PRIMARY KEY,"
                 " name text NOT NULL,"
                 " sha256 text NOT NULL,"
                 " applied_at timestamptz NOT NULL DEFAULT now())",
                 err, errlen) < 0)
        return -1;
    char (*shas)[65] = calloc(n ? n : 1, sizeof *shas);
    applied_row *rows = NULL;
    int nrows = 0, applied = 0;
    if (!shas) {
        set_err(err, errlen, "migrations: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (sha256_hex(files[i].data, files[i].len, shas[i]) < 0) {
            set_err(err, errlen, "migrations: SHA-256 of %s failed", files[i].name);
            applied = -1;
            goto out;
        }
    }
    if (read_applied(pg, &rows, &nrows, err, errlen) < 0 ||
        check_applied(files, n, shas, rows, nrows, err, errlen) < 0) {
        applied = -1;
        goto out;
    }
    int max_applied = nrows > 0 ? rows[nrows - 1].version : -1;
    for (size_t i = 0; i < n; i++) {
        int v = migration_version(files[i].name);
        if (is_applied(rows, nrows, v))
            continue;
        if (v < max_applied)
            rci_log_warn("migrate: %s is older than migration %04d, already applied; "
                         "applying it out of order",
                         files[i].name, max_applied);
        if (apply_one(pg, &files[i], v, shas[i], err, errlen) < 0) {
            applied = -1;
            goto out;
        }
        rci_log_info("migrate: applied %s", files[i].name);
        applied++;
    }
out:
    free(rows);
    free(shas);
    return applied;
}

int rci_migrate(const char *conninfo, const rci_embedded_file *files, size_t n, char *err,
                size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (check_files(files, n, err, errlen) < 0)
        return -1;

    const char *keys[] = {"connect_timeout", "client_encoding", "fallback_application_name",
                          "dbname", NULL};
    const char *vals[] = {"5", "UTF8", "rcid-migrate", conninfo ? conninfo : "", NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        char msg[512];
        trim_copy(msg, sizeof msg, pg ? PQerrorMessage(pg) : "out of memory");
        set_err(err, errlen, "migrations: cannot connect to the database: %s", msg);
        PQfinish(pg);
        return -1;
    }
    PQsetNoticeProcessor(pg, migrate_notice, NULL);

    int applied = -1;
    if (exec_cmd(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err, errlen) == 0) {
        applied = migrate_locked(pg, files, n, err, errlen);
        PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
    }
    PQfinish(pg);
    return applied;
}
