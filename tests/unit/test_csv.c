/* test_csv.c: unit tests for client/csv.c — RFC 4180 parsing as Excel
 * writes it (quotes, doubled quotes, line breaks in fields, CRLF/LF/CR, a
 * last line with or without its break, empty fields, blank lines), every
 * malformed row reported with its line, encodings (UTF-8, UTF-8 with a
 * mark, GBK/GB18030 detected or forced, UTF-16 and workbooks refused), the
 * limits, writing rows back, and the push header in English and Chinese.
 * GBK test data is written as byte escapes. */
#include "client/csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static char why[256];

/* Parse a NUL-terminated string with the defaults (or opt); aborts on a
 * fatal error, which the tests that want one check with parse_fails. */
static rci_csv *parse_opt(const char *s, size_t len, const rci_csv_options *opt)
{
    rci_csv *c = NULL;
    if (rci_csv_parse(s, len, opt, &c, why, sizeof why) != 0) {
        fprintf(stderr, "unexpected parse failure: %s\n", why);
        check_failed++;
        return NULL;
    }
    return c;
}

static rci_csv *parse(const char *s)
{
    return parse_opt(s, strlen(s), NULL);
}

/* The parse must fail with exactly this reason. */
static void parse_fails(const char *s, size_t len, const rci_csv_options *opt, const char *reason,
                        int line)
{
    rci_csv *c = (rci_csv *)1;
    int r = rci_csv_parse(s, len, opt, &c, why, sizeof why);
    if (r != -1 || c != NULL || strcmp(why, reason) != 0) {
        fprintf(stderr, "line %d: parse = %d, \"%s\"; want \"%s\"\n", line, r, why, reason);
        check_failed++;
        if (r == 0)
            rci_csv_free(c);
    } else {
        check_passed++;
    }
}
#define FAILS(s, opt, reason) parse_fails(s, sizeof(s) - 1, opt, reason, __LINE__)

/* Row i has exactly these fields (a NULL-terminated list) and starts on
 * the given line. */
static int row_is(const rci_csv *c, size_t i, size_t line, ...)
{
    if (!c || i >= c->nrows)
        return 0;
    const rci_csv_row *r = &c->rows[i];
    if (r->line != line)
        return 0;
    va_list ap;
    va_start(ap, line);
    size_t k = 0;
    const char *want;
    int ok = 1;
    while ((want = va_arg(ap, const char *)) != NULL) {
        if (k >= r->nfields || strcmp(r->fields[k], want) != 0 || r->lens[k] != strlen(want))
            ok = 0;
        k++;
    }
    va_end(ap);
    return ok && k == r->nfields;
}

static const char *err(const rci_csv *c, size_t i)
{
    return c && i < c->nrows && c->rows[i].error ? c->rows[i].error : "(none)";
}

/* ---- RFC 4180 as Excel writes it ----------------------------------------- */

static void test_simple(void)
{
    rci_csv *c = parse("indicator,region,period,value\nPM25,441300,2024-05,21.5\n");
    CHECK(c && c->nrows == 2 && c->nbad == 0);
    CHECK(c && c->encoding == RCI_CSV_UTF8 && c->bom == 0);
    CHECK(row_is(c, 0, 1, "indicator", "region", "period", "value", NULL));
    CHECK(row_is(c, 1, 2, "PM25", "441300", "2024-05", "21.5", NULL));
    CHECK(c && c->rows[1].error == NULL);
    rci_csv_free(c);

    /* no line break after the last row */
    c = parse("a,b\n1,2");
    CHECK(c && c->nrows == 2 && row_is(c, 1, 2, "1", "2", NULL));
    rci_csv_free(c);
    /* CRLF, as Excel on Windows */
    c = parse("a,b\r\n1,2\r\n3,4\r\n");
    CHECK(c && c->nrows == 3 && row_is(c, 2, 3, "3", "4", NULL));
    rci_csv_free(c);
    /* a lone CR, as Excel on old Macs */
    c = parse("a,b\r1,2\r3,4");
    CHECK(c && c->nrows == 3 && row_is(c, 1, 2, "1", "2", NULL) && row_is(c, 2, 3, "3", "4", NULL));
    rci_csv_free(c);
    /* all three mixed */
    c = parse("a,b\r\n1,2\n3,4\r5,6\r\n");
    CHECK(c && c->nrows == 4 && row_is(c, 3, 4, "5", "6", NULL));
    rci_csv_free(c);
    /* a single column */
    c = parse("value\n1\n2\n");
    CHECK(c && c->nrows == 3 && row_is(c, 2, 3, "2", NULL) && c->nbad == 0);
    rci_csv_free(c);
    /* one row only */
    c = parse("x");
    CHECK(c && c->nrows == 1 && row_is(c, 0, 1, "x", NULL));
    rci_csv_free(c);
}

