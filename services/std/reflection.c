/* reflection.c: gRPC server reflection, grpc.reflection.v1 and v1alpha
 * (shared reference grpc-wire.md §8.2).
 *
 * Owns: the ServerReflectionInfo handler, served under both package names
 * (the two protos are wire-identical, so one handler built on the v1 C types
 * answers both). The call is bidi and clients work in lock-step, so every
 * request message is answered as soon as it arrives, from the descriptor
 * index (platform/desc.h) and the table of served services (dispatch.h).
 * Errors are answered in-band (error_response) and leave the stream open;
 * when the client half-closes, the platform finishes the call with OK.
 *
 * Each response is built on the stack from borrowed pointers (request
 * strings, descriptor bytes, service names) plus at most one temporary
 * array, freed before the handler returns: rci_call_send serializes at once.
 */
#include "std/std.h"

#include <stdlib.h>
#include <string.h>

#include "grpc/reflection/v1/reflection.pb-c.h"
#include "platform/call.h"
#include "platform/desc.h"
#include "platform/dispatch.h"

typedef Grpc__Reflection__V1__ServerReflectionRequest refl_request;
typedef Grpc__Reflection__V1__ServerReflectionResponse refl_response;

/* Send resp; a failure means the call is over (finished, cancelled, or
 * ended by the platform for a full queue), and there is nothing left to do. */
static void refl_send(rci_call *call, const refl_response *resp)
{
    (void)rci_call_send(call, &resp->base);
}

/* Answer with error_response{code, "what: name"}. */
static void refl_send_error(rci_call *call, refl_response *resp, rci_status code,
                            const char *what, const char *name)
{
    Grpc__Reflection__V1__ErrorResponse er = GRPC__REFLECTION__V1__ERROR_RESPONSE__INIT;
    size_t wl = strlen(what), nl = name ? strlen(name) : 0;
    char *text = malloc(wl + nl + 3);    /* built whole: a cut could split a UTF-8 sequence */
    if (text) {
        memcpy(text, what, wl + 1);
        if (name) {
            memcpy(text + wl, ": ", 2);
            memcpy(text + wl + 2, name, nl + 1);
        }
    }
    er.error_code = (int32_t)code;
    er.error_message = text ? text : (char *)what;
    resp->message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
    resp->error_response = &er;
    refl_send(call, resp);
    free(text);
}

/* ---- file_descriptor_response ------------------------------------------- */

/* The files of one answer: the requested file, then its transitive
 * dependencies depth-first, each once. */
typedef struct refl_files {
    const rci_desc_file **list;   /* owned array of cap; entries borrowed */
    size_t n, cap;
} refl_files;

static int refl_files_has(const refl_files *fs, const rci_desc_file *f)
{
    for (size_t i = 0; i < fs->n; i++)
        if (fs->list[i] == f)
            return 1;
    return 0;
}

/* Add f and then, depth-first, every file it imports not yet listed. The
 * depth is bounded by the number of files: imports come before importers. */
static void refl_files_add(refl_files *fs, const rci_desc_file *f)
{
    if (fs->n == fs->cap || refl_files_has(fs, f))
        return;
    fs->list[fs->n++] = f;
    for (size_t i = 0; i < f->ndeps; i++)
        refl_files_add(fs, f->deps[i]);
}

/* Answer with file f and its import closure. */
static void refl_send_file(rci_call *call, refl_response *resp, const rci_desc_file *f)
{
    size_t cap = rci_desc_file_count();
    refl_files fs = { calloc(cap ? cap : 1, sizeof *fs.list), 0, cap };
    ProtobufCBinaryData *bytes = calloc(cap ? cap : 1, sizeof *bytes);
    if (!fs.list || !bytes) {
        free(fs.list);
        free(bytes);
        refl_send_error(call, resp, RCI_RESOURCE_EXHAUSTED, "out of memory", NULL);
        return;
    }
    refl_files_add(&fs, f);
    for (size_t i = 0; i < fs.n; i++)
        bytes[i] = (ProtobufCBinaryData){ fs.list[i]->len, (uint8_t *)fs.list[i]->data };
    Grpc__Reflection__V1__FileDescriptorResponse fdr =
        GRPC__REFLECTION__V1__FILE_DESCRIPTOR_RESPONSE__INIT;
    fdr.n_file_descriptor_proto = fs.n;
    fdr.file_descriptor_proto = bytes;
    resp->message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
    resp->file_descriptor_response = &fdr;
    refl_send(call, resp);
    free(bytes);
    free(fs.list);
}

