-- 0004_values: indicator values, every revision of them, and the batches
-- (one per accepted push) that wrote them.
--
-- cells       the current value of each (indicator, region, period)
-- revisions   every value a cell ever had; nothing is overwritten
-- batches     who wrote, when, why; committed_at orders the writes
-- push_requests  idempotency: (agency, request id) → the first answer
-- period_locks   periods closed for writing except by an admin override
--
-- As-of reads must be repeatable (DESIGN §6): the answer for an instant T
-- never changes once T has passed. A write's instant is therefore not the
-- start of its transaction but batches.committed_at, taken in rci_push_write
-- at the very end under an exclusive advisory lock held until commit, so
-- committed_at increases in commit order. A reader of instant T first takes
-- the same lock shared (rci_values_as_of), which waits out a writer in its
-- commit window; any writer after that gets a committed_at later than T.

CREATE TABLE batches (
    id            bigserial PRIMARY KEY,
    agency_code   text NOT NULL REFERENCES agencies (code),
    token_id      bigint REFERENCES tokens (id),
    request_id    text NOT NULL,
    reason        text NOT NULL DEFAULT '',
    override_lock boolean NOT NULL DEFAULT false,
    peer          text NOT NULL DEFAULT '',
    committed_at  timestamptz NOT NULL
);
CREATE INDEX batches_committed_at ON batches (committed_at);

CREATE TABLE cells (
    indicator_code text NOT NULL REFERENCES indicators (code),
    region_code    text NOT NULL REFERENCES regions (code),
    period         text NOT NULL,
    period_end     date NOT NULL,
    revision       int NOT NULL CHECK (revision >= 1),
    value          numeric NOT NULL,
    note           text NOT NULL DEFAULT '',
    batch_id       bigint NOT NULL REFERENCES batches (id),
    first_batch_id bigint NOT NULL REFERENCES batches (id),
    PRIMARY KEY (indicator_code, region_code, period)
);
CREATE INDEX cells_region ON cells (region_code, indicator_code, period);

CREATE TABLE revisions (
    indicator_code text NOT NULL,
    region_code    text NOT NULL,
    period         text NOT NULL,
    revision       int NOT NULL,
    value          numeric NOT NULL,
    note           text NOT NULL DEFAULT '',
    batch_id       bigint NOT NULL REFERENCES batches (id),
    PRIMARY KEY (indicator_code, region_code, period, revision),
    FOREIGN KEY (indicator_code, region_code, period) REFERENCES cells
);
CREATE INDEX revisions_batch ON revisions (batch_id);

CREATE TABLE push_requests (
    agency_code    text NOT NULL REFERENCES agencies (code),
    request_id     text NOT NULL,
    content_sha256 bytea NOT NULL,
    batch_id       bigint REFERENCES batches (id),
    written        int NOT NULL DEFAULT 0,
    unchanged      int NOT NULL DEFAULT 0,
    committed_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_code, request_id)
);
CREATE INDEX push_requests_created ON push_requests (created_at);