static void test_empty_fields(void)
{
    rci_csv *c = parse("a,b,c\n1,,3\n,,\n,2,\n1,2,\n");
    CHECK(c && c->nrows == 5 && c->nbad == 0);
    CHECK(row_is(c, 1, 2, "1", "", "3", NULL));
    CHECK(row_is(c, 2, 3, "", "", "", NULL));
    CHECK(row_is(c, 3, 4, "", "2", "", NULL));
    CHECK(row_is(c, 4, 5, "1", "2", "", NULL));
    rci_csv_free(c);
    /* a trailing comma at the very end is one more empty field */
    c = parse("a,b\n1,");
    CHECK(c && row_is(c, 1, 2, "1", "", NULL) && c->nbad == 0);
    rci_csv_free(c);
    c = parse("a,b\r\n1,\r\n");
    CHECK(c && row_is(c, 1, 2, "1", "", NULL));
    rci_csv_free(c);
    /* "" is an empty field too */
    c = parse("a,b\n\"\",\"\"\n");
    CHECK(c && row_is(c, 1, 2, "", "", NULL));
    rci_csv_free(c);
    /* a single-column empty value must be written "" (a blank line is skipped) */
    c = parse("v\n\"\"\n\n1\n");
    CHECK(c && c->nrows == 3 && row_is(c, 1, 2, "", NULL) && row_is(c, 2, 4, "1", NULL));
    rci_csv_free(c);
}

static void test_quotes(void)
{
    rci_csv *c = parse("a,b\n\"x,y\",z\n");
    CHECK(c && row_is(c, 1, 2, "x,y", "z", NULL));
    rci_csv_free(c);
    c = parse("a\n\"he said \"\"hi\"\"\"\n");
    CHECK(c && row_is(c, 1, 2, "he said \"hi\"", NULL));
    rci_csv_free(c);
    c = parse("a\n\"\"\"\"\n"); /* a field that is one quote */
    CHECK(c && row_is(c, 1, 2, "\"", NULL));
    rci_csv_free(c);
    c = parse("a\n\"\"\"\"\"\"\n"); /* two quotes */
    CHECK(c && row_is(c, 1, 2, "\"\"", NULL));
    rci_csv_free(c);
    /* quoted fields at the end of the text, with and without a break */
    c = parse("a,b\n1,\"2\"");
    CHECK(c && row_is(c, 1, 2, "1", "2", NULL) && c->nbad == 0);
    rci_csv_free(c);
    c = parse("a,b\n1,\"2\"\r\n");
    CHECK(c && row_is(c, 1, 2, "1", "2", NULL) && c->nbad == 0);
    rci_csv_free(c);
    /* spaces are part of the field, quoted or not */
    c = parse("a,b\n 1 , \" 2 \"\n");
    /* ' "' starts an unquoted field: the quote is stray */
    CHECK(c && c->nbad == 1);
    CHECK(c && row_is(c, 1, 2, " 1 ", " \" 2 \"", NULL));
    rci_csv_free(c);
    c = parse("a,b\n 1 ,\" 2 \"\n");
    CHECK(c && c->nbad == 0 && row_is(c, 1, 2, " 1 ", " 2 ", NULL));
    rci_csv_free(c);
}

static void test_line_breaks_in_fields(void)
{
    /* a note with a line break, as Alt+Enter in Excel writes it */
    rci_csv *c = parse("indicator,note\nPM25,\"line one\nline two\"\nO3,ok\n");
    CHECK(c && c->nrows == 3 && c->nbad == 0);
    CHECK(row_is(c, 1, 2, "PM25", "line one\nline two", NULL));
    CHECK(row_is(c, 2, 4, "O3", "ok", NULL)); /* physical line 4 */
    rci_csv_free(c);
    /* CRLF inside quotes is kept and counts as one line */
    c = parse("a,b\r\n\"1\r\n2\r\n3\",x\r\ny,z\r\n");
    CHECK(c && row_is(c, 1, 2, "1\r\n2\r\n3", "x", NULL));
    CHECK(row_is(c, 2, 5, "y", "z", NULL));
    rci_csv_free(c);
    /* a lone CR inside quotes counts as a line too */
    c = parse("a\n\"1\r2\"\nz\n");
    CHECK(c && row_is(c, 1, 2, "1\r2", NULL) && row_is(c, 2, 4, "z", NULL));
    rci_csv_free(c);
    /* a quoted field that starts with a break, and one that is only breaks */
    c = parse("a,b\n\"\nx\",\"\n\n\"\nq,r");
    CHECK(c && row_is(c, 1, 2, "\nx", "\n\n", NULL) && row_is(c, 2, 6, "q", "r", NULL));
    rci_csv_free(c);
}

static void test_blank_lines(void)
{
    rci_csv *c = parse("a,b\n\n1,2\n\n\n3,4\n\n");
    CHECK(c && c->nrows == 3 && c->nbad == 0);
    CHECK(row_is(c, 1, 3, "1", "2", NULL));
    CHECK(row_is(c, 2, 6, "3", "4", NULL));
    rci_csv_free(c);
    c = parse("\r\n\r\na,b\r\n");
    CHECK(c && c->nrows == 1 && row_is(c, 0, 3, "a", "b", NULL));
    rci_csv_free(c);
    c = parse("\n\r\n\r\n");
    CHECK(c && c->nrows == 0 && c->rows == NULL);
    rci_csv_free(c);
    c = parse("");
    CHECK(c && c->nrows == 0 && c->nbad == 0);
    rci_csv_free(c);
    c = parse_opt(NULL, 0, NULL);
    CHECK(c && c->nrows == 0);
    rci_csv_free(c);
    /* a line of spaces is a row (of one field), not a blank line */
    c = parse("a,b\n   \n1,2\n");
    CHECK(c && c->nrows == 3 && row_is(c, 1, 2, "   ", NULL));
    CHECK_STR(err(c, 1), "1 field, but the header has 2");
    rci_csv_free(c);
}

