/* config.c: rcid's settings — defaults, command-line flags, config file.
 *
 * Owns: the table of settings (one row per flag: name, value syntax, field,
 * range, help line), the defaults of DESIGN §6, reading `key = value` files,
 * RCI_DATABASE_URL, `--flag VALUE` / `--flag=VALUE` parsing, validation of
 * every value, and the --help text. Nothing here touches the network or the
 * database: it turns argv, one file and the environment into an rci_config,
 * or into one error message that names the flag (or file:line) at fault.
 *
 * Precedence, lowest to highest: defaults, the --config file,
 * RCI_DATABASE_URL, the other command-line flags. argv is therefore read
 * twice: once to find --config, --help and --version and to reject unknown
 * arguments, and once, after the file and the environment, to apply flags.
 */
#include "platform/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#define CFG_DEFAULT_LISTEN "127.0.0.1:50051"
#define CFG_ROOT_DATA_DIR "/var/lib/rci"
#define CFG_ENV_DATABASE "RCI_DATABASE_URL"

/* How a value is written and which field type it lands in. */
typedef enum cfg_kind {
    CFG_PATH,     /* char *: a path, made absolute */
    CFG_FILE,     /* char *: a readable file */
    CFG_ADDR,     /* char *: IPv4:port or [IPv6]:port */
    CFG_CONNINFO, /* char *: libpq conninfo or URL */
    CFG_LEVEL,    /* char *: debug, info, warn, error */
    CFG_INT,      /* int: a whole number */
    CFG_SECONDS,  /* int: seconds, or with s/m/h suffix */
    CFG_COUNT32,  /* uint32_t: a whole number */
    CFG_SIZE,     /* size_t: bytes, or with K/M/G suffix */
    CFG_SIZE32,   /* uint32_t: bytes, or with K/M/G suffix */
    CFG_CONFIG,   /* --config: command line only */
    CFG_HELP,     /* --help: no value */
    CFG_VERSION   /* --version: no value */
} cfg_kind;

#define CFG_NULLABLE 1 /* an empty value resets the field to NULL (off) */

typedef struct cfg_opt {
    const char *name;    /* flag without dashes, also the file key */
    const char *metavar; /* shown in --help; NULL for switches */
    cfg_kind kind;
    size_t offset;       /* field in rci_config */
    long long min, max;  /* range of numeric kinds */
    int flags;
    const char *help;
    const char *def;     /* default shown in --help; NULL = computed */
} cfg_opt;

#define F(field) offsetof(rci_config, field)

static const cfg_opt cfg_opts[] = {
    {"listen", "ADDR", CFG_ADDR, F(listen), 0, 0, 0,
     "gRPC address: IPv4:port or [IPv6]:port", CFG_DEFAULT_LISTEN},
    {"admin-listen", "ADDR", CFG_ADDR, F(admin_listen), 0, 0, CFG_NULLABLE,
     "HTTP address of GET /metrics and /healthz", "off"},
    {"threads", "N", CFG_INT, F(threads), 1, 1024, 0,
     "event loops, one per core (1-1024)", NULL},
    {"database", "CONNINFO", CFG_CONNINFO, F(database), 0, 0, CFG_NULLABLE,
     "PostgreSQL conninfo or URL; a host must be\n"
     "an IP address or a socket directory", NULL},
    {"data-dir", "DIR", CFG_PATH, F(data_dir), 0, 0, 0,
     "the embedded cluster lives in DIR/pg", NULL},
    {"tls-cert", "FILE", CFG_FILE, F(tls_cert), 0, 0, CFG_NULLABLE,
     "PEM certificate chain; with --tls-key the\n"
     "gRPC port speaks TLS (ALPN h2) only", "off (h2c)"},
    {"tls-key", "FILE", CFG_FILE, F(tls_key), 0, 0, CFG_NULLABLE,
     "PEM private key for --tls-cert", "off"},
    {"max-message-bytes", "SIZE", CFG_SIZE, F(max_message_bytes), 1024, 1LL << 30, 0,
     "largest request message (1K-1G); a larger\n"
     "one gets RESOURCE_EXHAUSTED", "4M"},
    {"max-concurrent-streams", "N", CFG_COUNT32, F(max_concurrent_streams), 1, 65536, 0,
     "open calls per connection (1-65536)", "128"},
    {"max-header-list-bytes", "SIZE", CFG_SIZE32, F(max_header_list_bytes), 1024, 1LL << 24, 0,
     "largest request header block (1K-16M)", "16K"},
    {"idle-timeout", "SECONDS", CFG_SECONDS, F(idle_timeout_sec), 0, 7 * 86400, 0,
     "GOAWAY a connection without calls after\n"
     "this long; 0 = never", "300"},
    {"read-timeout", "SECONDS", CFG_SECONDS, F(read_timeout_sec), 0, 86400, 0,
     "close a connection whose open calls have\n"
     "sent nothing for this long; 0 = never", "60"},
    {"shutdown-grace", "SECONDS", CFG_SECONDS, F(shutdown_grace_sec), 0, 3600, 0,
     "on SIGTERM, time in-flight calls get to finish", "10"},
    {"db-pool-size", "N", CFG_INT, F(db_pool_size), 1, 100, 0,
     "PostgreSQL connections per event loop (1-100)", "2"},
    {"log-level", "LEVEL", CFG_LEVEL, F(log_level), 0, 0, 0,
     "debug, info, warn or error", "info"},
    {"config", "FILE", CFG_CONFIG, F(config_file), 0, 0, 0,
     "read settings from FILE (`key = value`\n"
     "lines); command-line flags win over it", "none"},
    {"help", NULL, CFG_HELP, 0, 0, 0, 0, "print this help and exit", NULL},
    {"version", NULL, CFG_VERSION, 0, 0, 0, 0, "print \"rcid " RCI_VERSION "\" and exit", NULL},
};

