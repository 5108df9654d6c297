-- Runs, their stage results and events, media outputs and uploads.
-- Times are TIMESTAMPTZ (microseconds). JSON columns are JSON, not JSONB, so
-- the exact text written is the text read back (key order and whitespace
-- included); NULL when empty.

CREATE TABLE runs (
    id            TEXT PRIMARY KEY CHECK (id <> ''),
    client_id     TEXT NOT NULL DEFAULT '',
    stages        TEXT NOT NULL DEFAULT '',
    lang          TEXT NOT NULL DEFAULT '',
    input         JSON,
    state         TEXT NOT NULL CHECK (state IN
                    ('queued', 'running', 'blocked', 'done', 'failed', 'cancelled', 'interrupted')),
    error_code    TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ
);

CREATE INDEX runs_unfinished ON runs (created_at, id) WHERE state IN ('queued', 'running');
CREATE INDEX runs_created ON runs (created_at);

CREATE TABLE stages (
    run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    stage       INTEGER NOT NULL CHECK (stage > 0),
    name        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL DEFAULT '',
    verdict     TEXT NOT NULL DEFAULT '',
    model       TEXT NOT NULL DEFAULT '',
    backend     TEXT NOT NULL DEFAULT '',
    detail      JSON,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    PRIMARY KEY (run_id, stage)
);

CREATE TABLE events (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq    BIGINT NOT NULL,
    type   TEXT NOT NULL,
    data   JSON,
    at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE media (
    id         TEXT PRIMARY KEY CHECK (id <> ''),
    run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    hash       TEXT NOT NULL,
    mime       TEXT NOT NULL,
    size       BIGINT NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    -- the full uint64 range, beyond BIGINT
    seed       NUMERIC(20, 0) NOT NULL CHECK (seed BETWEEN 0 AND 18446744073709551615),
    meta       JSON,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX media_run ON media (run_id, created_at, id);
CREATE INDEX media_hash ON media (hash);

CREATE TABLE uploads (
    id         TEXT PRIMARY KEY CHECK (id <> ''),
    hash       TEXT NOT NULL,
    mime       TEXT NOT NULL,
    size       BIGINT NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX uploads_hash ON uploads (hash);
