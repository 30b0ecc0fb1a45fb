/* token.c: `rcid token create|list|revoke` — bearer tokens made, listed and
 * revoked by talking to the database directly, with blocking libpq, before
 * any event loop exists. It is how the very first admin token comes to be;
 * afterwards `rcictl admin token …` does the same through AdminService.
 *
 * Which database: --database (or RCI_DATABASE_URL, or `database` in
 * --config) when given. Otherwise the embedded cluster in --data-dir: when
 * an rcid runs it (it holds DATA_DIR/pg.lock) we connect through its socket
 * in DATA_DIR/run; when none does, we start the cluster ourselves
 * (rci_pgembed_start), work, and stop it. Migrations are applied first, as
 * rcid itself would at start-up, so a token can be made before the first
 * start of the daemon.
 *
 * The statements are AdminService's own (admin/admin_sql.h), so a token made
 * here is checked and audited exactly like one made over gRPC; the audit row
 * says peer "local" and which OS user ran the command. The secret goes to
 * stdout, once, alone on its line (so `TOKEN=$(rcid token create …)` works);
 * everything else goes to stderr.
 */
#include "rcid/token.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin_sql.h"
#include "platform/auth.h"
#include "platform/config.h"
#include "platform/embedded.h"
#include "platform/log.h"
#include "platform/migrate.h"
#include "platform/pgembed.h"
#include "rcid/localdb.h"

#define EXIT_DONE 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define LABEL_MAX_CHARS 200
#define PARSED_HELP (-1)         /* parse_args printed --help */

static void usage(FILE *out)
{
    fputs("Usage: rcid token create (--agency CODE | --admin | --agency CODE --admin)\n"
          "                         [--label TEXT] [--expires TIME] [DATABASE]\n"
          "       rcid token list [--agency CODE] [--all] [DATABASE]\n"
          "       rcid token revoke ID [DATABASE]\n"
          "\n"
          "Make, list and revoke the bearer tokens agencies and admins call rcid with,\n"
          "working on the database directly: this is how the first admin token is made.\n"
          "Afterwards `rcictl admin token ...` does the same over gRPC.\n"
          "\n"
          "create   a token for agency CODE (it may write its own city's values in its\n"
          "         own domains), an admin token (--admin: manages the registry, tokens,\n"
          "         calendar and locks), or both. The secret is printed once on stdout;\n"
          "         only its SHA-256 is stored, so it cannot be shown again.\n"
          "         --label TEXT    what the token is for (at most 200 characters)\n"
          "         --expires TIME  RFC 3339 instant (2027-01-01T00:00:00+08:00) or a\n"
          "                         date (2027-01-01: its start in China Standard Time);\n"
          "                         default: never\n"
          "list     the tokens (never their secrets), --all including revoked ones\n"
          "revoke   revoke token ID at once (revoking twice changes nothing)\n"
          "\n"
          "DATABASE (as for rcid itself):\n"
          "  --database CONNINFO  a PostgreSQL connection string or URL (also\n"
          "                       RCI_DATABASE_URL)\n"
          "  --data-dir DIR       the embedded cluster's directory (default: rcid's); if\n"
          "                       an rcid is running on it, its socket is used, else the\n"
          "                       cluster is started for the command and stopped after\n"
          "  --config FILE        read `database` / `data-dir` from rcid's config file\n"
          "\n"
          "Every action is written to the audit trail (peer \"local\").\n"
          "Exit status: 0 done, 1 failed (message on stderr), 2 usage error.\n",
          out);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("rcid token: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'rcid token --help'.\n", stderr);
    return EXIT_USAGE;
}

/* ---- arguments -------------------------------------------------------------- */

typedef struct token_args {
    const char *sub;             /* create, list, revoke */
    const char *agency, *label, *expires, *id;
    int admin, all;
    const char *database, *data_dir, *config;
} token_args;

