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

// interruptEnd is the EndFunc the conformance tests pass: an error event in
// the run's language and a done event with the run's duration.
func interruptEnd(r store.Run, now time.Time) store.Ending {
	ms := max(now.Sub(r.CreatedAt).Milliseconds(), 0)
	return store.Ending{
		Code: "interrupted", Message: r.Lang + ":" + r.ID,
		Events: []store.Event{
			{Type: "error", Data: json.RawMessage(fmt.Sprintf(`{"code":"interrupted","message":%q}`, r.Lang+":"+r.ID))},
			{Type: "done", Data: json.RawMessage(fmt.Sprintf(`{"state":"interrupted","ms":%d}`, ms))},
		},
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
		if id == "running" {
			r.Lang = "en"
		}
		mustCreate(t, s, r)
		if st != store.StateQueued {
			if err := s.SetRunState(ctx, id, st, "", ""); err != nil {
				t.Fatalf("SetRunState(%s): %v", id, err)
			}
		}
	}
	// "running" has three events already and an open stage; "queued" has none.
	for seq := int64(1); seq <= 3; seq++ {
		mustAppend(t, s, event("running", seq, "chunk", `{}`))
	}
	finished := base.Add(time.Second)
	for _, sr := range []store.StageResult{
		{Stage: 1, Name: "safety", Status: store.StageDone, StartedAt: base, FinishedAt: &finished},
		{Stage: 2, Name: "interception", Status: store.StageStarted, StartedAt: base},
	} {
		if err := s.PutStage(ctx, "running", sr); err != nil {
			t.Fatal(err)
		}
	}
	mustAppend(t, s, event("done", 1, "done", `{"state":"done","ms":5}`))
	finishedBefore := map[string]*time.Time{}
	for id := range states {
		finishedBefore[id] = mustGet(t, s, id).FinishedAt
	}

	now := base.Add(90*time.Second + 250*time.Millisecond)
	ids, err := s.InterruptUnfinished(ctx, now, interruptEnd)
	if err != nil {
		t.Fatalf("InterruptUnfinished: %v", err)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"queued", "running"}) {
		t.Fatalf("InterruptUnfinished ids = %v, want [queued running]", ids)
	}

	wantFirst := map[string]int64{"queued": 1, "running": 4}
	wantLang := map[string]string{"queued": "de", "running": "en"}
	for id, seq := range wantFirst {
		r := mustGet(t, s, id)
		if r.State != store.StateInterrupted {
			t.Errorf("%s: state = %q, want interrupted", id, r.State)
		}
		if r.ErrorCode != "interrupted" || r.ErrorMessage != wantLang[id]+":"+id {
			t.Errorf("%s: error = %q %q, want the ending's code and message in %s", id, r.ErrorCode, r.ErrorMessage, wantLang[id])
		}
		checkTimePtr(t, id+" FinishedAt", r.FinishedAt, &now)
		evs := mustEvents(t, s, id, seq-1)
		if len(evs) != 2 {
			t.Fatalf("%s: events after %d = %+v, want error and done", id, seq-1, evs)
		}
		if evs[0].Seq != seq || evs[0].Type != "error" || evs[1].Seq != seq+1 || evs[1].Type != "done" {
			t.Errorf("%s: last events = %d %q, %d %q; want %d error, %d done", id, evs[0].Seq, evs[0].Type, evs[1].Seq, evs[1].Type, seq, seq+1)
		}
		if !jsonEqual(t, evs[1].Data, []byte(`{"state":"interrupted","ms":90250}`)) {
			t.Errorf("%s: done data = %s", id, evs[1].Data)
		}
		checkTime(t, id+" done event At", evs[1].At, now)
	}
	stages := mustGet(t, s, "running").Stage
	if len(stages) != 2 || stages[0].Status != store.StageDone || stages[1].Status != "interrupted" {
		t.Fatalf("running: stages after interrupt = %+v, want safety done and interception interrupted", stages)
	}
	checkTimePtr(t, "open stage FinishedAt", stages[1].FinishedAt, &now)
	checkTimePtr(t, "closed stage FinishedAt", stages[0].FinishedAt, &finished)
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

	again, err := s.InterruptUnfinished(ctx, now.Add(time.Minute), interruptEnd)
	if err != nil || len(again) != 0 {
		t.Errorf("second InterruptUnfinished = %v, %v; want none", again, err)
	}

	// An ending the store cannot write changes nothing.
	mustCreate(t, s, newRun("bad", store.StateRunning))
	_, err = s.InterruptUnfinished(ctx, now, func(store.Run, time.Time) store.Ending {
		return store.Ending{Code: "interrupted", Events: []store.Event{{Type: "done", Data: json.RawMessage(`{not json`)}}}
	})
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("InterruptUnfinished with a broken ending = %v, want ErrInvalid", err)
	}
	if r := mustGet(t, s, "bad"); r.State != store.StateRunning {
		t.Errorf("run with a broken ending: state %q, want running", r.State)
	}
	if evs := mustEvents(t, s, "bad", 0); len(evs) != 0 {
		t.Errorf("run with a broken ending: %d events, want none", len(evs))
	}
}
