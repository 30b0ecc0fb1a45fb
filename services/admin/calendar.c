/* calendar.c: rci.v1.AdminService/PutCalendarDays, ListCalendarDays and
 * LockPeriod — the working-day calendar that due dates are counted on, and
 * closing a period for writing.
 *
 * The calendar (calendar_days, migrations/0005_calendar.sql) lists only the
 * special days: public holidays (working = false) and make-up working days
 * (调休, working = true). PutCalendarDays accepts a day only where it means
 * something, so that a typo cannot pass silently:
 *   - working = true only on a Saturday or Sunday (a make-up day); a
 *     weekday is a working day anyway;
 *   - working = false on a weekday, or on a Saturday or Sunday only as part
 *     of a holiday range: the Friday before that weekend or the Monday after
 *     it must be a holiday too, in the same call or already in the calendar
 *     (every weekend day of the State Council's ranges 2016-2026 passes);
 *   - each date once per call; at most CAL_PUT_MAX days.
 * Days are upserted: a date already listed takes the new flag and name.
 * There is no RPC to remove a day (the proto has none).
 *
 * LockPeriod closes one indicator's period, or every indicator of the
 * period's frequency when indicator_code is empty (the frequency is read
 * from the period's form: 2026-10 monthly, 2026-Q3 quarterly, …). Locking
 * twice changes nothing and succeeds. Pushes into a locked period need an
 * admin override with a reason (push.c, rci_push_write).
 *
 * Every method needs an admin token and leaves an audit row ("calendar.put",
 * "calendar.list", "period.lock") written by the statement that does the
 * work. Runs like the other AdminService methods (admin.c): keep the
 * request → rci_auth_admin → validate → one statement → answer.
 *
 * Tables: calendar_days (0005), period_locks (0004), indicators (0002),
 * audit (0003). */
#include "admin/calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_internal.h"
#include "indicators/period.h"
#include "platform/dispatch.h"
#include "platform/store.h"
#include "platform/violations.h"
#include "rci/v1/admin.pb-c.h"

#define CAL_PUT_MAX 1000          /* days per PutCalendarDays call */
#define CAL_NAME_MAX_CHARS 64
#define LOCK_REASON_MAX_CHARS 1000
#define INDICATOR_CODE_MAX 64     /* indicators.code (0002) */

/* $1 dates, $2 working flags, $3 names (arrays, aligned), $4..$7 the actor.
 * One row: the 0-based rows that are weekend holidays outside a holiday
 * range ('' when none; then nothing is written), the number of days
 * inserted or changed, and the audit id (NULL when refused). */
static const char sql_put_days[] =
    "WITH input AS (\n"
    "  SELECT t.day, t.working, t.name, t.ord\n"
    "    FROM unnest($1::date[], $2::boolean[], $3::text[]) WITH ORDINALITY\n"
    "         AS t (day, working, name, ord)\n"
    "), lone AS (\n"
    "  SELECT i.ord - 1 AS row FROM input i\n"
    "   WHERE NOT i.working AND extract(isodow FROM i.day) >= 6\n"
    "     AND NOT EXISTS (\n"
    "       SELECT 1 FROM (VALUES (i.day - (extract(isodow FROM i.day)::int - 5)),\n"
    "                             (i.day + (8 - extract(isodow FROM i.day)::int))) AS n (day)\n"
    "        WHERE EXISTS (SELECT 1 FROM input x WHERE x.day = n.day AND NOT x.working)\n"
    "           OR EXISTS (SELECT 1 FROM calendar_days c WHERE c.day = n.day AND NOT c.working))\n"
    "), up AS (\n"
    "  INSERT INTO calendar_days AS c (day, working, name)\n"
    "  SELECT day, working, name FROM input WHERE NOT EXISTS (SELECT 1 FROM lone)\n"
    "  ON CONFLICT (day) DO UPDATE SET working = EXCLUDED.working, name = EXCLUDED.name\n"
    "   WHERE c.working <> EXCLUDED.working OR c.name <> EXCLUDED.name\n"
    "  RETURNING c.day, c.working, c.name\n"
    ")\n"
    "SELECT coalesce((SELECT string_agg(row::text, ',' ORDER BY row) FROM lone), ''),\n"
    "       (SELECT count(*) FROM up),\n"
    "       CASE WHEN NOT EXISTS (SELECT 1 FROM lone) THEN\n"
    "         rci_audit($4::text, $5::bigint, 'calendar.put', $6::text, $7::text,\n"
    "                   jsonb_build_object('days', (SELECT count(*) FROM input),\n"
    "                     'written', coalesce((SELECT jsonb_agg(jsonb_build_object('date', day,\n"
    "                         'working', working, 'name', name) ORDER BY day) FROM up), '[]')))\n"
    "       END";

