package pool

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestPool(policy Policy, machines ...Machine) (*Pool, *clock) {
	c := &clock{t: time.Unix(1000, 0)}
	return New(Config{Machines: machines, Policy: policy, Now: c.now,
		Defaults: Defaults{Call: time.Second, Load: 5 * time.Second}}), c
}

// TestRoute: the rule of the package doc, one case per clause. Each case
// sets the machines' probes and queued calls, then routes one call.
func TestRoute(t *testing.T) {
	type queued struct {
		machine, model string
		running        bool
	}
	tests := []struct {
		name     string
		machines []Machine
		probes   map[string]Probe
		queued   []queued
		model    string
		avoid    []string
		want     string
		wantLoad bool
	}{
		{name: "idle, none loaded: the first", machines: two(), model: "x", want: "m1", wantLoad: true},
		{name: "the machine with the model loaded", machines: two(),
			probes: map[string]Probe{"m1": up(nil, "y"), "m2": up(nil, "x")}, model: "x", want: "m2"},
		{name: "only the machine that has the model", machines: two(),
			probes: map[string]Probe{"m1": up([]string{"y"}, "y"), "m2": up([]string{"x", "y"})}, model: "x", want: "m2", wantLoad: true},
		{name: "configured model list", machines: []Machine{{Name: "m1", Models: []string{"y"}}, {Name: "m2"}}, model: "x", want: "m2", wantLoad: true},
		{name: "a down machine is avoided even with the model loaded", machines: two(),
			probes: map[string]Probe{"m1": {Up: false, Loaded: []string{"x"}}, "m2": up(nil, "y")}, model: "x", want: "m2", wantLoad: true},
		{name: "all down: still one that has it", machines: two(),
			probes: map[string]Probe{"m1": {Up: false, Models: []string{"y"}}, "m2": {Up: false, Models: []string{"x"}}}, model: "x", want: "m2", wantLoad: true},
		{name: "nobody has it: any machine", machines: two(),
			probes: map[string]Probe{"m1": up([]string{"y"}), "m2": up([]string{"y"})}, model: "x", want: "m1", wantLoad: true},
		{name: "loaded but a long line: load elsewhere", machines: two(),
			probes: map[string]Probe{"m1": up(nil, "x"), "m2": up(nil, "y")},
			queued: []queued{{"m1", "x", true}, {"m1", "x", false}, {"m1", "x", false}, {"m1", "x", false}, {"m1", "x", false}, {"m1", "x", false}},
			model:  "x", want: "m2", wantLoad: true},
		{name: "loaded with a short line beats an idle load", machines: two(),
			probes: map[string]Probe{"m1": up(nil, "x"), "m2": up(nil, "y")},
			queued: []queued{{"m1", "x", true}, {"m1", "x", false}}, model: "x", want: "m1"},
		{name: "the model last queued counts as loaded", machines: two(),
			probes: map[string]Probe{"m1": up(nil, "y"), "m2": up(nil, "y")},
			queued: []queued{{"m2", "x", false}}, model: "x", avoid: []string{"m1"}, want: "m2"},
		{name: "a queued switch evicts the loaded model", machines: two(),
			probes: map[string]Probe{"m1": up(nil, "x"), "m2": up(nil, "y")},
			queued: []queued{{"m1", "y", false}}, model: "x", want: "m2", wantLoad: true},
		{name: "slots share the line", machines: []Machine{{Name: "m1", Slots: 4}, {Name: "m2"}},
			probes: map[string]Probe{"m1": up(nil, "x"), "m2": up(nil, "x")},
			queued: []queued{{"m1", "x", false}, {"m1", "x", false}, {"m2", "x", false}}, model: "x", want: "m1"},
		{name: "avoid", machines: two(), probes: map[string]Probe{"m1": up(nil, "x"), "m2": up(nil, "y")},
			model: "x", avoid: []string{"m1"}, want: "m2", wantLoad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newTestPool(PolicyModels, tt.machines...)
			for m, pr := range tt.probes {
				p.Report(m, pr)
			}
			for _, q := range tt.queued {
				c := p.Route(q.model, otherThan(p, q.machine)...)
				if c.Machine != q.machine {
					t.Fatalf("setup: queued %s went to %s", q.machine, c.Machine)
				}
				if q.running {
					c.Start()
				}
			}
			c := p.Route(tt.model, tt.avoid...)
			if c.Machine != tt.want || (c.Load > 0) != tt.wantLoad {
				t.Fatalf("routed to %s with load %v; want %s, load %v", c.Machine, c.Load, tt.want, tt.wantLoad)
			}
		})
	}
}

func two() []Machine { return []Machine{{Name: "m1"}, {Name: "m2"}} }

func up(models []string, loaded ...string) Probe {
	return Probe{Up: true, Models: models, Loaded: loaded}
}

func otherThan(p *Pool, name string) []string {
	var out []string
	for _, n := range p.Names() {
		if n != name {
			out = append(out, n)
		}
	}
	return out
}

