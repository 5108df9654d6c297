-- The research export reads a workshop's runs by client, page by page;
-- the admin's server-wide defaults for workshops are one row.

CREATE INDEX runs_client ON runs (client_id, created_at, id);

CREATE TABLE settings (
    id                     INTEGER PRIMARY KEY CHECK (id = 1),
    safety_floor           TEXT NOT NULL DEFAULT '',
    disabled_interceptions TEXT NOT NULL DEFAULT '[]',
    disabled_outputs       TEXT NOT NULL DEFAULT '[]',
    updated_by             TEXT NOT NULL DEFAULT '',
    updated_at             TEXT NOT NULL
) STRICT;
