package pool

import (
	"testing"
	"time"
)

// runFor runs c to a successful end after d on clk, so its model counts
// as measured.
func runFor(clk *clock, c *Call, d time.Duration) {
	c.Start()
	clk.add(d)
	c.Finish(true, 0)
}

// TestCautious: with Cautious set, the defaults never pay for a second
// copy of a model: a long line of a model not measured yet stays on the
// machine that holds it, where without Cautious it loads on the other
// (TestRoute, "loaded but a long line"); once a call of it is measured,
// the estimates decide again. A model nobody holds still goes to the
// empty machine.
func TestCautious(t *testing.T) {
	p, _ := newTestPool(PolicyModels, two()...)
	p.cfg.Cautious = true
	p.Report("m1", up(nil, "x"))
	var got []string
	for range 8 {
		got = append(got, p.Route("x").Machine)
	}
	if want := []string{"m1", "m1", "m1", "m1", "m1", "m1", "m1", "m1"}; !equal(got, want) {
		t.Fatalf("unmeasured x routed %v, want %v", got, want)
	}
	if c := p.Route("y"); c.Machine != "m2" || c.Load == 0 {
		t.Fatalf("y, held by nobody, went to %s (load %v), want the empty m2", c.Machine, c.Load)
	}

	// Measured: once 6 one-second calls are ahead on m1, the 7th finishes
	// sooner on m2 after its 5 s load.
	q, clk := newTestPool(PolicyModels, two()...)
	q.cfg.Cautious = true
	q.Report("m1", up(nil, "x"))
	q.Report("m2", up(nil, "z"))
	first := q.Route("x")
	runFor(clk, first, time.Second)
	for range 6 {
		if c := q.Route("x"); c.Machine != "m1" {
			t.Fatalf("a call of a line shorter than the load went to %s", c.Machine)
		}
	}
	if c := q.Route("x"); c.Machine != "m2" || c.Load == 0 {
		t.Fatalf("the 7th call of a measured line went to %s (load %v), want a load on m2", c.Machine, c.Load)
	}
}

// TestShareLine: when a call finishes, a machine without waiting calls
// takes the tail of another machine's line of a measured model, as many
// calls as even out the two finishes (its load counted twice: the load,
// and the reserve of an empty machine); each shared
// call becomes a call of the new machine when its caller asks (Moved),
// the first one loading. A call that got its slot first stays; a line too
// short to pay the load is not shared.
func TestShareLine(t *testing.T) {
	var shared [][]*Call
	p, clk := newTestPool(PolicyModels, two()...)
	p.cfg.Cautious = true
	p.cfg.OnShare = func(calls []*Call) { shared = append(shared, calls) }
	p.Report("m1", up(nil, "x"))
	p.Report("m2", up(nil))
	var line []*Call
	for range 20 {
		line = append(line, p.Route("x"))
	}
	for _, c := range line {
		if c.Machine != "m1" {
			t.Fatalf("unmeasured x went to %s", c.Machine)
		}
	}
	runFor(clk, line[0], time.Second)
	// 19 waiting 1 s calls on m1; m2 loads in 5 s, counted twice: 4
	// calls move, m1 is done after 15 s, m2 after 14 (instead of 19).
	if len(shared) != 1 || len(shared[0]) != 4 || shared[0][0] != line[19] || shared[0][3] != line[16] {
		t.Fatalf("shared %v, want the last four calls of the line", shared)
	}
	if !line[19].Shared() || line[15].Shared() {
		t.Fatal("Shared does not tell the shared calls")
	}
	if p.Moved(line[15]) != nil {
		t.Fatal("a call not shared moved")
	}
	n := p.Moved(line[19])
	if n == nil || n.Machine != "m2" || n.Load == 0 {
		t.Fatalf("moved call %+v, want one on m2 that loads x", n)
	}
	// Another shared call gets its slot on m1 before it moves: it stays.
	line[18].Start()
	if p.Moved(line[18]) != nil {
		t.Fatal("a shared call that started where it was moved anyway")
	}
	// Routing sees the moved call on m2, with x loaded there.
	if c := p.Route("x"); c.Machine != "m2" || c.Load != 0 {
		t.Fatalf("next x went to %s (load %v), want m2 without a load", c.Machine, c.Load)
	}

	// The other two shared calls both get their slots on m1: m2 got one
	// call of x, so it still holds x.
	line[17].Start()
	line[16].Start()
	if p.Moved(line[17]) != nil || p.Moved(line[16]) != nil {
		t.Fatal("a shared call that started where it was moved anyway")
	}
	if held := p.machines[1].willHoldLocked(); !equal(held, []string{"x"}) {
		t.Fatalf("m2 will hold %v, want x", held)
	}

	// None of the shared calls comes over: the machine does not count as
	// holding their model.
	r, clk2 := newTestPool(PolicyModels, two()...)
	var shared2 []*Call
	r.cfg.OnShare = func(calls []*Call) { shared2 = append(shared2, calls...) }
	r.Report("m1", up(nil, "x"))
	r.Report("m2", up(nil, "y"))
	var long []*Call
	for range 20 {
		long = append(long, r.Route("x", "m2"))
	}
	runFor(clk2, long[0], time.Second)
	if len(shared2) == 0 {
		t.Fatal("a line of 19 one-second calls was not shared to an idle machine holding y")
	}
	for _, c := range shared2 {
		c.Abort() // cancelled while waiting
	}
	if held := r.machines[1].willHoldLocked(); !equal(held, []string{"y"}) {
		t.Fatalf("m2 will hold %v after no shared call came, want y", held)
	}

	// A line shorter than a load and the switch back: nothing to share.
	shared = nil
	q, clk := newTestPool(PolicyModels, two()...)
	q.cfg.OnShare = func(calls []*Call) { shared = append(shared, calls) }
	q.Report("m1", up(nil, "x"))
	q.Report("m2", up(nil, "y"))
	var short []*Call
	for range 9 {
		short = append(short, q.Route("x", "m2"))
	}
	runFor(clk, short[0], time.Second)
	if len(shared) != 0 {
		t.Fatalf("shared %v of a line of 8 one-second calls, with a 5 s load and a 5 s switch back", shared)
	}
}
