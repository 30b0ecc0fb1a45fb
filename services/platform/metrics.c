/* metrics.c: counters for operators and the admin HTTP endpoint.
 *
 * Owns: the method table (fixed size, filled at start-up, read-only after),
 * the per-method call counters by gRPC status and latency histograms (C11
 * atomics, so the event loops record without locks), the stream and
 * connection gauges, the pool figures each loop publishes (a small array
 * under a mutex), the Prometheus text rendering (format 0.0.4), and the
 * admin listener: one thread with its own event_base and evhttp serving
 * GET /metrics and GET /healthz.
 *
 * Nothing here is ever freed: the table lives as long as the process, so a
 * loop may record a call at any moment, even during shutdown.
 */
#include "platform/metrics.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define MET_MAX_METHODS 256   /* declared paths, slot 0 is "unknown" */
#define MET_PATH_MAX 160      /* longer paths count as "unknown" */
#define MET_HASH_SLOTS 1024   /* power of two, > 2 * MET_MAX_METHODS */
#define MET_NCODES 17         /* gRPC status codes 0..16 */
#define MET_MAX_LOOPS 256
#define MET_UNKNOWN_CODE 2    /* out-of-range statuses count as UNKNOWN */

/* Upper bounds of the latency buckets in seconds, and their label text;
 * the last bucket is +Inf. */
static const double met_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
static const char *const met_bound_text[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                             "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                             "1",      "2.5",   "5",      "10",    "+Inf"};
#define MET_NBOUNDS (sizeof(met_bounds) / sizeof(met_bounds[0]))
#define MET_NBUCKETS (MET_NBOUNDS + 1)

static const char *const met_code_names[MET_NCODES] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
    "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

typedef struct met_method {
    char path[MET_PATH_MAX];
    atomic_ullong calls[MET_NCODES];
    atomic_ullong buckets[MET_NBUCKETS]; /* per bucket, not cumulative */
    atomic_ullong sum_ns;
} met_method;

static met_method met_methods[MET_MAX_METHODS] = {{.path = "unknown"}};
static atomic_int met_nmethods = 1;
static uint16_t met_slots[MET_HASH_SLOTS]; /* index into met_methods; 0 = empty */

static atomic_long met_streams;
static atomic_long met_connections;

static pthread_mutex_t met_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static rci_store_stats met_pool[MET_MAX_LOOPS];
static int met_pool_loops; /* highest published loop + 1 */

/* ---- method table ------------------------------------------------------- */

static uint32_t met_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The table index of path, or 0 ("unknown") when it was not declared.
 * Lock-free: the table does not change once serving starts. */
static int met_index(const char *path)
{
    if (!path)
        return 0;
    for (uint32_t h = met_hash(path);; h++) {
        int i = met_slots[h & (MET_HASH_SLOTS - 1)];
        if (i == 0 || strcmp(met_methods[i].path, path) == 0)
            return i;
    }
}

/* See metrics.h. Paths beyond MET_MAX_METHODS or MET_PATH_MAX - 1 bytes
 * are silently counted as "unknown". */
void rci_metrics_declare_method(const char *path)
{
    int n = atomic_load(&met_nmethods);
    uint32_t h;

    if (!path || strlen(path) >= MET_PATH_MAX || met_index(path) != 0 ||
        n >= MET_MAX_METHODS)
        return;
    memcpy(met_methods[n].path, path, strlen(path) + 1);
    for (h = met_hash(path); met_slots[h & (MET_HASH_SLOTS - 1)]; h++)
        ;
    met_slots[h & (MET_HASH_SLOTS - 1)] = (uint16_t)n;
    atomic_store_explicit(&met_nmethods, n + 1, memory_order_release);
}

/* ---- recording ---------------------------------------------------------- */

/* The bucket a duration falls in: the first bound >= seconds. */
static size_t met_bucket(double seconds)
{
    size_t i = 0;
    while (i < MET_NBOUNDS && !(seconds <= met_bounds[i]))
        i++;
    return i;
}

/* See metrics.h. A status outside 0..16 counts as UNKNOWN; a negative or
 * NaN duration as 0. */
void rci_metrics_call(const char *path, int status, double seconds)
{
    met_method *m = &met_methods[met_index(path)];
    unsigned long long ns;

    if (status < 0 || status >= MET_NCODES)
        status = MET_UNKNOWN_CODE;
    if (!(seconds > 0))
        seconds = 0;
    ns = seconds < 1e9 ? (unsigned long long)(seconds * 1e9) : 1000000000000000000ull;
    atomic_fetch_add_explicit(&m->calls[status], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->buckets[met_bucket(seconds)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum_ns, ns, memory_order_relaxed);
}

void rci_metrics_streams_add(int delta)
{
    atomic_fetch_add_explicit(&met_streams, delta, memory_order_relaxed);
}

void rci_metrics_connections_add(int delta)
{
    atomic_fetch_add_explicit(&met_connections, delta, memory_order_relaxed);
}

/* See metrics.h. loop is the loop's index (0-based); others are ignored. */
void rci_metrics_publish_pool(int loop, const rci_store_stats *stats)
{
    if (loop < 0 || loop >= MET_MAX_LOOPS || !stats)
        return;
    pthread_mutex_lock(&met_pool_lock);
    met_pool[loop] = *stats;
    if (loop >= met_pool_loops)
        met_pool_loops = loop + 1;
    pthread_mutex_unlock(&met_pool_lock);
}

/* ---- rendering ---------------------------------------------------------- */

/* A label value with \, " and newline escaped as the text format requires. */
static void met_put_label(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"') {
            fputc('\\', out);
            fputc(*s, out);
        } else if (*s == '\n')
            fputs("\\n", out);
        else
            fputc(*s, out);
    }
}

