// Package simstat holds the figures the simulators keep about their own
// load, so a benchmark can read how a simulated machine was used
// (docs/benchmarks.md, "The class").
package simstat

import (
	"sync"
	"time"
)

// Busy measures how long a machine had at least one piece of work: the
// union of the intervals between each Begin and its End, however many
// overlap. The zero value is ready to use and reads time.Now.
type Busy struct {
	mu     sync.Mutex
	now    func() time.Time // nil: time.Now
	active int
	since  time.Time
	total  time.Duration
}

func (b *Busy) clock() time.Time {
	if b.now != nil {
		return b.now()
	}
	return time.Now()
}

// Begin marks the start of one piece of work.
func (b *Busy) Begin() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.active == 0 {
		b.since = b.clock()
	}
	b.active++
}

// End marks the end of a piece of work begun with Begin. An End without
// its Begin is ignored.
func (b *Busy) End() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.active == 0 {
		return
	}
	b.active--
	if b.active == 0 {
		b.total += b.clock().Sub(b.since)
	}
}

// Total is the busy time so far, including the running stretch.
func (b *Busy) Total() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.total
	if b.active > 0 {
		t += b.clock().Sub(b.since)
	}
	return t
}
