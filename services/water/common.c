/* common.c: what the WaterService handlers share (water_internal.h) —
 * reading sections and samples from their rows, the canonical content that
 * decides "same sample", and turning gb3838.c's evaluation and joint
 * comparison into protobuf messages built in one arena per answer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "water/water_internal.h"

/* ---- arena ---------------------------------------------------------------- */

void *rci_water_alloc(rci_water_arena *a, size_t n, size_t size)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        void **b = realloc(a->blocks, cap * sizeof *b);
        if (!b)
            return NULL;
        a->blocks = b;
        a->cap = cap;
    }
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p)
        a->blocks[a->n++] = p;
    return p;
}

char *rci_water_strdup(rci_water_arena *a, const char *s)
{
    size_t len = strlen(s);
    char *p = rci_water_alloc(a, len + 1, 1);
    if (p)
        memcpy(p, s, len + 1);
    return p;
}

char *rci_water_printf(rci_water_arena *a, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return rci_water_strdup(a, buf);
}

void rci_water_arena_free(rci_water_arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->blocks[i]);
    free(a->blocks);
    a->blocks = NULL;
    a->n = a->cap = 0;
}

/* ---- sections -------------------------------------------------------------- */

static int copy(char *dst, size_t len, const char *src)
{
    size_t n = strlen(src);
    if (n >= len)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

/* Split "a,b,c" into at most max codes of 16 bytes. */
static int split_cities(const char *csv, char (*out)[16], size_t max, size_t *n)
{
    *n = 0;
    const char *p = csv;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (*n == max || len == 0 || len >= 16)
            return -1;
        memcpy(out[*n], p, len);
        out[(*n)++][len] = '\0';
        p += len + (e ? 1 : 0);
    }
    return 0;
}

/* "cod=10,ph=0.5": relative tolerances are stored in percent, pH in pH
 * units; gb3838 wants fractions for the relative ones. */
static int load_tolerances(rci_water_section *s, const char *csv)
{
    s->ntols = 0;
    const char *p = csv;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char item[96];
        if (len >= sizeof item || s->ntols == RCI_WQ_PARAM_COUNT)
            return -1;
        memcpy(item, p, len);
        item[len] = '\0';
        char *eq = strchr(item, '=');
        if (!eq)
            return -1;
        *eq = '\0';
        const rci_wq_param *pm = rci_wq_param_find(item);
        rci_wq_value v;
        if (!pm || rci_wq_value_parse(eq + 1, &v, NULL, 0) != 0)
            return -1;
        if (pm->dir != RCI_WQ_DIR_RANGE)
            v.nano /= 100; /* percent → fraction; PutSection allows 7 decimals */
        s->tols[s->ntols].code = pm->code;
        s->tols[s->ntols].tol = v;
        if (copy(s->tol_text[s->ntols], sizeof s->tol_text[0], eq + 1) != 0)
            return -1;
        s->ntols++;
        p += len + (e ? 1 : 0);
    }
    return 0;
}

int rci_water_section_load(rci_water_section *s, const PGresult *res, int r, int c)
{
    memset(s, 0, sizeof *s);
#define V(i) PQgetvalue(res, r, c + (i))
    if (PQnfields(res) < c + RCI_WATER_SECTION_NCOLS)
        return -1;
    if (copy(s->code, sizeof s->code, V(0)) || copy(s->name_zh, sizeof s->name_zh, V(1)) ||
        copy(s->name_en, sizeof s->name_en, V(2)) || copy(s->river, sizeof s->river, V(3)) ||
        copy(s->basin, sizeof s->basin, V(4)) || copy(s->upstream, sizeof s->upstream, V(5)) ||
        copy(s->downstream, sizeof s->downstream, V(6)) ||
        split_cities(V(7), s->border, 2, &s->nborder) ||
        copy(s->monitor, sizeof s->monitor, V(12)) ||
        split_cities(V(14), s->cities, RCI_WATER_MAX_CITIES, &s->ncities) ||
        load_tolerances(s, V(15)) || copy(s->monitor_city, sizeof s->monitor_city, V(16)))
        return -1;
    s->latitude = strtod(V(8), NULL);
    s->longitude = strtod(V(9), NULL);
    s->target = rci_wq_class_parse(V(10));
    s->target_is_demo = V(11)[0] == 't';
    if (s->target == RCI_WQ_CLASS_NONE || rci_wq_kind_from_name(V(13), &s->kind) != 0)
        return -1;
#undef V
    return 0;
}