/* ---- malformed rows ------------------------------------------------------- */

static void test_ragged_rows(void)
{
    rci_csv *c = parse("a,b,c\n1,2\n1,2,3\n1,2,3,4\n\n5\n");
    CHECK(c && c->nrows == 5 && c->nbad == 3);
    CHECK(c && c->rows[0].error == NULL);
    CHECK_STR(err(c, 1), "2 fields, but the header has 3");
    CHECK(c && c->rows[1].line == 2 && row_is(c, 1, 2, "1", "2", NULL));
    CHECK(c && c->rows[2].error == NULL);
    CHECK_STR(err(c, 3), "4 fields, but the header has 3");
    CHECK(c && c->rows[3].line == 4);
    CHECK_STR(err(c, 4), "1 field, but the header has 3");
    CHECK(c && c->rows[4].line == 6);
    rci_csv_free(c);
    /* a row after a multi-line field gets the line it starts on */
    c = parse("a,b\n\"x\ny\",1\n2\n");
    CHECK(c && c->nbad == 1);
    CHECK_STR(err(c, 2), "1 field, but the header has 2");
    CHECK(c && c->rows[2].line == 4);
    rci_csv_free(c);
    /* with expect_fields, the header is checked too */
    rci_csv_options o = {RCI_CSV_AUTO, 0, 0, 0, 4};
    c = parse_opt("a,b,c\n1,2,3,4\n", 14, &o);
    CHECK(c && c->nbad == 1);
    CHECK_STR(err(c, 0), "3 fields, expected 4");
    CHECK(c && c->rows[1].error == NULL);
    rci_csv_free(c);
}

static void test_stray_quotes(void)
{
    /* a quote inside an unquoted field: kept, and the row is marked */
    rci_csv *c = parse("a,b\nab\"c,d\n1,2\n");
    CHECK(c && c->nbad == 1 && row_is(c, 1, 2, "ab\"c", "d", NULL));
    CHECK_STR(err(c, 1),
              "field 1: a quote inside an unquoted field (quote the whole field and write the "
              "quote twice)");
    CHECK(c && c->rows[2].error == NULL);
    rci_csv_free(c);
    c = parse("a,b\n1,2\"\n");
    CHECK_STR(err(c, 1),
              "field 2: a quote inside an unquoted field (quote the whole field and write the "
              "quote twice)");
    rci_csv_free(c);
    /* text after a closing quote */
    c = parse("a,b\n\"ab\"c,d\n");
    CHECK(c && c->nbad == 1 && row_is(c, 1, 2, "abc", "d", NULL));
    CHECK_STR(err(c, 1),
              "field 1: text after the closing quote (a quote inside a quoted field is written "
              "twice: \"\")");
    rci_csv_free(c);
    c = parse("a,b\n1,\"x\" \n");
    CHECK(c && row_is(c, 1, 2, "1", "x ", NULL));
    CHECK_STR(err(c, 1),
              "field 2: text after the closing quote (a quote inside a quoted field is written "
              "twice: \"\")");
    rci_csv_free(c);
    /* a quote never closed swallows the rest of the file into one field */
    c = parse("a,b\n1,2\n\"x,y\nz,w\n");
    CHECK(c && c->nrows == 3 && c->nbad == 1);
    CHECK(row_is(c, 2, 3, "x,y\nz,w\n", NULL));
    CHECK_STR(err(c, 2), "field 1: the quote opened on line 3 is never closed");
    rci_csv_free(c);
    c = parse("a,b\n1,\"");
    CHECK(c && row_is(c, 1, 2, "1", "", NULL));
    CHECK_STR(err(c, 1), "field 2: the quote opened on line 2 is never closed");
    rci_csv_free(c);
    c = parse("a,b\n1,\"x\"\"");
    CHECK(c && row_is(c, 1, 2, "1", "x\"", NULL));
    CHECK_STR(err(c, 1), "field 2: the quote opened on line 2 is never closed");
    rci_csv_free(c);
    /* the first error of a row is the one reported */
    c = parse("a,b\n\"x\"y,z\"w,extra\n");
    CHECK_STR(err(c, 1),
              "field 1: text after the closing quote (a quote inside a quoted field is written "
              "twice: \"\")");
    rci_csv_free(c);
    /* every bad row is reported, not only the first */
    c = parse("a,b\n1\n2\n3,4\n5,6,7\nx\"y,1\n");
    CHECK(c && c->nbad == 4);
    rci_csv_free(c);
}

/* ---- encodings ------------------------------------------------------------ */

/* GBK bytes: 指标,地区,期间,数值,备注 / CO2,深圳,2024-05,96.7,"备注,含逗号" */
#define GBK_HEADER                                                                             \
    "\xD6\xB8\xB1\xEA,\xB5\xD8\xC7\xF8,\xC6\xDA\xBC\xE4,\xCA\xFD\xD6\xB5,\xB1\xB8\xD7\xA2"
#define GBK_ROW "GOOD_DAYS,\xC9\xEE\xDB\xDA,2024-05,96.7,\"\xB1\xB8\xD7\xA2,\xBA\xAC\xB6\xBA\xBA\xC5\""

