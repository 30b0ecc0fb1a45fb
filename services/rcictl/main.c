/* main.c: rcictl's entry point — global flags, the argument scanner every
 * command uses, connecting, error reporting, and dispatch to the commands.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rcictl/rcictl.h"

#define DEFAULT_SERVER "127.0.0.1:50051"
#define DEFAULT_TIMEOUT_MS 10000

volatile sig_atomic_t rcictl_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    if (rcictl_interrupted)
        _exit(RCICTL_EXIT_INTERRUPTED);   /* second signal: stop now */
    rcictl_interrupted = 1;
}

/* ---- help ------------------------------------------------------------------ */

void rcictl_print_global_help(FILE *out)
{
    fputs("Global flags (before or after the command):\n"
          "  --server ADDR          server as HOST:PORT or [IPV6]:PORT (env RCI_SERVER;\n"
          "                         default " DEFAULT_SERVER ")\n"
          "  --tls                  use TLS (HTTP/2 negotiated with ALPN h2); default is\n"
          "                         cleartext HTTP/2 (h2c)\n"
          "  --ca FILE              trust the PEM CA certificates in FILE (implies --tls;\n"
          "                         default: the system's trust store)\n"
          "  --insecure-skip-verify do not verify the server certificate (implies --tls;\n"
          "                         for tests only)\n"
          "  --server-name NAME     TLS server name (SNI and certificate check); default:\n"
          "                         the host of --server\n"
          "  --token TOKEN          send \"authorization: Bearer TOKEN\" (env RCI_TOKEN)\n"
          "  --timeout SECONDS      deadline of each call and of connecting (default 10;\n"
          "                         fractions allowed)\n"
          "  --format FORMAT        table (default), json or csv\n"
          "  -h, --help             show help\n",
          out);
}

static void print_help(FILE *out)
{
    fputs("rcictl " RCICTL_VERSION " - command-line client of the RCI daemon (rcid)\n"
          "\n"
          "Usage: rcictl [GLOBAL FLAGS] COMMAND [ARGS]\n"
          "\n"
          "Commands:\n"
          "  health [SERVICE] [--watch]   is the server (or SERVICE) serving?\n"
          "  ls [SERVICE]                 list the server's services, or SERVICE's methods\n"
          "                               (server reflection)\n"
          "  regions [--kind KIND] [--circle CODE]\n"
          "                               list regions: province, circles, cities, districts\n"
          "  indicators [--domain D]      list the indicator definitions\n"
          "  agencies [--city CODE] [--domain D]\n"
          "                               list the agencies and their domains\n"
          "  push FILE.csv [--dry-run]    push an agency's values from a CSV file (UTF-8\n"
          "                               or GB18030, as Excel saves it), in batches\n"
          "  query [--indicator CODE] [--region CODE] [--from P] [--to P] [--as-of TIME]\n"
          "                               read values, latest or as of an instant\n"
          "  history INDICATOR REGION PERIOD\n"
          "                               every revision of one value\n"
          "  completeness PERIOD [--agency A] [--city C] [--circle X] [--late|--missing]\n"
          "                               who reported on time, late, or not yet\n"
          "  watch [--city CODE] [--kind KIND] [--after ID]\n"
          "                               print alerts as they are raised; resumes\n"
          "                               across reconnects without loss\n"
          "  air push|calendar|stats|rank daily air quality: push a CSV of daily\n"
          "                               concentrations; AQI calendar, statistics and\n"
          "                               rankings (HJ 633)\n"
          "  water sections|push|status|joint\n"
          "                               river sections, monthly samples (GB 3838-2002),\n"
          "                               a section's year, joint-monitoring comparisons\n"
          "  admin token create|list|revoke, admin audit, admin calendar list|put,\n"
          "  admin lock                   tokens, the audit trail, the working-day\n"
          "                               calendar, period locks (admin token needed)\n"
          "\n"
          "Run `rcictl COMMAND --help` for a command's details.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
    fputs("  --version              print the version\n"
          "\n"
          "Exit status:\n"
          "  0    success\n"
          "  1    the server answered with an error status (printed as\n"
          "       \"rcictl: STATUS_NAME: message\" on stderr)\n"
          "  2    usage error\n"
          "  3    cannot connect (address, TCP, TLS or HTTP/2 failure)\n"
          "  4    health: the server answered, but not SERVING\n"
          "  130  interrupted (SIGINT or SIGTERM)\n",
          out);
}

/* ---- arguments ------------------------------------------------------------- */

enum {
    G_SERVER = 1,
    G_TLS,
    G_CA,
    G_INSECURE,
    G_SERVER_NAME,
    G_TOKEN,
    G_TIMEOUT,
    G_FORMAT,
};

static const rcictl_option global_options[] = {
    {"server", 1, G_SERVER},
    {"tls", 0, G_TLS},
    {"ca", 1, G_CA},
    {"insecure-skip-verify", 0, G_INSECURE},
    {"server-name", 1, G_SERVER_NAME},
    {"token", 1, G_TOKEN},
    {"timeout", 1, G_TIMEOUT},
    {"format", 1, G_FORMAT},
    {NULL, 0, 0},
};

int rcictl_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("rcictl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'rcictl %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
    return RCICTL_EXIT_USAGE;
}

static int parse_timeout(const char *s, int *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 1e6)
        return -1;
    double m = v * 1000.0;
    int whole = (int)m;
    *ms = whole < m ? whole + 1 : whole;       /* round up to whole ms */
    if (*ms < 1)
        *ms = 1;
    return 0;
}

