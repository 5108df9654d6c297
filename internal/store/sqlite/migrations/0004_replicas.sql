-- The run ownership of several replicas on one PostgreSQL database
-- (docs/deploy.md, "How replicas cooperate"). A SQLite store serves one
-- process: runs record an empty owner and the replicas table stays empty;
-- the columns keep both schemas alike.

ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;

CREATE TABLE replicas (
    id         TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL
) STRICT;
