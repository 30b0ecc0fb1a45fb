-- 0003_identity: bearer tokens and the audit trail.
--
-- A token acts for one agency (migrations/0002_registry.sql), or is an
-- admin-only token with no agency. Only the SHA-256 of its secret is kept;
-- the secret is shown once, when the token is made (AdminService.CreateToken
-- or the local `rcid token create`). A token is valid while it is neither
-- revoked nor past expires_at (services/platform/auth.c).
--
-- The audit table is append-only: a trigger refuses UPDATE, DELETE and
-- TRUNCATE. Services write to it only through rci_audit(), inside the same
-- statement as the change it records, so a change and its audit row commit
-- or fail together.

CREATE TABLE tokens (
    id          bigserial PRIMARY KEY,
    agency_code text REFERENCES agencies (code),
    admin       boolean NOT NULL DEFAULT false,
    label       text NOT NULL DEFAULT '',
    hash        bytea NOT NULL UNIQUE CHECK (octet_length(hash) = 32),
    prefix      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz,
    created_by  bigint REFERENCES tokens (id),
    CHECK (agency_code IS NOT NULL OR admin)
);
CREATE INDEX tokens_agency ON tokens (agency_code);

CREATE TABLE audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    agency_code text,                -- who: the caller's agency (NULL: admin-only or local)
    token_id    bigint,              -- who: the caller's token (NULL: local command)
    action      text NOT NULL CHECK (action <> ''),  -- "token.create", "push", …
    request_id  text NOT NULL DEFAULT '',
    peer        text NOT NULL DEFAULT '',  -- "127.0.0.1:50422", or "local"
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_agency ON audit (agency_code, id);
CREATE INDEX audit_action ON audit (action, id);

CREATE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'audit rows are written with rci_audit() and never changed';
END
$$;

-- Statement-level, so that even a statement touching no row is refused.
CREATE TRIGGER audit_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Append one audit row and return its id. Call it once per statement, from
-- the statement that makes the change, e.g.
--   WITH ins AS (INSERT … RETURNING …)
--   SELECT ins.*, rci_audit($agency, $token, 'push', $request_id, $peer,
--                           jsonb_build_object(…)) FROM ins;
-- Empty agency and NULL text arguments are stored as NULL / ''.
CREATE FUNCTION rci_audit(p_agency text, p_token bigint, p_action text, p_request_id text,
                          p_peer text, p_detail jsonb) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    INSERT INTO audit (agency_code, token_id, action, request_id, peer, detail)
    VALUES (nullif(p_agency, ''), p_token, p_action, coalesce(p_request_id, ''),
            coalesce(p_peer, ''), coalesce(p_detail, '{}'::jsonb))
    RETURNING id
$$;
