/* test_pgembed_migrate.c: the embedded PostgreSQL and schema migrations
 * against a real cluster in a fresh directory.
 *
 * pgembed: first start (initdb, database rci, socket only, superuser rci),
 * a second rcid on the same directory refused, stop leaves no process,
 * restart keeps the data, a postmaster orphaned by a crashed rcid is stopped
 * and replaced, a killed rcid takes its server down (PR_SET_PDEATHSIG), a
 * too-long data directory puts the socket in /tmp, and (as root) a data
 * directory user postgres cannot reach is refused.
 * migrate: apply, re-run applies nothing, an edited or renamed applied
 * migration is refused by name, a failing migration rolls back entirely,
 * transaction control inside a file is refused, a database newer than the
 * binary is refused, bad file names and duplicate versions are refused,
 * two daemons migrating at once serialise, and the real migrations apply.
 */
#include "check.h"
#include "platform/embedded.h"
#include "platform/migrate.h"
#include "platform/pgembed.h"

#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/rci-test-pgembed-XXXXXX";
static char datadir[PATH_MAX];
static char err[4096];

#define F(name, sql) {name, (const unsigned char *)(sql), sizeof(sql) - 1}

/* ---- helpers -------------------------------------------------------------- */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int pid_gone(int pid)
{
    return kill(pid, 0) < 0 && errno == ESRCH;
}

/* Wait up to sec for pid to disappear (or become a zombie nobody reaps). */
static int wait_pid_gone(int pid, int sec)
{
    for (int i = 0; i < sec * 50; i++) {
        if (pid_gone(pid))
            return 1;
        char path[64], buf[256] = "";
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            buf[n] = '\0';
            fclose(f);
            char *p = strrchr(buf, ')');
            if (p && p[1] == ' ' && p[2] == 'Z')
                return 1;
        }
        sleep_ms(20);
    }
    return 0;
}

/* conninfo of the cluster with another database name (later keys win). */
static const char *with_db(const rci_pgembed *pg, const char *db)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s dbname=%s", rci_pgembed_conninfo(pg), db);
    return buf;
}

/* Run sql on conninfo; return the first value of the first row ("" if
 * none, "ERROR:<sqlstate>" on error) in a static buffer. */
static const char *q1(const char *conninfo, const char *sql)
{
    static char out[1024];
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(out, sizeof out, "CONNECT:%s", PQerrorMessage(c));
        PQfinish(c);
        return out;
    }
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0)
        snprintf(out, sizeof out, "%s", PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0));
    else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        out[0] = '\0';
    else
        snprintf(out, sizeof out, "ERROR:%s", PQresultErrorField(r, PG_DIAG_SQLSTATE));
    PQclear(r);
    PQfinish(c);
    return out;
}

