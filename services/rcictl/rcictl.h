/* rcictl.h: what the rcictl commands share — the global settings, the
 * argument scanner, connecting, error reporting, and the output writers
 * (aligned tables that count Chinese characters as two columns, JSON, CSV).
 *
 * Each command lives in its own file (cmd_health.c, cmd_ls.c,
 * cmd_regions.c) as one function `int rcictl_cmd_NAME(rcictl *ctx, int argc,
 * char **argv)` that returns the process exit status; main.c parses the
 * global flags and dispatches.
 */
#ifndef RCICTL_H
#define RCICTL_H

#include <signal.h>
#include <stdio.h>
#include "client/client.h"
#include "google/protobuf/timestamp.pb-c.h"

#define RCICTL_VERSION RCI_VERSION /* from CMake: project(rci VERSION …) */

/* Exit statuses (documented in `rcictl --help`). */
enum {
    RCICTL_EXIT_OK = 0,
    RCICTL_EXIT_RPC = 1,          /* the server answered with an error status */
    RCICTL_EXIT_USAGE = 2,        /* bad command line */
    RCICTL_EXIT_CONNECT = 3,      /* cannot connect (TCP, TLS, HTTP/2) */
    RCICTL_EXIT_NOT_SERVING = 4,  /* health: answered, but not SERVING */
    RCICTL_EXIT_INTERRUPTED = 130 /* SIGINT / SIGTERM */
};

typedef enum rcictl_format {
    RCICTL_FORMAT_TABLE,
    RCICTL_FORMAT_JSON,
    RCICTL_FORMAT_CSV
} rcictl_format;

typedef struct rcictl {
    const char *server;          /* --server, RCI_SERVER, or 127.0.0.1:50051 */
    rci_client_options opt;      /* tls, ca, token, ... */
    int timeout_ms;              /* --timeout, per call */
    rcictl_format format;
    rci_client *client;          /* set by rcictl_connect, closed by main */
} rcictl;

/* Set by SIGINT/SIGTERM; the client library stops waiting when it is set. */
extern volatile sig_atomic_t rcictl_interrupted;

/* ---- arguments ------------------------------------------------------------ */

/* One command-specific long option. */
typedef struct rcictl_option {
    const char *name;            /* without the leading "--" */
    int has_arg;
    int id;                      /* returned by rcictl_next_arg */
} rcictl_option;

#define RCICTL_OPT_HELP (-100)   /* --help / -h, recognised everywhere */

enum {
    RCICTL_ARG_END = 0,          /* no more arguments */
    RCICTL_ARG_OPTION = 1,       /* *id, and *value if it takes one */
    RCICTL_ARG_POSITIONAL = 2,   /* *value */
    RCICTL_ARG_ERROR = -1        /* usage error, already printed */
};

/* Scan argv from *i. Global flags (--server, --tls, ...) may appear before
 * or after the command and are applied to ctx here; options in `local`
 * (NULL-name terminated) are returned; "--NAME=VALUE" and "--NAME VALUE"
 * both work; "--" ends the options. */
int rcictl_next_arg(rcictl *ctx, int argc, char **argv, int *i, const rcictl_option *local,
                    int *id, const char **value);

/* Print "rcictl: message" and a pointer to the help to stderr; returns
 * RCICTL_EXIT_USAGE. */
int rcictl_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The text shared by every command's help: the global flags. */
void rcictl_print_global_help(FILE *out);

/* ---- talking to the server ------------------------------------------------- */

/* Connect (once) with the global settings. On failure prints the error and
 * returns NULL with *exit_code set (RCICTL_EXIT_CONNECT, _USAGE, or
 * _INTERRUPTED). */
rci_client *rcictl_connect(rcictl *ctx, int *exit_code);

/* Print a failed call as "rcictl: STATUS_NAME: message" to stderr and
 * return the exit status for it (RCICTL_EXIT_RPC, or _INTERRUPTED). */
int rcictl_fail(const rci_client_status *st);

/* One unary call on the (once) connected client: *resp is the answer
 * unpacked as type (free with protobuf_c_message_free_unpacked), NULL on
 * failure. Returns RCICTL_EXIT_OK, or the exit status of the failure,
 * already printed (rcictl_connect, rcictl_fail). */
