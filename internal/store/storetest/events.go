package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

func event(runID string, seq int64, typ, data string) store.Event {
	return store.Event{RunID: runID, Seq: seq, Type: typ, Data: json.RawMessage(data), At: base.Add(time.Duration(seq) * time.Millisecond)}
}

func seqs(evs []store.Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}

func testEventsOrder(t *testing.T, s store.Store) {
	mustCreate(t, s, newRun("r1", store.StateRunning))
	mustCreate(t, s, newRun("r2", store.StateRunning))
	// Appended out of order; read back ascending.
	for _, seq := range []int64{3, 1, 2, 5, 4} {
		mustAppend(t, s, event("r1", seq, "chunk", fmt.Sprintf(`{"stage":2,"text":"t%d"}`, seq)))
	}
	mustAppend(t, s, event("r2", 1, "run", `{"run_id":"r2","state":"queued"}`))

	all := mustEvents(t, s, "r1", 0)
	if got := seqs(all); !slices.Equal(got, []int64{1, 2, 3, 4, 5}) {
		t.Fatalf("Events(r1, 0) seqs = %v", got)
	}
	for _, e := range all {
		want := event("r1", e.Seq, "chunk", fmt.Sprintf(`{"stage":2,"text":"t%d"}`, e.Seq))
		if e.RunID != "r1" || e.Type != want.Type || !jsonEqual(t, e.Data, want.Data) {
			t.Errorf("event %d = %+v, want %+v", e.Seq, e, want)
		}
		checkTime(t, fmt.Sprintf("event %d At", e.Seq), e.At, want.At)
	}
	tests := []struct {
		after int64
		want  []int64
	}{
		{-1, []int64{1, 2, 3, 4, 5}},
		{2, []int64{3, 4, 5}},
		{4, []int64{5}},
		{5, []int64{}},
		{99, []int64{}},
	}
	for _, tt := range tests {
		if got := seqs(mustEvents(t, s, "r1", tt.after)); !slices.Equal(got, tt.want) {
			t.Errorf("Events(r1, %d) seqs = %v, want %v", tt.after, got, tt.want)
		}
	}
	if got := seqs(mustEvents(t, s, "r2", 0)); !slices.Equal(got, []int64{1}) {
		t.Errorf("Events(r2, 0) seqs = %v, want [1]", got)
	}
	mustCreate(t, s, newRun("empty", store.StateQueued))
	if got := mustEvents(t, s, "empty", 0); len(got) != 0 {
		t.Errorf("Events(empty) = %v, want none", got)
	}
}

func testEventDuplicateSeq(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, newRun("r1", store.StateRunning))
	mustCreate(t, s, newRun("r2", store.StateRunning))
	mustAppend(t, s, event("r1", 1, "run", `{"state":"running"}`))
	wantErr(t, "AppendEvent duplicate", s.AppendEvent(ctx, event("r1", 1, "stage", `{"stage":1}`)), store.ErrConflict)
	// The same seq on another run is fine.
	mustAppend(t, s, event("r2", 1, "run", `{"state":"running"}`))
	evs := mustEvents(t, s, "r1", 0)
	if len(evs) != 1 || evs[0].Type != "run" {
		t.Errorf("events after duplicate = %+v", evs)
	}
}

// testEventSeqRace checks that of several writers racing for the same
// sequence number exactly one wins.
func testEventSeqRace(t *testing.T, s store.Store) {
	mustCreate(t, s, newRun("r1", store.StateRunning))
	const writers = 8
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			errs <- s.AppendEvent(context.Background(), event("r1", 1, "chunk", fmt.Sprintf(`{"writer":%d}`, i)))
		})
	}
	wg.Wait()
	close(errs)
	var ok, conflict int
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrConflict):
			conflict++
		default:
			t.Errorf("AppendEvent: unexpected error %v", err)
		}
	}
	if ok != 1 || conflict != writers-1 {
		t.Errorf("ok = %d, conflicts = %d; want 1 and %d", ok, conflict, writers-1)
	}
}

