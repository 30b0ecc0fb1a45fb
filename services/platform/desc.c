/* desc.c: the index of the embedded descriptor set (see desc.h).
 *
 * Owns: one process-wide index, built by rci_desc_load and read-only after:
 *   - files[]: one rci_desc_file per FileDescriptorProto, in set order. Its
 *     data/len slice points into the caller's set bytes (which must outlive
 *     the index: the embedded array does); the name points into that
 *     file's unpacked proto, which the index keeps until unload.
 *   - syms[]: every symbol name (owned strings) with its kind and file,
 *     sorted by name for bsearch.
 *   - methods[]: every "/pkg.Svc/Method" path (owned) with its streaming
 *     flags and types, sorted by path.
 *   - exts[]: every extension as (extendee, number) → file, sorted.
 *
 * The set is split by walking its wire format (field 1, length-delimited),
 * so reflection serves each file's original bytes; each slice is unpacked
 * on its own with protobuf-c's FileDescriptorProto only to build the index.
 * A load either succeeds and replaces the previous index, or fails and
 * leaves it as it was.
 */
#include "platform/desc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"

/* Deeper nesting of messages than this is refused (protobuf's own limit). */
#define DESC_MAX_DEPTH 100

typedef enum desc_kind {
    DESC_SYM_SERVICE,
    DESC_SYM_METHOD,
    DESC_SYM_MESSAGE,
    DESC_SYM_FIELD,
    DESC_SYM_ONEOF,
    DESC_SYM_ENUM,
    DESC_SYM_ENUM_VALUE,
    DESC_SYM_EXTENSION
} desc_kind;

typedef struct desc_symbol {
    char *name;                 /* owned, "pkg.Outer.Inner" */
    desc_kind kind;
    const rci_desc_file *file;
} desc_symbol;

typedef struct desc_method {
    char *path;                 /* owned, "/pkg.Svc/Method" */
    rci_desc_method_info info;  /* type names point into the unpacked proto */
} desc_method;

typedef struct desc_extension {
    const char *extendee;       /* no leading dot; points into the unpacked proto */
    int32_t number;
    const rci_desc_file *file;
} desc_extension;

typedef struct desc_index {
    rci_desc_file *files;
    Google__Protobuf__FileDescriptorProto **protos;   /* owned, nfiles of them */
    size_t nfiles, filecap;
    desc_symbol *syms;
    size_t nsyms, symcap;
    desc_method *methods;
    size_t nmethods, methodcap;
    desc_extension *exts;
    size_t nexts, extcap;
} desc_index;

/* What a load is working on, for error messages. */
typedef struct desc_builder {
    desc_index ix;
    const rci_desc_file *file;  /* file being indexed */
    char *err;
    size_t errlen;
} desc_builder;

static desc_index desc_live;

/* ---- helpers ------------------------------------------------------------- */

