package pipeline

import (
	"testing"
	"time"
)

// TestContinuationKeepsPlace: a run that names a finished run of the same
// student as its source arrives at the source's arrival plus the time the
// student took in between; another student's source, an unknown one or
// one past continueWithin gives no place.
func TestContinuationKeepsPlace(t *testing.T) {
	t0 := time.Unix(1000, 0)
	now := t0.Add(20 * time.Second)
	p := &Pipeline{ended: map[string]endedRun{
		"src": {client: "ana", arrival: t0, at: now.Add(-3 * time.Second)},
		"old": {client: "ana", arrival: t0, at: now.Add(-continueWithin - time.Second)},
	}}
	tests := []struct {
		name string
		req  Request
		want time.Time
	}{
		{"continuation", Request{ClientID: "ana", SourceRun: "src"}, t0.Add(3 * time.Second)},
		{"another student's source", Request{ClientID: "ben", SourceRun: "src"}, now},
		{"no source", Request{ClientID: "ana"}, now},
		{"unknown source", Request{ClientID: "ana", SourceRun: "nope"}, now},
		{"too old", Request{ClientID: "ana", SourceRun: "old"}, now},
	}
	for _, tt := range tests {
		if got := p.continuedLocked(tt.req, now); !got.Equal(tt.want) {
			t.Errorf("%s: arrival %v, want %v", tt.name, got.Sub(t0), tt.want.Sub(t0))
		}
	}
}