int rci_water_section_concerns(const rci_water_section *s, const char *city)
{
    for (size_t i = 0; i < s->ncities; i++)
        if (strcmp(s->cities[i], city) == 0)
            return 1;
    return 0;
}

void rci_water_section_cities(const rci_water_section *s, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->ncities && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", s->cities[i]);
}

int rci_water_section_message(rci_water_arena *a, const rci_water_section *s,
                              Rci__V1__Section *out)
{
    rci__v1__section__init(out);
    out->code = (char *)s->code;
    out->name_zh = (char *)s->name_zh;
    out->name_en = (char *)s->name_en;
    out->river = (char *)s->river;
    out->basin = (char *)s->basin;
    out->upstream_city = (char *)s->upstream;
    out->downstream_city = (char *)s->downstream;
    out->latitude = s->latitude;
    out->longitude = s->longitude;
    out->target_class = (char *)rci_wq_class_name(s->target);
    out->target_is_demo = s->target_is_demo;
    out->monitor_agency = (char *)s->monitor;
    out->kind = (char *)rci_wq_kind_name(s->kind);
    out->border_cities = rci_water_alloc(a, 2, sizeof(char *));
    out->cities = rci_water_alloc(a, RCI_WATER_MAX_CITIES, sizeof(char *));
    out->tolerances = rci_water_alloc(a, RCI_WQ_PARAM_COUNT, sizeof(void *));
    Rci__V1__ParamTolerance *t = rci_water_alloc(a, RCI_WQ_PARAM_COUNT, sizeof *t);
    if (!out->border_cities || !out->cities || !out->tolerances || !t)
        return -1;
    for (size_t i = 0; i < s->nborder; i++)
        out->border_cities[i] = (char *)s->border[i];
    out->n_border_cities = s->nborder;
    for (size_t i = 0; i < s->ncities; i++)
        out->cities[i] = (char *)s->cities[i];
    out->n_cities = s->ncities;
    for (size_t i = 0; i < s->ntols; i++) {
        rci__v1__param_tolerance__init(&t[i]);
        t[i].parameter = (char *)s->tols[i].code;
        t[i].tolerance = (char *)s->tol_text[i];
        out->tolerances[i] = &t[i];
    }
    out->n_tolerances = s->ntols;
    return 0;
}

/* ---- samples ---------------------------------------------------------------- */

static size_t param_index(const char *code)
{
    for (size_t i = 0; i < RCI_WQ_PARAM_COUNT; i++)
        if (strcmp(rci_wq_param_at(i)->code, code) == 0)
            return i;
    return RCI_WQ_PARAM_COUNT;
}

static int item_cmp(const void *x, const void *y)
{
    size_t a = param_index(((const rci_wq_item *)x)->code);
    size_t b = param_index(((const rci_wq_item *)y)->code);
    return (a > b) - (a < b);
}

void rci_water_sort_items(rci_wq_item *items, size_t n)
{
    qsort(items, n, sizeof *items, item_cmp);
}

char *rci_water_content(const char *sampled_on, const rci_wq_item *items, size_t n,
                        const char *note)
{
    rci_wq_item sorted[RCI_WQ_PARAM_COUNT];
    if (n > RCI_WQ_PARAM_COUNT || (n && !items))
        return NULL;
    if (n)
        memcpy(sorted, items, n * sizeof *items);
    rci_water_sort_items(sorted, n);
    size_t cap = strlen(sampled_on) + strlen(note) + n * (40 + RCI_WQ_VALUE_TEXT_MAX) + 4;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t used = (size_t)snprintf(out, cap, "%s|", sampled_on);
    for (size_t i = 0; i < n; i++) {
        char v[RCI_WQ_VALUE_TEXT_MAX];
        rci_wq_value_format(sorted[i].value, v, sizeof v);
        used += (size_t)snprintf(out + used, cap - used, "%s%s=%s", i ? ";" : "", sorted[i].code, v);
    }
    snprintf(out + used, cap - used, "|%s", note);
    return out;
}

