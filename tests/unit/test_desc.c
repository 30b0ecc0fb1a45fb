/* test_desc.c: the descriptor index (platform/desc.c).
 *
 * Covers the embedded set (files, symbols of every kind, method kinds, the
 * served bytes being the set's own bytes), a hand-built set with imports,
 * nesting, extensions and a file without a package, and bad sets: every
 * truncation and every single-byte corruption of the embedded set, bad wire
 * types, missing / misordered imports, duplicate files and symbols. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "platform/desc.h"
#include "platform/embedded.h"

static const uint8_t *set_data;
static size_t set_len;

/* ---- embedded set --------------------------------------------------------- */

static void test_embedded_files(void)
{
    const char *want[] = { "rci/v1/registry.proto", "grpc/health/v1/health.proto",
                           "grpc/reflection/v1/reflection.proto",
                           "grpc/reflection/v1alpha/reflection.proto" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const rci_desc_file *f = rci_desc_file_by_name(want[i]);
        CHECK(f != NULL);
        if (f)
            CHECK_STR(f->name, want[i]);
    }
    CHECK(rci_desc_file_count() >= 4);
    CHECK(rci_desc_file_by_name("registry.proto") == NULL);
    CHECK(rci_desc_file_by_name("/rci/v1/registry.proto") == NULL);
    CHECK(rci_desc_file_by_name("rci/v1/registry.proto ") == NULL);
    CHECK(rci_desc_file_by_name("") == NULL);
    CHECK(rci_desc_file_by_name(NULL) == NULL);
    CHECK(rci_desc_file_at(rci_desc_file_count()) == NULL);
    for (size_t i = 0; i < rci_desc_file_count(); i++) {
        const rci_desc_file *f = rci_desc_file_at(i);
        CHECK(rci_desc_file_by_name(f->name) == f);
    }
}

/* The set is exactly tag 0x0a + varint length + file bytes, per file, in
 * order: so every slice points into the set and covers the original bytes. */
static void test_embedded_bytes(void)
{
    const uint8_t *p = set_data, *end = set_data + set_len;
    for (size_t i = 0; i < rci_desc_file_count(); i++) {
        const rci_desc_file *f = rci_desc_file_at(i);
        CHECK(p < end && *p == 0x0a);
        p++;
        size_t len = 0;
        for (int shift = 0; p < end; shift += 7) {
            len |= (size_t)(*p & 0x7f) << shift;
            if (!(*p++ & 0x80))
                break;
        }
        CHECK(f->data == p);
        CHECK(f->len == len);
        CHECK(f->data >= set_data && f->data + f->len <= end);
        Google__Protobuf__FileDescriptorProto *fp =
            google__protobuf__file_descriptor_proto__unpack(NULL, f->len, f->data);
        CHECK(fp != NULL);
        if (fp) {
            CHECK_STR(fp->name, f->name);
            google__protobuf__file_descriptor_proto__free_unpacked(fp, NULL);
        }
        p += len;
    }
    CHECK(p == end);
}

/* Each file's deps are exactly its imports, resolved, and come before it. */
static void test_embedded_deps(void)
{
    for (size_t i = 0; i < rci_desc_file_count(); i++) {
        const rci_desc_file *f = rci_desc_file_at(i);
        Google__Protobuf__FileDescriptorProto *fp =
            google__protobuf__file_descriptor_proto__unpack(NULL, f->len, f->data);
        CHECK(fp != NULL);
        if (!fp)
            continue;
        CHECK(f->ndeps == fp->n_dependency);
        for (size_t d = 0; d < f->ndeps && d < fp->n_dependency; d++) {
            CHECK_STR(f->deps[d]->name, fp->dependency[d]);
            CHECK(f->deps[d] >= rci_desc_file_at(0) && f->deps[d] < f);
        }
        google__protobuf__file_descriptor_proto__free_unpacked(fp, NULL);
    }
}

/* symbol → file name, or NULL expected. */
static void check_symbol(const char *symbol, const char *file)
{
    const rci_desc_file *f = rci_desc_file_by_symbol(symbol);
    if (!file) {
        CHECK(f == NULL);
        if (f)
            fprintf(stderr, "  unexpected hit for \"%s\" in %s\n", symbol, f->name);
        return;
    }
    CHECK(f != NULL);
    if (!f)
        fprintf(stderr, "  no file for symbol \"%s\"\n", symbol);
    else
        CHECK_STR(f->name, file);
}

