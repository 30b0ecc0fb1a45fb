/* test_config.c: rci_config_parse — defaults, every flag in both syntaxes,
 * bad values (each error must name its flag), config files (precedence over
 * defaults, under RCI_DATABASE_URL and flags; errors naming file:line), and
 * the --help / --version exits. */
#include "check.h"
#include "platform/config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/rci-test-config-XXXXXX";
static char cert_path[128], key_path[128];

/* Parse argv = {"rcid", args..., NULL}; err gets the message. */
static int run(rci_config *c, char *err, const char *first, ...)
{
    const char *argv[64] = {"rcid"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    err[0] = '\0';
    return rci_config_parse(c, argc, (char **)argv, err, 512);
}

/* Write text to tmpdir/name; returns the path (static buffer per call). */
static const char *write_file(const char *name, const char *text)
{
    static char paths[8][PATH_MAX];
    static int next;
    char *p = paths[next++ % 8];
    FILE *f;
    snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
    f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return p;
}

static int contains(const char *hay, const char *needle)
{
    return hay && needle && strstr(hay, needle) != NULL;
}

/* Parse `flag val` and `flag=val` (plus extra args), then check expr on c. */
#define BOTH(expr, flag, val, ...)                                              \
    do {                                                                        \
        for (int form_ = 0; form_ < 2; form_++) {                               \
            rci_config c;                                                       \
            char err_[512], eq_[512];                                           \
            int rc_;                                                            \
            snprintf(eq_, sizeof(eq_), "%s=%s", flag, val);                     \
            rc_ = form_ ? run(&c, err_, eq_, __VA_ARGS__)                       \
                        : run(&c, err_, flag, val, __VA_ARGS__);                \
            CHECK(rc_ == RCI_CONFIG_OK);                                        \
            if (rc_ != RCI_CONFIG_OK)                                           \
                fprintf(stderr, "  %s %s: %s\n", flag, val, err_);              \
            else                                                                \
                CHECK(expr);                                                    \
            rci_config_free(&c);                                                \
        }                                                                       \
    } while (0)

/* Both syntaxes of `flag val` must fail, naming flag and saying want. */
#define BAD(flag, val, want)                                                    \
    do {                                                                        \
        for (int form_ = 0; form_ < 2; form_++) {                               \
            rci_config c_;                                                       \
            char err_[512], eq_[512];                                           \
            int rc_;                                                            \
            snprintf(eq_, sizeof(eq_), "%s=%s", flag, val);                     \
            rc_ = form_ ? run(&c_, err_, eq_, NULL) : run(&c_, err_, flag, val, NULL); \
            CHECK(rc_ == RCI_CONFIG_ERROR);                                     \
            CHECK(contains(err_, flag));                                        \
            CHECK(contains(err_, want));                                        \
            if (!contains(err_, flag) || !contains(err_, want))                 \
                fprintf(stderr, "  %s '%s' gave: %s\n", flag, val, err_);       \
            CHECK(c_.listen == NULL && c_.data_dir == NULL && c_.log_level == NULL); \
            rci_config_free(&c_);                                                \
        }                                                                       \
    } while (0)

/* Parse must fail with a message containing want (and want2 if given). */
#define FAILS(want, want2, ...)                                                 \
    do {                                                                        \
        rci_config c_;                                                           \
        char err_[512];                                                         \
        CHECK(run(&c_, err_, __VA_ARGS__) == RCI_CONFIG_ERROR);                  \
        CHECK(contains(err_, want));                                            \
        CHECK(!(want2) || contains(err_, want2));                               \
        if (!contains(err_, want) || ((want2) && !contains(err_, want2)))       \
            fprintf(stderr, "  got: %s\n", err_);                               \
        rci_config_free(&c_);                                                    \
    } while (0)

static void test_defaults(void)
{
    rci_config c;
    char err[512];
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    CHECK(run(&c, err, NULL) == RCI_CONFIG_OK);
    CHECK_STR(c.listen, "127.0.0.1:50051");
    CHECK(c.admin_listen == NULL);
    CHECK(c.threads == (cores < 1 ? 1 : cores));
    CHECK(c.database == NULL);
    if (geteuid() == 0)
        CHECK_STR(c.data_dir, "/var/lib/rci");
    CHECK(c.tls_cert == NULL && c.tls_key == NULL);
    CHECK(c.max_message_bytes == 4u << 20);
    CHECK(c.max_concurrent_streams == 128);
    CHECK(c.max_header_list_bytes == 16384);
    CHECK(c.idle_timeout_sec == 300);
    CHECK(c.read_timeout_sec == 60);
    CHECK(c.shutdown_grace_sec == 10);
    CHECK(c.db_pool_size == 2);
    CHECK_STR(c.log_level, "info");
    CHECK(c.config_file == NULL);
    rci_config_free(&c);
    rci_config_free(&c); /* idempotent */
    CHECK(c.listen == NULL);
}

static void test_every_flag(void)
{
    BOTH(!strcmp(c.listen, "0.0.0.0:6000"), "--listen", "0.0.0.0:6000", NULL);
    BOTH(!strcmp(c.listen, "[::1]:65535"), "--listen", "[::1]:65535", NULL);
    BOTH(!strcmp(c.listen, "[::]:1"), "--listen", "[::]:1", NULL);
    BOTH(!strcmp(c.admin_listen, "127.0.0.1:9464"), "--admin-listen", "127.0.0.1:9464", NULL);
    BOTH(c.admin_listen == NULL, "--admin-listen", "", NULL);
    BOTH(c.threads == 7, "--threads", "7", NULL);
    BOTH(c.threads == 1024, "--threads", "1024", NULL);
    BOTH(!strcmp(c.database, "host=/run/postgresql dbname=rci"), "--database",
         "host=/run/postgresql dbname=rci", NULL);
    BOTH(!strcmp(c.database, "postgresql://rci:pw@127.0.0.1:5432/rci"), "--database",
         "postgresql://rci:pw@127.0.0.1:5432/rci", NULL);
    BOTH(c.database != NULL, "--database",
         "host=10.0.0.1,10.0.0.2 target_session_attrs=read-write", NULL);
    BOTH(c.database != NULL, "--database", "host=db.example hostaddr=10.0.0.1", NULL);
    BOTH(c.database != NULL, "--database", "host=::1 dbname=rci", NULL);
    BOTH(c.database == NULL, "--database", "", NULL);
    BOTH(!strcmp(c.data_dir, "/srv/rci"), "--data-dir", "/srv/rci", NULL);
    BOTH(!strcmp(c.tls_cert, cert_path) && !strcmp(c.tls_key, key_path), "--tls-cert",
         cert_path, "--tls-key", key_path, NULL);
    BOTH(!strcmp(c.tls_cert, cert_path) && !strcmp(c.tls_key, key_path), "--tls-key",
         key_path, "--tls-cert", cert_path, NULL);
    BOTH(c.max_message_bytes == 4096, "--max-message-bytes", "4096", NULL);
    BOTH(c.max_message_bytes == 16384, "--max-message-bytes", "16K", NULL);
    BOTH(c.max_message_bytes == 8u << 20, "--max-message-bytes", "8M", NULL);
    BOTH(c.max_message_bytes == 8u << 20, "--max-message-bytes", "8m", NULL);
    BOTH(c.max_message_bytes == 4u << 20, "--max-message-bytes", "4MiB", NULL);
    BOTH(c.max_message_bytes == 4u << 20, "--max-message-bytes", "4MB", NULL);
    BOTH(c.max_message_bytes == 1u << 30, "--max-message-bytes", "1G", NULL);
    BOTH(c.max_concurrent_streams == 1, "--max-concurrent-streams", "1", NULL);
    BOTH(c.max_concurrent_streams == 1000, "--max-concurrent-streams", "1000", NULL);
    BOTH(c.max_header_list_bytes == 8192, "--max-header-list-bytes", "8K", NULL);
    BOTH(c.max_header_list_bytes == 65536, "--max-header-list-bytes", "65536", NULL);
    BOTH(c.idle_timeout_sec == 0, "--idle-timeout", "0", NULL);
    BOTH(c.idle_timeout_sec == 90, "--idle-timeout", "90s", NULL);
    BOTH(c.idle_timeout_sec == 300, "--idle-timeout", "5m", NULL);
    BOTH(c.idle_timeout_sec == 3600, "--idle-timeout", "1h", NULL);
    BOTH(c.read_timeout_sec == 15, "--read-timeout", "15", NULL);
    BOTH(c.shutdown_grace_sec == 30, "--shutdown-grace", "30", NULL);
    BOTH(c.shutdown_grace_sec == 0, "--shutdown-grace", "0", NULL);
    BOTH(c.db_pool_size == 8, "--db-pool-size", "8", NULL);
    BOTH(!strcmp(c.log_level, "debug"), "--log-level", "debug", NULL);
    BOTH(!strcmp(c.log_level, "warn"), "--log-level", "warn", NULL);
    BOTH(!strcmp(c.log_level, "error"), "--log-level", "error", NULL);
    /* the last of a repeated flag wins */
    BOTH(c.threads == 3, "--threads", "3", "--db-pool-size", "4", NULL);
}

static void test_relative_data_dir(void)
{
    rci_config c;
    char err[512], cwd[PATH_MAX], want[PATH_MAX + 16];
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    snprintf(want, sizeof(want), "%s/rel/dir", cwd);
    CHECK(run(&c, err, "--data-dir", "rel/dir", NULL) == RCI_CONFIG_OK);
    CHECK_STR(c.data_dir, want);
    rci_config_free(&c);
}

static void test_bad_values(void)
{
    BAD("--listen", "127.0.0.1", "missing :port");
    BAD("--listen", "127.0.0.1:0", "1 to 65535");
    BAD("--listen", "127.0.0.1:65536", "1 to 65535");
    BAD("--listen", "127.0.0.1:", "1 to 65535");
    BAD("--listen", "127.0.0.1:http", "1 to 65535");
    BAD("--listen", "127.0.0.1:+80", "1 to 65535");
    BAD("--listen", "1.2.3.4:123456", "1 to 65535");
    BAD("--listen", "localhost:50051", "numeric");
    BAD("--listen", "256.1.1.1:50051", "numeric");
    BAD("--listen", ":50051", "numeric");
    BAD("--listen", "::1:50051", "brackets");
    BAD("--listen", "[::1]50051", "[IPv6]:port");
    BAD("--listen", "[::1", "[IPv6]:port");
    BAD("--listen", "[zz::q]:80", "IPv6");
    BAD("--listen", "[127.0.0.1]:80", "IPv6");
    BAD("--listen", "", "non-empty");
    BAD("--admin-listen", "metrics:9464", "numeric");
    BAD("--admin-listen", "127.0.0.1:99999", "1 to 65535");
    BAD("--threads", "0", "out of range");
    BAD("--threads", "1025", "out of range");
    BAD("--threads", "abc", "not a whole number");
    BAD("--threads", "-1", "not a whole number");
    BAD("--threads", "3x", "not a whole number");
    BAD("--threads", " 3", "not a whole number");
    BAD("--threads", "", "not a whole number");
    BAD("--threads", "99999999999999999999999", "out of range");
    BAD("--database", "host=db dbname=rci", "is a name");
    BAD("--database", "host=localhost", "is a name");
    BAD("--database", "host=10.0.0.1,db2", "'db2' is a name");
    BAD("--database", "postgresql://db.example/rci", "is a name");
    BAD("--database", "dbname", "missing \"=\"");
    BAD("--database", "bogus_keyword=1", "bogus_keyword");
    BAD("--data-dir", "", "non-empty");
    BAD("--tls-cert", "/nonexistent/cert.pem", "cannot read");
    BAD("--tls-key", "/nonexistent/key.pem", "cannot read");
    BAD("--max-message-bytes", "4X", "not a size");
    BAD("--max-message-bytes", "4.5M", "not a size");
    BAD("--max-message-bytes", "M", "not a size");
    BAD("--max-message-bytes", "-4M", "not a size");
    BAD("--max-message-bytes", "4MX", "not a size");
    BAD("--max-message-bytes", "512", "out of range");
    BAD("--max-message-bytes", "2G", "out of range");
    BAD("--max-message-bytes", "99999999999999999G", "out of range");
    BAD("--max-concurrent-streams", "0", "out of range");
    BAD("--max-concurrent-streams", "65537", "out of range");
    BAD("--max-concurrent-streams", "1K", "not a whole number");
    BAD("--max-header-list-bytes", "100", "out of range");
    BAD("--max-header-list-bytes", "17M", "out of range");
    BAD("--max-header-list-bytes", "lots", "not a size");
    BAD("--idle-timeout", "1w", "not a duration");
    BAD("--idle-timeout", "5M", "not a duration");
    BAD("--idle-timeout", "604801", "out of range");
    BAD("--read-timeout", "86401", "out of range");
    BAD("--read-timeout", "soon", "not a duration");
    BAD("--shutdown-grace", "3601", "out of range");
    BAD("--shutdown-grace", "1h1m", "not a duration");
    BAD("--db-pool-size", "0", "out of range");
    BAD("--db-pool-size", "101", "out of range");
    BAD("--log-level", "verbose", "debug, info, warn or error");
    BAD("--log-level", "", "non-empty");
}

static void test_secret_not_echoed(void)
{
    rci_config c;
    char err[512];
    CHECK(run(&c, err, "--database", "host=db password=s3cret", NULL) == RCI_CONFIG_ERROR);
    CHECK(contains(err, "--database"));
    CHECK(!contains(err, "s3cret"));
    CHECK(run(&c, err, "--database", "postgresql://u:s3cret@db/x", NULL) == RCI_CONFIG_ERROR);
    CHECK(!contains(err, "s3cret"));
}

static void test_bad_arguments(void)
{
    FAILS("'--bogus'", NULL, "--bogus", NULL);
    FAILS("'--bogus'", NULL, "--bogus=1", NULL);
    FAILS("'--bogus'", NULL, "--threads", "2", "--bogus", NULL);
    FAILS("'extra'", NULL, "extra", NULL);
    FAILS("'-x'", NULL, "-x", NULL);
    FAILS("'--'", NULL, "--", NULL);
    FAILS("--threads needs a value", NULL, "--threads", NULL);
    FAILS("--listen needs a value", NULL, "--listen", "--threads", "2", NULL);
    FAILS("--help takes no value", NULL, "--help=yes", NULL);
    FAILS("--version takes no value", NULL, "--version=1", NULL);
    FAILS("--config", "needs a file name", "--config=", NULL);
    FAILS("--tls-cert and --tls-key", "only --tls-cert", "--tls-cert", cert_path, NULL);
    FAILS("--tls-cert and --tls-key", "only --tls-key", "--tls-key", key_path, NULL);
}

/* Run parse with stdout captured into out (outlen bytes). */
static int run_captured(char *out, size_t outlen, const char *arg)
{
    rci_config c;
    char err[512], path[PATH_MAX];
    int saved, fd, rc;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/stdout", tmpdir);
    fflush(stdout);
    saved = dup(1);
    f = fopen(path, "w+");
    if (saved < 0 || !f)
        return -99;
    fd = fileno(f);
    dup2(fd, 1);
    rc = run(&c, err, arg, "--bogus-after-exit", NULL);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(f);
    n = fread(out, 1, outlen - 1, f);
    out[n] = '\0';
    fclose(f);
    CHECK(c.listen == NULL);
    rci_config_free(&c);
    return rc;
}

static void test_help_version(void)
{
    static const char *flags[] = {
        "--listen", "--admin-listen", "--threads", "--database", "--data-dir", "--tls-cert",
        "--tls-key", "--max-message-bytes", "--max-concurrent-streams",
        "--max-header-list-bytes", "--idle-timeout", "--read-timeout", "--shutdown-grace",
        "--db-pool-size", "--log-level", "--config", "--help", "--version",
        "RCI_DATABASE_URL", "127.0.0.1:50051", "/var/lib/rci", "4M", "16K", "default: 300",
        "default: 128", "default: 60", "default: 10", "default: 2", "default: info"};
    char out[16384];
    size_t longest = 0;

    CHECK(run_captured(out, sizeof(out), "--version") == RCI_CONFIG_EXIT);
    CHECK_STR(out, "rcid 0.1.0\n");
    CHECK(run_captured(out, sizeof(out), "--help") == RCI_CONFIG_EXIT);
    CHECK(strncmp(out, "Usage: rcid", 11) == 0);
    CHECK(run_captured(out, sizeof(out), "-h") == RCI_CONFIG_EXIT);
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        CHECK(contains(out, flags[i]));
        if (!contains(out, flags[i]))
            fprintf(stderr, "  --help lacks %s\n", flags[i]);
    }
    for (char *line = out, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl)
            break;
        if ((size_t)(nl - line) > longest)
            longest = (size_t)(nl - line);
    }
    CHECK(longest < 80);
}