static int contains(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

static void show_err(void)
{
    if (getenv("RCI_TEST_VERBOSE"))
        fprintf(stderr, "  (pgembed: %s)\n", err);
}

static int migrate(const char *ci, const rci_embedded_file *f, size_t n)
{
    err[0] = '\0';
    int r = rci_migrate(ci, f, n, err, sizeof err);
    if (r < 0 && getenv("RCI_TEST_VERBOSE"))
        fprintf(stderr, "  (migrate: %s)\n", err);
    return r;
}

/* ---- pgembed: first start ------------------------------------------------- */

static rci_pgembed *test_first_start(void)
{
    rci_pgembed *pg = rci_pgembed_start(datadir, err, sizeof err);
    CHECK(pg != NULL);
    if (!pg) {
        fprintf(stderr, "rci_pgembed_start: %s\n", err);
        return NULL;
    }
    const char *ci = rci_pgembed_conninfo(pg);
    CHECK(contains(ci, "dbname=rci"));
    CHECK(contains(ci, "user=rci"));
    CHECK(rci_pgembed_pid(pg) > 0);
    CHECK(!pid_gone(rci_pgembed_pid(pg)));
    CHECK_STR(q1(ci, "SELECT current_database()"), "rci");
    CHECK_STR(q1(ci, "SELECT current_user"), "rci");
    CHECK_STR(q1(ci, "SHOW server_encoding"), "UTF8");
    CHECK_STR(q1(ci, "SHOW lc_collate"), "C");
    CHECK_STR(q1(ci, "SHOW listen_addresses"), "");
    CHECK_STR(q1(ci, "SHOW unix_socket_permissions"), "0700");
    CHECK_STR(q1(ci, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"),
              "true");

    char path[PATH_MAX + 64];
    struct stat st;
    snprintf(path, sizeof path, "%s/pg/PG_VERSION", datadir);
    CHECK(stat(path, &st) == 0);
    snprintf(path, sizeof path, "%s/run/.s.PGSQL.5432", datadir);
    CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
    snprintf(path, sizeof path, "%s/log/postgres.log", datadir);
    CHECK(stat(path, &st) == 0);
    if (geteuid() == 0) {
        /* the server runs as postgres, never as root */
        snprintf(path, sizeof path, "/proc/%d/status", rci_pgembed_pid(pg));
        FILE *f = fopen(path, "r");
        char line[256];
        int uid = -1;
        while (f && fgets(line, sizeof line, f))
            if (sscanf(line, "Uid: %d", &uid) == 1)
                break;
        if (f)
            fclose(f);
        CHECK(uid > 0);
    }

    /* a second rcid on the same data directory is refused */
    rci_pgembed *again = rci_pgembed_start(datadir, err, sizeof err);
    CHECK(again == NULL);
    CHECK(contains(err, "in use by another rcid"));
    show_err();
    if (again)
        rci_pgembed_stop(again);
    return pg;
}

/* ---- migrate ---------------------------------------------------------------- */

static const rci_embedded_file set1[] = {
    F("0001_a.sql", "CREATE TABLE t_a (x int PRIMARY KEY);\nINSERT INTO t_a VALUES (1);\n"),
    F("0002_b.sql", "-- comment only line\nCREATE TABLE t_b (y text);\n"
                    "INSERT INTO t_b VALUES ('深莞惠');\n"),
    F("0003_c.sql", "ALTER TABLE t_b ADD COLUMN z int DEFAULT 7;\n"),
};

static void test_migrate_basic(const char *ci)
{
    CHECK(migrate(ci, set1, 2) == 2);
    CHECK_STR(q1(ci, "SELECT count(*) FROM rci_schema_migrations"), "2");
    CHECK_STR(q1(ci, "SELECT y FROM t_b"), "深莞惠");
    CHECK_STR(q1(ci, "SELECT string_agg(name, ',' ORDER BY version) FROM rci_schema_migrations"),
              "0001_a.sql,0002_b.sql");
    CHECK_STR(q1(ci, "SELECT length(sha256) FROM rci_schema_migrations WHERE version = 1"), "64");
    CHECK_STR(q1(ci, "SELECT sha256 = encode(sha256(convert_to('CREATE TABLE t_a (x int "
                     "PRIMARY KEY);' || chr(10) || 'INSERT INTO t_a VALUES (1);' || chr(10), "
                     "'UTF8')), 'hex') FROM rci_schema_migrations WHERE version = 1"),
              "t");
    CHECK_STR(q1(ci, "SELECT applied_at IS NOT NULL FROM rci_schema_migrations LIMIT 1"), "t");

    /* re-run: nothing to do; adding one applies just that */
    CHECK(migrate(ci, set1, 2) == 0);
    CHECK(err[0] == '\0');
    CHECK(migrate(ci, set1, 3) == 1);
    CHECK_STR(q1(ci, "SELECT z FROM t_b"), "7");
    CHECK(migrate(ci, set1, 3) == 0);
    CHECK(migrate(ci, set1, 0) < 0);   /* the database knows 1..3, the binary nothing */
    CHECK(contains(err, "database is newer than this rcid"));
}

static void test_migrate_refusals(const char *ci)
{
    /* an applied migration edited (one byte) */
    rci_embedded_file edited[3];
    memcpy(edited, set1, sizeof edited);
    edited[1] = (rci_embedded_file)F("0002_b.sql", "-- comment only line\nCREATE TABLE t_b "
                                                   "(y text);\nINSERT INTO t_b VALUES ('深莞惠') ;\n");
    CHECK(migrate(ci, edited, 3) < 0);
    CHECK(contains(err, "0002_b.sql"));
    CHECK(contains(err, "must never be edited"));
    CHECK(contains(err, "add a new migration"));
    /* both checksums named: the recorded one and the binary's */
    const char *recorded = q1(ci, "SELECT sha256 FROM rci_schema_migrations WHERE version = 2");
    CHECK(strlen(recorded) == 64 && contains(err, recorded));

    /* an applied migration renamed */
    rci_embedded_file renamed[3];
    memcpy(renamed, set1, sizeof renamed);
    renamed[0].name = "0001_aa.sql";
    CHECK(migrate(ci, renamed, 3) < 0);
    CHECK(contains(err, "0001_a.sql") && contains(err, "0001_aa.sql"));

    /* the database has a version the binary does not know */
    CHECK(migrate(ci, set1, 2) < 0);
    CHECK(contains(err, "database is newer than this rcid"));
    CHECK(contains(err, "0003_c.sql"));

    /* bad names, duplicate and out-of-order versions: refused before connecting */
    static const rci_embedded_file badname[] = {F("1_a.sql", "SELECT 1")};
    CHECK(migrate(ci, badname, 1) < 0 && contains(err, "1_a.sql"));
    static const rci_embedded_file upper[] = {F("0001_A.sql", "SELECT 1")};
    CHECK(migrate(ci, upper, 1) < 0 && contains(err, "0001_A.sql"));
    static const rci_embedded_file noext[] = {F("0001_a.sq", "SELECT 1")};
    CHECK(migrate(ci, noext, 1) < 0);
    static const rci_embedded_file noname[] = {F("0001_.sql", "SELECT 1")};
    CHECK(migrate(ci, noname, 1) < 0);
    static const rci_embedded_file dup[] = {F("0001_a.sql", "SELECT 1"),
                                            F("0001_b.sql", "SELECT 1")};
    CHECK(migrate(ci, dup, 2) < 0 && contains(err, "0001_b.sql"));
    static const rci_embedded_file order[] = {F("0002_a.sql", "SELECT 1"),
                                              F("0001_b.sql", "SELECT 1")};
    CHECK(migrate(ci, order, 2) < 0);
    static const rci_embedded_file nul[] = {F("0001_a.sql", "SELECT 1;\0DROP TABLE t_a")};
    CHECK(migrate(ci, nul, 1) < 0 && contains(err, "NUL"));

    /* nothing of the above changed the record */
    CHECK_STR(q1(ci, "SELECT count(*) FROM rci_schema_migrations"), "3");

    /* unreachable database */
    CHECK(migrate("host=/nonexistent-dir port=5432 dbname=x", set1, 1) < 0);
    CHECK(contains(err, "cannot connect"));
}

static void test_migrate_failure_rolls_back(const char *ci)
{
    rci_embedded_file files[5];
    memcpy(files, set1, sizeof set1);
    files[3] = (rci_embedded_file)F("0004_bad.sql",
                                    "CREATE TABLE t_bad (x int);\n"
                                    "INSERT INTO t_bad VALUES (1);\n"
                                    "SELECT * FROM no_such_table;\n");
    CHECK(migrate(ci, files, 4) < 0);
    CHECK(contains(err, "0004_bad.sql"));
    CHECK(contains(err, "42P01"));
    CHECK(contains(err, "no_such_table"));
    CHECK(contains(err, "rolled back"));
    CHECK(contains(err, "line 3"));
    CHECK_STR(q1(ci, "SELECT to_regclass('t_bad') IS NULL"), "t");
    CHECK_STR(q1(ci, "SELECT count(*) FROM rci_schema_migrations WHERE version = 4"), "0");

    /* a runtime error (no statement position) also rolls back */
    files[3] = (rci_embedded_file)F("0004_bad.sql", "CREATE TABLE t_bad (x int);\n"
                                                    "INSERT INTO t_a VALUES (1);\n");
    CHECK(migrate(ci, files, 4) < 0);
    CHECK(contains(err, "23505"));
    CHECK_STR(q1(ci, "SELECT to_regclass('t_bad') IS NULL"), "t");

    /* transaction control inside the file is refused and not recorded */
    files[3] = (rci_embedded_file)F("0004_commit.sql", "COMMIT;\nCREATE TABLE t_commit (x int);\n");
    CHECK(migrate(ci, files, 4) < 0);
    CHECK(contains(err, "0004_commit.sql") && contains(err, "transaction"));
    CHECK_STR(q1(ci, "SELECT count(*) FROM rci_schema_migrations WHERE version = 4"), "0");
    CHECK_STR(q1(ci, "DROP TABLE IF EXISTS t_commit"), "");

    /* after fixing it, it applies */
    files[3] = (rci_embedded_file)F("0004_bad.sql", "CREATE TABLE t_bad (x int);\n");
    CHECK(migrate(ci, files, 4) == 1);
    CHECK_STR(q1(ci, "SELECT to_regclass('t_bad') IS NOT NULL"), "t");

    /* an empty migration is fine */
    files[4] = (rci_embedded_file)F("0005_empty.sql", "-- nothing yet\n");
    CHECK(migrate(ci, files, 5) == 1);
}

/* Two daemons migrating at once: the advisory lock makes one wait, so the
 * slow migration is applied exactly once and neither fails. */
static void test_migrate_concurrent(const char *ci)
{
    const rci_embedded_file files[] = {
        set1[0], set1[1], set1[2],
        F("0004_bad.sql", "CREATE TABLE t_bad (x int);\n"),
        F("0005_empty.sql", "-- nothing yet\n"),
        F("0006_slow.sql", "SELECT pg_sleep(0.5);\nCREATE TABLE t_slow (x int);\n"),
    };
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            char e[1024];
            int r = rci_migrate(ci, files, 6, e, sizeof e);
            _exit(r < 0 ? 100 : r);
        }
    }
    int total = 0, ok = 1;
    for (int i = 0; i < 2; i++) {
        int st = 0;
        if (kids[i] < 0 || waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) ||
            WEXITSTATUS(st) == 100)
            ok = 0;
        else
            total += WEXITSTATUS(st);
    }
    CHECK(ok);
    CHECK(total == 1);
    CHECK_STR(q1(ci, "SELECT count(*) FROM rci_schema_migrations WHERE version = 6"), "1");
    CHECK_STR(q1(ci, "SELECT to_regclass('t_slow') IS NOT NULL"), "t");
}

