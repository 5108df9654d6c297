-- Workshops of teachers and the student devices that joined them.
-- Config lists are JSON arrays of ids; an empty array allows every config.

CREATE TABLE workshops (
    id                   TEXT PRIMARY KEY CHECK (id <> ''),
    code                 TEXT NOT NULL UNIQUE CHECK (code <> ''),
    owner                TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    name                 TEXT NOT NULL CHECK (name <> ''),
    safety_level         TEXT NOT NULL CHECK (safety_level <> ''),
    interceptions        TEXT NOT NULL DEFAULT '[]',
    outputs              TEXT NOT NULL DEFAULT '[]',
    runs_at_once         INTEGER NOT NULL DEFAULT 0,
    runs_per_hour        INTEGER NOT NULL DEFAULT 0,
    generations_per_hour INTEGER NOT NULL DEFAULT 0,
    max_devices          INTEGER NOT NULL DEFAULT 0,
    starts_at            TIMESTAMPTZ NOT NULL,
    ends_at              TIMESTAMPTZ NOT NULL,
    paused               BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           TIMESTAMPTZ NOT NULL
);

CREATE INDEX workshops_owner ON workshops (owner, created_at);

CREATE TABLE devices (
    id          TEXT PRIMARY KEY CHECK (id <> ''),
    workshop_id TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    nickname    TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX devices_workshop ON devices (workshop_id);
CREATE INDEX devices_created ON devices (created_at);