static int apply_global(rcictl *ctx, int id, const char *value)
{
    switch (id) {
    case G_SERVER:
        ctx->server = value;
        break;
    case G_TLS:
        ctx->opt.tls = 1;
        break;
    case G_CA:
        ctx->opt.ca_file = value;
        ctx->opt.tls = 1;
        break;
    case G_INSECURE:
        ctx->opt.insecure = 1;
        ctx->opt.tls = 1;
        break;
    case G_SERVER_NAME:
        ctx->opt.server_name = value;
        break;
    case G_TOKEN:
        ctx->opt.token = *value ? value : NULL;
        break;
    case G_TIMEOUT:
        if (parse_timeout(value, &ctx->timeout_ms) < 0)
            return rcictl_usage_error(NULL, "--timeout wants a positive number of seconds, not \"%s\"",
                                      value);
        ctx->opt.connect_timeout_ms = ctx->timeout_ms;
        break;
    case G_FORMAT:
        if (strcmp(value, "table") == 0)
            ctx->format = RCICTL_FORMAT_TABLE;
        else if (strcmp(value, "json") == 0)
            ctx->format = RCICTL_FORMAT_JSON;
        else if (strcmp(value, "csv") == 0)
            ctx->format = RCICTL_FORMAT_CSV;
        else
            return rcictl_usage_error(NULL, "--format is table, json or csv, not \"%s\"", value);
        break;
    }
    return 0;
}

static const rcictl_option *find_option(const rcictl_option *opts, const char *name, size_t len)
{
    for (; opts && opts->name; opts++)
        if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
            return opts;
    return NULL;
}

