/* main.c: rcid — start-up, wiring and shutdown.
 *
 * Order of start-up: settings → descriptor index → every service registers
 * its methods and statements → TLS → database (embedded cluster or the
 * given server; wait for it) → migrations → event loops and listener →
 * admin endpoint → serve. Shutdown on SIGTERM/SIGINT: stop accepting,
 * health NOT_SERVING, each loop drains (loop.c), then the embedded cluster
 * is stopped; a second signal stops at once.
 *
 * To add a service: write services/NAME/, then add its init to
 * service_inits below.
 *
 * `rcid token …` and `rcid demo …` are other programs in the same binary:
 * the local token command (rcid/token.c) and the demo data loader
 * (rcid/demo.c), dispatched first and returning before any of this.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <libpq-fe.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netdb.h>
#include <unistd.h>

#include "admin/admin.h"
#include "alerts/alerts.h"
#include "admin/calendar.h"
#include "air/air.h"
#include "platform/auth.h"
#include "platform/config.h"
#include "platform/desc.h"
#include "platform/embedded.h"
#include "platform/health.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "platform/metrics.h"
#include "platform/migrate.h"
#include "platform/pgembed.h"
#include "indicators/indicators.h"
#include "rcid/demo.h"
#include "rcid/token.h"
#include "registry/registry.h"
#include "std/std.h"
#include "water/water.h"

#define DB_WAIT_SECONDS 30

typedef int (*service_init_fn)(char *err, size_t errlen);

static const struct {
    const char *name;
    service_init_fn init;
} service_inits[] = {
    {"health", rci_health_init},
    {"reflection", rci_reflection_init},
    {"auth", rci_auth_init},
    {"admin", rci_admin_init},
    {"admin.calendar", rci_admin_calendar_init},
    {"registry", rci_registry_init},
    {"indicators.push", rci_push_init},
    {"indicators.values", rci_values_init},
    {"indicators.completeness", rci_completeness_init},
    {"indicators.series", rci_series_init},
    {"alerts", rci_alerts_init},
    {"air", rci_air_init},
    {"water", rci_water_init},
};

/* Everything main owns, in one place for the signal handlers. */
typedef struct rcid {
    rci_config cfg;
    struct event_base *base;
    struct evconnlistener *listener;
    rci_loop **loops;
    int nloops;
    rci_pgembed *pg;
    SSL_CTX *ssl_ctx;
    struct event *sigterm_ev, *sigint_ev, *done_ev;
    pthread_t waiter;
    int signals;
    int exit_code;
} rcid;

/* ---- TLS -------------------------------------------------------------------- */

