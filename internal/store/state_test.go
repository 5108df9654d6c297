package store

import (
	"strings"
	"testing"
)

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

func TestFinalStatesAreTheFinalOnes(t *testing.T) {
	all := []State{StateQueued, StateRunning, StateBlocked, StateDone, StateFailed, StateCancelled, StateInterrupted}
	n := 0
	for _, st := range all {
		if st.Final() {
			n++
			if !strings.Contains(FinalStatesSQL, "'"+string(st)+"'") {
				t.Errorf("%s is final but not in %s", st, FinalStatesSQL)
			}
		}
	}
	if n != len(FinalStates) {
		t.Errorf("FinalStates has %d states, Final() knows %d", len(FinalStates), n)
	}
}