int rcictl_unary(rcictl *ctx, const char *path, const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *type, ProtobufCMessage **resp);

/* ---- output ---------------------------------------------------------------- */

/* Columns a UTF-8 string takes on a terminal: East Asian wide and
 * fullwidth characters count 2, combining marks 0, others 1. */
size_t rcictl_display_width(const char *s);

/* Write text for a terminal: control characters (except newline and tab
 * when keep_newlines) and invalid UTF-8 become '?', so that a server
 * cannot send escape sequences to the user's terminal. */
void rcictl_put_safe(FILE *out, const char *s, int keep_newlines);

/* A table printed in the chosen format: an aligned text table (header in
 * capitals, two spaces between columns), JSON (an array of objects keyed by
 * `keys`), or CSV (RFC 4180 quoting, LF line ends, a header row of `keys`). */
typedef struct rcictl_table rcictl_table;

rcictl_table *rcictl_table_new(size_t ncols, const char *const *headers, const char *const *keys);
/* Add one row of ncols cells (copied; NULL is empty). Returns 0 or -1 (out
 * of memory). */
int rcictl_table_add(rcictl_table *t, const char *const *cells);
void rcictl_table_print(const rcictl_table *t, rcictl_format format, FILE *out);
void rcictl_table_free(rcictl_table *t);

/* JSON and CSV pieces for output that is not a plain table. */
void rcictl_json_string(FILE *out, const char *s);
/* ", \"key\": " and ", \"key\": \"value\"" inside a JSON object being printed. */
void rcictl_json_key(FILE *out, const char *key);
void rcictl_json_str(FILE *out, const char *key, const char *v);
void rcictl_csv_field(FILE *out, const char *s);

/* Current time as "2026-11-23T10:00:00+08:00" (China Standard Time). */
void rcictl_now_cst(char buf[32]);

/* ---- times (times.c) ---------------------------------------------------------- */

/* RFC 3339 date-time with a zone ("2026-11-05T18:00:00+08:00", "…Z",
 * fractions allowed), or a date alone — its start in China Standard Time —
 * into a Timestamp. Returns 0, or -1 if s is neither. */
int rcictl_parse_time(const char *s, Google__Protobuf__Timestamp *ts);

/* A Timestamp as "2026-11-23T10:00:00+08:00" (with ".uuuuuu" when micros and
 * it has a fraction); "" when ts is NULL. */
const char *rcictl_cst(const Google__Protobuf__Timestamp *ts, int micros, char buf[48]);

/* "YYYY-MM-DD", a real date of 1900..2999, into days since 1970-01-01.
 * Returns 0, or -1. */
int rcictl_parse_date(const char *s, long long *days);

/* Days since 1970-01-01 from a proleptic Gregorian date, and back. */
long long rcictl_days_from_civil(int y, int m, int d);
void rcictl_civil_from_days(long long z, int *y, int *m, int *d);

/* ---- commands -------------------------------------------------------------- */

int rcictl_cmd_health(rcictl *ctx, int argc, char **argv);
int rcictl_cmd_ls(rcictl *ctx, int argc, char **argv);
int rcictl_cmd_regions(rcictl *ctx, int argc, char **argv);
int rcictl_cmd_admin(rcictl *ctx, int argc, char **argv);
int rcictl_cmd_push(rcictl *ctx, int argc, char **argv);
int rcictl_cmd_query(rcictl *ctx, int argc, char **argv);
int rcictl_cmd_history(rcictl *ctx, int argc, char **argv);
int rcictl_cmd_indicators(rcictl *ctx, int argc, char **argv);
int rcictl_cmd_agencies(rcictl *ctx, int argc, char **argv);
int rcictl_cmd_completeness(rcictl *ctx, int argc, char **argv);
int rcictl_cmd_watch(rcictl *ctx, int argc, char **argv);
int rcictl_cmd_air(rcictl *ctx, int argc, char **argv);
int rcictl_cmd_water(rcictl *ctx, int argc, char **argv);
/* `admin calendar …` and `admin lock …` (cmd_completeness.c), dispatched by cmd_admin.c. */
int rcictl_admin_calendar(rcictl *ctx, int argc, char **argv);
int rcictl_admin_lock(rcictl *ctx, int argc, char **argv);

#endif