/* The migrations compiled into rcid apply to the daemon's database. */
static void test_real_migrations(const char *ci)
{
    CHECK(rci_embedded_migrations_count > 0);
    CHECK(rci_embedded_migrations[rci_embedded_migrations_count].name == NULL);
    CHECK(migrate(ci, rci_embedded_migrations, rci_embedded_migrations_count) ==
          (int)rci_embedded_migrations_count);
    if (err[0])
        fprintf(stderr, "real migrations: %s\n", err);
    CHECK(atoi(q1(ci, "SELECT count(*) FROM regions")) > 0);
    CHECK(migrate(ci, rci_embedded_migrations, rci_embedded_migrations_count) == 0);
}

/* ---- pgembed: stop, restart, orphans, parent death, long paths ------------- */

static int bindir(char *out, size_t len)
{
    FILE *p = popen("pg_config --bindir 2>/dev/null", "r");
    if (!p || !fgets(out, (int)len, p)) {
        if (p)
            pclose(p);
        snprintf(out, len, "/usr/lib/postgresql/15/bin");
        return 0;
    }
    pclose(p);
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

static int read_postmaster_pid(void)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/pg/postmaster.pid", datadir);
    FILE *f = fopen(path, "r");
    int pid = 0;
    if (f) {
        if (fscanf(f, "%d", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return pid;
}

/* A postmaster left behind by a crashed rcid (started by pg_ctl, so not
 * our child and not tied to us) is stopped and replaced. */
static rci_pgembed *test_orphan(void)
{
    char bin[PATH_MAX], cmd[4 * PATH_MAX];
    bindir(bin, sizeof bin);
    snprintf(cmd, sizeof cmd,
             "%s %s/pg_ctl -D %s/pg -l /dev/null -o \"-k %s/run -c listen_addresses=\" "
             "-w -s start >/dev/null 2>&1",
             geteuid() == 0 ? "runuser -u postgres --" : "", bin, datadir, datadir);
    CHECK(system(cmd) == 0);
    int orphan = read_postmaster_pid();
    CHECK(orphan > 0 && !pid_gone(orphan));

    rci_pgembed *pg = rci_pgembed_start(datadir, err, sizeof err);
    CHECK(pg != NULL);
    if (!pg) {
        fprintf(stderr, "start over orphan: %s\n", err);
        return NULL;
    }
    CHECK(wait_pid_gone(orphan, 1));
    CHECK(rci_pgembed_pid(pg) != orphan);
    CHECK(atoi(q1(rci_pgembed_conninfo(pg), "SELECT count(*) FROM regions")) > 0);
    return pg;
}

/* However rcid dies, its PostgreSQL goes down with it. */
static void test_parent_death(void)
{
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t kid = fork();
    if (kid == 0) {
        close(fds[0]);
        char e[2048];
        rci_pgembed *pg = rci_pgembed_start(datadir, e, sizeof e);
        int pid = pg ? rci_pgembed_pid(pg) : -1;
        if (write(fds[1], &pid, sizeof pid) != sizeof pid)
            _exit(1);
        raise(SIGKILL);
        _exit(1);
    }
    close(fds[1]);
    int pgpid = -1;
    CHECK(read(fds[0], &pgpid, sizeof pgpid) == sizeof pgpid);
    close(fds[0]);
    CHECK(pgpid > 0);
    int st = 0;
    CHECK(waitpid(kid, &st, 0) == kid && WIFSIGNALED(st));
    if (pgpid > 0)
        CHECK(wait_pid_gone(pgpid, 30));
}

/* A data directory too long for a Unix socket path keeps its socket in a
 * private /tmp directory, removed at stop. */
static void test_long_path(void)
{
    char longdir[PATH_MAX];
    snprintf(longdir, sizeof longdir, "%s/%s", tmpdir,
             "a-rather-long-directory-name-that-pushes-the-unix-socket-path-beyond-the-"
             "one-hundred-and-seven-byte-limit");
    rci_pgembed *pg = rci_pgembed_start(longdir, err, sizeof err);
    CHECK(pg != NULL);
    if (!pg) {
        fprintf(stderr, "long path: %s\n", err);
        return;
    }
    const char *ci = rci_pgembed_conninfo(pg);
    CHECK(contains(ci, "host='/tmp/rci-"));
    CHECK_STR(q1(ci, "SELECT current_database()"), "rci");
    char sockdir[64] = "";
    const char *h = strstr(ci, "host='");
    if (h)
        sscanf(h + 6, "%63[^']", sockdir);
    struct stat st;
    CHECK(sockdir[0] && stat(sockdir, &st) == 0);
    int pid = rci_pgembed_pid(pg);
    rci_pgembed_stop(pg);
    CHECK(pid_gone(pid));
    CHECK(sockdir[0] && stat(sockdir, &st) < 0 && errno == ENOENT);

    /* a server that exits during start-up: the error quotes its log */
    char conf[PATH_MAX + 64];
    snprintf(conf, sizeof conf, "%s/pg/postgresql.conf", longdir);
    FILE *f = fopen(conf, "a");
    CHECK(f != NULL);
    if (f) {
        fputs("bogus_setting_for_test = 1\n", f);
        fclose(f);
    }
    pg = rci_pgembed_start(longdir, err, sizeof err);
    CHECK(pg == NULL);
    CHECK(contains(err, "exited during start-up"));
    show_err();
    CHECK(contains(err, "bogus_setting_for_test"));
    CHECK(contains(err, "postgres.log"));
    if (pg)
        rci_pgembed_stop(pg);
}

/* initdb refuses a non-empty directory that is not a cluster: its output is
 * in the message. */
static void test_initdb_failure(void)
{
    char dd[PATH_MAX], junk[PATH_MAX + 64];
    snprintf(dd, sizeof dd, "%s/notacluster", tmpdir);
    snprintf(junk, sizeof junk, "%s/pg", dd);
    CHECK(mkdir(dd, 0755) == 0 && mkdir(junk, 0700) == 0);
    snprintf(junk, sizeof junk, "%s/pg/some-file", dd);
    FILE *f = fopen(junk, "w");
    if (f)
        fclose(f);
    rci_pgembed *pg = rci_pgembed_start(dd, err, sizeof err);
    CHECK(pg == NULL);
    CHECK(contains(err, "initdb"));
    CHECK(contains(err, "not empty"));
    show_err();
    if (pg)
        rci_pgembed_stop(pg);
}

/* As root, a data directory user postgres cannot enter is refused. */
static void test_unreachable(void)
{
    if (geteuid() != 0)
        return;
    char priv[PATH_MAX];
    snprintf(priv, sizeof priv, "%s/private", tmpdir);
    CHECK(mkdir(priv, 0700) == 0);
    char dd[PATH_MAX + 16];
    snprintf(dd, sizeof dd, "%s/rci", priv);
    rci_pgembed *pg = rci_pgembed_start(dd, err, sizeof err);
    CHECK(pg == NULL);
    CHECK(contains(err, "postgres"));
    CHECK(contains(err, priv));
    CHECK(contains(err, "--data-dir /var/lib/rci"));
    show_err();
    if (pg)
        rci_pgembed_stop(pg);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    chmod(tmpdir, 0755);   /* user postgres must reach it when run as root */
    snprintf(datadir, sizeof datadir, "%s/data", tmpdir);

    rci_pgembed *pg = test_first_start();
    if (pg) {
        char mci[1024];
        CHECK_STR(q1(rci_pgembed_conninfo(pg), "CREATE DATABASE mig_test"), "");
        snprintf(mci, sizeof mci, "%s", with_db(pg, "mig_test"));
        test_migrate_basic(mci);
        test_migrate_refusals(mci);
        test_migrate_failure_rolls_back(mci);
        test_migrate_concurrent(mci);
        test_real_migrations(rci_pgembed_conninfo(pg));

        /* stop: the postmaster is gone; restart keeps the data */
        int pid = rci_pgembed_pid(pg);
        char sock[PATH_MAX + 64];
        snprintf(sock, sizeof sock, "%s/run/.s.PGSQL.5432", datadir);
        rci_pgembed_stop(pg);
        CHECK(pid_gone(pid));
        CHECK(access(sock, F_OK) < 0);
        pg = rci_pgembed_start(datadir, err, sizeof err);
        CHECK(pg != NULL);
        if (pg) {
            CHECK(rci_pgembed_pid(pg) != pid);
            CHECK(atoi(q1(rci_pgembed_conninfo(pg), "SELECT count(*) FROM regions")) > 0);
            CHECK_STR(q1(with_db(pg, "mig_test"), "SELECT y FROM t_b"), "深莞惠");
            rci_pgembed_stop(pg);
        }

        pg = test_orphan();
        if (pg) {
            pid = rci_pgembed_pid(pg);
            rci_pgembed_stop(pg);
            /* Gone, or a zombie its parent has yet to reap: under load the
             * reaping can lag the exit rci_pgembed_stop waits for. */
            CHECK(wait_pid_gone(pid, 5));
        }
        test_parent_death();
        /* and the next start after a killed rcid works */
        pg = rci_pgembed_start(datadir, err, sizeof err);
        CHECK(pg != NULL);
        if (pg) {
            CHECK(atoi(q1(rci_pgembed_conninfo(pg), "SELECT count(*) FROM regions")) > 0);
            pid = rci_pgembed_pid(pg);
            rci_pgembed_stop(pg);
            CHECK(pid_gone(pid));
        }
    }
    test_long_path();
    test_initdb_failure();
    test_unreachable();

    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_done();
}