/* $1 year or NULL (every year), $2..$5 the actor. Rows: date, working
 * ("t"/"f"), name, by date; a single row with a NULL date when none. */
static const char sql_list_days[] =
    "WITH a AS MATERIALIZED (\n"
    "  SELECT rci_audit($2::text, $3::bigint, 'calendar.list', $4::text, $5::text,\n"
    "                   jsonb_strip_nulls(jsonb_build_object('year', $1::int))) AS audit_id\n"
    ")\n"
    "SELECT to_char(c.day, 'YYYY-MM-DD'), c.working, c.name\n"
    "FROM a LEFT JOIN LATERAL (\n"
    "  SELECT * FROM calendar_days\n"
    "  WHERE $1::int IS NULL\n"
    "     OR (day >= make_date($1::int, 1, 1) AND day < make_date($1::int + 1, 1, 1))\n"
    ") c ON true\n"
    "ORDER BY c.day";

/* $1 indicator or NULL (every indicator of the frequency), $2 frequency (of
 * the period's form), $3 period, $4 reason, $5..$8 the actor. One row:
 * indicator found, its frequency ('' when none given or not found), locked
 * by this call (false: it already was, or refused), audit id (NULL when
 * refused: unknown indicator or another frequency). */
static const char sql_lock[] =
    "WITH chk AS (\n"
    "  SELECT $1::text IS NULL OR i.code IS NOT NULL AS found,\n"
    "         coalesce(i.frequency, '') AS frequency,\n"
    "         ($1::text IS NULL OR i.frequency = $2::text) AS fits\n"
    "    FROM (SELECT 1) one LEFT JOIN indicators i ON i.code = $1::text\n"
    "), ins AS (\n"
    "  INSERT INTO period_locks (indicator_code, frequency, period, reason, token_id)\n"
    "  SELECT $1::text, $2::text, $3::text, $4::text, $6::bigint FROM chk\n"
    "   WHERE found AND fits\n"
    "  ON CONFLICT (coalesce(indicator_code, ''), frequency, period) DO NOTHING\n"
    "  RETURNING id\n"
    ")\n"
    "SELECT chk.found, chk.frequency, EXISTS (SELECT 1 FROM ins),\n"
    "       CASE WHEN chk.found AND chk.fits THEN\n"
    "         rci_audit($5::text, $6::bigint, 'period.lock', $7::text, $8::text,\n"
    "                   jsonb_build_object('indicator_code', $1::text, 'frequency', $2::text,\n"
    "                     'period', $3::text, 'reason', $4::text,\n"
    "                     'already_locked', NOT EXISTS (SELECT 1 FROM ins)))\n"
    "       END\n"
    "FROM chk";

static int stmt_put = -1, stmt_list = -1, stmt_lock = -1;

/* ---- small helpers -------------------------------------------------------------------- */

/* UTF-8 characters in s (bytes that do not continue a sequence). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* 1 if s holds a C0 control character or DEL. */
static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static const char *const weekday_names[] = {"", "Monday", "Tuesday", "Wednesday", "Thursday",
                                            "Friday", "Saturday", "Sunday"};

/* A growing text buffer for array literals; on out of memory it stays
 * marked failed and sb_close returns NULL. */
typedef struct strbuf {
    char *s;
    size_t len, cap;
    int failed;
} strbuf;

