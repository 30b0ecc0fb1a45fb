/* read.c: reading air data — GetAirCalendar (a city's days of a month with
 * their AQI), GetAirStats (a city's month or year) and RankAir (the cities
 * of a circle or of the province by composite index).
 *
 * Any valid token may read (DESIGN §2: neighbours read each other's
 * figures). The stored rows are concentrations; every IAQI, AQI, category,
 * statistic, index and rank is computed here by the AQI module (aqi.h) at
 * read time, each day by the HJ 633 edition of its date (DESIGN §6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "air/air.h"
#include "air/aqi.h"
#include "air/days.h"
#include "indicators/period.h"
#include "platform/auth.h"
#include "platform/call.h"
#include "platform/dispatch.h"
#include "platform/store.h"
#include "rci/v1/air.pb-c.h"

/* $1 city, $2/$3 first and last day. The region's row ('r': code, kind,
 * name) first, then its days ('d') in date order, 13 columns each. */
static const char sql_calendar[] =
    "SELECT 'r', code, kind, name_zh, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL\n"
    "  FROM regions WHERE code = $1\n"
    "UNION ALL\n"
    "SELECT 'd', d.day::text, d.so2::text, d.no2::text, d.pm10::text, d.co::text,\n"
    "       d.o3_1h::text, d.o3_8h::text, d.pm25::text, d.note, d.revision::text,\n"
    "       b.agency_code, (extract(epoch FROM b.committed_at) * 1000000)::bigint::text\n"
    "  FROM air_days d JOIN air_batches b ON b.id = d.air_batch_id\n"
    " WHERE d.city_code = $1 AND d.day BETWEEN $2::date AND $3::date\n"
    " ORDER BY 1 DESC, 2";

/* $1 a city, circle or the province, $2/$3 first and last day. The
 * region's row ('k': kind, name), its cities ('c': code, name) and their
 * days ('d': city, day, the seven concentrations), 10 columns each. */
static const char sql_stats[] =
    "WITH q AS (SELECT code, kind, name_zh FROM regions WHERE code = $1),\n"
    "target AS (\n"
    "  SELECT g.code, g.name_zh FROM regions g, q\n"
    "   WHERE g.kind = 'city'\n"
    "     AND (g.code = q.code\n"
    "          OR (q.kind = 'circle' AND g.code IN (SELECT city_code FROM circle_members\n"
    "                                               WHERE circle_code = q.code))\n"
    "          OR (q.kind = 'province' AND g.parent_code = q.code)))\n"
    "SELECT 'k', kind, name_zh, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM q\n"
    "UNION ALL\n"
    "SELECT 'c', code, name_zh, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM target\n"
    "UNION ALL\n"
    "SELECT 'd', d.city_code, d.day::text, d.so2::text, d.no2::text, d.pm10::text, d.co::text,\n"
    "       d.o3_1h::text, d.o3_8h::text, d.pm25::text\n"
    "  FROM air_days d JOIN target t ON t.code = d.city_code\n"
    " WHERE d.day BETWEEN $2::date AND $3::date\n"
    " ORDER BY 1 DESC, 2, 3";

static int stmt_calendar = -1, stmt_stats = -1;

static const char *unit_of(int col)
{
    return air_cols[col].mg ? "mg/m³" : "µg/m³";
}

/* ---- GetAirCalendar -------------------------------------------------------- */

typedef struct day_store {
    Rci__V1__AirDay day;
    Rci__V1__AirConcentration conc[AIR_COLS];
    Rci__V1__AirConcentration *concp[AIR_COLS];
    Rci__V1__AirIaqi iaqi[AIR_COLS];
    Rci__V1__AirIaqi *iaqip[AIR_COLS];
    Rci__V1__AqiCategory cat;
    Google__Protobuf__Timestamp ts;
    char primary_text[64];
    char *primary[AIR_COLS];
    char edition[16];
} day_store;

