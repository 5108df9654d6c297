package store

import "testing"

func TestState(t *testing.T) {
	tests := []struct {
		state        State
		valid, final bool
	}{
		{StateQueued, true, false},
		{StateRunning, true, false},
		{StateBlocked, true, true},
		{StateDone, true, true},
		{StateFailed, true, true},
		{StateCancelled, true, true},
		{StateInterrupted, true, true},
		{"", false, false},
		{"paused", false, false},
		{"Done", false, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			if got := tt.state.Valid(); got != tt.valid {
				t.Errorf("Valid() = %v, want %v", got, tt.valid)
			}
			if got := tt.state.Final(); got != tt.final {
				t.Errorf("Final() = %v, want %v", got, tt.final)
			}
		})
	}
}
