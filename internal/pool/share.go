package pool

import (
	"slices"
	"time"
)

// Sharing a line out. Routing decides when a call arrives, on the
// estimates of that moment; at the start of a class they are the
// defaults, which may be far off (a load worth 2 calls by the defaults
// may be worth 8), and with Cautious set no second copy of a model is
// loaded on them at all. So when a call finishes (a measurement came in,
// a slot came free), a machine without waiting calls may take over the
// tail of another machine's line of one model, if by the current
// estimates both then finish sooner than that machine alone, its load
// included. The waiting calls keep their tickets (the caller's queue
// order), so no position a call was told rises.

// shareLocked picks the calls to hand over after a call finished: for
// each healthy machine without waiting calls, none on their way to it,
// the move of the tail of another machine's waiting line of one model
// that shortens the later of the two finishes the most. The calls are
// marked (shareTo) and returned for OnShare; they move when their
// caller asks Moved.
func (p *Pool) shareLocked() []*Call {
	if p.cfg.OnShare == nil || p.cfg.Policy == PolicyRoundRobin {
		return nil
	}
	now := p.cfg.Now()
	var out []*Call
	for _, s := range p.machines {
		if !s.up || s.incoming > 0 || slices.ContainsFunc(s.pending, waiting) {
			continue
		}
		var best []*Call
		var bestGain time.Duration
		for _, t := range p.machines {
			if t == s || !t.up {
				continue // a machine that left has its calls moved (OnDown)
			}
			ahead := p.aheadLocked(t, now)
			for _, model := range waitingModels(t) {
				calls, gain := p.shareGainLocked(s, t, model, ahead, now)
				if gain > bestGain {
					best, bestGain = calls, gain
				}
			}
		}
		if len(best) == 0 {
			continue
		}
		model := best[0].Model
		s.loadFirst = !slices.Contains(s.willHoldLocked(), model)
		s.recent = append(s.recent, model) // the machine will hold it
		s.shareModel, s.arrived = model, false
		for _, c := range best {
			c.shareTo = s
			s.incoming++
		}
		p.log.Debug("sharing a line", "from", best[0].Machine, "to", s.Name, "model", model, "calls", len(best),
			"gain_ms", bestGain.Milliseconds())
		out = append(out, best...)
	}
	return out
}

// waiting reports whether c waits for a slot and may still move.
func waiting(c *Call) bool { return c.started.IsZero() && c.shareTo == nil }

// waitingModels lists the models of t's waiting calls.
func waitingModels(t *state) []string {
	var out []string
	for _, c := range t.pending {
		if waiting(c) && !slices.Contains(out, c.Model) {
			out = append(out, c.Model)
		}
	}
	return out
}

// shareGainLocked is the best move of the tail of t's waiting calls of
// model to the idle machine s: the calls, and by how much the later of
// the two machines' finishes comes before t's finish without the move
// (ahead). With Cautious, a model not measured yet is not moved.
func (p *Pool) shareGainLocked(s, t *state, model string, ahead time.Duration, now time.Time) ([]*Call, time.Duration) {
	if !s.hasLocked(model) || p.cfg.Cautious && !p.stats.measured(model) {
		return nil, 0
	}
	var tail []*Call
	for i := len(t.pending) - 1; i >= 0; i-- {
		if c := t.pending[i]; c.Model == model && waiting(c) {
			tail = append(tail, c)
		}
	}
	// A load holds the whole machine (the calls of the model wait for
	// it), and costs one more: the switch back of the model it evicts,
	// or on an empty machine the load of the next model nobody holds,
	// which would have gone there without evicting anything (the reserve
	// of the routing rule).
	load := time.Duration(0)
	if held := s.willHoldLocked(); !slices.Contains(held, model) {
		load = p.stats.load(s.Name, model)
		if len(held) == s.capacity {
			load += p.stats.load(s.Name, held[len(held)-1])
		} else if len(held) == 0 {
			load *= 2
		}
	}
	base := p.aheadLocked(s, now)
	fromT := p.stats.call(t.Name, model) / time.Duration(t.Slots)
	onS := p.stats.call(s.Name, model) / time.Duration(s.Slots)
	best, bestGain := 0, time.Duration(0)
	for k := 1; k <= len(tail); k++ {
		finishT := ahead - time.Duration(k)*fromT
		finishS := base + load + time.Duration(k)*onS
		if gain := ahead - max(finishT, finishS); gain > bestGain {
			best, bestGain = k, gain
		}
	}
	return tail[:best], bestGain
}

// Moved is the call that c became when the pool shared it to another
// machine (OnShare): it counts as queued there, and c is off its old
// machine. Nil when c was not shared, or its new machine left the pool
// (then route it again).
func (p *Pool) Moved(c *Call) *Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := c.shareTo
	if s == nil || c.done {
		return nil
	}
	c.removeLocked() // also unshares
	if !s.up {
		return nil
	}
	s.arrived = true
	n := &Call{p: p, m: s, Machine: s.Name, Model: c.Model, Work: p.stats.call(s.Name, c.Model), downs: s.downs}
	if s.loadFirst {
		// The first to come over loads the model: its measure is split
		// as a load's (Finish).
		s.loadFirst = false
		n.Load = p.stats.load(s.Name, c.Model)
	}
	s.pending = append(s.pending, n)
	p.log.Debug("shared", "from", c.Machine, "machine", s.Name, "model", c.Model, "load_ms", n.Load.Milliseconds())
	return n
}

// unshareLocked forgets that c is shared out: it started where it
// waited, or left. When none of the calls shared to a machine came over,
// the machine will not hold their model after all.
func (c *Call) unshareLocked() {
	s := c.shareTo
	if s == nil {
		return
	}
	c.shareTo = nil
	s.incoming--
	if s.incoming > 0 {
		return
	}
	s.loadFirst = false
	if !s.arrived {
		for i := len(s.recent) - 1; i >= 0; i-- {
			if s.recent[i] == s.shareModel {
				s.recent = slices.Delete(s.recent, i, i+1)
				break
			}
		}
	}
}
