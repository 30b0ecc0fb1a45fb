-- 0010_values_as_of: QueryValues' as-of read, driven by the cells it names.
--
-- 0004's rci_values_as_of read every revision of the indicators × regions
-- asked for, joined each to its batch, and kept the newest one known at
-- p_as_of per cell: its cost grew with the whole history, not with the
-- answer, and the page's LIMIT came only after that sort. Now the cells
-- that match the filters are walked in their primary-key order (which is
-- the answer's order, so the LIMIT stops the walk), and for each the
-- revisions primary key is read backwards until the first revision whose
-- batch had committed by p_as_of: one or two index probes per cell. A cell
-- with no such revision did not exist yet and is left out, as before.
--
-- Same signature, same answer, same repeatability rule as 0004: take the
-- commit-order lock shared, then read everything in one statement of a
-- VOLATILE PL/pgSQL function, so in a snapshot taken after any writer
-- still committing before p_as_of has finished.
CREATE OR REPLACE FUNCTION rci_values_as_of(
    p_as_of timestamptz, p_indicators text[], p_regions text[],
    p_from date, p_to date, p_after text[], p_limit int)
RETURNS TABLE (indicator_code text, region_code text, period text, value numeric, note text,
               revision int, agency_code text, committed_at timestamptz,
               period_end date, frequency text, first_committed_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(rci_commit_lock_key());
    RETURN QUERY
    SELECT c.indicator_code, c.region_code, c.period, v.value, v.note, v.revision,
           v.agency_code, v.committed_at, c.period_end, i.frequency, fb.committed_at
      FROM cells c
      JOIN indicators i ON i.code = c.indicator_code
      JOIN batches fb ON fb.id = c.first_batch_id
     CROSS JOIN LATERAL (
           SELECT r.value, r.note, r.revision, b.agency_code, b.committed_at
             FROM revisions r
             JOIN batches b ON b.id = r.batch_id
            WHERE r.indicator_code = c.indicator_code AND r.region_code = c.region_code
              AND r.period = c.period AND b.committed_at <= p_as_of
            ORDER BY r.revision DESC
            LIMIT 1) v
     WHERE (p_indicators IS NULL OR c.indicator_code = ANY (p_indicators))
       AND (p_regions IS NULL OR c.region_code = ANY (p_regions))
       AND (p_from IS NULL OR c.period_end >= p_from)
       AND (p_to IS NULL OR c.period_end <= p_to)
       AND (p_after IS NULL OR (c.indicator_code, c.region_code, c.period)
                               > (p_after[1], p_after[2], p_after[3]))
     ORDER BY c.indicator_code, c.region_code, c.period
     LIMIT p_limit;
END
$$;
