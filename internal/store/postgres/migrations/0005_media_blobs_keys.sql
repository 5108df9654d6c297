-- The bytes of uploads and generated images, content-addressed, for servers
-- that keep their media in PostgreSQL so every replica reads them
-- (docs/deploy.md). A row is written once and deleted with the last media
-- or upload row that names its hash (docs/privacy.md).
CREATE TABLE media_blobs (
    hash       TEXT PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
    size       BIGINT NOT NULL CHECK (size >= 0),
    data       BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Images are compressed already: store them out of line and uncompressed,
-- so substring() reads only the TOAST chunks a range needs.
ALTER TABLE media_blobs ALTER COLUMN data SET STORAGE EXTERNAL;

-- Secrets every server on the database shares, such as the key that signs
-- device cookies (docs/privacy.md, "Keys"): the first server's is kept.
CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY CHECK (name <> ''),
    key        BYTEA NOT NULL CHECK (length(key) >= 32),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