static void test_utf8_bom(void)
{
    const char s[] = "\xEF\xBB\xBF指标,地区\r\nGOOD_DAYS,深圳\r\n";
    rci_csv *c = parse_opt(s, sizeof s - 1, NULL);
    CHECK(c && c->encoding == RCI_CSV_UTF8 && c->bom == 1);
    CHECK(row_is(c, 0, 1, "指标", "地区", NULL));
    CHECK(row_is(c, 1, 2, "GOOD_DAYS", "深圳", NULL));
    rci_csv_free(c);
    /* forced UTF-8 drops the mark too */
    rci_csv_options o = {RCI_CSV_UTF8, 0, 0, 0, 0};
    c = parse_opt(s, sizeof s - 1, &o);
    CHECK(c && c->bom == 1 && row_is(c, 0, 1, "指标", "地区", NULL));
    rci_csv_free(c);
    /* only a mark: no rows */
    c = parse_opt("\xEF\xBB\xBF", 3, NULL);
    CHECK(c && c->nrows == 0 && c->bom == 1);
    rci_csv_free(c);
    /* a second mark is data (written back quoted, see test_format_row) */
    c = parse_opt("\xEF\xBB\xBF\xEF\xBB\xBF" "a", 7, NULL);
    CHECK(c && c->nrows == 1 && c->rows[0].lens[0] == 4);
    rci_csv_free(c);
    /* a mark then bytes that are not UTF-8: no guessing, it is an error */
    FAILS("\xEF\xBB\xBF" "a,b\n\xC9\xEE\n", NULL, "line 2: not valid UTF-8 (byte 0xC9)");
}

static void test_utf8_plain(void)
{
    rci_csv *c = parse("指标,地区,期间,数值,备注\nGOOD_DAYS,惠州,2016,96.7,\"全年,优良\"\n");
    CHECK(c && c->encoding == RCI_CSV_UTF8 && c->bom == 0 && c->nbad == 0);
    CHECK(row_is(c, 1, 2, "GOOD_DAYS", "惠州", "2016", "96.7", "全年,优良", NULL));
    rci_csv_free(c);
    /* 4-byte UTF-8 */
    c = parse("a\n😀\n");
    CHECK(c && row_is(c, 1, 2, "😀", NULL));
    rci_csv_free(c);
}

static void test_gbk(void)
{
    const char s[] = GBK_HEADER "\r\n" GBK_ROW "\r\n";
    rci_csv *c = parse_opt(s, sizeof s - 1, NULL);
    CHECK(c && c->encoding == RCI_CSV_GB18030 && c->bom == 0 && c->nbad == 0);
    CHECK(row_is(c, 0, 1, "指标", "地区", "期间", "数值", "备注", NULL));
    CHECK(row_is(c, 1, 2, "GOOD_DAYS", "深圳", "2024-05", "96.7", "备注,含逗号", NULL));
    rci_csv_free(c);
    /* forced GB18030 gives the same */
    rci_csv_options o = {RCI_CSV_GB18030, 0, 0, 0, 0};
    c = parse_opt(s, sizeof s - 1, &o);
    CHECK(c && c->encoding == RCI_CSV_GB18030);
    CHECK(row_is(c, 1, 2, "GOOD_DAYS", "深圳", "2024-05", "96.7", "备注,含逗号", NULL));
    rci_csv_free(c);
    /* forced UTF-8 on GBK: refused, with the line and a hint */
    o.encoding = RCI_CSV_UTF8;
    /* (D6 B8 happens to be valid UTF-8, U+05B8: the error is at B1) */
    FAILS(GBK_HEADER "\r\n", &o,
          "line 1: not valid UTF-8 (byte 0xB1); if the file is GBK, read it as GB18030");
    FAILS("a,b\r\nx,y\r\n\xC9\xEE\xDB\xDA,1\r\n", &o,
          "line 3: not valid UTF-8 (byte 0xC9); if the file is GBK, read it as GB18030");
    /* GBK quotes and commas are ASCII, line breaks inside quotes too */
    const char q[] = "a,b\n\"\xC9\xEE\n\xDB\xDA\",\"\xBB\xDD\"\"\xD6\xDD\"\n";
    c = parse_opt(q, sizeof q - 1, NULL);
    CHECK(c && c->encoding == RCI_CSV_GB18030);
    CHECK(row_is(c, 1, 2, "深\n圳", "惠\"州", NULL));
    rci_csv_free(c);
    /* 4-byte GB18030 characters (U+1F600) and the euro sign */
    const char e[] = "a,b\n\x94\x39\xFC\x36,\xA2\xE3\n";
    c = parse_opt(e, sizeof e - 1, NULL);
    CHECK(c && row_is(c, 1, 2, "😀", "€", NULL));
    rci_csv_free(c);
    /* GB18030's own byte-order mark (U+FEFF as 84 31 95 33) is dropped */
    const char m[] = "\x84\x31\x95\x33\xC9\xEE\xDB\xDA\n";
    c = parse_opt(m, sizeof m - 1, NULL);
    CHECK(c && c->encoding == RCI_CSV_GB18030 && c->bom == 1 && row_is(c, 0, 1, "深圳", NULL));
    rci_csv_free(c);
    /* detection: text that happens to be valid UTF-8 is read as UTF-8 ("茅"
     * in GBK is C3 A9, which is "é" in UTF-8); forcing GB18030 fixes it */
    c = parse_opt("\xC3\xA9", 2, NULL);
    CHECK(c && c->encoding == RCI_CSV_UTF8 && row_is(c, 0, 1, "é", NULL));
    rci_csv_free(c);
    o.encoding = RCI_CSV_GB18030;
    c = parse_opt("\xC3\xA9", 2, &o);
    CHECK(c && row_is(c, 0, 1, "茅", NULL));
    rci_csv_free(c);
    /* ASCII is both: reported as UTF-8 unless forced */
    c = parse("a,b\n");
    CHECK(c && c->encoding == RCI_CSV_UTF8);
    rci_csv_free(c);
    c = parse_opt("a,b\n", 4, &o);
    CHECK(c && c->encoding == RCI_CSV_GB18030 && row_is(c, 0, 1, "a", "b", NULL));
    rci_csv_free(c);
    o.encoding = RCI_CSV_GB18030;
    c = parse_opt("", 0, &o);
    CHECK(c && c->encoding == RCI_CSV_GB18030 && c->nrows == 0);
    rci_csv_free(c);
}

