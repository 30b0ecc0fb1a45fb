/* pgembed.c: the embedded PostgreSQL — a private cluster in the daemon's
 * data directory, reachable only through a Unix socket.
 *
 * Owns, under DATA_DIR:
 *   pg/            the cluster (initdb on first start; superuser "rci")
 *   run/           the socket directory (or /tmp/rci-XXXXXX when DATA_DIR is
 *                  too long for a 107-byte socket path)
 *   log/           postgres.log (the server's stderr, appended) and
 *                  initdb.log (the last initdb's output)
 *   pg.lock        flock'd for as long as this rcid runs the cluster, so a
 *                  second rcid on the same directory is refused and a
 *                  postmaster found running without the lock is known to be
 *                  an orphan of a crashed rcid, which is stopped.
 * The postmaster is our child, in its own session, with PR_SET_PDEATHSIG =
 * SIGINT so that however rcid dies, PostgreSQL makes a fast shutdown.
 * As root, initdb and postgres run as user "postgres" (PostgreSQL refuses
 * root), which must be able to reach DATA_DIR.
 *
 * Start-up code: blocking calls on the main thread, before the event loops.
 */
#include "platform/pgembed.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/log.h"

#define PG_FALLBACK_BINDIR "/usr/lib/postgresql/15/bin"
#define PG_PORT "5432"
#define PG_SUPERUSER "rci"
#define PG_DATABASE "rci"
#define PG_OS_USER "postgres"
#define SOCKET_NAME "/.s.PGSQL." PG_PORT
#define SOCKET_PATH_MAX 107      /* sizeof(sun_path) - 1 */
#define START_TIMEOUT_SEC 30     /* no answer at all */
#define RECOVERY_TIMEOUT_SEC 600 /* answering "starting up" (crash recovery) */
#define STOP_GRACE_SEC 30
#define MAX_GROUPS 64

struct rci_pgembed {
    pid_t pid;
    int lock_fd;
    int sockdir_is_tmp;
    char *pgdir;
    char *sockdir;
    char *conninfo;
};

/* Who the server runs as: ourselves, or (as root) the postgres user. */
typedef struct runas {
    int active;
    uid_t uid;
    gid_t gid;
    gid_t groups[MAX_GROUPS];
    int ngroups;
} runas;

/* ---- small helpers ------------------------------------------------------------ */

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

static char *path_join(const char *a, const char *b)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", a, b) < 0)
        return NULL;
    return p;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* mkdir -p; new directories get mode. */
static int mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) == 0)
            chmod(buf, mode);   /* not narrowed by the umask */
        else if (errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, mode) == 0)
        chmod(buf, mode);
    else if (errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(buf, &st) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* A libpq conninfo value, single-quoted with \ and ' escaped. */
static char *conninfo_quote(const char *v)
{
    size_t n = strlen(v);
    char *q = malloc(2 * n + 3), *o = q;
    if (!q)
        return NULL;
    *o++ = '\'';
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '\'')
            *o++ = '\\';
        *o++ = *p;
    }
    *o++ = '\'';
    *o = '\0';
    return q;
}

static char *make_conninfo(const char *sockdir, const char *dbname)
{
    char *host = conninfo_quote(sockdir), *ci = NULL;
    if (!host)
        return NULL;
    if (asprintf(&ci, "host=%s port=" PG_PORT " dbname=%s user=" PG_SUPERUSER, host, dbname) <
        0)
        ci = NULL;
    free(host);
    return ci;
}

