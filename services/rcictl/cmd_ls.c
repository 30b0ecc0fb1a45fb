/* cmd_ls.c: `rcictl ls [SERVICE]` — what the server serves, through server
 * reflection. Tries grpc.reflection.v1 and falls back to v1alpha when the
 * server answers UNIMPLEMENTED (stock C++ 1.51 serves only v1alpha). The
 * reflection call is a bidi stream used in lock-step: one request, wait
 * for its response, then the next (grpc-wire.md §8.2).
 */
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "rcictl/rcictl.h"

#define V1_PATH "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
#define V1ALPHA_PATH "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"

typedef Grpc__Reflection__V1__ServerReflectionRequest refl_request;
typedef Grpc__Reflection__V1__ServerReflectionResponse refl_response;

static void help(FILE *out)
{
    fputs("Usage: rcictl ls [SERVICE] [GLOBAL FLAGS]\n"
          "\n"
          "Without SERVICE: list the services the server offers, one per line, sorted.\n"
          "With SERVICE (fully qualified, e.g. rci.v1.RegistryService): list its methods\n"
          "with request and response types; \"stream\" marks a streaming side.\n"
          "\n"
          "Uses gRPC server reflection: grpc.reflection.v1, or v1alpha when the server\n"
          "does not implement v1.\n"
          "\n"
          "Output: table (services: one name per line; methods: METHOD REQUEST\n"
          "RESPONSE), json (an array of names; or {\"service\", \"methods\": [{\"name\",\n"
          "\"request\", \"response\", \"client_streaming\", \"server_streaming\"}]}), csv.\n"
          "\n"
          "Exit status: 0 on success; 1 if the server reports an error (an unknown\n"
          "SERVICE is NOT_FOUND; no reflection at all is UNIMPLEMENTED); 3 if it cannot\n"
          "connect; 2 on a usage error; 130 if interrupted.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

/* ---- the lock-step reflection stream ----------------------------------------- */

typedef struct refl {
    rcictl *ctx;
    rci_client_call *call;
    int v1;              /* still on grpc.reflection.v1 */
    int answered;        /* this call has answered once: no more fallback */
} refl;

/* Send one request and wait for its response. Returns 0 with *resp (free
 * with protobuf_c_message_free_unpacked), or an exit status after printing
 * the error. An in-band error_response is reported as its status. */
static int refl_ask(refl *r, const refl_request *req, refl_response **resp)
{
    *resp = NULL;
    for (;;) {
        if (!r->call) {
            r->call = rci_client_call_open(r->ctx->client, r->v1 ? V1_PATH : V1ALPHA_PATH,
                                           r->ctx->timeout_ms);
            if (!r->call) {
                fputs("rcictl: out of memory\n", stderr);
                return RCICTL_EXIT_RPC;
            }
            r->answered = 0;
        }
        ProtobufCMessage *m = NULL;
        if (rci_client_call_send(r->call, &req->base) == 0 &&
            rci_client_call_recv(r->call, &grpc__reflection__v1__server_reflection_response__descriptor,
                                 &m, -1) == 1) {
            r->answered = 1;
            *resp = (refl_response *)m;
            break;
        }
        rci_client_status st = RCI_CLIENT_STATUS_INIT;
        rci_client_call_take_status(r->call, &st);
        rci_client_call_free(r->call);
        r->call = NULL;
        if (r->v1 && !r->answered && st.code == RCI_UNIMPLEMENTED) {
            r->v1 = 0;                          /* try v1alpha */
            rci_client_status_clear(&st);
            continue;
        }
        if (st.code == RCI_OK) {
            free(st.message);
            st.code = RCI_INTERNAL;
            st.message = strdup("the server ended the reflection stream without an answer");
        }
        int rc = rcictl_fail(&st);
        rci_client_status_clear(&st);
        return rc;
    }
    refl_response *rr = *resp;
    if (rr->message_response_case ==
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE) {
        rci_client_status st = RCI_CLIENT_STATUS_INIT;
        st.code = rr->error_response ? rr->error_response->error_code : RCI_UNKNOWN;
        st.message = (rr->error_response && rr->error_response->error_message)
                         ? rr->error_response->error_message
                         : (char *)"";
        int rc = rcictl_fail(&st);             /* st borrows: not cleared */
        protobuf_c_message_free_unpacked(&rr->base, NULL);
        *resp = NULL;
        return rc;
    }
    return 0;
}

/* Half-close and let the server end the stream with its status. */
static void refl_close(refl *r)
{
    if (!r->call)
        return;
    if (rci_client_call_close_send(r->call) == 0) {
        ProtobufCMessage *m;
        while (rci_client_call_recv(r->call,
                                    &grpc__reflection__v1__server_reflection_response__descriptor,
                                    &m, -1) == 1)
            protobuf_c_message_free_unpacked(m, NULL);
    }
    rci_client_call_free(r->call);
    r->call = NULL;
}

/* ---- ls: services ------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_services(rcictl *ctx, refl *r)
{
    refl_request req = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    req.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES;
    req.list_services = (char *)"*";
    refl_response *resp;
    int rc = refl_ask(r, &req, &resp);
    if (rc)
        return rc;
    refl_close(r);
    if (resp->message_response_case !=
            GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE ||
        !resp->list_services_response) {
        fputs("rcictl: INTERNAL: the server answered list_services with something else\n", stderr);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return RCICTL_EXIT_RPC;
    }
    Grpc__Reflection__V1__ListServiceResponse *ls = resp->list_services_response;
    char **names = calloc(ls->n_service + 1, sizeof *names);
    if (!names) {
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        fputs("rcictl: out of memory\n", stderr);
        return RCICTL_EXIT_RPC;
    }
    size_t n = 0;
    for (size_t i = 0; i < ls->n_service; i++)
        if (ls->service[i] && ls->service[i]->name)
            names[n++] = ls->service[i]->name;
    qsort(names, n, sizeof *names, cmp_str);
    if (ctx->format == RCICTL_FORMAT_JSON) {
        fputs("[", stdout);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ", " : "", stdout);
            rcictl_json_string(stdout, names[i]);
        }
        fputs("]\n", stdout);
    } else {
        if (ctx->format == RCICTL_FORMAT_CSV)
            fputs("service\n", stdout);
        for (size_t i = 0; i < n; i++) {
            if (ctx->format == RCICTL_FORMAT_CSV)
                rcictl_csv_field(stdout, names[i]);
            else
                rcictl_put_safe(stdout, names[i], 0);
            fputc('\n', stdout);
        }
    }
    free(names);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return RCICTL_EXIT_OK;
}

/* ---- ls SERVICE: methods -------------------------------------------------------- */

static const char *type_name(const char *t)
{
    if (!t)
        return "";
    return t[0] == '.' ? t + 1 : t;            /* ".pkg.Msg" → "pkg.Msg" */
}

/* Is sd, declared in fd, the service called `full`? */
static int is_service(const Google__Protobuf__FileDescriptorProto *fd,
                      const Google__Protobuf__ServiceDescriptorProto *sd, const char *full)
{
    if (!sd->name)
        return 0;
    const char *pkg = fd->package ? fd->package : "";
    size_t pl = strlen(pkg);
    if (pl == 0)
        return strcmp(sd->name, full) == 0;
    return strncmp(full, pkg, pl) == 0 && full[pl] == '.' && strcmp(full + pl + 1, sd->name) == 0;
}

static void print_methods(const rcictl *ctx, const char *service,
                          const Google__Protobuf__ServiceDescriptorProto *sd)
{
    if (ctx->format == RCICTL_FORMAT_JSON) {
        fputs("{\"service\": ", stdout);
        rcictl_json_string(stdout, service);
        fputs(", \"methods\": [", stdout);
        for (size_t i = 0; i < sd->n_method; i++) {
            const Google__Protobuf__MethodDescriptorProto *md = sd->method[i];
            fputs(i ? ",\n  {\"name\": " : "\n  {\"name\": ", stdout);
            rcictl_json_string(stdout, md->name);
            fputs(", \"request\": ", stdout);
            rcictl_json_string(stdout, type_name(md->input_type));
            fputs(", \"response\": ", stdout);
            rcictl_json_string(stdout, type_name(md->output_type));
            printf(", \"client_streaming\": %s, \"server_streaming\": %s}",
                   md->client_streaming ? "true" : "false",
                   md->server_streaming ? "true" : "false");
        }
        fputs(sd->n_method ? "\n]}\n" : "]}\n", stdout);
        return;
    }
    static const char *const headers[] = {"METHOD", "REQUEST", "RESPONSE"};
    static const char *const keys[] = {"method", "request", "response", "client_streaming",
                                       "server_streaming"};
    int csv = ctx->format == RCICTL_FORMAT_CSV;
    rcictl_table *t = rcictl_table_new(csv ? 5 : 3, csv ? keys : headers, keys);
    if (!t)
        return;
    for (size_t i = 0; i < sd->n_method; i++) {
        const Google__Protobuf__MethodDescriptorProto *md = sd->method[i];
        char *in = NULL, *out = NULL;
        if (asprintf(&in, "%s%s", md->client_streaming && !csv ? "stream " : "",
                     type_name(md->input_type)) < 0)
            in = NULL;
        if (asprintf(&out, "%s%s", md->server_streaming && !csv ? "stream " : "",
                     type_name(md->output_type)) < 0)
            out = NULL;
        const char *row[] = {md->name, in, out, md->client_streaming ? "true" : "false",
                             md->server_streaming ? "true" : "false"};
        rcictl_table_add(t, row);
        free(in);
        free(out);
    }
    rcictl_table_print(t, ctx->format, stdout);
    rcictl_table_free(t);
}

static int list_methods(rcictl *ctx, refl *r, const char *service)
{
    refl_request req = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    req.message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
    req.file_containing_symbol = (char *)service;
    refl_response *resp;
    int rc = refl_ask(r, &req, &resp);
    if (rc)
        return rc;
    refl_close(r);
    if (resp->message_response_case !=
            GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE ||
        !resp->file_descriptor_response) {
        fputs("rcictl: INTERNAL: the server answered file_containing_symbol with something else\n",
              stderr);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return RCICTL_EXIT_RPC;
    }
    /* The answer holds the file that declares the symbol, maybe with its
     * dependencies: look for the service in each. */
    Grpc__Reflection__V1__FileDescriptorResponse *fdr = resp->file_descriptor_response;
    rc = -1;
    for (size_t i = 0; i < fdr->n_file_descriptor_proto && rc < 0; i++) {
        ProtobufCBinaryData *b = &fdr->file_descriptor_proto[i];
        Google__Protobuf__FileDescriptorProto *fd = google__protobuf__file_descriptor_proto__unpack(
            NULL, b->len, b->data);
        if (!fd) {
            fputs("rcictl: INTERNAL: the server sent an undecodable FileDescriptorProto\n", stderr);
            rc = RCICTL_EXIT_RPC;
            break;
        }
        for (size_t j = 0; j < fd->n_service; j++) {
            if (is_service(fd, fd->service[j], service)) {
                print_methods(ctx, service, fd->service[j]);
                rc = RCICTL_EXIT_OK;
                break;
            }
        }
        google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    if (rc < 0) {
        fputs("rcictl: NOT_FOUND: ", stderr);
        rcictl_put_safe(stderr, service, 0);
        fputs(" is not a service (`rcictl ls` lists the services)\n", stderr);
        rc = RCICTL_EXIT_RPC;
    }
    return rc;
}

int rcictl_cmd_ls(rcictl *ctx, int argc, char **argv)
{
    const char *service = NULL;
    int i = 1;
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, NULL, &id, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_POSITIONAL) {
            if (service)
                return rcictl_usage_error("ls", "ls takes at most one SERVICE");
            service = value;
        } else if (id == RCICTL_OPT_HELP) {
            help(stdout);
            return RCICTL_EXIT_OK;
        }
    }
    int rc;
    if (!rcictl_connect(ctx, &rc))
        return rc;
    refl r = {.ctx = ctx, .v1 = 1};
    rc = service ? list_methods(ctx, &r, service) : list_services(ctx, &r);
    refl_close(&r);
    return rc;
}
