/* fuzz_csv.c: libFuzzer target for client/csv.c.
 *
 * The fuzzers link against rcid_core only, and the CSV reader belongs to
 * the client library, so its source is compiled in here.
 *
 * Input layout (seeds in corpus/fuzz_csv/ follow it):
 *   byte 0   options: bits 0-1 encoding (0 auto, 1 UTF-8, 2 GB18030,
 *            3 auto), bit 2 small limits (field 64, row 256, 8 fields),
 *            bit 3 expect 3 fields per row
 *   rest     the file's bytes
 * Checked: parsing never crashes or leaks; every field is valid UTF-8 with
 * no NUL and the length given; rows' lines never go down; nbad counts the
 * rows with an error; every row written back with rci_csv_format_row and
 * read again (as UTF-8) gives the same rows and fields; forcing the
 * encoding that was detected gives the same result; the header helpers
 * take any first row.
 */
#include "../../services/client/csv.c"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(c)                                                                             \
    do {                                                                                       \
        if (!(c))                                                                              \
            __builtin_trap();                                                                  \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_rows(const rci_csv *a, const rci_csv *b)
{
    if (a->nrows != b->nrows)
        return 0;
    for (size_t i = 0; i < a->nrows; i++) {
        const rci_csv_row *x = &a->rows[i], *y = &b->rows[i];
        if (x->nfields != y->nfields)
            return 0;
        for (size_t k = 0; k < x->nfields; k++)
            if (x->lens[k] != y->lens[k] || memcmp(x->fields[k], y->fields[k], x->lens[k]) != 0)
                return 0;
    }
    return 1;
}

static void check_result(const rci_csv *c)
{
    size_t bad = 0, last_line = 1;
    for (size_t i = 0; i < c->nrows; i++) {
        const rci_csv_row *r = &c->rows[i];
        REQUIRE(r->nfields >= 1 && r->line >= last_line);
        last_line = r->line;
        for (size_t k = 0; k < r->nfields; k++) {
            REQUIRE(strlen(r->fields[k]) == r->lens[k]);
            REQUIRE(utf8_valid_prefix((const unsigned char *)r->fields[k], r->lens[k]) ==
                    r->lens[k]);
        }
        if (r->error)
            REQUIRE(r->error[0] != '\0');
        bad += r->error != NULL;
    }
    REQUIRE(bad == c->nbad);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    rci_csv_options opt = {RCI_CSV_AUTO, 0, 0, 0, 0};
    static const rci_csv_encoding encs[4] = {RCI_CSV_AUTO, RCI_CSV_UTF8, RCI_CSV_GB18030,
                                             RCI_CSV_AUTO};
    opt.encoding = encs[data[0] & 3];
    if (data[0] & 4) {
        opt.max_field = 64;
        opt.max_row = 256;
        opt.max_fields = 8;
    }
    if (data[0] & 8)
        opt.expect_fields = 3;
    data++;
    size--;

    char why[256];
    rci_csv *c = NULL;
    if (rci_csv_parse(data, size, &opt, &c, why, sizeof why) != 0) {
        REQUIRE(c == NULL && why[0] != '\0');
        return 0;
    }
    REQUIRE(c != NULL);
    check_result(c);

    /* forcing what was detected changes nothing */
    if (opt.encoding == RCI_CSV_AUTO) {
        rci_csv_options forced = opt;
        forced.encoding = c->encoding;
        rci_csv *f = NULL;
        REQUIRE(rci_csv_parse(data, size, &forced, &f, why, sizeof why) == 0);
        REQUIRE(same_rows(c, f) && f->nbad == c->nbad && f->bom == c->bom);
        rci_csv_free(f);
    }

    /* write every row back and read it again; the text starts with a blank
     * line (skipped), lest row 1 start with a workbook's signature "PK\3\4" */
    size_t total = 1;
    for (size_t i = 0; i < c->nrows; i++)
        total += rci_csv_format_row((const char *const *)c->rows[i].fields, c->rows[i].lens,
                                    c->rows[i].nfields, NULL) + 1;
    char *out = malloc(total ? total : 1);
    REQUIRE(out != NULL);
    size_t w = 0;
    out[w++] = '\n';
    for (size_t i = 0; i < c->nrows; i++) {
        w += rci_csv_format_row((const char *const *)c->rows[i].fields, c->rows[i].lens,
                                c->rows[i].nfields, out + w);
        out[w++] = (i & 1) ? '\n' : '\r'; /* either line ending will do */
    }
    REQUIRE(w == total);
    rci_csv_options again = opt;
    again.encoding = RCI_CSV_UTF8;
    rci_csv *c2 = NULL;
    int r = rci_csv_parse(out, w, &again, &c2, why, sizeof why);
    REQUIRE(r == 0);
    check_result(c2);
    REQUIRE(same_rows(c, c2));
    /* a row written back has no quoting errors, only maybe a wrong width
     * ("2 fields, but the header has 3") */
    for (size_t i = 0; i < c2->nrows; i++) {
        const char *e = c2->rows[i].error;
        REQUIRE(e == NULL || (e[0] >= '0' && e[0] <= '9'));
        REQUIRE((e == NULL) == (c->rows[i].error == NULL) || c->rows[i].error[0] == 'f');
    }
    rci_csv_free(c2);
    free(out);

    /* the header helpers take anything */
    if (c->nrows) {
        int cols[RCI_CSV_NCOLS];
        if (rci_csv_map_header(&c->rows[0], cols, why, sizeof why) == 0) {
            for (int k = 0; k < RCI_CSV_NCOLS; k++)
                REQUIRE(cols[k] >= -1 && cols[k] < (int)c->rows[0].nfields);
            REQUIRE(cols[RCI_CSV_COL_INDICATOR] >= 0 && cols[RCI_CSV_COL_VALUE] >= 0);
        }
        for (size_t k = 0; k < c->rows[0].nfields; k++)
            (void)rci_csv_header_column(c->rows[0].fields[k]);
        (void)rci_csv_row_blank(&c->rows[0]);
    }
    rci_csv_free(c);
    return 0;
}
