package simstat

import (
	"sync"
	"testing"
	"time"
)

// TestBusy checks that overlapping work counts once, idle gaps not at
// all, and a running stretch up to now.
func TestBusy(t *testing.T) {
	tests := []struct {
		name  string
		steps string // b = Begin, e = End, digits advance the clock by that many seconds
		want  time.Duration
	}{
		{"idle", "5", 0},
		{"one piece", "b3e", 3 * time.Second},
		{"gap not counted", "b2e4b1e", 3 * time.Second},
		{"overlap counted once", "b1b2e3e", 6 * time.Second},
		{"running stretch", "b1e2b4", 5 * time.Second},
		{"stray end ignored", "eb2e1e", 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Unix(1000, 0)
			b := &Busy{now: func() time.Time { return now }}
			for _, c := range tt.steps {
				switch {
				case c == 'b':
					b.Begin()
				case c == 'e':
					b.End()
				default:
					now = now.Add(time.Duration(c-'0') * time.Second)
				}
			}
			if got := b.Total(); got != tt.want {
				t.Fatalf("Total = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestBusyConcurrent runs Begin/End pairs from many goroutines: the
// count must come back to idle (Total stops growing).
func TestBusyConcurrent(t *testing.T) {
	var b Busy
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.Begin()
			time.Sleep(time.Millisecond)
			b.End()
		}()
	}
	wg.Wait()
	first := b.Total()
	time.Sleep(5 * time.Millisecond)
	if first <= 0 || b.Total() != first {
		t.Fatalf("busy %v, then %v: want a positive total that no longer grows", first, b.Total())
	}
}