static int parse_args(int argc, char **argv, token_args *t)
{
    memset(t, 0, sizeof *t);
    const struct {
        const char *name;
        const char **dst;
    } valued[] = {
        {"agency", &t->agency},     {"label", &t->label},       {"expires", &t->expires},
        {"database", &t->database}, {"data-dir", &t->data_dir}, {"config", &t->config},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return PARSED_HELP;
        }
        if (strcmp(a, "--admin") == 0) {
            t->admin = 1;
            continue;
        }
        if (strcmp(a, "--all") == 0) {
            t->all = 1;
            continue;
        }
        int matched = 0;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0] && !matched; k++) {
            int r = rcid_take_value(argc, argv, &i, valued[k].name, valued[k].dst);
            if (r < 0)
                return usage_error("--%s needs a value", valued[k].name);
            matched = r == 1;
        }
        if (matched)
            continue;
        if (a[0] == '-')
            return usage_error("unknown option %s", a);
        if (!t->sub)
            t->sub = a;
        else if (strcmp(t->sub, "revoke") == 0 && !t->id)
            t->id = a;
        else
            return usage_error("unexpected argument \"%s\"", a);
    }
    if (!t->sub)
        return usage_error("which command: create, list or revoke?");
    int create = strcmp(t->sub, "create") == 0, list = strcmp(t->sub, "list") == 0,
        revoke = strcmp(t->sub, "revoke") == 0;
    if (!create && !list && !revoke)
        return usage_error("unknown command \"%s\" (create, list or revoke)", t->sub);
    if (create && !t->admin && (!t->agency || !*t->agency))
        return usage_error("create needs --agency CODE, --admin, or both");
    if (!create && (t->admin || t->label || t->expires))
        return usage_error("--admin, --label and --expires belong to create, not %s", t->sub);
    if (!list && t->all)
        return usage_error("--all belongs to list, not %s", t->sub);
    if (revoke && (t->agency || !t->id))
        return usage_error("revoke takes the token ID (see `rcid token list`)");
    if (t->database && t->data_dir)
        return usage_error("give --database or --data-dir, not both");
    return 0;
}

/* ---- checks and formats --------------------------------------------------------------- */

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* --expires as timestamptz text: an RFC 3339 date-time with a zone (checked
 * here; PostgreSQL checks the calendar), or a date taken as its start in
 * China Standard Time (DESIGN §6). Returns 0 with the text in out. */
static int expires_text(const char *s, char *out, size_t outlen)
{
    size_t n = strlen(s);
    if (n == 10 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
        digits(s + 8, 2)) {
        snprintf(out, outlen, "%sT00:00:00+08:00", s);
        return 0;
    }
    if (n < 20 || n >= outlen || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
        s[7] != '-' || !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' ||
        !digits(s + 17, 2))
        return -1;
    const char *z = s + 19;
    if (*z == '.') {
        size_t f = strspn(z + 1, "0123456789");
        if (f == 0 || f > 9)
            return -1;
        z += 1 + f;
    }
    if (!((strcmp(z, "Z") == 0 || strcmp(z, "z") == 0) ||
          (strlen(z) == 6 && (z[0] == '+' || z[0] == '-') && digits(z + 1, 2) && z[3] == ':' &&
           digits(z + 4, 2))))
        return -1;
    memcpy(out, s, n + 1);
    return 0;
}

/* Microseconds since the epoch (bigint text) as China Standard Time. */
static const char *cst_text(const PGresult *res, int row, int col, char out[32])
{
    if (PQgetisnull(res, row, col))
        return "-";
    long long us = strtoll(PQgetvalue(res, row, col), NULL, 10);
    long long s = us / 1000000 - (us % 1000000 < 0);
    time_t t = (time_t)(s + 8 * 3600);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return "?";
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
    return out;
}

/* The audit detail of a local action: which OS user ran it. */
static void local_detail(char *out, size_t outlen)
{
    struct passwd *pw = getpwuid(geteuid());
    char user[64] = "";
    size_t k = 0;
    for (const char *p = pw ? pw->pw_name : ""; *p && k + 1 < sizeof user; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '.' || *p == '_' || *p == '-')
            user[k++] = *p;
    user[k] = '\0';
    snprintf(out, outlen, "{\"via\": \"rcid token\", \"os_uid\": %u, \"os_user\": \"%s\"}",
             (unsigned)geteuid(), user);
}

/* ---- the database ------------------------------------------------------------------------ */

typedef rcid_localdb token_db;   /* rcid/localdb.h */