#define CFG_NOPTS (sizeof(cfg_opts) / sizeof(cfg_opts[0]))

/* ---- small helpers ------------------------------------------------------ */

/* Write a formatted message into err; always returns RCI_CONFIG_ERROR. */
__attribute__((format(printf, 3, 4)))
static int cfg_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return RCI_CONFIG_ERROR;
}

/* The option called name (no dashes; '_' matches '-'), or NULL. namelen
 * bytes of name are compared, so "threads=4" can be looked up in place. */
static const cfg_opt *cfg_find(const char *name, size_t namelen)
{
    for (size_t i = 0; i < CFG_NOPTS; i++) {
        const char *o = cfg_opts[i].name;
        size_t k = 0;
        while (k < namelen && o[k] &&
               (o[k] == name[k] || (o[k] == '-' && name[k] == '_')))
            k++;
        if (k == namelen && o[k] == '\0')
            return &cfg_opts[i];
    }
    return NULL;
}

static char **cfg_str_field(rci_config *cfg, const cfg_opt *o)
{
    return (char **)((char *)cfg + o->offset);
}

/* Replace a string field with a copy of val (NULL clears it). Returns 0, or
 * -1 when out of memory. */
static int cfg_set_str(char **field, const char *val)
{
    char *copy = NULL;
    if (val && !(copy = strdup(val)))
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

/* ---- value syntax ------------------------------------------------------- */

/* Parse a whole decimal number with an optional suffix from units (e.g.
 * "KMG" or "smh"), multiplied by mult[suffix]. Returns 0 and *out, or -1
 * for bad syntax, -2 for overflow. A suffix may be followed by "iB"/"B" when
 * units are sizes. */
static int cfg_number(const char *s, const char *units, const long long *mult,
                      int sizes, long long *out)
{
    const char *p = s;
    long long v = 0;
    if (!isdigit((unsigned char)*p))
        return -1;
    for (; isdigit((unsigned char)*p); p++) {
        if (v > (LLONG_MAX - 9) / 10)
            return -2;
        v = v * 10 + (*p - '0');
    }
    if (*p) {
        const char *u = strchr(units, toupper((unsigned char)*p));
        if (!u || !*u)
            u = strchr(units, *p);
        if (!u || !*u)
            return -1;
        p++;
        if (sizes && (strcmp(p, "iB") == 0 || strcmp(p, "B") == 0))
            p += strlen(p);
        if (*p)
            return -1;
        if (v > LLONG_MAX / mult[u - units])
            return -2;
        v *= mult[u - units];
    }
    *out = v;
    return 0;
}

static int cfg_parse_size(const char *s, long long *out)
{
    static const long long mult[] = {1LL << 10, 1LL << 20, 1LL << 30};
    return cfg_number(s, "KMG", mult, 1, out);
}

static int cfg_parse_seconds(const char *s, long long *out)
{
    static const long long mult[] = {1, 60, 3600};
    return cfg_number(s, "smh", mult, 0, out);
}

/* Check a port string: digits only, 1-65535. */
static int cfg_port_ok(const char *p)
{
    long v = 0;
    if (!*p || strlen(p) > 5)
        return 0;
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return 0;
        v = v * 10 + (*p - '0');
    }
    return v >= 1 && v <= 65535;
}