/* The last lines (at most about 1.5 KiB) of path written after offset. */
static void log_tail(const char *path, off_t offset, char *out, size_t outlen)
{
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[1536];
    off_t end = lseek(fd, 0, SEEK_END);
    off_t from = end - (off_t)(sizeof buf - 1);
    if (from < offset)
        from = offset;
    if (from < 0)
        from = 0;
    ssize_t n = end > from ? pread(fd, buf, (size_t)(end - from), from) : 0;
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    char *start = buf;
    if (from > offset) {            /* skip a partial first line */
        char *nl = strchr(buf, '\n');
        if (nl)
            start = nl + 1;
    }
    size_t len = strlen(start);
    while (len > 0 && start[len - 1] == '\n')
        start[--len] = '\0';
    snprintf(out, outlen, "%s", start);
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

/* ---- running as root: the postgres user ----------------------------------------- */

static int runas_postgres(runas *as, char *err, size_t errlen)
{
    struct passwd *pw = getpwnam(PG_OS_USER);
    if (!pw) {
        set_err(err, errlen,
                "rcid runs as root and PostgreSQL refuses to run as root, but there is no "
                "user \"" PG_OS_USER "\" to run it as: install postgresql-15 (which creates "
                "it), or run rcid as an unprivileged user, or give --database");
        return -1;
    }
    as->active = 1;
    as->uid = pw->pw_uid;
    as->gid = pw->pw_gid;
    as->ngroups = MAX_GROUPS;
    if (getgrouplist(PG_OS_USER, pw->pw_gid, as->groups, &as->ngroups) < 0)
        as->ngroups = MAX_GROUPS;   /* truncated: the first MAX_GROUPS suffice */
    return 0;
}

/* 1 if the runas user may search (x) directory st. */
static int can_search(const runas *as, const struct stat *st)
{
    if (st->st_uid == as->uid)
        return (st->st_mode & S_IXUSR) != 0;
    for (int i = 0; i < as->ngroups; i++)
        if (as->groups[i] == st->st_gid)
            return (st->st_mode & S_IXGRP) != 0;
    if (st->st_gid == as->gid)
        return (st->st_mode & S_IXGRP) != 0;
    return (st->st_mode & S_IXOTH) != 0;
}

/* Refuse a data directory the postgres user cannot reach (e.g. under
 * /root, mode 0700): check every directory from / down to dir. */
static int check_reachable(const runas *as, const char *dir, char *err, size_t errlen)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", dir);
    size_t len = strlen(buf);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        struct stat st;
        if (stat(buf, &st) == 0 && !can_search(as, &st)) {
            set_err(err, errlen,
                    "data directory %s cannot be used: PostgreSQL runs as user \"" PG_OS_USER
                    "\" (it refuses to run as root), and that user cannot enter %s (mode "
                    "%04o, owner uid %u); choose a directory it can reach, e.g. "
                    "--data-dir /var/lib/rci",
                    dir, buf, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
            return -1;
        }
        buf[i] = saved;
    }
    return 0;
}