// TestMeasured: the estimates follow measured durations. A slow machine's
// measured calls send the next call to the other one, and a measured
// (cheap) load makes switching worth it where the default was not.
func TestMeasured(t *testing.T) {
	p, clk := newTestPool(PolicyModels, two()...)
	p.Report("m1", up(nil, "x"))
	p.Report("m2", up(nil, "x"))
	for range 3 {
		c := p.Route("x", "m2")
		c.Start()
		clk.add(4 * time.Second)
		c.Finish(true, 0)
	}
	if got := p.stats.call("m1", "x"); got != 4*time.Second {
		t.Fatalf("m1 call estimate %v, want 4s", got)
	}
	// m1 is idle but measured slow; m2 idle with the default of 1s... and
	// also learns from m1's measurements of x: 4s. Make m2 measure 1s.
	c := p.Route("x", "m1")
	c.Start()
	clk.add(time.Second)
	c.Finish(true, 0)
	if got := p.Route("x").Machine; got != "m2" {
		t.Fatalf("routed to %s, want the faster m2", got)
	}

	// A reported load feeds the load average, not the call's.
	q, clk2 := newTestPool(PolicyModels, Machine{Name: "m1"})
	c = q.Route("z")
	c.Start()
	clk2.add(3 * time.Second)
	c.Finish(true, 2*time.Second)
	if l, w := q.stats.load("m1", "z"), q.stats.call("m1", "z"); l != 2*time.Second || w != time.Second {
		t.Fatalf("load %v, call %v; want 2s and 1s", l, w)
	}
	// Without a report, a call routed expecting a load measures the load
	// as the time beyond its usual work.
	c = q.Route("w")
	if c.Load == 0 {
		t.Fatal("a new model was not expected to load")
	}
	c.Start()
	clk2.add(4 * time.Second)
	c.Finish(true, 0)
	if l := q.stats.load("m1", "w"); l != 3*time.Second {
		t.Fatalf("load of w %v, want 4s - 1s", l)
	}
	// A failed call measures nothing.
	c = q.Route("w")
	c.Start()
	clk2.add(time.Minute)
	c.Finish(false, 0)
	if w := q.stats.call("m1", "w"); w != time.Second {
		t.Fatalf("a failed call changed the estimate to %v", w)
	}
}

// TestRoundRobin ignores loaded models and lines but not health.
func TestRoundRobin(t *testing.T) {
	p, _ := newTestPool(PolicyRoundRobin, Machine{Name: "m1"}, Machine{Name: "m2"}, Machine{Name: "m3"})
	p.Report("m1", up(nil, "x"))
	p.Report("m3", Probe{Up: false})
	var got []string
	for range 4 {
		got = append(got, p.Route("x").Machine)
	}
	if want := []string{"m1", "m2", "m1", "m2"}; !equal(got, want) {
		t.Fatalf("routed %v, want %v", got, want)
	}
}