/* Check "IPv4:port" or "[IPv6]:port" (numeric hosts only: the listener does
 * not resolve names). Returns NULL when valid, else the reason. */
static const char *cfg_addr_problem(const char *s)
{
    char host[INET6_ADDRSTRLEN + 1];
    unsigned char buf[sizeof(struct in6_addr)];
    const char *port;
    size_t hlen;
    int family = AF_INET;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return "want [IPv6]:port";
        hlen = (size_t)(close - s - 1);
        s++;
        port = close + 2;
        family = AF_INET6;
    } else {
        const char *colon = strrchr(s, ':');
        if (!colon)
            return "missing :port";
        if (memchr(s, ':', (size_t)(colon - s)))
            return "put an IPv6 address in brackets: [::1]:50051";
        hlen = (size_t)(colon - s);
        port = colon + 1;
    }
    if (hlen == 0 || hlen >= sizeof(host))
        return "the host must be a numeric IP address";
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    if (inet_pton(family, host, buf) != 1)
        return family == AF_INET ? "the host must be a numeric IPv4 address "
                                   "(or [IPv6]); names are not resolved"
                                 : "not a valid IPv6 address";
    if (!cfg_port_ok(port))
        return "the port must be a number from 1 to 65535";
    return NULL;
}

/* Is one comma-separated libpq host entry acceptable without hostaddr? A
 * socket directory or a numeric address is; a name is not, because
 * resolving it would block the event loop (store.h). */
