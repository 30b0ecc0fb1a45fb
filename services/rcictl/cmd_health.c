/* cmd_health.c: `rcictl health` — grpc.health.v1.Health Check, or Watch
 * with --watch (which reconnects across server restarts until interrupted).
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "rcictl/rcictl.h"

#define CHECK_PATH "/grpc.health.v1.Health/Check"
#define WATCH_PATH "/grpc.health.v1.Health/Watch"
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 10000

static void help(FILE *out)
{
    fputs("Usage: rcictl health [SERVICE] [--watch] [GLOBAL FLAGS]\n"
          "\n"
          "Ask the server's grpc.health.v1.Health service whether the server (no\n"
          "SERVICE, or \"\") or the named service, e.g. rci.v1.RegistryService, is\n"
          "serving. Prints SERVING, NOT_SERVING or SERVICE_UNKNOWN.\n"
          "\n"
          "  --watch    stream changes (Health/Watch) until interrupted, one line per\n"
          "             change with the time (+08:00); reconnects with backoff when the\n"
          "             server goes away and prints UNREACHABLE meanwhile\n"
          "\n"
          "Output: table prints the status (with --watch: TIME STATUS); json prints\n"
          "{\"service\": ..., \"status\": ...} (with --watch one object per line, with\n"
          "\"time\"); csv prints a header row and one row per status.\n"
          "\n"
          "Exit status: 0 if SERVING; 4 if the server answered with another status;\n"
          "1 on an error status (an unknown SERVICE is NOT_FOUND); 3 if it cannot\n"
          "connect; 2 on a usage error; 130 if interrupted. With --watch, the exit\n"
          "status on interruption is 0 if the last status seen was SERVING, else 4.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

static const char *status_name(int v)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
        &grpc__health__v1__health_check_response__serving_status__descriptor, v);
    return ev ? ev->name : "UNKNOWN";
}

/* One status line. with_time: --watch. */
static void print_status(const rcictl *ctx, const char *service, const char *status,
                         int with_time, int *header_done)
{
    char now[32] = "";
    if (with_time)
        rcictl_now_cst(now);
    switch (ctx->format) {
    case RCICTL_FORMAT_TABLE:
        if (with_time)
            printf("%s  ", now);
        printf("%s\n", status);
        break;
    case RCICTL_FORMAT_JSON:
        fputs("{", stdout);
        if (with_time) {
            rcictl_json_string(stdout, "time");
            fputs(": ", stdout);
            rcictl_json_string(stdout, now);
            fputs(", ", stdout);
        }
        fputs("\"service\": ", stdout);
        rcictl_json_string(stdout, service);
        fputs(", \"status\": ", stdout);
        rcictl_json_string(stdout, status);
        fputs("}\n", stdout);
        break;
    case RCICTL_FORMAT_CSV:
        if (!*header_done) {
            fputs(with_time ? "time,service,status\n" : "service,status\n", stdout);
            *header_done = 1;
        }
        if (with_time)
            printf("%s,", now);
        rcictl_csv_field(stdout, service);
        printf(",%s\n", status);
        break;
    }
    fflush(stdout);
}

static int check(rcictl *ctx, const char *service)
{
    int rc;
    rci_client *c = rcictl_connect(ctx, &rc);
    if (!c)
        return rc;
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)service;
    ProtobufCMessage *m;
    rci_client_status st = RCI_CLIENT_STATUS_INIT;
    if (rci_client_unary(c, CHECK_PATH, &req.base,
                         &grpc__health__v1__health_check_response__descriptor, &m, &st,
                         ctx->timeout_ms) != RCI_OK) {
        rc = rcictl_fail(&st);
        rci_client_status_clear(&st);
        return rc;
    }
    rci_client_status_clear(&st);
    Grpc__Health__V1__HealthCheckResponse *resp = (Grpc__Health__V1__HealthCheckResponse *)m;
    int serving = resp->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    int header_done = 0;
    print_status(ctx, service, status_name(resp->status), 0, &header_done);
    protobuf_c_message_free_unpacked(m, NULL);
    return serving ? RCICTL_EXIT_OK : RCICTL_EXIT_NOT_SERVING;
}