static void test_bad_bytes(void)
{
    rci_csv_options gb = {RCI_CSV_GB18030, 0, 0, 0, 0};
    /* neither UTF-8 nor GB18030 */
    FAILS("a,b\n1,2\n\xFF\n", NULL, "line 3: not valid UTF-8 or GB18030 (byte 0xFF)");
    FAILS("\x80", NULL, "line 1: not valid UTF-8 or GB18030 (byte 0x80)");
    FAILS("a\r\n\xC9\xEE\r\n\x81\x20\r\n", NULL,
          "line 3: not valid UTF-8 or GB18030 (byte 0x81)"); /* bad trail byte */
    FAILS("a\rb\r\xC9\x7F", NULL, "line 3: not valid UTF-8 or GB18030 (byte 0xC9)");
    FAILS("a\n\xC9\xEE\xFF", &gb, "line 2: not valid GB18030 (byte 0xFF)");
    /* cut in the middle of a character */
    FAILS("a\n\xC9\xEE\xDB", NULL,
          "line 2: the file ends in the middle of a UTF-8 or GB18030 character");
    FAILS("\x94\x39\xFC", &gb, "line 1: the file ends in the middle of a GB18030 character");
    /* bad UTF-8 forms when forced */
    rci_csv_options u8 = {RCI_CSV_UTF8, 0, 0, 0, 0};
    FAILS("\xC0\xAF", &u8,
          "line 1: not valid UTF-8 (byte 0xC0); if the file is GBK, read it as GB18030");
    FAILS("ok\n\xED\xA0\x80", &u8,
          "line 2: not valid UTF-8 (byte 0xED); if the file is GBK, read it as GB18030");
    FAILS("ok\n\xE6\xB7", &u8,
          "line 2: not valid UTF-8 (byte 0xE6); if the file is GBK, read it as GB18030");
    /* NUL bytes */
    FAILS("a,b\n1,\0\n", NULL, "line 2: a NUL byte: this is not a text file");
    FAILS("\0", NULL, "line 1: a NUL byte: this is not a text file");
    /* UTF-16 and workbooks */
    FAILS("\xFF\xFE" "a\0,\0", NULL,
          "the file is UTF-16 (Excel's \"Unicode Text\"): save it as \"CSV UTF-8\" instead");
    FAILS("\xFE\xFF\0a", &u8,
          "the file is UTF-16 (Excel's \"Unicode Text\"): save it as \"CSV UTF-8\" instead");
    FAILS("PK\x03\x04\x14\0\x06\0", NULL,
          "this is an Excel workbook (.xlsx), not CSV: save it as CSV first");
    FAILS("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", NULL,
          "this is an Excel 97-2003 workbook (.xls), not CSV: save it as CSV first");
    /* a bad option */
    rci_csv_options bad = {(rci_csv_encoding)9, 0, 0, 0, 0};
    FAILS("a", &bad, "unknown encoding");
}

static void test_encoding_names(void)
{
    rci_csv_encoding e;
    CHECK(rci_csv_encoding_from_name("utf-8", &e) == 0 && e == RCI_CSV_UTF8);
    CHECK(rci_csv_encoding_from_name("UTF8", &e) == 0 && e == RCI_CSV_UTF8);
    CHECK(rci_csv_encoding_from_name("GB18030", &e) == 0 && e == RCI_CSV_GB18030);
    CHECK(rci_csv_encoding_from_name("gbk", &e) == 0 && e == RCI_CSV_GB18030);
    CHECK(rci_csv_encoding_from_name("GB2312", &e) == 0 && e == RCI_CSV_GB18030);
    CHECK(rci_csv_encoding_from_name("cp936", &e) == 0 && e == RCI_CSV_GB18030);
    CHECK(rci_csv_encoding_from_name("Auto", &e) == 0 && e == RCI_CSV_AUTO);
    CHECK(rci_csv_encoding_from_name("latin1", &e) == -1);
    CHECK(rci_csv_encoding_from_name("utf-16", &e) == -1);
    CHECK(rci_csv_encoding_from_name("utf-8 ", &e) == -1);
    CHECK(rci_csv_encoding_from_name("", &e) == -1);
    CHECK(rci_csv_encoding_from_name(NULL, &e) == -1);
    CHECK_STR(rci_csv_encoding_name(RCI_CSV_UTF8), "utf-8");
    CHECK_STR(rci_csv_encoding_name(RCI_CSV_GB18030), "gb18030");
    CHECK_STR(rci_csv_encoding_name(RCI_CSV_AUTO), "auto");
}

/* ---- limits ---------------------------------------------------------------- */

