package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// The shared queue's table (migration 0009, docs/scheduling.md, "Several
// replicas"). Every change of a queue happens in a transaction holding the
// queue's advisory lock, so two replicas never grant the same free slot;
// a transaction that granted or removed a ticket announces it with the
// note "q <queue>" on the store's channel (notify.go).

// sqlQueueLock takes the queue's transaction-level advisory lock, private
// to the schema.
const sqlQueueLock = `SELECT pg_advisory_xact_lock(
	hashtextextended('ai4artsed queue ' || $1 || ' ' || COALESCE(current_schema(), ''), 0))`

// sqlQueueOrder numbers the waiting tickets of queue $1 in serving order,
// the rule of internal/queue (fair.go): (group round, turn, arrival, id),
// where the round counts only while two or more groups wait.
const sqlQueueOrder = `WITH w AS (
	SELECT t.id, t.replica, t.grp, t.turn, t.arrival,
	       COALESCE(g.served, 0) + row_number() OVER (PARTITION BY t.grp ORDER BY t.turn, t.arrival, t.id) - 1 AS round
	FROM queue_tickets t LEFT JOIN queue_groups g ON g.queue = t.queue AND g.grp = t.grp
	WHERE t.queue = $1 AND t.granted_at IS NULL
), m AS (SELECT count(DISTINCT grp) > 1 AS multi FROM w)
SELECT w.id, w.replica, w.grp,
       row_number() OVER (ORDER BY CASE WHEN m.multi THEN w.round ELSE 0 END, w.turn, w.arrival, w.id) AS pos
FROM w, m`

const (
	sqlQueueCounts = `SELECT count(*) FILTER (WHERE granted_at IS NOT NULL), count(*) FILTER (WHERE granted_at IS NULL)
		FROM queue_tickets WHERE queue = $1`
	sqlQueueNext = `SELECT id, grp FROM (` + sqlQueueOrder + `) o ORDER BY pos LIMIT $2`
	// With one group waiting the order is the index's: no rounds to count.
	sqlQueueNextOneGroup = `SELECT id, grp FROM queue_tickets WHERE queue = $1 AND granted_at IS NULL
		ORDER BY turn, arrival, id LIMIT $2`
	sqlQueueMultiGroup = `SELECT EXISTS (SELECT 1 FROM queue_tickets a WHERE a.queue = $1 AND a.granted_at IS NULL
		AND a.grp <> (SELECT b.grp FROM queue_tickets b WHERE b.queue = $1 AND b.granted_at IS NULL LIMIT 1))`
	sqlQueueGrant  = `UPDATE queue_tickets SET granted_at = now() WHERE id = $1`
	sqlQueueServed = `INSERT INTO queue_groups (queue, grp, served) VALUES ($1, $2, 1)
		ON CONFLICT (queue, grp) DO UPDATE SET served = queue_groups.served + 1`
	// A group that becomes active starts at the lowest count of the
	// active groups.
	sqlQueueJoinGroup = `INSERT INTO queue_groups (queue, grp, served)
		SELECT $1, $2, COALESCE(MIN(served), 0) FROM queue_groups WHERE queue = $1
		ON CONFLICT (queue, grp) DO NOTHING`
	sqlQueueIdleGroups = `DELETE FROM queue_groups g WHERE g.queue = $1
		AND NOT EXISTS (SELECT 1 FROM queue_tickets t WHERE t.queue = g.queue AND t.grp = g.grp)`
	sqlQueueInsert = `INSERT INTO queue_tickets (queue, replica, run_id, grp, turn, arrival, granted_at)
		VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END) RETURNING id`
	sqlQueueDelete = `DELETE FROM queue_tickets WHERE id = $1 AND queue = $2 RETURNING granted_at IS NOT NULL`
	// Tickets of replicas whose lease is older than $2 are dropped.
	sqlQueueDead = `DELETE FROM queue_tickets t WHERE t.queue = $1 AND NOT EXISTS
		(SELECT 1 FROM replicas r WHERE r.id = t.replica AND r.last_seen >= now() - $2::interval)`
	sqlQueueMine    = `SELECT id, pos FROM (` + sqlQueueOrder + `) o WHERE replica = $2`
	sqlQueueHeldBy  = `SELECT id FROM queue_tickets WHERE queue = $1 AND replica = $2 AND granted_at IS NOT NULL`
	sqlQueueNotify  = `SELECT pg_notify($1, 'q ' || $2)`
	sqlRunsAheadOf  = `SELECT count(*) FROM runs WHERE client_id = $1 AND state IN ('queued', 'running') AND (created_at, id) < ($2, $3)`
	maxQueueNameLen = 200
	// maxNoteGrants bounds the ticket ids in one note (each up to 20
	// bytes, well under NOTIFY's 8000).
	maxNoteGrants = 64
)