/* may_init: create the embedded cluster if DATA_DIR has none (create may:
 * it is how the first token comes before the first start; list and revoke
 * have nothing to work on there). */
static int db_open(token_db *db, const rci_config *cfg, int may_init)
{
    return rcid_localdb_open(db, "rcid token", cfg, may_init ? NULL : "tokens");
}

static void db_close(token_db *db)
{
    rcid_localdb_close(db);
}

/* Run one of the admin statements; NULL (message printed) unless it
 * returned rows. */
static PGresult *db_exec(token_db *db, const char *sql, int nparams, const char *const *params)
{
    PGresult *r = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "rcid token: %s", PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    return r;
}

/* ---- the commands ------------------------------------------------------------------------- */

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int cmd_create(token_db *db, const token_args *t, const char *expires)
{
    char secret[48], hash[65], prefix[TOKEN_PREFIX_LEN + 1], detail[160];
    if (rci_auth_new_secret(secret, sizeof secret, hash, sizeof hash) < 0) {
        fputs("rcid token: no randomness available (getrandom failed)\n", stderr);
        return EXIT_FAILED;
    }
    memcpy(prefix, secret, TOKEN_PREFIX_LEN);
    prefix[TOKEN_PREFIX_LEN] = '\0';
    local_detail(detail, sizeof detail);
    const char *params[RCI_ADMIN_CREATE_NPARAMS] = {
        t->agency && *t->agency ? t->agency : NULL,
        t->admin ? "true" : "false",
        t->label ? t->label : "",
        hash,
        prefix,
        expires,
        NULL, NULL, "", "local", detail,
    };
    PGresult *r = db_exec(db, rci_admin_sql_create_token, RCI_ADMIN_CREATE_NPARAMS, params);
    int rc = EXIT_FAILED;
    if (!r)
        goto out;
    if (PQntuples(r) != 1) {
        fputs("rcid token: unexpected answer from the database\n", stderr);
    } else if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
        fprintf(stderr, "rcid token: no agency \"%s\" (see `rcictl agencies` or the agencies "
                "table)\n", t->agency);
    } else if (strcmp(PQgetvalue(r, 0, 1), "t") != 0) {
        fprintf(stderr, "rcid token: --expires %s is not in the future\n", t->expires);
    } else {
        int c = RCI_ADMIN_CREATE_COL_TOKEN;
        char exp[32];
        printf("%s\n", secret);
        fflush(stdout);
        fprintf(stderr,
                "rcid token: token %s created: %s%s%s, label \"%s\", prefix %s, expires %s\n"
                "rcid token: the secret above is shown only this once (only its SHA-256 is "
                "kept); store it now\n",
                PQgetvalue(r, 0, c + TOKEN_COL_ID),
                *PQgetvalue(r, 0, c + TOKEN_COL_AGENCY) ? "agency " : "",
                PQgetvalue(r, 0, c + TOKEN_COL_AGENCY),
                strcmp(PQgetvalue(r, 0, c + TOKEN_COL_ADMIN), "t") == 0
                    ? (*PQgetvalue(r, 0, c + TOKEN_COL_AGENCY) ? " + admin" : "admin")
                    : "",
                PQgetvalue(r, 0, c + TOKEN_COL_LABEL), PQgetvalue(r, 0, c + TOKEN_COL_PREFIX),
                PQgetisnull(r, 0, c + TOKEN_COL_EXPIRES_US)
                    ? "never"
                    : cst_text(r, 0, c + TOKEN_COL_EXPIRES_US, exp));
        rc = ferror(stdout) ? EXIT_FAILED : EXIT_DONE;
    }
    PQclear(r);
out:
    explicit_bzero(secret, sizeof secret);
    return rc;
}