static void met_header(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void met_render_calls(FILE *out, int n)
{
    met_header(out, "rci_grpc_calls_total", "counter",
               "Finished gRPC calls by method and status code.");
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < MET_NCODES; c++) {
            unsigned long long v = atomic_load_explicit(&met_methods[i].calls[c],
                                                        memory_order_relaxed);
            if (!v)
                continue;
            fputs("rci_grpc_calls_total{method=\"", out);
            met_put_label(out, met_methods[i].path);
            fprintf(out, "\",code=\"%s\"} %llu\n", met_code_names[c], v);
        }
    }
}

/* One method's histogram; skipped when it has no calls. The count is the
 * sum of the buckets read, so _count always equals the +Inf bucket. */
static void met_render_histogram(FILE *out, const met_method *m)
{
    unsigned long long b[MET_NBUCKETS], total = 0, cum = 0;
    for (size_t k = 0; k < MET_NBUCKETS; k++)
        total += b[k] = atomic_load_explicit(&m->buckets[k], memory_order_relaxed);
    if (!total)
        return;
    for (size_t k = 0; k < MET_NBUCKETS; k++) {
        cum += b[k];
        fputs("rci_grpc_call_duration_seconds_bucket{method=\"", out);
        met_put_label(out, m->path);
        fprintf(out, "\",le=\"%s\"} %llu\n", met_bound_text[k], cum);
    }
    fputs("rci_grpc_call_duration_seconds_sum{method=\"", out);
    met_put_label(out, m->path);
    fprintf(out, "\"} %.9f\n", (double)atomic_load(&m->sum_ns) / 1e9);
    fputs("rci_grpc_call_duration_seconds_count{method=\"", out);
    met_put_label(out, m->path);
    fprintf(out, "\"} %llu\n", total);
}

static void met_render_gauges(FILE *out)
{
    met_header(out, "rci_grpc_active_streams", "gauge", "HTTP/2 streams open now.");
    fprintf(out, "rci_grpc_active_streams %ld\n", atomic_load(&met_streams));
    met_header(out, "rci_connections", "gauge", "Client connections open now.");
    fprintf(out, "rci_connections %ld\n", atomic_load(&met_connections));
}

/* The pool figures of every loop, summed under the lock. */
static void met_pool_total(rci_store_stats *t)
{
    memset(t, 0, sizeof(*t));
    pthread_mutex_lock(&met_pool_lock);
    for (int i = 0; i < met_pool_loops; i++) {
        t->connections += met_pool[i].connections;
        t->ready += met_pool[i].ready;
        t->busy += met_pool[i].busy;
        t->queued += met_pool[i].queued;
        t->queries += met_pool[i].queries;
        t->failures += met_pool[i].failures;
        t->reconnects += met_pool[i].reconnects;
    }
    pthread_mutex_unlock(&met_pool_lock);
}

