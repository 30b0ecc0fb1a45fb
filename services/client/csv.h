/* csv.h: reading the CSV files that agencies push (rcictl push FILE.csv).
 * Pure code: no I/O — the caller reads the file and hands over its bytes.
 *
 * Input is what Excel saves: "CSV UTF-8" (UTF-8 with a byte-order mark),
 * plain UTF-8, or "CSV" on a Chinese Windows, which is GBK — read here as
 * GB18030, its superset, with glibc's iconv converter. The encoding is
 * detected unless the caller forces one:
 *   a UTF-8 byte-order mark      -> UTF-8 (the mark is dropped)
 *   valid UTF-8 (or plain ASCII) -> UTF-8
 *   anything else                -> GB18030 (a GB18030 mark is dropped)
 * UTF-16 (Excel's "Unicode Text") is refused with a message that says so.
 * Everything handed back is UTF-8 and has no NUL bytes.
 *
 * Parsing follows RFC 4180, as Excel writes it: fields separated by commas,
 * rows ended by CRLF, LF or a lone CR (old Mac Excel); a field in double
 * quotes may hold commas, line breaks and doubled quotes (""); the last row
 * may or may not end with a line break; fields may be empty. Lines with no
 * bytes at all are skipped (a row of one empty field is written as "").
 * Nothing is trimmed: spaces belong to the field.
 *
 * Errors come in two kinds:
 *   - the file as a whole cannot be read (bad bytes for its encoding, UTF-16,
 *     a NUL byte, a field/row over the limits): rci_csv_parse fails and says
 *     on which line;
 *   - a row is malformed (a field count other than the header's, a stray
 *     quote inside an unquoted field, text after a closing quote, a quoted
 *     field never closed): the row is kept, with its fields read as well as
 *     they can be, and row->error says what is wrong. Every bad row is
 *     reported, so an agency fixes its file in one go.
 * Line numbers are physical lines of the file, 1-based: a row's number is
 * the line it starts on (a quoted line break makes a row span lines).
 *
 * The first row is the header as far as the field count goes; which column
 * is which is the caller's business, with rci_csv_map_header to help.
 */
#ifndef RCI_CSV_H
#define RCI_CSV_H

#include <stddef.h>

typedef enum rci_csv_encoding {
    RCI_CSV_AUTO = 0, /* detect (see above) */
    RCI_CSV_UTF8,
    RCI_CSV_GB18030, /* also GBK and GB2312, which it contains */
} rci_csv_encoding;

/* Defaults of the limits (a 0 in rci_csv_options means these). */
#define RCI_CSV_MAX_FIELD (64 * 1024)   /* bytes of one field, as UTF-8 */
#define RCI_CSV_MAX_ROW (1024 * 1024)   /* bytes of all fields of a row */
#define RCI_CSV_MAX_FIELDS 1024         /* fields in a row */

typedef struct rci_csv_options {
    rci_csv_encoding encoding; /* RCI_CSV_AUTO to detect */
    size_t max_field;          /* 0: RCI_CSV_MAX_FIELD */
    size_t max_row;            /* 0: RCI_CSV_MAX_ROW */
    size_t max_fields;         /* 0: RCI_CSV_MAX_FIELDS */
    size_t expect_fields;      /* fields every row must have; 0: as many as the first row */
} rci_csv_options;

typedef struct rci_csv_row {
    size_t line;       /* physical line (1-based) the row starts on */
    size_t nfields;    /* at least 1 */
    char **fields;     /* nfields NUL-terminated UTF-8 strings */
    size_t *lens;      /* their lengths in bytes */
    const char *error; /* NULL, or why this row is malformed */
} rci_csv_row;

/* A parsed file: one allocation that holds the rows, the fields and their
 * text, freed by rci_csv_free. */
typedef struct rci_csv {
    rci_csv_encoding encoding; /* the one read: RCI_CSV_UTF8 or RCI_CSV_GB18030 */
    int bom;                   /* 1 if a byte-order mark was dropped */
    size_t nrows;              /* rows, the header included */
    rci_csv_row *rows;
    size_t nbad;               /* rows whose error is set */
} rci_csv;

/* Parse len bytes of data (opt may be NULL for the defaults). Returns 0 and
 * sets *out (free with rci_csv_free), or -1 with *out NULL and the reason in
 * why, e.g. "line 7: not valid UTF-8 or GB18030 (byte 0xFF)". An empty
 * input gives 0 rows. */
int rci_csv_parse(const void *data, size_t len, const rci_csv_options *opt, rci_csv **out,
                  char *why, size_t whylen);

/* Frees csv and all it owns; NULL is fine. */
void rci_csv_free(rci_csv *csv);

/* "utf-8" or "gb18030" ("auto" for RCI_CSV_AUTO). */
const char *rci_csv_encoding_name(rci_csv_encoding e);

/* The encoding for a user's name of it, case-insensitively: "auto",
 * "utf-8"/"utf8", "gb18030"/"gbk"/"gb2312"/"cp936". Returns 0 and sets *out,
 * or -1. */
int rci_csv_encoding_from_name(const char *name, rci_csv_encoding *out);

/* 1 if every field of row is empty or only spaces and tabs (Excel writes
 * ",,,," for formatted but empty rows), else 0. */
int rci_csv_row_blank(const rci_csv_row *row);

/* Write one row as CSV: fields joined by commas, each quoted (quotes
 * doubled) when it holds a comma, a quote, CR or LF, starts with U+FEFF, or
 * is the only field and empty; no line ending. Writes into out when out is
 * not NULL (the caller makes room: call with NULL first). Returns the
 * number of bytes. Parsing the result gives the fields back. */
size_t rci_csv_format_row(const char *const *fields, const size_t *lens, size_t n, char *out);

/* ---- the push file's header --------------------------------------------- */

/* The columns of a push file. */
typedef enum rci_csv_col {
    RCI_CSV_COL_INDICATOR, /* indicator, indicator_code, 指标, 指标代码, 指标编码 */
    RCI_CSV_COL_REGION,    /* region, region_code, city, 地区, 城市, 地区代码, 城市代码 */
    RCI_CSV_COL_PERIOD,    /* period, 期间, 时期, 报告期 */
    RCI_CSV_COL_VALUE,     /* value, 数值, 值 */
    RCI_CSV_COL_NOTE,      /* note, notes, remark, remarks, comment, 备注, 说明 */
    RCI_CSV_NCOLS
} rci_csv_col;

/* The column a header name means, or -1 if none. English names match
 * without regard to case; spaces and tabs (and U+3000) around the name are
 * ignored. */
int rci_csv_header_column(const char *name);

/* Map a header row: cols[c] is the index of the field that holds column c,
 * or -1. Returns 0, or -1 with the reason in why when a column other than
 * note is missing or two fields mean the same column. Fields that mean no
 * column are ignored (the caller may warn about them). */
int rci_csv_map_header(const rci_csv_row *header, int cols[RCI_CSV_NCOLS], char *why,
                       size_t whylen);

#endif
