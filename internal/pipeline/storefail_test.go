package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/sqlite"
)

// fullDisk is a store whose writes fail while full is set, as on a full disk.
type fullDisk struct {
	store.Store
	full atomic.Bool
}

var errDiskFull = errors.New("sqlite: database or disk is full")

func (d *fullDisk) AppendEvent(ctx context.Context, e store.Event) error {
	if d.full.Load() {
		return errDiskFull
	}
	return d.Store.AppendEvent(ctx, e)
}

func (d *fullDisk) SetRunState(ctx context.Context, id string, st store.State, code, msg string) error {
	if d.full.Load() {
		return errDiskFull
	}
	return d.Store.SetRunState(ctx, id, st, code, msg)
}

func (d *fullDisk) PutStage(ctx context.Context, runID string, r store.StageResult) error {
	if d.full.Load() {
		return errDiskFull
	}
	return d.Store.PutStage(ctx, runID, r)
}

func TestRunWhoseStoreFailsEndsFromMemoryAndIsStoredLater(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	disk := &fullDisk{Store: db}
	cat, _, err := catalog.Load(catalog.Builtin(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	model := &fakeLLM{chat: func(ctx context.Context, _ llm.Request, fn func(string) error) (string, error) {
		close(entered)
		<-release
		if err := fn("ein "); err != nil {
			return "", err
		}
		<-ctx.Done() // the failed write cancels the run
		return "", ctx.Err()
	}}
	hub := events.NewHub(disk)
	p := New(Config{Store: disk, Hub: hub, Catalog: cat, LLM: model, Models: Models{Interception: "ollama/m"},
		Language: "de", RepairPause: 20 * time.Millisecond})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	run, err := p.Start(context.Background(), Request{Stages: StagesInterception, Prompt: "x", Interception: "dada"})
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	disk.full.Store(true)
	close(release)

	// The live reader gets the end from memory: error and done.
	evs := waitDone(t, hub, run.ID)
	errEv := evs[len(evs)-2]
	p1, err := api.Event{Type: api.EventType(errEv.Type), Data: errEv.Data}.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := p1.(api.ErrorEvent); !ok || e.Code != api.CodeStoreFailed || e.Message != "Der Server konnte den Lauf nicht speichern. Bitte sag deiner Lehrkraft Bescheid." {
		t.Fatalf("error event = %+v", p1)
	}
	if r, _ := db.GetRun(context.Background(), run.ID); r.State != store.StateRunning {
		t.Fatalf("while the disk is full the store says %s", r.State)
	}

	// Once the store takes writes again, the run is stored as failed with
	// every event, in order.
	disk.full.Store(false)
	got := waitFinal(t, db, run.ID)
	if got.State != store.StateFailed || got.ErrorCode != string(api.CodeStoreFailed) {
		t.Fatalf("after recovery: state %s code %s", got.State, got.ErrorCode)
	}
	deadline := time.After(5 * time.Second)
	for {
		stored, err := db.Events(context.Background(), run.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) == len(evs) {
			for i, e := range stored {
				if e.Seq != int64(i+1) || e.Type != evs[i].Type || !json.Valid(e.Data) {
					t.Fatalf("stored event %d = %d %s, want %d %s", i, e.Seq, e.Type, i+1, evs[i].Type)
				}
			}
			break
		}
		select {
		case <-deadline:
			t.Fatalf("store holds %d of %d events", len(stored), len(evs))
		case <-time.After(20 * time.Millisecond):
		}
	}
	for _, sr := range got.Stage {
		if sr.Status == api.StageStarted {
			t.Fatalf("stage %d left started", sr.Stage)
		}
	}
}
