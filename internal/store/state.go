package store

import (
	"strings"

	"github.com/ai4artsed/ai4artsed/api"
)

// State is a run's state: the wire vocabulary's api.RunState, so the store,
// the events and the API speak of one thing.
type State = api.RunState

// Run states. Blocked, done, failed, cancelled and interrupted are final.
const (
	StateQueued      = api.StateQueued
	StateRunning     = api.StateRunning
	StateBlocked     = api.StateBlocked
	StateDone        = api.StateDone
	StateFailed      = api.StateFailed
	StateCancelled   = api.StateCancelled
	StateInterrupted = api.StateInterrupted
)

// FinalStates lists the final run states.
var FinalStates = []State{StateBlocked, StateDone, StateFailed, StateCancelled, StateInterrupted}

// FinalStatesSQL is FinalStates as an SQL list, "('blocked', 'done', ...)",
// for both adapters' queries.
var FinalStatesSQL = func() string {
	q := make([]string, len(FinalStates))
	for i, st := range FinalStates {
		q[i] = "'" + string(st) + "'"
	}
	return "(" + strings.Join(q, ", ") + ")"
}()