/* Answer with file f and its imports, or NOT_FOUND "what: name". */
static void refl_send_file_or_error(rci_call *call, refl_response *resp,
                                    const rci_desc_file *f, const char *what,
                                    const char *name)
{
    if (f)
        refl_send_file(call, resp, f);
    else
        refl_send_error(call, resp, RCI_NOT_FOUND, what, name);
}

/* ---- the other answers --------------------------------------------------- */

/* list_services: every served service (the request's content is ignored). */
static void refl_send_services(rci_call *call, refl_response *resp)
{
    size_t n = rci_dispatch_service_count();
    Grpc__Reflection__V1__ServiceResponse *items = calloc(n ? n : 1, sizeof *items);
    Grpc__Reflection__V1__ServiceResponse **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    if (!items || !ptrs) {
        free(items);
        free(ptrs);
        refl_send_error(call, resp, RCI_RESOURCE_EXHAUSTED, "out of memory", NULL);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        grpc__reflection__v1__service_response__init(&items[i]);
        items[i].name = (char *)rci_dispatch_service_at(i);
        ptrs[i] = &items[i];
    }
    Grpc__Reflection__V1__ListServiceResponse ls = GRPC__REFLECTION__V1__LIST_SERVICE_RESPONSE__INIT;
    ls.n_service = n;
    ls.service = ptrs;
    resp->message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
    resp->list_services_response = &ls;
    refl_send(call, resp);
    free(ptrs);
    free(items);
}

/* file_containing_extension: the file declaring extension (type, number). */
static void refl_send_extension(rci_call *call, refl_response *resp,
                                const Grpc__Reflection__V1__ExtensionRequest *ext)
{
    const rci_desc_file *f = NULL;
    if (ext && ext->containing_type)
        f = rci_desc_file_by_extension(ext->containing_type, ext->extension_number);
    refl_send_file_or_error(call, resp, f, "Extension not found", NULL);
}

/* all_extension_numbers_of_type: our protos declare no extensions, so a
 * known message type gets an empty list; an unknown type NOT_FOUND. */
static void refl_send_extension_numbers(rci_call *call, refl_response *resp, const char *type)
{
    if (!type || !rci_desc_has_message(type)) {
        refl_send_error(call, resp, RCI_NOT_FOUND, "Type not found", type);
        return;
    }
    Grpc__Reflection__V1__ExtensionNumberResponse en =
        GRPC__REFLECTION__V1__EXTENSION_NUMBER_RESPONSE__INIT;
    en.base_type_name = (char *)type;
    resp->message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
    resp->all_extension_numbers_response = &en;
    refl_send(call, resp);
}

/* ---- the handler --------------------------------------------------------- */

/* One request message of the stream: answer it now, echoing host and the
 * request itself. */
static void refl_on_request(rci_call *call, const ProtobufCMessage *msg)
{
    const refl_request *req = (const refl_request *)msg;
    refl_response resp = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__INIT;
    resp.valid_host = req->host ? req->host : "";
    resp.original_request = (refl_request *)req;     /* only read, by the packer */
    switch (req->message_request_case) {
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
        refl_send_file_or_error(call, &resp, rci_desc_file_by_name(req->file_by_filename),
                                "File not found", req->file_by_filename);
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
        refl_send_file_or_error(call, &resp, rci_desc_file_by_symbol(req->file_containing_symbol),
                                "Symbol not found", req->file_containing_symbol);
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
        refl_send_extension(call, &resp, req->file_containing_extension);
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
        refl_send_extension_numbers(call, &resp, req->all_extension_numbers_of_type);
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
        refl_send_services(call, &resp);
        break;
    default:
        refl_send_error(call, &resp, RCI_INVALID_ARGUMENT,
                        "Request names none of file_by_filename, file_containing_symbol, "
                        "file_containing_extension, all_extension_numbers_of_type, list_services",
                        NULL);
        break;
    }
}

/* Both packages, one handler: the v1 request type decodes v1alpha too.
 * on_half_close is left NULL: the platform finishes OK once the queue drains. */
static const rci_method refl_methods[] = {
    { "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      &grpc__reflection__v1__server_reflection_request__descriptor, refl_on_request, NULL },
    { "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      &grpc__reflection__v1__server_reflection_request__descriptor, refl_on_request, NULL },
};

int rci_reflection_init(char *err, size_t errlen)
{
    return rci_dispatch_register(refl_methods, sizeof refl_methods / sizeof refl_methods[0],
                                 err, errlen);
}