static int give_to(const runas *as, const char *path, char *err, size_t errlen)
{
    if (as->active && chown(path, as->uid, as->gid) < 0) {
        set_err(err, errlen, "cannot give %s to user " PG_OS_USER ": %s", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- processes ---------------------------------------------------------------------- */

static void child_fail(const char *what)
{
    /* async-signal-safe only: we are between fork and exec */
    ssize_t r = write(2, what, strlen(what));
    (void)r;
    _exit(127);
}

/* fork + exec argv[0] with stdout/stderr on out_fd, stdin on /dev/null, in a
 * new session, as the runas user, dying (SIGINT) with its parent. */
static pid_t spawn(char *const argv[], int out_fd, const runas *as)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;

    setsid();
    int nul = open("/dev/null", O_RDONLY);
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
        child_fail("rcid: cannot set up the server's stdio\n");
    if (nul > 2)
        close(nul);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    const int sigs[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_DFL);
    if (as->active) {
        if (setgroups((size_t)as->ngroups, as->groups) < 0 || setgid(as->gid) < 0 ||
            setuid(as->uid) < 0)
            child_fail("rcid: cannot switch to user " PG_OS_USER "\n");
    }
    if (chdir("/") < 0)
        child_fail("rcid: cannot chdir to /\n");
    /* After setuid, which clears the death signal. */
    if (prctl(PR_SET_PDEATHSIG, SIGINT) < 0 || getppid() != parent)
        _exit(1);
    execv(argv[0], argv);
    child_fail("rcid: cannot execute the PostgreSQL binary\n");
    return -1;
}

/* 1 while pid exists and is not a zombie; reaps it if it is our child. */
static int pid_alive(pid_t pid)
{
    if (waitpid(pid, NULL, WNOHANG) == pid)
        return 0;
    if (kill(pid, 0) < 0 && errno == ESRCH)
        return 0;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');   /* "pid (comm) S ..." */
    return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

static int wait_gone(pid_t pid, double sec)
{
    double until = now_sec() + sec;
    while (pid_alive(pid)) {
        if (now_sec() > until)
            return -1;
        sleep_ms(20);
    }
    return 0;
}

/* Stop a postmaster: fast shutdown, then immediate, then kill. */
static int stop_postmaster(pid_t pid, double grace_sec)
{
    kill(pid, SIGINT);
    if (wait_gone(pid, grace_sec) == 0)
        return 0;
    rci_log_warn("pgembed: PostgreSQL (pid %d) did not stop in %.0f s; immediate shutdown",
                 (int)pid, grace_sec);
    kill(pid, SIGQUIT);
    if (wait_gone(pid, 5) == 0)
        return 0;
    kill(pid, SIGKILL);
    return wait_gone(pid, 5);
}

/* A postmaster from a crashed rcid still running on pgdir (we hold the
 * data directory lock, so nobody else owns it): stop it. */
static int stop_orphan(const char *pgdir, char *err, size_t errlen)
{
    char *pidfile = path_join(pgdir, "postmaster.pid");
    if (!pidfile)
        return 0;
    FILE *f = fopen(pidfile, "re");
    free(pidfile);
    if (!f)
        return 0;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) != 1)
        pid = 0;
    fclose(f);
    if (pid <= 1 || pid > INT_MAX || !pid_alive((pid_t)pid))
        return 0;   /* a stale file; PostgreSQL replaces it */
    char path[64], comm[32] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *c = fopen(path, "re");
    if (c) {
        if (!fgets(comm, sizeof comm, c))
            comm[0] = '\0';
        fclose(c);
    }
    if (strncmp(comm, "postgres", 8) != 0)
        return 0;   /* the pid was reused by something else */
    rci_log_warn("pgembed: PostgreSQL (pid %ld) left running by an earlier rcid on %s; "
                 "stopping it (its crash recovery runs at the next start)",
                 pid, pgdir);
    if (stop_postmaster((pid_t)pid, STOP_GRACE_SEC) < 0) {
        set_err(err, errlen,
                "PostgreSQL (pid %ld) left running on %s by an earlier rcid does not stop; "
                "stop it by hand",
                pid, pgdir);
        return -1;
    }
    return 0;
}

/* ---- start-up steps ------------------------------------------------------------------- */

static int find_bindir(char *out, size_t outlen, char *err, size_t errlen)
{
    char line[PATH_MAX] = "";
    FILE *p = popen("pg_config --bindir 2>/dev/null", "r");
    if (p) {
        if (!fgets(line, sizeof line, p))
            line[0] = '\0';
        pclose(p);
        line[strcspn(line, "\r\n")] = '\0';
    }
    const char *cands[] = {line, PG_FALLBACK_BINDIR};
    for (size_t i = 0; i < 2; i++) {
        char postgres[PATH_MAX + 16], initdb[PATH_MAX + 16];
        if (!cands[i][0])
            continue;
        snprintf(postgres, sizeof postgres, "%s/postgres", cands[i]);
        snprintf(initdb, sizeof initdb, "%s/initdb", cands[i]);
        if (access(postgres, X_OK) == 0 && access(initdb, X_OK) == 0) {
            snprintf(out, outlen, "%s", cands[i]);
            return 0;
        }
    }
    set_err(err, errlen,
            "PostgreSQL server binaries (initdb, postgres) not found in `pg_config --bindir`%s%s%s "
            "or " PG_FALLBACK_BINDIR ": install postgresql-15, or give --database to use an "
            "existing server",
            line[0] ? " (" : "", line, line[0] ? ")" : "");
    return -1;
}

/* initdb the cluster if DATA_DIR/pg has no PG_VERSION yet. */
static int init_cluster(const char *bindir, const char *data_dir, const char *pgdir,
                        const runas *as, char *err, size_t errlen)
{
    char *version = path_join(pgdir, "PG_VERSION");
    struct stat st;
    int have = version && stat(version, &st) == 0;
    free(version);
    if (have) {
        if (stat(pgdir, &st) == 0 && st.st_uid != (as->active ? as->uid : geteuid())) {
            set_err(err, errlen,
                    "the PostgreSQL cluster %s belongs to uid %u, but the server runs as uid "
                    "%u; give it to that user (chown -R) or use another --data-dir",
                    pgdir, (unsigned)st.st_uid, (unsigned)(as->active ? as->uid : geteuid()));
            return -1;
        }
        return 0;
    }
    if (mkdir_p(pgdir, 0700) < 0) {
        set_err(err, errlen, "cannot create %s: %s", pgdir, strerror(errno));
        return -1;
    }
    if (give_to(as, pgdir, err, errlen) < 0)
        return -1;
    char logpath[PATH_MAX + 32];
    snprintf(logpath, sizeof logpath, "%s/log/initdb.log", data_dir);
    int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        set_err(err, errlen, "cannot create %s: %s", logpath, strerror(errno));
        return -1;
    }
    char exe[PATH_MAX + 16], dir[PATH_MAX];
    snprintf(exe, sizeof exe, "%s/initdb", bindir);
    snprintf(dir, sizeof dir, "%s", pgdir);
    char *argv[] = {exe, "-D", dir, "-E", "UTF8", "--locale=C", "--auth-local=trust",
                    "--auth-host=reject", "-U", PG_SUPERUSER, "--no-instructions", NULL};
    rci_log_info("pgembed: creating a PostgreSQL cluster in %s", pgdir);
    pid_t pid = spawn(argv, fd, as);
    close(fd);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        char tail[1536];
        log_tail(logpath, 0, tail, sizeof tail);
        set_err(err, errlen, "initdb of %s failed (see %s):\n%s", pgdir, logpath, tail);
        return -1;
    }
    return 0;
}