static void sb_put(strbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* Append s as a quoted array element ("…", with \ and " escaped). */
static void sb_elem(strbuf *b, const char *s)
{
    sb_put(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_put(b, "\\", 1);
        sb_put(b, p, 1);
    }
    sb_put(b, "\"", 1);
}

static char *sb_close(strbuf *b)
{
    sb_put(b, "}", 1);
    if (b->failed) {
        free(b->s);
        return NULL;
    }
    return b->s;
}

/* ---- PutCalendarDays ------------------------------------------------------------------ */

/* One day of the request, for the duplicate check. */
typedef struct day_ref {
    int32_t day;
    size_t row;
} day_ref;

static int day_ref_cmp(const void *a, const void *b)
{
    const day_ref *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* Check every day of req into vs; fills refs (req->n_days entries) with
 * the parsed dates. Returns 0, or -1 when out of memory. */
static int put_days_check(const Rci__V1__PutCalendarDaysRequest *req, day_ref *refs,
                          rci_violations *vs)
{
    size_t nrefs = 0;
    for (size_t i = 0; i < req->n_days; i++) {
        const Rci__V1__CalendarDay *d = req->days[i];
        int row = (int)i, bad = 0;
        rci_period p;
        char why[160];
        if (!d->date[0]) {
            bad = rci_violations_add(vs, row, "date", "required (YYYY-MM-DD)");
        } else if (rci_period_parse(RCI_FREQ_DAILY, d->date, &p, why, sizeof why) != 0) {
            bad = rci_violations_add(vs, row, "date", "%s", why);
        } else {
            rci_date date = rci_period_first_day(&p);
            int wd = rci_date_weekday(date);
            if (d->working && wd < 6)
                bad = rci_violations_add(vs, row, "working",
                                         "%s is a %s, a working day anyway: a make-up working "
                                         "day is a Saturday or a Sunday",
                                         d->date, weekday_names[wd]);
            refs[nrefs].day = rci_date_to_days(date);
            refs[nrefs].row = i;
            nrefs++;
        }
        if (bad < 0)
            return -1;
        if (utf8_chars(d->name) > CAL_NAME_MAX_CHARS) {
            if (rci_violations_add(vs, row, "name", "longer than %d characters",
                                   CAL_NAME_MAX_CHARS) < 0)
                return -1;
        } else if (has_control(d->name)) {
            if (rci_violations_add(vs, row, "name", "control characters are not allowed") < 0)
                return -1;
        }
    }
    qsort(refs, nrefs, sizeof *refs, day_ref_cmp);
    for (size_t k = 1; k < nrefs; k++)
        if (refs[k].day == refs[k - 1].day) {
            size_t first = k - 1;
            while (first > 0 && refs[first - 1].day == refs[k].day)
                first--;
            if (rci_violations_add(vs, (int)refs[k].row, "date",
                                   "%s is listed twice (also row %zu)",
                                   req->days[refs[k].row]->date, refs[first].row + 1) < 0)
                return -1;
        }
    return 0;
}

static void put_days_done(rci_call *call, const PGresult *res)
{
    const Rci__V1__PutCalendarDaysRequest *req = (const void *)admin_state_of(call)->req;
    if (PQntuples(res) != 1 || PQnfields(res) != 3) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the calendar upsert");
        return;
    }
    const char *lone = PQgetvalue(res, 0, 0);
    if (*lone) {
        rci_violations vs = {0};
        for (const char *p = lone; *p;) {
            char *end;
            long row = strtol(p, &end, 10);
            if (end == p || row < 0 || (size_t)row >= req->n_days)
                break;
            const char *date = req->days[row]->date;
            rci_period per;
            rci_period_parse(RCI_FREQ_DAILY, date, &per, NULL, 0);
            int wd = rci_date_weekday(rci_period_first_day(&per));
            if (rci_violations_add(&vs, (int)row, "working",
                                   "%s is a %s: a weekend holiday needs the Friday before or the "
                                   "Monday after its weekend to be a holiday too (a range)",
                                   date, weekday_names[wd]) < 0)
                break;
            p = *end == ',' ? end + 1 : end;
        }
        rci_call_fail_violations(call, RCI_INVALID_ARGUMENT, "calendar days", "days", &vs);
        rci_violations_free(&vs);
        return;
    }
    Rci__V1__PutCalendarDaysResponse resp = RCI__V1__PUT_CALENDAR_DAYS_RESPONSE__INIT;
    resp.written = atoi(PQgetvalue(res, 0, 1));
    rci_call_reply(call, &resp.base);
}

static void put_days_authed(rci_call *call, const rci_identity *who)
{
    const Rci__V1__PutCalendarDaysRequest *req = (const void *)admin_state_of(call)->req;
    if (req->n_days == 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "days: nothing to put");
        return;
    }
    if (req->n_days > CAL_PUT_MAX) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED,
                        "days: %zu in one call; at most %d (split the list)", req->n_days,
                        CAL_PUT_MAX);
        return;
    }
    day_ref *refs = malloc(req->n_days * sizeof *refs);
    rci_violations vs = {0};
    strbuf dates = {0}, flags = {0}, names = {0};
    if (!refs || put_days_check(req, refs, &vs) < 0) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    if (vs.n) {
        rci_call_fail_violations(call, RCI_INVALID_ARGUMENT, "calendar days", "days", &vs);
        goto out;
    }
    sb_put(&dates, "{", 1);
    sb_put(&flags, "{", 1);
    sb_put(&names, "{", 1);
    for (size_t i = 0; i < req->n_days; i++) {
        sb_elem(&dates, req->days[i]->date);
        sb_put(&flags, req->days[i]->working ? (i ? ",t" : "t") : (i ? ",f" : "f"), i ? 2 : 1);
        sb_elem(&names, req->days[i]->name);
    }
    char *d = sb_close(&dates), *f = sb_close(&flags), *n = sb_close(&names);
    dates.s = flags.s = names.s = NULL;
    if (!d || !f || !n) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
    } else {
        admin_actor a;
        admin_actor_init(&a, call, who);
        const char *params[7] = {d, f, n, a.agency, a.token_id, a.request_id, a.peer};
        rci_call_query(call, stmt_put, params, put_days_done);
    }
    free(d);
    free(f);
    free(n);