/* Fills s from row i of the calendar result (valid while res is). */
static int fill_day(day_store *s, const char *city, const PGresult *res, int i)
{
    rci__v1__air_day__init(&s->day);
    s->day.city = (char *)city;
    s->day.date = PQgetvalue(res, i, 1);
    rci_period per;
    if (rci_period_parse(RCI_FREQ_DAILY, s->day.date, &per, NULL, 0) != 0)
        return -1;
    rci_date d = rci_period_first_day(&per);
    const char *text[AIR_COLS];
    for (int c = 0; c < AIR_COLS; c++)
        text[c] = PQgetisnull(res, i, 2 + c) ? NULL : PQgetvalue(res, i, 2 + c);
    rci_air_sample sample;
    rci_aqi_result r;
    if (air_sample_from_texts(text, &sample, NULL, 0) != 0 ||
        air_day_aqi(d.year, d.month, d.day, &sample, &r) != 0)
        return -1;
    snprintf(s->edition, sizeof s->edition, "%s", rci_aqi_edition_name(r.edition));
    s->day.edition = s->edition;
    for (int c = 0; c < AIR_COLS; c++) {
        if (!text[c])
            continue;
        Rci__V1__AirConcentration *v = &s->conc[s->day.n_values];
        rci__v1__air_concentration__init(v);
        v->pollutant = (char *)air_cols[c].pollutant;
        v->value = (char *)text[c];
        v->unit = (char *)unit_of(c);
        s->concp[s->day.n_values++] = v;
        const rci_aqi_iaqi *q = &r.item[air_cols[c].item];
        if (q->status != RCI_AQI_OK)
            continue; /* not an indicator of this edition's daily report */
        Rci__V1__AirIaqi *x = &s->iaqi[s->day.n_iaqi];
        rci__v1__air_iaqi__init(x);
        x->pollutant = (char *)air_cols[c].pollutant;
        x->concentration = (char *)text[c];
        x->iaqi = q->iaqi;
        x->capped = (q->flags & RCI_AQI_CAPPED) != 0;
        s->iaqip[s->day.n_iaqi++] = x;
    }
    s->day.values = s->concp;
    s->day.iaqi = s->iaqip;
    if (r.published) {
        s->day.aqi = r.aqi;
        rci__v1__aqi_category__init(&s->cat);
        s->cat.level = r.category->level;
        s->cat.level_zh = (char *)r.category->level_zh;
        s->cat.category_zh = (char *)r.category->name_zh;
        s->cat.category_en = (char *)r.category->name_en;
        s->cat.colour_zh = (char *)r.category->colour_zh;
        s->cat.colour_en = (char *)r.category->colour_en;
        s->cat.colour_hex = (char *)r.category->hex;
        s->day.category = &s->cat;
        rci_aqi_primary_text(&r, s->primary_text, sizeof s->primary_text);
        for (char *p = s->primary_text; *p && s->day.n_primary_pollutants < AIR_COLS;) {
            s->primary[s->day.n_primary_pollutants++] = p;
            char *comma = strchr(p, ',');
            if (!comma)
                break;
            *comma = '\0';
            p = comma + 1;
        }
        s->day.primary_pollutants = s->primary;
    } else {
        s->day.aqi_na = 1;
    }
    s->day.note = PQgetvalue(res, i, 9);
    s->day.revision = atoi(PQgetvalue(res, i, 10));
    s->day.agency_code = PQgetvalue(res, i, 11);
    long long usec = atoll(PQgetvalue(res, i, 12));
    google__protobuf__timestamp__init(&s->ts);
    s->ts.seconds = usec / 1000000;
    s->ts.nanos = (int32_t)(usec % 1000000) * 1000;
    s->day.recorded_at = &s->ts;
    return 0;
}

static void calendar_done(rci_call *call, const PGresult *res)
{
    Rci__V1__GetAirCalendarRequest *req = rci_call_data(call);
    int n = PQntuples(res);
    if (PQnfields(res) != 13) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result from the calendar query");
        return;
    }
    if (n == 0 || PQgetvalue(res, 0, 0)[0] != 'r') {
        rci_call_finish(call, RCI_NOT_FOUND, "city: no region %s", req->city);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 2), "city") != 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "city: %s (%s) is a %s, not a city", req->city,
                        PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 2));
        return;
    }
    size_t ndays = (size_t)(n - 1);
    day_store *store = calloc(ndays ? ndays : 1, sizeof *store);
    Rci__V1__AirDay **days = calloc(ndays ? ndays : 1, sizeof *days);
    if (!store || !days) {
        free(store);
        free(days);
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    for (size_t k = 0; k < ndays; k++) {
        if (fill_day(&store[k], req->city, res, (int)k + 1) != 0) {
            free(store);
            free(days);
            rci_call_finish(call, RCI_INTERNAL, "a stored air day does not parse");
            return;
        }
        days[k] = &store[k].day;
    }
    Rci__V1__GetAirCalendarResponse resp = RCI__V1__GET_AIR_CALENDAR_RESPONSE__INIT;
    resp.n_days = ndays;
    resp.days = days;
    rci_call_reply(call, &resp.base);
    free(days);
    free(store);
}

