-- 0013_water: cross-boundary river sections and their monthly samples
-- (issue 4 "Water cross-sections", DESIGN §2 item 4 and §6 "Water";
-- services/water/ reads and writes them).
--
-- water_sections            the registry: river, basin, the cities on each
--                           side, target class, whose sample decides
-- water_section_tolerances  joint-comparison tolerances that differ from the
--                           defaults (20 % relative, pH 0.5 absolute)
-- water_samples             every revision of every sample: one sample per
--                           section × agency × month; a re-push with other
--                           content adds a revision, never overwrites
-- water_sample_values       the parameters of one sample revision
-- water_push_requests       idempotency of PushSamples, as push_requests
--                           (0004) is for PushValues
--
-- Classes are not stored: GB 3838 evaluation is pure code
-- (services/water/gb3838.c) and is applied on read against the section's
-- current target, so a target changed by an admin re-grades every month.
--
-- Writes are serialised by one transaction-scoped advisory lock
-- (rci_water_lock_key): samples come monthly, one per agency and section,
-- so the lock costs nothing measurable, and it lets PushSamples decide
-- revisions, joint comparisons and alerts from what it read before writing
-- (rci_water_state: a write whose state changed meanwhile is 'stale' and
-- re-checked by the daemon).

CREATE FUNCTION rci_water_lock_key() RETURNS bigint LANGUAGE sql IMMUTABLE
    AS $$ SELECT 7301440301::bigint $$;

CREATE TABLE water_sections (
    code            text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    name_zh         text NOT NULL UNIQUE CHECK (length(name_zh) BETWEEN 1 AND 64),
    name_en         text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 128),
    river           text NOT NULL CHECK (length(river) BETWEEN 1 AND 64),
    basin           text NOT NULL CHECK (length(basin) BETWEEN 1 AND 64),
    upstream_city   text REFERENCES regions (code),
    downstream_city text REFERENCES regions (code),
    border_cities   text[] NOT NULL DEFAULT '{}',
    latitude        double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude       double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    target_class    text NOT NULL CHECK (target_class IN ('I', 'II', 'III', 'IV', 'V')),
    target_is_demo  boolean NOT NULL,
    monitor_agency  text NOT NULL REFERENCES agencies (code),
    kind            text NOT NULL CHECK (kind IN ('river', 'lake')),
    -- Every city concerned: who may push, who is alerted.
    cities          text[] GENERATED ALWAYS AS
                        (array_remove(ARRAY[upstream_city, downstream_city], NULL)
                         || border_cities) STORED,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- Either an upstream → downstream pair, or two cities sharing the river.
    CHECK ((upstream_city IS NOT NULL AND downstream_city IS NOT NULL
            AND upstream_city <> downstream_city AND cardinality(border_cities) = 0)
        OR (upstream_city IS NULL AND downstream_city IS NULL
            AND cardinality(border_cities) = 2 AND border_cities[1] <> border_cities[2]))
);
CREATE INDEX water_sections_cities ON water_sections USING gin (cities);

CREATE TABLE water_section_tolerances (
    section_code text NOT NULL REFERENCES water_sections (code) ON DELETE CASCADE,
    parameter    text NOT NULL CHECK (parameter ~ '^[a-z0-9_]{1,32}$'),
    tolerance    numeric NOT NULL CHECK (tolerance >= 0),  -- percent; pH units for pH
    PRIMARY KEY (section_code, parameter)
);

CREATE TABLE water_samples (
    id           bigserial PRIMARY KEY,
    section_code text NOT NULL REFERENCES water_sections (code),
    agency_code  text NOT NULL REFERENCES agencies (code),
    month        text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    revision     int NOT NULL CHECK (revision >= 1),
    sampled_on   date NOT NULL CHECK (to_char(sampled_on, 'YYYY-MM') = month),
    note         text NOT NULL DEFAULT '',
    -- Canonical content ("sampled_on|code=value;…|note", values in shortest
    -- decimal form): equal content is an unchanged re-push.
    content      text NOT NULL,
    request_id   text NOT NULL,
    token_id     bigint,
    reason       text NOT NULL DEFAULT '',
    recorded_at  timestamptz NOT NULL,
    UNIQUE (section_code, agency_code, month, revision)
);
CREATE INDEX water_samples_month ON water_samples (section_code, month);

CREATE TABLE water_sample_values (
    sample_id bigint NOT NULL REFERENCES water_samples (id),
    parameter text NOT NULL,
    value     numeric NOT NULL CHECK (value >= 0),
    unit      text NOT NULL,
    PRIMARY KEY (sample_id, parameter)
);