/* DATA_DIR/run when the socket path fits, else a fresh /tmp/rci-XXXXXX. */
static int make_sockdir(rci_pgembed *pg, const char *data_dir, const runas *as, char *err,
                        size_t errlen)
{
    pg->sockdir = path_join(data_dir, "run");
    if (!pg->sockdir)
        return -1;
    if (strlen(pg->sockdir) + strlen(SOCKET_NAME) <= SOCKET_PATH_MAX) {
        if (mkdir_p(pg->sockdir, 0700) < 0) {
            set_err(err, errlen, "cannot create %s: %s", pg->sockdir, strerror(errno));
            return -1;
        }
        chmod(pg->sockdir, 0700);
    } else {
        free(pg->sockdir);
        pg->sockdir = strdup("/tmp/rci-XXXXXX");
        if (!pg->sockdir || !mkdtemp(pg->sockdir)) {
            set_err(err, errlen, "cannot create a socket directory in /tmp: %s",
                    strerror(errno));
            return -1;
        }
        pg->sockdir_is_tmp = 1;
        rci_log_info("pgembed: %s is too long for a Unix socket path; socket in %s", data_dir,
                     pg->sockdir);
    }
    return give_to(as, pg->sockdir, err, errlen);
}

/* Wait until the server accepts connections or its process ends. */
static int wait_ready(rci_pgembed *pg, const char *logpath, off_t log_offset, char *err,
                      size_t errlen)
{
    char *base = make_conninfo(pg->sockdir, "postgres"), *ping = NULL;
    if (!base || asprintf(&ping, "%s connect_timeout=2", base) < 0)
        ping = NULL;
    free(base);
    if (!ping)
        return -1;
    double start = now_sec();
    int rc = -1;
    for (;;) {
        int status = 0;
        if (waitpid(pg->pid, &status, WNOHANG) == pg->pid) {
            char tail[1536];
            log_tail(logpath, log_offset, tail, sizeof tail);
            set_err(err, errlen, "PostgreSQL exited during start-up (%s %d); %s says:\n%s",
                    WIFEXITED(status) ? "status" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), logpath, tail);
            pg->pid = 0;
            break;
        }
        PGPing p = PQping(ping);
        if (p == PQPING_OK) {
            rc = 0;
            break;
        }
        double waited = now_sec() - start;
        if (waited > (p == PQPING_REJECT ? RECOVERY_TIMEOUT_SEC : START_TIMEOUT_SEC)) {
            char tail[1536];
            log_tail(logpath, log_offset, tail, sizeof tail);
            set_err(err, errlen,
                    "PostgreSQL did not accept connections within %.0f s; %s says:\n%s",
                    waited, logpath, tail);
            break;
        }
        sleep_ms(50);
    }
    free(ping);
    return rc;
}

