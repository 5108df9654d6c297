// Package pool routes calls over several machines of one sort: the LLM
// machines (Ollama, OpenAI-compatible) or the image machines (SwarmUI,
// ComfyUI). It keeps each machine's health, the models it has and has
// loaded, the calls routed to it and measured call and load times, and
// picks the machine of each call by one rule (docs/backends.md,
// "Routing"):
//
//  1. only healthy machines that have the model (when none has it, the
//     machines that have it; when none has it at all, every machine);
//  2. the lowest estimated finish: loads queued ahead + work queued ahead
//     per slot (re-estimated from the current measurements) + this call's
//     work + a load when the model will not be the loaded one (counted
//     twice when the machine has a line, or evicts the pool's only copy of
//     a model routed within its load time: the switch back; and twice when
//     the machine is empty while another holds the model: the empty
//     machine is kept for a model nobody holds);
//  3. ties: the machine where the model is loaded, then one whose load
//     evicts nothing, then the first listed.
//
// A call that switches a machine to another model hands the evicted
// model's waiting calls to OnEvict when another machine holds that model
// (or nothing): they route again (Reroute), so each machine keeps the line
// of one model.
//
// With Config.Cautious, a model not measured yet never loads a second
// copy; with Config.OnShare, a machine without waiting calls takes over
// the tail of another's line when a call finishes (share.go).
//
// Durations are moving averages per machine and model (falling back to
// the model on any machine, then to any call), seeded with Defaults. With
// PolicyRoundRobin step 2 and 3 are replaced by taking the machines in
// turn: the baseline of the class benchmark.
//
// The package does no I/O: probes come in through Report and Fail, the
// caller's health loop (Run) calls a probe function.
package pool

