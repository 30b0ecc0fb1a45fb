/* bench_push.c: the client half of bench/push_series.sh — pushes batches of
 * values through PushValues and writes the very same rows as CSV for
 * PostgreSQL's COPY, so the two rates compare like with like; also writes
 * the framed GetSeries request h2load sends.
 *
 *   bench_push push ADDR TOKEN REGION FIRST BATCH COUNT
 *       COUNT calls of BATCH values each (rows FIRST, FIRST+1, …), one at a
 *       time on one connection, as an agency's system pushes. Each answer
 *       must say every value was written. Prints "VALUES SECONDS" for the
 *       calls alone (requests are built before the clock starts).
 *   bench_push csv DIR REGION FIRST BATCH COUNT BATCH_ID
 *       DIR/cells.K.csv and DIR/revisions.K.csv (K = 0..COUNT-1): the same
 *       rows, shaped as rci_push_write stores them (revision 1, batch
 *       BATCH_ID), for `\copy cells FROM …` and `\copy revisions FROM …`.
 *   bench_push series-body FILE INDICATOR REGION FROM TO
 *       a GetSeriesRequest in gRPC framing (5-byte prefix), for h2load -d.
 *
 * Row i is the monthly environment indicator ROW_INDICATORS[i / MONTHS] in
 * month i % MONTHS of 2030-01 … 2999-12, value i % 30 (valid for each of
 * them), so every row of a run is a new cell and no two rows of one region
 * collide. The months are in the future because past periods lock
 * themselves some days after their due date (migrations/0007), and a push
 * into them would be refused; the lock check runs all the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "rci/v1/indicators.pb-c.h"

#define FIRST_YEAR 2030
#define MONTHS ((2999 - FIRST_YEAR + 1) * 12)   /* 2030-01 … 2999-12 */

/* Monthly, environment domain, and i % 30 within range and decimals. */
static const char *const ROW_INDICATORS[] = {
    "air.good_days_rate", "air.pm25_mean", "air.pm10_mean",       "air.o3_8h_p90",
    "air.no2_mean",       "air.so2_mean",  "air.composite_index", "air.heavy_pollution_days",
    "air.co_p95",         "water.section_compliance_rate",
};
#define NINDICATORS (sizeof ROW_INDICATORS / sizeof ROW_INDICATORS[0])
#define ROWS_MAX ((long)NINDICATORS * MONTHS)

typedef struct row {
    const char *indicator;
    char period[16];         /* 2024-05 */
    char period_end[24];     /* 2024-05-31 */
    char value[4];
} row;

static int days_in_month(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d[m - 1] + (m == 2 && leap);
}