/* Create database rci if it is missing (first start, or a crash between
 * initdb and here). */
static int ensure_database(const rci_pgembed *pg, char *err, size_t errlen)
{
    char *ci = make_conninfo(pg->sockdir, "postgres");
    if (!ci)
        return -1;
    const char *keys[] = {"connect_timeout", "dbname", NULL};
    const char *vals[] = {"10", ci, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    free(ci);
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        set_err(err, errlen, "cannot connect to the embedded PostgreSQL: %s",
                PQerrorMessage(c));
        goto out;
    }
    PGresult *r = PQexec(c, "SELECT 1 FROM pg_database WHERE datname = '" PG_DATABASE "'");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        set_err(err, errlen, "embedded PostgreSQL: %s", PQresultErrorMessage(r));
        PQclear(r);
        goto out;
    }
    int have = PQntuples(r) > 0;
    PQclear(r);
    if (!have) {
        r = PQexec(c, "CREATE DATABASE " PG_DATABASE);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            set_err(err, errlen, "cannot create database " PG_DATABASE ": %s",
                    PQresultErrorMessage(r));
            PQclear(r);
            goto out;
        }
        PQclear(r);
        rci_log_info("pgembed: created database " PG_DATABASE);
    }
    rc = 0;
out:
    PQfinish(c);
    return rc;
}

static pid_t start_postmaster(const char *bindir, const rci_pgembed *pg, int log_fd,
                              const runas *as)
{
    char exe[PATH_MAX + 16], dir[PATH_MAX], sock[PATH_MAX];
    snprintf(exe, sizeof exe, "%s/postgres", bindir);
    snprintf(dir, sizeof dir, "%s", pg->pgdir);
    snprintf(sock, sizeof sock, "%s", pg->sockdir);
    /* Log times in China Standard Time like rcid's own log (DESIGN §6). */
    char *argv[] = {exe,  "-D", dir, "-k", sock, "-p", PG_PORT, "-c", "listen_addresses=",
                    "-c", "unix_socket_permissions=0700", "-c", "log_timezone=Asia/Shanghai",
                    NULL};
    return spawn(argv, log_fd, as);
}

static void pgembed_free(rci_pgembed *pg)
{
    if (pg->sockdir && pg->sockdir_is_tmp) {
        char *sock = path_join(pg->sockdir, ".s.PGSQL." PG_PORT);
        char *lock = path_join(pg->sockdir, ".s.PGSQL." PG_PORT ".lock");
        if (sock)
            unlink(sock);
        if (lock)
            unlink(lock);
        free(sock);
        free(lock);
        rmdir(pg->sockdir);
    }
    if (pg->lock_fd >= 0)
        close(pg->lock_fd);
    free(pg->pgdir);
    free(pg->sockdir);
    free(pg->conninfo);
    free(pg);
}

/* ---- public API --------------------------------------------------------------------------- */

