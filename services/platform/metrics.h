/* metrics.h: counters for operators and the admin HTTP endpoint.
 *
 * Owns: per-method call counts by status, a latency histogram per method,
 * the active-stream gauge, the database pool figures each loop publishes,
 * and the admin listener (its own thread and event_base, evhttp) that
 * serves GET /metrics (Prometheus text format 0.0.4) and GET /healthz (200
 * "SERVING" while health is SERVING, else 503 "NOT_SERVING").
 * Recording is thread-safe and lock-free on the call path (atomics).
 */
#ifndef RCI_METRICS_H
#define RCI_METRICS_H

#include <stddef.h>
#include "platform/store.h"

/* Declare a method label before serving (dispatch does this for every
 * registered path). Paths not declared are counted under "unknown", so
 * clients cannot blow up the label set. Not thread-safe: call at start-up. */
void rci_metrics_declare_method(const char *path);

/* Record one finished call. */
void rci_metrics_call(const char *path, int status, double seconds);

/* Active streams gauge (+1 when a stream opens, -1 when it closes), and
 * open connections. */
void rci_metrics_streams_add(int delta);
void rci_metrics_connections_add(int delta);

/* Each loop publishes its pool figures (about once a second). */
void rci_metrics_publish_pool(int loop, const rci_store_stats *stats);

/* Reads the current health for /healthz: returns 1 when serving. */
typedef int (*rci_metrics_health_fn)(void);

/* Start the admin listener on addr ("127.0.0.1:9464"). Returns 0, or -1
 * with a message in err. */
int rci_metrics_admin_start(const char *addr, rci_metrics_health_fn health,
                            char *err, size_t errlen);
void rci_metrics_admin_stop(void);

/* Render the Prometheus text into a malloc'd string (tests use it). */
char *rci_metrics_render(void);

#endif