/* Write "descriptor set: <message>" into the builder's err; returns -1. */
static int desc_fail(desc_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int desc_fail(desc_builder *b, const char *fmt, ...)
{
    if (b->err && b->errlen > 0) {
        int n = snprintf(b->err, b->errlen, "descriptor set: ");
        if (n >= 0 && (size_t)n < b->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(b->err + n, b->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

/* Make room for one more element in arr (n used of *cap elements of elem
 * bytes). Returns the array, possibly moved, or NULL (arr then unchanged). */
static void *desc_grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = reallocarray(arr, ncap, elem);
    if (p)
        *cap = ncap;
    return p;
}

/* "scope.name", or "name" when scope is empty. Returns malloc'd text or NULL. */
static char *desc_join(const char *scope, const char *name)
{
    size_t sl = strlen(scope), nl = strlen(name);
    char *s = malloc(sl + nl + 2);
    if (!s)
        return NULL;
    size_t off = 0;
    if (sl) {
        memcpy(s, scope, sl);
        s[sl] = '.';
        off = sl + 1;
    }
    memcpy(s + off, name, nl + 1);
    return s;
}

/* A type reference as stored by protoc (".pkg.Msg") without its dot. */
static const char *desc_strip_dot(const char *type)
{
    return type[0] == '.' ? type + 1 : type;
}

/* Free everything ix owns and zero it. */
static void desc_index_free(desc_index *ix)
{
    for (size_t i = 0; i < ix->nsyms; i++)
        free(ix->syms[i].name);
    for (size_t i = 0; i < ix->nmethods; i++)
        free(ix->methods[i].path);
    for (size_t i = 0; i < ix->nfiles; i++) {
        free(ix->files[i].deps);
        if (ix->protos && ix->protos[i])
            google__protobuf__file_descriptor_proto__free_unpacked(ix->protos[i], NULL);
    }
    free(ix->syms);
    free(ix->methods);
    free(ix->exts);
    free(ix->files);
    free(ix->protos);
    memset(ix, 0, sizeof *ix);
}

/* ---- splitting the set ----------------------------------------------------- */

/* Read a base-128 varint at *p (before end). Advances *p; 0 or -1. */
static int desc_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t byte = *(*p)++;
        x |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* Append one file slice to the builder (unpacked later). 0 or -1. */
static int desc_add_slice(desc_builder *b, const uint8_t *data, size_t len)
{
    desc_index *ix = &b->ix;
    rci_desc_file *files = desc_grow(ix->files, &ix->filecap, ix->nfiles, sizeof *files);
    if (!files)
        return desc_fail(b, "out of memory");
    ix->files = files;
    ix->files[ix->nfiles++] = (rci_desc_file){ .data = data, .len = len };
    return 0;
}

/* Skip one field of wire type wt whose tag has been read. 0 or -1. */
static int desc_skip(const uint8_t **p, const uint8_t *end, unsigned wt)
{
    uint64_t v;
    switch (wt) {
    case 0:
        return desc_varint(p, end, &v);
    case 1:
    case 5: {
        size_t n = wt == 1 ? 8 : 4;
        if ((size_t)(end - *p) < n)
            return -1;
        *p += n;
        return 0;
    }
    case 2:
        if (desc_varint(p, end, &v) < 0 || v > (uint64_t)(end - *p))
            return -1;
        *p += v;
        return 0;
    default:    /* groups (3, 4) have no place in a FileDescriptorSet; 6, 7 are invalid */
        return -1;
    }
}

/* Walk the FileDescriptorSet's wire format: every field 1 is one file's
 * bytes; other fields are skipped. 0, or -1 on malformed input. */
static int desc_split(desc_builder *b, const uint8_t *set, size_t len)
{
    const uint8_t *p = set, *end = set + len;
    while (p < end) {
        size_t at = (size_t)(p - set);
        uint64_t tag, flen;
        if (desc_varint(&p, end, &tag) < 0 || (tag >> 3) == 0)
            return desc_fail(b, "bad field tag at byte %zu", at);
        unsigned wt = (unsigned)(tag & 7);
        if ((tag >> 3) != 1) {
            if (desc_skip(&p, end, wt) < 0)
                return desc_fail(b, "bad or truncated field at byte %zu", at);
            continue;
        }
        if (wt != 2)
            return desc_fail(b, "field 1 at byte %zu is not length-delimited", at);
        if (desc_varint(&p, end, &flen) < 0 || flen > (uint64_t)(end - p))
            return desc_fail(b, "file at byte %zu is truncated", at);
        if (desc_add_slice(b, p, (size_t)flen) < 0)
            return -1;
        p += flen;
    }
    return 0;
}

/* ---- files and dependencies ----------------------------------------------- */

/* Unpack every slice and take the file names; names must be unique. */
static int desc_unpack_files(desc_builder *b)
{
    desc_index *ix = &b->ix;
    if (ix->nfiles && !(ix->protos = calloc(ix->nfiles, sizeof *ix->protos)))
        return desc_fail(b, "out of memory");
    for (size_t i = 0; i < ix->nfiles; i++) {
        rci_desc_file *f = &ix->files[i];
        ix->protos[i] = google__protobuf__file_descriptor_proto__unpack(NULL, f->len, f->data);
        if (!ix->protos[i])
            return desc_fail(b, "file #%zu is not a valid FileDescriptorProto", i);
        if (!ix->protos[i]->name || !ix->protos[i]->name[0])
            return desc_fail(b, "file #%zu has no name", i);
        f->name = ix->protos[i]->name;
        for (size_t j = 0; j < i; j++)
            if (strcmp(ix->files[j].name, f->name) == 0)
                return desc_fail(b, "file %s appears twice", f->name);
    }
    return 0;
}

/* Index of the file named name among the first n, or n if absent. */
static size_t desc_find_file(const desc_index *ix, size_t n, const char *name)
{
    size_t i = 0;
    while (i < n && strcmp(ix->files[i].name, name) != 0)
        i++;
    return i;
}

/* Point each file's deps at the files it imports; every import must be in
 * the set, before the file that imports it (as protoc writes it). */
static int desc_resolve_deps(desc_builder *b)
{
    desc_index *ix = &b->ix;
    for (size_t i = 0; i < ix->nfiles; i++) {
        const Google__Protobuf__FileDescriptorProto *fp = ix->protos[i];
        rci_desc_file *f = &ix->files[i];
        if (fp->n_dependency == 0)
            continue;
        f->deps = calloc(fp->n_dependency, sizeof *f->deps);
        if (!f->deps)
            return desc_fail(b, "out of memory");
        for (size_t d = 0; d < fp->n_dependency; d++) {
            size_t j = desc_find_file(ix, ix->nfiles, fp->dependency[d]);
            if (j == ix->nfiles)
                return desc_fail(b, "%s imports %s, which is not in the set", f->name,
                                 fp->dependency[d]);
            if (j >= i)
                return desc_fail(b, "%s imports %s, which is not before it in the set",
                                 f->name, fp->dependency[d]);
            f->deps[f->ndeps++] = &ix->files[j];
        }
    }
    return 0;
}

/* ---- symbols --------------------------------------------------------------- */

/* Add symbol scope.name of kind to the current file. Returns the stored
 * full name (stable until unload: usable as a child scope) or NULL. */
static const char *desc_add_symbol(desc_builder *b, const char *scope, const char *name,
                                   desc_kind kind)
{
    desc_index *ix = &b->ix;
    if (!name || !name[0]) {
        desc_fail(b, "%s: unnamed definition in scope '%s'", b->file->name, scope);
        return NULL;
    }
    char *full = desc_join(scope, name);
    desc_symbol *syms = full ? desc_grow(ix->syms, &ix->symcap, ix->nsyms, sizeof *syms) : NULL;
    if (!syms) {
        free(full);
        desc_fail(b, "out of memory");
        return NULL;
    }
    ix->syms = syms;
    ix->syms[ix->nsyms++] = (desc_symbol){ full, kind, b->file };
    return full;
}

/* Index an extension field declared in scope (file package or message). */
static int desc_index_extension(desc_builder *b, const char *scope,
                                const Google__Protobuf__FieldDescriptorProto *fd)
{
    desc_index *ix = &b->ix;
    if (!desc_add_symbol(b, scope, fd->name, DESC_SYM_EXTENSION))
        return -1;
    if (!fd->extendee || !fd->has_number)
        return desc_fail(b, "%s: extension %s has no extendee or number", b->file->name,
                         fd->name);
    desc_extension *exts = desc_grow(ix->exts, &ix->extcap, ix->nexts, sizeof *exts);
    if (!exts)
        return desc_fail(b, "out of memory");
    ix->exts = exts;
    ix->exts[ix->nexts++] =
        (desc_extension){ desc_strip_dot(fd->extendee), fd->number, b->file };
    return 0;
}

/* Index an enum and its values. Values are siblings of the enum (scope.VALUE,
 * protobuf's scoping rule) and are also accepted as scope.Enum.VALUE. */
static int desc_index_enum(desc_builder *b, const char *scope,
                           const Google__Protobuf__EnumDescriptorProto *ed)
{
    const char *full = desc_add_symbol(b, scope, ed->name, DESC_SYM_ENUM);
    if (!full)
        return -1;
    for (size_t i = 0; i < ed->n_value; i++) {
        const char *v = ed->value[i]->name;
        if (!desc_add_symbol(b, scope, v, DESC_SYM_ENUM_VALUE) ||
            !desc_add_symbol(b, full, v, DESC_SYM_ENUM_VALUE))
            return -1;
    }
    return 0;
}

/* Index a message, its fields, oneofs, nested messages, enums and
 * extensions, recursively. */
static int desc_index_message(desc_builder *b, const char *scope,
                              const Google__Protobuf__DescriptorProto *md, int depth)
{
    if (depth > DESC_MAX_DEPTH)
        return desc_fail(b, "%s: messages nested too deeply", b->file->name);
    const char *full = desc_add_symbol(b, scope, md->name, DESC_SYM_MESSAGE);
    if (!full)
        return -1;
    for (size_t i = 0; i < md->n_field; i++)
        if (!desc_add_symbol(b, full, md->field[i]->name, DESC_SYM_FIELD))
            return -1;
    for (size_t i = 0; i < md->n_oneof_decl; i++)
        if (!desc_add_symbol(b, full, md->oneof_decl[i]->name, DESC_SYM_ONEOF))
            return -1;
    for (size_t i = 0; i < md->n_nested_type; i++)
        if (desc_index_message(b, full, md->nested_type[i], depth + 1) < 0)
            return -1;
    for (size_t i = 0; i < md->n_enum_type; i++)
        if (desc_index_enum(b, full, md->enum_type[i]) < 0)
            return -1;
    for (size_t i = 0; i < md->n_extension; i++)
        if (desc_index_extension(b, full, md->extension[i]) < 0)
            return -1;
    return 0;
}

/* Record one method's route "/svc/Method" with its kind and types. */
static int desc_add_method(desc_builder *b, const char *svc,
                           const Google__Protobuf__MethodDescriptorProto *m)
{
    desc_index *ix = &b->ix;
    if (!m->input_type || !m->output_type)
        return desc_fail(b, "%s: method %s.%s lacks a type", b->file->name, svc, m->name);
    size_t size = strlen(svc) + strlen(m->name) + 3;
    char *path = malloc(size);
    desc_method *methods =
        path ? desc_grow(ix->methods, &ix->methodcap, ix->nmethods, sizeof *methods) : NULL;
    if (!methods) {
        free(path);
        return desc_fail(b, "out of memory");
    }
    ix->methods = methods;
    snprintf(path, size, "/%s/%s", svc, m->name);
    ix->methods[ix->nmethods++] = (desc_method){
        path,
        { m->has_client_streaming && m->client_streaming,
          m->has_server_streaming && m->server_streaming,
          desc_strip_dot(m->input_type), desc_strip_dot(m->output_type) }
    };
    return 0;
}

/* Index a service and its methods (as symbols and as routes). */
static int desc_index_service(desc_builder *b, const char *pkg,
                              const Google__Protobuf__ServiceDescriptorProto *sd)
{
    const char *full = desc_add_symbol(b, pkg, sd->name, DESC_SYM_SERVICE);
    if (!full)
        return -1;
    for (size_t i = 0; i < sd->n_method; i++) {
        if (!desc_add_symbol(b, full, sd->method[i]->name, DESC_SYM_METHOD) ||
            desc_add_method(b, full, sd->method[i]) < 0)
            return -1;
    }
    return 0;
}

/* Index every top-level definition of file i. */
static int desc_index_file(desc_builder *b, size_t i)
{
    const Google__Protobuf__FileDescriptorProto *fp = b->ix.protos[i];
    const char *pkg = fp->package ? fp->package : "";
    b->file = &b->ix.files[i];
    for (size_t k = 0; k < fp->n_message_type; k++)
        if (desc_index_message(b, pkg, fp->message_type[k], 0) < 0)
            return -1;
    for (size_t k = 0; k < fp->n_enum_type; k++)
        if (desc_index_enum(b, pkg, fp->enum_type[k]) < 0)
            return -1;
    for (size_t k = 0; k < fp->n_service; k++)
        if (desc_index_service(b, pkg, fp->service[k]) < 0)
            return -1;
    for (size_t k = 0; k < fp->n_extension; k++)
        if (desc_index_extension(b, pkg, fp->extension[k]) < 0)
            return -1;
    return 0;
}

/* ---- sorting ----------------------------------------------------------------- */

/* qsort that accepts an empty (NULL) array. */
static void desc_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

static int desc_cmp_symbol(const void *a, const void *b)
{
    return strcmp(((const desc_symbol *)a)->name, ((const desc_symbol *)b)->name);
}

static int desc_cmp_method(const void *a, const void *b)
{
    return strcmp(((const desc_method *)a)->path, ((const desc_method *)b)->path);
}

static int desc_cmp_extension(const void *a, const void *b)
{
    const desc_extension *x = a, *y = b;
    int c = strcmp(x->extendee, y->extendee);
    return c ? c : (x->number > y->number) - (x->number < y->number);
}

/* Sort the symbols; a name defined twice is an error (protoc never
 * writes such a set). */
static int desc_sort_symbols(desc_builder *b)
{
    desc_index *ix = &b->ix;
    desc_sort(ix->syms, ix->nsyms, sizeof *ix->syms, desc_cmp_symbol);
    for (size_t i = 1; i < ix->nsyms; i++) {
        const desc_symbol *prev = &ix->syms[i - 1], *cur = &ix->syms[i];
        if (strcmp(prev->name, cur->name) == 0)
            return desc_fail(b, "symbol %s is defined twice (%s, %s)", cur->name,
                             prev->file->name, cur->file->name);
    }
    return 0;
}

/* Sort methods and extensions; duplicates are errors. */
static int desc_sort_routes(desc_builder *b)
{
    desc_index *ix = &b->ix;
    desc_sort(ix->methods, ix->nmethods, sizeof *ix->methods, desc_cmp_method);
    for (size_t i = 1; i < ix->nmethods; i++)
        if (desc_cmp_method(&ix->methods[i - 1], &ix->methods[i]) == 0)
            return desc_fail(b, "method %s is defined twice", ix->methods[i].path);
    desc_sort(ix->exts, ix->nexts, sizeof *ix->exts, desc_cmp_extension);
    for (size_t i = 1; i < ix->nexts; i++)
        if (desc_cmp_extension(&ix->exts[i - 1], &ix->exts[i]) == 0)
            return desc_fail(b, "extension %d of %s is defined twice", ix->exts[i].number,
                             ix->exts[i].extendee);
    return 0;
}

/* ---- public API ----------------------------------------------------------- */

int rci_desc_load(const uint8_t *set, size_t len, char *err, size_t errlen)
{
    desc_builder b = { .err = err, .errlen = errlen };
    if (err && errlen)
        err[0] = '\0';
    int rc = (set || len == 0) ? 0 : desc_fail(&b, "no data");
    if (rc == 0 && len)
        rc = desc_split(&b, set, len);
    if (rc == 0)
        rc = desc_unpack_files(&b);
    if (rc == 0)
        rc = desc_resolve_deps(&b);
    for (size_t i = 0; rc == 0 && i < b.ix.nfiles; i++)
        rc = desc_index_file(&b, i);
    if (rc == 0)
        rc = desc_sort_symbols(&b);
    if (rc == 0)
        rc = desc_sort_routes(&b);
    if (rc < 0) {
        desc_index_free(&b.ix);
        return -1;
    }
    desc_index_free(&desc_live);
    desc_live = b.ix;
    return 0;
}

void rci_desc_unload(void)
{
    desc_index_free(&desc_live);
}

const rci_desc_file *rci_desc_file_by_name(const char *name)
{
    if (!name)
        return NULL;
    size_t i = desc_find_file(&desc_live, desc_live.nfiles, name);
    return i < desc_live.nfiles ? &desc_live.files[i] : NULL;
}

/* The symbol named name, or NULL. */
static const desc_symbol *desc_find_symbol(const char *name)
{
    if (!name || desc_live.nsyms == 0)
        return NULL;
    desc_symbol key = { .name = (char *)name };
    return bsearch(&key, desc_live.syms, desc_live.nsyms, sizeof key, desc_cmp_symbol);
}

const rci_desc_file *rci_desc_file_by_symbol(const char *symbol)
{
    const desc_symbol *s = desc_find_symbol(symbol);
    return s ? s->file : NULL;
}

const rci_desc_file *rci_desc_file_by_extension(const char *type, int number)
{
    if (!type || desc_live.nexts == 0)
        return NULL;
    desc_extension key = { .extendee = type, .number = number };
    const desc_extension *e =
        bsearch(&key, desc_live.exts, desc_live.nexts, sizeof key, desc_cmp_extension);
    return e ? e->file : NULL;
}

int rci_desc_has_message(const char *type)
{
    const desc_symbol *s = desc_find_symbol(type);
    return s && s->kind == DESC_SYM_MESSAGE;
}

int rci_desc_method(const char *path, rci_desc_method_info *info)
{
    if (!path || desc_live.nmethods == 0)
        return -1;
    desc_method key = { .path = (char *)path };
    const desc_method *m =
        bsearch(&key, desc_live.methods, desc_live.nmethods, sizeof key, desc_cmp_method);
    if (!m)
        return -1;
    if (info)
        *info = m->info;
    return 0;
}

size_t rci_desc_file_count(void)
{
    return desc_live.nfiles;
}

const rci_desc_file *rci_desc_file_at(size_t i)
{
    return i < desc_live.nfiles ? &desc_live.files[i] : NULL;
}