int rci_water_sample_parse(rci_water_sample *s, const char *content)
{
    rci_water_sample_free(s);
    s->content = strdup(content);
    s->buf = strdup(content);
    s->n = 0;
    if (!s->content || !s->buf)
        return -1;
    char *bar1 = strchr(s->buf, '|');
    char *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
    if (!bar1 || !bar2 || bar1 - s->buf != 10)
        return -1;
    *bar1 = '\0';
    *bar2 = '\0';
    memcpy(s->sampled_on, s->buf, 11);
    s->note = bar2 + 1;
    char *p = bar1 + 1;
    while (*p) {
        char *semi = strchr(p, ';');
        if (semi)
            *semi = '\0';
        char *eq = strchr(p, '=');
        if (!eq || s->n == RCI_WQ_PARAM_COUNT)
            return -1;
        *eq = '\0';
        const rci_wq_param *pm = rci_wq_param_find(p);
        if (!pm || rci_wq_value_parse(eq + 1, &s->items[s->n].value, NULL, 0) != 0)
            return -1;
        s->items[s->n++].code = pm->code;
        if (!semi)
            break;
        p = semi + 1;
    }
    return 0;
}

int rci_water_sample_load(rci_water_sample *s, const PGresult *res, int r)
{
    if (PQnfields(res) < 8 || copy(s->section, sizeof s->section, PQgetvalue(res, r, 0)) ||
        copy(s->agency, sizeof s->agency, PQgetvalue(res, r, 1)) ||
        copy(s->city, sizeof s->city, PQgetvalue(res, r, 2)) ||
        copy(s->month, sizeof s->month, PQgetvalue(res, r, 3)))
        return -1;
    s->id = atoll(PQgetvalue(res, r, 4));
    s->revision = atoi(PQgetvalue(res, r, 5));
    s->recorded_usec = atoll(PQgetvalue(res, r, 7));
    return rci_water_sample_parse(s, PQgetvalue(res, r, 6));
}

void rci_water_sample_free(rci_water_sample *s)
{
    free(s->content);
    free(s->buf);
    s->content = s->buf = NULL;
}

/* ---- assessments -------------------------------------------------------------- */

void rci_water_x100_text(long long x100, char *buf, size_t len)
{
    snprintf(buf, len, "%lld.%02lld", x100 / 100, x100 % 100);
}

int rci_water_assess(rci_water_arena *a, const rci_water_section *sec,
                     const rci_water_sample *smp, Rci__V1__SampleAssessment *out,
                     rci_wq_result *res_out)
{
    rci_wq_factor f[RCI_WQ_PARAM_COUNT];
    rci_wq_result res;
    rci__v1__sample_assessment__init(out);
    if (rci_wq_evaluate(sec->kind, sec->target, smp->items, smp->n, f, &res, NULL, 0) != 0)
        return -1;
    if (res_out)
        *res_out = res;
    out->sample_id = smp->id;
    out->section = rci_water_strdup(a, smp->section);
    out->sampled_on = rci_water_strdup(a, smp->sampled_on);
    out->city = rci_water_strdup(a, smp->city);
    out->agency_code = rci_water_strdup(a, smp->agency);
    out->water_class = (char *)(res.cls ? rci_wq_class_name(res.cls) : "");
    out->target_class = (char *)rci_wq_class_name(sec->target);
    out->meets_target = res.meets;
    out->official = strcmp(smp->agency, sec->monitor) == 0;
    out->deciding = rci_water_alloc(a, smp->n, sizeof(char *));
    out->params = rci_water_alloc(a, smp->n, sizeof(void *));
    Rci__V1__ParamAssessment *p = rci_water_alloc(a, smp->n, sizeof *p);
    if (!out->section || !out->sampled_on || !out->city || !out->agency_code || !out->deciding ||
        !out->params || !p)
        return -1;
    if (smp->recorded_usec) {
        Google__Protobuf__Timestamp *ts = rci_water_alloc(a, 1, sizeof *ts);
        if (!ts)
            return -1;
        google__protobuf__timestamp__init(ts);
        ts->seconds = smp->recorded_usec / 1000000;
        ts->nanos = (int32_t)(smp->recorded_usec % 1000000) * 1000;
        out->recorded_at = ts;
    }
    for (size_t i = 0; i < smp->n; i++) {
        char v[RCI_WQ_VALUE_TEXT_MAX], m[32] = "";
        rci__v1__param_assessment__init(&p[i]);
        rci_wq_value_format(f[i].value, v, sizeof v);
        if (f[i].has_multiple)
            rci_water_x100_text(f[i].multiple_x100, m, sizeof m);
        p[i].parameter = (char *)f[i].param->code;
        p[i].value = rci_water_strdup(a, v);
        p[i].unit = (char *)f[i].param->unit;
        p[i].water_class = (char *)(f[i].cls ? rci_wq_class_name(f[i].cls) : "");
        p[i].assessed = f[i].assessed;
        p[i].deciding = f[i].deciding;
        p[i].over_target = f[i].over_target;
        p[i].exceedance_multiple = rci_water_strdup(a, m);
        if (!p[i].value || !p[i].exceedance_multiple)
            return -1;
        out->params[i] = &p[i];
        if (f[i].deciding)
            out->deciding[out->n_deciding++] = (char *)f[i].param->code;
    }
    out->n_params = smp->n;
    return 0;
}