/* city must look like a GB/T 2260 code (the query decides whether it is
 * one); NULL-safe messages for anything else. */
static int check_code(rci_call *call, const char *what, const char *code)
{
    size_t l = strlen(code);
    if (l == 0 || l > 32 || strspn(code, "0123456789abcdefghijklmnopqrstuvwxyz_") != l) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "%s: \"%.40s\" is not a region code (a GB/T 2260 code such as 441300, or "
                        "a circle such as szdghz)", what, code);
        return -1;
    }
    return 0;
}

static void calendar_authed(rci_call *call, const rci_identity *who)
{
    (void)who;
    Rci__V1__GetAirCalendarRequest *req = rci_call_data(call);
    rci_period per;
    char why[160], first[RCI_DATE_TEXT_MAX], last[RCI_DATE_TEXT_MAX];
    if (check_code(call, "city", req->city) != 0)
        return;
    if (rci_period_parse(RCI_FREQ_MONTHLY, req->month, &per, why, sizeof why) != 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "month: %s", why);
        return;
    }
    rci_date_format(rci_period_first_day(&per), first, sizeof first);
    rci_date_format(rci_period_last_day(&per), last, sizeof last);
    const char *params[3] = {req->city, first, last};
    rci_call_query(call, stmt_calendar, params, calendar_done);
}

static void free_request(void *msg)
{
    protobuf_c_message_free_unpacked(msg, NULL);
}

static void get_calendar(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    rci_call_set_data(call, rci_call_take_request(call), free_request);
    rci_auth(call, calendar_authed);
}

/* ---- GetAirStats, RankAir ------------------------------------------------------ */

typedef struct stats_req {
    ProtobufCMessage *req;     /* owned */
    const char *region;        /* into req */
    int rank;                  /* RankAir: a circle or the province */
    rci_period period;
    char period_text[RCI_PERIOD_TEXT_MAX];
} stats_req;

static void stats_req_free(void *arg)
{
    stats_req *s = arg;
    protobuf_c_message_free_unpacked(s->req, NULL);
    free(s);
}

typedef struct city_store {
    Rci__V1__AirStats msg;
    Rci__V1__AirStatistic stat[RCI_AIR_STATS];
    Rci__V1__AirStatistic *statp[RCI_AIR_STATS];
    int32_t levels[6];
    char good_rate[16], composite[24];
    char value[RCI_AIR_STATS][RCI_AIR_CONC_TEXT_MAX], index[RCI_AIR_STATS][24];
    rci_air_period st;
} city_store;

/* rci_air_stat order: SO2, NO2, PM10, PM2.5, CO, O3. */
static const char *const stat_names[RCI_AIR_STATS] = {
    "so2_mean", "no2_mean", "pm10_mean", "pm25_mean", "co_p95", "o3_8h_p90",
};

static void format_x100(int32_t x, char *buf, size_t len)
{
    snprintf(buf, len, "%d.%02d", (int)(x / 100), (int)(x % 100));
}

