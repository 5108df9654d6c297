package store

import "github.com/ai4artsed/ai4artsed/api"

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
