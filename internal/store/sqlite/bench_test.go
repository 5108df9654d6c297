package sqlite

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// BenchmarkAppendEvent measures one committed event, as a streaming LLM
// stage writes one per chunk.
func BenchmarkAppendEvent(b *testing.B) {
	db, _ := openTemp(b)
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

// BenchmarkAppendEventParallel measures writers on different runs competing
// for the single write connection.
func BenchmarkAppendEventParallel(b *testing.B) {
	db, _ := openTemp(b)
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