static void fill_stats(city_store *s, const char *code, const char *name, const char *period)
{
    const rci_air_period *st = &s->st;
    rci__v1__air_stats__init(&s->msg);
    s->msg.city = (char *)code;
    s->msg.city_name_zh = (char *)name;
    s->msg.period = (char *)period;
    s->msg.valid_days = st->valid_days;
    s->msg.days_needed = st->days_needed;
    s->msg.enough_days = st->enough != 0;
    s->msg.good_days = st->good_days;
    if (st->good_rate_x10 >= 0)
        snprintf(s->good_rate, sizeof s->good_rate, "%d.%d", st->good_rate_x10 / 10,
                 st->good_rate_x10 % 10);
    s->msg.good_rate = s->good_rate;
    for (int l = 0; l < 6; l++)
        s->levels[l] = st->level_days[l];
    s->msg.n_days_per_level = 6;
    s->msg.days_per_level = s->levels;
    for (int k = 0; k < RCI_AIR_STATS; k++) {
        if (st->stat[k].n == 0)
            continue;
        Rci__V1__AirStatistic *a = &s->stat[s->msg.n_statistics];
        rci__v1__air_statistic__init(a);
        a->statistic = (char *)stat_names[k];
        rci_air_conc_format(st->stat[k].value, s->value[k], sizeof s->value[k]);
        a->value = s->value[k];
        a->unit = k == RCI_AIR_STAT_CO ? "mg/m³" : "µg/m³";
        format_x100(st->stat[k].index_x100, s->index[k], sizeof s->index[k]);
        a->single_index = s->index[k];
        s->statp[s->msg.n_statistics++] = a;
    }
    s->msg.statistics = s->statp;
    if (st->composite_ok)
        format_x100(st->composite_x100, s->composite, sizeof s->composite);
    s->msg.composite_index = s->composite;
    s->msg.composite_method = (char *)st->method;
}

/* Room for a year of one city's days (air_days has one row per day). */
#define PERIOD_DAYS_MAX 366

/* The days of city among rows of the result (tag 'd'), parsed into out
 * (PERIOD_DAYS_MAX entries). Returns 0, or -1 if a row does not parse. */
static int city_days(const PGresult *res, const char *city, rci_air_day *out, size_t *n)
{
    *n = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        if (PQgetvalue(res, i, 0)[0] != 'd' || strcmp(PQgetvalue(res, i, 1), city) != 0)
            continue;
        if (*n == PERIOD_DAYS_MAX)
            return -1;
        rci_period per;
        if (rci_period_parse(RCI_FREQ_DAILY, PQgetvalue(res, i, 2), &per, NULL, 0) != 0)
            return -1;
        rci_date d = rci_period_first_day(&per);
        const char *text[AIR_COLS];
        for (int c = 0; c < AIR_COLS; c++)
            text[c] = PQgetisnull(res, i, 3 + c) ? NULL : PQgetvalue(res, i, 3 + c);
        rci_air_day *day = &out[(*n)++];
        day->year = d.year;
        day->month = d.month;
        day->day = d.day;
        if (air_sample_from_texts(text, &day->sample, NULL, 0) != 0)
            return -1;
    }
    return 0;
}

static void stats_done(rci_call *call, const PGresult *res)
{
    stats_req *sr = rci_call_data(call);
    int n = PQntuples(res);
    if (PQnfields(res) != 10) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result from the air statistics query");
        return;
    }
    if (n == 0 || PQgetvalue(res, 0, 0)[0] != 'k') {
        rci_call_finish(call, RCI_NOT_FOUND, "%s: no region %s", sr->rank ? "region" : "city",
                        sr->region);
        return;
    }
    const char *kind = PQgetvalue(res, 0, 1);
    if (sr->rank && strcmp(kind, "circle") != 0 && strcmp(kind, "province") != 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "region: %s is a %s; rankings are of a circle (such as szdghz) or the "
                        "province (440000)", sr->region, kind);
        return;
    }
    if (!sr->rank && strcmp(kind, "city") != 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "city: %s is a %s, not a city (RankAir ranks the cities of a circle)",
                        sr->region, kind);
        return;
    }
    size_t ncities = 0;
    for (int i = 0; i < n; i++)
        ncities += PQgetvalue(res, i, 0)[0] == 'c';
    city_store *cs = calloc(ncities ? ncities : 1, sizeof *cs);
    rci_air_day *days = calloc(PERIOD_DAYS_MAX, sizeof *days);
    rci_air_rank_in *rin = calloc(ncities ? ncities : 1, sizeof *rin);
    int *rank = calloc(ncities ? ncities : 1, sizeof *rank);
    size_t *order = calloc(ncities ? ncities : 1, sizeof *order);
    Rci__V1__AirStats **list = calloc(ncities ? ncities : 1, sizeof *list);
    const char **codes = calloc(ncities ? ncities : 1, sizeof *codes);
    const char **names = calloc(ncities ? ncities : 1, sizeof *names);
    if (!cs || !days || !rin || !rank || !order || !list || !codes || !names) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (PQgetvalue(res, i, 0)[0] != 'c')
            continue;
        codes[k] = PQgetvalue(res, i, 1);
        names[k] = PQgetvalue(res, i, 2);
        size_t nd = 0;
        char why[200];
        if (city_days(res, codes[k], days, &nd) != 0 ||
            rci_air_period_stats(sr->period.year,
                                 sr->period.freq == RCI_FREQ_MONTHLY ? sr->period.index : 0, days,
                                 nd, &cs[k].st, why, sizeof why) != 0) {
            rci_call_finish(call, RCI_INTERNAL, "statistics of %s: stored days do not fit",
                            codes[k]);
            goto out;
        }
        rin[k].composite_x100 = cs[k].st.composite_x100;
        rin[k].rankable = cs[k].st.enough && cs[k].st.composite_ok;
        k++;
    }
    rci_air_rank(rin, ncities, rank, order);
    for (size_t j = 0; j < ncities; j++) {
        size_t c = order[j];
        fill_stats(&cs[c], codes[c], names[c], sr->period_text);
        cs[c].msg.rank = rank[c];
        list[j] = &cs[c].msg;
    }
    if (sr->rank) {
        Rci__V1__RankAirResponse resp = RCI__V1__RANK_AIR_RESPONSE__INIT;
        resp.method = (char *)RCI_AIR_COMPOSITE_METHOD;
        resp.n_cities = ncities;
        resp.cities = list;
        rci_call_reply(call, &resp.base);
    } else if (ncities == 1) {
        cs[0].msg.rank = 0; /* one city alone is not a ranking */
        rci_call_reply(call, &cs[0].msg.base);
    } else {
        rci_call_finish(call, RCI_INTERNAL, "city %s matched %zu cities", sr->region, ncities);
    }
