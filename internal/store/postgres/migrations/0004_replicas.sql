-- Several replicas on one database (docs/deploy.md, "How replicas
-- cooperate"): each running run names the replica that executes it, each
-- replica renews its lease in replicas, and the store announces every
-- stored event and every cancel request on a notification channel private
-- to the schema: 'ai4artsed_' || left(md5(schema), 16).
--   "e <run id> <seq>"  an event was stored
--   "c <run id>"        a cancel of the run was requested

ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN cancel_requested BOOLEAN NOT NULL DEFAULT FALSE;

CREATE INDEX runs_owner_unfinished ON runs (owner) WHERE state IN ('queued', 'running');

CREATE TABLE replicas (
    id         TEXT PRIMARY KEY CHECK (id <> ''),
    started_at TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION ai4artsed_event_stored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ai4artsed_' || left(md5(TG_TABLE_SCHEMA), 16), 'e ' || NEW.run_id || ' ' || NEW.seq);
    RETURN NULL;
END $$;

CREATE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION ai4artsed_event_stored();

CREATE FUNCTION ai4artsed_cancel_requested() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ai4artsed_' || left(md5(TG_TABLE_SCHEMA), 16), 'c ' || NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER runs_cancel_notify AFTER UPDATE OF cancel_requested ON runs
    FOR EACH ROW WHEN (NEW.cancel_requested AND NOT OLD.cancel_requested)
    EXECUTE FUNCTION ai4artsed_cancel_requested();
