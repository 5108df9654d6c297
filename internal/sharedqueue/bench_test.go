package sharedqueue_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/queue"
)

// BenchmarkHandOff measures how fast the slot of a one-slot queue passes
// between callers spread over three replicas, with waiting lines of
// several lengths: each op is one caller that waits, gets the slot and
// gives it back at once, so ns/op is the shared queue's cost per grant.
//
//	go test -run '^$' -bench HandOff -benchtime 400x ./internal/sharedqueue/
func BenchmarkHandOff(b *testing.B) {
	for _, waiting := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("waiting=%d", waiting), func(b *testing.B) {
			ns := benchNodes(b, 3)
			var wg sync.WaitGroup
			sem := make(chan struct{}, waiting)
			b.ResetTimer()
			for i := range b.N {
				sem <- struct{}{}
				q := ns[i%3].m.Queue("llm:bench", 1, 100000, nil)
				wg.Go(func() {
					defer func() { <-sem }()
					release, err := q.AcquireTicket(context.Background(), queue.Ticket{}, nil)
					if err != nil {
						b.Error(err)
						return
					}
					release()
				})
			}
			wg.Wait()
		})
	}
}
