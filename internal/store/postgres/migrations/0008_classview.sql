-- The live class view: a message to students while a workshop is paused.
-- (The runs of a workshop's devices are found by the index runs_client of
-- 0006.)

ALTER TABLE workshops ADD COLUMN pause_message TEXT NOT NULL DEFAULT '';
