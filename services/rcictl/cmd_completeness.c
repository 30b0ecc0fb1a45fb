/* cmd_completeness.c: reporting timeliness and what it is counted on —
 *   completeness PERIOD      IndicatorService/GetCompleteness: who reported
 *                            which indicator, when, on time or late, missing
 *   admin calendar list|put  AdminService/ListCalendarDays, PutCalendarDays:
 *                            public holidays and make-up working days (调休)
 *   admin lock               AdminService/LockPeriod: close a period
 *
 * `completeness` needs any valid token; the admin commands an admin token
 * (--token or RCI_TOKEN). Dates are China Standard Time calendar dates,
 * instants are shown in +08:00 (DESIGN §6).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rci/v1/admin.pb-c.h"
#include "rci/v1/indicators.pb-c.h"
#include "rcictl/rcictl.h"

#define GET_COMPLETENESS_PATH "/rci.v1.IndicatorService/GetCompleteness"
#define PUT_CALENDAR_DAYS_PATH "/rci.v1.AdminService/PutCalendarDays"
#define LIST_CALENDAR_DAYS_PATH "/rci.v1.AdminService/ListCalendarDays"
#define LOCK_PERIOD_PATH "/rci.v1.AdminService/LockPeriod"
#define CALENDAR_PUT_MAX 1000   /* days per call (the server's limit) */

