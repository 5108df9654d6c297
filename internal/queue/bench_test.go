package queue

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// BenchmarkAcquireRelease measures a slot taken and given back with no
// contention, and handed from one holder to the next under contention.
func BenchmarkAcquireRelease(b *testing.B) {
	b.Run("uncontended", func(b *testing.B) {
		q := New(3, 500)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			rel, err := q.Acquire(ctx, time.Now(), nil)
			if err != nil {
				b.Fatal(err)
			}
			rel()
		}
	})
	b.Run("contended", func(b *testing.B) {
		q := New(3, 1<<20)
		ctx := context.Background()
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				rel, err := q.Acquire(ctx, time.Now(), func(Status) {})
				if err != nil {
					b.Error(err)
					return
				}
				rel()
			}
		})
		q.Close()
	})
}

// BenchmarkWaiters2000 puts 2,000 callers in the line and reports the memory
// each one costs (heap: the queue's own share; stack: the blocked caller's
// goroutine, which a run has anyway) and the time of one full status pass,
// the work the reporter does every tick.
func BenchmarkWaiters2000(b *testing.B) {
	const n = 2000
	q := NewWithOptions(Options{Slots: 1, MaxWaiting: n, Tick: time.Hour})
	release, err := q.Acquire(context.Background(), time.Now(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer release()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	entered := make(chan struct{}, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			first := true
			_, err := q.Acquire(context.Background(), time.Now(), func(Status) {
				if first {
					first = false
					entered <- struct{}{}
				}
			})
			if !errors.Is(err, ErrClosed) {
				b.Errorf("Acquire: %v", err)
			}
		})
	}
	for range n {
		<-entered
	}
	runtime.GC()
	runtime.ReadMemStats(&after)

	for b.Loop() {
		q.pass(true)
	}
	b.StopTimer()
	// After the loop: b.Loop's start drops metrics reported earlier.
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/waiter")
	b.ReportMetric(float64(after.StackInuse-before.StackInuse)/n, "stack-B/waiter")
	q.Close()
	wg.Wait()
}
