/* test_metrics.c: the metrics table and the admin listener — counting by
 * method and status, undeclared paths under "unknown", histogram bucket
 * placement, gauges and pool sums, the exact Prometheus lines, counting from
 * many threads, and GET /metrics, /healthz, 404 and 405 over a raw socket. */
#include "check.h"
#include "platform/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/thread.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* 1 when text has a line equal to line. */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
            return 1;
    return 0;
}

#define HAS_LINE(text, line)                                                   \
    do {                                                                       \
        CHECK(has_line(text, line));                                           \
        if (!has_line(text, line))                                             \
            fprintf(stderr, "  missing line: %s\n", line);                     \
    } while (0)

static char *render(void)
{
    char *t = rci_metrics_render();
    CHECK(t != NULL);
    return t ? t : strdup("");
}

static void test_counting(void)
{
    char *t;
    rci_metrics_declare_method("/a.B/C");
    rci_metrics_declare_method("/a.B/C"); /* twice: still one entry */
    rci_metrics_declare_method("/rci.v1.RegistryService/ListRegions");
    rci_metrics_declare_method(NULL);

    for (int i = 0; i < 3; i++)
        rci_metrics_call("/a.B/C", 0, 0.0001);
    rci_metrics_call("/a.B/C", 5, 0.0001);
    rci_metrics_call("/x.Y/Z", 12, 0.0001); /* never declared */
    rci_metrics_call(NULL, 12, 0.0001);
    rci_metrics_call("/a.B/C", 99, 0.0001); /* out of range: UNKNOWN */
    rci_metrics_call("/a.B/C", -1, 0.0001);
    rci_metrics_call("/a.B/C", 16, 0.0001);

    t = render();
    HAS_LINE(t, "rci_grpc_calls_total{method=\"/a.B/C\",code=\"OK\"} 3");
    HAS_LINE(t, "rci_grpc_calls_total{method=\"/a.B/C\",code=\"NOT_FOUND\"} 1");
    HAS_LINE(t, "rci_grpc_calls_total{method=\"/a.B/C\",code=\"UNKNOWN\"} 2");
    HAS_LINE(t, "rci_grpc_calls_total{method=\"/a.B/C\",code=\"UNAUTHENTICATED\"} 1");
    HAS_LINE(t, "rci_grpc_calls_total{method=\"unknown\",code=\"UNIMPLEMENTED\"} 2");
    CHECK(!strstr(t, "code=\"CANCELLED\"")); /* zero counts are not shown */
    CHECK(!strstr(t, "/x.Y/Z"));
    CHECK(!strstr(t, "ListRegions")); /* declared, never called */
    HAS_LINE(t, "rci_grpc_call_duration_seconds_count{method=\"/a.B/C\"} 7");
    HAS_LINE(t, "rci_grpc_call_duration_seconds_count{method=\"unknown\"} 2");
    free(t);

    rci_metrics_call("/rci.v1.RegistryService/ListRegions", 14, 0.02);
    t = render();
    HAS_LINE(t, "rci_grpc_calls_total{method=\"/rci.v1.RegistryService/ListRegions\","
                "code=\"UNAVAILABLE\"} 1");
    free(t);
}

