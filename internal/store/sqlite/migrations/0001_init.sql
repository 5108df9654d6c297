-- Runs, their stage results and events, media outputs and uploads.
-- Times are UTC text, fixed width: 2006-01-02T15:04:05.000000000Z.
-- JSON columns hold compact JSON text or NULL when empty.

CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL DEFAULT '',
    stages        TEXT NOT NULL DEFAULT '',
    lang          TEXT NOT NULL DEFAULT '',
    input         TEXT,
    state         TEXT NOT NULL CHECK (state IN
                    ('queued', 'running', 'blocked', 'done', 'failed', 'cancelled', 'interrupted')),
    error_code    TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    finished_at   TEXT
) STRICT;

CREATE INDEX runs_unfinished ON runs (state) WHERE state IN ('queued', 'running');
CREATE INDEX runs_created ON runs (created_at);

CREATE TABLE stages (
    run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    stage       INTEGER NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL DEFAULT '',
    verdict     TEXT NOT NULL DEFAULT '',
    model       TEXT NOT NULL DEFAULT '',
    backend     TEXT NOT NULL DEFAULT '',
    detail      TEXT,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    PRIMARY KEY (run_id, stage)
) STRICT, WITHOUT ROWID;

CREATE TABLE events (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    type   TEXT NOT NULL,
    data   TEXT,
    at     TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE media (
    id         TEXT PRIMARY KEY,
    run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    hash       TEXT NOT NULL,
    mime       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    seed       TEXT NOT NULL, -- decimal uint64, beyond SQLite's signed INTEGER
    meta       TEXT,
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX media_run ON media (run_id, created_at);
CREATE INDEX media_hash ON media (hash);

CREATE TABLE uploads (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL,
    mime       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX uploads_hash ON uploads (hash);