static void test_limits(void)
{
    rci_csv_options o = {RCI_CSV_AUTO, 4, 0, 0, 0};
    rci_csv *c = parse_opt("abcd,efgh\n\"ab\"\"c\"\n", 18, &o); /* exactly 4, "" counts 1 */
    CHECK(c && row_is(c, 1, 2, "ab\"c", NULL));
    rci_csv_free(c);
    FAILS("ab,abcde\n", &o, "line 1: a field is longer than 4 bytes");
    FAILS("a\n\"ab\ncd\"\n", &o, "line 2: a field is longer than 4 bytes");
    FAILS("a\n\"abcd\"\"\"\n", &o, "line 2: a field is longer than 4 bytes");
    FAILS("a\n深圳\n", &o, "line 2: a field is longer than 4 bytes"); /* bytes, not characters */
    /* GBK grows when converted: the limit is on the UTF-8 bytes */
    rci_csv_options o6 = {RCI_CSV_AUTO, 5, 0, 0, 0};
    FAILS("a\n\xC9\xEE\xDB\xDA\n", &o6, "line 2: a field is longer than 5 bytes");
    o6.max_field = 6;
    c = parse_opt("a\n\xC9\xEE\xDB\xDA\n", 6, &o6);
    CHECK(c && row_is(c, 1, 2, "深圳", NULL));
    rci_csv_free(c);

    rci_csv_options r = {RCI_CSV_AUTO, 0, 6, 0, 0};
    c = parse_opt("abc,def\n", 8, &r);
    CHECK(c && c->nrows == 1);
    rci_csv_free(c);
    FAILS("a,b\nabc,defg\n", &r, "line 2: a row is longer than 6 bytes");

    rci_csv_options f = {RCI_CSV_AUTO, 0, 0, 3, 0};
    c = parse_opt("a,b,c\n,,\n", 9, &f);
    CHECK(c && c->nrows == 2);
    rci_csv_free(c);
    FAILS("a,b,c\n,,,\n", &f, "line 2: a row has more than 3 fields");

    /* the defaults */
    size_t n = RCI_CSV_MAX_FIELD + 1;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    rci_csv *bc = NULL;
    CHECK(rci_csv_parse(big, n, NULL, &bc, why, sizeof why) == -1 && bc == NULL);
    CHECK_STR(why, "line 1: a field is longer than 65536 bytes");
    CHECK(rci_csv_parse(big, n - 1, NULL, &bc, why, sizeof why) == 0);
    CHECK(bc && bc->rows[0].lens[0] == RCI_CSV_MAX_FIELD);
    rci_csv_free(bc);
    free(big);
    n = RCI_CSV_MAX_FIELDS + 1;
    big = malloc(2 * n);
    for (size_t i = 0; i < n; i++) {
        big[2 * i] = 'x';
        big[2 * i + 1] = ',';
    }
    CHECK(rci_csv_parse(big, 2 * n - 1, NULL, &bc, why, sizeof why) == -1);
    CHECK_STR(why, "line 1: a row has more than 1024 fields");
    CHECK(rci_csv_parse(big, 2 * n - 3, NULL, &bc, why, sizeof why) == 0);
    CHECK(bc && bc->rows[0].nfields == RCI_CSV_MAX_FIELDS);
    rci_csv_free(bc);
    free(big);
}

static void test_many_rows(void)
{
    /* 20,000 rows in GBK, CRLF, one with a break in a quoted note */
    size_t cap = 64 * 20001 + 64, len = 0;
    char *s = malloc(cap);
    len += (size_t)sprintf(s + len, GBK_HEADER "\r\n");
    for (int i = 0; i < 20000; i++) {
        if (i == 10000)
            len += (size_t)sprintf(s + len, "X%d,\xC9\xEE\xDB\xDA,2024-05,%d.5,\"a\r\nb\"\r\n", i, i);
        else
            len += (size_t)sprintf(s + len, "X%d,\xBB\xDD\xD6\xDD,2024-05,%d,\r\n", i, i);
    }
    rci_csv *c = NULL;
    CHECK(rci_csv_parse(s, len, NULL, &c, why, sizeof why) == 0);
    CHECK(c && c->nrows == 20001 && c->nbad == 0 && c->encoding == RCI_CSV_GB18030);
    CHECK(row_is(c, 1, 2, "X0", "惠州", "2024-05", "0", "", NULL));
    CHECK(row_is(c, 10001, 10002, "X10000", "深圳", "2024-05", "10000.5", "a\r\nb", NULL));
    CHECK(row_is(c, 10002, 10004, "X10001", "惠州", "2024-05", "10001", "", NULL));
    CHECK(row_is(c, 20000, 20002, "X19999", "惠州", "2024-05", "19999", "", NULL));
    rci_csv_free(c);
    free(s);
}

/* ---- writing rows back ----------------------------------------------------- */

static const char *fmt_row(const char *const *f, size_t n)
{
    static char out[512];
    size_t lens[16];
    for (size_t i = 0; i < n; i++)
        lens[i] = strlen(f[i]);
    size_t need = rci_csv_format_row(f, lens, n, NULL);
    size_t got = rci_csv_format_row(f, lens, n, out);
    out[got] = '\0';
    return need == got ? out : "(size mismatch)";
}

