/* push_rows.c: checks on the rows of a PushValues batch (push_rows.h). */
#include "indicators/push_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_MAX 1000

/* A value as stored: trailing zeros after the point dropped ("91.50" →
 * "91.5", "90.00" → "90"). Spreadsheets export a column's display format,
 * so "91.50" from a two-decimal column is the one-decimal figure 91.5; the
 * decimals rule is about precision, not how a cell was formatted. Text that
 * does not fit out is cut (check_row refuses such a value as too long). */
static void value_normal(const char *in, char *out, size_t outlen)
{
    size_t n = strlen(in);
    if (n >= outlen) {
        memcpy(out, in, outlen - 1);
        out[outlen - 1] = '\0';
        return;
    }
    memcpy(out, in, n + 1);
    if (!strchr(out, '.'))
        return;
    while (n > 0 && out[n - 1] == '0')
        out[--n] = '\0';
    if (n > 0 && out[n - 1] == '.')
        out[--n] = '\0';
}

/* ---- array literals ---------------------------------------------------------- */

typedef struct strbuf {
    char *s;
    size_t len, cap;
    int failed;
} strbuf;

static void sb_add(strbuf *b, const char *p, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* Append one quoted element: inside double quotes only '"' and '\' need a
 * backslash (PostgreSQL array input syntax). */
static void sb_elem(strbuf *b, const char *v)
{
    sb_add(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1);
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_add(b, "\\", 1);
        sb_add(b, p, 1);
    }
    sb_add(b, "\"", 1);
}

static void sb_open(strbuf *b)
{
    sb_add(b, "{", 1);
}

static char *sb_close(strbuf *b)
{
    sb_add(b, "}", 1);
    if (b->failed) {
        free(b->s);
        return NULL;
    }
    return b->s;
}

