/* cmd_push.c: `rcictl push FILE.csv` — an agency's CSV, as Excel saves it,
 * into rci.v1.IndicatorService/PushValues.
 *
 * The path of one push:
 *   read_input     the file's bytes
 *   parse_input    csv.c: encoding, RFC 4180, line numbers; map the header
 *   reject_malformed  rows the CSV reader refused: listed, nothing sent
 *   hash_input     SHA-256 of the file and of the options that shape the
 *                  batches: the base of the request ids
 *   build_rows     each data row into a ValueInput: fields trimmed, empty
 *                  ones refused, region names (惠州市, 惠州, Huizhou) resolved
 *                  to codes with one ListRegions, a cell given twice refused
 *   plan_batches   split by --batch-rows and by encoded bytes, so no call
 *                  comes near the message limit; one request id per batch
 *   check_batches  validate_only over every batch (a dry run; a file of
 *                  several batches, so bad rows anywhere stop it before the
 *                  first write; or a file with local problems, so that every
 *                  bad row is reported at once)
 *   push_batches   PushValues batch after batch; a refused batch's
 *                  google.rpc.BadRequest is mapped back to the file's lines
 *   print_summary  per batch and in total, on stdout; bad rows on stderr
 *
 * Each batch is atomic on the server; the file as a whole is not. Request
 * ids are derived deterministically, so pushing the same file again replays
 * the batches already committed instead of writing them twice.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/csv.h"
#include "google/rpc/error_details.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "rci/v1/indicators.pb-c.h"
#include "rci/v1/registry.pb-c.h"
#include "rcictl/rcictl.h"

#define PUSH_PATH "/rci.v1.IndicatorService/PushValues"
#define LIST_REGIONS_PATH "/rci.v1.RegistryService/ListRegions"

#define BATCH_ROWS_DEFAULT 5000
#define BATCH_ROWS_MAX 50000          /* the server's limit per call */
/* Encoded values per call. The server takes messages of up to 4 MiB; a
 * quarter of that leaves room for everything else in the request. */
#define BATCH_BYTES_MAX (1024 * 1024)
#define REQUEST_ID_MAX 128            /* the server's limit */
#define REQUEST_ID_SUFFIX 24          /* room for "-12345of12345" */
#define REASON_MAX 1000               /* the server's limit */
#define FILE_MAX ((size_t)1 << 30)
/* A dry run of a big batch of bad rows answers with one violation per
 * failure: allow larger responses than the 4 MiB default. */
#define RESPONSE_MAX ((size_t)64 << 20)
#define PROGRESS_WIDTH 30