out:
    free(dates.s);
    free(flags.s);
    free(names.s);
    rci_violations_free(&vs);
    free(refs);
}

static void put_days(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    if (admin_keep_request(call))
        rci_auth_admin(call, put_days_authed);
}

/* ---- ListCalendarDays ----------------------------------------------------------------- */

static void list_days_done(rci_call *call, const PGresult *res)
{
    int nrows = PQntuples(res);
    if (nrows < 1 || PQnfields(res) != 3) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the calendar list");
        return;
    }
    Rci__V1__CalendarDay *days = calloc((size_t)nrows, sizeof *days);
    Rci__V1__CalendarDay **ptrs = calloc((size_t)nrows, sizeof *ptrs);
    if (!days || !ptrs) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    size_t n = 0;
    for (int i = 0; i < nrows; i++) {
        if (PQgetisnull(res, i, 0))
            continue;               /* the LEFT JOIN's empty row */
        Rci__V1__CalendarDay *d = &days[n];
        rci__v1__calendar_day__init(d);
        d->date = PQgetvalue(res, i, 0);
        d->working = strcmp(PQgetvalue(res, i, 1), "t") == 0;
        d->name = PQgetvalue(res, i, 2);
        ptrs[n++] = d;
    }
    Rci__V1__ListCalendarDaysResponse resp = RCI__V1__LIST_CALENDAR_DAYS_RESPONSE__INIT;
    resp.n_days = n;
    resp.days = ptrs;
    rci_call_reply(call, &resp.base);
out:
    free(ptrs);
    free(days);
}

static void list_days_authed(rci_call *call, const rci_identity *who)
{
    const Rci__V1__ListCalendarDaysRequest *req = (const void *)admin_state_of(call)->req;
    if (req->year != 0 && (req->year < RCI_PERIOD_YEAR_MIN || req->year > RCI_PERIOD_YEAR_MAX)) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "year: %d out of range (%d..%d, or 0 for all)",
                        (int)req->year, RCI_PERIOD_YEAR_MIN, RCI_PERIOD_YEAR_MAX);
        return;
    }
    char year[16];
    snprintf(year, sizeof year, "%d", (int)req->year);
    admin_actor a;
    admin_actor_init(&a, call, who);
    const char *params[5] = {req->year ? year : NULL, a.agency, a.token_id, a.request_id, a.peer};
    rci_call_query(call, stmt_list, params, list_days_done);
}

