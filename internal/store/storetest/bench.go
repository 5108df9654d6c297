package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// Bench runs the store benchmarks against fresh stores from newStore:
// AppendEvent (one committed event, as a streaming stage writes one per
// chunk), AppendEventParallel, and HotPaths (the other calls a run makes).
func Bench(b *testing.B, newStore func(testing.TB) store.Store) {
	b.Run("AppendEvent", func(b *testing.B) { benchAppendEvent(b, newStore(b)) })
	b.Run("AppendEventParallel", func(b *testing.B) { benchAppendEventParallel(b, newStore(b)) })
	b.Run("HotPaths", func(b *testing.B) { benchHotPaths(b, newStore(b)) })
}

// benchAppendEvent measures one committed event, as a streaming LLM
// stage writes one per chunk.
func benchAppendEvent(b *testing.B, db store.Store) {
	ctx := context.Background()
	if err := db.CreateRun(ctx, &store.Run{ID: "bench", Stages: "all"}); err != nil {
		b.Fatal(err)
	}
	data := []byte(`{"stage":2,"text":"ein kleines Stück Text"}`)
	b.ReportAllocs()
	seq := int64(0)
	for b.Loop() {
		seq++
		if err := db.AppendEvent(ctx, store.Event{RunID: "bench", Seq: seq, Type: "chunk", Data: data}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchAppendEventParallel measures writers on different runs competing for
// the store's writes.
func benchAppendEventParallel(b *testing.B, db store.Store) {
	ctx := context.Background()
	data := []byte(`{"stage":2,"text":"ein kleines Stück Text"}`)
	var runs atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		id := fmt.Sprintf("run-%d", runs.Add(1))
		if err := db.CreateRun(ctx, &store.Run{ID: id, Stages: "all"}); err != nil {
			b.Error(err)
			return
		}
		seq := int64(0)
		for pb.Next() {
			seq++
			if err := db.AppendEvent(ctx, store.Event{RunID: id, Seq: seq, Type: "chunk", Data: data}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// benchHotPaths measures the other calls a run makes: stage results,
// state changes and the reads of a run and of its events (36 events, as an
// interception run stores).
func benchHotPaths(b *testing.B, db store.Store) {
	ctx := context.Background()
	if err := db.CreateRun(ctx, &store.Run{ID: "bench", Stages: "all"}); err != nil {
		b.Fatal(err)
	}
	data := []byte(`{"stage":2,"text":"ein kleines Stück Text"}`)
	for seq := int64(1); seq <= 36; seq++ {
		if err := db.AppendEvent(ctx, store.Event{RunID: "bench", Seq: seq, Type: "chunk", Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	stage := store.StageResult{Stage: 2, Name: "interception", Status: store.StageStarted, Detail: []byte(`{"model":"m"}`)}
	if err := db.PutStage(ctx, "bench", stage); err != nil {
		b.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"PutStage", func() error { return db.PutStage(ctx, "bench", stage) }},
		{"SetRunState", func() error { return db.SetRunState(ctx, "bench", store.StateRunning, "", "") }},
		{"Events", func() error {
			evs, err := db.Events(ctx, "bench", 0)
			if err == nil && len(evs) != 36 {
				err = fmt.Errorf("got %d events, want 36", len(evs))
			}
			return err
		}},
		{"GetRun", func() error { _, err := db.GetRun(ctx, "bench"); return err }},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := tt.call(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
