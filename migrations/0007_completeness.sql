-- 0007_completeness: due dates in SQL, and periods that lock by themselves.
--
-- Issue 3: monthly values are due 3 working days after the month ends
-- (Heyuan seed), quarterly, half-yearly and yearly values likewise, daily
-- values 1 working day after their day; working days skip weekends and the
-- holidays of calendar_days (0005) and include its make-up working days.
-- Periods lock automatically N days after their due date.
--
-- The due date is computed twice, on purpose: in C by the pure calendar
-- module (services/indicators/calendar.c), which GetCompleteness uses, and
-- here by rci_due_date, which the push path uses to decide whether a period
-- has locked itself. tests/integration/test_completeness.py checks the two
-- against each other on the reference dates.
--
-- period_lock_settings   the one row of settings: auto_lock_days
-- rci_cst_date           an instant's calendar date in China Standard Time
-- rci_period_end         the last day of a period, from its text
-- rci_due_working_days   3, or 1 for daily periods
-- rci_due_date           the n-th working day after a date
-- rci_period_due_date    a period's due date
-- rci_period_auto_locked whether a period has locked itself
--
-- Dates and "today" are China Standard Time (DESIGN §6).

-- Auto-lock: a period of an indicator locks itself once auto_lock_days whole
-- days have passed after its due date, that is from 00:00 CST of the day
-- due_date + auto_lock_days + 1 on. With 0 the period locks the moment its
-- due date is over; NULL turns automatic locks off (admin locks through
-- AdminService.LockPeriod stay). A locked cell changes only with an admin
-- override and a reason (PushValues.override_lock).
--
-- Default 30. rcid has no flag for it: change it in the database, e.g.
--   UPDATE period_lock_settings SET auto_lock_days = 60;
--   UPDATE period_lock_settings SET auto_lock_days = NULL;   -- off
-- It takes effect with the next push; nothing in rcid caches it.
CREATE TABLE period_lock_settings (
    only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    auto_lock_days int DEFAULT 30 CHECK (auto_lock_days BETWEEN 0 AND 36500),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO period_lock_settings DEFAULT VALUES;

-- The calendar date of an instant in China Standard Time (UTC+8 all year:
-- no daylight saving since 1991), without depending on the server's time
-- zone data.
CREATE FUNCTION rci_cst_date(p_at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ((p_at AT TIME ZONE 'UTC') + interval '8 hours')::date
$$;

-- The last day of a period written as its frequency writes it (period.h):
-- daily 2024-05-17, monthly 2024-05, quarterly 2024-Q2, half_yearly
-- 2024-H1, yearly 2024; years 1900..2999. NULL for anything else (a period
-- that does not fit its frequency is validation's business, not this one's).
CREATE FUNCTION rci_period_end(p_frequency text, p_period text) RETURNS date
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    y int;
    m int;
    d int;
    last date;
BEGIN
    IF p_period IS NULL OR p_period !~ '^(19|2[0-9])[0-9]{2}' THEN
        RETURN NULL;
    END IF;
    y := substr(p_period, 1, 4)::int;
    CASE p_frequency
    WHEN 'yearly' THEN
        IF p_period !~ '^[0-9]{4}$' THEN RETURN NULL; END IF;
        m := 12;
    WHEN 'half_yearly' THEN
        IF p_period !~ '^[0-9]{4}-H[12]$' THEN RETURN NULL; END IF;
        m := 6 * substr(p_period, 7, 1)::int;
    WHEN 'quarterly' THEN
        IF p_period !~ '^[0-9]{4}-Q[1-4]$' THEN RETURN NULL; END IF;
        m := 3 * substr(p_period, 7, 1)::int;
    WHEN 'monthly' THEN
        IF p_period !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN RETURN NULL; END IF;
        m := substr(p_period, 6, 2)::int;
    WHEN 'daily' THEN
        IF p_period !~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' THEN
            RETURN NULL;
        END IF;
        m := substr(p_period, 6, 2)::int;
        d := substr(p_period, 9, 2)::int;
    ELSE
        RETURN NULL;
    END CASE;
    last := (make_date(y, m, 1) + interval '1 month' - interval '1 day')::date;
    IF d IS NULL THEN
        RETURN last;
    END IF;
    IF d > extract(day FROM last) THEN
        RETURN NULL;
    END IF;
    RETURN make_date(y, m, d);
END
$$;

-- Working days between a period's end and its due date: 1 for a day, 3 for
-- every longer period (calendar.h RCI_CAL_DUE_DAILY / RCI_CAL_DUE_MONTHLY).
CREATE FUNCTION rci_due_working_days(p_frequency text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_frequency = 'daily' THEN 1 ELSE 3 END
$$;

-- The p_working_days-th working day strictly after p_period_end (the day
-- itself for 0; NULL for a negative count). A day is a working day Monday
-- to Friday unless calendar_days lists it as a holiday, and on a Saturday or
-- Sunday only if calendar_days lists it as a make-up working day: the rule
-- of rci_cal_add_working_days (calendar.c). So 2020-01-31 → 2020-02-05,
-- 2023-09-30 → 2023-10-09, 2025-04-30 → 2025-05-08, 2026-02-28 → 2026-03-04.
--
-- The special days of a window after the end are read in one query (the
-- window doubles in the never-seen case of a holiday stretch longer than
-- it), then the days are stepped through in memory: about 30 µs a call.
CREATE FUNCTION rci_due_date(p_period_end date, p_working_days int DEFAULT 3) RETURNS date
LANGUAGE plpgsql STABLE STRICT AS $$
DECLARE
    span int := 2 * p_working_days + 31;   -- days after the end read so far
    days date[];                           -- calendar_days in the window, sorted
    flags boolean[];
    n int;
    i int;
    d date := p_period_end;
    togo int := p_working_days;
    working boolean;
BEGIN
    IF p_working_days < 0 THEN
        RETURN NULL;
    END IF;
    LOOP
        IF days IS NULL OR d - p_period_end >= span THEN
            IF days IS NOT NULL THEN
                IF span > 1000000 THEN
                    RETURN NULL;
                END IF;
                span := span * 2;
            END IF;
            SELECT coalesce(array_agg(c.day ORDER BY c.day), '{}'),
                   coalesce(array_agg(c.working ORDER BY c.day), '{}')
              INTO days, flags
              FROM calendar_days c
             WHERE c.day > d AND c.day <= p_period_end + span;
            n := cardinality(days);
            i := 1;
        END IF;
        EXIT WHEN togo = 0;
        d := d + 1;
        WHILE i <= n AND days[i] < d LOOP
            i := i + 1;
        END LOOP;
        IF i <= n AND days[i] = d THEN
            working := flags[i];
        ELSE
            working := extract(isodow FROM d) < 6;
        END IF;
        IF working THEN
            togo := togo - 1;
        END IF;
    END LOOP;
    RETURN d;
END
$$;

-- The due date of a period of a frequency; NULL if the text does not fit.
CREATE FUNCTION rci_period_due_date(p_frequency text, p_period text) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT rci_due_date(rci_period_end(p_frequency, p_period), rci_due_working_days(p_frequency))
$$;

-- Whether period p_period of indicator p_indicator has locked itself: CST
-- today is more than auto_lock_days after its due date (see
-- period_lock_settings). False when automatic locks are off, the indicator
-- is unknown or the period does not fit its frequency (validation reports
-- those). Admin locks (period_locks) are not this function's business:
-- the push path asks both.
--
-- Cheap for recent periods: the due date is at least n calendar days after
-- the end (n working days), so a period whose end + n + auto_lock_days has
-- not passed is open without consulting the calendar. Call it once per
-- distinct (indicator, period) of a batch, not once per row.
CREATE FUNCTION rci_period_auto_locked(p_indicator text, p_period text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce((
        SELECT CASE
                 WHEN s.auto_lock_days IS NULL OR e.last IS NULL THEN false
                 WHEN rci_cst_date(now()) <= e.last + w.n + s.auto_lock_days THEN false
                 ELSE rci_cst_date(now()) > rci_due_date(e.last, w.n) + s.auto_lock_days
               END
          FROM indicators i
         CROSS JOIN period_lock_settings s
         CROSS JOIN LATERAL (SELECT rci_period_end(i.frequency, p_period) AS last) e
         CROSS JOIN LATERAL (SELECT rci_due_working_days(i.frequency) AS n) w
         WHERE i.code = p_indicator), false)
$$;

-- The lock predicate of 0004, widened: a period is also locked once it has
-- locked itself (rci_period_auto_locked). Push, its dry run and the push
-- prepare query all go through rci_period_locked.
CREATE OR REPLACE FUNCTION rci_period_locked(p_indicator text, p_period text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM period_locks l JOIN indicators i ON i.code = p_indicator
         WHERE l.period = p_period AND l.frequency = i.frequency
           AND (l.indicator_code IS NULL OR l.indicator_code = p_indicator))
        OR rci_period_auto_locked(p_indicator, p_period)
$$;
