package store

import "time"

// QueueTicket is one call's place in a slot queue shared by the replicas of
// one PostgreSQL store (docs/scheduling.md, "Several replicas").
type QueueTicket struct {
	// Queue names the queue: "llm:" or "image:" and the machine's name.
	Queue string
	// Replica is the id of the replica that executes the call; its lease
	// keeps the ticket alive.
	Replica string
	// RunID is the run the call belongs to (for the logs and the tests).
	RunID string
	// Group, Turn and Arrival order the waiters as internal/queue does.
	Group   string
	Turn    int
	Arrival time.Time
}

// QueueLimits are a shared queue's slots and the longest its waiting line
// may grow; TTL is the age of a replica's lease after which its tickets are
// dropped and its slots freed.
type QueueLimits struct {
	Slots      int
	MaxWaiting int
	TTL        time.Duration
}

// QueueEntry is what enqueueing a ticket did: its id, whether it holds a
// slot at once, or whether the line was full (then nothing was stored).
type QueueEntry struct {
	ID      int64
	Granted bool
	Full    bool
	// Waiting is how many tickets waited when this one came: its position
	// is at most Waiting+1 (a first position to tell before any look).
	Waiting int
}

// QueueLook is what one replica sees of a shared queue: the global 1-based
// positions of its waiting tickets, its tickets that hold a slot, and the
// queue's totals over every replica.
type QueueLook struct {
	Position map[int64]int
	Granted  map[int64]bool
	Waiting  int
	Held     int
}
