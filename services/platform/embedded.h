/* embedded.h: files compiled into the rcid binary at build time.
 *
 * cmake/embed.cmake writes the arrays; this header only names their shape.
 * Each array is NUL-terminated (one extra byte not counted in len), so SQL
 * text can be handed to libpq as a C string. The tables end with a NULL name.
 */
#ifndef RCI_EMBEDDED_H
#define RCI_EMBEDDED_H

#include <stddef.h>

typedef struct rci_embedded_file {
    const char *name;            /* base name, e.g. "0001_regions.sql" */
    const unsigned char *data;   /* len bytes, then a NUL */
    size_t len;
} rci_embedded_file;

/* The FileDescriptorSet of every served .proto (protoc --include_imports). */
extern const rci_embedded_file rci_embedded_descriptors[];
extern const size_t rci_embedded_descriptors_count;

/* migrations/NNNN_name.sql, sorted by name. */
extern const rci_embedded_file rci_embedded_migrations[];
extern const size_t rci_embedded_migrations_count;

#endif