static void test_embedded_symbols(void)
{
    const char *reg = "rci/v1/registry.proto", *health = "grpc/health/v1/health.proto";
    const char *r1 = "grpc/reflection/v1/reflection.proto";
    const char *r1a = "grpc/reflection/v1alpha/reflection.proto";
    check_symbol("rci.v1.RegistryService", reg);                  /* service */
    check_symbol("rci.v1.RegistryService.ListRegions", reg);      /* method */
    check_symbol("rci.v1.Region", reg);                           /* message */
    check_symbol("rci.v1.Region.code", reg);                      /* field */
    check_symbol("rci.v1.RegionKind", reg);                       /* enum */
    check_symbol("rci.v1.REGION_KIND_CITY", reg);                 /* enum value, sibling */
    check_symbol("rci.v1.RegionKind.REGION_KIND_CITY", reg);      /* enum value, qualified */
    check_symbol("grpc.health.v1.Health", health);
    check_symbol("grpc.health.v1.Health.Watch", health);
    check_symbol("grpc.health.v1.HealthCheckResponse.ServingStatus", health);   /* nested enum */
    check_symbol("grpc.health.v1.HealthCheckResponse.SERVING", health);
    check_symbol("grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING", health);
    check_symbol("grpc.health.v1.HealthCheckResponse.status", health);
    check_symbol("grpc.reflection.v1.ServerReflection", r1);
    check_symbol("grpc.reflection.v1alpha.ServerReflection", r1a);
    check_symbol("grpc.reflection.v1alpha.ServerReflection.ServerReflectionInfo", r1a);
    check_symbol("grpc.reflection.v1.ServerReflectionRequest.message_request", r1);  /* oneof */
    check_symbol("grpc.reflection.v1.ServerReflectionRequest.file_by_filename", r1);
    if (rci_desc_file_by_name("google/protobuf/descriptor.proto")) {
        const char *d = "google/protobuf/descriptor.proto";
        check_symbol("google.protobuf.DescriptorProto.ExtensionRange", d);
        check_symbol("google.protobuf.FieldDescriptorProto.TYPE_STRING", d);
    }
    /* Unknown: wrong case, partial names, leading dot, trailing parts. */
    const char *unknown[] = { "rci.v1.region", "rci.v1", "rci", "v1.Region", ".rci.v1.Region",
                              "rci.v1.Region.", "rci.v1.Region.code.x", "rci.v1.Nope",
                              "rci.v1.RegistryService.Nope", "rci.v1.RegistryService/ListRegions",
                              "REGION_KIND_CITY", "rci.v1.Region.REGION_KIND_CITY",
                              "grpc.health.v1.ServingStatus", "grpc.health.v1.SERVING", "", "." };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        check_symbol(unknown[i], NULL);
    CHECK(rci_desc_file_by_symbol(NULL) == NULL);
}

static void test_embedded_types(void)
{
    CHECK(rci_desc_has_message("rci.v1.Region") == 1);
    CHECK(rci_desc_has_message("rci.v1.ListRegionsRequest") == 1);
    CHECK(rci_desc_has_message("grpc.reflection.v1alpha.ServerReflectionRequest") == 1);
    CHECK(rci_desc_has_message("rci.v1.RegionKind") == 0);          /* enum */
    CHECK(rci_desc_has_message("rci.v1.RegistryService") == 0);     /* service */
    CHECK(rci_desc_has_message("rci.v1.Region.code") == 0);         /* field */
    CHECK(rci_desc_has_message("rci.v1.Nope") == 0);
    CHECK(rci_desc_has_message(".rci.v1.Region") == 0);
    CHECK(rci_desc_has_message(NULL) == 0);
    CHECK(rci_desc_file_by_extension("rci.v1.Region", 100) == NULL);
    CHECK(rci_desc_file_by_extension("nope", 1) == NULL);
    CHECK(rci_desc_file_by_extension(NULL, 1) == NULL);
}