static void completeness_help(FILE *out)
{
    fputs("Usage: rcictl completeness PERIOD [--agency CODE] [--city CODE] [--circle CODE]\n"
          "                          [--late] [--missing] [GLOBAL FLAGS]\n"
          "\n"
          "Which agencies reported which of their indicators for PERIOD, when, and\n"
          "whether on time. Each agency is expected to report every indicator of its\n"
          "domains whose frequency is PERIOD's (2026-10 monthly, 2026-Q3 quarterly,\n"
          "2026-H2 half-yearly, 2026 yearly, 2026-10-05 daily) for its own city. A\n"
          "report is due 3 working days after the period ends (1 after a day), counted\n"
          "on the working-day calendar (`rcictl admin calendar list`); it is on time\n"
          "when first reported (corrections do not count) on or before that date, in\n"
          "China Standard Time.\n"
          "\n"
          "  --agency CODE   only this agency (e.g. hz-eeb)\n"
          "  --city CODE     only the agencies of this city (e.g. 441300)\n"
          "  --circle CODE   only the agencies of this circle's cities (e.g. szdghz)\n"
          "  --late          only reports that came after their due date\n"
          "  --missing       only reports not in yet (STATUS missing, or pending while\n"
          "                  the due date has not passed); with --late: both\n"
          "\n"
          "Output: table with AGENCY, CITY, INDICATOR, DUE, REPORTED and STATUS (on\n"
          "time, late, missing, pending), then a summary line; csv with agency_code,\n"
          "city_code, indicator, period, due_date, first_reported_at, status; json an\n"
          "object with period, due_date, expected, reported, on_time and reports\n"
          "(the counts always cover every expected report).\n"
          "\n"
          "Exit status: 0 on success; 1 on an error status (a bad period is\n"
          "INVALID_ARGUMENT, an unknown agency, city or circle NOT_FOUND, no token\n"
          "UNAUTHENTICATED); 3 if it cannot connect; 2 on a usage error; 130 if\n"
          "interrupted.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

static void calendar_help(FILE *out)
{
    fputs("Usage: rcictl admin calendar list [YEAR]\n"
          "       rcictl admin calendar put [--holiday DATE[..DATE]]... [--workday DATE]...\n"
          "                                 [--name NAME]\n"
          "\n"
          "The working-day calendar that due dates are counted on: Monday to Friday are\n"
          "working days, Saturday and Sunday rest days, except the days it lists —\n"
          "public holidays and make-up working days (调休). Needs an admin token.\n"
          "\n"
          "list   the listed days of YEAR (default: every year)\n"
          "put    add or change days (a day already listed takes the new kind and name)\n"
          "    --holiday DATE[..DATE]  a holiday, or a range of them, both ends included\n"
          "                    (2026-10-01..2026-10-07); a Saturday or Sunday holiday is\n"
          "                    accepted as part of a range only: the Friday before or the\n"
          "                    Monday after its weekend must be a holiday too\n"
          "    --workday DATE  a make-up working day: a Saturday or a Sunday\n"
          "    --name NAME     the name of every day of this call (e.g. NationalDay)\n"
          "    e.g. rcictl admin calendar put --holiday 2027-10-01..2027-10-07 \\\n"
          "             --workday 2027-09-26 --workday 2027-10-09 --name NationalDay\n"
          "\n"
          "Output (list): table with DATE, WEEKDAY, KIND and NAME; csv and json have\n"
          "date, weekday, working, name. put prints how many days changed.\n"
          "\n"
          "Exit status: 0 on success; 1 on an error status (a bad day is\n"
          "INVALID_ARGUMENT naming it, an agency token PERMISSION_DENIED); 3 if it\n"
          "cannot connect; 2 on a usage error; 130 if interrupted.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

static void lock_help(FILE *out)
{
    fputs("Usage: rcictl admin lock (INDICATOR | --all-frequency) PERIOD --reason TEXT\n"
          "\n"
          "Close PERIOD for writing: of one indicator, or with --all-frequency of every\n"
          "indicator of PERIOD's frequency (2026-10: every monthly indicator). A value\n"
          "in a locked period changes only by an admin push with override_lock and a\n"
          "reason. Locking again changes nothing. Periods also lock by themselves some\n"
          "days after their due date (period_lock_settings.auto_lock_days, default 30).\n"
          "Needs an admin token.\n"
          "\n"
          "  --reason TEXT   why (required; kept in the audit trail)\n"
          "  e.g. rcictl admin lock air.good_days_rate 2026-10 --reason \"bulletin out\"\n"
          "\n"
          "Exit status: 0 on success; 1 on an error status (a period that does not\n"
          "fit the indicator's frequency INVALID_ARGUMENT, an unknown indicator\n"
          "NOT_FOUND, an agency token PERMISSION_DENIED); 3 if it cannot connect; 2\n"
          "on a usage error; 130 if interrupted.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

/* ---- dates and times ------------------------------------------------------------------ */

static const char *const weekdays[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                       "Friday", "Saturday", "Sunday"};

/* Weekday name of a date's days since 1970-01-01 (a Thursday). */
static const char *weekday_of(long long days)
{
    return weekdays[((days + 3) % 7 + 7) % 7];
}

/* Today's date in China Standard Time as "YYYY-MM-DD". */
static void today_cst(char buf[16])
{
    long long days = ((long long)time(NULL) + 8 * 3600) / 86400;
    int y, m, d;
    rcictl_civil_from_days(days, &y, &m, &d);
    snprintf(buf, 16, "%04d-%02d-%02d", y, m, d);
}

/* ---- completeness ------------------------------------------------------------------- */

/* What a report's STATUS says; today is "YYYY-MM-DD" (CST). */
static const char *report_status(const Rci__V1__ReportStatus *r, const char *today)
{
    if (r->first_reported_at)
        return r->on_time ? "on time" : "late";
    return strcmp(today, r->due_date) > 0 ? "missing" : "pending";
}

static int report_selected(const Rci__V1__ReportStatus *r, int late, int missing)
{
    if (!late && !missing)
        return 1;
    if (r->first_reported_at)
        return late && !r->on_time;
    return missing;
}

static void completeness_json(const Rci__V1__GetCompletenessResponse *resp, const char *period,
                              const char *today, int late, int missing)
{
    fputs("{\"period\": ", stdout);
    rcictl_json_string(stdout, period);
    fputs(", \"due_date\": ", stdout);
    rcictl_json_string(stdout, resp->n_reports ? resp->reports[0]->due_date : "");
    printf(", \"expected\": %d, \"reported\": %d, \"on_time\": %d, \"reports\": [",
           (int)resp->expected, (int)resp->reported, (int)resp->on_time);
    int shown = 0;
    for (size_t i = 0; i < resp->n_reports; i++) {
        const Rci__V1__ReportStatus *r = resp->reports[i];
        if (!report_selected(r, late, missing))
            continue;
        char at[48];
        fputs(shown++ ? ",\n  {\"agency_code\": " : "\n  {\"agency_code\": ", stdout);
        rcictl_json_string(stdout, r->agency_code);
        fputs(", \"city_code\": ", stdout);
        rcictl_json_string(stdout, r->city_code);
        fputs(", \"indicator\": ", stdout);
        rcictl_json_string(stdout, r->indicator);
        fputs(", \"period\": ", stdout);
        rcictl_json_string(stdout, r->period);
        fputs(", \"due_date\": ", stdout);
        rcictl_json_string(stdout, r->due_date);
        fputs(", \"first_reported_at\": ", stdout);
        if (r->first_reported_at)
            rcictl_json_string(stdout, rcictl_cst(r->first_reported_at, 0, at));
        else
            fputs("null", stdout);
        printf(", \"on_time\": %s, \"status\": ", r->on_time ? "true" : "false");
        rcictl_json_string(stdout, report_status(r, today));
        fputc('}', stdout);
    }
    fputs(shown ? "\n]}\n" : "]}\n", stdout);
}

static int completeness_table(const rcictl *ctx, const Rci__V1__GetCompletenessResponse *resp,
                              const char *today, int late, int missing)
{
    static const char *const headers[] = {"AGENCY", "CITY", "INDICATOR", "DUE", "REPORTED",
                                          "STATUS"};
    static const char *const csv_keys[] = {"agency_code", "city_code", "indicator", "period",
                                           "due_date", "first_reported_at", "status"};
    int csv = ctx->format == RCICTL_FORMAT_CSV;
    rcictl_table *t = rcictl_table_new(csv ? 7 : 6, csv ? csv_keys : headers, csv_keys);
    if (!t)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < resp->n_reports && rc == 0; i++) {
        const Rci__V1__ReportStatus *r = resp->reports[i];
        if (!report_selected(r, late, missing))
            continue;
        char at[48];
        const char *st = report_status(r, today);
        if (csv) {
            const char *row[] = {r->agency_code, r->city_code, r->indicator, r->period,
                                 r->due_date, rcictl_cst(r->first_reported_at, 0, at), st};
            rc = rcictl_table_add(t, row);
        } else {
            const char *row[] = {r->agency_code, r->city_code, r->indicator, r->due_date,
                                 r->first_reported_at ? rcictl_cst(r->first_reported_at, 0, at) : "-", st};
            rc = rcictl_table_add(t, row);
        }
    }
    if (rc == 0)
        rcictl_table_print(t, ctx->format, stdout);
    rcictl_table_free(t);
    return rc;
}

int rcictl_cmd_completeness(rcictl *ctx, int argc, char **argv)
{
    enum { O_AGENCY = 1, O_CITY, O_CIRCLE, O_LATE, O_MISSING };
    static const rcictl_option opts[] = {
        {"agency", 1, O_AGENCY}, {"city", 1, O_CITY}, {"circle", 1, O_CIRCLE},
        {"late", 0, O_LATE},     {"missing", 0, O_MISSING}, {NULL, 0, 0}};
    Rci__V1__GetCompletenessRequest req = RCI__V1__GET_COMPLETENESS_REQUEST__INIT;
    int late = 0, missing = 0;
    const char *period = NULL;
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
            if (period)
                return rcictl_usage_error("completeness", "unexpected argument \"%s\"", value);
            period = value;
            continue;
        }
        switch (id) {
        case RCICTL_OPT_HELP:
            completeness_help(stdout);
            return RCICTL_EXIT_OK;
        case O_AGENCY:
            req.agency_code = (char *)value;
            break;
        case O_CITY:
            req.city_code = (char *)value;
            break;
        case O_CIRCLE:
            req.circle = (char *)value;
            break;
        case O_LATE:
            late = 1;
            break;
        case O_MISSING:
            missing = 1;
            break;
        }
    }
    if (!period)
        return rcictl_usage_error("completeness", "which period? e.g. rcictl completeness 2026-10");
    req.period = (char *)period;
    ProtobufCMessage *m;
    int rc = rcictl_unary(ctx, GET_COMPLETENESS_PATH, &req.base,
                   &rci__v1__get_completeness_response__descriptor, &m);
    if (!m)
        return rc;
    const Rci__V1__GetCompletenessResponse *resp = (const Rci__V1__GetCompletenessResponse *)m;
    char today[16];
    today_cst(today);
    if (ctx->format == RCICTL_FORMAT_JSON) {
        completeness_json(resp, period, today, late, missing);
    } else if (completeness_table(ctx, resp, today, late, missing) < 0) {
        fputs("rcictl: out of memory\n", stderr);
        rc = RCICTL_EXIT_RPC;
    } else if (ctx->format == RCICTL_FORMAT_TABLE) {
        int pending = 0;
        for (size_t k = 0; k < resp->n_reports; k++)
            pending += !resp->reports[k]->first_reported_at &&
                       strcmp(today, resp->reports[k]->due_date) <= 0;
        int notin = resp->expected - resp->reported;
        printf("%s: %d expected, %d reported (%d on time, %d late), %d missing",
               period, (int)resp->expected, (int)resp->reported, (int)resp->on_time,
               (int)(resp->reported - resp->on_time), notin - pending);
        if (pending)
            printf(", %d pending", pending);
        if (resp->n_reports)
            printf("; due %s", resp->reports[0]->due_date);
        putchar('\n');
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* ---- admin calendar -------------------------------------------------------------------- */

static int calendar_list(rcictl *ctx, int argc, char **argv)
{
    Rci__V1__ListCalendarDaysRequest req = RCI__V1__LIST_CALENDAR_DAYS_REQUEST__INIT;
    int have_year = 0, i = 1;
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, NULL, &id, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_OPTION) {          /* only --help reaches here */
            calendar_help(stdout);
            return RCICTL_EXIT_OK;
        }
        int y;
        if (have_year || strlen(value) != 4 || strspn(value, "0123456789") != 4)
            return rcictl_usage_error("admin calendar", "list takes a year, e.g. 2026, not \"%s\"",
                                      value);
        y = atoi(value);
        req.year = y;
        have_year = 1;
    }
    ProtobufCMessage *m;
    int rc = rcictl_unary(ctx, LIST_CALENDAR_DAYS_PATH, &req.base,
                   &rci__v1__list_calendar_days_response__descriptor, &m);
    if (!m)
        return rc;
    const Rci__V1__ListCalendarDaysResponse *resp = (const Rci__V1__ListCalendarDaysResponse *)m;
    static const char *const headers[] = {"DATE", "WEEKDAY", "KIND", "NAME"};
    static const char *const keys[] = {"date", "weekday", "working", "name"};
    int text = ctx->format == RCICTL_FORMAT_TABLE;
    rcictl_table *t = rcictl_table_new(4, headers, keys);
    int bad = !t;
    for (size_t k = 0; k < resp->n_days && !bad; k++) {
        const Rci__V1__CalendarDay *d = resp->days[k];
        long long days;
        const char *kind = text ? (d->working ? "make-up working day" : "holiday")
                                : (d->working ? "true" : "false");
        const char *row[] = {d->date, rcictl_parse_date(d->date, &days) == 0 ? weekday_of(days) : "?",
                             kind, d->name};
        bad = rcictl_table_add(t, row) < 0;
    }
    if (bad) {
        fputs("rcictl: out of memory\n", stderr);
        rc = RCICTL_EXIT_RPC;
    } else {
        rcictl_table_print(t, ctx->format, stdout);
    }
    rcictl_table_free(t);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* The days of one call: dates as text, kept with their kind. */
typedef struct day_list {
    char (*date)[11];
    int *working;
    size_t n;
} day_list;

/* Add DATE or DATE..DATE (holiday) or DATE (workday). Returns 0, or a usage
 * error's exit status. */
static int day_list_add(day_list *l, const char *arg, int working)
{
    const char *opt = working ? "--workday" : "--holiday";
    const char *dots = strstr(arg, "..");
    char a[16] = "", b[16] = "";
    size_t alen = dots ? (size_t)(dots - arg) : strlen(arg);
    if (alen < sizeof a)
        memcpy(a, arg, alen);
    if (dots && strlen(dots + 2) < sizeof b)
        strcpy(b, dots + 2);
    long long from, to;
    if (alen >= sizeof a || rcictl_parse_date(a, &from) < 0 ||
        (dots ? rcictl_parse_date(b, &to) < 0 : (to = from, 0)))
        return rcictl_usage_error("admin calendar", "%s wants %s, not \"%s\"", opt,
                                  working ? "a date such as 2027-09-26"
                                          : "a date or a range such as 2027-10-01..2027-10-07",
                                  arg);
    if (working && dots)
        return rcictl_usage_error("admin calendar", "--workday takes one date, not a range");
    if (to < from)
        return rcictl_usage_error("admin calendar", "%s %s: the range ends before it starts", opt,
                                  arg);
    if (to - from + 1 > (long long)(CALENDAR_PUT_MAX - l->n))
        return rcictl_usage_error("admin calendar", "at most %d days in one call",
                                  CALENDAR_PUT_MAX);
    for (long long dd = from; dd <= to; dd++) {
        int y, m, d;
        rcictl_civil_from_days(dd, &y, &m, &d);
        snprintf(l->date[l->n], sizeof l->date[l->n], "%04d-%02d-%02d", y, m, d);
        l->working[l->n++] = working;
    }
    return 0;
}

static int calendar_put(rcictl *ctx, int argc, char **argv)
{
    enum { O_HOLIDAY = 1, O_WORKDAY, O_NAME };
    static const rcictl_option opts[] = {
        {"holiday", 1, O_HOLIDAY}, {"workday", 1, O_WORKDAY}, {"name", 1, O_NAME}, {NULL, 0, 0}};
    day_list l = {malloc(CALENDAR_PUT_MAX * sizeof *l.date),
                  malloc(CALENDAR_PUT_MAX * sizeof *l.working), 0};
    Rci__V1__CalendarDay *days = calloc(CALENDAR_PUT_MAX, sizeof *days);
    Rci__V1__CalendarDay **ptrs = calloc(CALENDAR_PUT_MAX, sizeof *ptrs);
    const char *name = "";
    int rc = RCICTL_EXIT_OK, i = 1;
    if (!l.date || !l.working || !days || !ptrs) {
        fputs("rcictl: out of memory\n", stderr);
        rc = RCICTL_EXIT_RPC;
        goto out;
    }
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, opts, &id, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR) {
            rc = RCICTL_EXIT_USAGE;
            goto out;
        }
        if (r == RCICTL_ARG_POSITIONAL) {
            rc = rcictl_usage_error("admin calendar", "unexpected argument \"%s\" (use --holiday "
                                    "or --workday)", value);
            goto out;
        }
        if (id == RCICTL_OPT_HELP) {
            calendar_help(stdout);
            goto out;
        }
        if (id == O_NAME) {
            name = value;
            continue;
        }
        if ((rc = day_list_add(&l, value, id == O_WORKDAY)) != 0)
            goto out;
    }
    if (l.n == 0) {
        rc = rcictl_usage_error("admin calendar", "put needs --holiday or --workday");
        goto out;
    }
    for (size_t k = 0; k < l.n; k++) {
        rci__v1__calendar_day__init(&days[k]);
        days[k].date = l.date[k];
        days[k].working = l.working[k];
        days[k].name = (char *)name;
        ptrs[k] = &days[k];
    }
    Rci__V1__PutCalendarDaysRequest req = RCI__V1__PUT_CALENDAR_DAYS_REQUEST__INIT;
    req.n_days = l.n;
    req.days = ptrs;
    ProtobufCMessage *m;
    rc = rcictl_unary(ctx, PUT_CALENDAR_DAYS_PATH, &req.base,
               &rci__v1__put_calendar_days_response__descriptor, &m);
    if (m) {
        const Rci__V1__PutCalendarDaysResponse *resp = (const Rci__V1__PutCalendarDaysResponse *)m;
        printf("%d of %zu day%s written (the others were already so)\n", (int)resp->written, l.n,
               l.n == 1 ? "" : "s");
        protobuf_c_message_free_unpacked(m, NULL);
    }
out:
    free(ptrs);
    free(days);
    free(l.working);
    free(l.date);
    return rc;
}

int rcictl_admin_calendar(rcictl *ctx, int argc, char **argv)
{
    int i = 1;
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, NULL, &id, &value);
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_END)
            return rcictl_usage_error("admin calendar", "which one: list or put?");
        if (r == RCICTL_ARG_OPTION) {          /* only --help reaches here */
            calendar_help(stdout);
            return RCICTL_EXIT_OK;
        }
        if (strcmp(value, "list") == 0)
            return calendar_list(ctx, argc - (i - 1), argv + (i - 1));
        if (strcmp(value, "put") == 0)
            return calendar_put(ctx, argc - (i - 1), argv + (i - 1));
        return rcictl_usage_error("admin calendar", "unknown calendar command \"%s\" (list or put)",
                                  value);
    }
}