static void test_config_file(void)
{
    rci_config c;
    char err[512];
    char text[2048];
    const char *path;

    snprintf(text, sizeof(text),
             "# rcid settings\n"
             "   # indented comment\n"
             "\n"
             "listen = 127.0.0.2:6000\n"
             "admin-listen=127.0.0.1:9464\n"
             "\tthreads   =   3   \n"
             "database = \"host=/run/postgresql dbname=rci\"\n"
             "max_message_bytes = 8M\n"
             "max-concurrent-streams = 64\n"
             "max-header-list-bytes = 32K\n"
             "idle-timeout = 2m\n"
             "read-timeout = 30\n"
             "shutdown-grace = 5\n"
             "db-pool-size = 4\n"
             "log-level = debug\n"
             "data-dir = /srv/rci\n"
             "tls-cert = %s\n"
             "tls-key = %s\n", cert_path, key_path);
    path = write_file("good.conf", text);
    CHECK(run(&c, err, "--config", path, NULL) == RCI_CONFIG_OK);
    CHECK_STR(c.listen, "127.0.0.2:6000");
    CHECK_STR(c.admin_listen, "127.0.0.1:9464");
    CHECK(c.threads == 3);
    CHECK_STR(c.database, "host=/run/postgresql dbname=rci");
    CHECK(c.max_message_bytes == 8u << 20);
    CHECK(c.max_concurrent_streams == 64);
    CHECK(c.max_header_list_bytes == 32768);
    CHECK(c.idle_timeout_sec == 120);
    CHECK(c.read_timeout_sec == 30);
    CHECK(c.shutdown_grace_sec == 5);
    CHECK(c.db_pool_size == 4);
    CHECK_STR(c.log_level, "debug");
    CHECK_STR(c.data_dir, "/srv/rci");
    CHECK_STR(c.tls_cert, cert_path);
    CHECK_STR(c.tls_key, key_path);
    CHECK_STR(c.config_file, path);
    rci_config_free(&c);

    /* flags win over the file, before or after --config */
    CHECK(run(&c, err, "--threads", "5", "--config", path, "--log-level=warn",
              "--admin-listen=", "--tls-cert=", "--tls-key", "", NULL) == RCI_CONFIG_OK);
    CHECK(c.threads == 5);
    CHECK_STR(c.log_level, "warn");
    CHECK(c.admin_listen == NULL);
    CHECK(c.tls_cert == NULL && c.tls_key == NULL);
    CHECK(c.db_pool_size == 4);
    rci_config_free(&c);

    /* CRLF line endings (a file saved on Windows) */
    path = write_file("crlf.conf", "threads = 2\r\nlog-level = error\r\n");
    CHECK(run(&c, err, "--config", path, NULL) == RCI_CONFIG_OK);
    CHECK(c.threads == 2);
    CHECK_STR(c.log_level, "error");
    rci_config_free(&c);

    /* an empty file changes nothing */
    path = write_file("empty.conf", "");
    CHECK(run(&c, err, "--config", path, NULL) == RCI_CONFIG_OK);
    CHECK_STR(c.listen, "127.0.0.1:50051");
    rci_config_free(&c);
}

