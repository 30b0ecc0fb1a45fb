-- 0008_lock_sets: check the locks of a whole batch as a set.
--
-- 0004/0007 asked rci_period_locked once per distinct (indicator, period) of
-- a batch, and each call worked out the period's last day and, for old
-- periods, its due date over the holiday calendar: 100–200 µs a pair, which
-- held a push of 1,000 new values to about 4,300 values/s (issue 3's
-- benchmark, bench/push_series.sh). A lock depends on the indicator only
-- through its frequency, and an automatic lock only on the period's last
-- day, so the work is done once per distinct (frequency, period) and once
-- per distinct (frequency, last day) instead; a batch of one month for
-- twenty indicators does it once.
--
-- rci_auto_locked_end  the automatic-lock rule for one last day (0007's rule)
-- rci_locked_pairs     the locked (indicator, period) pairs of a batch
-- rci_period_auto_locked, rci_period_locked   the single-pair forms, now
--                      answered by the two above, so there is one rule
-- rci_push_write       0004's write, asking rci_locked_pairs
-- revisions            no longer re-checks its references per row

-- Whether a period of frequency p_frequency that ends on p_end has locked
-- itself today: CST today is more than auto_lock_days after its due date
-- (period_lock_settings, 0007). The due date is at least n calendar days
-- after the end (n working days), so a recent period is open without
-- consulting the holiday calendar; the CASE keeps rci_due_date from running
-- for it.
CREATE FUNCTION rci_auto_locked_end(p_frequency text, p_end date) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce((
        SELECT CASE
                 WHEN s.auto_lock_days IS NULL OR p_end IS NULL THEN false
                 WHEN rci_cst_date(now()) <= p_end + w.n + s.auto_lock_days THEN false
                 ELSE rci_cst_date(now()) > rci_due_date(p_end, w.n) + s.auto_lock_days
               END
          FROM period_lock_settings s
         CROSS JOIN LATERAL (SELECT rci_due_working_days(p_frequency) AS n) w), false)
$$;

-- The locked (indicator, period) pairs among a batch's rows, each once:
-- an admin lock on that indicator's period or on its frequency's period
-- (period_locks), or an automatic lock. Unknown indicators and periods that
-- do not fit their frequency are not locked: validation reports them.
CREATE FUNCTION rci_locked_pairs(p_indicator text[], p_period text[])
RETURNS TABLE (ind text, per text)
LANGUAGE sql STABLE AS $$
    WITH pairs AS MATERIALIZED (
        SELECT DISTINCT u.ind, u.per, i.frequency
          FROM unnest(p_indicator, p_period) AS u (ind, per)
          JOIN indicators i ON i.code = u.ind
    ), periods AS MATERIALIZED (
        SELECT frequency, per, rci_period_end(frequency, per) AS last
          FROM (SELECT DISTINCT frequency, per FROM pairs) d
    ), auto AS MATERIALIZED (
        SELECT e.frequency, e.last
          FROM (SELECT DISTINCT frequency, last FROM periods WHERE last IS NOT NULL) e
         WHERE rci_auto_locked_end(e.frequency, e.last)
    )
    SELECT p.ind, p.per
      FROM pairs p
     WHERE EXISTS (SELECT 1 FROM period_locks l
                    WHERE l.period = p.per AND l.frequency = p.frequency
                      AND (l.indicator_code IS NULL OR l.indicator_code = p.ind))
        OR EXISTS (SELECT 1 FROM periods d JOIN auto a
                                 ON a.frequency = d.frequency AND a.last = d.last
                    WHERE d.frequency = p.frequency AND d.per = p.per)
$$;

CREATE OR REPLACE FUNCTION rci_period_auto_locked(p_indicator text, p_period text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT rci_auto_locked_end(i.frequency, rci_period_end(i.frequency, p_period))
                       FROM indicators i WHERE i.code = p_indicator), false)
$$;

CREATE OR REPLACE FUNCTION rci_period_locked(p_indicator text, p_period text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM rci_locked_pairs(ARRAY[p_indicator], ARRAY[p_period]))
$$;

-- rci_push_write as in 0004, except for the lock check: one rci_locked_pairs
-- over the batch instead of rci_period_locked per pair.
CREATE OR REPLACE FUNCTION rci_push_write(
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

    -- Locked periods, unless an admin overrides: the batch's pairs as a set.
    IF NOT p_override THEN
        SELECT array_agg(t.ord - 1 ORDER BY t.ord), count(*)
          INTO locked_rows, locked_total
          FROM unnest(p_indicator, p_period) WITH ORDINALITY AS t (ind, per, ord)
          JOIN rci_locked_pairs(p_indicator, p_period) l ON l.ind = t.ind AND l.per = t.per;
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

-- revisions → cells and → batches: rci_push_write inserts each revision
-- from the cell row it has just inserted or updated and with the batch it
-- has just inserted, in the same statement. Nothing deletes cells or batches
-- except `rcid demo` reloading its own rows, which removes their revisions
-- first (services/rcid/demo.c). So both references hold by construction.
-- Checking them again row by row cost about a fifth of a push
-- (bench/push_series.sh: 20,300 → 23,000 values/s for the first alone).
ALTER TABLE revisions DROP CONSTRAINT revisions_indicator_code_region_code_period_fkey;
ALTER TABLE revisions DROP CONSTRAINT revisions_batch_id_fkey;
