// Package storetest is the conformance suite every store.Store implementation
// must pass. An adapter's test calls Run with a constructor that returns a
// fresh, empty store for each subtest.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// NewStore returns a fresh, empty store; it registers its own cleanup.
type NewStore func(t *testing.T) store.Store

// Run runs every conformance test against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"CreateGet", testCreateGet},
		{"CreateDefaults", testCreateDefaults},
		{"CreateDuplicate", testCreateDuplicate},
		{"CreateInvalid", testCreateInvalid},
		{"NotFound", testNotFound},
		{"StateTransitions", testStateTransitions},
		{"FinalNeverReopens", testFinalNeverReopens},
		{"SetRunStateInvalid", testSetRunStateInvalid},
		{"StageUpsert", testStageUpsert},
		{"EventsOrder", testEventsOrder},
		{"EventDuplicateSeq", testEventDuplicateSeq},
		{"EventSeqRace", testEventSeqRace},
		{"InterruptUnfinished", testInterruptUnfinished},
		{"Media", testMedia},
		{"Uploads", testUploads},
		{"ConcurrentAppend", testConcurrentAppend},
		{"CancelledContext", testCancelledContext},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"Workshops", testWorkshops},
		{"Devices", testDevices},
		{"DeleteOlderThan", testDeleteOlderThan},
		{"DeleteWorkshopData", testDeleteWorkshopData},
		{"WorkshopRuns", testWorkshopRuns},
		{"Settings", testSettings},
		{"ClassRuns", testClassRuns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t))
		})
	}
}

// base is a fixed, millisecond-precise instant the suite's records start at.
var base = time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

func newRun(id string, st store.State) *store.Run {
	return &store.Run{
		ID:        id,
		ClientID:  "client-" + id,
		Stages:    "all",
		Lang:      "de",
		Input:     json.RawMessage(`{"stages":"all","prompt":"ein Haus am See","seed":7}`),
		State:     st,
		CreatedAt: base,
		UpdatedAt: base,
	}
}

func mustCreate(t *testing.T, s store.Store, r *store.Run) {
	t.Helper()
	if err := s.CreateRun(context.Background(), r); err != nil {
		t.Fatalf("CreateRun(%q): %v", r.ID, err)
	}
}

func mustGet(t *testing.T, s store.Store, id string) *store.Run {
	t.Helper()
	r, err := s.GetRun(context.Background(), id)
	if err != nil {
		t.Fatalf("GetRun(%q): %v", id, err)
	}
	return r
}

func mustAppend(t *testing.T, s store.Store, e store.Event) {
	t.Helper()
	if err := s.AppendEvent(context.Background(), e); err != nil {
		t.Fatalf("AppendEvent(%q, %d): %v", e.RunID, e.Seq, err)
	}
}

func mustEvents(t *testing.T, s store.Store, runID string, after int64) []store.Event {
	t.Helper()
	evs, err := s.Events(context.Background(), runID, after)
	if err != nil {
		t.Fatalf("Events(%q, %d): %v", runID, after, err)
	}
	return evs
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error = %v, want %v", what, err, want)
	}
}

// jsonEqual reports whether a and b hold the same JSON value; an empty
// message equals only another empty message.
func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("invalid JSON %q: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("invalid JSON %q: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	if got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", what, got.Location())
	}
}

func checkTimePtr(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", what, got, want)
	default:
		checkTime(t, what, *got, *want)
	}
}

func ptr(tm time.Time) *time.Time { return &tm }
