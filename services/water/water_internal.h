/* water_internal.h: what the WaterService handlers share — sections and
 * samples as read from migrations/0013_water.sql, their GB 3838
 * assessment and joint comparison as protobuf messages, and the small
 * arena those messages are built in. No I/O beyond reading a PGresult. */
#ifndef RCI_WATER_INTERNAL_H
#define RCI_WATER_INTERNAL_H
#include <libpq-fe.h>
#include <stddef.h>

#include "platform/call.h"
#include "platform/dispatch.h"
#include "platform/violations.h"
#include "rci/v1/water.pb-c.h"
#include "water/gb3838.h"

#define RCI_WATER_MAX_CITIES 4
#define RCI_WATER_CODE_MAX 32          /* water_sections.code */

/* ---- arena: every string and array of one answer, freed together -------- */

typedef struct rci_water_arena {
    void **blocks;
    size_t n, cap;
} rci_water_arena;

/* calloc'd n * size bytes owned by the arena, or NULL. */
void *rci_water_alloc(rci_water_arena *a, size_t n, size_t size);
char *rci_water_strdup(rci_water_arena *a, const char *s);
char *rci_water_printf(rci_water_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void rci_water_arena_free(rci_water_arena *a);

/* ---- sections -------------------------------------------------------------- */

/* The select list every section query uses (17 text columns, s is
 * water_sections); rci_water_section_load reads it from column `col`. */
#define RCI_WATER_SECTION_COLS                                                              \
    "s.code, s.name_zh, s.name_en, s.river, s.basin, coalesce(s.upstream_city, ''),\n"      \
    "  coalesce(s.downstream_city, ''), array_to_string(s.border_cities, ','),\n"          \
    "  s.latitude::text, s.longitude::text, s.target_class, s.target_is_demo::text,\n"     \
    "  s.monitor_agency, s.kind, array_to_string(s.cities, ','),\n"                         \
    "  coalesce((SELECT string_agg(t.parameter || '=' || t.tolerance::text, ','\n"          \
    "                              ORDER BY t.parameter)\n"                                \
    "              FROM water_section_tolerances t WHERE t.section_code = s.code), ''),\n"  \
    "  (SELECT a.city_code FROM agencies a WHERE a.code = s.monitor_agency)"
#define RCI_WATER_SECTION_NCOLS 17

typedef struct rci_water_section {
    char code[RCI_WATER_CODE_MAX + 1];
    char name_zh[256], name_en[256], river[256], basin[256];
    char upstream[16], downstream[16];
    char border[2][16];
    size_t nborder;
    double latitude, longitude;
    rci_wq_class target;
    int target_is_demo;
    char monitor[72], monitor_city[16];
    rci_wq_kind kind;
    char cities[RCI_WATER_MAX_CITIES][16];
    size_t ncities;
    rci_wq_tolerance tols[RCI_WQ_PARAM_COUNT];   /* code points into gb3838's table */
    char tol_text[RCI_WQ_PARAM_COUNT][RCI_WQ_VALUE_TEXT_MAX]; /* as configured */
    size_t ntols;
} rci_water_section;

/* Read one section from row r, columns col.. col+16. 0, or -1 if a value
 * does not fit (the migration's checks make that a bug). */
int rci_water_section_load(rci_water_section *s, const PGresult *res, int r, int col);

/* 1 if city is one of the section's cities. */
int rci_water_section_concerns(const rci_water_section *s, const char *city);

/* The cities joined by ", " into buf. */
void rci_water_section_cities(const rci_water_section *s, char *buf, size_t len);

/* Fill out (a Section message) from s; strings point into s or the arena. */
int rci_water_section_message(rci_water_arena *a, const rci_water_section *s,
                              Rci__V1__Section *out);

/* ---- samples ------------------------------------------------------------- */

/* The newest revision of each sample of sections $1 (text[]) whose month
 * is in $2 (text[]), and its agency's city: 8 text columns, section,
 * agency, city, month, id, revision, content, recorded_at (µs). */
#define RCI_WATER_LATEST_SQL                                                                 \
    "SELECT DISTINCT ON (w.section_code, w.agency_code, w.month)\n"                         \
    "       w.section_code, w.agency_code, a.city_code, w.month, w.id::text,\n"             \
    "       w.revision::text, w.content,\n"                                                 \
    "       (extract(epoch FROM w.recorded_at) * 1000000)::bigint::text\n"                  \
    "  FROM water_samples w JOIN agencies a ON a.code = w.agency_code\n"                    \
    " WHERE w.section_code = ANY ($1::text[]) AND w.month = ANY ($2::text[])\n"             \
    " ORDER BY w.section_code, w.agency_code, w.month, w.revision DESC"

typedef struct rci_water_sample {
    long long id;
    int revision;
    char section[RCI_WATER_CODE_MAX + 1];
    char agency[72], city[16];
    char month[8];                   /* "2024-05" */
    char sampled_on[11];             /* "2024-05-10" */
    const char *note;                /* into buf */
    char *content;                   /* owned: canonical "date|code=value;…|note" */
    char *buf;                       /* owned: content cut into its fields */
    size_t n;
    rci_wq_item items[RCI_WQ_PARAM_COUNT];
    long long recorded_usec;
} rci_water_sample;

/* Canonical content of a sample: the date, its parameters in GB 3838 table
 * order with values in shortest form, and the note. malloc'd, or NULL. */
char *rci_water_content(const char *sampled_on, const rci_wq_item *items, size_t n,
                        const char *note);

/* Parse content (copied) into s. 0, or -1 if it is not canonical. */
int rci_water_sample_parse(rci_water_sample *s, const char *content);

/* Read row r of an RCI_WATER_LATEST_SQL result. 0 or -1. */
int rci_water_sample_load(rci_water_sample *s, const PGresult *res, int r);

void rci_water_sample_free(rci_water_sample *s);

/* Sort the items of s into GB 3838 table order. */
void rci_water_sort_items(rci_wq_item *items, size_t n);

/* ---- assessments ----------------------------------------------------------- */

/* The GB 3838 assessment of sample smp at section sec into out (built in a).
 * 0, or -1 (out of memory, or a stored value the standard refuses). */
int rci_water_assess(rci_water_arena *a, const rci_water_section *sec,
                     const rci_water_sample *smp, Rci__V1__SampleAssessment *out,
                     rci_wq_result *res);

/* Compare the monitor's sample ma with another city's mb into out. */
int rci_water_compare(rci_water_arena *a, const rci_water_section *sec,
                      const rci_water_sample *ma, const rci_water_sample *mb,
                      Rci__V1__JointComparison *out);

/* Multiple ×100 as "0.25"; percent ×10 as "91.7" (into buf). */
void rci_water_x100_text(long long x100, char *buf, size_t len);

/* ---- text for PostgreSQL (pgtext.c) ------------------------------------------ */

typedef struct rci_water_buf {
    char *p;
    size_t n, cap;
    int err;                 /* ran out of memory: every append is ignored */
    int count;               /* array elements so far */
} rci_water_buf;

void rci_water_buf_raw(rci_water_buf *b, const char *s, size_t len);
void rci_water_buf_printf(rci_water_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A JSON string, quoted and escaped. */
void rci_water_buf_json(rci_water_buf *b, const char *s);
/* One quoted element of an array literal ("{" comes with the first). */
void rci_water_buf_elem(rci_water_buf *b, const char *s);
void rci_water_buf_elemf(rci_water_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Closes the literal and hands over the buffer (malloc'd), or NULL when
 * out of memory (the buffer is freed then). */
char *rci_water_buf_array(rci_water_buf *b);

/* ---- alerts (alerts.c) ------------------------------------------------------------ */

/* Alerts to raise, as one array literal per rci_raise_alert argument; idx
 * is the 1-based index of the written sample among rci_water_write's. */
typedef struct rci_water_alerts {
    rci_water_buf kind, sev, cities, subject, message, detail, idx;
    int n;
} rci_water_alerts;

/* water.off_target for sample s (written as widx) if it misses sec's target. */
void rci_water_alert_off_target(rci_water_alerts *al, const rci_water_section *sec,
                                const rci_water_sample *s, int widx);

/* water.joint_discrepancy if the monitor's sample a and the other city's b
 * differ beyond sec's tolerances; idx: whichever of them is being written. */
void rci_water_alert_joint(rci_water_alerts *al, const rci_water_section *sec,
                           const rci_water_sample *a, const rci_water_sample *b, int idx);

/* ---- the handlers' files ---------------------------------------------------- */

int rci_water_sections_init(char *err, size_t errlen);   /* sections.c */
int rci_water_push_init(char *err, size_t errlen);       /* push.c */
int rci_water_status_init(char *err, size_t errlen);     /* status.c */

/* sections.c: the statement listing sections ($1 city or '', $2 code or
 * ''), and the answer from its result: a ListSectionsResponse, or with
 * only_one the first row as a Section. */
int rci_water_stmt_sections(void);
int rci_water_reply_sections(rci_call *call, const PGresult *res, int only_one);

#endif