rci_pgembed *rci_pgembed_start(const char *data_dir, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    runas as = {0};
    int root = geteuid() == 0;
    if (root && runas_postgres(&as, err, errlen) < 0)
        return NULL;
    if (!data_dir || !*data_dir || mkdir_p(data_dir, root ? 0755 : 0700) < 0) {
        set_err(err, errlen, "cannot create data directory %s: %s", data_dir ? data_dir : "",
                strerror(data_dir && *data_dir ? errno : EINVAL));
        return NULL;
    }
    char dd[PATH_MAX];
    if (!realpath(data_dir, dd)) {
        set_err(err, errlen, "data directory %s: %s", data_dir, strerror(errno));
        return NULL;
    }
    if (root) {
        if (check_reachable(&as, dd, err, errlen) < 0)
            return NULL;
        rci_log_info("pgembed: running as root; PostgreSQL runs as user " PG_OS_USER
                     " (uid %u), as it refuses to run as root",
                     (unsigned)as.uid);
    }

    rci_pgembed *pg = calloc(1, sizeof *pg);
    if (!pg) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    pg->lock_fd = -1;
    char bindir[PATH_MAX], lockpath[PATH_MAX + 32], logdir[PATH_MAX + 32], logpath[PATH_MAX + 64];
    snprintf(lockpath, sizeof lockpath, "%s/pg.lock", dd);
    snprintf(logdir, sizeof logdir, "%s/log", dd);
    snprintf(logpath, sizeof logpath, "%s/postgres.log", logdir);
    int log_fd = -1;

    pg->lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (pg->lock_fd < 0) {
        set_err(err, errlen, "cannot open %s: %s", lockpath, strerror(errno));
        goto fail;
    }
    if (flock(pg->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        set_err(err, errlen,
                "data directory %s is in use by another rcid (it holds %s); stop that one "
                "or choose another --data-dir",
                dd, lockpath);
        goto fail;
    }
    pg->pgdir = path_join(dd, "pg");
    if (!pg->pgdir) {
        set_err(err, errlen, "out of memory");
        goto fail;
    }
    if (find_bindir(bindir, sizeof bindir, err, errlen) < 0 ||
        stop_orphan(pg->pgdir, err, errlen) < 0)
        goto fail;
    if (mkdir_p(logdir, 0700) < 0) {
        set_err(err, errlen, "cannot create %s: %s", logdir, strerror(errno));
        goto fail;
    }
    if (init_cluster(bindir, dd, pg->pgdir, &as, err, errlen) < 0 ||
        make_sockdir(pg, dd, &as, err, errlen) < 0)
        goto fail;

    log_fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) {
        set_err(err, errlen, "cannot open %s: %s", logpath, strerror(errno));
        goto fail;
    }
    off_t log_offset = file_size(logpath);
    pg->pid = start_postmaster(bindir, pg, log_fd, &as);
    close(log_fd);
    if (pg->pid < 0) {
        pg->pid = 0;
        set_err(err, errlen, "cannot start PostgreSQL: fork: %s", strerror(errno));
        goto fail;
    }
    if (wait_ready(pg, logpath, log_offset, err, errlen) < 0 ||
        ensure_database(pg, err, errlen) < 0)
        goto fail;
    pg->conninfo = make_conninfo(pg->sockdir, PG_DATABASE);
    if (!pg->conninfo) {
        set_err(err, errlen, "out of memory");
        goto fail;
    }
    rci_log_info("pgembed: PostgreSQL (pid %d) serving %s on %s; log in %s", (int)pg->pid,
                 pg->pgdir, pg->sockdir, logpath);
    return pg;

fail:
    if (pg->pid > 0)
        stop_postmaster(pg->pid, STOP_GRACE_SEC);
    pgembed_free(pg);
    return NULL;
}

const char *rci_pgembed_conninfo(const rci_pgembed *pg)
{
    return pg->conninfo;
}

int rci_pgembed_pid(const rci_pgembed *pg)
{
    return (int)pg->pid;
}

void rci_pgembed_stop(rci_pgembed *pg)
{
    if (!pg)
        return;
    if (pg->pid > 0 && stop_postmaster(pg->pid, 2 * STOP_GRACE_SEC) < 0)
        rci_log_error("pgembed: PostgreSQL (pid %d) does not stop", (int)pg->pid);
    else
        rci_log_info("pgembed: PostgreSQL stopped");
    pgembed_free(pg);
}
