/* desc.h: the index of the embedded descriptor set — every .proto file rcid
 * serves, by file name and by symbol.
 *
 * Owns: splitting the FileDescriptorSet into per-file byte slices (the
 * original bytes, never re-encoded), the symbol table (packages' services,
 * methods "pkg.Svc.Method", messages incl. nested, enums, enum values,
 * fields, extensions), each file's direct dependencies, and each method's
 * streaming flags. Reflection serves from it; dispatch checks every
 * registered handler against it. Loaded once at start-up, read-only after
 * (so every loop thread may read it without locks).
 */
#ifndef RCI_DESC_H
#define RCI_DESC_H

#include <stddef.h>
#include <stdint.h>
#include "platform/embedded.h"

typedef struct rci_desc_file {
    const char *name;          /* "rci/v1/registry.proto" */
    const uint8_t *data;       /* serialized FileDescriptorProto (points into the set) */
    size_t len;
    size_t ndeps;
    const struct rci_desc_file **deps;   /* direct dependencies, resolved */
} rci_desc_file;

typedef struct rci_desc_method_info {
    int client_streaming;
    int server_streaming;
    const char *input_type;    /* fully-qualified, no leading dot: "rci.v1.ListRegionsRequest" */
    const char *output_type;
} rci_desc_method_info;

/* Parse and index set (a FileDescriptorSet). The index points into set,
 * which must outlive it (the embedded array does). Returns 0, or -1 with a
 * message in err (malformed set, a dependency missing from it or listed
 * after its dependent). */
int rci_desc_load(const uint8_t *set, size_t len, char *err, size_t errlen);
void rci_desc_unload(void);

/* Lookups; NULL / -1 when unknown. Symbols are dotted without a leading dot. */
const rci_desc_file *rci_desc_file_by_name(const char *name);
const rci_desc_file *rci_desc_file_by_symbol(const char *symbol);
/* The file declaring extension number of message type `type`: none in our
 * protos, so this answers NULL unless one is added. */
const rci_desc_file *rci_desc_file_by_extension(const char *type, int number);
/* 1 if `type` names a message in the set. */
int rci_desc_has_message(const char *type);

/* Method by gRPC path "/pkg.Svc/Method": fills info, returns 0; -1 unknown. */
int rci_desc_method(const char *path, rci_desc_method_info *info);

/* Every file in the set, dependencies before dependents. */
size_t rci_desc_file_count(void);
const rci_desc_file *rci_desc_file_at(size_t i);

#endif
