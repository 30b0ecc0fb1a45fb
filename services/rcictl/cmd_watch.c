/* cmd_watch.c: `rcictl watch` — rci.v1.AlertService/WatchAlerts, one line
 * per alert as it arrives, until interrupted.
 *
 * It never loses or repeats an alert across reconnects: it starts from the
 * latest alert id (ListAlerts.latest_id) unless --after says otherwise, and
 * every reconnect resumes with after_id = the last id it has printed, which
 * the server's commit-order ids make a complete resume point
 * (migrations/0011_alerts.sql).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rci/v1/alerts.pb-c.h"
#include "rcictl/rcictl.h"

#define WATCH_PATH "/rci.v1.AlertService/WatchAlerts"
#define LIST_PATH "/rci.v1.AlertService/ListAlerts"
#define FILTER_MAX 64
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 10000

static void help(FILE *out)
{
    fputs("Usage: rcictl watch [--city CODE]... [--kind KIND]... [--after ID] [GLOBAL FLAGS]\n"
          "\n"
          "Print the alerts the server raises (a river section sample off target, a\n"
          "heavy-pollution day, a joint-monitoring discrepancy) as they arrive, until\n"
          "interrupted. An agency's token sees its own city's alerts; an admin token\n"
          "sees all.\n"
          "\n"
          "  --city CODE   only alerts concerning this city (GB/T 2260; repeatable)\n"
          "  --kind KIND   water.off_target, air.heavy_pollution or\n"
          "                water.joint_discrepancy (repeatable)\n"
          "  --after ID    first print every alert after ID (0: the whole history),\n"
          "                then new ones; default: only new ones\n"
          "\n"
          "When the server goes away it reconnects with backoff and resumes after the\n"
          "last alert printed: nothing is lost or printed twice.\n"
          "\n"
          "Output: table prints ID, TIME (+08:00), KIND, SEVERITY, CITIES, SUBJECT and\n"
          "MESSAGE, one line per alert; json prints one object per line (with\n"
          "\"detail\"); csv prints a header row, then one row per alert.\n"
          "\n"
          "Exit status: 130 when interrupted; 1 on an error the server will not get\n"
          "over (no or bad token, a city not allowed, a bad filter); 2 on a usage\n"
          "error.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

typedef struct watch_args {
    char *cities[FILTER_MAX];
    size_t ncities;
    char *kinds[FILTER_MAX];
    size_t nkinds;
    long long after;             /* -1: from now */
} watch_args;

static void print_alert(const rcictl *ctx, const Rci__V1__Alert *a, int *header_done)
{
    char when[48], cities[FILTER_MAX * 8 + 1] = "";
    rcictl_cst(a->raised_at, 0, when);
    for (size_t i = 0; i < a->n_cities && i < FILTER_MAX; i++)
        snprintf(cities + strlen(cities), sizeof cities - strlen(cities), "%s%s", i ? "," : "",
                 a->cities[i]);
    switch (ctx->format) {
    case RCICTL_FORMAT_TABLE:
        printf("%lld  %s  %s  %s  %s  ", (long long)a->id, when, a->kind, a->severity, cities);
        rcictl_put_safe(stdout, a->subject, 0);
        fputs("  ", stdout);
        rcictl_put_safe(stdout, a->message, 0);
        fputc('\n', stdout);
        break;
    case RCICTL_FORMAT_JSON:
        printf("{\"id\": %lld, \"time\": ", (long long)a->id);
        rcictl_json_string(stdout, when);
        fputs(", \"kind\": ", stdout);
        rcictl_json_string(stdout, a->kind);
        fputs(", \"severity\": ", stdout);
        rcictl_json_string(stdout, a->severity);
        fputs(", \"cities\": [", stdout);
        for (size_t i = 0; i < a->n_cities; i++) {
            fputs(i ? ", " : "", stdout);
            rcictl_json_string(stdout, a->cities[i]);
        }
        fputs("], \"subject\": ", stdout);
        rcictl_json_string(stdout, a->subject);
        fputs(", \"message\": ", stdout);
        rcictl_json_string(stdout, a->message);
        /* detail_json is the server's JSON object: checked to start like one. */
        printf(", \"detail\": %s}\n", a->detail_json[0] == '{' ? a->detail_json : "{}");
        break;
    case RCICTL_FORMAT_CSV:
        if (!*header_done)
            puts("id,time,kind,severity,cities,subject,message");
        printf("%lld,", (long long)a->id);
        const char *cells[] = {when, a->kind, a->severity, cities, a->subject, a->message};
        for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
            rcictl_csv_field(stdout, cells[i]);
            fputc(i + 1 < sizeof cells / sizeof cells[0] ? ',' : '\n', stdout);
        }
        break;
    }
    *header_done = 1;
    fflush(stdout);
}