static int cfg_pghost_ok(const char *h, size_t len)
{
    char buf[INET6_ADDRSTRLEN + 1];
    unsigned char addr[sizeof(struct in6_addr)];
    if (len == 0 || h[0] == '/' || h[0] == '@')
        return 1;
    if (len >= sizeof(buf))
        return 0;
    memcpy(buf, h, len);
    buf[len] = '\0';
    return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

/* Check a libpq connection string or URL. Returns NULL when valid, else
 * the reason in why (why must hold whylen bytes). */
static const char *cfg_conninfo_problem(const char *s, char *why, size_t whylen)
{
    char *perr = NULL;
    const char *host = NULL, *hostaddr = NULL;
    PQconninfoOption *opts = PQconninfoParse(s, &perr);

    if (!opts) {
        snprintf(why, whylen, "%s", perr ? perr : "out of memory");
        if (why[0] && why[strlen(why) - 1] == '\n')
            why[strlen(why) - 1] = '\0';
        PQfreemem(perr);
        return why;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (o->val && strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (o->val && strcmp(o->keyword, "hostaddr") == 0 && o->val[0])
            hostaddr = o->val;
    }
    why[0] = '\0';
    for (const char *h = host; h && !hostaddr && !why[0];) {
        size_t len = strcspn(h, ",");
        if (!cfg_pghost_ok(h, len))
            snprintf(why, whylen, "host '%.*s' is a name; rcid never waits on DNS: "
                     "give its IP address (host=IP or hostaddr=IP) or a Unix "
                     "socket directory", (int)len, h);
        h = h[len] ? h + len + 1 : NULL;
    }
    PQconninfoFree(opts);
    return why[0] ? why : NULL;
}

/* "dir/name" in a malloc'd string, or NULL when out of memory. */
static char *cfg_join(const char *dir, const char *name)
{
    char *out;
    if (asprintf(&out, "%s/%s", dir, name) < 0)
        return NULL;
    return out;
}

/* Make path absolute against the working directory. Returns a malloc'd
 * string, or NULL when out of memory or the cwd is unknown. */
static char *cfg_absolute(const char *path)
{
    char cwd[PATH_MAX];
    if (path[0] == '/')
        return strdup(path);
    if (!getcwd(cwd, sizeof(cwd)))
        return NULL;
    return cfg_join(cwd, path);
}

/* ---- applying one value ------------------------------------------------- */

/* Store a number already range-checked into the field of o. */
static void cfg_store_number(rci_config *cfg, const cfg_opt *o, long long v)
{
    void *field = (char *)cfg + o->offset;
    switch (o->kind) {
    case CFG_SIZE: *(size_t *)field = (size_t)v; break;
    case CFG_COUNT32:
    case CFG_SIZE32: *(uint32_t *)field = (uint32_t)v; break;
    default: *(int *)field = (int)v; break;
    }
}

/* Parse, range-check and store a numeric value. where names the flag or
 * file line for the message. */
static int cfg_apply_number(rci_config *cfg, const cfg_opt *o, const char *val,
                            const char *where, char *err, size_t errlen)
{
    long long v;
    int rc;
    const char *syntax;

    if (o->kind == CFG_SIZE || o->kind == CFG_SIZE32) {
        rc = cfg_parse_size(val, &v);
        syntax = "not a size (bytes, or a whole number with K, M or G: 4M)";
    } else if (o->kind == CFG_SECONDS) {
        rc = cfg_parse_seconds(val, &v);
        syntax = "not a duration (whole seconds, or with s, m or h: 90s, 5m)";
    } else {
        rc = cfg_number(val, "", NULL, 0, &v);
        syntax = "not a whole number";
    }
    if (rc == -1)
        return cfg_fail(err, errlen, "%s: '%s' is %s", where, val, syntax);
    if (rc == -2 || v < o->min || v > o->max)
        return cfg_fail(err, errlen, "%s: '%s' is out of range (%lld to %lld)",
                        where, val, o->min, o->max);
    cfg_store_number(cfg, o, v);
    return RCI_CONFIG_OK;
}

/* Check a string value of o; returns NULL when acceptable, else why. */
static const char *cfg_string_problem(const cfg_opt *o, const char *val,
                                      char *why, size_t whylen)
{
    switch (o->kind) {
    case CFG_ADDR:
        return cfg_addr_problem(val);
    case CFG_CONNINFO:
        return cfg_conninfo_problem(val, why, whylen);
    case CFG_LEVEL:
        if (strcmp(val, "debug") && strcmp(val, "info") && strcmp(val, "warn") &&
            strcmp(val, "error"))
            return "want debug, info, warn or error";
        return NULL;
    case CFG_FILE:
        if (access(val, R_OK) != 0) {
            snprintf(why, whylen, "cannot read it: %s", strerror(errno));
            return why;
        }
        return NULL;
    default:
        return NULL;
    }
}

/* Validate and store a string value (CFG_PATH values made absolute). */
static int cfg_apply_string(rci_config *cfg, const cfg_opt *o, const char *val,
                            const char *where, char *err, size_t errlen)
{
    char why[256];
    char **field = cfg_str_field(cfg, o);
    const char *problem;

    if (val[0] == '\0') {
        if (!(o->flags & CFG_NULLABLE))
            return cfg_fail(err, errlen, "%s: needs a non-empty value", where);
        cfg_set_str(field, NULL);
        return RCI_CONFIG_OK;
    }
    /* A connection string may hold a password: never echo it. */
    if ((problem = cfg_string_problem(o, val, why, sizeof(why))))
        return o->kind == CFG_CONNINFO
                   ? cfg_fail(err, errlen, "%s: %s", where, problem)
                   : cfg_fail(err, errlen, "%s: '%s': %s", where, val, problem);
    if (o->kind == CFG_PATH) {
        char *abs = cfg_absolute(val);
        if (!abs)
            return cfg_fail(err, errlen, "%s: cannot make '%s' absolute", where, val);
        free(*field);
        *field = abs;
        return RCI_CONFIG_OK;
    }
    if (cfg_set_str(field, val) < 0)
        return cfg_fail(err, errlen, "%s: out of memory", where);
    return RCI_CONFIG_OK;
}

/* Apply one setting. where ("--threads", "rcid.conf:3: threads") prefixes
 * any error message. */
static int cfg_apply(rci_config *cfg, const cfg_opt *o, const char *val,
                     const char *where, char *err, size_t errlen)
{
    switch (o->kind) {
    case CFG_INT:
    case CFG_SECONDS:
    case CFG_COUNT32:
    case CFG_SIZE:
    case CFG_SIZE32:
        return cfg_apply_number(cfg, o, val, where, err, errlen);
    case CFG_HELP:
    case CFG_VERSION:
        return RCI_CONFIG_OK;
    default:
        return cfg_apply_string(cfg, o, val, where, err, errlen);
    }
}

/* ---- defaults ----------------------------------------------------------- */

/* Pass s through; when it is NULL, say "out of memory" in err. */
static char *cfg_dup_or_fail(char *s, char *err, size_t errlen)
{
    if (!s)
        cfg_fail(err, errlen, "out of memory");
    return s;
}

/* The default data directory (DESIGN §6), malloc'd; NULL with a message. */
static char *cfg_default_data_dir(char *err, size_t errlen)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");

    if (geteuid() == 0)
        return cfg_dup_or_fail(strdup(CFG_ROOT_DATA_DIR), err, errlen);
    if (xdg && xdg[0] == '/')
        return cfg_dup_or_fail(cfg_join(xdg, "rci"), err, errlen);
    if (!home || home[0] != '/') {
        struct passwd *pw = getpwuid(geteuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home || home[0] != '/') {
        cfg_fail(err, errlen, "no home directory for the default data dir: "
                 "pass --data-dir");
        return NULL;
    }
    return cfg_dup_or_fail(cfg_join(home, ".local/share/rci"), err, errlen);
}

static int cfg_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

/* Fill cfg with the defaults of DESIGN §6. */
static int cfg_defaults(rci_config *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->threads = cfg_default_threads();
    cfg->max_message_bytes = 4u << 20;
    cfg->max_concurrent_streams = 128;
    cfg->max_header_list_bytes = 16u << 10;
    cfg->idle_timeout_sec = 300;
    cfg->read_timeout_sec = 60;
    cfg->shutdown_grace_sec = 10;
    cfg->db_pool_size = 2;
    if (!(cfg->listen = strdup(CFG_DEFAULT_LISTEN)) || !(cfg->log_level = strdup("info")))
        return cfg_fail(err, errlen, "out of memory");
    if (!(cfg->data_dir = cfg_default_data_dir(err, errlen)))
        return RCI_CONFIG_ERROR;
    return RCI_CONFIG_OK;
}

/* ---- config file -------------------------------------------------------- */

/* Trim spaces at both ends in place; returns the new start. */
static char *cfg_trim(char *s)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* Apply one line of a config file ("key = value", comment or blank). */
static int cfg_file_line(rci_config *cfg, const char *path, int lineno, char *line,
                         char *err, size_t errlen)
{
    char where[PATH_MAX + 96];
    char *eq, *key, *val;
    const cfg_opt *o;
    size_t vlen;

    line = cfg_trim(line);
    if (line[0] == '\0' || line[0] == '#')
        return RCI_CONFIG_OK;
    if (!(eq = strchr(line, '=')))
        return cfg_fail(err, errlen, "%s:%d: expected 'key = value', got '%s'",
                        path, lineno, line);
    *eq = '\0';
    key = cfg_trim(line);
    val = cfg_trim(eq + 1);
    vlen = strlen(val);
    if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
        val[vlen - 1] = '\0';
        val++;
    }
    o = cfg_find(key, strlen(key));
    if (!o || o->kind == CFG_HELP || o->kind == CFG_VERSION)
        return cfg_fail(err, errlen, "%s:%d: unknown key '%s'", path, lineno, key);
    if (o->kind == CFG_CONFIG)
        return cfg_fail(err, errlen, "%s:%d: 'config' can only be given on the "
                        "command line", path, lineno);
    snprintf(where, sizeof(where), "%s:%d: %s", path, lineno, o->name);
    return cfg_apply(cfg, o, val, where, err, errlen);
}

/* Read every line of the config file at path into cfg. */
static int cfg_load_file(rci_config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = RCI_CONFIG_OK;

    if (!f)
        return cfg_fail(err, errlen, "--config: cannot open '%s': %s", path,
                        strerror(errno));
    while (rc == RCI_CONFIG_OK && getline(&line, &cap, f) >= 0)
        rc = cfg_file_line(cfg, path, ++lineno, line, err, errlen);
    if (rc == RCI_CONFIG_OK && ferror(f))
        rc = cfg_fail(err, errlen, "--config: cannot read '%s': %s", path,
                      strerror(errno));
    free(line);
    fclose(f);
    return rc;
}

/* ---- command line ------------------------------------------------------- */

/* Decode argv[*i] (and its value, which may be argv[*i + 1]) into *opt and
 * *val, advancing *i past what was used. Switches get val = NULL. */
static int cfg_next_arg(int argc, char **argv, int *i, const cfg_opt **opt,
                        const char **val, char *err, size_t errlen)
{
    const char *arg = argv[*i], *name, *eq;
    const cfg_opt *o;

    if (strcmp(arg, "-h") == 0)
        arg = "--help";
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
        return cfg_fail(err, errlen, "unexpected argument '%s' (see --help)", arg);
    name = arg + 2;
    eq = strchr(name, '=');
    o = cfg_find(name, eq ? (size_t)(eq - name) : strlen(name));
    if (!o)
        return cfg_fail(err, errlen, "unknown option '%.*s' (see --help)",
                        eq ? (int)(eq - arg) : (int)strlen(arg), arg);
    (*i)++;
    *opt = o;
    *val = eq ? eq + 1 : NULL;
    if (o->kind == CFG_HELP || o->kind == CFG_VERSION)
        return eq ? cfg_fail(err, errlen, "--%s takes no value", o->name) : RCI_CONFIG_OK;
    if (eq)
        return RCI_CONFIG_OK;
    if (*i >= argc || strncmp(argv[*i], "--", 2) == 0)
        return cfg_fail(err, errlen, "--%s needs a value (--%s %s)", o->name,
                        o->name, o->metavar);
    *val = argv[(*i)++];
    return RCI_CONFIG_OK;
}

/* First pass: reject unknown arguments, find --config, and act on --help or
 * --version (RCI_CONFIG_EXIT). */
static int cfg_scan_args(int argc, char **argv, const char **config_path,
                         char *err, size_t errlen)
{
    const cfg_opt *o;
    const char *val;

    *config_path = NULL;
    for (int i = 1; i < argc;) {
        if (cfg_next_arg(argc, argv, &i, &o, &val, err, errlen) != RCI_CONFIG_OK)
            return RCI_CONFIG_ERROR;
        if (o->kind == CFG_HELP) {
            rci_config_usage(stdout);
            return RCI_CONFIG_EXIT;
        }
        if (o->kind == CFG_VERSION) {
            printf("rcid %s\n", RCI_VERSION);
            return RCI_CONFIG_EXIT;
        }
        if (o->kind == CFG_CONFIG)
            *config_path = val;
    }
    if (*config_path && !(*config_path)[0])
        return cfg_fail(err, errlen, "--config: needs a file name");
    return RCI_CONFIG_OK;
}

/* Second pass: apply every flag except --config, in order (last wins). */
static int cfg_apply_args(rci_config *cfg, int argc, char **argv, char *err,
                          size_t errlen)
{
    const cfg_opt *o;
    const char *val;
    char where[64];

    for (int i = 1; i < argc;) {
        if (cfg_next_arg(argc, argv, &i, &o, &val, err, errlen) != RCI_CONFIG_OK)
            return RCI_CONFIG_ERROR;
        if (o->kind == CFG_CONFIG)
            continue;
        snprintf(where, sizeof(where), "--%s", o->name);
        if (cfg_apply(cfg, o, val, where, err, errlen) != RCI_CONFIG_OK)
            return RCI_CONFIG_ERROR;
    }
    return RCI_CONFIG_OK;
}

/* RCI_DATABASE_URL, when set and non-empty, overrides the config file. */
static int cfg_apply_env(rci_config *cfg, char *err, size_t errlen)
{
    const char *url = getenv(CFG_ENV_DATABASE);
    if (!url || !url[0])
        return RCI_CONFIG_OK;
    return cfg_apply(cfg, cfg_find("database", 8), url, CFG_ENV_DATABASE, err, errlen);
}

/* Checks that span settings: the TLS pair. */
static int cfg_check(const rci_config *cfg, char *err, size_t errlen)
{
    if (!cfg->tls_cert != !cfg->tls_key)
        return cfg_fail(err, errlen, "--tls-cert and --tls-key go together: "
                        "only --%s is set", cfg->tls_cert ? "tls-cert" : "tls-key");
    return RCI_CONFIG_OK;
}

/* ---- public API --------------------------------------------------------- */

/* Read the config file at path (from --config) into cfg. */
static int cfg_apply_file(rci_config *cfg, const char *path, char *err, size_t errlen)
{
    if (!path)
        return RCI_CONFIG_OK;
    if (cfg_set_str(&cfg->config_file, path) < 0)
        return cfg_fail(err, errlen, "out of memory");
    return cfg_load_file(cfg, path, err, errlen);
}

/* See config.h. On RCI_CONFIG_EXIT and RCI_CONFIG_ERROR cfg holds nothing
 * (every pointer NULL); calling rci_config_free on it is still safe. */
int rci_config_parse(rci_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    const char *config_path = NULL;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    rc = cfg_defaults(cfg, err, errlen);
    if (rc == RCI_CONFIG_OK)
        rc = cfg_scan_args(argc, argv, &config_path, err, errlen);
    if (rc == RCI_CONFIG_OK)
        rc = cfg_apply_file(cfg, config_path, err, errlen);
    if (rc == RCI_CONFIG_OK)
        rc = cfg_apply_env(cfg, err, errlen);
    if (rc == RCI_CONFIG_OK)
        rc = cfg_apply_args(cfg, argc, argv, err, errlen);
    if (rc == RCI_CONFIG_OK)
        rc = cfg_check(cfg, err, errlen);
    if (rc != RCI_CONFIG_OK)
        rci_config_free(cfg);
    return rc;
}

/* The default of o as shown by --help (buf holds computed ones). */
static const char *cfg_usage_default(const cfg_opt *o, char *buf, size_t len)
{
    if (o->def)
        return o->def;
    if (strcmp(o->name, "threads") == 0)
        snprintf(buf, len, "online CPU cores (%d here)", cfg_default_threads());
    else if (o->kind == CFG_CONNINFO)
        snprintf(buf, len, CFG_ENV_DATABASE ", else the embedded\ncluster in --data-dir");
    else if (o->kind == CFG_PATH)
        snprintf(buf, len, CFG_ROOT_DATA_DIR " as root, else\n$XDG_DATA_HOME/rci, "
                 "else\n~/.local/share/rci");
    else
        return NULL;
    return buf;
}

#define CFG_USAGE_COL 30 /* help text starts after "  " + this many */

/* Print text beside label; each '\n' in text starts a line in the same
 * column. */
static void cfg_usage_text(FILE *out, const char *label, const char *prefix,
                           const char *text)
{
    while (text) {
        const char *nl = strchr(text, '\n');
        int len = nl ? (int)(nl - text) : (int)strlen(text);
        fprintf(out, "  %-*s %s%.*s\n", CFG_USAGE_COL - 1, label, prefix, len, text);
        label = "";
        prefix = *prefix ? "         " : "";
        text = nl ? nl + 1 : NULL;
    }
}

/* See config.h: the --help text, every line under 80 columns. */
void rci_config_usage(FILE *out)
{
    char spec[64], def[160];

    fputs("Usage: rcid [OPTION]...\n\n"
          "rcid is the Regional Cooperation Indicators daemon. It serves the rci.v1\n"
          "gRPC API, grpc.health.v1 and server reflection over HTTP/2 (h2c, or TLS\n"
          "with ALPN h2) and keeps every indicator in PostgreSQL. Without --database\n"
          "or RCI_DATABASE_URL it runs a private PostgreSQL cluster in --data-dir,\n"
          "reachable only through a Unix socket, so one command starts a working\n"
          "service. Settings come from, lowest to highest: defaults, the --config\n"
          "file, RCI_DATABASE_URL, command-line flags.\n\n"
          "Options (--flag VALUE or --flag=VALUE; in a config file `flag = value`):\n",
          out);
    for (size_t i = 0; i < CFG_NOPTS; i++) {
        const cfg_opt *o = &cfg_opts[i];
        const char *d = cfg_usage_default(o, def, sizeof(def));
        snprintf(spec, sizeof(spec), "--%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
        cfg_usage_text(out, spec, "", o->help);
        if (d)
            cfg_usage_text(out, "", "default: ", d);
    }
    fputs("\nValues: SIZE is bytes or a whole number with K, M or G (KiB units:\n"
          "4M = 4194304); SECONDS may end in s, m or h (5m); an empty value for\n"
          "--admin-listen, --database, --tls-cert or --tls-key turns it off.\n\n"
          "Environment:\n"
          , out);
    cfg_usage_text(out, "RCI_DATABASE_URL", "", "PostgreSQL conninfo or URL, as --database;\n"
                   "overrides the config file, not the flag");
}

/* See config.h. Frees every string and leaves them NULL; safe to repeat. */
void rci_config_free(rci_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < CFG_NOPTS; i++) {
        switch (cfg_opts[i].kind) {
        case CFG_PATH: case CFG_FILE: case CFG_ADDR:
        case CFG_CONNINFO: case CFG_LEVEL: case CFG_CONFIG:
            cfg_set_str(cfg_str_field(cfg, &cfg_opts[i]), NULL);
            break;
        default:
            break;
        }
    }
}