func testConcurrentAppend(t *testing.T, s store.Store) {
	const runs, perRun = 6, 30
	for r := range runs {
		mustCreate(t, s, newRun(fmt.Sprintf("r%d", r), store.StateRunning))
	}
	errs := make(chan error, runs)
	var wg sync.WaitGroup
	for r := range runs {
		wg.Go(func() {
			id := fmt.Sprintf("r%d", r)
			for seq := int64(1); seq <= perRun; seq++ {
				if err := s.AppendEvent(context.Background(), event(id, seq, "chunk", `{"text":"x"}`)); err != nil {
					errs <- fmt.Errorf("run %s seq %d: %w", id, seq, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for r := range runs {
		evs := mustEvents(t, s, fmt.Sprintf("r%d", r), 0)
		if len(evs) != perRun {
			t.Errorf("run r%d has %d events, want %d", r, len(evs), perRun)
			continue
		}
		for i, e := range evs {
			if e.Seq != int64(i+1) {
				t.Errorf("run r%d event %d has seq %d", r, i, e.Seq)
				break
			}
		}
	}
}

func testInterruptUnfinished(t *testing.T, s store.Store) {
	ctx := context.Background()
	states := map[string]store.State{
		"queued": store.StateQueued, "running": store.StateRunning, "blocked": store.StateBlocked,
		"done": store.StateDone, "failed": store.StateFailed, "cancelled": store.StateCancelled,
	}
	for id, st := range states {
		r := newRun(id, store.StateQueued)
		mustCreate(t, s, r)
		if st != store.StateQueued {
			if err := s.SetRunState(ctx, id, st, "", ""); err != nil {
				t.Fatalf("SetRunState(%s): %v", id, err)
			}
		}
	}
	// "running" has three events already; "queued" has none.
	for seq := int64(1); seq <= 3; seq++ {
		mustAppend(t, s, event("running", seq, "chunk", `{}`))
	}
	mustAppend(t, s, event("done", 1, "done", `{"state":"done","ms":5}`))
	finishedBefore := map[string]*time.Time{}
	for id := range states {
		finishedBefore[id] = mustGet(t, s, id).FinishedAt
	}

	now := base.Add(90*time.Second + 250*time.Millisecond)
	ids, err := s.InterruptUnfinished(ctx, now)
	if err != nil {
		t.Fatalf("InterruptUnfinished: %v", err)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"queued", "running"}) {
		t.Fatalf("InterruptUnfinished ids = %v, want [queued running]", ids)
	}

	wantLast := map[string]int64{"queued": 1, "running": 4}
	for id, seq := range wantLast {
		r := mustGet(t, s, id)
		if r.State != store.StateInterrupted {
			t.Errorf("%s: state = %q, want interrupted", id, r.State)
		}
		checkTimePtr(t, id+" FinishedAt", r.FinishedAt, &now)
		evs := mustEvents(t, s, id, seq-1)
		if len(evs) != 1 {
			t.Fatalf("%s: events after %d = %+v, want one done event", id, seq-1, evs)
		}
		e := evs[0]
		if e.Seq != seq || e.Type != "done" {
			t.Errorf("%s: last event = seq %d type %q, want seq %d type done", id, e.Seq, e.Type, seq)
		}
		if !jsonEqual(t, e.Data, []byte(`{"state":"interrupted","ms":90250}`)) {
			t.Errorf("%s: done data = %s", id, e.Data)
		}
		checkTime(t, id+" done event At", e.At, now)
	}
	for id, st := range states {
		if st == store.StateQueued || st == store.StateRunning {
			continue
		}
		r := mustGet(t, s, id)
		if r.State != st {
			t.Errorf("%s: state changed to %q", id, r.State)
		}
		checkTimePtr(t, id+" FinishedAt", r.FinishedAt, finishedBefore[id])
		wantEvents := 0
		if id == "done" {
			wantEvents = 1
		}
		if evs := mustEvents(t, s, id, 0); len(evs) != wantEvents {
			t.Errorf("%s: %d events, want %d", id, len(evs), wantEvents)
		}
	}

	again, err := s.InterruptUnfinished(ctx, now.Add(time.Minute))
	if err != nil || len(again) != 0 {
		t.Errorf("second InterruptUnfinished = %v, %v; want none", again, err)
	}
}