static void met_render_pool(FILE *out)
{
    rci_store_stats t;
    met_pool_total(&t);
    met_header(out, "rci_db_pool_connections", "gauge",
               "PostgreSQL connections of all loops by state.");
    fprintf(out, "rci_db_pool_connections{state=\"ready\"} %d\n", t.ready);
    fprintf(out, "rci_db_pool_connections{state=\"busy\"} %d\n", t.busy);
    met_header(out, "rci_db_pool_queued", "gauge", "Queries waiting for a connection.");
    fprintf(out, "rci_db_pool_queued %d\n", t.queued);
    met_header(out, "rci_db_queries_total", "counter", "Queries completed.");
    fprintf(out, "rci_db_queries_total %llu\n", t.queries);
    met_header(out, "rci_db_failures_total", "counter", "Queries completed with an error.");
    fprintf(out, "rci_db_failures_total %llu\n", t.failures);
    met_header(out, "rci_db_reconnects_total", "counter",
               "Connections re-established after a loss.");
    fprintf(out, "rci_db_reconnects_total %llu\n", t.reconnects);
}

/* See metrics.h. Returns NULL when out of memory; the caller frees. */
char *rci_metrics_render(void)
{
    char *buf = NULL;
    size_t len = 0;
    int n = atomic_load_explicit(&met_nmethods, memory_order_acquire);
    FILE *out = open_memstream(&buf, &len);

    if (!out)
        return NULL;
    met_header(out, "rci_build_info", "gauge", "The running rcid's version.");
    fprintf(out, "rci_build_info{version=\"%s\"} 1\n", RCI_VERSION);
    met_render_calls(out, n);
    met_header(out, "rci_grpc_call_duration_seconds", "histogram",
               "Time from request headers to trailers, by method.");
    for (int i = 0; i < n; i++)
        met_render_histogram(out, &met_methods[i]);
    met_render_gauges(out);
    met_render_pool(out);
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- admin listener ----------------------------------------------------- */

static struct {
    struct event_base *base;
    struct evhttp *http;
    pthread_t thread;
    int running;
    rci_metrics_health_fn health;
} met_admin;

/* Send a small text reply and finish the request. */
static void met_reply(struct evhttp_request *req, int code, const char *reason,
                      const char *ctype, const char *body, size_t len)
{
    struct evbuffer *buf = evbuffer_new();
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);

    evhttp_add_header(h, "Content-Type", ctype);
    evhttp_add_header(h, "Cache-Control", "no-store");
    if (buf)
        evbuffer_add(buf, body, len);
    evhttp_send_reply(req, code, reason, buf);
    if (buf)
        evbuffer_free(buf);
}

static void met_reply_text(struct evhttp_request *req, int code, const char *reason,
                           const char *body)
{
    met_reply(req, code, reason, "text/plain; charset=utf-8", body, strlen(body));
}

static void met_serve_metrics(struct evhttp_request *req)
{
    char *text = rci_metrics_render();
    if (!text) {
        met_reply_text(req, 500, "Internal Server Error", "out of memory\n");
        return;
    }
    met_reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", text,
              strlen(text));
    free(text);
}

static void met_serve_health(struct evhttp_request *req)
{
    if (!met_admin.health || met_admin.health())
        met_reply_text(req, 200, "OK", "SERVING\n");
    else
        met_reply_text(req, 503, "Service Unavailable", "NOT_SERVING\n");
}

/* Every admin request: route by path, then insist on GET. */
static void met_admin_request(struct evhttp_request *req, void *arg)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    int metrics = path && strcmp(path, "/metrics") == 0;
    int health = path && strcmp(path, "/healthz") == 0;

    (void)arg;
    if (!metrics && !health) {
        met_reply_text(req, 404, "Not Found", "not found: try /metrics or /healthz\n");
    } else if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
        met_reply_text(req, 405, "Method Not Allowed", "only GET\n");
    } else if (metrics) {
        met_serve_metrics(req);
    } else {
        met_serve_health(req);
    }
}