-- Samples are history: never changed, never removed.
CREATE FUNCTION water_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'water samples are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER water_samples_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON water_samples
    FOR EACH STATEMENT EXECUTE FUNCTION water_refuse_change();
CREATE TRIGGER water_sample_values_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON water_sample_values
    FOR EACH STATEMENT EXECUTE FUNCTION water_refuse_change();

CREATE TABLE water_push_requests (
    agency_code    text NOT NULL REFERENCES agencies (code),
    request_id     text NOT NULL,
    content_sha256 bytea NOT NULL,
    written        int NOT NULL DEFAULT 0,
    unchanged      int NOT NULL DEFAULT 0,
    alerts_raised  int NOT NULL DEFAULT 0,
    committed_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_code, request_id)
);
CREATE INDEX water_push_requests_created ON water_push_requests (created_at);

-- What a PushSamples decision depends on: the newest sample of each
-- (section, month) of the batch (p_sections[i], p_months[i]) — the
-- agency's own earlier revision and the other city's joint sample — and
-- the configuration of its sections. Sample ids are taken under the water
-- lock, so they increase in commit order and the largest one stands for
-- all. Pushes of other months of the same section do not disturb it.
CREATE FUNCTION rci_water_state(p_sections text[], p_months text[]) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT max(w.id)
                       FROM unnest(p_sections, p_months) AS u (sec, mon)
                       JOIN water_samples w ON w.section_code = u.sec AND w.month = u.mon),
                    0)::text
        || '/' || coalesce((SELECT max(updated_at) FROM water_sections
                             WHERE code = ANY (p_sections))::text, '')
$$;

