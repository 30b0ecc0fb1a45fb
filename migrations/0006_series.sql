-- 0006_series: as-of reads over a range of periods, for GetSeries and
-- AggregateCircle (services/indicators/series.c).
--
-- rci_values_as_of (0004) filters periods by their last day, which no index
-- of revisions holds, so it reads every revision of an indicator × region
-- and throws most away: thousands for a daily indicator or a long history.
-- A series or an aggregate names one indicator, so it knows the period
-- texts of the range (p_lo .. p_hi, written in the indicator's frequency),
-- and the revisions primary key (indicator, region, period, revision) then
-- reads only those. Within one frequency every period text has the same
-- shape, so text order is time order (0004 relies on the same for paging).
-- p_from / p_to, the range's first and last day, still decide exactly
-- which periods belong to it.
--
-- Repeatability is rci_values_as_of's rule, unchanged: take the
-- commit-order lock shared, then read in a new snapshot (a VOLATILE
-- PL/pgSQL function takes one per statement), so a writer still committing
-- is either waited for or later than p_as_of.

CREATE FUNCTION rci_series_as_of(
    p_as_of timestamptz, p_indicator text, p_regions text[],
    p_lo text, p_hi text, p_from date, p_to date)
RETURNS TABLE (region_code text, period text, value numeric)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(rci_commit_lock_key());
    RETURN QUERY
    SELECT DISTINCT ON (r.region_code, r.period) r.region_code, r.period, r.value
      FROM revisions r
      JOIN batches b ON b.id = r.batch_id
      JOIN cells c ON c.indicator_code = r.indicator_code AND c.region_code = r.region_code
                  AND c.period = r.period
     WHERE r.indicator_code = p_indicator
       AND r.region_code = ANY (p_regions)
       AND r.period BETWEEN p_lo AND p_hi
       AND c.period_end BETWEEN p_from AND p_to
       AND b.committed_at <= p_as_of
     ORDER BY r.region_code, r.period, r.revision DESC;
END
$$;