static void test_database_precedence(void)
{
    rci_config c;
    char err[512];
    const char *path = write_file("db.conf", "database = host=/file\n");

    setenv("RCI_DATABASE_URL", "host=/env", 1);
    CHECK(run(&c, err, NULL) == RCI_CONFIG_OK);
    CHECK_STR(c.database, "host=/env");
    rci_config_free(&c);
    CHECK(run(&c, err, "--config", path, NULL) == RCI_CONFIG_OK);
    CHECK_STR(c.database, "host=/env");
    rci_config_free(&c);
    CHECK(run(&c, err, "--database", "host=/flag", "--config", path, NULL) == RCI_CONFIG_OK);
    CHECK_STR(c.database, "host=/flag");
    rci_config_free(&c);
    CHECK(run(&c, err, "--database=", NULL) == RCI_CONFIG_OK);
    CHECK(c.database == NULL);
    rci_config_free(&c);

    setenv("RCI_DATABASE_URL", "", 1);
    CHECK(run(&c, err, "--config", path, NULL) == RCI_CONFIG_OK);
    CHECK_STR(c.database, "host=/file");
    rci_config_free(&c);

    setenv("RCI_DATABASE_URL", "host=db.internal", 1);
    FAILS("RCI_DATABASE_URL", "is a name", NULL);
    unsetenv("RCI_DATABASE_URL");
    CHECK(run(&c, err, "--config", path, NULL) == RCI_CONFIG_OK);
    CHECK_STR(c.database, "host=/file");
    rci_config_free(&c);
}

