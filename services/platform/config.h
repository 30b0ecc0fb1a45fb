/* config.h: rcid's settings — defaults, command-line flags, config file.
 *
 * Owns: the rci_config struct, its defaults (DESIGN §6: gRPC on
 * 127.0.0.1:50051, admin listener off, data dir /var/lib/rci as root or
 * $XDG_DATA_HOME/rci, else ~/.local/share/rci), parsing `--flag VALUE` /
 * `--flag=VALUE` and a config file of `key = value` lines (same names as the
 * flags without the dashes, '#' comments; flags given on the command line
 * win over the file), RCI_DATABASE_URL, and the --help text.
 */
#ifndef RCI_CONFIG_H
#define RCI_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct rci_config {
    char *listen;                 /* "127.0.0.1:50051"; host:port or [v6]:port */
    char *admin_listen;           /* NULL = no admin HTTP listener */
    int threads;                  /* event loops; default: online cores */
    char *database;               /* libpq conninfo / URL; NULL = embedded */
    char *data_dir;               /* embedded cluster lives in data_dir/pg */
    char *tls_cert;               /* PEM chain; with tls_key: TLS only */
    char *tls_key;
    size_t max_message_bytes;     /* 4 MiB: larger request → RESOURCE_EXHAUSTED */
    uint32_t max_concurrent_streams;  /* per connection, 128 */
    uint32_t max_header_list_bytes;   /* request headers, 16 KiB */
    int idle_timeout_sec;         /* connection with no stream: GOAWAY after, 300 */
    int read_timeout_sec;         /* open streams but nothing read for: close, 60 */
    int shutdown_grace_sec;       /* in-flight calls get this long on SIGTERM, 10 */
    int db_pool_size;             /* connections per loop, 2 */
    char *log_level;              /* debug, info, warn, error */
    char *config_file;            /* the --config file read, if any */
} rci_config;

/* Outcome of rci_config_parse. */
enum { RCI_CONFIG_OK = 0, RCI_CONFIG_EXIT = 1, RCI_CONFIG_ERROR = -1 };

/* Fill cfg with defaults, then the config file named by --config (if any),
 * then RCI_DATABASE_URL, then the other flags. Returns RCI_CONFIG_OK,
 * RCI_CONFIG_EXIT after printing --help / --version to stdout, or
 * RCI_CONFIG_ERROR with a message naming the flag or file line in err. */
int rci_config_parse(rci_config *cfg, int argc, char **argv, char *err, size_t errlen);

void rci_config_usage(FILE *out);
void rci_config_free(rci_config *cfg);

#endif