static void test_histogram(void)
{
    char *t;
    rci_metrics_declare_method("/h.H/M");
    rci_metrics_call("/h.H/M", 0, 0.0005); /* on a bound: that bucket */
    rci_metrics_call("/h.H/M", 0, -1);     /* negative: 0 */
    rci_metrics_call("/h.H/M", 0, NAN);    /* NaN: 0 */
    rci_metrics_call("/h.H/M", 0, 0.0007);
    rci_metrics_call("/h.H/M", 0, 0.3);
    rci_metrics_call("/h.H/M", 0, 10);
    rci_metrics_call("/h.H/M", 0, 11);

    t = render();
    HAS_LINE(t, "# TYPE rci_grpc_call_duration_seconds histogram");
    HAS_LINE(t, "rci_grpc_call_duration_seconds_bucket{method=\"/h.H/M\",le=\"0.0005\"} 3");
    HAS_LINE(t, "rci_grpc_call_duration_seconds_bucket{method=\"/h.H/M\",le=\"0.001\"} 4");
    HAS_LINE(t, "rci_grpc_call_duration_seconds_bucket{method=\"/h.H/M\",le=\"0.0025\"} 4");
    HAS_LINE(t, "rci_grpc_call_duration_seconds_bucket{method=\"/h.H/M\",le=\"0.25\"} 4");
    HAS_LINE(t, "rci_grpc_call_duration_seconds_bucket{method=\"/h.H/M\",le=\"0.5\"} 5");
    HAS_LINE(t, "rci_grpc_call_duration_seconds_bucket{method=\"/h.H/M\",le=\"5\"} 5");
    HAS_LINE(t, "rci_grpc_call_duration_seconds_bucket{method=\"/h.H/M\",le=\"10\"} 6");
    HAS_LINE(t, "rci_grpc_call_duration_seconds_bucket{method=\"/h.H/M\",le=\"+Inf\"} 7");
    HAS_LINE(t, "rci_grpc_call_duration_seconds_sum{method=\"/h.H/M\"} 21.301200000");
    HAS_LINE(t, "rci_grpc_call_duration_seconds_count{method=\"/h.H/M\"} 7");
    {
        /* fifteen buckets, in increasing order of le */
        static const char *les[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                    "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
                                    "5", "10", "+Inf"};
        const char *prev = t;
        for (size_t i = 0; i < sizeof(les) / sizeof(les[0]); i++) {
            char want[128];
            const char *at;
            snprintf(want, sizeof(want), "{method=\"/h.H/M\",le=\"%s\"}", les[i]);
            at = strstr(t, want);
            CHECK(at != NULL && at > prev);
            prev = at ? at : prev;
        }
    }
    free(t);
}

static void test_labels(void)
{
    char longpath[300], *t;
    rci_metrics_declare_method("/q\"x\\y/z\n");
    rci_metrics_call("/q\"x\\y/z\n", 3, 0.001);
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    rci_metrics_declare_method(longpath); /* too long: counted as unknown */
    rci_metrics_call(longpath, 7, 0.001);
    t = render();
    HAS_LINE(t, "rci_grpc_calls_total{method=\"/q\\\"x\\\\y/z\\n\",code=\"INVALID_ARGUMENT\"} 1");
    HAS_LINE(t, "rci_grpc_calls_total{method=\"unknown\",code=\"PERMISSION_DENIED\"} 1");
    CHECK(!strstr(t, "aaaaaaaa"));
    free(t);
}

static void test_gauges_and_pool(void)
{
    rci_store_stats a = {.connections = 2, .ready = 1, .busy = 1, .queued = 3,
                         .queries = 10, .failures = 1, .reconnects = 2};
    rci_store_stats b = {.connections = 2, .ready = 2, .busy = 0, .queued = 0,
                         .queries = 5, .failures = 0, .reconnects = 1};
    char *t;

    rci_metrics_streams_add(3);
    rci_metrics_streams_add(-1);
    rci_metrics_connections_add(1);
    rci_metrics_publish_pool(0, &b); /* replaced below */
    rci_metrics_publish_pool(0, &a);
    rci_metrics_publish_pool(3, &b);
    rci_metrics_publish_pool(-1, &a);    /* ignored */
    rci_metrics_publish_pool(100000, &a); /* ignored */
    rci_metrics_publish_pool(1, NULL);   /* ignored */

    t = render();
    HAS_LINE(t, "rci_grpc_active_streams 2");
    HAS_LINE(t, "rci_connections 1");
    HAS_LINE(t, "rci_db_pool_connections{state=\"ready\"} 3");
    HAS_LINE(t, "rci_db_pool_connections{state=\"busy\"} 1");
    HAS_LINE(t, "rci_db_pool_queued 3");
    HAS_LINE(t, "rci_db_queries_total 15");
    HAS_LINE(t, "rci_db_failures_total 1");
    HAS_LINE(t, "rci_db_reconnects_total 3");
    HAS_LINE(t, "rci_build_info{version=\"0.1.0\"} 1");
    free(t);
    rci_metrics_streams_add(-2);
    rci_metrics_connections_add(-1);
}