// TestHealth: a machine leaves on a failed probe or call (OnDown once) and
// rejoins on a good probe.
func TestHealth(t *testing.T) {
	var downs []string
	p := New(Config{Machines: two(), OnDown: func(m string) { downs = append(downs, m) }})
	p.Fail("m1", "connection refused")
	p.Report("m1", Probe{Up: false, Detail: "still down"})
	if p.Up("m1") || !p.Up("m2") || len(downs) != 1 || downs[0] != "m1" {
		t.Fatalf("up %v/%v, downs %v", p.Up("m1"), p.Up("m2"), downs)
	}
	if got := p.Route("x").Machine; got != "m2" {
		t.Fatalf("routed to %s while m1 is down", got)
	}
	p.Report("m1", Probe{Up: true})
	if !p.Up("m1") {
		t.Fatal("m1 did not rejoin")
	}
	st := p.Status()
	if len(st) != 2 || !st[0].Up || st[1].Pending != 1 || st[1].Loaded[0] != "x" {
		t.Fatalf("status %+v", st)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestFewSwitches routes classes at once: 30 calls of two models in a
// random order on two idle machines, with a load worth 2 or 4 calls. The
// pool should load each model about once and switch little more to even
// out the lines: at most 3.5 loads per class on average over 12 classes
// (counting a switch once, ignoring the switch back, gave 4.8).
func TestFewSwitches(t *testing.T) {
	loads, classes := 0, 0
	for seed := range uint64(6) {
		for _, ratio := range []time.Duration{2, 4} {
			p, _ := newTestPool(PolicyModels, two()...)
			p.stats = newStats(Defaults{Call: time.Second, Load: ratio * time.Second})
			rng := rand.New(rand.NewPCG(seed, 30))
			per := map[string]int{}
			for range 30 {
				c := p.Route([]string{"x", "y"}[rng.IntN(2)])
				per[c.Machine]++
				if c.Load > 0 {
					loads++
				}
			}
			if d := per["m1"] - per["m2"]; d > 10 || d < -10 {
				t.Errorf("seed %d: lines of %d and %d calls: not evened out", seed, per["m1"], per["m2"])
			}
			classes++
		}
	}
	if avg := float64(loads) / float64(classes); avg > 3.5 {
		t.Fatalf("%.1f loads per class of 30 calls of 2 models, want at most 3.5", avg)
	}
}

// TestEvictMovesLine: a call that switches a machine to another model
// hands the evicted model's waiting calls to OnEvict when another machine
// holds that model; running calls stay, and without such a machine
// nothing moves (the line would only switch another machine). A moved
// call does not go back to the machine it left while a home exists.
func TestEvictMovesLine(t *testing.T) {
	var evicted []string
	p, _ := newTestPool(PolicyModels, two()...)
	p.cfg.OnEvict = func(m string, models []string) { evicted = append(evicted, m+":"+models[0]) }
	p.Report("m1", up(nil, "x"))
	p.Report("m2", up(nil, "x"))
	run := p.Route("x", "m2")
	run.Start()
	var waiting []*Call
	for range 6 {
		waiting = append(waiting, p.Route("x", "m2"))
	}
	if c := p.Route("y", "m2"); c.Machine != "m1" || c.Load == 0 {
		t.Fatalf("y routed to %s, load %v", c.Machine, c.Load)
	}
	if len(evicted) != 1 || evicted[0] != "m1:x" {
		t.Fatalf("evicted %v, want m1:x", evicted)
	}
	for _, c := range waiting {
		c.Abort()
		if r := p.Reroute("x", "m1"); r.Machine != "m2" {
			t.Fatalf("moved call went to %s, want m2", r.Machine)
		}
	}

	// No home for the line: nothing moves.
	evicted = nil
	q, _ := newTestPool(PolicyModels, Machine{Name: "m1"}, Machine{Name: "m2", Models: []string{"y"}})
	q.cfg.OnEvict = func(m string, models []string) { evicted = append(evicted, m) }
	q.Report("m1", up(nil, "x"))
	for range 3 {
		q.Route("x")
	}
	q.Route("z")
	if len(evicted) != 0 {
		t.Fatalf("moved a line that has no other machine: %v", evicted)
	}
}

// TestColdStart: on an idle pool with nothing loaded, the models spread
// over the machines: a second call of a model queues behind the first on
// its machine rather than loading a second copy on the empty one, whose
// place goes to the next model nobody holds.
func TestColdStart(t *testing.T) {
	p, _ := newTestPool(PolicyModels, two()...)
	p.stats = newStats(Defaults{Call: time.Second, Load: 4 * time.Second})
	var got []string
	for _, m := range []string{"x", "x", "x", "y", "y", "x"} {
		got = append(got, p.Route(m).Machine)
	}
	if want := []string{"m1", "m1", "m1", "m2", "m2", "m1"}; !equal(got, want) {
		t.Fatalf("routed %v, want %v", got, want)
	}
	// Without the other model, a long enough line still spreads.
	q, _ := newTestPool(PolicyModels, two()...)
	per := map[string]int{}
	for range 20 {
		per[q.Route("x").Machine]++
	}
	if per["m2"] == 0 {
		t.Fatalf("20 calls of one model all on one machine: %v", per)
	}
}

// TestFirstLoadSplit: the first call of an idle pool loads its model and
// no call has been measured: its duration is split once the machine's
// first call without a load is measured, not by the default work (which
// would make a load shorter than the default look free).
func TestFirstLoadSplit(t *testing.T) {
	p, clk := newTestPool(PolicyModels, Machine{Name: "m1"})
	p.stats = newStats(Defaults{Call: 10 * time.Second, Load: 20 * time.Second})
	c := p.Route("x")
	c.Start()
	clk.add(9 * time.Second) // 8 s load, 1 s work
	c.Finish(true, 0)
	if l := p.stats.load("m1", "x"); l != 20*time.Second {
		t.Fatalf("load estimate %v before any work was measured, want the default", l)
	}
	c = p.Route("x")
	if c.Load != 0 {
		t.Fatal("x was expected to load again")
	}
	c.Start()
	clk.add(time.Second)
	c.Finish(true, 0)
	if l, w := p.stats.load("m1", "x"), p.stats.call("m1", "x"); l != 8*time.Second || w != time.Second {
		t.Fatalf("load %v, work %v; want 8s and 1s", l, w)
	}
}

// TestDownMovesOnlyWhereTheyCanGo: a machine that leaves while no other
// is up keeps its waiting calls (moving them would put them back in the
// same line); when another machine rejoins, the calls still waiting for
// the one that is down move to it.
func TestDownMovesOnlyWhereTheyCanGo(t *testing.T) {
	var downs []string
	p := New(Config{Machines: []Machine{{Name: "solo"}}, OnDown: func(m string) { downs = append(downs, m) }})
	p.Fail("solo", "probe timed out")
	if len(downs) != 0 {
		t.Fatalf("the only machine's calls were moved: %v", downs)
	}
	downs = nil
	q := New(Config{Machines: two(), OnDown: func(m string) { downs = append(downs, m) }})
	q.Fail("m2", "down")
	q.Fail("m1", "down too")
	if want := []string{"m2"}; !equal(downs, want) {
		t.Fatalf("moves %v, want %v (m1 left with nowhere to go)", downs, want)
	}
	q.Report("m2", Probe{Up: true})
	if want := []string{"m2", "m1"}; !equal(downs, want) {
		t.Fatalf("moves %v, want %v: m1's calls move once m2 is back", downs, want)
	}
}
