package store

// State is a run's state.
type State string

// Run states. Blocked, done, failed, cancelled and interrupted are final.
const (
	StateQueued      State = "queued"
	StateRunning     State = "running"
	StateBlocked     State = "blocked"
	StateDone        State = "done"
	StateFailed      State = "failed"
	StateCancelled   State = "cancelled"
	StateInterrupted State = "interrupted"
)

// Final reports whether a run in state s has ended and never changes again.
func (s State) Final() bool {
	switch s {
	case StateBlocked, StateDone, StateFailed, StateCancelled, StateInterrupted:
		return true
	}
	return false
}

// Valid reports whether s is one of the known run states.
func (s State) Valid() bool {
	return s == StateQueued || s == StateRunning || s.Final()
}
