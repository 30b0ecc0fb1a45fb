/* dispatch.c: the table from gRPC path to handler (see dispatch.h).
 *
 * A few dozen methods at most, so a sorted array and bsearch: simple, and
 * fast enough next to everything else a call does. */
#include "platform/dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/desc.h"
#include "platform/metrics.h"

#define DISPATCH_MAX 128

static rci_route routes[DISPATCH_MAX];
static size_t nroutes;
static char *services[DISPATCH_MAX];
static size_t nservices;

static int route_cmp(const void *a, const void *b)
{
    return strcmp(((const rci_route *)a)->method->path, ((const rci_route *)b)->method->path);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *last_dot(const char *name)
{
    const char *d = strrchr(name, '.');
    return d ? d + 1 : name;
}

static int add_service(const char *path)
{
    const char *slash = strchr(path + 1, '/');
    size_t len = (size_t)(slash - path - 1);
    for (size_t i = 0; i < nservices; i++)
        if (strlen(services[i]) == len && strncmp(services[i], path + 1, len) == 0)
            return 0;
    char *s = strndup(path + 1, len);
    if (!s)
        return -1;
    services[nservices++] = s;
    qsort(services, nservices, sizeof services[0], str_cmp);
    return 0;
}

/* Check one method against the descriptor set and add its route. */
static int register_one(const rci_method *m, char *err, size_t errlen)
{
    rci_desc_method_info info;
    if (!m->path || m->path[0] != '/' || !strchr(m->path + 1, '/') ||
        rci_desc_method(m->path, &info) != 0) {
        snprintf(err, errlen, "dispatch: %s is not a method of any served .proto", m->path);
        return -1;
    }
    /* Short names: reflection v1alpha reuses the v1 C types (wire-identical). */
    if (strcmp(last_dot(info.input_type), m->input->short_name) != 0) {
        snprintf(err, errlen, "dispatch: %s takes %s, handler decodes %s", m->path,
                 info.input_type, m->input->name);
        return -1;
    }
    if (rci_dispatch_find(m->path, strlen(m->path)) || nroutes == DISPATCH_MAX) {
        snprintf(err, errlen, "dispatch: %s registered twice or table full", m->path);
        return -1;
    }
    rci_route *r = &routes[nroutes++];
    r->method = m;
    r->kind = info.client_streaming
                  ? (info.server_streaming ? RCI_KIND_BIDI : RCI_KIND_CLIENT_STREAM)
                  : (info.server_streaming ? RCI_KIND_SERVER_STREAM : RCI_KIND_UNARY);
    qsort(routes, nroutes, sizeof routes[0], route_cmp);
    rci_metrics_declare_method(m->path);
    if (add_service(m->path) != 0) {
        snprintf(err, errlen, "dispatch: out of memory");
        return -1;
    }
    return 0;
}

int rci_dispatch_register(const rci_method *methods, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        if (register_one(&methods[i], err, errlen) != 0)
            return -1;
    return 0;
}

const rci_route *rci_dispatch_find(const char *path, size_t len)
{
    size_t lo = 0, hi = nroutes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *p = routes[mid].method->path;
        int c = strncmp(p, path, len);
        if (c == 0)
            c = p[len] == '\0' ? 0 : 1;
        if (c == 0)
            return &routes[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t rci_dispatch_service_count(void)
{
    return nservices;
}

const char *rci_dispatch_service_at(size_t i)
{
    return i < nservices ? services[i] : NULL;
}

int rci_dispatch_has_service(const char *name)
{
    for (size_t i = 0; i < nservices; i++)
        if (strcmp(services[i], name) == 0)
            return 1;
    return 0;
}