static void make_row(long i, row *r)
{
    long k = i % MONTHS;
    int y = FIRST_YEAR + (int)(k / 12), m = (int)(k % 12) + 1;
    r->indicator = ROW_INDICATORS[i / MONTHS];
    snprintf(r->period, sizeof r->period, "%04d-%02d", y, m);
    snprintf(r->period_end, sizeof r->period_end, "%04d-%02d-%02d", y, m, days_in_month(y, m));
    snprintf(r->value, sizeof r->value, "%ld", i % 30);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int check_rows(long first, long batch, long count)
{
    if (first < 0 || batch < 1 || count < 1 || batch > 50000 || first + batch * count > ROWS_MAX) {
        fprintf(stderr, "bench_push: rows %ld + %ld × %ld: at most %ld rows, 50,000 per batch\n",
                first, batch, count, ROWS_MAX);
        return -1;
    }
    return 0;
}

/* ---- push ------------------------------------------------------------------ */

/* One PushValuesRequest and the storage its fields point into. */
typedef struct batch {
    Rci__V1__PushValuesRequest req;
    Rci__V1__ValueInput *vals;
    Rci__V1__ValueInput **ptrs;
    row *rows;
    char request_id[96];
} batch;

static int batch_build(batch *b, const char *region, long first, long n, int k)
{
    rci__v1__push_values_request__init(&b->req);
    b->vals = calloc((size_t)n, sizeof *b->vals);
    b->ptrs = calloc((size_t)n, sizeof *b->ptrs);
    b->rows = calloc((size_t)n, sizeof *b->rows);
    if (!b->vals || !b->ptrs || !b->rows)
        return -1;
    for (long j = 0; j < n; j++) {
        make_row(first + j, &b->rows[j]);
        rci__v1__value_input__init(&b->vals[j]);
        b->vals[j].indicator = (char *)b->rows[j].indicator;
        b->vals[j].region = (char *)region;
        b->vals[j].period = b->rows[j].period;
        b->vals[j].value = b->rows[j].value;
        b->ptrs[j] = &b->vals[j];
    }
    snprintf(b->request_id, sizeof b->request_id, "bench-%s-%ld-%d-%ld", region, first, k,
             (long)getpid());
    b->req.request_id = b->request_id;
    b->req.n_values = (size_t)n;
    b->req.values = b->ptrs;
    return 0;
}

static void batch_free(batch *b)
{
    free(b->vals);
    free(b->ptrs);
    free(b->rows);
}

static int cmd_push(char **argv)
{
    const char *addr = argv[0], *token = argv[1], *region = argv[2];
    long first = atol(argv[3]), size = atol(argv[4]), count = atol(argv[5]);
    if (check_rows(first, size, count) != 0)
        return 2;
    batch *batches = calloc((size_t)count, sizeof *batches);
    if (!batches)
        return 1;
    int rc = 1;
    rci_client *c = NULL;
    for (long k = 0; k < count; k++)
        if (batch_build(&batches[k], region, first + k * size, size, (int)k) != 0) {
            fprintf(stderr, "bench_push: out of memory\n");
            goto out;
        }
    rci_client_options opt = {0};
    opt.token = token;
    opt.user_agent = "bench_push";
    rci_client_status st = RCI_CLIENT_STATUS_INIT;
    if (!(c = rci_client_connect(addr, &opt, &st))) {
        fprintf(stderr, "bench_push: %s: %s\n", addr, st.message ? st.message : "?");
        rci_client_status_clear(&st);
        goto out;
    }
    double t0 = now_s();
    for (long k = 0; k < count; k++) {
        ProtobufCMessage *resp = NULL;
        if (rci_client_unary(c, "/rci.v1.IndicatorService/PushValues", &batches[k].req.base,
                             &rci__v1__push_values_response__descriptor, &resp, &st,
                             120000) != 0) {
            fprintf(stderr, "bench_push: batch %ld: status %d: %s\n", k, st.code,
                    st.message ? st.message : "");
            rci_client_status_clear(&st);
            goto out;
        }
        const Rci__V1__PushValuesResponse *r = (const void *)resp;
        int written = r->written;
        protobuf_c_message_free_unpacked(resp, NULL);
        rci_client_status_clear(&st);
        if (written != size) {
            fprintf(stderr, "bench_push: batch %ld: %d of %ld values written (rows not new?)\n",
                    k, written, size);
            goto out;
        }
    }
    printf("%ld %.6f\n", size * count, now_s() - t0);
    rc = 0;
out:
    rci_client_close(c);
    for (long k = 0; k < count; k++)
        batch_free(&batches[k]);
    free(batches);
    return rc;
}

/* ---- csv ------------------------------------------------------------------- */

static int cmd_csv(char **argv)
{
    const char *dir = argv[0], *region = argv[1];
    long first = atol(argv[2]), size = atol(argv[3]), count = atol(argv[4]);
    long batch_id = atol(argv[5]);
    if (check_rows(first, size, count) != 0)
        return 2;
    for (long k = 0; k < count; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/cells.%ld.csv", dir, k);
        FILE *cells = fopen(path, "w");
        snprintf(path, sizeof path, "%s/revisions.%ld.csv", dir, k);
        FILE *revs = fopen(path, "w");
        if (!cells || !revs) {
            perror("bench_push: csv");
            if (cells)
                fclose(cells);
            if (revs)
                fclose(revs);
            return 1;
        }
        for (long j = 0; j < size; j++) {
            row r;
            make_row(first + k * size + j, &r);
            /* indicator_code, region_code, period, period_end, revision,
             * value, note, batch_id, first_batch_id; "" is an empty note
             * (an unquoted empty CSV field would be NULL) */
            fprintf(cells, "%s,%s,%s,%s,1,%s,\"\",%ld,%ld\n", r.indicator, region, r.period,
                    r.period_end, r.value, batch_id, batch_id);
            /* indicator_code, region_code, period, revision, value, note, batch_id */
            fprintf(revs, "%s,%s,%s,1,%s,\"\",%ld\n", r.indicator, region, r.period, r.value,
                    batch_id);
        }
        if ((fclose(cells) | fclose(revs)) != 0) {
            perror("bench_push: csv");
            return 1;
        }
    }
    return 0;
}

/* ---- series-body -------------------------------------------------------------- */

static int cmd_series_body(char **argv)
{
    Rci__V1__GetSeriesRequest req = RCI__V1__GET_SERIES_REQUEST__INIT;
    req.indicator = argv[1];
    req.region = argv[2];
    req.period_from = argv[3];
    req.period_to = argv[4];
    size_t len = rci__v1__get_series_request__get_packed_size(&req);
    uint8_t *buf = malloc(len + RCI_WIRE_PREFIX_LEN);
    if (!buf)
        return 1;
    rci_wire_prefix(buf, 0, (uint32_t)len);
    rci__v1__get_series_request__pack(&req, buf + RCI_WIRE_PREFIX_LEN);
    FILE *f = fopen(argv[0], "wb");
    int ok = f && fwrite(buf, 1, len + RCI_WIRE_PREFIX_LEN, f) == len + RCI_WIRE_PREFIX_LEN;
    if (f && fclose(f) != 0)
        ok = 0;
    free(buf);
    if (!ok) {
        perror("bench_push: series-body");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 8 && strcmp(argv[1], "push") == 0)
        return cmd_push(argv + 2);
    if (argc == 8 && strcmp(argv[1], "csv") == 0)
        return cmd_csv(argv + 2);
    if (argc == 7 && strcmp(argv[1], "series-body") == 0)
        return cmd_series_body(argv + 2);
    fputs("usage: bench_push push ADDR TOKEN REGION FIRST BATCH COUNT\n"
          "       bench_push csv DIR REGION FIRST BATCH COUNT BATCH_ID\n"
          "       bench_push series-body FILE INDICATOR REGION FROM TO\n"
          "(a helper of bench/push_series.sh)\n",
          stderr);
    return 2;
}