static void test_format_row(void)
{
    const char *a[] = {"PM25", "441300", "2024-05", "21.5"};
    CHECK_STR(fmt_row(a, 4), "PM25,441300,2024-05,21.5");
    const char *b[] = {"x,y", "he said \"hi\"", "line\nbreak", "cr\rhere", "", "深圳"};
    CHECK_STR(fmt_row(b, 6),
              "\"x,y\",\"he said \"\"hi\"\"\",\"line\nbreak\",\"cr\rhere\",,深圳");
    const char *c[] = {""};
    CHECK_STR(fmt_row(c, 1), "\"\"");
    const char *d[] = {"", ""};
    CHECK_STR(fmt_row(d, 2), ",");
    const char *e[] = {"\xEF\xBB\xBF" "a"};
    CHECK_STR(fmt_row(e, 1), "\"\xEF\xBB\xBF" "a\"");
    const char *f[] = {" spaced "};
    CHECK_STR(fmt_row(f, 1), " spaced ");
    CHECK(rci_csv_format_row(NULL, NULL, 0, NULL) == 0);

    /* tricky rows written and read back give the same fields */
    const char *rows[][3] = {
        {"", "", ""},        {"\"", "\"\"", ","},    {"\r\n", "\n", "\r"},
        {" a ", "b\"", "c"}, {"\xEF\xBB\xBF", "x", "y"}, {"深圳,惠州", "\"引号\"", "备注\n两行"},
    };
    size_t nr = sizeof rows / sizeof rows[0];
    char text[2048];
    size_t len = 0;
    for (size_t i = 0; i < nr; i++) {
        size_t lens[3] = {strlen(rows[i][0]), strlen(rows[i][1]), strlen(rows[i][2])};
        len += rci_csv_format_row(rows[i], lens, 3, text + len);
        text[len++] = '\n';
    }
    rci_csv *p = parse_opt(text, len, NULL);
    CHECK(p && p->nrows == nr && p->nbad == 0);
    int same = p && p->nrows == nr;
    for (size_t i = 0; same && i < nr; i++)
        for (size_t k = 0; k < 3; k++)
            same = same && p->rows[i].nfields == 3 && strcmp(p->rows[i].fields[k], rows[i][k]) == 0;
    CHECK(same);
    rci_csv_free(p);
}

static void test_row_blank(void)
{
    rci_csv *c = parse("a,b,c\n,,\n , \t,\n,x,\n\"\",\"\",\"\"\n");
    CHECK(c && c->nrows == 5);
    CHECK(c && !rci_csv_row_blank(&c->rows[0]));
    CHECK(c && rci_csv_row_blank(&c->rows[1]));
    CHECK(c && rci_csv_row_blank(&c->rows[2]));
    CHECK(c && !rci_csv_row_blank(&c->rows[3]));
    CHECK(c && rci_csv_row_blank(&c->rows[4]));
    rci_csv_free(c);
    rci_csv_free(NULL);
}

/* ---- the push header -------------------------------------------------------- */

static void test_header_names(void)
{
    CHECK(rci_csv_header_column("indicator") == RCI_CSV_COL_INDICATOR);
    CHECK(rci_csv_header_column("Indicator") == RCI_CSV_COL_INDICATOR);
    CHECK(rci_csv_header_column("INDICATOR_CODE") == RCI_CSV_COL_INDICATOR);
    CHECK(rci_csv_header_column("Indicator Code") == RCI_CSV_COL_INDICATOR);
    CHECK(rci_csv_header_column("指标") == RCI_CSV_COL_INDICATOR);
    CHECK(rci_csv_header_column("指标代码") == RCI_CSV_COL_INDICATOR);
    CHECK(rci_csv_header_column("指标编码") == RCI_CSV_COL_INDICATOR);
    CHECK(rci_csv_header_column("region") == RCI_CSV_COL_REGION);
    CHECK(rci_csv_header_column("Region_Code") == RCI_CSV_COL_REGION);
    CHECK(rci_csv_header_column("City") == RCI_CSV_COL_REGION);
    CHECK(rci_csv_header_column("地区") == RCI_CSV_COL_REGION);
    CHECK(rci_csv_header_column("城市") == RCI_CSV_COL_REGION);
    CHECK(rci_csv_header_column("地区代码") == RCI_CSV_COL_REGION);
    CHECK(rci_csv_header_column("城市代码") == RCI_CSV_COL_REGION);
    CHECK(rci_csv_header_column("period") == RCI_CSV_COL_PERIOD);
    CHECK(rci_csv_header_column("Period") == RCI_CSV_COL_PERIOD);
    CHECK(rci_csv_header_column("期间") == RCI_CSV_COL_PERIOD);
    CHECK(rci_csv_header_column("时期") == RCI_CSV_COL_PERIOD);
    CHECK(rci_csv_header_column("报告期") == RCI_CSV_COL_PERIOD);
    CHECK(rci_csv_header_column("VALUE") == RCI_CSV_COL_VALUE);
    CHECK(rci_csv_header_column("数值") == RCI_CSV_COL_VALUE);
    CHECK(rci_csv_header_column("值") == RCI_CSV_COL_VALUE);
    CHECK(rci_csv_header_column("note") == RCI_CSV_COL_NOTE);
    CHECK(rci_csv_header_column("Notes") == RCI_CSV_COL_NOTE);
    CHECK(rci_csv_header_column("remark") == RCI_CSV_COL_NOTE);
    CHECK(rci_csv_header_column("备注") == RCI_CSV_COL_NOTE);
    CHECK(rci_csv_header_column("说明") == RCI_CSV_COL_NOTE);
    /* spaces around, ASCII and ideographic, and a stray mark */
    CHECK(rci_csv_header_column("  value\t") == RCI_CSV_COL_VALUE);
    CHECK(rci_csv_header_column("\xE3\x80\x80" "数值" "\xE3\x80\x80") == RCI_CSV_COL_VALUE);
    CHECK(rci_csv_header_column("\xEF\xBB\xBF" "indicator") == RCI_CSV_COL_INDICATOR);
    /* not names */
    CHECK(rci_csv_header_column("") == -1);
    CHECK(rci_csv_header_column("   ") == -1);
    CHECK(rci_csv_header_column(NULL) == -1);
    CHECK(rci_csv_header_column("values") == -1);
    CHECK(rci_csv_header_column("indicators") == -1);
    CHECK(rci_csv_header_column("val") == -1);
    CHECK(rci_csv_header_column("region code x") == -1);
    CHECK(rci_csv_header_column("指标名称") == -1);
    CHECK(rci_csv_header_column("指") == -1);
    CHECK(rci_csv_header_column("ＶＡＬＵＥ") == -1); /* full-width letters */
    CHECK(rci_csv_header_column("v alue") == -1);
}

