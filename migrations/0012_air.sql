-- 0012_air: daily air-quality data of the cities (issue 4, DESIGN §2 item 3).
--
-- air_batches       one per accepted PushAirDays: who, when, why
-- air_days          the current concentrations of each (city, day)
-- air_day_revisions every version a day ever had; nothing is overwritten
-- air_requests      idempotency: (agency, request id) → the first answer
-- rci_air_write     the write half of PushAirDays, in one statement
--
-- Concentrations are stored as given (normalised decimals; NULL = not
-- measured), in µg/m³, CO in mg/m³. The AQI, IAQIs, category and primary
-- pollutants are computed on read by services/air/aqi.c from these
-- concentrations and the day's date (HJ 633-2012 before 2026-03-01, HJ
-- 633-2026 from then on): the rules live in one place, and a correction of
-- the rules changes every answer without rewriting rows. Each revision also
-- keeps the AQI that the same code computed when it was written (aqi, NULL
-- when not published), a record of what the alerts were decided on.
--
-- Publishing: the write also republishes, for every (city, month) it
-- touches, the month's good-day rate and PM2.5 mean as indicator values
-- (air.good_days_rate, air.pm25_mean) through rci_push_write (0004/0008),
-- in the same transaction, as a batch of their own whose request id is
-- 'air ' || the air request id (PushValues refuses spaces in request ids,
-- so the two never collide). The figures are computed in C by the AQI
-- module and passed in. They are derived from the days, which carry their
-- own revisions, so they are written with override_lock: a correction of a
-- day in a locked month still updates the month's figures, and the batch
-- says so (override_lock true, reason naming the air request).
--
-- Concurrency: the caller computed the month figures and the alert
-- decisions from the days it read (the prepare query). It passes, per
-- touched (city, month), the largest rev_seq it saw; the write takes an
-- advisory lock per (city, month) in key order and answers 'stale' (nothing
-- written; the caller starts over) if a month changed since.

CREATE SEQUENCE air_rev_seq;

CREATE TABLE air_batches (
    id            bigserial PRIMARY KEY,
    agency_code   text NOT NULL REFERENCES agencies (code),
    token_id      bigint REFERENCES tokens (id),
    request_id    text NOT NULL,
    reason        text NOT NULL DEFAULT '',
    peer          text NOT NULL DEFAULT '',
    value_batch_id bigint REFERENCES batches (id),   -- the published indicator values
    committed_at  timestamptz NOT NULL
);

CREATE TABLE air_days (
    city_code    text NOT NULL REFERENCES regions (code),
    day          date NOT NULL,
    revision     int NOT NULL CHECK (revision >= 1),
    so2          numeric CHECK (so2 >= 0),       -- 24-hour mean, µg/m³
    no2          numeric CHECK (no2 >= 0),       -- 24-hour mean, µg/m³
    pm10         numeric CHECK (pm10 >= 0),      -- 24-hour mean, µg/m³
    co           numeric CHECK (co >= 0),        -- 24-hour mean, mg/m³
    o3_1h        numeric CHECK (o3_1h >= 0),     -- daily max 1-hour, µg/m³
    o3_8h        numeric CHECK (o3_8h >= 0),     -- daily max 8-hour moving mean, µg/m³
    pm25         numeric CHECK (pm25 >= 0),      -- 24-hour mean, µg/m³
    note         text NOT NULL DEFAULT '',
    aqi          int,
    rev_seq      bigint NOT NULL,                -- from air_rev_seq, new on every change
    air_batch_id bigint NOT NULL REFERENCES air_batches (id),
    first_air_batch_id bigint NOT NULL REFERENCES air_batches (id),
    PRIMARY KEY (city_code, day)
);

CREATE TABLE air_day_revisions (
    city_code    text NOT NULL,
    day          date NOT NULL,
    revision     int NOT NULL,
    so2          numeric, no2 numeric, pm10 numeric, co numeric,
    o3_1h        numeric, o3_8h numeric, pm25 numeric,
    note         text NOT NULL DEFAULT '',
    aqi          int,
    air_batch_id bigint NOT NULL REFERENCES air_batches (id),
    PRIMARY KEY (city_code, day, revision),
    FOREIGN KEY (city_code, day) REFERENCES air_days
);

CREATE TABLE air_requests (
    agency_code    text NOT NULL REFERENCES agencies (code),
    request_id     text NOT NULL,
    content_sha256 bytea NOT NULL,
    air_batch_id   bigint REFERENCES air_batches (id),
    written        int NOT NULL DEFAULT 0,
    unchanged      int NOT NULL DEFAULT 0,
    alerts_raised  int NOT NULL DEFAULT 0,
    values_written int NOT NULL DEFAULT 0,
    committed_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_code, request_id)
);
CREATE INDEX air_requests_created ON air_requests (created_at);