static void list_days(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    if (admin_keep_request(call))
        rci_auth_admin(call, list_days_authed);
}

/* ---- LockPeriod ----------------------------------------------------------------------- */

static void lock_done(rci_call *call, const PGresult *res)
{
    const Rci__V1__LockPeriodRequest *req = (const void *)admin_state_of(call)->req;
    if (PQntuples(res) != 1 || PQnfields(res) != 4) {
        rci_call_finish(call, RCI_INTERNAL, "unexpected result shape from the period lock");
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        rci_call_finish(call, RCI_NOT_FOUND, "indicator_code: no indicator \"%s\"",
                        req->indicator_code);
        return;
    }
    if (PQgetisnull(res, 0, 3)) {
        /* Another frequency: let the period module say what it expects. */
        rci_freq f = rci_period_freq_from_name(PQgetvalue(res, 0, 1));
        rci_period p;
        char why[160] = "does not fit the indicator's frequency";
        rci_period_parse(f, req->period, &p, why, sizeof why);
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "period: %s (indicator %s is %s)", why,
                        req->indicator_code, PQgetvalue(res, 0, 1));
        return;
    }
    Rci__V1__LockPeriodResponse resp = RCI__V1__LOCK_PERIOD_RESPONSE__INIT;
    rci_call_reply(call, &resp.base);
}

static void lock_authed(rci_call *call, const rci_identity *who)
{
    const Rci__V1__LockPeriodRequest *req = (const void *)admin_state_of(call)->req;
    size_t ilen = strlen(req->indicator_code);
    if (ilen > INDICATOR_CODE_MAX) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "indicator_code: longer than %d bytes",
                        INDICATOR_CODE_MAX);
        return;
    }
    rci_period p;
    char why[160];
    if (!req->period[0]) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "period: required (2026-10, 2026-Q3, 2026-H2, 2026 or 2026-10-05)");
        return;
    }
    if (rci_period_parse(RCI_FREQ_NONE, req->period, &p, why, sizeof why) != 0) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "period: %s", why);
        return;
    }
    if (strspn(req->reason, " \t\r\n") == strlen(req->reason)) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT,
                        "reason: required (why the period closes, kept in the audit trail)");
        return;
    }
    if (utf8_chars(req->reason) > LOCK_REASON_MAX_CHARS) {
        rci_call_finish(call, RCI_INVALID_ARGUMENT, "reason: longer than %d characters",
                        LOCK_REASON_MAX_CHARS);
        return;
    }
    admin_actor a;
    admin_actor_init(&a, call, who);
    const char *params[8] = {
        ilen ? req->indicator_code : NULL,
        rci_period_freq_name(p.freq),
        req->period,
        req->reason,
        a.agency,
        a.token_id,
        a.request_id,
        a.peer,
    };
    rci_call_query(call, stmt_lock, params, lock_done);
}

static void lock_period(rci_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    if (admin_keep_request(call))
        rci_auth_admin(call, lock_authed);
}

/* ---- registration --------------------------------------------------------------------- */

static const rci_method calendar_methods[] = {
    {"/rci.v1.AdminService/PutCalendarDays", &rci__v1__put_calendar_days_request__descriptor,
     put_days, NULL},
    {"/rci.v1.AdminService/ListCalendarDays", &rci__v1__list_calendar_days_request__descriptor,
     list_days, NULL},
    {"/rci.v1.AdminService/LockPeriod", &rci__v1__lock_period_request__descriptor, lock_period,
     NULL},
};

int rci_admin_calendar_init(char *err, size_t errlen)
{
    stmt_put = rci_store_register("admin_put_calendar_days", sql_put_days, 7);
    stmt_list = rci_store_register("admin_list_calendar_days", sql_list_days, 5);
    stmt_lock = rci_store_register("admin_lock_period", sql_lock, 8);
    return rci_dispatch_register(calendar_methods,
                                 sizeof calendar_methods / sizeof calendar_methods[0], err, errlen);
}