static int map(const char *header_line, int cols[RCI_CSV_NCOLS])
{
    rci_csv *c = parse(header_line);
    int r = c && c->nrows ? rci_csv_map_header(&c->rows[0], cols, why, sizeof why) : -2;
    rci_csv_free(c);
    return r;
}

static void test_map_header(void)
{
    int cols[RCI_CSV_NCOLS];
    CHECK(map("indicator,region,period,value,note\n", cols) == 0);
    CHECK(cols[RCI_CSV_COL_INDICATOR] == 0 && cols[RCI_CSV_COL_REGION] == 1 &&
          cols[RCI_CSV_COL_PERIOD] == 2 && cols[RCI_CSV_COL_VALUE] == 3 &&
          cols[RCI_CSV_COL_NOTE] == 4);
    /* any order, Chinese, extra columns ignored, note optional */
    CHECK(map("数值,说明列,期间,城市,指标\n", cols) == 0);
    CHECK(cols[RCI_CSV_COL_VALUE] == 0 && cols[RCI_CSV_COL_PERIOD] == 2 &&
          cols[RCI_CSV_COL_REGION] == 3 && cols[RCI_CSV_COL_INDICATOR] == 4 &&
          cols[RCI_CSV_COL_NOTE] == -1);
    CHECK(map("Indicator,Region name,Region,Period,Value,Unit,Notes\n", cols) == 0);
    CHECK(cols[RCI_CSV_COL_REGION] == 2 && cols[RCI_CSV_COL_NOTE] == 6);
    /* the GBK header, detected and converted */
    rci_csv *c = parse_opt(GBK_HEADER "\r\n", sizeof(GBK_HEADER "\r\n") - 1, NULL);
    CHECK(c && rci_csv_map_header(&c->rows[0], cols, why, sizeof why) == 0);
    CHECK(cols[RCI_CSV_COL_INDICATOR] == 0 && cols[RCI_CSV_COL_NOTE] == 4);
    rci_csv_free(c);
    /* missing columns, each */
    CHECK(map("region,period,value\n", cols) == -1);
    CHECK_STR(why, "the header has no indicator column (name it indicator or 指标)");
    CHECK(map("indicator,period,value\n", cols) == -1);
    CHECK_STR(why, "the header has no region column (name it region, city, 地区 or 城市)");
    CHECK(map("indicator,region,value\n", cols) == -1);
    CHECK_STR(why, "the header has no period column (name it period, 期间 or 时期)");
    CHECK(map("indicator,region,period,note\n", cols) == -1);
    CHECK_STR(why, "the header has no value column (name it value, 数值 or 值)");
    /* a data row taken for a header */
    CHECK(map("GOOD_DAYS,441300,2024-05,96.7\n", cols) == -1);
    CHECK_STR(why, "the header has no indicator column (name it indicator or 指标)");
    /* two names for one column */
    CHECK(map("indicator,地区,period,value,city\n", cols) == -1);
    CHECK_STR(why, "columns 2 (\"地区\") and 5 (\"city\") both mean region");
    CHECK(map("value,indicator,region,period,值\n", cols) == -1);
    CHECK_STR(why, "columns 1 (\"value\") and 5 (\"值\") both mean value");
    CHECK(map("note,indicator,region,period,value,备注\n", cols) == -1);
    CHECK_STR(why, "columns 1 (\"note\") and 6 (\"备注\") both mean note");
    /* no header at all */
    CHECK(rci_csv_map_header(NULL, cols, why, sizeof why) == -1);
    CHECK_STR(why, "the file is empty: it needs a header row");
    CHECK(cols[0] == -1 && cols[RCI_CSV_NCOLS - 1] == -1);
}

int main(void)
{
    test_simple();
    test_empty_fields();
    test_quotes();
    test_line_breaks_in_fields();
    test_blank_lines();
    test_ragged_rows();
    test_stray_quotes();
    test_utf8_bom();
    test_utf8_plain();
    test_gbk();
    test_bad_bytes();
    test_encoding_names();
    test_limits();
    test_many_rows();
    test_format_row();
    test_row_blank();
    test_header_names();
    test_map_header();
    return check_done();
}
