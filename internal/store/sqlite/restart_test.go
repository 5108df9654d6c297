package sqlite

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// TestInterruptAfterRestart simulates a server that stopped while a run was
// running: the next process reopens the file and interrupts it.
func TestInterruptAfterRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	created := time.Now().UTC().Add(-2 * time.Second).Truncate(time.Millisecond)

	first, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"inflight", "finished"} {
		if err := first.CreateRun(ctx, &store.Run{ID: id, Stages: "all", CreatedAt: created}); err != nil {
			t.Fatal(err)
		}
		if err := first.SetRunState(ctx, id, store.StateRunning, "", ""); err != nil {
			t.Fatal(err)
		}
		for seq := int64(1); seq <= 2; seq++ {
			if err := first.AppendEvent(ctx, store.Event{RunID: id, Seq: seq, Type: "chunk", Data: []byte(`{"text":"a"}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := first.SetRunState(ctx, "finished", store.StateDone, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	now := time.Now().UTC()
	ids, err := second.InterruptUnfinished(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{"inflight"}) {
		t.Fatalf("interrupted %v, want [inflight]", ids)
	}
	r, err := second.GetRun(ctx, "inflight")
	if err != nil {
		t.Fatal(err)
	}
	if r.State != store.StateInterrupted || r.FinishedAt == nil || r.ErrorCode != "interrupted" {
		t.Errorf("run after restart = %+v", r)
	}
	evs, err := second.Events(ctx, "inflight", 2)
	if err != nil || len(evs) != 1 || evs[0].Seq != 3 || evs[0].Type != "done" {
		t.Fatalf("events after 2 = %+v, %v; want one done event with seq 3", evs, err)
	}
	var data struct {
		State string `json:"state"`
		MS    int64  `json:"ms"`
	}
	if err := json.Unmarshal(evs[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	if want := now.Sub(created).Milliseconds(); data.State != "interrupted" || data.MS != want {
		t.Errorf("done data = %+v, want state interrupted, ms %d", data, want)
	}
	if evs, _ := second.Events(ctx, "finished", 0); len(evs) != 2 {
		t.Errorf("finished run has %d events, want 2", len(evs))
	}
}