/* path → expected flags and types; in/out NULL means "unknown path". */
static void check_method(const char *path, int cs, int ss, const char *in, const char *out)
{
    rci_desc_method_info info = { -1, -1, NULL, NULL };
    int rc = rci_desc_method(path, &info);
    if (!in) {
        CHECK(rc == -1);
        return;
    }
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  no method %s\n", path);
        return;
    }
    CHECK(info.client_streaming == cs);
    CHECK(info.server_streaming == ss);
    CHECK_STR(info.input_type, in);
    CHECK_STR(info.output_type, out);
}

static void test_embedded_methods(void)
{
    check_method("/rci.v1.RegistryService/ListRegions", 0, 0, "rci.v1.ListRegionsRequest",
                 "rci.v1.ListRegionsResponse");
    check_method("/grpc.health.v1.Health/Check", 0, 0, "grpc.health.v1.HealthCheckRequest",
                 "grpc.health.v1.HealthCheckResponse");
    check_method("/grpc.health.v1.Health/Watch", 0, 1, "grpc.health.v1.HealthCheckRequest",
                 "grpc.health.v1.HealthCheckResponse");
    check_method("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", 1, 1,
                 "grpc.reflection.v1.ServerReflectionRequest",
                 "grpc.reflection.v1.ServerReflectionResponse");
    check_method("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", 1, 1,
                 "grpc.reflection.v1alpha.ServerReflectionRequest",
                 "grpc.reflection.v1alpha.ServerReflectionResponse");
    const char *bad[] = { "/rci.v1.RegistryService/Nope", "rci.v1.RegistryService/ListRegions",
                          "/rci.v1.RegistryService.ListRegions", "/RegistryService/ListRegions",
                          "/rci.v1.RegistryService/ListRegions/", "/rci.v1.RegistryService/",
                          "/rci.v1.RegistryService", "/", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_method(bad[i], 0, 0, NULL, NULL);
    CHECK(rci_desc_method(NULL, NULL) == -1);
    CHECK(rci_desc_method("/rci.v1.RegistryService/ListRegions", NULL) == 0);
}

/* ---- hand-built sets --------------------------------------------------------- */

/* A growing byte buffer for building sets. */
typedef struct buf {
    uint8_t data[8192];
    size_t len;
} buf;

static void buf_varint(buf *b, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        b->data[b->len++] = byte | (v ? 0x80 : 0);
    } while (v);
}