/* Statuses a retry cannot fix end the watch. */
static int watch_fatal(int code)
{
    return code == RCI_UNIMPLEMENTED || code == RCI_UNAUTHENTICATED ||
           code == RCI_PERMISSION_DENIED || code == RCI_INVALID_ARGUMENT ||
           code == RCI_NOT_FOUND || code == RCI_FAILED_PRECONDITION;
}

/* The latest alert id, so that "from now" can be resumed exactly. */
static int latest_id(rcictl *ctx, long long *out, rci_client_status *st)
{
    Rci__V1__ListAlertsRequest req = RCI__V1__LIST_ALERTS_REQUEST__INIT;
    req.page_size = 1;
    req.after_id = INT64_MAX;
    ProtobufCMessage *m;
    if (rci_client_unary(ctx->client, LIST_PATH, &req.base,
                         &rci__v1__list_alerts_response__descriptor, &m, st,
                         ctx->timeout_ms) != RCI_OK)
        return -1;
    *out = ((Rci__V1__ListAlertsResponse *)m)->latest_id;
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

/* One stream from args->after until it ends; moves args->after along. */
static void watch_once(rcictl *ctx, watch_args *args, int *header_done, int *backoff,
                       rci_client_status *st)
{
    rci_client_call *call = rci_client_call_open(ctx->client, WATCH_PATH, 0);
    if (!call) {
        st->code = RCI_RESOURCE_EXHAUSTED;
        return;
    }
    Rci__V1__WatchAlertsRequest req = RCI__V1__WATCH_ALERTS_REQUEST__INIT;
    Google__Protobuf__Int64Value after = GOOGLE__PROTOBUF__INT64_VALUE__INIT;
    after.value = args->after;
    req.after_id = &after;
    req.cities = args->cities;
    req.n_cities = args->ncities;
    req.kinds = args->kinds;
    req.n_kinds = args->nkinds;
    if (rci_client_call_send(call, &req.base) == 0)
        rci_client_call_close_send(call);
    ProtobufCMessage *m;
    while (rci_client_call_recv(call, &rci__v1__alert__descriptor, &m, -1) == 1) {
        const Rci__V1__Alert *a = (const Rci__V1__Alert *)m;
        if (a->id > args->after) {
            print_alert(ctx, a, header_done);
            args->after = a->id;
        }
        *backoff = BACKOFF_MIN_MS;
        protobuf_c_message_free_unpacked(m, NULL);
    }
    rci_client_call_take_status(call, st);
    rci_client_call_free(call);
}

static int watch(rcictl *ctx, watch_args *args)
{
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
        if (ctx->client && (args->after >= 0 || latest_id(ctx, &args->after, &st) == 0))
            watch_once(ctx, args, &header_done, &backoff, &st);
        if (rcictl_interrupted) {
            rci_client_status_clear(&st);
            break;
        }
        if (watch_fatal(st.code)) {
            int rc = rcictl_fail(&st);
            rci_client_status_clear(&st);
            return rc;
        }
        fprintf(stderr, "rcictl: %s: ", rci_status_name(st.code));
        rcictl_put_safe(stderr, st.message && *st.message ? st.message : "(no message)", 1);
        fprintf(stderr, " (reconnecting; resuming after alert %lld)\n", args->after);
        rci_client_status_clear(&st);
        rci_client_close(ctx->client);     /* start over on a new connection */
        ctx->client = NULL;
        poll(NULL, 0, backoff);            /* a signal cuts the sleep short */
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
    return RCICTL_EXIT_INTERRUPTED;
}

int rcictl_cmd_watch(rcictl *ctx, int argc, char **argv)
{
    enum { O_CITY = 1, O_KIND, O_AFTER };
    static const rcictl_option opts[] = {
        {"city", 1, O_CITY}, {"kind", 1, O_KIND}, {"after", 1, O_AFTER}, {NULL, 0, 0}};
    watch_args args = {.after = -1};
    int i = 1;
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, opts, &id, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_POSITIONAL)
            return rcictl_usage_error("watch", "unexpected argument \"%s\"", value);
        if (id == RCICTL_OPT_HELP) {
            help(stdout);
            return RCICTL_EXIT_OK;
        }
        if ((id == O_CITY && args.ncities == FILTER_MAX) ||
            (id == O_KIND && args.nkinds == FILTER_MAX))
            return rcictl_usage_error("watch", "at most %d --city and %d --kind", FILTER_MAX,
                                      FILTER_MAX);
        if (id == O_CITY) {
            args.cities[args.ncities++] = (char *)value;
        } else if (id == O_KIND) {
            args.kinds[args.nkinds++] = (char *)value;
        } else if (id == O_AFTER) {
            char *end;
            errno = 0;
            long long v = strtoll(value, &end, 10);
            if (errno || end == value || *end || v < 0)
                return rcictl_usage_error("watch", "--after: an alert id, 0 or more");
            args.after = v;
        }
    }
    return watch(ctx, &args);
}