static int cmd_list(token_db *db, const token_args *t)
{
    char detail[160];
    local_detail(detail, sizeof detail);
    const char *params[RCI_ADMIN_LIST_NPARAMS] = {
        t->agency && *t->agency ? t->agency : NULL, t->all ? "true" : "false",
        NULL, NULL, "", "local", detail,
    };
    PGresult *r = db_exec(db, rci_admin_sql_list_tokens, RCI_ADMIN_LIST_NPARAMS, params);
    if (!r)
        return EXIT_FAILED;
    printf("%-6s  %-16s  %-5s  %-12s  %-25s  %-25s  %-25s  %s\n", "ID", "AGENCY", "ADMIN",
           "PREFIX", "CREATED", "EXPIRES", "REVOKED", "LABEL");
    for (int i = 0; i < PQntuples(r); i++) {
        if (PQgetisnull(r, i, TOKEN_COL_ID))
            continue;
        char c[32], e[32], v[32];
        const char *agency = PQgetvalue(r, i, TOKEN_COL_AGENCY);
        printf("%-6s  %-16s  %-5s  %-12s  %-25s  %-25s  %-25s  %s\n",
               PQgetvalue(r, i, TOKEN_COL_ID), *agency ? agency : "-",
               strcmp(PQgetvalue(r, i, TOKEN_COL_ADMIN), "t") == 0 ? "yes" : "no",
               PQgetvalue(r, i, TOKEN_COL_PREFIX), cst_text(r, i, TOKEN_COL_CREATED_US, c),
               cst_text(r, i, TOKEN_COL_EXPIRES_US, e), cst_text(r, i, TOKEN_COL_REVOKED_US, v),
               PQgetvalue(r, i, TOKEN_COL_LABEL));
    }
    PQclear(r);
    return ferror(stdout) ? EXIT_FAILED : EXIT_DONE;
}

static int cmd_revoke(token_db *db, const token_args *t)
{
    char detail[160];
    local_detail(detail, sizeof detail);
    const char *params[RCI_ADMIN_REVOKE_NPARAMS] = {t->id, NULL, NULL, "", "local", detail};
    PGresult *r = db_exec(db, rci_admin_sql_revoke_token, RCI_ADMIN_REVOKE_NPARAMS, params);
    if (!r)
        return EXIT_FAILED;
    int rc = EXIT_DONE;
    if (PQntuples(r) != 1) {
        fprintf(stderr, "rcid token: no token with id %s\n", t->id);
        rc = EXIT_FAILED;
    } else {
        char at[32];
        int already = strcmp(PQgetvalue(r, 0, RCI_ADMIN_REVOKE_COL_ALREADY), "t") == 0;
        fprintf(stderr, "rcid token: token %s %s at %s\n", t->id,
                already ? "was already revoked" : "revoked",
                cst_text(r, 0, TOKEN_COL_REVOKED_US, at));
    }
    PQclear(r);
    return rc;
}

int rcid_token_main(int argc, char **argv)
{
    token_args t;
    int rc = parse_args(argc, argv, &t);
    if (rc == PARSED_HELP)
        return EXIT_DONE;
    if (rc != 0)
        return rc;
    char expires[64];
    if (t.expires && expires_text(t.expires, expires, sizeof expires) < 0)
        return usage_error("--expires \"%s\": want an RFC 3339 time such as "
                           "2027-01-01T00:00:00+08:00, or a date such as 2027-01-01", t.expires);
    if (t.label && utf8_chars(t.label) > LABEL_MAX_CHARS)
        return usage_error("--label: at most %d characters", LABEL_MAX_CHARS);
    if (t.id) {
        char *end;
        errno = 0;
        long long id = strtoll(t.id, &end, 10);
        if (errno || end == t.id || *end || id <= 0)
            return usage_error("token ID \"%s\": a positive number (see `rcid token list`)", t.id);
    }

    /* The database settings, read the way rcid reads them. */
    rci_config cfg;
    if (rcid_localdb_settings("rcid token", t.config, t.database, t.data_dir, &cfg) < 0)
        return EXIT_USAGE;

    token_db db = {0};
    rc = EXIT_FAILED;
    if (db_open(&db, &cfg, strcmp(t.sub, "create") == 0) == 0) {
        if (strcmp(t.sub, "create") == 0)
            rc = cmd_create(&db, &t, t.expires ? expires : NULL);
        else if (strcmp(t.sub, "list") == 0)
            rc = cmd_list(&db, &t);
        else
            rc = cmd_revoke(&db, &t);
    }
    db_close(&db);
    rci_config_free(&cfg);
    return rc;
}