// checkQueueName refuses an empty or overlong queue name.
func checkQueueName(queue string) error {
	if queue == "" || len(queue) > maxQueueNameLen {
		return fmt.Errorf("postgres: queue name %q: empty or over %d bytes", queue, maxQueueNameLen)
	}
	return nil
}

// queueTx runs fn in a transaction holding queue's advisory lock, and
// announces the queue on the channel when fn reports a change: the note
// "q <queue> <id> ..." names the tickets fn granted (at most
// maxNoteGrants of them), so their replicas wake them without a look.
func (db *DB) queueTx(ctx context.Context, queue string, fn func(tx pgx.Tx) (changed bool, granted []int64, err error)) error {
	if err := checkQueueName(queue); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlQueueLock, queue); err != nil {
			return err
		}
		changed, granted, err := fn(tx)
		if err != nil || !changed && len(granted) == 0 {
			return err
		}
		_, err = tx.Exec(ctx, sqlQueueNotify, db.channel, queueNote(queue, granted))
		return err
	})
}

// queueNote is the payload announcing a change of queue and the tickets
// granted (sqlQueueNotify prefixes "q ").
func queueNote(queue string, granted []int64) string {
	if len(granted) > maxNoteGrants {
		return queue
	}
	var b strings.Builder
	b.WriteString(queue)
	for _, id := range granted {
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// grantLocked hands the free slots of queue to the first waiters in
// serving order; the queue's lock is held. It returns the tickets granted.
func grantLocked(ctx context.Context, tx pgx.Tx, queue string, slots int) ([]int64, error) {
	var held, waiting int
	if err := tx.QueryRow(ctx, sqlQueueCounts, queue).Scan(&held, &waiting); err != nil {
		return nil, err
	}
	free := slots - held
	if free <= 0 || waiting == 0 {
		return nil, nil
	}
	var multi bool
	if err := tx.QueryRow(ctx, sqlQueueMultiGroup, queue).Scan(&multi); err != nil {
		return nil, err
	}
	order := sqlQueueNextOneGroup
	if multi {
		order = sqlQueueNext
	}
	rows, err := tx.Query(ctx, order, queue, free)
	if err != nil {
		return nil, err
	}
	type next struct {
		id  int64
		grp string
	}
	picked, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (next, error) {
		var n next
		return n, r.Scan(&n.id, &n.grp)
	})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(picked))
	for _, n := range picked {
		if _, err := tx.Exec(ctx, sqlQueueGrant, n.id); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, sqlQueueServed, queue, n.grp); err != nil {
			return nil, err
		}
		ids = append(ids, n.id)
	}
	return ids, nil
}

