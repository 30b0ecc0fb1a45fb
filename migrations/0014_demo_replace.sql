-- 0014_demo_replace: let `rcid demo --replace` remove the water samples
-- and the alerts earlier demo loads wrote (services/rcid/demo_water.c),
-- and nothing else.
--
-- water_samples, water_sample_values (0013) and alerts (0011) are
-- append-only. A DELETE is let through only when the transaction has set
-- rci.demo_replace to 'on' (set_config(..., true): it ends with the
-- transaction), and then row by row only for demo rows: samples with no
-- token and a request id starting 'demo/', their values, and the alerts
-- whose detail names such a sample (rci_water_write adds "sample_id").
-- UPDATE and TRUNCATE stay refused.

CREATE OR REPLACE FUNCTION water_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('rci.demo_replace', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'water samples are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE FUNCTION alerts_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('rci.demo_replace', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'alerts are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

-- 1 if sample id was written by a demo load.
CREATE FUNCTION rci_is_demo_water_sample(p_id bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM water_samples w
                    WHERE w.id = p_id AND w.token_id IS NULL AND w.request_id LIKE 'demo/%')
$$;

CREATE FUNCTION rci_demo_delete_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ok boolean := false;
BEGIN
    -- One IF per table: a field of another table's row must not be planned.
    IF TG_TABLE_NAME = 'water_samples' THEN
        ok := OLD.token_id IS NULL AND OLD.request_id LIKE 'demo/%';
    ELSIF TG_TABLE_NAME = 'water_sample_values' THEN
        ok := rci_is_demo_water_sample(OLD.sample_id);
    ELSIF TG_TABLE_NAME = 'alerts' THEN
        ok := CASE WHEN OLD.kind LIKE 'water.%' AND (OLD.detail ->> 'sample_id') ~ '^[0-9]{1,18}$'
                   THEN rci_is_demo_water_sample((OLD.detail ->> 'sample_id')::bigint)
                   ELSE false END;
    END IF;
    IF NOT coalesce(ok, false) THEN
        RAISE EXCEPTION '% row is not demo data: DELETE refused', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END
$$;

CREATE TRIGGER water_samples_demo_delete BEFORE DELETE ON water_samples
    FOR EACH ROW EXECUTE FUNCTION rci_demo_delete_guard();
CREATE TRIGGER water_sample_values_demo_delete BEFORE DELETE ON water_sample_values
    FOR EACH ROW EXECUTE FUNCTION rci_demo_delete_guard();
CREATE TRIGGER alerts_demo_delete BEFORE DELETE ON alerts
    FOR EACH ROW EXECUTE FUNCTION rci_demo_delete_guard();