void push_arrays_free(push_arrays *a)
{
    free(a->indicators);
    free(a->regions);
    free(a->periods);
    free(a->period_ends);
    free(a->values);
    free(a->notes);
    free(a->lock_indicators);
    free(a->lock_periods);
    memset(a, 0, sizeof *a);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Distinct strings of one column, as an array literal. */
static char *distinct_literal(const Rci__V1__PushValuesRequest *req, int region)
{
    const char **v = malloc((req->n_values ? req->n_values : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < req->n_values; i++)
        v[i] = region ? req->values[i]->region : req->values[i]->indicator;
    qsort(v, req->n_values, sizeof *v, str_cmp);
    strbuf b = {0};
    sb_open(&b);
    for (size_t i = 0; i < req->n_values; i++)
        if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
            sb_elem(&b, v[i]);
    free(v);
    return sb_close(&b);
}

static int pair_cmp(const void *a, const void *b)
{
    const Rci__V1__ValueInput *x = *(const Rci__V1__ValueInput *const *)a;
    const Rci__V1__ValueInput *y = *(const Rci__V1__ValueInput *const *)b;
    int c = strcmp(x->indicator, y->indicator);
    return c ? c : strcmp(x->period, y->period);
}

/* Distinct (indicator, period) pairs as two aligned array literals. */
static int pair_literals(const Rci__V1__PushValuesRequest *req, push_arrays *out)
{
    const Rci__V1__ValueInput **v = malloc((req->n_values ? req->n_values : 1) * sizeof *v);
    if (!v)
        return -1;
    memcpy(v, req->values, req->n_values * sizeof *v);
    qsort(v, req->n_values, sizeof *v, pair_cmp);
    strbuf ind = {0}, per = {0};
    sb_open(&ind);
    sb_open(&per);
    for (size_t i = 0; i < req->n_values; i++) {
        if (i > 0 && pair_cmp(&v[i], &v[i - 1]) == 0)
            continue;
        sb_elem(&ind, v[i]->indicator);
        sb_elem(&per, v[i]->period);
    }
    free(v);
    out->lock_indicators = sb_close(&ind);
    out->lock_periods = sb_close(&per);
    return out->lock_indicators && out->lock_periods ? 0 : -1;
}

int push_rows_key_arrays(const Rci__V1__PushValuesRequest *req, push_arrays *out)
{
    memset(out, 0, sizeof *out);
    out->indicators = distinct_literal(req, 0);
    out->regions = distinct_literal(req, 1);
    if (!out->indicators || !out->regions || pair_literals(req, out) != 0) {
        push_arrays_free(out);
        return -1;
    }
    return 0;
}

int push_rows_arrays(const push_rows *rows, const Rci__V1__PushValuesRequest *req,
                     push_arrays *out)
{
    memset(out, 0, sizeof *out);
    strbuf col[6] = {{0}};
    for (int c = 0; c < 6; c++)
        sb_open(&col[c]);
    for (size_t i = 0; i < req->n_values; i++) {
        const Rci__V1__ValueInput *v = req->values[i];
        sb_elem(&col[0], v->indicator);
        sb_elem(&col[1], v->region);
        sb_elem(&col[2], v->period);
        sb_elem(&col[3], rows->period_end[i]);
        char value[RCI_DECIMAL_TEXT_MAX + 1];
        value_normal(v->value, value, sizeof value);
        sb_elem(&col[4], value);
        sb_elem(&col[5], v->note);
    }
    char **dst[6] = {&out->indicators, &out->regions, &out->periods, &out->period_ends,
                     &out->values, &out->notes};
    int failed = 0;
    for (int c = 0; c < 6; c++) {
        *dst[c] = sb_close(&col[c]);
        failed |= *dst[c] == NULL;
    }
    if (failed)
        push_arrays_free(out);
    return failed ? -1 : 0;
}

/* ---- definitions ---------------------------------------------------------------- */

static int locked_cmp(const void *a, const void *b)
{
    const char(*x)[72] = a, (*y)[72] = b;
    int c = strcmp(x[0], y[0]);
    return c ? c : strcmp(x[1], y[1]);
}

static int def_cmp(const void *a, const void *b)
{
    return strcmp(((const push_def *)a)->code, ((const push_def *)b)->code);
}

static int region_cmp(const void *a, const void *b)
{
    return strcmp(((const push_region *)a)->code, ((const push_region *)b)->code);
}

static const push_def *find_def(const push_rows *rows, const char *code)
{
    push_def key;
    snprintf(key.code, sizeof key.code, "%s", code);
    return strlen(code) < sizeof key.code
               ? bsearch(&key, rows->defs, rows->ndefs, sizeof key, def_cmp)
               : NULL;
}

static const push_region *find_region(const push_rows *rows, const char *code)
{
    push_region key;
    snprintf(key.code, sizeof key.code, "%s", code);
    return strlen(code) < sizeof key.code
               ? bsearch(&key, rows->regions, rows->nregions, sizeof key, region_cmp)
               : NULL;
}

static void load_def(push_def *d, const PGresult *res, int row)
{
    snprintf(d->code, sizeof d->code, "%s", PQgetvalue(res, row, 1));
    snprintf(d->domain, sizeof d->domain, "%s", PQgetvalue(res, row, 2));
    d->freq = rci_period_freq_from_name(PQgetvalue(res, row, 3));
    snprintf(d->value_type, sizeof d->value_type, "%s", PQgetvalue(res, row, 4));
    snprintf(d->min, sizeof d->min, "%s", PQgetvalue(res, row, 5));
    snprintf(d->max, sizeof d->max, "%s", PQgetvalue(res, row, 6));
    d->decimals = atoi(PQgetvalue(res, row, 7));
}

static void load_prior(push_prior *p, const PGresult *res, int row)
{
    p->found = 1;
    snprintf(p->hash_hex, sizeof p->hash_hex, "%s", PQgetvalue(res, row, 2));
    p->batch_id = atoll(PQgetvalue(res, row, 3));
    p->written = atoi(PQgetvalue(res, row, 4));
    p->unchanged = atoi(PQgetvalue(res, row, 5));
    p->committed_usec = atoll(PQgetvalue(res, row, 6));
}

int push_rows_load(push_rows *rows, const PGresult *res, push_prior *prior)
{
    memset(prior, 0, sizeof *prior);
    int n = PQntuples(res);
    if (PQnfields(res) != 9)
        return -1;
    rows->defs = calloc((size_t)n + 1, sizeof *rows->defs);
    rows->regions = calloc((size_t)n + 1, sizeof *rows->regions);
    rows->locked = calloc((size_t)n + 1, sizeof *rows->locked);
    if (!rows->defs || !rows->regions || !rows->locked)
        return -1;
    for (int i = 0; i < n; i++) {
        const char *tag = PQgetvalue(res, i, 0);
        if (tag[0] == 'i') {
            load_def(&rows->defs[rows->ndefs++], res, i);
        } else if (tag[0] == 'r') {
            push_region *r = &rows->regions[rows->nregions++];
            snprintf(r->code, sizeof r->code, "%s", PQgetvalue(res, i, 1));
            snprintf(r->kind, sizeof r->kind, "%s", PQgetvalue(res, i, 2));
            snprintf(r->city, sizeof r->city, "%s", PQgetvalue(res, i, 3));
        } else if (tag[0] == 'q') {
            load_prior(prior, res, i);
        } else if (tag[0] == 'l') {
            snprintf(rows->locked[rows->nlocked][0], 72, "%s", PQgetvalue(res, i, 1));
            snprintf(rows->locked[rows->nlocked][1], 72, "%s", PQgetvalue(res, i, 2));
            rows->nlocked++;
        } else if (tag[0] == 'd') {
            snprintf(rows->defs_at, sizeof rows->defs_at, "%s", PQgetvalue(res, i, 1));
        } else {
            return -1;
        }
    }
    qsort(rows->defs, rows->ndefs, sizeof *rows->defs, def_cmp);
    qsort(rows->regions, rows->nregions, sizeof *rows->regions, region_cmp);
    qsort(rows->locked, rows->nlocked, sizeof *rows->locked, locked_cmp);
    return rows->defs_at[0] ? 0 : -1;
}

void push_rows_free(push_rows *rows)
{
    free(rows->defs);
    free(rows->regions);
    free(rows->period_end);
    free(rows->locked);
    memset(rows, 0, sizeof *rows);
}

/* ---- checks ------------------------------------------------------------------------ */

static int has_domain(const rci_identity *who, const char *domain)
{
    for (size_t i = 0; i < who->ndomains; i++)
        if (strcmp(who->domains[i], domain) == 0)
            return 1;
    return 0;
}

void push_rows_check_scope(const push_rows *rows, const Rci__V1__PushValuesRequest *req,
                           const rci_identity *who, rci_violations *vs)
{
    for (size_t i = 0; i < req->n_values; i++) {
        const Rci__V1__ValueInput *v = req->values[i];
        const push_def *d = find_def(rows, v->indicator);
        const push_region *r = find_region(rows, v->region);
        if (!d || !r || strcmp(r->kind, "circle") == 0)
            continue; /* not a scope question: validation reports it */
        if (strcmp(r->city, who->city_code) != 0)
            rci_violations_add(vs, (int)i, "region",
                               "agency %s reports for city %s and may not write values of %s",
                               who->agency_code, who->city_code, v->region);
        else if (!has_domain(who, d->domain))
            rci_violations_add(vs, (int)i, "indicator",
                               "agency %s may not write %s: its domain %s is not one of the "
                               "agency's", who->agency_code, v->indicator, d->domain);
    }
}

/* Check one row's period and value; on success fills end (YYYY-MM-DD). */
static void check_row(const push_def *d, const Rci__V1__ValueInput *v, int row,
                      char end[RCI_DATE_TEXT_MAX], rci_violations *vs)
{
    char why[200];
    rci_period p;
    if (rci_period_parse(d->freq, v->period, &p, why, sizeof why) != 0)
        rci_violations_add(vs, row, "period", "%s", why);
    else
        rci_date_format(rci_period_last_day(&p), end, RCI_DATE_TEXT_MAX);
    char value[RCI_DECIMAL_TEXT_MAX + 1];
    value_normal(v->value, value, sizeof value);
    if (strlen(v->value) > RCI_DECIMAL_TEXT_MAX)
        rci_violations_add(vs, row, "value", "longer than %d characters", RCI_DECIMAL_TEXT_MAX);
    else if (rci_decimal_check(value, d->value_type, d->min[0] ? d->min : NULL,
                          d->max[0] ? d->max : NULL, d->decimals, why, sizeof why) != 0)
        rci_violations_add(vs, row, "value", "%s (indicator %s)", why, d->code);
    if (strlen(v->note) > NOTE_MAX)
        rci_violations_add(vs, row, "note", "at most %d bytes", NOTE_MAX);
}

/* Row indexes ordered by cell, to find a cell given twice (qsort_r: the
 * loops run on several threads, so no static sort context). */
static int cell_cmp(const void *a, const void *b, void *arg)
{
    const Rci__V1__PushValuesRequest *req = arg;
    const Rci__V1__ValueInput *x = req->values[*(const size_t *)a];
    const Rci__V1__ValueInput *y = req->values[*(const size_t *)b];
    int c = strcmp(x->indicator, y->indicator);
    if (!c)
        c = strcmp(x->region, y->region);
    if (!c)
        c = strcmp(x->period, y->period);
    if (!c)
        c = *(const size_t *)a < *(const size_t *)b ? -1 : 1;
    return c;
}

static void check_duplicates(const Rci__V1__PushValuesRequest *req, rci_violations *vs)
{
    size_t *idx = malloc((req->n_values ? req->n_values : 1) * sizeof *idx);
    if (!idx) {
        rci_violations_add(vs, -1, "values", "out of memory while checking for duplicates");
        return;
    }
    for (size_t i = 0; i < req->n_values; i++)
        idx[i] = i;
    qsort_r(idx, req->n_values, sizeof *idx, cell_cmp, (void *)req);
    for (size_t k = 1; k < req->n_values; k++) {
        const Rci__V1__ValueInput *a = req->values[idx[k - 1]], *b = req->values[idx[k]];
        if (!strcmp(a->indicator, b->indicator) && !strcmp(a->region, b->region) &&
            !strcmp(a->period, b->period))
            rci_violations_add(vs, (int)idx[k], "period",
                               "the same cell (%s, %s, %s) as row %zu", b->indicator, b->region,
                               b->period, idx[k - 1] + 1);
    }
    free(idx);
}

void push_rows_validate(push_rows *rows, const Rci__V1__PushValuesRequest *req,
                        rci_violations *vs)
{
    rows->nrows = req->n_values;
    rows->period_end = calloc(req->n_values ? req->n_values : 1, sizeof *rows->period_end);
    if (!rows->period_end) {
        rci_violations_add(vs, -1, "values", "out of memory");
        return;
    }
    for (size_t i = 0; i < req->n_values; i++) {
        const Rci__V1__ValueInput *v = req->values[i];
        const push_def *d = find_def(rows, v->indicator);
        const push_region *r = find_region(rows, v->region);
        if (!d)
            rci_violations_add(vs, (int)i, "indicator", "unknown indicator \"%s\"", v->indicator);
        if (!r)
            rci_violations_add(vs, (int)i, "region", "unknown region \"%s\" (a GB/T 2260 code)",
                               v->region);
        else if (strcmp(r->kind, "circle") == 0)
            rci_violations_add(vs, (int)i, "region",
                               "%s is a circle: push each member city's value", v->region);
        if (d)
            check_row(d, v, (int)i, rows->period_end[i], vs);
    }
    check_duplicates(req, vs);
}

void push_rows_check_locks(const push_rows *rows, const Rci__V1__PushValuesRequest *req,
                           rci_violations *vs)
{
    for (size_t i = 0; i < req->n_values && rows->nlocked; i++) {
        const Rci__V1__ValueInput *v = req->values[i];
        char key[2][72];
        snprintf(key[0], sizeof key[0], "%s", v->indicator);
        snprintf(key[1], sizeof key[1], "%s", v->period);
        if (bsearch(key, rows->locked, rows->nlocked, sizeof key, locked_cmp))
            rci_violations_add(vs, (int)i, "period",
                               "period %s of %s is locked (an admin override with a reason is "
                               "needed)", v->period, v->indicator);
    }
}

void push_rows_locked(const push_rows *rows, const char *csv_rows,
                      const Rci__V1__PushValuesRequest *req, rci_violations *vs)
{
    (void)rows;
    for (const char *p = csv_rows; *p;) {
        char *end;
        long row = strtol(p, &end, 10);
        if (end == p)
            break;
        if (row >= 0 && (size_t)row < req->n_values)
            rci_violations_add(vs, (int)row, "period", "period %s of %s is locked",
                               req->values[row]->period, req->values[row]->indicator);
        p = *end == ',' ? end + 1 : end;
    }
}