-- The advisory lock of one city's month (any stable 64-bit key).
CREATE FUNCTION rci_air_month_key(p_city text, p_month text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended('rci.air ' || p_city || ' ' || p_month, 0) $$;

-- rci_air_write: the write half of PushAirDays. The caller
-- (services/air/push.c) has checked the token, the scope and every row.
--
--   p_months  [{"city","month","seq"}]: every (city, month) touched, with the
--             largest rev_seq of its days the caller saw (0: none)
--   p_days    [{"city","day","so2",…,"pm25","note","aqi"}]: concentrations as
--             decimal text or null
--   p_values  [{"indicator","region","period","end","value","note"}]: the
--             month figures to publish
--   p_alerts  [{"city","day","severity","subject","message","detail"}]: the
--             heavy-pollution days, raised if their day is written
--
-- Returns one row: status 'ok' | 'replay' | 'conflict' | 'stale', with the
-- counts for 'ok' and 'replay'.
CREATE FUNCTION rci_air_write(
    p_agency text, p_token bigint, p_request_id text, p_hash bytea, p_reason text,
    p_peer text, p_months jsonb, p_days jsonb, p_values jsonb, p_alerts jsonb,
    OUT status text, OUT written int, OUT unchanged int, OUT alerts_raised int,
    OUT values_written int, OUT committed_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    m record;
    a record;
    prior air_requests%ROWTYPE;
    v_batch bigint;
    v_seq bigint;
    v_written text[];
    v_cities text[];
    v_values jsonb;
    pw record;
    n int := jsonb_array_length(p_days);
BEGIN
    -- One writer per city-month at a time, in key order (no deadlocks).
    FOR m IN SELECT t.city, t.month, t.seq
               FROM jsonb_to_recordset(p_months) AS t (city text, month text, seq bigint)
              ORDER BY t.city, t.month LOOP
        PERFORM pg_advisory_xact_lock(rci_air_month_key(m.city, m.month));
    END LOOP;

    -- Idempotency, now that an earlier push of the same days has committed.
    SELECT * INTO prior FROM air_requests r
     WHERE r.agency_code = p_agency AND r.request_id = p_request_id;
    IF FOUND THEN
        IF prior.content_sha256 <> p_hash THEN
            status := 'conflict';
            RETURN;
        END IF;
        status := 'replay';
        written := prior.written;
        unchanged := prior.unchanged;
        alerts_raised := prior.alerts_raised;
        values_written := prior.values_written;
        committed_at := prior.committed_at;
        RETURN;
    END IF;

    -- The months must be as the caller read them.
    FOR m IN SELECT t.city, t.month, t.seq
               FROM jsonb_to_recordset(p_months) AS t (city text, month text, seq bigint) LOOP
        SELECT coalesce(max(d.rev_seq), 0) INTO v_seq FROM air_days d
         WHERE d.city_code = m.city
           AND d.day >= (m.month || '-01')::date
           AND d.day < (m.month || '-01')::date + interval '1 month';
        IF v_seq <> m.seq THEN
            status := 'stale';
            RETURN;
        END IF;
    END LOOP;

    -- A concurrent push with the same id but other months waits here on the
    -- primary key until the first commits.
    INSERT INTO air_requests (agency_code, request_id, content_sha256)
    VALUES (p_agency, p_request_id, p_hash)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        status := 'conflict';
        RETURN;
    END IF;

    INSERT INTO air_batches (agency_code, token_id, request_id, reason, peer, committed_at)
    VALUES (p_agency, p_token, p_request_id, p_reason, p_peer, now())
    RETURNING id INTO v_batch;

    -- Days in key order; a day changes only if a concentration or the note
    -- differs (numerically: 35 equals 35.0).
    WITH input AS (
        SELECT * FROM jsonb_to_recordset(p_days)
                 AS t (city text, day date, so2 numeric, no2 numeric, pm10 numeric,
                       co numeric, o3_1h numeric, o3_8h numeric, pm25 numeric, note text,
                       aqi int)
        ORDER BY city, day
    ), up AS (
        INSERT INTO air_days AS d (city_code, day, revision, so2, no2, pm10, co, o3_1h, o3_8h,
                                   pm25, note, aqi, rev_seq, air_batch_id, first_air_batch_id)
        SELECT city, day, 1, so2, no2, pm10, co, o3_1h, o3_8h, pm25, coalesce(note, ''), aqi,
               nextval('air_rev_seq'), v_batch, v_batch
          FROM input
        ON CONFLICT (city_code, day) DO UPDATE
           SET revision = d.revision + 1, so2 = EXCLUDED.so2, no2 = EXCLUDED.no2,
               pm10 = EXCLUDED.pm10, co = EXCLUDED.co, o3_1h = EXCLUDED.o3_1h,
               o3_8h = EXCLUDED.o3_8h, pm25 = EXCLUDED.pm25, note = EXCLUDED.note,
               aqi = EXCLUDED.aqi, rev_seq = EXCLUDED.rev_seq, air_batch_id = EXCLUDED.air_batch_id
         WHERE (d.so2, d.no2, d.pm10, d.co, d.o3_1h, d.o3_8h, d.pm25, d.note)
               IS DISTINCT FROM (EXCLUDED.so2, EXCLUDED.no2, EXCLUDED.pm10, EXCLUDED.co,
                                 EXCLUDED.o3_1h, EXCLUDED.o3_8h, EXCLUDED.pm25, EXCLUDED.note)
        RETURNING d.*
    ), rev AS (
        INSERT INTO air_day_revisions (city_code, day, revision, so2, no2, pm10, co, o3_1h,
                                       o3_8h, pm25, note, aqi, air_batch_id)
        SELECT city_code, day, revision, so2, no2, pm10, co, o3_1h, o3_8h, pm25, note, aqi,
               v_batch
          FROM up
        RETURNING city_code || ' ' || day::text AS k
    )
    SELECT coalesce(array_agg(k), '{}') INTO v_written FROM rev;
    written := cardinality(v_written);
    unchanged := n - written;

    -- The month figures, as indicator values (takes the commit-order lock).
    -- Only those that differ from the current value and note are passed on,
    -- so a push that changes no figure makes no empty indicator batch.
    SELECT coalesce(jsonb_agg(x), '[]') INTO v_values
      FROM jsonb_array_elements(p_values) x
     WHERE NOT EXISTS (SELECT 1 FROM cells c
                        WHERE c.indicator_code = x->>'indicator' AND c.region_code = x->>'region'
                          AND c.period = x->>'period' AND c.value = (x->>'value')::numeric
                          AND c.note = x->>'note');
    values_written := 0;
    IF jsonb_array_length(v_values) > 0 THEN
        SELECT * INTO pw
          FROM rci_push_write(
                 p_agency, p_token, 'air ' || p_request_id, p_hash,
                 'published from air days (PushAirDays ' || p_request_id || ')', true, p_peer,
                 'infinity',
                 ARRAY(SELECT x->>'indicator' FROM jsonb_array_elements(v_values) x),
                 ARRAY(SELECT x->>'region' FROM jsonb_array_elements(v_values) x),
                 ARRAY(SELECT x->>'period' FROM jsonb_array_elements(v_values) x),
                 ARRAY(SELECT (x->>'end')::date FROM jsonb_array_elements(v_values) x),
                 ARRAY(SELECT (x->>'value')::numeric FROM jsonb_array_elements(v_values) x),
                 ARRAY(SELECT x->>'note' FROM jsonb_array_elements(v_values) x));
        IF pw.status <> 'ok' THEN
            RAISE EXCEPTION 'publishing the month figures of air request % failed: %',
                p_request_id, pw.status;
        END IF;
        values_written := pw.written;
        committed_at := pw.committed_at;
        UPDATE air_batches SET value_batch_id = pw.batch_id WHERE id = v_batch;
    ELSE
        PERFORM pg_advisory_xact_lock(rci_commit_lock_key());
        committed_at := clock_timestamp();
    END IF;
    UPDATE air_batches SET committed_at = rci_air_write.committed_at WHERE id = v_batch;

    SELECT count(*) INTO alerts_raised
      FROM jsonb_to_recordset(p_alerts) AS t (city text, day date)
     WHERE t.city || ' ' || t.day::text = ANY (v_written);

    UPDATE air_requests r
       SET air_batch_id = v_batch, written = rci_air_write.written,
           unchanged = rci_air_write.unchanged, alerts_raised = rci_air_write.alerts_raised,
           values_written = rci_air_write.values_written,
           committed_at = rci_air_write.committed_at
     WHERE r.agency_code = p_agency AND r.request_id = p_request_id;

    PERFORM rci_audit(p_agency, p_token, 'air_push', p_request_id, p_peer,
                      jsonb_build_object('air_batch_id', v_batch, 'days', n,
                                         'written', written, 'unchanged', unchanged,
                                         'values_written', values_written,
                                         'alerts', alerts_raised, 'reason', p_reason));

    -- Last (0011): heavy-pollution alerts to the city and every city of its
    -- circles, for the days this push reported or changed.
    FOR a IN SELECT t.city, t.day, t.severity, t.subject, t.message, t.detail
               FROM jsonb_to_recordset(p_alerts)
                    AS t (city text, day date, severity text, subject text, message text,
                          detail jsonb)
              WHERE t.city || ' ' || t.day::text = ANY (v_written)
              ORDER BY t.city, t.day LOOP
        SELECT array_agg(DISTINCT c) INTO v_cities
          FROM (SELECT a.city AS c
                UNION
                SELECT o.city_code FROM circle_members s
                  JOIN circle_members o ON o.circle_code = s.circle_code
                 WHERE s.city_code = a.city) x;
        PERFORM rci_raise_alert('air.heavy_pollution', a.severity, v_cities, a.subject,
                                a.message, a.detail);
    END LOOP;
    status := 'ok';
END
$$;
