package pool

import (
	"testing"
	"time"
)

// TestLoadHoldsMachine: the work ahead on a machine of two slots counts a
// load whole (the other calls of its model wait for it), the calls' work
// per slot; a started call loads first, then works.
func TestLoadHoldsMachine(t *testing.T) {
	p, clk := newTestPool(PolicyModels, Machine{Name: "m1", Slots: 2})
	first := p.Route("x") // loads x: 5 s, then 1 s of work
	first.Start()
	p.Route("x")
	s := p.machines[0]
	for _, tt := range []struct {
		after, want time.Duration
	}{
		{0, 5*time.Second + time.Second},                               // 5 + (1 + 1)/2
		{2 * time.Second, 3*time.Second + time.Second},                 // 3 + (1 + 1)/2
		{6 * time.Second, 500 * time.Millisecond},                      // 0 + (0 + 1)/2
		{5*time.Second + 500*time.Millisecond, 750 * time.Millisecond}, // 0 + (0.5 + 1)/2
	} {
		clk.t = time.Unix(1000, 0).Add(tt.after)
		p.mu.Lock()
		got := p.aheadLocked(s, clk.now())
		p.mu.Unlock()
		if got != tt.want {
			t.Errorf("after %v: ahead %v, want %v", tt.after, got, tt.want)
		}
	}
}

// TestEvictLastCopy: a machine without a line that holds the pool's only
// copy of a model still in use (a call of it routed within its load time)
// counts the load that model's next call will pay when it switches; once
// the model's calls stop coming, it does not.
func TestEvictLastCopy(t *testing.T) {
	p, clk := newTestPool(PolicyModels, two()...)
	p.Report("m1", up(nil, "x"))
	p.Report("m2", up(nil, "y"))
	c := p.Route("x")
	if c.Machine != "m1" {
		t.Fatalf("x went to %s", c.Machine)
	}
	c.Start()
	clk.add(time.Second)
	c.Finish(true, 0)
	for range 8 {
		p.Route("y", "m1")
	}
	// m1: 1 + 5 (load y) + 5 (x's next call loads again) = 11; m2: 8 + 1.
	if c := p.Route("y"); c.Machine != "m2" {
		t.Fatalf("1 s after x was routed, y went to %s: the only copy of x evicted", c.Machine)
	}
	clk.add(5 * time.Second)
	// x not routed for 6 s, more than its load: m1 1 + 5 = 6; m2 9 + 1.
	if c := p.Route("y"); c.Machine != "m1" || c.Load == 0 {
		t.Fatalf("6 s after x, y went to %s (load %v), want m1 with a load", c.Machine, c.Load)
	}
}