// EnqueueTicket puts t in its queue: it holds a slot at once when one is
// free and nobody waits; otherwise it waits, unless lim.MaxWaiting calls
// already wait (then Full is set and nothing is stored).
func (db *DB) EnqueueTicket(ctx context.Context, t store.QueueTicket, lim store.QueueLimits) (store.QueueEntry, error) {
	if e, ok, err := db.enqueueFull(ctx, t, lim); ok || err != nil {
		return e, err
	}
	var e store.QueueEntry
	err := db.queueTx(ctx, t.Queue, func(tx pgx.Tx) (bool, []int64, error) {
		e = store.QueueEntry{}
		var held, waiting int
		if err := tx.QueryRow(ctx, sqlQueueCounts, t.Queue).Scan(&held, &waiting); err != nil {
			return false, nil, err
		}
		e.Waiting = waiting
		now := held < max(lim.Slots, 1) && waiting == 0
		if !now && waiting >= lim.MaxWaiting {
			e.Full = true
			return false, nil, nil
		}
		if _, err := tx.Exec(ctx, sqlQueueJoinGroup, t.Queue, t.Group); err != nil {
			return false, nil, err
		}
		arrival := t.Arrival
		if arrival.IsZero() {
			arrival = time.Now()
		}
		if err := tx.QueryRow(ctx, sqlQueueInsert, t.Queue, t.Replica, t.RunID, t.Group, max(t.Turn, 0), arrival, now).Scan(&e.ID); err != nil {
			return false, nil, err
		}
		if now {
			e.Granted = true
			_, err := tx.Exec(ctx, sqlQueueServed, t.Queue, t.Group)
			return false, nil, err
		}
		if held >= max(lim.Slots, 1) {
			return false, nil, nil
		}
		// Slots are free while others wait (a holder just left): grant in
		// order, which may or may not be this ticket.
		granted, err := grantLocked(ctx, tx, t.Queue, max(lim.Slots, 1))
		if err != nil {
			return false, nil, err
		}
		e.Granted = slices.Contains(granted, e.ID)
		return false, granted, nil
	})
	if err != nil {
		return store.QueueEntry{}, fmt.Errorf("postgres: enqueue in %s: %w", t.Queue, err)
	}
	return e, nil
}

// enqueueFull takes a ticket into a queue whose slots are all held
// without the queue's lock, so a crowd arriving at once does not queue up
// on it (ok false: slots look free, take the locked way). The ticket then
// waits; if a slot came free meanwhile, it is granted at once under the
// lock, and a departure that raced with the insert is caught by the
// waiters' periodic GrantQueue.
func (db *DB) enqueueFull(ctx context.Context, t store.QueueTicket, lim store.QueueLimits) (store.QueueEntry, bool, error) {
	if err := checkQueueName(t.Queue); err != nil {
		return store.QueueEntry{}, true, err
	}
	slots := max(lim.Slots, 1)
	var held, waiting int
	if err := db.pool.QueryRow(ctx, sqlQueueCounts, t.Queue).Scan(&held, &waiting); err != nil {
		return store.QueueEntry{}, true, fmt.Errorf("postgres: enqueue in %s: %w", t.Queue, err)
	}
	if held < slots {
		return store.QueueEntry{}, false, nil
	}
	if waiting >= lim.MaxWaiting {
		return store.QueueEntry{Full: true}, true, nil
	}
	arrival := t.Arrival
	if arrival.IsZero() {
		arrival = time.Now()
	}
	e := store.QueueEntry{Waiting: waiting}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlQueueJoinGroup, t.Queue, t.Group); err != nil {
			return err
		}
		return tx.QueryRow(ctx, sqlQueueInsert, t.Queue, t.Replica, t.RunID, t.Group, max(t.Turn, 0), arrival, false).Scan(&e.ID)
	})
	if err != nil {
		return store.QueueEntry{}, true, fmt.Errorf("postgres: enqueue in %s: %w", t.Queue, err)
	}
	if err := db.pool.QueryRow(ctx, sqlQueueCounts, t.Queue).Scan(&held, &waiting); err != nil {
		return e, true, fmt.Errorf("postgres: enqueue in %s: %w", t.Queue, err)
	}
	if held < slots {
		err = db.queueTx(ctx, t.Queue, func(tx pgx.Tx) (bool, []int64, error) {
			granted, err := grantLocked(ctx, tx, t.Queue, slots)
			e.Granted = slices.Contains(granted, e.ID)
			return false, granted, err
		})
		if err != nil {
			return e, true, fmt.Errorf("postgres: enqueue in %s: %w", t.Queue, err)
		}
	}
	return e, true, nil
}