static void buf_bytes(buf *b, const void *p, size_t n)
{
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

/* Append field 1 = fd, packed by protobuf-c. */
static void buf_file(buf *b, const Google__Protobuf__FileDescriptorProto *fd)
{
    size_t n = google__protobuf__file_descriptor_proto__get_packed_size(fd);
    buf_varint(b, 0x0a);
    buf_varint(b, n);
    google__protobuf__file_descriptor_proto__pack(fd, b->data + b->len);
    b->len += n;
}

/* a/a.proto: package t.a; message Outer { message Inner { int32 x = 1; }
 * enum Color { RED = 0; } Inner f = 1; extend Outer { int32 nested_ext = 101; } }
 * extend Outer { int32 ext = 100; }  service S { rpc M(stream Outer) returns (Outer.Inner); } */
static void build_a(buf *b, const char *name)
{
    Google__Protobuf__FieldDescriptorProto x = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__INIT;
    x.name = "x";
    x.has_number = 1;
    x.number = 1;
    Google__Protobuf__FieldDescriptorProto *inner_fields[] = { &x };
    Google__Protobuf__DescriptorProto inner = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT;
    inner.name = "Inner";
    inner.n_field = 1;
    inner.field = inner_fields;

    Google__Protobuf__EnumValueDescriptorProto red = GOOGLE__PROTOBUF__ENUM_VALUE_DESCRIPTOR_PROTO__INIT;
    red.name = "RED";
    red.has_number = 1;
    Google__Protobuf__EnumValueDescriptorProto *values[] = { &red };
    Google__Protobuf__EnumDescriptorProto color = GOOGLE__PROTOBUF__ENUM_DESCRIPTOR_PROTO__INIT;
    color.name = "Color";
    color.n_value = 1;
    color.value = values;

    Google__Protobuf__FieldDescriptorProto f = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__INIT;
    f.name = "f";
    f.has_number = 1;
    f.number = 1;
    f.type_name = ".t.a.Outer.Inner";
    Google__Protobuf__FieldDescriptorProto nested_ext = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__INIT;
    nested_ext.name = "nested_ext";
    nested_ext.has_number = 1;
    nested_ext.number = 101;
    nested_ext.extendee = ".t.a.Outer";
    Google__Protobuf__FieldDescriptorProto *outer_fields[] = { &f };
    Google__Protobuf__FieldDescriptorProto *outer_exts[] = { &nested_ext };
    Google__Protobuf__DescriptorProto *nested[] = { &inner };
    Google__Protobuf__EnumDescriptorProto *enums[] = { &color };
    Google__Protobuf__DescriptorProto outer = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT;
    outer.name = "Outer";
    outer.n_field = 1;
    outer.field = outer_fields;
    outer.n_nested_type = 1;
    outer.nested_type = nested;
    outer.n_enum_type = 1;
    outer.enum_type = enums;
    outer.n_extension = 1;
    outer.extension = outer_exts;

    Google__Protobuf__FieldDescriptorProto ext = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__INIT;
    ext.name = "ext";
    ext.has_number = 1;
    ext.number = 100;
    ext.extendee = ".t.a.Outer";

    Google__Protobuf__MethodDescriptorProto m = GOOGLE__PROTOBUF__METHOD_DESCRIPTOR_PROTO__INIT;
    m.name = "M";
    m.input_type = ".t.a.Outer";
    m.output_type = ".t.a.Outer.Inner";
    m.has_client_streaming = 1;
    m.client_streaming = 1;
    Google__Protobuf__MethodDescriptorProto *methods[] = { &m };
    Google__Protobuf__ServiceDescriptorProto s = GOOGLE__PROTOBUF__SERVICE_DESCRIPTOR_PROTO__INIT;
    s.name = "S";
    s.n_method = 1;
    s.method = methods;

    Google__Protobuf__DescriptorProto *messages[] = { &outer };
    Google__Protobuf__FieldDescriptorProto *exts[] = { &ext };
    Google__Protobuf__ServiceDescriptorProto *services[] = { &s };
    Google__Protobuf__FileDescriptorProto fd = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_PROTO__INIT;
    fd.name = (char *)name;
    fd.package = "t.a";
    fd.n_message_type = 1;
    fd.message_type = messages;
    fd.n_extension = 1;
    fd.extension = exts;
    fd.n_service = 1;
    fd.service = services;
    buf_file(b, &fd);
}

/* A file with no package: message `top` (named msg) importing deps[0..ndeps). */
static void build_plain(buf *b, const char *name, const char *msg, char **deps, size_t ndeps)
{
    Google__Protobuf__DescriptorProto top = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT;
    top.name = (char *)msg;
    Google__Protobuf__DescriptorProto *messages[] = { &top };
    Google__Protobuf__FileDescriptorProto fd = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_PROTO__INIT;
    fd.name = (char *)name;
    fd.n_dependency = ndeps;
    fd.dependency = deps;
    fd.n_message_type = 1;
    fd.message_type = messages;
    buf_file(b, &fd);
}

static void test_built_set(void)
{
    static buf b;
    char err[256];
    char *b_deps[] = { "a/a.proto" };
    char *c_deps[] = { "a/a.proto", "b/b.proto" };
    b.len = 0;
    build_a(&b, "a/a.proto");
    buf_bytes(&b, "\x10\x07", 2);              /* unknown field 2 (varint): skipped */
    build_plain(&b, "b/b.proto", "Top", b_deps, 1);
    buf_bytes(&b, "\x1a\x03xyz", 5);           /* unknown field 3 (bytes): skipped */
    build_plain(&b, "c/c.proto", "Other", c_deps, 2);
    CHECK(rci_desc_load(b.data, b.len, err, sizeof err) == 0);
    CHECK(rci_desc_file_count() == 3);

    const rci_desc_file *fa = rci_desc_file_by_name("a/a.proto");
    const rci_desc_file *fb = rci_desc_file_by_name("b/b.proto");
    const rci_desc_file *fc = rci_desc_file_by_name("c/c.proto");
    CHECK(fa && fb && fc);
    if (!fa || !fb || !fc)
        return;
    CHECK(fa == rci_desc_file_at(0) && fb == rci_desc_file_at(1) && fc == rci_desc_file_at(2));
    CHECK(fa->ndeps == 0);
    CHECK(fb->ndeps == 1 && fb->deps[0] == fa);
    CHECK(fc->ndeps == 2 && fc->deps[0] == fa && fc->deps[1] == fb);
    CHECK(fc->data > b.data && fc->data + fc->len <= b.data + b.len);

    const char *in_a[] = { "t.a.Outer", "t.a.Outer.Inner", "t.a.Outer.Inner.x", "t.a.Outer.f",
                           "t.a.Outer.Color", "t.a.Outer.RED", "t.a.Outer.Color.RED", "t.a.ext",
                           "t.a.Outer.nested_ext", "t.a.S", "t.a.S.M" };
    for (size_t i = 0; i < sizeof in_a / sizeof in_a[0]; i++)
        check_symbol(in_a[i], "a/a.proto");
    check_symbol("Top", "b/b.proto");
    check_symbol("Other", "c/c.proto");
    check_symbol("t.a.RED", NULL);
    check_symbol("t.a.Inner", NULL);
    check_symbol("t.a.Top", NULL);
    check_symbol(".Top", NULL);

    CHECK(rci_desc_has_message("t.a.Outer.Inner") == 1);
    CHECK(rci_desc_has_message("Top") == 1);
    CHECK(rci_desc_has_message("t.a.Outer.Color") == 0);
    CHECK(rci_desc_has_message("t.a.ext") == 0);
    CHECK(rci_desc_file_by_extension("t.a.Outer", 100) == fa);
    CHECK(rci_desc_file_by_extension("t.a.Outer", 101) == fa);
    CHECK(rci_desc_file_by_extension("t.a.Outer", 102) == NULL);
    CHECK(rci_desc_file_by_extension(".t.a.Outer", 100) == NULL);
    CHECK(rci_desc_file_by_extension("t.a.Outer.Inner", 100) == NULL);
    check_method("/t.a.S/M", 1, 0, "t.a.Outer", "t.a.Outer.Inner");
    check_method("/t.a.S/m", 0, 0, NULL, NULL);
}

/* Load set and expect failure whose message mentions want (if given);
 * the previously loaded index must stay as it was. */
static void check_rejected(const uint8_t *set, size_t len, const char *want)
{
    char err[256] = "unset";
    size_t before = rci_desc_file_count();
    CHECK(rci_desc_load(set, len, err, sizeof err) == -1);
    CHECK(err[0] != '\0' && strcmp(err, "unset") != 0);
    if (want && !strstr(err, want)) {
        CHECK(!"error message names the cause");
        fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", err, want);
    }
    CHECK(rci_desc_file_count() == before);
}

static void test_bad_sets(void)
{
    static buf b;
    char *b_deps[] = { "a/a.proto" };
    char *self_dep[] = { "s.proto" };

    b.len = 0;                                           /* import not in the set */
    build_plain(&b, "b/b.proto", "Top", b_deps, 1);
    check_rejected(b.data, b.len, "a/a.proto");

    b.len = 0;                                           /* import after its importer */
    build_plain(&b, "b/b.proto", "Top", b_deps, 1);
    build_a(&b, "a/a.proto");
    check_rejected(b.data, b.len, "a/a.proto");

    b.len = 0;                                           /* a file importing itself */
    build_plain(&b, "s.proto", "Self", self_dep, 1);
    check_rejected(b.data, b.len, "s.proto");

    b.len = 0;                                           /* same file name twice */
    build_a(&b, "a/a.proto");
    build_a(&b, "a/a.proto");
    check_rejected(b.data, b.len, "a/a.proto");

    b.len = 0;                                           /* same symbols in two files */
    build_a(&b, "a/a.proto");
    build_a(&b, "a/copy.proto");
    check_rejected(b.data, b.len, "defined twice");

    b.len = 0;                                           /* a file without a name */
    build_plain(&b, NULL, "Top", NULL, 0);
    check_rejected(b.data, b.len, "no name");

    static const struct { const char *bytes; size_t len; } raw[] = {
        { "\x08\x01", 2 },                 /* field 1 as a varint */
        { "\x0d\x00\x00\x00\x00", 5 },     /* field 1 as fixed32 */
        { "\x0a\x05\x0a\x01", 4 },         /* length past the end */
        { "\x0a", 1 },                     /* tag without length */
        { "\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11 },   /* huge length */
        { "\x0a\x80", 2 },                 /* unterminated varint */
        { "\x00", 1 },                     /* field 0 */
        { "\x13", 1 },                     /* group start, field 2 */
        { "\x17", 1 },                     /* wire type 7 */
        { "\x11\x00\x00", 3 },             /* truncated fixed64 */
        { "\x0a\x02\xff\xff", 4 },         /* file bytes that are not a proto */
        { "\x0a\x00", 2 },                 /* an empty file: no name */
        { "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11 },   /* overlong tag */
    };
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
        check_rejected((const uint8_t *)raw[i].bytes, raw[i].len, NULL);
    check_rejected(NULL, 5, NULL);
}

/* A file "d.proto" (package d) with messages nested depth levels deep:
 * M0 { M1 { ... } }. Returns the load result. */
static int load_nested(int depth)
{
    static buf b;
    static Google__Protobuf__DescriptorProto msgs[128];
    static Google__Protobuf__DescriptorProto *links[128];
    static char names[128][16];
    char err[256];
    for (int i = 0; i <= depth; i++) {
        google__protobuf__descriptor_proto__init(&msgs[i]);
        snprintf(names[i], sizeof names[i], "M%d", i);
        msgs[i].name = names[i];
        links[i] = &msgs[i];
        if (i > 0) {
            msgs[i - 1].n_nested_type = 1;
            msgs[i - 1].nested_type = &links[i];
        }
    }
    Google__Protobuf__FileDescriptorProto fd = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_PROTO__INIT;
    fd.name = "d.proto";
    fd.package = "d";
    fd.n_message_type = 1;
    fd.message_type = &links[0];
    b.len = 0;
    buf_file(&b, &fd);
    size_t before = rci_desc_file_count();
    int rc = rci_desc_load(b.data, b.len, err, sizeof err);
    if (rc != 0)
        CHECK(rci_desc_file_count() == before);
    return rc;
}

/* A file "e.proto" (package e) with message T, extensions of T numbered
 * n1 (named x1) and n2 (x2; none if n2 is 0), and a method whose output
 * type is out (may be NULL). */
static void build_defs(buf *b, const char *msg_name, int n1, int n2, const char *extendee,
                       char *out)
{
    Google__Protobuf__DescriptorProto t = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT;
    t.name = (char *)msg_name;
    Google__Protobuf__FieldDescriptorProto x1 = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__INIT;
    Google__Protobuf__FieldDescriptorProto x2 = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__INIT;
    x1.name = "x1";
    x1.has_number = 1;
    x1.number = n1;
    x1.extendee = (char *)extendee;
    x2.name = "x2";
    x2.has_number = 1;
    x2.number = n2;
    x2.extendee = (char *)extendee;
    Google__Protobuf__FieldDescriptorProto *exts[] = { &x1, &x2 };
    Google__Protobuf__MethodDescriptorProto m = GOOGLE__PROTOBUF__METHOD_DESCRIPTOR_PROTO__INIT;
    m.name = "M";
    m.input_type = ".e.T";
    m.output_type = out;
    Google__Protobuf__MethodDescriptorProto *methods[] = { &m };
    Google__Protobuf__ServiceDescriptorProto s = GOOGLE__PROTOBUF__SERVICE_DESCRIPTOR_PROTO__INIT;
    s.name = "S";
    s.n_method = 1;
    s.method = methods;
    Google__Protobuf__DescriptorProto *messages[] = { &t };
    Google__Protobuf__ServiceDescriptorProto *services[] = { &s };
    Google__Protobuf__FileDescriptorProto fd = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_PROTO__INIT;
    fd.name = "e.proto";
    fd.package = "e";
    fd.n_message_type = 1;
    fd.message_type = messages;
    fd.n_extension = n2 ? 2 : 1;
    fd.extension = exts;
    fd.n_service = 1;
    fd.service = services;
    buf_file(b, &fd);
}

static void test_bad_definitions(void)
{
    static buf b;
    char err[256];
    CHECK(load_nested(100) == 0);                /* protobuf's limit: accepted */
    check_symbol("d.M0.M1.M2", "d.proto");
    CHECK(rci_desc_has_message("d.M0.M1.M2.M3.M4.M5.M6.M7.M8.M9.M10") == 1);
    CHECK(load_nested(101) == -1);               /* one more: refused */

    b.len = 0;                                   /* well-formed: loads */
    build_defs(&b, "T", 100, 200, ".e.T", ".e.T");
    CHECK(rci_desc_load(b.data, b.len, err, sizeof err) == 0);
    CHECK(rci_desc_file_by_extension("e.T", 200) == rci_desc_file_by_name("e.proto"));
    check_symbol("e.x2", "e.proto");

    b.len = 0;
    build_defs(&b, "T", 100, 100, ".e.T", ".e.T");
    check_rejected(b.data, b.len, "extension 100 of e.T");
    b.len = 0;
    build_defs(&b, "T", 100, 0, NULL, ".e.T");
    check_rejected(b.data, b.len, "extendee");
    b.len = 0;
    build_defs(&b, "T", 100, 0, ".e.T", NULL);
    check_rejected(b.data, b.len, "lacks a type");
    b.len = 0;
    build_defs(&b, NULL, 100, 0, ".e.T", ".e.T");
    check_rejected(b.data, b.len, "unnamed");
    b.len = 0;
    build_defs(&b, "", 100, 0, ".e.T", ".e.T");
    check_rejected(b.data, b.len, "unnamed");
    b.len = 0;
    build_defs(&b, "x1", 100, 0, ".e.T", ".e.T");   /* message and extension e.x1 */
    check_rejected(b.data, b.len, "e.x1");
}

/* Every prefix of the embedded set: a clean cut between files loads (with
 * fewer files), any other cut is rejected. Then flip each byte: whatever
 * loads or fails, nothing crashes or leaks (ASan). */
static void test_truncations_and_corruption(void)
{
    char err[256];
    CHECK(rci_desc_load(set_data, set_len, err, sizeof err) == 0);
    size_t full = rci_desc_file_count(), clean = 0, rejected = 0;
    for (size_t len = 0; len < set_len; len++) {
        if (rci_desc_load(set_data, len, err, sizeof err) == 0) {
            clean++;
            CHECK(rci_desc_file_count() < full);
        } else {
            rejected++;
        }
    }
    CHECK(clean == full);          /* len 0 and each boundary before the last file */
    CHECK(rejected == set_len - full);

    uint8_t *copy = malloc(set_len);
    CHECK(copy != NULL);
    if (!copy)
        return;
    for (size_t i = 0; i < set_len; i++) {
        memcpy(copy, set_data, set_len);
        copy[i] ^= 0xa5;
        (void)rci_desc_load(copy, set_len, err, sizeof err);
    }
    rci_desc_unload();             /* the index may point into copy */
    free(copy);
}

static void test_unload(void)
{
    char err[256];
    CHECK(rci_desc_load(set_data, set_len, err, sizeof err) == 0);
    rci_desc_unload();
    CHECK(rci_desc_file_count() == 0);
    CHECK(rci_desc_file_at(0) == NULL);
    CHECK(rci_desc_file_by_name("rci/v1/registry.proto") == NULL);
    CHECK(rci_desc_file_by_symbol("rci.v1.Region") == NULL);
    CHECK(rci_desc_method("/rci.v1.RegistryService/ListRegions", NULL) == -1);
    CHECK(rci_desc_has_message("rci.v1.Region") == 0);
    rci_desc_unload();             /* twice is harmless */
    CHECK(rci_desc_load(set_data, 0, err, sizeof err) == 0);   /* an empty set is valid */
    CHECK(rci_desc_file_count() == 0);
    rci_desc_unload();
}

int main(void)
{
    char err[256];
    CHECK(rci_embedded_descriptors_count == 1);
    set_data = rci_embedded_descriptors[0].data;
    set_len = rci_embedded_descriptors[0].len;
    int rc = rci_desc_load(set_data, set_len, err, sizeof err);
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "load: %s\n", err);
        return check_done();
    }
    test_embedded_files();
    test_embedded_bytes();
    test_embedded_deps();
    test_embedded_symbols();
    test_embedded_types();
    test_embedded_methods();
    test_bad_sets();               /* each failure keeps the embedded index */
    test_embedded_methods();
    test_built_set();
    test_bad_definitions();
    test_truncations_and_corruption();
    test_unload();
    return check_done();
}