/* ---- admin lock ------------------------------------------------------------------------ */

int rcictl_admin_lock(rcictl *ctx, int argc, char **argv)
{
    enum { O_ALL = 1, O_REASON };
    static const rcictl_option opts[] = {
        {"all-frequency", 0, O_ALL}, {"reason", 1, O_REASON}, {NULL, 0, 0}};
    const char *args[2];
    int nargs = 0, all = 0, i = 1;
    const char *reason = NULL;
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, opts, &id, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_POSITIONAL) {
            if (nargs == 2)
                return rcictl_usage_error("admin lock", "unexpected argument \"%s\"", value);
            args[nargs++] = value;
            continue;
        }
        if (id == RCICTL_OPT_HELP) {
            lock_help(stdout);
            return RCICTL_EXIT_OK;
        }
        if (id == O_ALL)
            all = 1;
        else
            reason = value;
    }
    if (nargs != (all ? 1 : 2))
        return rcictl_usage_error("admin lock", all ? "--all-frequency takes PERIOD alone, e.g. "
                                                      "--all-frequency 2026-10"
                                                    : "lock takes INDICATOR PERIOD (or "
                                                      "--all-frequency PERIOD)");
    if (!reason || !*reason)
        return rcictl_usage_error("admin lock", "--reason is required");
    Rci__V1__LockPeriodRequest req = RCI__V1__LOCK_PERIOD_REQUEST__INIT;
    req.indicator_code = all ? (char *)"" : (char *)args[0];
    req.period = (char *)args[all ? 0 : 1];
    req.reason = (char *)reason;
    ProtobufCMessage *m;
    int rc = rcictl_unary(ctx, LOCK_PERIOD_PATH, &req.base, &rci__v1__lock_period_response__descriptor,
                   &m);
    if (m) {
        if (all)
            printf("locked %s for every indicator of its frequency\n", req.period);
        else
            printf("locked %s %s\n", req.indicator_code, req.period);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    return rc;
}