/* Every family has HELP and TYPE; every sample line is `name[{...}] value`. */
static void test_format(void)
{
    static const char *families[][2] = {
        {"rci_build_info", "gauge"},
        {"rci_grpc_calls_total", "counter"},
        {"rci_grpc_call_duration_seconds", "histogram"},
        {"rci_grpc_active_streams", "gauge"},
        {"rci_connections", "gauge"},
        {"rci_db_pool_connections", "gauge"},
        {"rci_db_pool_queued", "gauge"},
        {"rci_db_queries_total", "counter"},
        {"rci_db_failures_total", "counter"},
        {"rci_db_reconnects_total", "counter"}};
    char *t = render(), want[160];
    size_t len = strlen(t);

    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        snprintf(want, sizeof(want), "# TYPE %s %s", families[i][0], families[i][1]);
        HAS_LINE(t, want);
        snprintf(want, sizeof(want), "# HELP %s ", families[i][0]);
        CHECK(strstr(t, want) != NULL);
    }
    CHECK(len > 0 && t[len - 1] == '\n');
    for (char *line = t, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        char *sp;
        *nl = '\0';
        CHECK(line[0] != '\0');
        if (line[0] != '#') {
            sp = strrchr(line, ' ');
            CHECK(sp != NULL && strncmp(line, "rci_", 4) == 0);
            CHECK(sp && strspn(sp + 1, "0123456789.") == strlen(sp + 1));
        }
    }
    free(t);
}

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100000; i++)
        rci_metrics_call("/t.T/Threads", i % 2 ? 0 : 4, 0.001);
    return NULL;
}

static void test_threads(void)
{
    pthread_t th[4];
    char *t;
    rci_metrics_declare_method("/t.T/Threads");
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, hammer, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    t = render();
    HAS_LINE(t, "rci_grpc_calls_total{method=\"/t.T/Threads\",code=\"OK\"} 200000");
    HAS_LINE(t, "rci_grpc_calls_total{method=\"/t.T/Threads\",code=\"DEADLINE_EXCEEDED\"} 200000");
    HAS_LINE(t, "rci_grpc_call_duration_seconds_bucket{method=\"/t.T/Threads\",le=\"0.001\"} 400000");
    HAS_LINE(t, "rci_grpc_call_duration_seconds_bucket{method=\"/t.T/Threads\",le=\"0.0005\"} 0");
    free(t);
}

/* ---- admin listener ----------------------------------------------------- */

static atomic_int serving = 1;
static int health(void) { return serving; }

/* A port that was free a moment ago on 127.0.0.1. */
static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* Send request to 127.0.0.1:port, read the reply until EOF into resp.
 * Returns the HTTP status, or -1 when the connection fails. */
static int http(int port, const char *request, char *resp, size_t resplen)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {5, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
    size_t got = 0;
    ssize_t n;

    resp[0] = '\0';
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        write(fd, request, strlen(request)) != (ssize_t)strlen(request)) {
        close(fd);
        return -1;
    }
    while (got + 1 < resplen && (n = read(fd, resp + got, resplen - 1 - got)) > 0)
        got += (size_t)n;
    resp[got] = '\0';
    close(fd);
    if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    return status;
}

static int get(int port, const char *method, const char *path, char *resp, size_t len)
{
    char req[256];
    snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
             "Content-Length: 0\r\n\r\n", method, path);
    return http(port, req, resp, len);
}

static const char *body(const char *resp)
{
    const char *b = strstr(resp, "\r\n\r\n");
    return b ? b + 4 : "";
}