static void help(FILE *out)
{
    fputs("Usage: rcictl push FILE.csv [--encoding auto|utf-8|gb18030] [--dry-run]\n"
          "                  [--request-id ID] [--reason TEXT] [--batch-rows N]\n"
          "                  [GLOBAL FLAGS]\n"
          "\n"
          "Push an agency's indicator values from a CSV file, as Excel saves it\n"
          "(\"CSV UTF-8\", plain UTF-8, or \"CSV\" on a Chinese Windows: GBK/GB18030).\n"
          "FILE \"-\" reads standard input. The token (--token or RCI_TOKEN) is the\n"
          "agency's: it may write its own city's values in its own domains.\n"
          "\n"
          "The first row is the header; columns are found by name, in any order:\n"
          "  indicator  indicator code (indicator, 指标, 指标代码), e.g. air.good_days_rate\n"
          "  region     GB/T 2260 code or the Chinese name of a city (region, city,\n"
          "             地区, 城市): 441300, 惠州市 and 惠州 are the same\n"
          "  period     2024-05, 2024-Q2, 2024-H1, 2024 or 2024-05-17 as the indicator's\n"
          "             frequency wants (period, 期间, 时期, 报告期)\n"
          "  value      the figure as decimal text (value, 数值, 值)\n"
          "  note       optional (note, remark, 备注, 说明)\n"
          "Other columns are ignored (with a warning). Blank rows are skipped;\n"
          "spaces around codes, names, periods and values are ignored.\n"
          "\n"
          "  --encoding ENC   auto (default: a UTF-8 byte-order mark, else valid\n"
          "                   UTF-8, else GB18030), utf-8, or gb18030 (also gbk)\n"
          "  --dry-run        check every row on the server (validate_only) and write\n"
          "                   nothing\n"
          "  --request-id ID  the request id of the push (printable ASCII, at most\n"
          "                   104 characters); with several batches, batch k of n is\n"
          "                   ID-kofn. Default: \"csv-\" and a SHA-256 of the file and\n"
          "                   of the options that shape the batches\n"
          "  --reason TEXT    why the values change, kept with every new revision\n"
          "  --batch-rows N   rows per call, 1 to 50000 (default 5000); a batch also\n"
          "                   ends before its values pass 1 MiB\n"
          "\n"
          "Bad rows are listed on stderr by the file's line number and field, e.g.\n"
          "  line 17: period: expected YYYY-MM for a monthly indicator\n"
          "and then nothing is written. Rows the CSV reader refuses (a wrong number\n"
          "of fields, a stray quote, bytes not valid in the encoding) are listed\n"
          "alone and nothing is sent. Otherwise every bad row is listed at once:\n"
          "empty fields, unknown region names and a cell given twice, found here,\n"
          "with what the server finds (unknown indicators, periods, values, rows\n"
          "outside the agency's city or domains).\n"
          "\n"
          "Batches and atomicity: every batch is written entirely or not at all, but\n"
          "THE FILE AS A WHOLE IS NOT ATOMIC. A file of several batches is checked in\n"
          "full first (validate_only), so a bad row anywhere stops it before the first\n"
          "write; what can only fail while writing — a period locked meanwhile, a\n"
          "lost connection — leaves the earlier batches committed, and rcictl says\n"
          "which. Pushing the same file again with the same options is safe: the\n"
          "request ids are the same, so committed batches are replayed (the server\n"
          "answers as the first time and writes nothing) and the rest are written.\n"
          "\n"
          "Output: a line per batch and a summary (rows read, batches, written,\n"
          "unchanged, replayed, failed) on stdout; --format json gives one object\n"
          "with the batches and the bad rows; --format csv the batch table. A\n"
          "progress bar is drawn on stderr when it is a terminal.\n"
          "\n"
          "Exit status: 0 if every row was accepted (or, with --dry-run, would be);\n"
          "1 if a row was refused, the file cannot be read, or a call failed (no\n"
          "token is UNAUTHENTICATED, another city's or domain's rows are reported\n"
          "as bad rows); 3 if it cannot connect; 2 on a usage error; 130 if\n"
          "interrupted (the batches committed so far are listed).\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

/* ---- the job ------------------------------------------------------------------------ */

typedef struct push_row {
    size_t line;                 /* the file's line the row starts on */
    int bad;                     /* refused before sending */
    Rci__V1__ValueInput v;       /* strings point into the csv or the region keys */
} push_row;

typedef enum batch_state {
    BATCH_PENDING,               /* not sent for writing */
    BATCH_CHECKED,               /* validate_only: no violation */
    BATCH_WRITTEN,
    BATCH_REPLAYED,              /* the answer to an identical earlier push */
    BATCH_FAILED
} batch_state;

typedef struct push_batch {
    size_t first, n;             /* rows[first .. first + n) */
    char request_id[REQUEST_ID_MAX + 48];   /* at most REQUEST_ID_MAX used */
    batch_state state;
    long long batch_id;
    int written, unchanged;
    int has_committed;
    Google__Protobuf__Timestamp committed_at;
} push_batch;

/* A bad row (or a batch-wide failure, line 0). */
typedef struct problem {
    size_t line;
    size_t seq;                  /* order found, to keep the sort stable */
    char *field;                 /* "period", …; "" for a row the CSV reader refused */
    char *text;
} problem;

/* A region's code, name, short name or English name → its code. */
typedef struct region_key {
    char *key;                   /* owned */
    const char *code;            /* in the ListRegions response */
    const char *other;           /* a second code the key names: ambiguous */
} region_key;

typedef struct push_job {
    rcictl *ctx;
    const char *path;            /* "-": standard input */
    rci_csv_encoding encoding;
    int dry_run;
    const char *request_id;
    const char *reason;
    long batch_rows;

    unsigned char *data;
    size_t len;
    char hash_hex[65];           /* SHA-256 of the file and the shaping options */
    rci_csv *csv;
    int cols[RCI_CSV_NCOLS];

    size_t nread;                /* data rows read, blank ones not counted */
    push_row *all;               /* every data row read */
    size_t nall;
    push_row *rows;              /* the good ones, in file order (copies) */
    size_t nrows;
    push_batch *batches;
    size_t nbatches;

    problem *problems;
    size_t nproblems, capproblems;

    Rci__V1__ListRegionsResponse *regions;
    region_key *keys;
    size_t nkeys;

    int progress;                /* stderr is a terminal */
    int progress_shown;
} push_job;

static void push_job_free(push_job *job)
{
    for (size_t i = 0; i < job->nproblems; i++) {
        free(job->problems[i].field);
        free(job->problems[i].text);
    }
    free(job->problems);
    for (size_t i = 0; i < job->nkeys; i++)
        free(job->keys[i].key);
    free(job->keys);
    if (job->regions)
        protobuf_c_message_free_unpacked(&job->regions->base, NULL);
    free(job->batches);
    free(job->rows);
    free(job->all);
    rci_csv_free(job->csv);
    free(job->data);
}

/* ---- problems and progress ---------------------------------------------------------- */

static void oom(void)
{
    fputs("rcictl: out of memory\n", stderr);
}

/* Record a bad row. Returns 0, or -1 when out of memory. */
static int problem_add(push_job *job, size_t line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int problem_add(push_job *job, size_t line, const char *field, const char *fmt, ...)
{
    if (job->nproblems == job->capproblems) {
        size_t cap = job->capproblems ? job->capproblems * 2 : 16;
        problem *p = realloc(job->problems, cap * sizeof *p);
        if (!p)
            return -1;
        job->problems = p;
        job->capproblems = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    char *f = strdup(field ? field : "");
    if (n < 0 || !f) {
        free(f);
        if (n >= 0)
            free(text);
        return -1;
    }
    problem *p = &job->problems[job->nproblems];
    p->line = line;
    p->seq = job->nproblems;
    p->field = f;
    p->text = text;
    job->nproblems++;
    return 0;
}

/* Drop the problems from index `from` on. */
static void problems_truncate(push_job *job, size_t from)
{
    while (job->nproblems > from) {
        problem *p = &job->problems[--job->nproblems];
        free(p->field);
        free(p->text);
    }
}

static int problem_cmp(const void *a, const void *b)
{
    const problem *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Distinct lines among the problems (they are sorted by then). */
static size_t bad_lines(const push_job *job)
{
    size_t n = 0;
    for (size_t i = 0; i < job->nproblems; i++)
        if (job->problems[i].line && (i == 0 || job->problems[i - 1].line != job->problems[i].line))
            n++;
    return n;
}

static void progress_clear(push_job *job)
{
    if (job->progress_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        job->progress_shown = 0;
    }
}

/* "checking [#########.....]  2/5 batches, 10000/23456 rows" on a terminal. */
static void progress(push_job *job, const char *what, size_t batches_done, size_t rows_done)
{
    if (!job->progress)
        return;
    size_t fill = job->nrows ? rows_done * PROGRESS_WIDTH / job->nrows : PROGRESS_WIDTH;
    char bar[PROGRESS_WIDTH + 1];
    memset(bar, '#', fill);
    memset(bar + fill, '.', PROGRESS_WIDTH - fill);
    bar[PROGRESS_WIDTH] = '\0';
    fprintf(stderr, "\r%s [%s] %zu/%zu batches, %zu/%zu rows", what, bar, batches_done,
            job->nbatches, rows_done, job->nrows);
    fflush(stderr);
    job->progress_shown = 1;
}

static void sort_problems(push_job *job)
{
    if (job->nproblems)
        qsort(job->problems, job->nproblems, sizeof *job->problems, problem_cmp);
}

/* Print the bad rows, sorted by line, on stderr: "line 17: period: …". */
static void report_problems(push_job *job, const char *outcome)
{
    if (!job->nproblems)
        return;
    progress_clear(job);
    sort_problems(job);
    size_t lines = bad_lines(job);
    fputs("rcictl: ", stderr);
    rcictl_put_safe(stderr, job->path, 0);
    if (lines)
        fprintf(stderr, ": %zu bad row%s; %s:\n", lines, lines == 1 ? "" : "s", outcome);
    else
        fprintf(stderr, ": refused; %s:\n", outcome);
    for (size_t i = 0; i < job->nproblems; i++) {
        const problem *p = &job->problems[i];
        if (p->line)
            fprintf(stderr, "line %zu: ", p->line);
        if (*p->field) {
            rcictl_put_safe(stderr, p->field, 0);
            fputs(": ", stderr);
        }
        rcictl_put_safe(stderr, p->text, 0);
        fputc('\n', stderr);
    }
}

/* ---- reading the file --------------------------------------------------------------- */

static int read_all(FILE *f, unsigned char **data, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return ENOMEM;
    for (;;) {
        if (n == cap) {
            if (cap >= FILE_MAX) {
                free(buf);
                return EFBIG;
            }
            unsigned char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                return ENOMEM;
            }
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno ? errno : EIO;
                free(buf);
                return e;
            }
            break;
        }
    }
    *data = buf;
    *len = n;
    return 0;
}

/* The bytes of the file (FILE "-": standard input). Returns 0, or -1
 * (printed). */
static int read_input(push_job *job)
{
    int stdin_ = strcmp(job->path, "-") == 0;
    FILE *f = stdin_ ? stdin : fopen(job->path, "rb");
    int err = f ? read_all(f, &job->data, &job->len) : errno;
    if (f && !stdin_)
        fclose(f);
    if (err) {
        fputs("rcictl: cannot read ", stderr);
        rcictl_put_safe(stderr, job->path, 0);
        fprintf(stderr, ": %s\n", err == EFBIG ? "larger than 1 GiB" : strerror(err));
        return -1;
    }
    return 0;
}

/* The hash the request ids come from: SHA-256 of the file and of every
 * option that changes what the batches hold (the encoding read, the batch
 * size, the reason), so the same push gets the same ids and another reason
 * or batch size never reuses an id for other content (ALREADY_EXISTS).
 * Returns 0, or -1 (printed). */
static int hash_input(push_job *job)
{
    char opts[64 + REASON_MAX];
    int n = snprintf(opts, sizeof opts, "\n-- rcictl push: batch-rows=%ld encoding=%s reason=%s",
                     job->batch_rows, rci_csv_encoding_name(job->csv->encoding),
                     job->reason ? job->reason : "");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    int ok = mctx && EVP_DigestInit_ex(mctx, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(mctx, job->data, job->len) &&
             EVP_DigestUpdate(mctx, opts, (size_t)n < sizeof opts ? (size_t)n : sizeof opts - 1) &&
             EVP_DigestFinal_ex(mctx, md, &mdlen);
    EVP_MD_CTX_free(mctx);
    if (!ok || mdlen != 32) {
        fputs("rcictl: SHA-256 failed (OpenSSL)\n", stderr);
        return -1;
    }
    for (unsigned int i = 0; i < mdlen; i++)
        snprintf(job->hash_hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* Parse the CSV and map its header. Returns 0, or -1 when the file cannot
 * be read as a push file (printed). */
static int parse_input(push_job *job)
{
    char why[256];
    rci_csv_options opt = {0};
    opt.encoding = job->encoding;
    if (rci_csv_parse(job->data, job->len, &opt, &job->csv, why, sizeof why) != 0) {
        fputs("rcictl: ", stderr);
        rcictl_put_safe(stderr, job->path, 0);
        fputs(": ", stderr);
        rcictl_put_safe(stderr, why, 0);
        fputs("; nothing was sent\n", stderr);
        return -1;
    }
    const rci_csv *csv = job->csv;
    const rci_csv_row *header = csv->nrows ? &csv->rows[0] : NULL;
    if (header && header->error) {
        fputs("rcictl: ", stderr);
        rcictl_put_safe(stderr, job->path, 0);
        fprintf(stderr, ": line %zu (the header): ", header->line);
        rcictl_put_safe(stderr, header->error, 0);
        fputs("; nothing was sent\n", stderr);
        return -1;
    }
    if (rci_csv_map_header(header, job->cols, why, sizeof why) != 0) {
        fputs("rcictl: ", stderr);
        rcictl_put_safe(stderr, job->path, 0);
        if (header)
            fprintf(stderr, ": line %zu", header->line);
        fputs(": ", stderr);
        rcictl_put_safe(stderr, why, 0);
        fputs("; nothing was sent\n", stderr);
        return -1;
    }
    for (size_t i = 0; i < header->nfields; i++) {
        if (!header->fields[i][0] || rci_csv_header_column(header->fields[i]) >= 0)
            continue;
        fputs("rcictl: ", stderr);
        rcictl_put_safe(stderr, job->path, 0);
        fprintf(stderr, ": line %zu: column %zu (\"", header->line, i + 1);
        rcictl_put_safe(stderr, header->fields[i], 0);
        fputs("\") is none of indicator, region, period, value, note: ignored\n", stderr);
    }
    return 0;
}

/* ---- regions by name ---------------------------------------------------------------- */

/* Strip spaces at both ends in place: ASCII space and tab, U+00A0 and
 * U+3000 (an ideographic space, common in Chinese spreadsheets). */
static char *trim(char *s)
{
    for (;;) {
        if (*s == ' ' || *s == '\t')
            s++;
        else if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
            s += 2;
        else if (strncmp(s, "\xE3\x80\x80", 3) == 0)
            s += 3;
        else
            break;
    }
    size_t n = strlen(s);
    for (;;) {
        if (n >= 1 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        else if (n >= 2 && (unsigned char)s[n - 2] == 0xC2 && (unsigned char)s[n - 1] == 0xA0)
            n -= 2;
        else if (n >= 3 && memcmp(s + n - 3, "\xE3\x80\x80", 3) == 0)
            n -= 3;
        else
            break;
    }
    s[n] = '\0';
    return s;
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* ASCII letters to lower case, in place (Chinese text is left alone). */
static void ascii_lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

static int key_add(push_job *job, size_t *cap, const char *key, size_t len, const char *code)
{
    if (len == 0)
        return 0;
    if (job->nkeys == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        region_key *k = realloc(job->keys, ncap * sizeof *k);
        if (!k)
            return -1;
        job->keys = k;
        *cap = ncap;
    }
    char *copy = strndup(key, len);
    if (!copy)
        return -1;
    ascii_lower(copy);
    job->keys[job->nkeys++] = (region_key){copy, code, NULL};
    return 0;
}

static int key_cmp(const void *a, const void *b)
{
    const region_key *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->code, y->code);
}

/* Names that end in one of these also answer to the name without it:
 * 惠州市 → 惠州, 广东省 → 广东 (a short name is what people type). */
static const char *const name_suffixes[] = {"市", "省", "区", "县"};

/* Fetch the regions once and index them by code, Chinese name, short
 * Chinese name and English name (case-insensitive). A key two regions share
 * is kept as ambiguous. Returns an exit status. */
static int load_regions(push_job *job)
{
    int rc;
    rci_client *c = rcictl_connect(job->ctx, &rc);
    if (!c)
        return rc;
    Rci__V1__ListRegionsRequest req = RCI__V1__LIST_REGIONS_REQUEST__INIT;
    ProtobufCMessage *m;
    rci_client_status st = RCI_CLIENT_STATUS_INIT;
    if (rci_client_unary(c, LIST_REGIONS_PATH, &req.base,
                         &rci__v1__list_regions_response__descriptor, &m, &st,
                         job->ctx->timeout_ms) != RCI_OK) {
        fputs("rcictl: looking up the region names:\n", stderr);
        rc = rcictl_fail(&st);
        rci_client_status_clear(&st);
        return rc;
    }
    rci_client_status_clear(&st);
    job->regions = (Rci__V1__ListRegionsResponse *)m;
    size_t cap = 0;
    for (size_t i = 0; i < job->regions->n_regions; i++) {
        const Rci__V1__Region *r = job->regions->regions[i];
        size_t zh = strlen(r->name_zh);
        if (key_add(job, &cap, r->code, strlen(r->code), r->code) < 0 ||
            key_add(job, &cap, r->name_zh, zh, r->code) < 0 ||
            key_add(job, &cap, r->name_en, strlen(r->name_en), r->code) < 0)
            goto nomem;
        for (size_t k = 0; k < sizeof name_suffixes / sizeof name_suffixes[0]; k++) {
            size_t sl = strlen(name_suffixes[k]);
            if (zh > sl && strcmp(r->name_zh + zh - sl, name_suffixes[k]) == 0 &&
                key_add(job, &cap, r->name_zh, zh - sl, r->code) < 0)
                goto nomem;
        }
    }
    qsort(job->keys, job->nkeys, sizeof *job->keys, key_cmp);
    /* Fold equal keys into one entry; a key of two codes becomes ambiguous. */
    size_t out = 0;
    for (size_t i = 0; i < job->nkeys; i++) {
        if (out > 0 && strcmp(job->keys[out - 1].key, job->keys[i].key) == 0) {
            if (strcmp(job->keys[out - 1].code, job->keys[i].code) != 0)
                job->keys[out - 1].other = job->keys[i].code;
            free(job->keys[i].key);
            continue;
        }
        job->keys[out++] = job->keys[i];
    }
    job->nkeys = out;
    return RCICTL_EXIT_OK;
nomem:
    oom();
    return RCICTL_EXIT_RPC;
}

static const region_key *region_find(const push_job *job, const char *text)
{
    char *k = strdup(text);
    if (!k)
        return NULL;
    ascii_lower(k);
    region_key probe = {k, "", NULL};
    size_t lo = 0, hi = job->nkeys;
    const region_key *found = NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(probe.key, job->keys[mid].key);
        if (c == 0) {
            found = &job->keys[mid];
            break;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    free(k);
    return found;
}

/* ---- rows --------------------------------------------------------------------------- */

/* Does any data row name its region other than by a numeric code? Then the
 * names must be looked up (one ListRegions). */
static int needs_regions(const push_job *job)
{
    const rci_csv *csv = job->csv;
    int col = job->cols[RCI_CSV_COL_REGION];
    for (size_t i = 1; i < csv->nrows; i++) {
        const rci_csv_row *row = &csv->rows[i];
        if (row->error || (size_t)col >= row->nfields || rci_csv_row_blank(row))
            continue;
        char *s = trim(row->fields[col]);
        if (*s && !all_digits(s))
            return 1;
    }
    return 0;
}

static int cell_cmp(const void *a, const void *b)
{
    const push_row *x = *(const push_row *const *)a, *y = *(const push_row *const *)b;
    int c = strcmp(x->v.indicator, y->v.indicator);
    if (!c)
        c = strcmp(x->v.region, y->v.region);
    if (!c)
        c = strcmp(x->v.period, y->v.period);
    if (!c)
        c = x->line < y->line ? -1 : x->line > y->line;
    return c;
}

/* A cell (indicator, region, period) given twice in the file is refused:
 * within one batch the server would refuse it, across batches the second
 * would silently become a new revision of the first. */
static int find_duplicates(push_job *job)
{
    size_t n = 0;
    push_row **p = malloc((job->nall ? job->nall : 1) * sizeof *p);
    if (!p)
        return -1;
    for (size_t i = 0; i < job->nall; i++)
        if (!job->all[i].bad)
            p[n++] = &job->all[i];
    qsort(p, n, sizeof *p, cell_cmp);
    int rc = 0;
    for (size_t i = 1; i < n && rc == 0; i++) {
        const push_row *a = p[i - 1], *b = p[i];
        if (strcmp(a->v.indicator, b->v.indicator) || strcmp(a->v.region, b->v.region) ||
            strcmp(a->v.period, b->v.period))
            continue;
        p[i]->bad = 1;
        rc = problem_add(job, b->line, "period", "the same cell (%s, %s, %s) as line %zu",
                         b->v.indicator, b->v.region, b->v.period, a->line);
        p[i] = p[i - 1];                    /* a third copy is compared with the first */
    }
    free(p);
    return rc;
}

/* One data row into all[]: fields trimmed, empty ones refused, the region
 * resolved. Returns 0, or -1 when out of memory. */
static int build_row(push_job *job, const rci_csv_row *row)
{
    static const char *const names[RCI_CSV_NCOLS] = {"indicator", "region", "period", "value",
                                                     "note"};
    push_row *r = &job->all[job->nall++];
    memset(r, 0, sizeof *r);
    r->line = row->line;
    rci__v1__value_input__init(&r->v);
    if (row->error) {
        r->bad = 1;
        return problem_add(job, row->line, "", "%s", row->error);
    }
    char *f[RCI_CSV_NCOLS];
    for (int c = 0; c < RCI_CSV_NCOLS; c++) {
        int col = job->cols[c];
        f[c] = col >= 0 && (size_t)col < row->nfields ? row->fields[col] : (char *)"";
        if (c != RCI_CSV_COL_NOTE)
            f[c] = trim(f[c]);
        if (!*f[c] && c != RCI_CSV_COL_NOTE) {
            r->bad = 1;
            if (problem_add(job, row->line, names[c], "empty") < 0)
                return -1;
        }
    }
    r->v.indicator = f[RCI_CSV_COL_INDICATOR];
    r->v.region = f[RCI_CSV_COL_REGION];
    r->v.period = f[RCI_CSV_COL_PERIOD];
    r->v.value = f[RCI_CSV_COL_VALUE];
    r->v.note = f[RCI_CSV_COL_NOTE];
    if (*r->v.region && !all_digits(r->v.region)) {
        const region_key *k = job->regions ? region_find(job, r->v.region) : NULL;
        if (k && !k->other) {
            r->v.region = (char *)k->code;
        } else {
            r->bad = 1;
            int e = k ? problem_add(job, row->line, "region",
                                    "\"%s\" names more than one region (%s, %s): use the code",
                                    r->v.region, k->code, k->other)
                      : problem_add(job, row->line, "region",
                                    "unknown region \"%s\": neither a region code nor the name "
                                    "of one (e.g. 441300, 惠州市 or 惠州)", r->v.region);
            if (e < 0)
                return -1;
        }
    }
    return 0;
}

static int build_rows(push_job *job)
{
    const rci_csv *csv = job->csv;
    job->all = calloc(csv->nrows ? csv->nrows : 1, sizeof *job->all);
    if (!job->all)
        return -1;
    for (size_t i = 1; i < csv->nrows; i++) {
        if (rci_csv_row_blank(&csv->rows[i]))
            continue;
        job->nread++;
        if (build_row(job, &csv->rows[i]) < 0)
            return -1;
    }
    if (find_duplicates(job) < 0)
        return -1;
    job->rows = calloc(job->nall ? job->nall : 1, sizeof *job->rows);
    if (!job->rows)
        return -1;
    for (size_t i = 0; i < job->nall; i++)
        if (!job->all[i].bad)
            job->rows[job->nrows++] = job->all[i];
    return 0;
}

/* ---- batches ------------------------------------------------------------------------ */

static size_t varint_len(size_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Split the good rows into batches of at most batch_rows rows and
 * BATCH_BYTES_MAX encoded bytes, and give each its request id. */
static int plan_batches(push_job *job)
{
    size_t cap = 0, bytes = 0;
    push_batch *cur = NULL;
    for (size_t i = 0; i < job->nrows; i++) {
        size_t sz = rci__v1__value_input__get_packed_size(&job->rows[i].v);
        sz += 1 + varint_len(sz);                    /* tag and length in the request */
        if (!cur || cur->n == (size_t)job->batch_rows || bytes + sz > BATCH_BYTES_MAX) {
            if (job->nbatches == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                push_batch *b = realloc(job->batches, ncap * sizeof *b);
                if (!b)
                    return -1;
                job->batches = b;
                cap = ncap;
            }
            cur = &job->batches[job->nbatches++];
            memset(cur, 0, sizeof *cur);
            cur->first = i;
            bytes = 0;
        }
        cur->n++;
        bytes += sz;
    }
    char base[REQUEST_ID_MAX + 1];
    if (job->request_id)
        snprintf(base, sizeof base, "%s", job->request_id);
    else
        snprintf(base, sizeof base, "csv-%.32s", job->hash_hex);
    for (size_t k = 0; k < job->nbatches; k++) {
        push_batch *b = &job->batches[k];
        if (job->nbatches == 1)
            snprintf(b->request_id, sizeof b->request_id, "%s", base);
        else
            snprintf(b->request_id, sizeof b->request_id, "%s-%zuof%zu", base, k + 1,
                     job->nbatches);
    }
    return 0;
}

static size_t batch_first_line(const push_job *job, const push_batch *b)
{
    return job->rows[b->first].line;
}

static size_t batch_last_line(const push_job *job, const push_batch *b)
{
    return job->rows[b->first + b->n - 1].line;
}

/* "lines 5002-10001", or "line 17" for one. */
static const char *span_text(size_t first, size_t last, char buf[64])
{
    if (first == last)
        snprintf(buf, 64, "line %zu", first);
    else
        snprintf(buf, 64, "lines %zu-%zu", first, last);
    return buf;
}

static const char *batch_lines(const push_job *job, const push_batch *b, char buf[64])
{
    return span_text(batch_first_line(job, b), batch_last_line(job, b), buf);
}

/* One PushValues call for batch b. Returns the status code; on OK *resp is
 * the response (the caller frees it). */
static int push_call(push_job *job, const push_batch *b, int validate_only,
                     Rci__V1__PushValuesResponse **resp, rci_client_status *st)
{
    *resp = NULL;
    Rci__V1__ValueInput **vals = malloc(b->n * sizeof *vals);
    if (!vals) {
        rci_client_status_clear(st);
        st->code = RCI_RESOURCE_EXHAUSTED;
        st->message = strdup("out of memory");
        return st->code;
    }
    for (size_t i = 0; i < b->n; i++)
        vals[i] = &job->rows[b->first + i].v;
    Rci__V1__PushValuesRequest req = RCI__V1__PUSH_VALUES_REQUEST__INIT;
    req.request_id = (char *)b->request_id;
    req.values = vals;
    req.n_values = b->n;
    req.reason = (char *)(job->reason ? job->reason : "");
    req.validate_only = validate_only;
    ProtobufCMessage *m = NULL;
    int code = rci_client_unary(job->ctx->client, PUSH_PATH, &req.base,
                                &rci__v1__push_values_response__descriptor, &m, st,
                                job->ctx->timeout_ms);
    free(vals);
    *resp = (Rci__V1__PushValuesResponse *)m;
    return code;
}

/* Record a violation of batch b's row `row` (index in the request) as a
 * problem of the file's line. */
static int add_violation(push_job *job, const push_batch *b, int row, const char *field,
                         const char *text)
{
    if (row >= 0 && (size_t)row < b->n)
        return problem_add(job, job->rows[b->first + (size_t)row].line, field, "%s", text);
    char lines[64];
    return problem_add(job, 0, field, "batch %zu (%s): %s", (size_t)(b - job->batches) + 1,
                       batch_lines(job, b, lines), text);
}

/* "values[12].period" → row 12, field "period"; anything else → row -1 and
 * the path as the field. */
static int parse_path(const char *path, const char **field)
{
    static const char prefix[] = "values[";
    *field = path;
    if (strncmp(path, prefix, sizeof prefix - 1) != 0)
        return -1;
    char *end;
    errno = 0;
    long row = strtol(path + sizeof prefix - 1, &end, 10);
    if (errno || end == path + sizeof prefix - 1 || *end != ']' || row < 0 || row > INT32_MAX)
        return -1;
    *field = end[1] == '.' ? end + 2 : end + 1;
    return (int)row;
}

/* The total the server counted, from its message "…: 123 row(s) failed…";
 * 0 if it does not say. */
static size_t reported_total(const char *msg)
{
    const char *p = msg ? strstr(msg, " row(s) failed") : NULL;
    if (!p)
        return 0;
    const char *q = p;
    while (q > msg && q[-1] >= '0' && q[-1] <= '9')
        q--;
    return q < p ? (size_t)strtoull(q, NULL, 10) : 0;
}

/* Add the google.rpc.BadRequest violations of a failed call of batch b.
 * Returns how many were added (0 when the status carries none), -1 when out
 * of memory; *total is the count the server reported (at least that). */
static int add_details(push_job *job, const push_batch *b, const rci_client_status *st,
                       size_t *total)
{
    *total = 0;
    if (!st->details)
        return 0;
    Google__Rpc__Status *gs = google__rpc__status__unpack(NULL, st->details_len, st->details);
    if (!gs)
        return 0;
    int added = 0;
    for (size_t i = 0; i < gs->n_details && added >= 0; i++) {
        const Google__Protobuf__Any *any = gs->details[i];
        const char *t = any->type_url ? strrchr(any->type_url, '/') : NULL;
        if (!t || strcmp(t + 1, "google.rpc.BadRequest") != 0)
            continue;
        Google__Rpc__BadRequest *br =
            google__rpc__bad_request__unpack(NULL, any->value.len, any->value.data);
        if (!br)
            continue;
        for (size_t k = 0; k < br->n_field_violations; k++) {
            const Google__Rpc__BadRequest__FieldViolation *fv = br->field_violations[k];
            const char *field;
            int row = parse_path(fv->field, &field);
            if (add_violation(job, b, row, field, fv->description) < 0) {
                added = -1;
                break;
            }
            added++;
        }
        google__rpc__bad_request__free_unpacked(br, NULL);
    }
    size_t t1 = reported_total(gs->message), t2 = reported_total(st->message);
    *total = t1 > t2 ? t1 : t2;
    if (added > 0 && *total < (size_t)added)
        *total = (size_t)added;
    google__rpc__status__free_unpacked(gs, NULL);
    return added;
}

/* Add a validate_only response's violations. */
static int add_response_violations(push_job *job, const push_batch *b,
                                   const Rci__V1__PushValuesResponse *resp)
{
    for (size_t i = 0; i < resp->n_violations; i++) {
        const Rci__V1__Violation *v = resp->violations[i];
        if (add_violation(job, b, v->row, v->field, v->description) < 0)
            return -1;
    }
    return 0;
}

/* validate_only over every batch; the violations become problems. Returns
 * an exit status: OK even with violations (the caller looks at them), an
 * error when a call failed. */
static int check_batches(push_job *job)
{
    size_t rows_done = 0;
    for (size_t k = 0; k < job->nbatches; k++) {
        if (rcictl_interrupted) {
            progress_clear(job);
            fputs("rcictl: interrupted; nothing was written\n", stderr);
            return RCICTL_EXIT_INTERRUPTED;
        }
        push_batch *b = &job->batches[k];
        progress(job, "checking", k, rows_done);
        Rci__V1__PushValuesResponse *resp;
        rci_client_status st = RCI_CLIENT_STATUS_INIT;
        if (push_call(job, b, 1, &resp, &st) != RCI_OK) {
            char lines[64];
            progress_clear(job);
            fprintf(stderr, "rcictl: checking batch %zu of %zu (%s) failed; nothing was written\n",
                    k + 1, job->nbatches, batch_lines(job, b, lines));
            int rc = rcictl_fail(&st);
            rci_client_status_clear(&st);
            return rc;
        }
        rci_client_status_clear(&st);
        int e = add_response_violations(job, b, resp);
        if (resp->n_violations == 0)
            b->state = BATCH_CHECKED;
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        if (e < 0) {
            progress_clear(job);
            oom();
            return RCICTL_EXIT_RPC;
        }
        rows_done += b->n;
    }
    progress(job, "checking", job->nbatches, rows_done);
    progress_clear(job);
    return RCICTL_EXIT_OK;
}

/* ---- pushing ------------------------------------------------------------------------ */

/* After batch k failed: which batches are committed and which are not. */
static void report_partial(push_job *job, size_t k)
{
    if (k == 0 && job->nbatches == 1)
        return;
    progress_clear(job);
    if (k == 0) {
        fprintf(stderr, "rcictl: no batch was committed: nothing of the file was written\n");
        return;
    }
    char done[64], done_lines[64], rest[64], rest_lines[64];
    if (k == 1)
        snprintf(done, sizeof done, "batch 1 is");
    else
        snprintf(done, sizeof done, "batches 1-%zu are", k);
    if (k + 1 == job->nbatches)
        snprintf(rest, sizeof rest, "batch %zu was", k + 1);
    else
        snprintf(rest, sizeof rest, "batches %zu-%zu were", k + 1, job->nbatches);
    span_text(batch_first_line(job, &job->batches[0]), batch_last_line(job, &job->batches[k - 1]),
              done_lines);
    span_text(batch_first_line(job, &job->batches[k]),
              batch_last_line(job, &job->batches[job->nbatches - 1]), rest_lines);
    fprintf(stderr, "rcictl: THE FILE IS PARTLY WRITTEN: %s committed (%s); %s not written (%s)\n",
            done, done_lines, rest, rest_lines);
    fputs("rcictl: push the same file again with the same options once the cause is fixed: "
          "the committed batches are replayed, not written twice (a corrected file has other "
          "request ids; its rows already written come back as unchanged)\n", stderr);
}

/* Batch k was refused: its violations as bad rows (asking validate_only
 * for the whole list when the status carries only part of it), or the
 * status itself. Returns the exit status. */
static int batch_refused(push_job *job, size_t k, rci_client_status *st)
{
    push_batch *b = &job->batches[k];
    int rowwise = st->code == RCI_INVALID_ARGUMENT || st->code == RCI_PERMISSION_DENIED ||
                  st->code == RCI_FAILED_PRECONDITION;
    size_t mark = job->nproblems, total = 0;
    int added = rowwise ? add_details(job, b, st, &total) : 0;
    if (added < 0) {
        oom();
        return RCICTL_EXIT_RPC;
    }
    if (added == 0) {
        char lines[64];
        progress_clear(job);
        fprintf(stderr, "rcictl: batch %zu of %zu (%s, request id %s) failed:\n", k + 1,
                job->nbatches, batch_lines(job, b, lines), b->request_id);
        int rc = rcictl_fail(st);
        if (st->code == RCI_DEADLINE_EXCEEDED || st->code == RCI_UNAVAILABLE ||
            st->code == RCI_CANCELLED)
            fputs("rcictl: whether that batch was committed is unknown; pushing the same file "
                  "again replays it if it was\n", stderr);
        return rc;
    }
    if (((size_t)added < total || st->code == RCI_PERMISSION_DENIED) &&
        st->code != RCI_FAILED_PRECONDITION) {
        /* The trailers carry at most 100 violations, and a batch refused
         * for its scope was not validated: validate_only lists every
         * failure of both kinds (not locks, which it does not check). */
        Rci__V1__PushValuesResponse *resp;
        rci_client_status vst = RCI_CLIENT_STATUS_INIT;
        if (push_call(job, b, 1, &resp, &vst) == RCI_OK && resp->n_violations >= (size_t)added) {
            problems_truncate(job, mark);
            added = add_response_violations(job, b, resp) < 0 ? -1 : (int)resp->n_violations;
        }
        if (resp)
            protobuf_c_message_free_unpacked(&resp->base, NULL);
        rci_client_status_clear(&vst);
        if (added < 0) {
            oom();
            return RCICTL_EXIT_RPC;
        }
    }
    if ((size_t)added < total &&
        problem_add(job, 0, "", "batch %zu: and %zu more the server did not list", k + 1,
                    total - (size_t)added) < 0) {
        oom();
        return RCICTL_EXIT_RPC;
    }
    /* The server's words up to its row list ("locked periods (…)"): the
     * rows it numbers within the batch are listed by line instead. */
    const char *msg = st->message ? st->message : "";
    size_t cut = strlen(msg);
    for (const char *p = strstr(msg, ": "); p; p = strstr(p + 2, ": "))
        if (p[2] >= '0' && p[2] <= '9') {
            cut = (size_t)(p - msg);
            break;
        }
    char lines[64];
    progress_clear(job);
    fprintf(stderr, "rcictl: batch %zu of %zu (%s) refused: %s: %.*s\n", k + 1, job->nbatches,
            batch_lines(job, b, lines), rci_status_name(st->code), (int)cut, msg);
    return RCICTL_EXIT_RPC;
}

static int push_batches(push_job *job)
{
    size_t rows_done = 0;
    for (size_t k = 0; k < job->nbatches; k++) {
        push_batch *b = &job->batches[k];
        if (rcictl_interrupted) {
            progress_clear(job);
            fputs("rcictl: interrupted\n", stderr);
            report_partial(job, k);
            return RCICTL_EXIT_INTERRUPTED;
        }
        progress(job, "pushing ", k, rows_done);
        Rci__V1__PushValuesResponse *resp;
        rci_client_status st = RCI_CLIENT_STATUS_INIT;
        if (push_call(job, b, 0, &resp, &st) != RCI_OK) {
            b->state = BATCH_FAILED;
            int rc = batch_refused(job, k, &st);
            rci_client_status_clear(&st);
            const char *outcome = job->nbatches == 1 || k == 0
                                      ? "nothing was written"
                                      : "this batch and the later ones were not written";
            report_problems(job, outcome);
            report_partial(job, k);
            return rc;
        }
        rci_client_status_clear(&st);
        b->state = resp->replayed ? BATCH_REPLAYED : BATCH_WRITTEN;
        b->batch_id = resp->batch_id;
        b->written = resp->written;
        b->unchanged = resp->unchanged;
        if (resp->committed_at) {
            b->committed_at = *resp->committed_at;
            b->has_committed = 1;
        }
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        rows_done += b->n;
    }
    progress(job, "pushing ", job->nbatches, rows_done);
    progress_clear(job);
    return RCICTL_EXIT_OK;
}

/* ---- summary ------------------------------------------------------------------------ */

static const char *cst(const push_batch *b, char buf[48])
{
    if (!b->has_committed)
        return "";
    time_t t = (time_t)(b->committed_at.seconds + 8 * 3600);   /* China Standard Time */
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return "?";
    strftime(buf, 48, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
    return buf;
}

static const char *state_name(batch_state s, int dry_run)
{
    switch (s) {
    case BATCH_CHECKED: return dry_run ? "ok" : "not written";
    case BATCH_WRITTEN: return "written";
    case BATCH_REPLAYED: return "replayed";
    case BATCH_FAILED: return "failed";
    default: return dry_run ? "bad rows" : "not written";
    }
}

typedef struct totals {
    size_t written, unchanged, replayed, failed, batches_replayed;
} totals;

static totals count(const push_job *job)
{
    totals t = {0};
    size_t accepted = 0;
    for (size_t k = 0; k < job->nbatches; k++) {
        const push_batch *b = &job->batches[k];
        if (b->state == BATCH_WRITTEN) {
            t.written += (size_t)b->written;
            t.unchanged += (size_t)b->unchanged;
            accepted += b->n;
        } else if (b->state == BATCH_REPLAYED) {
            t.replayed += b->n;
            t.batches_replayed++;
            accepted += b->n;
        } else if (job->dry_run && b->state == BATCH_CHECKED) {
            accepted += b->n;
        }
    }
    if (job->dry_run) {
        /* Rows of a checked batch with violations: only the bad ones fail. */
        size_t bad = bad_lines(job);
        t.failed = bad;
    } else {
        t.failed = job->nread - accepted;
    }
    return t;
}

static void print_json(const push_job *job, const totals *t)
{
    fputs("{\"file\": ", stdout);
    rcictl_json_string(stdout, job->path);
    fputs(", \"encoding\": ", stdout);
    rcictl_json_string(stdout, rci_csv_encoding_name(job->csv->encoding));
    printf(", \"bom\": %s, \"dry_run\": %s, \"rows_read\": %zu, \"batches\": [",
           job->csv->bom ? "true" : "false", job->dry_run ? "true" : "false", job->nread);
    for (size_t k = 0; k < job->nbatches; k++) {
        const push_batch *b = &job->batches[k];
        char at[48];
        printf("%s\n    {\"index\": %zu, \"request_id\": ", k ? "," : "", k + 1);
        rcictl_json_string(stdout, b->request_id);
        printf(", \"first_line\": %zu, \"last_line\": %zu, \"rows\": %zu, \"result\": ",
               batch_first_line(job, b), batch_last_line(job, b), b->n);
        rcictl_json_string(stdout, state_name(b->state, job->dry_run));
        printf(", \"batch_id\": %lld, \"written\": %d, \"unchanged\": %d, \"committed_at\": ",
               b->batch_id, b->written, b->unchanged);
        if (b->has_committed)
            rcictl_json_string(stdout, cst(b, at));
        else
            fputs("null", stdout);
        fputc('}', stdout);
    }
    printf("%s], \"written\": %zu, \"unchanged\": %zu, \"replayed\": %zu, \"failed\": %zu, "
           "\"problems\": [", job->nbatches ? "\n  " : "", t->written, t->unchanged, t->replayed,
           t->failed);
    for (size_t i = 0; i < job->nproblems; i++) {
        const problem *p = &job->problems[i];
        printf("%s\n    {\"line\": %zu, \"field\": ", i ? "," : "", p->line);
        rcictl_json_string(stdout, p->field);
        fputs(", \"description\": ", stdout);
        rcictl_json_string(stdout, p->text);
        fputc('}', stdout);
    }
    printf("%s]}\n", job->nproblems ? "\n  " : "");
}

static int print_batches(const push_job *job)
{
    static const char *const headers[] = {"BATCH", "REQUEST_ID", "LINES", "ROWS", "RESULT",
                                          "WRITTEN", "UNCHANGED", "BATCH_ID", "COMMITTED"};
    static const char *const keys[] = {"batch", "request_id", "lines", "rows", "result",
                                       "written", "unchanged", "batch_id", "committed_at"};
    rcictl_table *t = rcictl_table_new(9, headers, keys);
    if (!t)
        return -1;
    int text = job->ctx->format == RCICTL_FORMAT_TABLE;
    for (size_t k = 0; k < job->nbatches; k++) {
        const push_batch *b = &job->batches[k];
        int done = b->state == BATCH_WRITTEN || b->state == BATCH_REPLAYED;
        char idx[48], lines[48], rows[24], w[16], u[16], id[24], at[48];
        if (text)
            snprintf(idx, sizeof idx, "%zu/%zu", k + 1, job->nbatches);
        else
            snprintf(idx, sizeof idx, "%zu", k + 1);
        if (batch_first_line(job, b) == batch_last_line(job, b))
            snprintf(lines, sizeof lines, "%zu", batch_first_line(job, b));
        else
            snprintf(lines, sizeof lines, "%zu-%zu", batch_first_line(job, b),
                     batch_last_line(job, b));
        snprintf(rows, sizeof rows, "%zu", b->n);
        snprintf(w, sizeof w, "%d", b->written);
        snprintf(u, sizeof u, "%d", b->unchanged);
        snprintf(id, sizeof id, "%lld", b->batch_id);
        const char *dash = text ? "-" : "";
        const char *row[] = {idx, b->request_id, lines, rows, state_name(b->state, job->dry_run),
                             done ? w : dash, done ? u : dash, done && b->batch_id ? id : dash,
                             done ? cst(b, at) : dash};
        if (rcictl_table_add(t, row) < 0) {
            rcictl_table_free(t);
            return -1;
        }
    }
    rcictl_table_print(t, job->ctx->format, stdout);
    rcictl_table_free(t);
    return 0;
}

/* The summary on stdout. `sent`: batches went to the server for writing
 * (or checking, in a dry run), so the batch table means something. */
static int print_summary(push_job *job, int sent)
{
    sort_problems(job);
    totals t = count(job);
    if (job->ctx->format == RCICTL_FORMAT_JSON) {
        print_json(job, &t);
        return 0;
    }
    if (sent && job->nbatches && print_batches(job) < 0)
        return -1;
    if (job->ctx->format == RCICTL_FORMAT_CSV)
        return 0;
    if (job->dry_run) {
        printf("dry run: rows read %zu, batches %zu, bad rows %zu; nothing was written\n",
               job->nread, job->nbatches, t.failed);
        return 0;
    }
    printf("rows read %zu, batches %zu, written %zu, unchanged %zu, replayed %zu, failed %zu\n",
           job->nread, job->nbatches, t.written, t.unchanged, t.replayed, t.failed);
    if (t.batches_replayed)
        printf("replayed: %zu batch%s had been pushed before with the same request id%s; the "
               "server answered as then and wrote nothing again (the same file pushed again is "
               "an idempotent replay)\n", t.batches_replayed, t.batches_replayed == 1 ? "" : "es",
               t.batches_replayed == 1 ? "" : "s");
    return 0;
}

/* ---- the command -------------------------------------------------------------------- */

/* Rows the CSV reader refused (a wrong number of fields, a stray or
 * unclosed quote) make the file's structure doubtful — one unclosed quote
 * shifts every row after it — so they are reported alone and nothing is
 * sent. Returns 1 if there were some. */
static int reject_malformed(push_job *job)
{
    const rci_csv *csv = job->csv;
    if (csv->nbad == 0)
        return 0;
    size_t read = 0;
    for (size_t i = 1; i < csv->nrows; i++) {
        const rci_csv_row *row = &csv->rows[i];
        if (rci_csv_row_blank(row))
            continue;
        read++;
        if (row->error && problem_add(job, row->line, "", "%s", row->error) < 0) {
            oom();
            return 1;
        }
    }
    if (!job->nproblems)
        return 0;                            /* only blank rows were ragged */
    job->nread = read;
    report_problems(job, "nothing was sent (once the file's structure is right, the server "
                         "checks the values)");
    if (print_summary(job, 0) < 0)
        oom();
    return 1;
}

static int push_run(push_job *job)
{
    if (read_input(job) < 0 || parse_input(job) < 0 || reject_malformed(job) ||
        hash_input(job) < 0)
        return RCICTL_EXIT_RPC;
    int rc;
    if (needs_regions(job) && (rc = load_regions(job)) != RCICTL_EXIT_OK)
        return rc;
    if (build_rows(job) < 0 || plan_batches(job) < 0) {
        oom();
        return RCICTL_EXIT_RPC;
    }
    if (job->nread == 0) {
        fputs("rcictl: ", stderr);
        rcictl_put_safe(stderr, job->path, 0);
        fputs(": no data rows below the header; nothing to push\n", stderr);
        if (print_summary(job, 0) < 0)
            oom();
        return RCICTL_EXIT_OK;
    }
    int local_bad = job->nproblems > 0;
    if ((local_bad || job->dry_run || job->nbatches > 1) && job->nbatches > 0) {
        /* Every batch checked first (validate_only): in a dry run; in a
         * file of several batches, so that a bad row anywhere stops the
         * push before the first write; and when rows were refused here,
         * so that the server's verdict on the others comes in the same
         * report and the agency fixes its file in one go. */
        rcictl_connect(job->ctx, &rc);
        if (!job->ctx->client) {
            report_problems(job, "nothing was sent");
            return rc;
        }
        rc = check_batches(job);
        if (rc != RCICTL_EXIT_OK) {
            report_problems(job, "nothing was written");
            if (!job->dry_run && print_summary(job, 0) < 0)   /* a dry run has no verdict */
                oom();
            return rc;
        }
    }
    if (job->nproblems) {
        report_problems(job, job->dry_run ? "a push would write nothing" : "nothing was written");
        if (print_summary(job, job->dry_run) < 0)
            oom();
        return RCICTL_EXIT_RPC;
    }
    if (job->dry_run) {
        if (print_summary(job, 1) < 0)
            oom();
        return RCICTL_EXIT_OK;
    }
    if (!rcictl_connect(job->ctx, &rc))
        return rc;
    rc = push_batches(job);
    if (print_summary(job, 1) < 0)
        oom();
    return rc;
}

static int valid_request_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > REQUEST_ID_MAX - REQUEST_ID_SUFFIX)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7E)
            return 0;
    return 1;
}

int rcictl_cmd_push(rcictl *ctx, int argc, char **argv)
{
    enum { O_ENCODING = 1, O_DRY_RUN, O_REQUEST_ID, O_REASON, O_BATCH_ROWS };
    static const rcictl_option opts[] = {
        {"encoding", 1, O_ENCODING},     {"dry-run", 0, O_DRY_RUN},
        {"request-id", 1, O_REQUEST_ID}, {"reason", 1, O_REASON},
        {"batch-rows", 1, O_BATCH_ROWS}, {NULL, 0, 0}};
    push_job job = {0};
    job.ctx = ctx;
    job.batch_rows = BATCH_ROWS_DEFAULT;
    int i = 1;
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, opts, &id, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_POSITIONAL) {
            if (job.path)
                return rcictl_usage_error("push", "one file at a time (got \"%s\" and \"%s\")",
                                          job.path, value);
            job.path = value;
            continue;
        }
        char *end;
        switch (id) {
        case RCICTL_OPT_HELP:
            help(stdout);
            return RCICTL_EXIT_OK;
        case O_ENCODING:
            if (rci_csv_encoding_from_name(value, &job.encoding) != 0)
                return rcictl_usage_error("push", "--encoding is auto, utf-8 or gb18030 (also "
                                          "gbk), not \"%s\"", value);
            break;
        case O_DRY_RUN:
            job.dry_run = 1;
            break;
        case O_REQUEST_ID:
            if (!valid_request_id(value))
                return rcictl_usage_error("push", "--request-id: 1 to %d printable ASCII "
                                          "characters without spaces", REQUEST_ID_MAX -
                                          REQUEST_ID_SUFFIX);
            job.request_id = value;
            break;
        case O_REASON:
            if (strlen(value) > REASON_MAX)
                return rcictl_usage_error("push", "--reason: at most %d bytes", REASON_MAX);
            job.reason = value;
            break;
        case O_BATCH_ROWS:
            errno = 0;
            job.batch_rows = strtol(value, &end, 10);
            if (errno || end == value || *end || job.batch_rows < 1 ||
                job.batch_rows > BATCH_ROWS_MAX)
                return rcictl_usage_error("push", "--batch-rows wants a number from 1 to %d, "
                                          "not \"%s\"", BATCH_ROWS_MAX, value);
            break;
        }
    }
    if (!job.path)
        return rcictl_usage_error("push", "which file? rcictl push FILE.csv");
    job.progress = isatty(STDERR_FILENO);
    /* A dry run of many bad rows answers with a long list. */
    if (!ctx->opt.max_message || ctx->opt.max_message < RESPONSE_MAX)
        ctx->opt.max_message = RESPONSE_MAX;
    int rc = push_run(&job);
    push_job_free(&job);
    return rc;
}
