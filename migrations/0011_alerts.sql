-- 0011_alerts: alerts the server raises, in commit order, announced by
-- NOTIFY rci_alerts to every rcid on the database (issue 4, DESIGN §2
-- item 9; services/alerts/alerts.c streams them).
--
-- The resume rule (DESIGN §6): a subscriber that has seen every alert up to
-- id N asks for id > N and must get everything it missed, nothing twice.
-- Ids from a plain sequence can commit out of order (B takes 11, commits,
-- is read; A took 10, commits later and is never seen). So ids are handed
-- out only under the commit-order lock of 0004 (rci_commit_lock_key),
-- taken in exclusive mode and held to the end of the transaction: the
-- transaction that takes id 10 commits before any other can take id 11.
-- What a reader sees is therefore always every alert up to some id, and
-- "id > N" is a complete resume point. Ids may skip (a rolled-back
-- transaction's id is gone), never go back.
--
-- Raise alerts last in a transaction (rci_raise_alert takes the lock, and
-- everything after it waits with it). rci_push_write takes the same lock at
-- its end, so a push that raises alerts costs no extra serialisation.

CREATE SEQUENCE alerts_id_seq;

CREATE TABLE alerts (
    id          bigint PRIMARY KEY,
    kind        text NOT NULL
                CHECK (kind IN ('water.off_target', 'air.heavy_pollution',
                                'water.joint_discrepancy')),
    severity    text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    cities      text[] NOT NULL CHECK (cardinality(cities) BETWEEN 1 AND 64),
    subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 64),
    message     text NOT NULL CHECK (length(message) BETWEEN 1 AND 1000),
    detail      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object'),
    raised_at   timestamptz NOT NULL
);
-- Who is concerned: WatchAlerts and ListAlerts filter by city.
CREATE INDEX alerts_cities ON alerts USING gin (cities);

-- Alerts are facts about the past: never changed, never removed.
CREATE FUNCTION alerts_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'alerts are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER alerts_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON alerts
    FOR EACH STATEMENT EXECUTE FUNCTION alerts_refuse_change();

-- Raise one alert; returns its id. Cities are deduplicated and sorted.
-- Takes the commit-order lock (see above) before the id, and notifies
-- rci_alerts with the id, delivered at commit.
CREATE FUNCTION rci_raise_alert(p_kind text, p_severity text, p_cities text[], p_subject text,
                                p_message text, p_detail jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(rci_commit_lock_key());
    v_id := nextval('alerts_id_seq');
    INSERT INTO alerts (id, kind, severity, cities, subject, message, detail, raised_at)
    VALUES (v_id, p_kind, p_severity,
            (SELECT array_agg(DISTINCT c ORDER BY c) FROM unnest(p_cities) AS c
              WHERE c IS NOT NULL),
            p_subject, p_message, coalesce(p_detail, '{}'), clock_timestamp());
    PERFORM pg_notify('rci_alerts', v_id::text);
    RETURN v_id;
END
$$;
