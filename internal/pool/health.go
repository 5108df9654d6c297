package pool

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Probe is the outcome of one health check of a machine.
type Probe struct {
	Up     bool
	Detail string
	// Models are the models the machine has; nil when not known (the
	// probe did not list them this time).
	Models []string
	// Loaded are the models loaded now (Ollama /api/ps); nil when not
	// known.
	Loaded []string
}

// ProbeFunc checks one machine; it must return within ctx.
type ProbeFunc func(ctx context.Context, machine string) Probe

// Report records a probe of machine. A machine that was up and is not
// leaves the pool (OnDown is called); one that answers again rejoins.
func (p *Pool) Report(machine string, pr Probe) {
	p.mu.Lock()
	s := p.findLocked(machine)
	if s == nil {
		p.mu.Unlock()
		return
	}
	wasUp := s.up
	s.up, s.detail, s.checked, s.checkedAt = pr.Up, pr.Detail, true, p.cfg.Now()
	if wasUp && !pr.Up {
		s.downs++
	}
	if pr.Models != nil {
		s.has = map[string]bool{}
		for _, m := range pr.Models {
			s.has[p.cfg.Canon(m)] = true
		}
	}
	if pr.Loaded != nil {
		s.loaded = nil
		for _, m := range pr.Loaded {
			s.loaded = append(s.loaded, p.cfg.Canon(m))
		}
		if s.Capacity == 0 {
			s.capacity = max(s.capacity, len(s.loaded))
		}
		// What was routed and has run is in the list now; what still
		// waits or runs will be loaded after it.
		s.recent = s.recent[:0]
		for _, c := range s.pending {
			s.recent = append(s.recent, c.Model)
		}
	}
	p.mu.Unlock()
	p.transition(machine, wasUp, pr.Up, pr.Detail)
}

// Fail marks machine down at once: a call could not connect to it. The
// next successful probe brings it back.
func (p *Pool) Fail(machine, detail string) {
	p.mu.Lock()
	s := p.findLocked(machine)
	if s == nil {
		p.mu.Unlock()
		return
	}
	wasUp := s.up
	s.up, s.detail, s.checkedAt = false, detail, p.cfg.Now()
	if wasUp {
		s.downs++
	}
	p.mu.Unlock()
	p.transition(machine, wasUp, false, detail)
}

// transition logs a change of machine's health and moves waiting calls:
// those of a machine that left, when another machine is up to take them
// (with none, moving them would only put them back in the same line); and
// when a machine rejoins, those still waiting for machines that are down.
func (p *Pool) transition(machine string, wasUp, up bool, detail string) {
	switch {
	case wasUp && !up:
		p.log.Warn("machine left the pool", "machine", machine, "detail", detail)
		if p.cfg.OnDown != nil && len(p.downExcept("")) < len(p.machines) {
			p.cfg.OnDown(machine)
		}
	case !wasUp && up:
		p.log.Info("machine rejoined the pool", "machine", machine, "detail", detail)
		if p.cfg.OnDown != nil {
			for _, m := range p.downExcept(machine) {
				p.cfg.OnDown(m)
			}
		}
	}
}

// downExcept lists the machines that are down, other than machine.
func (p *Pool) downExcept(machine string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, s := range p.machines {
		if !s.up && s.Name != machine {
			out = append(out, s.Name)
		}
	}
	return out
}

// Up reports whether machine is in the pool (healthy or not yet checked).
func (p *Pool) Up(machine string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.findLocked(machine)
	return s != nil && s.up
}

func (p *Pool) findLocked(name string) *state {
	for _, s := range p.machines {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Status is one machine's state, for /api/backends, /metrics and the log.
type Status struct {
	Name    string
	Up      bool
	Checked bool // a probe has run
	Detail  string
	// CheckedAt is the time of the last probe or failure.
	CheckedAt time.Time
	// Loaded are the models loaded (or, on image machines, last queued).
	Loaded []string
	// Models is how many models the machine reported (-1: not known).
	Models  int
	Pending int // calls routed to it and not finished
	Labels  []string
}

// Status reports every machine in order.
func (p *Pool) Status() []Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Status, 0, len(p.machines))
	for _, s := range p.machines {
		n := -1
		if s.has != nil {
			n = len(s.has)
		}
		loaded := s.willHoldLocked()
		slices.Sort(loaded)
		out = append(out, Status{Name: s.Name, Up: s.up, Checked: s.checked, Detail: s.detail, CheckedAt: s.checkedAt,
			Loaded: loaded, Models: n, Pending: len(s.pending), Labels: slices.Clone(s.Labels)})
	}
	return out
}

// Run probes every machine each interval, each with a timeout of at most
// the interval (and 3 s), until ctx ends. Probes of different machines run
// side by side, so a hung machine delays nobody.
func (p *Pool) Run(ctx context.Context, interval time.Duration, probe ProbeFunc) {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	var wg sync.WaitGroup
	for _, name := range p.Names() {
		wg.Go(func() {
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				pctx, cancel := context.WithTimeout(ctx, min(interval, 3*time.Second))
				pr := probe(pctx, name)
				cancel()
				if ctx.Err() != nil {
					return
				}
				p.Report(name, pr)
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		})
	}
	wg.Wait()
}