static void *met_admin_main(void *arg)
{
    (void)arg;
    event_base_dispatch(met_admin.base);
    return NULL;
}

/* Split "IPv4:port" or "[IPv6]:port" into host (no brackets) and port.
 * Port 0 asks for any free port. Returns 0, or -1 when malformed. */
static int met_split_addr(const char *addr, char *host, size_t hostlen, unsigned short *port)
{
    const char *colon = strrchr(addr, ':'), *h = addr;
    size_t n;
    char *end;
    long p;

    if (!colon)
        return -1;
    n = (size_t)(colon - addr);
    if (addr[0] == '[') {
        if (n < 2 || addr[n - 1] != ']')
            return -1;
        h++;
        n -= 2;
    }
    if (n == 0 || n >= hostlen)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    errno = 0;
    p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || p < 0 || p > 65535)
        return -1;
    *port = (unsigned short)p;
    return 0;
}

/* Free the admin evhttp (closing its sockets) and base; the loop must not
 * be running. */
static void met_admin_close(void)
{
    if (met_admin.http)
        evhttp_free(met_admin.http);
    if (met_admin.base)
        event_base_free(met_admin.base);
    met_admin.http = NULL;
    met_admin.base = NULL;
    met_admin.health = NULL;
}

/* Create the admin base and evhttp, bound to host:port. Returns 0, or -1
 * with err filled and nothing left allocated. */
static int met_admin_open(const char *addr, const char *host, unsigned short port,
                          char *err, size_t errlen)
{
    met_admin.base = event_base_new();
    met_admin.http = met_admin.base ? evhttp_new(met_admin.base) : NULL;
    if (!met_admin.http) {
        snprintf(err, errlen, "admin listener %s: cannot create event base", addr);
        goto fail;
    }
    evhttp_set_allowed_methods(met_admin.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
                               EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                               EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_timeout(met_admin.http, 10);
    evhttp_set_max_headers_size(met_admin.http, 8192);
    evhttp_set_max_body_size(met_admin.http, 4096);
    evhttp_set_gencb(met_admin.http, met_admin_request, NULL);
    errno = 0;
    if (!evhttp_bind_socket_with_handle(met_admin.http, host, port)) {
        snprintf(err, errlen, "admin listener %s: cannot listen: %s", addr,
                 errno ? strerror(errno) : "unknown error");
        goto fail;
    }
    return 0;
fail:
    met_admin_close();
    return -1;
}

/* See metrics.h. The listener thread blocks every signal, so signals reach
 * the main loop. health is called on that thread: it must be thread-safe
 * (NULL counts as always serving). evthread_use_pthreads() must have been
 * called before, or rci_metrics_admin_stop cannot wake the thread. */
int rci_metrics_admin_start(const char *addr, rci_metrics_health_fn health,
                            char *err, size_t errlen)
{
    char host[64];
    unsigned short port;
    sigset_t all, old;
    int rc;

    if (met_admin.running) {
        snprintf(err, errlen, "admin listener already running");
        return -1;
    }
    if (!addr || met_split_addr(addr, host, sizeof(host), &port) < 0) {
        snprintf(err, errlen, "admin listener '%s': want IPv4:port or [IPv6]:port",
                 addr ? addr : "(null)");
        return -1;
    }
    if (met_admin_open(addr, host, port, err, errlen) < 0)
        return -1;
    met_admin.health = health;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&met_admin.thread, NULL, met_admin_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "admin listener %s: cannot start thread: %s", addr,
                 strerror(rc));
        met_admin_close();
        return -1;
    }
    met_admin.running = 1;
    return 0;
}

/* See metrics.h. Breaks the admin loop, joins its thread and frees the
 * listener; open admin connections are closed. Safe when not running. */
void rci_metrics_admin_stop(void)
{
    if (!met_admin.running)
        return;
    event_base_loopbreak(met_admin.base);
    pthread_join(met_admin.thread, NULL);
    met_admin_close();
    met_admin.running = 0;
}
