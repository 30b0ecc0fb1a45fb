/* health.c: grpc.health.v1.Health — Check and Watch (reference
 * grpc-wire.md §8.1, grpc-proto health.proto).
 *
 * The status is the process-wide one in platform/health.h, the same for
 * "" and for every served service name; an unknown name gets NOT_FOUND
 * from Check and SERVICE_UNKNOWN from Watch (whose stream then stays open,
 * as the proto's comments require). Check never waits on the database.
 *
 * Watch streams are kept per loop thread (each loop owns its calls), and
 * updated by the change hook that every loop runs after a change. */
#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "platform/call.h"
#include "platform/dispatch.h"
#include "platform/health.h"
#include "std/std.h"

typedef Grpc__Health__V1__HealthCheckResponse__ServingStatus serving_status;

typedef struct health_watcher {
    rci_call *call;
    serving_status last;             /* last status sent */
    int known;                       /* the name is served */
    struct health_watcher *prev, *next;
} health_watcher;

static __thread health_watcher *watchers; /* this loop's Watch streams */

static int health_known(const char *service)
{
    return service[0] == '\0' || rci_dispatch_has_service(service);
}

static serving_status health_now(void)
{
    return rci_health_serving() ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                                : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
}

static void health_send(rci_call *call, serving_status st)
{
    Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    resp.status = st;
    rci_call_send(call, &resp.base);
}

static void health_check(rci_call *call, const ProtobufCMessage *msg)
{
    const Grpc__Health__V1__HealthCheckRequest *req = (const void *)msg;
    if (!health_known(req->service)) {
        rci_call_finish(call, RCI_NOT_FOUND, "unknown service %.200s", req->service);
        return;
    }
    Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    resp.status = health_now();
    rci_call_reply(call, &resp.base);
}

static void watcher_free(void *arg)
{
    health_watcher *w = arg;
    if (w->prev)
        w->prev->next = w->next;
    else
        watchers = w->next;
    if (w->next)
        w->next->prev = w->prev;
    free(w);
}

static void health_watch(rci_call *call, const ProtobufCMessage *msg)
{
    const Grpc__Health__V1__HealthCheckRequest *req = (const void *)msg;
    health_watcher *w = calloc(1, sizeof *w);
    if (!w) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    w->call = call;
    w->known = health_known(req->service);
    w->last = w->known ? health_now()
                       : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN;
    w->next = watchers;
    if (watchers)
        watchers->prev = w;
    watchers = w;
    rci_call_set_data(call, w, watcher_free);
    health_send(call, w->last);
}

/* Runs on each loop after the status changed: send it to every watcher of
 * a served name whose last message differs (bursts coalesce to the latest). */
static void health_changed(void)
{
    serving_status now = health_now();
    for (health_watcher *w = watchers; w; w = w->next) {
        if (!w->known || w->last == now)
            continue;
        w->last = now;
        health_send(w->call, now);
    }
}

static const rci_method health_methods[] = {
    {"/grpc.health.v1.Health/Check", &grpc__health__v1__health_check_request__descriptor,
     health_check, NULL},
    {"/grpc.health.v1.Health/Watch", &grpc__health__v1__health_check_request__descriptor,
     health_watch, NULL},
};

int rci_health_init(char *err, size_t errlen)
{
    rci_health_set_change_hook(health_changed);
    return rci_dispatch_register(health_methods, sizeof health_methods / sizeof health_methods[0],
                                 err, errlen);
}