import (
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Policy is how calls are routed (AI4ARTSED_ROUTING).
type Policy string

// Routing policies.
const (
	// PolicyModels routes by model availability, loaded models and the
	// estimated finish (the default).
	PolicyModels Policy = "models"
	// PolicyRoundRobin takes the healthy machines that have the model in
	// turn, ignoring loaded models and queues: a baseline only.
	PolicyRoundRobin Policy = "round-robin"
)

// Machine is one machine of a pool.
type Machine struct {
	Name  string
	Slots int // calls at once; below 1 means 1
	// Models, when set, are the only models routed to the machine.
	Models []string
	Labels []string
	// Capacity is how many models the machine holds loaded at once; 0
	// learns it from probes (the most Loaded ever listed, at least 1).
	Capacity int
}

// Defaults seed the estimates of a machine and model not yet measured.
type Defaults struct {
	Call time.Duration // one call's work
	Load time.Duration // loading a model
}

// Config configures a Pool.
type Config struct {
	Machines []Machine
	Policy   Policy // "" means PolicyModels
	Defaults Defaults
	// Canon maps a model name to the form machines report (Ollama adds
	// ":latest" to a name without tag); nil keeps names as they are.
	Canon func(string) string
	// OnDown is called, outside the pool's lock, when a machine leaves
	// the pool: the caller moves the calls waiting for it.
	OnDown func(machine string)
	// OnEvict is called, outside the pool's lock, when a routed call
	// switches machine to another model while calls of the evicted models
	// wait there: the caller moves those waiting calls (Reroute).
	OnEvict func(machine string, models []string)
	// Cautious keeps the default estimates from paying for a load: while
	// no call of a model has been measured, a call of it goes to a machine
	// that holds it (or will) when one does, never to load a second copy.
	// Defaults are guesses; how many calls a load is worth is only known
	// once one is measured, and then OnShare shares the line out.
	Cautious bool
	// OnShare, when set, is called outside the lock with waiting calls
	// that the pool hands to a machine without waiting calls of its own,
	// which would finish them sooner by the current estimates: the caller
	// ends their waits, and each asks Moved for its new call (share.go).
	OnShare func(calls []*Call)
	Now     func() time.Time
	Logger  *slog.Logger
}

// Pool is the routing state of a set of machines. Safe for concurrent use.
type Pool struct {
	cfg   Config
	log   *slog.Logger
	stats *stats

	mu       sync.Mutex
	machines []*state
	rr       int
	// lastRouted is when a call of each model was last routed.
	lastRouted map[string]time.Time
}

// state is what the pool knows of one machine.
type state struct {
	Machine
	up         bool
	checked    bool
	detail     string
	checkedAt  time.Time
	configured map[string]bool // nil: any model
	has        map[string]bool // from probes; nil: unknown
	loaded     []string        // from the last probe that listed them
	recent     []string        // models routed here since, oldest first
	capacity   int
	pending    []*Call
	downs      int // times the machine left the pool
	// incoming counts the calls shared to this machine that have not
	// come over yet; loadFirst says the first of them loads the model.
	incoming  int
	loadFirst bool
	// shareModel is the model of the calls shared to this machine, put in
	// recent when they were; arrived says one came over (Moved).
	shareModel string
	arrived    bool
}

// New returns a pool of cfg.Machines; every machine counts as healthy
// until a probe says otherwise.
func New(cfg Config) *Pool {
	if cfg.Policy == "" {
		cfg.Policy = PolicyModels
	}
	if cfg.Canon == nil {
		cfg.Canon = func(s string) string { return s }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Defaults.Call <= 0 {
		cfg.Defaults.Call = 5 * time.Second
	}
	if cfg.Defaults.Load <= 0 {
		cfg.Defaults.Load = 15 * time.Second
	}
	p := &Pool{cfg: cfg, log: cfg.Logger, stats: newStats(cfg.Defaults), lastRouted: map[string]time.Time{}}
	for _, m := range cfg.Machines {
		m.Slots = max(m.Slots, 1)
		s := &state{Machine: m, up: true, detail: "not checked yet", capacity: max(m.Capacity, 1)}
		if m.Models != nil {
			s.configured = map[string]bool{}
			for _, name := range m.Models {
				s.configured[cfg.Canon(name)] = true
			}
		}
		p.machines = append(p.machines, s)
	}
	return p
}

// Policy returns the routing policy.
func (p *Pool) Policy() Policy { return p.cfg.Policy }

// Names lists the machines in order.
func (p *Pool) Names() []string {
	out := make([]string, len(p.machines))
	for i, s := range p.machines {
		out[i] = s.Name
	}
	return out
}

// Call is one call routed to a machine. The caller reports when it got a
// slot (Start) and how it ended (Finish), or that it left without running
// (Abort). Each is safe to call once; later calls do nothing.
type Call struct {
	p       *Pool
	m       *state
	Machine string // the machine's name
	Model   string // as given to Route
	// Work and Load are the estimates the route was chosen with; Load is 0
	// when the model was expected to be loaded there.
	Work, Load time.Duration
	started    time.Time
	done       bool
	downs      int    // the machine's downs when routed
	shareTo    *state // the machine the call is shared to, until it moves
}

// Stale reports whether the call's machine left the pool since the call
// was routed: the caller should route it again.
func (c *Call) Stale() bool {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return c.m.downs != c.downs
}

// Shared reports whether the pool shared the waiting call to another
// machine (OnShare) before it got a slot: the caller should end its wait
// and take its new call (Moved).
func (c *Call) Shared() bool {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return c.shareTo != nil
}

// Route picks the machine for a call of model, never one named in avoid
// (unless every machine is), and counts the call as queued there. When the
// call switches its machine to another model, the calls of the evicted
// model still waiting there are handed to OnEvict, to route again (Reroute):
// a machine keeps the line of one model rather than alternating.
func (p *Pool) Route(model string, avoid ...string) *Call {
	return p.route(model, "", avoid, true)
}

// Reroute is Route for a call that was moved off machine from (it left
// the pool or switched to another model): it goes back there only when no
// other healthy machine holds the model or nothing, and never moves other
// calls in turn.
func (p *Pool) Reroute(model, from string, avoid ...string) *Call {
	return p.route(model, from, avoid, false)
}

func (p *Pool) route(model, from string, avoid []string, mayEvict bool) *Call {
	model = p.cfg.Canon(model)
	p.mu.Lock()
	now := p.cfg.Now()
	cands := p.candidatesLocked(model, avoid)
	if from != "" && p.homeLocked(model, p.findLocked(from)) != nil {
		cands = slices.DeleteFunc(cands, func(s *state) bool { return s.Name == from })
	}
	var best *state
	var bestFinish, bestWork, bestLoad time.Duration
	bestLoaded, bestFree := false, false
	if p.cfg.Policy == PolicyRoundRobin {
		best = cands[p.rr%len(cands)]
		p.rr++
		bestWork, bestLoad, bestLoaded = p.costLocked(best, model)
	} else {
		held := p.heldLocked(cands, model)
		guess := p.cfg.Cautious && held && !p.stats.measured(model)
		for _, s := range cands {
			work, load, loaded := p.costLocked(s, model)
			if guess && !loaded {
				continue // a second copy, on the defaults only
			}
			finish := p.aheadLocked(s, now) + work + load + p.displaceLocked(s, loaded, now) + p.reserveLocked(s, model, loaded, held)
			free := len(s.willHoldLocked()) < s.capacity // a load evicts nothing
			better := best == nil || finish < bestFinish ||
				finish == bestFinish && (loaded && !bestLoaded || loaded == bestLoaded && free && !bestFree)
			if better {
				best, bestFinish, bestWork, bestLoad, bestLoaded, bestFree = s, finish, work, load, loaded, free
			}
		}
	}
	var evicted []string
	if mayEvict && !bestLoaded && p.cfg.Policy != PolicyRoundRobin {
		if gone := best.evictedLocked(model); gone != "" && p.homeLocked(gone, best) != nil {
			evicted = []string{gone}
		}
	}
	c := &Call{p: p, m: best, Machine: best.Name, Model: model, Work: bestWork, Load: bestLoad, downs: best.downs}
	p.log.Debug("routed", "machine", best.Name, "model", model, "policy", p.cfg.Policy, "pending", len(best.pending),
		"work_ms", bestWork.Milliseconds(), "load_ms", bestLoad.Milliseconds(), "finish_ms", bestFinish.Milliseconds(), "evicts", evicted)
	best.pending = append(best.pending, c)
	best.recent = append(best.recent, model)
	p.lastRouted[model] = now
	if len(best.recent) > 64 {
		best.recent = slices.Clone(best.recent[len(best.recent)-32:])
	}
	p.mu.Unlock()
	if len(evicted) > 0 && p.cfg.OnEvict != nil {
		p.cfg.OnEvict(best.Name, evicted)
	}
	return c
}

// evictedLocked is the model that a load of model on s pushes out of what
// s will hold while calls of it still wait (not started) on s ("" if
// none): its line should move rather than make s switch back.
func (s *state) evictedLocked(model string) string {
	before := s.willHoldLocked()
	if len(before) < s.capacity {
		return ""
	}
	gone := before[len(before)-1] // the least recently used goes
	for _, c := range s.pending {
		if c.Model == gone && c.started.IsZero() {
			return gone
		}
	}
	return ""
}

// homeLocked is a healthy machine other than not that has model and holds
// it (or will), or holds nothing: where a moved line of model goes without
// a switch. Nil when there is none.
func (p *Pool) homeLocked(model string, not *state) *state {
	for _, s := range p.machines {
		if s == not || !s.up || !s.hasLocked(model) {
			continue
		}
		if held := s.willHoldLocked(); len(held) == 0 && len(s.pending) == 0 || slices.Contains(held, model) {
			return s
		}
	}
	return nil
}

// heldLocked reports whether a machine among cands holds model or has a
// call of it queued.
func (p *Pool) heldLocked(cands []*state, model string) bool {
	for _, s := range cands {
		if slices.Contains(s.willHoldLocked(), model) {
			return true
		}
	}
	return false
}

// reserveLocked is what loading model on an empty machine (nothing loaded,
// nothing queued) costs beyond the load, while another machine holds the
// model already: a second copy of one model takes the place that the next
// model nobody holds would load into without evicting anything, so it
// pays the load that model would then cost. A model nobody holds yet goes
// to the empty machine at no such cost: the first loads of a pool spread
// the models over the machines rather than piling them on one.
func (p *Pool) reserveLocked(s *state, model string, loaded, held bool) time.Duration {
	if loaded || !held || len(s.pending) > 0 || len(s.willHoldLocked()) > 0 {
		return 0
	}
	return p.stats.load(s.Name, model)
}

// candidatesLocked applies step 1 of the rule.
func (p *Pool) candidatesLocked(model string, avoid []string) []*state {
	var healthy, having, all []*state
	for _, s := range p.machines {
		if slices.Contains(avoid, s.Name) {
			continue
		}
		all = append(all, s)
		if s.hasLocked(model) {
			having = append(having, s)
			if s.up {
				healthy = append(healthy, s)
			}
		}
	}
	switch {
	case len(healthy) > 0:
		return healthy
	case len(having) > 0:
		return having
	case len(all) > 0:
		return all
	}
	return slices.Clone(p.machines)
}

// hasLocked reports whether the machine has model (or may have it: its
// model list is not known yet).
func (s *state) hasLocked(model string) bool {
	if s.configured != nil && !s.configured[model] {
		return false
	}
	return s.has == nil || s.has[model]
}

// costLocked estimates this call's work on s and the load it needs; loaded
// tells whether the model will be the loaded one when the call runs.
func (p *Pool) costLocked(s *state, model string) (work, load time.Duration, loaded bool) {
	work = p.stats.call(s.Name, model)
	if slices.Contains(s.willHoldLocked(), model) {
		return work, 0, true
	}
	return work, p.stats.load(s.Name, model), false
}

// displaceLocked is what a load on s costs beyond itself: when s has a
// line of calls, the load breaks up its run of one model, and the next
// call of that model routed there pays a load back. Counting it keeps
// the pool from switching two machines back and forth when both lines
// are long.
//
// Without a line, the same holds when the load evicts the pool's only
// copy of a model whose calls still come: one was routed within its load
// time (with students starting over a while, the interception model
// between two students' calls).
func (p *Pool) displaceLocked(s *state, loaded bool, now time.Time) time.Duration {
	if loaded {
		return 0
	}
	if len(s.pending) > 0 && len(s.recent) > 0 {
		return p.stats.load(s.Name, s.recent[len(s.recent)-1])
	}
	held := s.willHoldLocked()
	if len(held) < s.capacity || len(held) == 0 {
		return 0 // the load evicts nothing
	}
	gone := held[len(held)-1]
	last, ok := p.lastRouted[gone]
	if !ok || now.Sub(last) >= p.stats.load(s.Name, gone) {
		return 0
	}
	for _, o := range p.machines {
		if o != s && o.up && slices.Contains(o.willHoldLocked(), gone) {
			return 0 // another copy stays
		}
	}
	return p.stats.load(s.Name, gone)
}

// willHoldLocked lists the models loaded once the calls routed to s have
// run: the last capacity distinct models of what a probe saw loaded
// followed by what was routed since.
func (s *state) willHoldLocked() []string {
	seq := append(slices.Clone(s.loaded), s.recent...)
	var out []string
	for i := len(seq) - 1; i >= 0 && len(out) < s.capacity; i-- {
		if !slices.Contains(out, seq[i]) {
			out = append(out, seq[i])
		}
	}
	return out
}

// aheadLocked is the work queued on s: the loads, and the work per slot:
// the current estimates of its pending calls (measured since they were routed, so the first calls
// of a class, routed on the defaults, count as what they really take), less
// what the running ones have done.
func (p *Pool) aheadLocked(s *state, now time.Time) time.Duration {
	// A line holds few models: look each estimate up once (a class's
	// queue can hold thousands of calls).
	type est struct {
		model      string
		work, load time.Duration
	}
	var ests []est
	var work, loads time.Duration
	for _, c := range s.pending {
		i := slices.IndexFunc(ests, func(e est) bool { return e.model == c.Model })
		if i < 0 {
			ests = append(ests, est{c.Model, p.stats.call(s.Name, c.Model), p.stats.load(s.Name, c.Model)})
			i = len(ests) - 1
		}
		w, l := ests[i].work, time.Duration(0)
		if c.Load > 0 {
			l = ests[i].load
		}
		if !c.started.IsZero() {
			// A started call loads first, then works.
			done := now.Sub(c.started)
			l, w = max(l-done, 0), max(w-max(done-l, 0), 0)
		}
		work += w
		loads += l
	}
	// A load holds the whole machine: the other calls of its model wait
	// for it, and another model's load waits for it or evicts it.
	return loads + work/time.Duration(s.Slots)
}

// Start records that the call got its slot and begins running.
func (c *Call) Start() {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	if c.started.IsZero() {
		c.started = c.p.cfg.Now()
	}
	c.unshareLocked()
}

// Abort takes a call that did not run (moved, cancelled while waiting,
// failed before output) off its machine without measuring it.
func (c *Call) Abort() {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	c.removeLocked()
}

// Finish takes the call off its machine. A call that succeeded is
// measured: its duration from Start, less load (the load time the server
// reported, 0 when it reports none). A load counts when the server reports
// one over loadFloor or, without a report, when the call was routed
// expecting a load: then the time beyond the measured work is the load
// (stats.observeLoaded). Then the pool may share a line out (OnShare).
func (c *Call) Finish(ok bool, load time.Duration) {
	c.p.mu.Lock()
	shared := c.finishLocked(ok, load)
	c.p.mu.Unlock()
	if len(shared) > 0 {
		c.p.cfg.OnShare(shared)
	}
}

// finishLocked is Finish under the lock; it returns the calls to share
// out now that a call has been measured and its machine has a slot free.
func (c *Call) finishLocked(ok bool, load time.Duration) []*Call {
	if c.done {
		return nil
	}
	c.removeLocked()
	if !ok || c.started.IsZero() {
		return c.p.shareLocked()
	}
	dur := c.p.cfg.Now().Sub(c.started)
	st, name, model := c.p.stats, c.m.Name, c.Model
	switch {
	case load > loadFloor:
		st.observeLoad(name, model, load)
		st.observeCall(name, model, max(dur-load, 0))
	case load > 0:
		st.observeCall(name, model, max(dur-load, 0))
	case c.Load > 0:
		st.observeLoaded(name, model, dur)
	default:
		st.observeCall(name, model, dur)
	}
	return c.p.shareLocked()
}

// loadFloor is the reported load time below which a model counts as
// already loaded (Ollama reports a few milliseconds then).
const loadFloor = 250 * time.Millisecond

func (c *Call) removeLocked() {
	if c.done {
		return
	}
	c.unshareLocked()
	c.done = true
	c.m.pending = slices.DeleteFunc(c.m.pending, func(o *Call) bool { return o == c })
}
