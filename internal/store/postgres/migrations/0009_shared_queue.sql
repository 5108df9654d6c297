-- The shared queue (docs/scheduling.md, "Several replicas"): one row per
-- call that waits for or holds a slot of a machine's queue, whichever
-- replica executes it. Grants happen under a transaction-level advisory
-- lock per queue, so the slots of a machine hold across every replica.
-- A replica whose lease in replicas expired loses its rows at the next
-- grant, which frees its slots.

CREATE TABLE queue_tickets (
    id         BIGSERIAL PRIMARY KEY,
    queue      TEXT NOT NULL CHECK (queue <> ''),
    replica    TEXT NOT NULL CHECK (replica <> ''),
    run_id     TEXT NOT NULL DEFAULT '',
    grp        TEXT NOT NULL DEFAULT '',
    turn       INTEGER NOT NULL DEFAULT 0 CHECK (turn >= 0),
    arrival    TIMESTAMPTZ NOT NULL,
    granted_at TIMESTAMPTZ
);

CREATE INDEX queue_tickets_waiting ON queue_tickets (queue, turn, arrival, id) WHERE granted_at IS NULL;
CREATE INDEX queue_tickets_queue ON queue_tickets (queue, replica);

-- Groups (workshops) take turns: served counts the slots a group got since
-- it was last idle in the queue (internal/queue/fair.go has the same rule).
CREATE TABLE queue_groups (
    queue  TEXT NOT NULL,
    grp    TEXT NOT NULL,
    served INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (queue, grp)
);