// LeaveQueue removes ticket id from queue, waiting or holding a slot, and
// grants the slots that are then free. Removing a ticket that is gone
// already is not an error.
func (db *DB) LeaveQueue(ctx context.Context, queue string, id int64, lim store.QueueLimits) error {
	err := db.queueTx(ctx, queue, func(tx pgx.Tx) (bool, []int64, error) {
		var held bool
		if err := tx.QueryRow(ctx, sqlQueueDelete, id, queue).Scan(&held); err != nil {
			if err == pgx.ErrNoRows {
				return false, nil, nil
			}
			return false, nil, err
		}
		granted, err := grantLocked(ctx, tx, queue, max(lim.Slots, 1))
		if err != nil {
			return false, nil, err
		}
		if _, err := tx.Exec(ctx, sqlQueueIdleGroups, queue); err != nil {
			return false, nil, err
		}
		// A waiter that left moves the ones behind it up; a holder that
		// left gave its slot to the next: either way others learn of it.
		return true, granted, nil
	})
	if err != nil {
		return fmt.Errorf("postgres: leave %s: %w", queue, err)
	}
	return nil
}

// GrantQueue drops the tickets of replicas whose lease is older than
// lim.TTL, which frees their slots, and grants every free slot. The
// replicas waiting in a queue call it periodically, so a dead replica's
// slots are never lost.
func (db *DB) GrantQueue(ctx context.Context, queue string, lim store.QueueLimits) error {
	ttl := lim.TTL
	if ttl <= 0 {
		ttl = 10 * time.Second
	}
	err := db.queueTx(ctx, queue, func(tx pgx.Tx) (bool, []int64, error) {
		tag, err := tx.Exec(ctx, sqlQueueDead, queue, ttl)
		if err != nil {
			return false, nil, err
		}
		dead := tag.RowsAffected()
		granted, err := grantLocked(ctx, tx, queue, max(lim.Slots, 1))
		if err != nil {
			return false, nil, err
		}
		if dead > 0 {
			if _, err := tx.Exec(ctx, sqlQueueIdleGroups, queue); err != nil {
				return false, nil, err
			}
		}
		return dead > 0, granted, nil
	})
	if err != nil {
		return fmt.Errorf("postgres: grant %s: %w", queue, err)
	}
	return nil
}

// LookQueue reports the global positions of replica's waiting tickets in
// queue, its tickets that hold a slot, and the queue's totals, read in one
// snapshot.
func (db *DB) LookQueue(ctx context.Context, queue, replica string) (store.QueueLook, error) {
	look := store.QueueLook{Position: map[int64]int{}, Granted: map[int64]bool{}}
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(sqlQueueCounts, queue).QueryRow(func(r pgx.Row) error { return r.Scan(&look.Held, &look.Waiting) })
		b.Queue(sqlQueueMine, queue, replica).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id, pos int64
				if err := rows.Scan(&id, &pos); err != nil {
					return err
				}
				look.Position[id] = int(pos)
			}
			return rows.Err()
		})
		b.Queue(sqlQueueHeldBy, queue, replica).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					return err
				}
				look.Granted[id] = true
			}
			return rows.Err()
		})
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return store.QueueLook{}, fmt.Errorf("postgres: look at %s: %w", queue, err)
	}
	return look, nil
}

// RunsAhead counts the unfinished runs of client that were created before
// the run (created, id): the run's turn in every queue, counted over every
// replica (docs/scheduling.md).
func (db *DB) RunsAhead(ctx context.Context, client string, created time.Time, id string) (int, error) {
	if client == "" {
		return 0, nil
	}
	var n int
	if err := db.pool.QueryRow(ctx, sqlRunsAheadOf, client, created, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: runs ahead of %s: %w", id, err)
	}
	return n, nil
}