-- rci_water_write: one PushSamples batch, already checked and decided by the
-- daemon against state p_state (rci_water_state of the batch's pairs
-- p_sections × p_months). Only the samples that change are passed
-- (p_unchanged counts the others); parameters point at their sample by
-- 1-based index (p_pidx), so do alerts (p_aidx, 0: none; the sample's id is
-- added to the alert's detail as "sample_id").
--
-- Returns status 'ok' | 'replay' | 'conflict' | 'stale', the counts, the new
-- samples' ids in input order and the commit instant.
CREATE FUNCTION rci_water_write(
    p_agency text, p_token bigint, p_request_id text, p_hash bytea, p_reason text,
    p_peer text, p_state text, p_sections text[], p_months text[], p_unchanged int,
    p_section text[], p_month text[], p_revision int[], p_sampled_on date[], p_note text[],
    p_content text[],
    p_pidx int[], p_param text[], p_value numeric[], p_unit text[],
    p_akind text[], p_asev text[], p_acities text[], p_asubject text[], p_amessage text[],
    p_adetail jsonb[], p_aidx int[],
    OUT status text, OUT written int, OUT unchanged int, OUT alerts_raised int,
    OUT ids bigint[], OUT committed_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    n int := coalesce(array_length(p_section, 1), 0);
    prior water_push_requests%ROWTYPE;
    t timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(rci_water_lock_key());

    -- Idempotency first: a replay must not be refused as stale.
    INSERT INTO water_push_requests (agency_code, request_id, content_sha256)
    VALUES (p_agency, p_request_id, p_hash)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        SELECT * INTO prior FROM water_push_requests r
         WHERE r.agency_code = p_agency AND r.request_id = p_request_id;
        status := CASE WHEN prior.content_sha256 <> p_hash THEN 'conflict' ELSE 'replay' END;
        written := prior.written;
        unchanged := prior.unchanged;
        alerts_raised := prior.alerts_raised;
        committed_at := prior.committed_at;
        RETURN;
    END IF;

    IF rci_water_state(p_sections, p_months) <> p_state THEN
        status := 'stale';
        DELETE FROM water_push_requests r
         WHERE r.agency_code = p_agency AND r.request_id = p_request_id;
        RETURN;
    END IF;

    t := clock_timestamp();
    ids := ARRAY(SELECT nextval('water_samples_id_seq') FROM generate_series(1, n));
    INSERT INTO water_samples (id, section_code, agency_code, month, revision, sampled_on, note,
                               content, request_id, token_id, reason, recorded_at)
    SELECT ids[u.ord], u.sec, p_agency, u.mon, u.rev, u.sam, u.note, u.con, p_request_id,
           p_token, p_reason, t
      FROM unnest(p_section, p_month, p_revision, p_sampled_on, p_note, p_content)
           WITH ORDINALITY AS u (sec, mon, rev, sam, note, con, ord);
    INSERT INTO water_sample_values (sample_id, parameter, value, unit)
    SELECT ids[v.idx], v.par, v.val, v.uni
      FROM unnest(p_pidx, p_param, p_value, p_unit) AS v (idx, par, val, uni);

    written := n;
    unchanged := p_unchanged;
    committed_at := t;
    alerts_raised := coalesce(array_length(p_akind, 1), 0);

    UPDATE water_push_requests r
       SET written = rci_water_write.written, unchanged = rci_water_write.unchanged,
           alerts_raised = rci_water_write.alerts_raised,
           committed_at = rci_water_write.committed_at
     WHERE r.agency_code = p_agency AND r.request_id = p_request_id;

    PERFORM rci_audit(p_agency, p_token, 'water.push', p_request_id, p_peer,
                      jsonb_build_object('written', written, 'unchanged', unchanged,
                                         'alerts', alerts_raised, 'sample_ids', to_jsonb(ids),
                                         'reason', p_reason));

    -- Last: rci_raise_alert takes the commit-order lock (0011).
    PERFORM rci_raise_alert(a.kind, a.sev, string_to_array(a.cities, ','), a.subj, a.msg,
                            a.det || CASE WHEN a.idx > 0
                                          THEN jsonb_build_object('sample_id', ids[a.idx])
                                          ELSE '{}'::jsonb END)
       FROM unnest(p_akind, p_asev, p_acities, p_asubject, p_amessage, p_adetail, p_aidx)
            WITH ORDINALITY AS a (kind, sev, cities, subj, msg, det, idx, ord)
      ORDER BY a.ord;
    status := 'ok';
END
$$;

-- rci_water_put_section: add or change a section (admin), with its
-- tolerance overrides replaced as a whole, audited in the same
-- transaction. Returns 'ok', or a reason the daemon turns into
-- INVALID_ARGUMENT: 'city:<code>' (not a city), 'agency' (unknown monitor),
-- 'monitor_city' (the monitor is not of a city concerned),
-- 'monitor_domain' (the monitor lacks the environment domain), 'name_zh'
-- (another section has that Chinese name).
CREATE FUNCTION rci_water_put_section(
    p_token bigint, p_peer text, p_reason text,
    p_code text, p_name_zh text, p_name_en text, p_river text, p_basin text,
    p_upstream text, p_downstream text, p_border text[], p_lat double precision,
    p_lon double precision, p_target text, p_demo boolean, p_monitor text, p_kind text,
    p_tol_param text[], p_tol_value numeric[])
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    c text;
    mon_city text;
    existed boolean;
BEGIN
    FOREACH c IN ARRAY array_remove(ARRAY[p_upstream, p_downstream], NULL) || p_border LOOP
        IF NOT EXISTS (SELECT 1 FROM regions WHERE code = c AND kind = 'city') THEN
            RETURN 'city:' || c;
        END IF;
    END LOOP;
    SELECT city_code INTO mon_city FROM agencies WHERE code = p_monitor;
    IF NOT FOUND THEN
        RETURN 'agency';
    END IF;
    IF NOT mon_city = ANY (array_remove(ARRAY[p_upstream, p_downstream], NULL) || p_border) THEN
        RETURN 'monitor_city';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM agency_domains
                    WHERE agency_code = p_monitor AND domain_code = 'environment') THEN
        RETURN 'monitor_domain';
    END IF;
    IF EXISTS (SELECT 1 FROM water_sections WHERE name_zh = p_name_zh AND code <> p_code) THEN
        RETURN 'name_zh';
    END IF;

    PERFORM pg_advisory_xact_lock(rci_water_lock_key());
    existed := EXISTS (SELECT 1 FROM water_sections WHERE code = p_code);
    INSERT INTO water_sections AS s (code, name_zh, name_en, river, basin, upstream_city,
                                     downstream_city, border_cities, latitude, longitude,
                                     target_class, target_is_demo, monitor_agency, kind,
                                     updated_at)
    VALUES (p_code, p_name_zh, p_name_en, p_river, p_basin, p_upstream, p_downstream, p_border,
            p_lat, p_lon, p_target, p_demo, p_monitor, p_kind, clock_timestamp())
    ON CONFLICT (code) DO UPDATE
       SET name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en, river = EXCLUDED.river,
           basin = EXCLUDED.basin, upstream_city = EXCLUDED.upstream_city,
           downstream_city = EXCLUDED.downstream_city, border_cities = EXCLUDED.border_cities,
           latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
           target_class = EXCLUDED.target_class, target_is_demo = EXCLUDED.target_is_demo,
           monitor_agency = EXCLUDED.monitor_agency, kind = EXCLUDED.kind,
           updated_at = greatest(clock_timestamp(), s.updated_at + interval '1 microsecond');
    DELETE FROM water_section_tolerances WHERE section_code = p_code;
    INSERT INTO water_section_tolerances (section_code, parameter, tolerance)
    SELECT p_code, u.par, u.tol FROM unnest(p_tol_param, p_tol_value) AS u (par, tol);
    PERFORM rci_audit(NULL, p_token, CASE WHEN existed THEN 'water.section.update'
                                          ELSE 'water.section.create' END,
                      '', p_peer,
                      jsonb_build_object('section', p_code, 'target_class', p_target,
                                         'target_is_demo', p_demo, 'monitor', p_monitor,
                                         'reason', p_reason));
    RETURN 'ok';
END
$$;

-- ---- the sections of the seeds ---------------------------------------------
-- Seed 001 (Dongguan, 2017-11): monthly joint monitoring of 莲花山, 大墩,
-- 石龙北河, 东岸, 企坪 and 共和村 on the 东江, 石马河 and 茅洲河 with
-- Guangzhou, Shenzhen and Huizhou. Seed 000 (Huizhou, 2017-06): the 淡水河
-- and 龙岗河 between Huizhou and Shenzhen; no section on the 淡水河 main stem
-- was found (reference calendar-population-sections.md §3), so its system
-- is represented by 西湖村 on the 龙岗河 (its upper course) and 上垟 on the
-- 坪山河 (its tributary), both Shenzhen → Huizhou.
--
-- EVERY target class below is demo configuration (target_is_demo): 企坪,
-- 共和村, 西湖村 and 上垟 take the 2024 stage targets the Shenzhen bureau
-- published (reference §3, [R3]); the river, partner cities and targets of
-- the four 东江 sections are the reference's DEMO GUESSES. An admin sets
-- the agreed values with PutSection.
--
-- Coordinates are APPROXIMATE (placed by the named town or boundary, to
-- about 0.05°): no source publishes them.
--
-- Monitor (whose sample decides the month, DESIGN §6): for an upstream →
-- downstream section, the upstream city's bureau — the water leaving its
-- territory is what it answers for, and the downstream city's sample is the
-- check; for a shared border river, the bureau of the city whose document
-- or report names the section with a target: Shenzhen for 共和村 ([R3]),
-- Dongguan for the 东江 border sections (seed 001 is Dongguan's plan).
INSERT INTO water_sections (code, name_zh, name_en, river, basin, upstream_city, downstream_city,
                            border_cities, latitude, longitude, target_class, target_is_demo,
                            monitor_agency, kind) VALUES
    ('dj-lhs',  '莲花山',   'Lianhuashan',    '东江（狮子洋）', '珠江口', NULL, NULL,
     ARRAY['440100', '441900'], 22.98, 113.51, 'III', true, 'dg-eeb', 'river'),
    ('dj-dd',   '大墩',     'Dadun',          '东江北干流', '东江', NULL, NULL,
     ARRAY['440100', '441900'], 23.10, 113.62, 'III', true, 'dg-eeb', 'river'),
    ('dj-slbh', '石龙北河', 'Shilong North River', '东江北干流', '东江', NULL, NULL,
     ARRAY['441300', '441900'], 23.12, 113.87, 'II', true, 'dg-eeb', 'river'),
    ('dj-da',   '东岸',     'Dong''an',       '东江', '东江', '441300', '441900',
     '{}', 23.06, 114.07, 'II', true, 'hz-eeb', 'river'),
    ('smh-qp',  '企坪',     'Qiping',         '观澜河（石马河上游）', '东江', '440300', '441900',
     '{}', 22.76, 114.06, 'III', true, 'sz-eeb', 'river'),
    ('mzh-ghc', '共和村',   'Gonghecun',      '茅洲河', '珠江口', NULL, NULL,
     ARRAY['440300', '441900'], 22.77, 113.78, 'IV', true, 'sz-eeb', 'river'),
    ('lgh-xhc', '西湖村',   'Xihucun',        '龙岗河（淡水河上游）', '东江', '440300', '441300',
     '{}', 22.73, 114.33, 'V', true, 'sz-eeb', 'river'),
    ('psh-sy',  '上垟',     'Shangyang',      '坪山河（淡水河支流）', '东江', '440300', '441300',
     '{}', 22.70, 114.40, 'III', true, 'sz-eeb', 'river');