static void test_admin_requests(int port)
{
    static char resp[65536];

    CHECK(get(port, "GET", "/metrics", resp, sizeof(resp)) == 200);
    CHECK(strstr(resp, "Content-Type: text/plain; version=0.0.4") != NULL);
    CHECK(has_line(body(resp), "rci_build_info{version=\"0.1.0\"} 1"));
    CHECK(has_line(body(resp), "rci_grpc_calls_total{method=\"/a.B/C\",code=\"OK\"} 3"));
    CHECK(get(port, "GET", "/metrics?name[]=x", resp, sizeof(resp)) == 200);

    serving = 1;
    CHECK(get(port, "GET", "/healthz", resp, sizeof(resp)) == 200);
    CHECK_STR(body(resp), "SERVING\n");
    serving = 0;
    CHECK(get(port, "GET", "/healthz", resp, sizeof(resp)) == 503);
    CHECK_STR(body(resp), "NOT_SERVING\n");
    serving = 1;

    CHECK(get(port, "GET", "/", resp, sizeof(resp)) == 404);
    CHECK(get(port, "GET", "/metricsx", resp, sizeof(resp)) == 404);
    CHECK(get(port, "POST", "/nothing", resp, sizeof(resp)) == 404);
    CHECK(get(port, "POST", "/metrics", resp, sizeof(resp)) == 405);
    CHECK(strstr(resp, "Allow: GET") != NULL);
    CHECK(get(port, "PUT", "/healthz", resp, sizeof(resp)) == 405);
    CHECK(get(port, "DELETE", "/healthz", resp, sizeof(resp)) == 405);
    CHECK(get(port, "HEAD", "/metrics", resp, sizeof(resp)) == 405);
    /* garbage is answered (400), not fatal */
    CHECK(http(port, "NONSENSE\r\n\r\n", resp, sizeof(resp)) >= 400 ||
          resp[0] == '\0');
    CHECK(get(port, "GET", "/healthz", resp, sizeof(resp)) == 200);
}

static void test_admin(void)
{
    char err[256], addr[64], resp[256];
    int port = free_port(), busy_fd;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);

    CHECK(port > 0);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    CHECK(rci_metrics_admin_start(addr, health, err, sizeof(err)) == 0);
    CHECK(rci_metrics_admin_start(addr, health, err, sizeof(err)) == -1);
    CHECK(strstr(err, "already running") != NULL);
    test_admin_requests(port);
    rci_metrics_admin_stop();
    CHECK(get(port, "GET", "/healthz", resp, sizeof(resp)) == -1); /* closed */
    rci_metrics_admin_stop(); /* second stop: no-op */

    /* restart, with no health function: always SERVING */
    CHECK(rci_metrics_admin_start(addr, NULL, err, sizeof(err)) == 0);
    CHECK(get(port, "GET", "/healthz", resp, sizeof(resp)) == 200);
    rci_metrics_admin_stop();

    /* bad addresses and a port already taken */
    CHECK(rci_metrics_admin_start("nonsense", health, err, sizeof(err)) == -1);
    CHECK(strstr(err, "nonsense") != NULL);
    CHECK(rci_metrics_admin_start("127.0.0.1:99999", health, err, sizeof(err)) == -1);
    CHECK(rci_metrics_admin_start("[::1:80", health, err, sizeof(err)) == -1);
    CHECK(rci_metrics_admin_start(NULL, health, err, sizeof(err)) == -1);
    busy_fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(bind(busy_fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(busy_fd, 1) == 0 &&
          getsockname(busy_fd, (struct sockaddr *)&a, &alen) == 0);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(a.sin_port));
    CHECK(rci_metrics_admin_start(addr, health, err, sizeof(err)) == -1);
    CHECK(strstr(err, addr) != NULL && strstr(err, "in use") != NULL);
    if (!strstr(err, "in use"))
        fprintf(stderr, "  busy port gave: %s\n", err);
    close(busy_fd);

    /* failures leave nothing behind: a good start still works */
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    CHECK(rci_metrics_admin_start(addr, health, err, sizeof(err)) == 0);
    CHECK(get(port, "GET", "/metrics", resp, sizeof(resp)) == 200);
    rci_metrics_admin_stop();
}

int main(void)
{
    evthread_use_pthreads(); /* as rcid's main does: stop wakes another thread */
    test_counting();
    test_histogram();
    test_labels();
    test_gauges_and_pool();
    test_format();
    test_threads();
    test_admin();
    return check_done();
}