/* A fraction in nano units as percent text with at most 2 decimals,
 * rounded half up: 0.130434783 → "13.04", 0.2 → "20". */
static void percent_text(int64_t nano, char *buf, size_t len)
{
    long long x100 = (long long)((nano + 50000) / 100000);
    if (x100 % 100 == 0)
        snprintf(buf, len, "%lld", x100 / 100);
    else if (x100 % 10 == 0)
        snprintf(buf, len, "%lld.%lld", x100 / 100, (x100 % 100) / 10);
    else
        snprintf(buf, len, "%lld.%02lld", x100 / 100, x100 % 100);
}

int rci_water_compare(rci_water_arena *a, const rci_water_section *sec,
                      const rci_water_sample *ma, const rci_water_sample *mb,
                      Rci__V1__JointComparison *out)
{
    rci_wq_joint j[RCI_WQ_PARAM_COUNT];
    rci__v1__joint_comparison__init(out);
    int n = rci_wq_joint_compare(ma->items, ma->n, mb->items, mb->n, sec->tols, sec->ntols, j,
                                 NULL, 0);
    if (n < 0)
        return -1;
    out->section = (char *)sec->code;
    out->month = rci_water_strdup(a, ma->month);
    out->city_a = rci_water_strdup(a, ma->city);
    out->city_b = rci_water_strdup(a, mb->city);
    out->sample_a = ma->id;
    out->sample_b = mb->id;
    out->params = rci_water_alloc(a, (size_t)n, sizeof(void *));
    Rci__V1__ParamComparison *p = rci_water_alloc(a, (size_t)n, sizeof *p);
    if (!out->month || !out->city_a || !out->city_b || !out->params || !p)
        return -1;
    for (int i = 0; i < n; i++) {
        char va[RCI_WQ_VALUE_TEXT_MAX], vb[RCI_WQ_VALUE_TEXT_MAX], d[32], t[32];
        rci__v1__param_comparison__init(&p[i]);
        rci_wq_value_format(j[i].a, va, sizeof va);
        rci_wq_value_format(j[i].b, vb, sizeof vb);
        if (j[i].relative) {
            percent_text(j[i].diff.nano, d, sizeof d);
            rci_wq_value tp = {j[i].tol.nano * 100};
            rci_wq_value_format(tp, t, sizeof t);
        } else {
            rci_wq_value_format(j[i].diff, d, sizeof d);
            rci_wq_value_format(j[i].tol, t, sizeof t);
        }
        p[i].parameter = (char *)j[i].param->code;
        p[i].value_a = rci_water_strdup(a, va);
        p[i].value_b = rci_water_strdup(a, vb);
        p[i].difference = rci_water_strdup(a, d);
        p[i].tolerance = rci_water_strdup(a, t);
        p[i].relative = j[i].relative;
        p[i].within = j[i].within;
        if (!p[i].value_a || !p[i].value_b || !p[i].difference || !p[i].tolerance)
            return -1;
        out->params[i] = &p[i];
        if (!j[i].within)
            out->discrepancy = 1;
    }
    out->n_params = (size_t)n;
    return 0;
}