int rcictl_next_arg(rcictl *ctx, int argc, char **argv, int *i, const rcictl_option *local,
                    int *id, const char **value)
{
    static int options_ended;
    *value = NULL;
    while (*i < argc) {
        const char *a = argv[(*i)++];
        if (options_ended || a[0] != '-' || a[1] == '\0') {
            *value = a;
            return RCICTL_ARG_POSITIONAL;
        }
        if (strcmp(a, "--") == 0) {
            options_ended = 1;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            *id = RCICTL_OPT_HELP;
            return RCICTL_ARG_OPTION;
        }
        if (a[1] != '-') {
            rcictl_usage_error(NULL, "unknown option %s", a);
            return RCICTL_ARG_ERROR;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const rcictl_option *o = find_option(local, name, len);
        int global = 0;
        if (!o) {
            o = find_option(global_options, name, len);
            global = 1;
        }
        if (!o) {
            rcictl_usage_error(NULL, "unknown option --%.*s", (int)len, name);
            return RCICTL_ARG_ERROR;
        }
        const char *v = NULL;
        if (o->has_arg) {
            if (eq) {
                v = eq + 1;
            } else if (*i < argc) {
                v = argv[(*i)++];
            } else {
                rcictl_usage_error(NULL, "--%s needs a value", o->name);
                return RCICTL_ARG_ERROR;
            }
        } else if (eq) {
            rcictl_usage_error(NULL, "--%s takes no value", o->name);
            return RCICTL_ARG_ERROR;
        }
        if (global) {
            if (apply_global(ctx, o->id, v) != 0)
                return RCICTL_ARG_ERROR;
            continue;
        }
        *id = o->id;
        *value = v;
        return RCICTL_ARG_OPTION;
    }
    return RCICTL_ARG_END;
}

/* ---- connecting and errors -------------------------------------------------- */

rci_client *rcictl_connect(rcictl *ctx, int *exit_code)
{
    if (ctx->client)
        return ctx->client;
    rci_client_status st = RCI_CLIENT_STATUS_INIT;
    ctx->client = rci_client_connect(ctx->server, &ctx->opt, &st);
    if (!ctx->client) {
        if (rcictl_interrupted) {
            *exit_code = RCICTL_EXIT_INTERRUPTED;
        } else {
            rcictl_fail(&st);
            *exit_code = st.code == RCI_INVALID_ARGUMENT ? RCICTL_EXIT_USAGE : RCICTL_EXIT_CONNECT;
        }
    }
    rci_client_status_clear(&st);
    return ctx->client;
}

int rcictl_unary(rcictl *ctx, const char *path, const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *type, ProtobufCMessage **resp)
{
    int rc;
    *resp = NULL;
    rci_client *c = rcictl_connect(ctx, &rc);
    if (!c)
        return rc;
    rci_client_status st = RCI_CLIENT_STATUS_INIT;
    rc = RCICTL_EXIT_OK;
    if (rci_client_unary(c, path, req, type, resp, &st, ctx->timeout_ms) != RCI_OK)
        rc = rcictl_fail(&st);
    rci_client_status_clear(&st);
    return rc;
}

int rcictl_fail(const rci_client_status *st)
{
    if (rcictl_interrupted) {
        fputs("rcictl: interrupted\n", stderr);
        return RCICTL_EXIT_INTERRUPTED;
    }
    fprintf(stderr, "rcictl: %s: ", rci_status_name(st->code));
    rcictl_put_safe(stderr, st->message && *st->message ? st->message : "(no message)", 1);
    fputc('\n', stderr);
    return RCICTL_EXIT_RPC;
}

/* ---- main -------------------------------------------------------------------- */

static const struct {
    const char *name;
    int (*run)(rcictl *ctx, int argc, char **argv);
} commands[] = {
    {"health", rcictl_cmd_health},
    {"ls", rcictl_cmd_ls},
    {"regions", rcictl_cmd_regions},
    {"admin", rcictl_cmd_admin},
    {"push", rcictl_cmd_push},
    {"query", rcictl_cmd_query},
    {"history", rcictl_cmd_history},
    {"indicators", rcictl_cmd_indicators},
    {"agencies", rcictl_cmd_agencies},
    {"completeness", rcictl_cmd_completeness},
    {"watch", rcictl_cmd_watch},
    {"air", rcictl_cmd_air},
    {"water", rcictl_cmd_water},
};

int main(int argc, char **argv)
{
    rcictl ctx = {0};
    ctx.server = getenv("RCI_SERVER");
    if (!ctx.server || !*ctx.server)
        ctx.server = DEFAULT_SERVER;
    const char *token = getenv("RCI_TOKEN");
    ctx.opt.token = token && *token ? token : NULL;
    ctx.timeout_ms = DEFAULT_TIMEOUT_MS;
    ctx.opt.connect_timeout_ms = DEFAULT_TIMEOUT_MS;
    ctx.opt.user_agent = "rcictl/" RCICTL_VERSION;
    ctx.opt.interrupt = &rcictl_interrupted;
    ctx.format = RCICTL_FORMAT_TABLE;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;     /* no SA_RESTART: poll() must return */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);      /* a closed stdout is an error, not a kill */

    /* Global flags up to the command. */
    int i = 1;
    const char *cmd = NULL;
    static const rcictl_option top[] = {{"version", 0, 1}, {NULL, 0, 0}};
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(&ctx, argc, argv, &i, top, &id, &value);
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_POSITIONAL) {
            cmd = value;
            break;
        }
        if (id == RCICTL_OPT_HELP) {
            print_help(stdout);
            return RCICTL_EXIT_OK;
        }
        printf("rcictl %s\n", RCICTL_VERSION);
        return RCICTL_EXIT_OK;
    }
    if (!cmd) {
        print_help(stderr);
        return RCICTL_EXIT_USAGE;
    }
    if (strcmp(cmd, "help") == 0) {
        print_help(stdout);
        return RCICTL_EXIT_OK;
    }
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        if (strcmp(cmd, commands[k].name) != 0)
            continue;
        /* The command sees argv from its own name on. */
        int rc = commands[k].run(&ctx, argc - (i - 1), argv + (i - 1));
        rci_client_close(ctx.client);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            if (rc == RCICTL_EXIT_OK)
                fprintf(stderr, "rcictl: writing the output: %s\n", strerror(errno));
            return rc == RCICTL_EXIT_OK ? RCICTL_EXIT_RPC : rc;
        }
        return rc;
    }
    return rcictl_usage_error(NULL, "unknown command \"%s\"", cmd);
}