/* Statuses that a retry cannot fix end the watch. */
static int watch_fatal(int code)
{
    return code == RCI_UNIMPLEMENTED || code == RCI_UNAUTHENTICATED ||
           code == RCI_PERMISSION_DENIED || code == RCI_INVALID_ARGUMENT ||
           code == RCI_NOT_FOUND || code == RCI_FAILED_PRECONDITION;
}

static int watch(rcictl *ctx, const char *service)
{
    char last[32] = "";          /* last status printed */
    int header_done = 0, backoff = BACKOFF_MIN_MS;
    while (!rcictl_interrupted) {
        rci_client_status st = RCI_CLIENT_STATUS_INIT;
        if (!ctx->client) {
            ctx->client = rci_client_connect(ctx->server, &ctx->opt, &st);
            if (!ctx->client && st.code == RCI_INVALID_ARGUMENT) {
                rcictl_fail(&st);
                rci_client_status_clear(&st);
                return RCICTL_EXIT_USAGE;
            }
        }
        if (ctx->client) {
            rci_client_call *call = rci_client_call_open(ctx->client, WATCH_PATH, 0);
            if (!call) {
                fputs("rcictl: out of memory\n", stderr);
                return RCICTL_EXIT_RPC;
            }
            Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
            req.service = (char *)service;
            if (rci_client_call_send(call, &req.base) == 0)
                rci_client_call_close_send(call);
            ProtobufCMessage *m;
            while (rci_client_call_recv(call, &grpc__health__v1__health_check_response__descriptor,
                                        &m, -1) == 1) {
                const char *name =
                    status_name(((Grpc__Health__V1__HealthCheckResponse *)m)->status);
                if (strcmp(name, last) != 0) {
                    print_status(ctx, service, name, 1, &header_done);
                    snprintf(last, sizeof last, "%s", name);
                }
                backoff = BACKOFF_MIN_MS;
                protobuf_c_message_free_unpacked(m, NULL);
            }
            rci_client_call_take_status(call, &st);
            rci_client_call_free(call);
            if (rcictl_interrupted) {
                rci_client_status_clear(&st);
                break;
            }
            if (watch_fatal(st.code)) {
                int rc = rcictl_fail(&st);
                rci_client_status_clear(&st);
                return rc;
            }
            rci_client_close(ctx->client);     /* start over on a new connection */
            ctx->client = NULL;
        }
        if (rcictl_interrupted) {
            rci_client_status_clear(&st);
            break;
        }
        if (strcmp(last, "UNREACHABLE") != 0) {
            if (st.code == RCI_OK) {
                fputs("rcictl: the server ended the watch (retrying)\n", stderr);
            } else {
                fprintf(stderr, "rcictl: %s: ", rci_status_name(st.code));
                rcictl_put_safe(stderr, st.message && *st.message ? st.message : "(no message)", 1);
                fputs(" (retrying)\n", stderr);
            }
            print_status(ctx, service, "UNREACHABLE", 1, &header_done);
            snprintf(last, sizeof last, "UNREACHABLE");
        }
        rci_client_status_clear(&st);
        poll(NULL, 0, backoff);                /* a signal cuts the sleep short */
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
    return strcmp(last, "SERVING") == 0 ? RCICTL_EXIT_OK : RCICTL_EXIT_NOT_SERVING;
}

int rcictl_cmd_health(rcictl *ctx, int argc, char **argv)
{
    enum { O_WATCH = 1 };
    static const rcictl_option opts[] = {{"watch", 0, O_WATCH}, {NULL, 0, 0}};
    const char *service = NULL;
    int do_watch = 0, i = 1;
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, opts, &id, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_POSITIONAL) {
            if (service)
                return rcictl_usage_error("health", "health takes at most one SERVICE");
            service = value;
        } else if (id == RCICTL_OPT_HELP) {
            help(stdout);
            return RCICTL_EXIT_OK;
        } else if (id == O_WATCH) {
            do_watch = 1;
        }
    }
    if (!service)
        service = "";
    return do_watch ? watch(ctx, service) : check(ctx, service);
}
