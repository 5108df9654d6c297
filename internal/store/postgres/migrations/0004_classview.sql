-- The live class view: a message to students while a workshop is paused,
-- and the runs of a workshop's devices found by client id.

ALTER TABLE workshops ADD COLUMN pause_message TEXT NOT NULL DEFAULT '';

CREATE INDEX runs_client ON runs (client_id, created_at);