/* A config file with `line` at line 3 must fail naming file:3 and want. */
static void check_file_error(const char *line, const char *want)
{
    rci_config c;
    char err[512], text[512], where[PATH_MAX + 8];
    const char *path;

    snprintf(text, sizeof(text), "# header\nthreads = 2\n%s\nlog-level = info\n", line);
    path = write_file("bad.conf", text);
    snprintf(where, sizeof(where), "%s:3: ", path);
    CHECK(run(&c, err, "--config", path, NULL) == RCI_CONFIG_ERROR);
    CHECK(strncmp(err, where, strlen(where)) == 0);
    CHECK(contains(err, want));
    if (strncmp(err, where, strlen(where)) != 0 || !contains(err, want))
        fprintf(stderr, "  line '%s' gave: %s\n", line, err);
    rci_config_free(&c);
}

static void test_config_file_errors(void)
{
    rci_config c;
    char err[512];

    check_file_error("bogus = 1", "unknown key 'bogus'");
    check_file_error("--threads = 2", "unknown key '--threads'");
    check_file_error("help = 1", "unknown key 'help'");
    check_file_error("version = yes", "unknown key 'version'");
    check_file_error("config = /etc/other.conf", "only be given on the command line");
    check_file_error("threads 4", "expected 'key = value'");
    check_file_error("= 4", "unknown key ''");
    check_file_error("threads = 0", "threads: '0' is out of range");
    check_file_error("threads = 4 # four", "threads: '4 # four' is not a whole number");
    check_file_error("listen =", "listen: needs a non-empty value");
    check_file_error("listen = localhost:1", "listen: 'localhost:1'");
    check_file_error("max-message-bytes = 4Q", "max-message-bytes: '4Q' is not a size");
    check_file_error("idle-timeout = forever", "idle-timeout");
    check_file_error("log-level = loud", "log-level");
    check_file_error("database = host=db", "database: host 'db' is a name");
    check_file_error("tls-key = /nonexistent", "tls-key");

    /* a bad file is an error even when a flag would override the value */
    check_file_error("threads = 0", "threads");
    FAILS("--config", "cannot open", "--config", "/nonexistent/rcid.conf", NULL);
    FAILS("/nonexistent/rcid.conf", "No such file", "--config", "/nonexistent/rcid.conf", NULL);
    FAILS("--config", "cannot", "--config", tmpdir, NULL); /* a directory */

    /* a key in the file that only half of the TLS pair sets */
    CHECK(run(&c, err, "--config", write_file("tls.conf", "tls-cert = /dev/null\n"), NULL)
          == RCI_CONFIG_ERROR);
    CHECK(contains(err, "only --tls-cert"));
    rci_config_free(&c);
}