/* ALPN: gRPC needs h2; a client offering nothing else is refused in the
 * handshake (no_application_protocol), as C-core expects (grpc-wire.md §7). */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    if (nghttp2_select_next_protocol((unsigned char **)out, outlen, in, inlen) != 1)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *tls_new(const rci_config *cfg, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(err, errlen, "TLS: cannot create context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        unsigned long e = ERR_get_error();
        snprintf(err, errlen, "TLS: cannot load --tls-cert %s / --tls-key %s: %s", cfg->tls_cert,
                 cfg->tls_key, ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "unknown error");
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    return ctx;
}

/* ---- database ----------------------------------------------------------------- */

/* Wait (bounded) for an external server to accept connections, so rcid and
 * its PostgreSQL may start in either order (docker compose, systemd). */
static int db_wait(const char *conninfo, char *err, size_t errlen)
{
    for (int i = 0; i < DB_WAIT_SECONDS * 2; i++) {
        PGPing p = PQping(conninfo);
        if (p == PQPING_OK)
            return 0;
        if (p == PQPING_NO_ATTEMPT) {
            snprintf(err, errlen, "--database: invalid connection string");
            return -1;
        }
        if (i == 0)
            rci_log_info("waiting for PostgreSQL to accept connections (up to %d s)", DB_WAIT_SECONDS);
        usleep(500 * 1000);
    }
    snprintf(err, errlen, "PostgreSQL is not accepting connections after %d s; check --database",
             DB_WAIT_SECONDS);
    return -1;
}

static const char *db_start(rcid *d, char *err, size_t errlen)
{
    if (d->cfg.database) {
        if (db_wait(d->cfg.database, err, errlen) != 0)
            return NULL;
        return d->cfg.database;
    }
    rci_log_info("no --database given: running the embedded PostgreSQL in %s", d->cfg.data_dir);
    d->pg = rci_pgembed_start(d->cfg.data_dir, err, errlen);
    return d->pg ? rci_pgembed_conninfo(d->pg) : NULL;
}

/* ---- listener and signals ------------------------------------------------------- */

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    (void)l;
    rcid *d = arg;
    char host[64] = "?", port[16] = "?", peer[96];
    getnameinfo(sa, (socklen_t)salen, host, sizeof host, port, sizeof port,
                NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(peer, sizeof peer, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
    rci_loops_adopt(d->loops, d->nloops, fd, peer);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
    (void)l;
    (void)arg;
    /* EMFILE and friends: log and keep listening; libevent retries. */
    rci_log_warn("accept: %s", strerror(errno));
}

static int listen_start(rcid *d, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int sslen = sizeof ss;
    if (evutil_parse_sockaddr_port(d->cfg.listen, (struct sockaddr *)&ss, &sslen) != 0) {
        snprintf(err, errlen, "--listen %s: not an address:port", d->cfg.listen);
        return -1;
    }
    d->listener = evconnlistener_new_bind(
        d->base, on_accept, d, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
        1024, (struct sockaddr *)&ss, sslen);
    if (!d->listener) {
        snprintf(err, errlen, "--listen %s: cannot listen: %s", d->cfg.listen, strerror(errno));
        return -1;
    }
    evconnlistener_set_error_cb(d->listener, on_accept_error);
    return 0;
}

/* Runs off the loops: waits for every loop thread, then wakes main. */
static void *waiter_thread(void *arg)
{
    rcid *d = arg;
    rci_loops_join_free(d->loops, d->nloops);
    d->loops = NULL;
    event_active(d->done_ev, 0, 0);
    return NULL;
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rcid *d = arg;
    event_base_loopexit(d->base, NULL);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    rcid *d = arg;
    if (++d->signals > 1) {
        rci_log_warn("second signal (%s): stopping now", strsignal((int)sig));
        if (d->pg)
            rci_pgembed_stop(d->pg);
        _exit(1);
    }
    rci_log_info("%s: shutting down (in-flight calls get %d s; signal again to stop now)",
                 strsignal((int)sig), d->cfg.shutdown_grace_sec);
    rci_health_set_shutting_down();
    if (d->listener) {
        evconnlistener_free(d->listener);
        d->listener = NULL;
    }
    rci_loops_wake(d->loops, d->nloops, RCI_WAKE_SHUTDOWN);
    if (pthread_create(&d->waiter, NULL, waiter_thread, d) != 0) {
        rci_log_error("cannot start the shutdown waiter thread; stopping now");
        rci_loops_wake(d->loops, d->nloops, RCI_WAKE_STOP);
        event_base_loopexit(d->base, NULL);
    }
}

static int signals_start(rcid *d)
{
    d->sigterm_ev = evsignal_new(d->base, SIGTERM, on_signal, d);
    d->sigint_ev = evsignal_new(d->base, SIGINT, on_signal, d);
    d->done_ev = event_new(d->base, -1, 0, on_done, d);
    if (!d->sigterm_ev || !d->sigint_ev || !d->done_ev)
        return -1;
    evsignal_add(d->sigterm_ev, NULL);
    evsignal_add(d->sigint_ev, NULL);
    return 0;
}

/* ---- start-up ---------------------------------------------------------------------- */

static int services_init(char *err, size_t errlen)
{
    const rci_embedded_file *set = &rci_embedded_descriptors[0];
    if (rci_desc_load(set->data, set->len, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < sizeof service_inits / sizeof service_inits[0]; i++) {
        if (service_inits[i].init(err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int rcid_start(rcid *d, char *err, size_t errlen)
{
    if (services_init(err, errlen) != 0)
        return -1;
    if (d->cfg.tls_cert && !(d->ssl_ctx = tls_new(&d->cfg, err, errlen)))
        return -1;
    const char *conninfo = db_start(d, err, errlen);
    if (!conninfo)
        return -1;
    int applied = rci_migrate(conninfo, rci_embedded_migrations, rci_embedded_migrations_count,
                              err, errlen);
    if (applied < 0)
        return -1;
    rci_log_info("schema up to date (%d migration(s) applied now, %zu known)", applied,
                 rci_embedded_migrations_count);
    d->base = event_base_new();
    if (!d->base || signals_start(d) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    d->loops = rci_loops_new(d->nloops, &d->cfg, conninfo, d->ssl_ctx, err, errlen);
    if (!d->loops)
        return -1;
    rci_health_init_loops(d->loops, d->nloops);
    if (listen_start(d, err, errlen) != 0 || rci_loops_start(d->loops, d->nloops, err, errlen) != 0)
        return -1;
    if (d->cfg.admin_listen &&
        rci_metrics_admin_start(d->cfg.admin_listen, rci_health_serving, err, errlen) != 0)
        return -1;
    return 0;
}

static void rcid_cleanup(rcid *d)
{
    if (d->cfg.admin_listen)
        rci_metrics_admin_stop();
    if (d->listener)
        evconnlistener_free(d->listener);
    if (d->sigterm_ev)
        event_free(d->sigterm_ev);
    if (d->sigint_ev)
        event_free(d->sigint_ev);
    if (d->done_ev)
        event_free(d->done_ev);
    if (d->base)
        event_base_free(d->base);
    if (d->pg)
        rci_pgembed_stop(d->pg);
    if (d->ssl_ctx)
        SSL_CTX_free(d->ssl_ctx);
    rci_desc_unload();
    rci_config_free(&d->cfg);
}

int main(int argc, char **argv)
{
    static rcid d;
    char err[1024] = "";
    if (argc >= 2 && strcmp(argv[1], "token") == 0)
        return rcid_token_main(argc - 1, argv + 1);   /* local command: rcid/token.c */
    if (argc >= 2 && strcmp(argv[1], "demo") == 0)
        return rcid_demo_main(argc - 1, argv + 1);    /* local command: rcid/demo.c */
    int rv = rci_config_parse(&d.cfg, argc, argv, err, sizeof err);
    if (rv != RCI_CONFIG_OK) {
        if (rv == RCI_CONFIG_ERROR)
            fprintf(stderr, "rcid: %s\nTry 'rcid --help'.\n", err);
        rci_config_free(&d.cfg);
        return rv == RCI_CONFIG_ERROR ? 2 : 0;
    }
    if (rci_log_set_level_name(d.cfg.log_level) != 0)
        rci_log_warn("--log-level %s: unknown, using info", d.cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads();
    d.nloops = d.cfg.threads;
    rci_log_info("rcid " RCI_VERSION " starting (pid %d)", (int)getpid());

    if (rcid_start(&d, err, sizeof err) != 0) {
        rci_log_error("%s", err);
        if (d.pg) {
            rci_pgembed_stop(d.pg);
            d.pg = NULL;
        }
        rci_log_error("rcid did not start");
        return 1;
    }
    rci_log_info("serving gRPC on %s (%s), %d event loop(s), database: %s%s", d.cfg.listen,
                 d.ssl_ctx ? "TLS, ALPN h2" : "cleartext h2c", d.nloops,
                 d.pg ? "embedded in " : "external", d.pg ? d.cfg.data_dir : "");
    if (d.cfg.admin_listen)
        rci_log_info("admin endpoint on http://%s/metrics and /healthz", d.cfg.admin_listen);

    event_base_dispatch(d.base);
    if (d.signals)
        pthread_join(d.waiter, NULL);
    rcid_cleanup(&d);
    rci_log_info("rcid stopped");
    return d.exit_code;
}
