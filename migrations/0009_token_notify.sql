-- 0009_token_notify: tell every rcid when what a token stands for changes.
--
-- rcid keeps the identities of recently seen tokens in memory on each event
-- loop (services/platform/auth.c), so a read needs one query instead of
-- two. It may do so only while it hears about every change that could make
-- a cached identity wrong: a token revoked, expired early, deleted or moved
-- to another agency; an agency's city; an agency's domains. Each of those
-- statements sends NOTIFY rci_tokens once per transaction (identical
-- notifications of one transaction are folded into one by PostgreSQL), at
-- commit, to every daemon on the database; each then forgets every cached
-- token. New tokens need no notice: a token nobody has seen is not cached.
CREATE FUNCTION rci_notify_tokens() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rci_tokens', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER tokens_notify AFTER UPDATE OR DELETE OR TRUNCATE ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION rci_notify_tokens();
CREATE TRIGGER agencies_notify AFTER UPDATE OR DELETE OR TRUNCATE ON agencies
    FOR EACH STATEMENT EXECUTE FUNCTION rci_notify_tokens();
CREATE TRIGGER agency_domains_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agency_domains
    FOR EACH STATEMENT EXECUTE FUNCTION rci_notify_tokens();