out:
    free(cs);
    free(days);
    free(rin);
    free(rank);
    free(order);
    free(list);
    free(codes);
    free(names);
}

static void stats_authed(rci_call *call, const rci_identity *who)
{
    (void)who;
    stats_req *sr = rci_call_data(call);
    const char *period = sr->rank ? ((Rci__V1__RankAirRequest *)sr->req)->period
                                  : ((Rci__V1__GetAirStatsRequest *)sr->req)->period;
    char why[160], first[RCI_DATE_TEXT_MAX], last[RCI_DATE_TEXT_MAX];
    if (check_code(call, sr->rank ? "region" : "city", sr->region) != 0)
        return;
    if (rci_period_parse(RCI_FREQ_NONE, period, &sr->period, why, sizeof why) != 0 ||
        (sr->period.freq != RCI_FREQ_MONTHLY && sr->period.freq != RCI_FREQ_YEARLY)) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "period: \"%.40s\" is not a month (2024-05) or a year (2024)", period);
        return;
    }
    rci_period_format(&sr->period, sr->period_text, sizeof sr->period_text);
    rci_date_format(rci_period_first_day(&sr->period), first, sizeof first);
    rci_date_format(rci_period_last_day(&sr->period), last, sizeof last);
    const char *params[3] = {sr->region, first, last};
    rci_call_query(call, stmt_stats, params, stats_done);
}

static void start_stats(rci_call *call, int rank)
{
    stats_req *sr = calloc(1, sizeof *sr);
    if (!sr) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    sr->req = rci_call_take_request(call);
    sr->rank = rank;
    sr->region = rank ? ((Rci__V1__RankAirRequest *)sr->req)->region
                      : ((Rci__V1__GetAirStatsRequest *)sr->req)->city;
    rci_call_set_data(call, sr, stats_req_free);
    rci_auth(call, stats_authed);
}

static void get_stats(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    start_stats(call, 0);
}

static void rank_air(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    start_stats(call, 1);
}

static const rci_method read_methods[] = {
    {"/rci.v1.AirService/GetAirCalendar", &rci__v1__get_air_calendar_request__descriptor,
     get_calendar, NULL},
    {"/rci.v1.AirService/GetAirStats", &rci__v1__get_air_stats_request__descriptor, get_stats,
     NULL},
    {"/rci.v1.AirService/RankAir", &rci__v1__rank_air_request__descriptor, rank_air, NULL},
};

int rci_air_read_init(char *err, size_t errlen)
{
    stmt_calendar = rci_store_register("air_calendar", sql_calendar, 3);
    stmt_stats = rci_store_register("air_stats", sql_stats, 3);
    return rci_dispatch_register(read_methods, sizeof read_methods / sizeof read_methods[0], err,
                                 errlen);
}