static void test_data_dir_default(void)
{
    rci_config c;
    char err[512];
    if (geteuid() == 0)
        return; /* root always gets /var/lib/rci (checked in test_defaults) */
    setenv("XDG_DATA_HOME", "/tmp/xdg", 1);
    CHECK(run(&c, err, NULL) == RCI_CONFIG_OK);
    CHECK_STR(c.data_dir, "/tmp/xdg/rci");
    rci_config_free(&c);
    setenv("XDG_DATA_HOME", "relative", 1);
    setenv("HOME", "/home/someone", 1);
    CHECK(run(&c, err, NULL) == RCI_CONFIG_OK);
    CHECK_STR(c.data_dir, "/home/someone/.local/share/rci");
    rci_config_free(&c);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    unsetenv("RCI_DATABASE_URL");
    snprintf(cert_path, sizeof(cert_path), "%s", write_file("cert.pem", "CERT\n"));
    snprintf(key_path, sizeof(key_path), "%s", write_file("key.pem", "KEY\n"));

    test_defaults();
    test_every_flag();
    test_relative_data_dir();
    test_bad_values();
    test_secret_not_echoed();
    test_bad_arguments();
    test_help_version();
    test_config_file();
    test_database_precedence();
    test_config_file_errors();
    test_data_dir_default();

    {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return check_done();
}