CREATE TABLE period_locks (
    id             bigserial PRIMARY KEY,
    indicator_code text REFERENCES indicators (code),   -- NULL: every indicator of frequency
    frequency      text NOT NULL,
    period         text NOT NULL,
    reason         text NOT NULL DEFAULT '',
    token_id       bigint REFERENCES tokens (id),
    locked_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX period_locks_key ON period_locks (coalesce(indicator_code, ''), frequency, period);

-- The lock that orders commits (any constant unique to this purpose).
CREATE FUNCTION rci_commit_lock_key() RETURNS bigint LANGUAGE sql IMMUTABLE
    AS $$ SELECT 7301440300::bigint $$;

-- rci_period_locked: the one predicate for "this period of this indicator
-- is locked", used by rci_push_write and by the check a validate-only push
-- runs (push.c), so a dry run finds every cell the real push would refuse.
-- Locked: an admin lock on that indicator's period, or on every indicator
-- of its frequency for that period. Later migrations may widen it (e.g.
-- automatic locks after the due date) with CREATE OR REPLACE. An unknown
-- indicator is not locked: validation reports it.
CREATE FUNCTION rci_period_locked(p_indicator text, p_period text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM period_locks l JOIN indicators i ON i.code = p_indicator
         WHERE l.period = p_period AND l.frequency = i.frequency
           AND (l.indicator_code IS NULL OR l.indicator_code = p_indicator))
$$;

-- rci_push_write: the write half of PushValues, in one statement so it is
-- atomic. The caller (services/indicators/push.c) has already checked the
-- token, the scope and every row against the definitions it read, which it
-- passes back as p_defs_at (the newest indicators.updated_at it saw): if a
-- definition changed since, nothing is written ('stale', retry).
--
-- Returns one row: status 'ok' | 'replay' | 'conflict' | 'locked' | 'stale',
-- with the batch and counts for 'ok'/'replay', the locked row indexes
-- (0-based, first 100) for 'locked'.
CREATE FUNCTION rci_push_write(
    p_agency text, p_token bigint, p_request_id text, p_hash bytea, p_reason text,
    p_override boolean, p_peer text, p_defs_at timestamptz,
    p_indicator text[], p_region text[], p_period text[], p_period_end date[],
    p_value numeric[], p_note text[],
    OUT status text, OUT batch_id bigint, OUT written int, OUT unchanged int,
    OUT committed_at timestamptz, OUT locked_rows int[], OUT locked_total int)
LANGUAGE plpgsql AS $$
DECLARE
    n int := coalesce(array_length(p_indicator, 1), 0);
    prior push_requests%ROWTYPE;
BEGIN
    -- Definitions read by the caller must still hold.
    IF EXISTS (SELECT 1 FROM indicators i
               WHERE i.code = ANY (p_indicator) AND i.updated_at > p_defs_at) THEN
        status := 'stale';
        RETURN;
    END IF;

    -- Locked periods, unless an admin overrides. The predicate runs once per
    -- distinct (indicator, period), not per row: MATERIALIZED keeps the
    -- planner from pushing it below the DISTINCT.
    IF NOT p_override THEN
        WITH pairs AS MATERIALIZED (
            SELECT DISTINCT ind, per FROM unnest(p_indicator, p_period) AS u (ind, per)
        ), locked AS MATERIALIZED (
            SELECT ind, per FROM pairs WHERE rci_period_locked(ind, per)
        )
        SELECT array_agg(t.ord - 1 ORDER BY t.ord), count(*)
          INTO locked_rows, locked_total
          FROM unnest(p_indicator, p_period) WITH ORDINALITY AS t (ind, per, ord)
          JOIN locked l ON l.ind = t.ind AND l.per = t.per;
        IF locked_total > 0 THEN
            locked_rows := locked_rows[1:100];
            status := 'locked';
            RETURN;
        END IF;
    END IF;

    -- Idempotency: a concurrent push with the same id waits here on the
    -- primary key until the first commits, then finds its row.
    INSERT INTO push_requests (agency_code, request_id, content_sha256)
    VALUES (p_agency, p_request_id, p_hash)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        SELECT * INTO prior FROM push_requests r
         WHERE r.agency_code = p_agency AND r.request_id = p_request_id;
        IF prior.content_sha256 <> p_hash THEN
            status := 'conflict';
            RETURN;
        END IF;
        status := 'replay';
        batch_id := prior.batch_id;
        written := prior.written;
        unchanged := prior.unchanged;
        committed_at := prior.committed_at;
        RETURN;
    END IF;

    INSERT INTO batches (agency_code, token_id, request_id, reason, override_lock, peer, committed_at)
    VALUES (p_agency, p_token, p_request_id, p_reason, p_override, p_peer, now())
    RETURNING id INTO batch_id;

    -- Rows in key order, so concurrent pushes lock cells in the same order.
    -- A cell changes only if its value or note differs (numerically: 96.7
    -- equals 96.70); row locks serialise concurrent pushes to one cell, so
    -- revision numbers are unique and ordered.
    WITH input AS (
        SELECT * FROM unnest(p_indicator, p_region, p_period, p_period_end, p_value, p_note)
                      AS t (ind, reg, per, per_end, val, note)
        ORDER BY ind, reg, per
    ), up AS (
        INSERT INTO cells AS c (indicator_code, region_code, period, period_end, revision,
                                value, note, batch_id, first_batch_id)
        SELECT ind, reg, per, per_end, 1, val, note, rci_push_write.batch_id,
               rci_push_write.batch_id
          FROM input
        ON CONFLICT (indicator_code, region_code, period) DO UPDATE
           SET revision = c.revision + 1, value = EXCLUDED.value, note = EXCLUDED.note,
               batch_id = EXCLUDED.batch_id
         WHERE c.value <> EXCLUDED.value OR c.note <> EXCLUDED.note
        RETURNING c.indicator_code, c.region_code, c.period, c.revision, c.value, c.note
    ), rev AS (
        INSERT INTO revisions (indicator_code, region_code, period, revision, value, note, batch_id)
        SELECT indicator_code, region_code, period, revision, value, note, rci_push_write.batch_id
          FROM up
        RETURNING 1
    )
    SELECT count(*) INTO written FROM rev;
    unchanged := n - written;

    -- Last: the commit-order instant (see the top of this file).
    PERFORM pg_advisory_xact_lock(rci_commit_lock_key());
    UPDATE batches b SET committed_at = clock_timestamp()
     WHERE b.id = rci_push_write.batch_id
    RETURNING b.committed_at INTO committed_at;

    UPDATE push_requests r
       SET batch_id = rci_push_write.batch_id, written = rci_push_write.written,
           unchanged = rci_push_write.unchanged, committed_at = rci_push_write.committed_at
     WHERE r.agency_code = p_agency AND r.request_id = p_request_id;

    PERFORM rci_audit(p_agency, p_token, 'push', p_request_id, p_peer,
                      jsonb_build_object('batch_id', batch_id, 'rows', n, 'written', written,
                                         'unchanged', unchanged, 'override_lock', p_override,
                                         'reason', p_reason));
    status := 'ok';
END
$$;

-- rci_values_as_of: the value of each cell matching the filters as it was
-- known at p_as_of (which must not be in the future: the caller refuses
-- that). Periods are filtered by their last day (p_from..p_to), so one range
-- serves indicators of every frequency; within an indicator the period text
-- sorts chronologically, which the keyset paging (p_after) relies on. Takes the commit-order lock shared first, then reads in a new
-- snapshot (a VOLATILE PL/pgSQL function takes one per statement), so a
-- writer still committing is either waited for or later than p_as_of.
-- Everything a caller needs about the cell comes out of here: a join in the
-- calling statement would read tables in that statement's older snapshot.
CREATE FUNCTION rci_values_as_of(
    p_as_of timestamptz, p_indicators text[], p_regions text[],
    p_from date, p_to date, p_after text[], p_limit int)
RETURNS TABLE (indicator_code text, region_code text, period text, value numeric, note text,
               revision int, agency_code text, committed_at timestamptz,
               period_end date, frequency text, first_committed_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(rci_commit_lock_key());
    RETURN QUERY
    SELECT DISTINCT ON (r.indicator_code, r.region_code, r.period)
           r.indicator_code, r.region_code, r.period, r.value, r.note, r.revision,
           b.agency_code, b.committed_at, c.period_end, i.frequency, fb.committed_at
      FROM revisions r
      JOIN batches b ON b.id = r.batch_id
      JOIN cells c ON c.indicator_code = r.indicator_code AND c.region_code = r.region_code
                  AND c.period = r.period
      JOIN batches fb ON fb.id = c.first_batch_id
      JOIN indicators i ON i.code = r.indicator_code
     WHERE b.committed_at <= p_as_of
       AND (p_indicators IS NULL OR r.indicator_code = ANY (p_indicators))
       AND (p_regions IS NULL OR r.region_code = ANY (p_regions))
       AND (p_from IS NULL OR c.period_end >= p_from)
       AND (p_to IS NULL OR c.period_end <= p_to)
       AND (p_after IS NULL OR (r.indicator_code, r.region_code, r.period)
                               > (p_after[1], p_after[2], p_after[3]))
     ORDER BY r.indicator_code, r.region_code, r.period, r.revision DESC
     LIMIT p_limit;
END
$$;

-- Replaces 0002's placeholder now that values exist: PutIndicator refuses to
-- change the frequency or domain of an indicator that has values.
CREATE OR REPLACE FUNCTION rci_indicator_has_values(p_code text) RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT EXISTS (SELECT 1 FROM cells WHERE indicator_code = p_code) $$;
