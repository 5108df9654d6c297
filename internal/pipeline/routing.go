package pipeline

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/pool"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// Several LLM machines (Config.LLMMachines) and image machines
// (Config.ImageMachines) form pools (internal/pool, docs/backends.md): each
// call is routed to one machine and waits in that machine's queue. When a
// machine leaves its pool, the calls waiting for it are moved: each routes
// again and waits anew with the same ticket. A call that could not connect
// is retried once on another machine.

// LLMMachine is one LLM server of a pool.
type LLMMachine struct {
	Name string
	// Provider is llm.ProviderOllama or llm.ProviderOpenAI: the calls of
	// models with that prefix go to the provider's machines.
	Provider string
	// Client takes model names without the provider prefix.
	Client llm.ResultClient
	Slots  int // 0: Config.Slots
	Models []string
	Labels []string
}

// Default estimates of a call not yet measured (docs/backends.md).
var (
	llmDefaults   = pool.Defaults{Call: 5 * time.Second, Load: 15 * time.Second}
	imageDefaults = pool.Defaults{Call: 10 * time.Second, Load: 20 * time.Second}
)

// errMoved ends the wait of a call whose machine left the pool.
var errMoved = errors.New("pipeline: the machine left the pool")

// machines lists the image machines of stage 4.
func (p *Pipeline) machines() []*Images {
	if len(p.cfg.ImageMachines) > 0 {
		return p.cfg.ImageMachines
	}
	if p.cfg.Images == nil {
		return nil
	}
	return []*Images{p.cfg.Images}
}

// imageMachine returns the image machine named name.
func (p *Pipeline) imageMachine(name string) *Images {
	for _, m := range p.machines() {
		if m.machine() == name {
			return m
		}
	}
	return nil
}

// LLMMachines lists the LLM machines of every pool, in order.
func (p *Pipeline) LLMMachines() []*LLMMachine { return slices.Clone(p.cfg.LLMMachines) }

// llmMachine returns the LLM machine named name.
func (p *Pipeline) llmMachine(name string) *LLMMachine {
	for _, m := range p.cfg.LLMMachines {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// ImagePool is the pool of the image machines (nil without any).
func (p *Pipeline) ImagePool() *pool.Pool {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	if p.imagePool == nil && len(p.machines()) > 0 {
		var ms []pool.Machine
		for _, m := range p.machines() {
			ms = append(ms, pool.Machine{Name: m.machine(), Slots: p.imageSlots(m), Models: m.Models, Labels: m.Labels, Capacity: 1})
		}
		p.imagePool = p.newPool(ms, imageDefaults, nil, true)
	}
	return p.imagePool
}

// LLMPool is the pool of provider's LLM machines (nil without any).
func (p *Pipeline) LLMPool(provider string) *pool.Pool {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	if pl, ok := p.llmPools[provider]; ok {
		return pl
	}
	var ms []pool.Machine
	for _, m := range p.cfg.LLMMachines {
		if m.Provider == provider {
			ms = append(ms, pool.Machine{Name: m.Name, Slots: p.llmSlots(m), Models: m.Models, Labels: m.Labels})
		}
	}
	var pl *pool.Pool
	if len(ms) > 0 {
		var canon func(string) string
		if provider == llm.ProviderOllama {
			canon = llm.OllamaName
		}
		pl = p.newPool(ms, llmDefaults, canon, false)
	}
	p.llmPools[provider] = pl
	return pl
}

// newPool builds a pool. An image pool is cautious and shares lines out
// (pool.Config.Cautious, OnShare): a generation's estimates are defaults
// until two of a checkpoint have run (SwarmUI and ComfyUI report no load
// time; the first generation's load and work are split by the second),
// and the first decisions of a class set where each checkpoint is loaded.
// An LLM pool is not: Ollama reports the load time in its first answer,
// and each student's calls alternate between models (interception, then
// stage 3), so a machine left empty is soon needed for the next model;
// a line shared onto it then would hold that model up behind a load.
func (p *Pipeline) newPool(ms []pool.Machine, def pool.Defaults, canon func(string) string, image bool) *pool.Pool {
	cfg := pool.Config{Machines: ms, Policy: p.cfg.Routing, Defaults: def, Canon: canon,
		OnDown: p.moveWaiting, OnEvict: p.moveEvicted, Logger: p.log.With("component", "pool")}
	if image {
		cfg.Cautious, cfg.OnShare = true, p.moveShared
	}
	return pool.New(cfg)
}

func (p *Pipeline) imageSlots(m *Images) int { return cmpOr(m.Slots, p.cfg.ImageSlots) }

func (p *Pipeline) llmSlots(m *LLMMachine) int { return cmpOr(m.Slots, p.cfg.Slots) }

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// waiter is a call waiting for a machine's slot: its routed call (model,
// machine) and how to end its wait.
type waiter struct {
	call   *pool.Call
	cancel context.CancelCauseFunc
}

// moveWaiting ends the wait of every call waiting for machine's slot, so
// each routes again (the pool's OnDown).
func (p *Pipeline) moveWaiting(machine string) {
	if n := p.move(machine, nil); n > 0 {
		p.log.Info("calls moved off a machine that left the pool", "machine", machine, "calls", n)
	}
}

// moveEvicted ends the wait of the calls of models waiting for machine's
// slot: a call routed there switches the machine to another model, and
// they route again rather than make it switch back (the pool's OnEvict).
func (p *Pipeline) moveEvicted(machine string, models []string) {
	if n := p.move(machine, models); n > 0 {
		p.log.Info("calls moved off a machine that switches model", "machine", machine, "models", models, "calls", n)
	}
}

// move ends the wait of the calls waiting for machine's slot, of models
// (nil: all), and reports how many.
func (p *Pipeline) move(machine string, models []string) int {
	p.qmu.Lock()
	var cancels []context.CancelCauseFunc
	for _, w := range p.waiters[machine] {
		if models == nil || slices.Contains(models, w.call.Model) {
			cancels = append(cancels, w.cancel)
		}
	}
	p.qmu.Unlock()
	for _, c := range cancels {
		c(errMoved)
	}
	return len(cancels)
}

// moveShared ends the wait of the calls the pool shared to another
// machine (the pool's OnShare): each asks the pool for its new call.
func (p *Pipeline) moveShared(calls []*pool.Call) {
	p.qmu.Lock()
	var cancels []context.CancelCauseFunc
	for _, ws := range p.waiters {
		for _, w := range ws {
			if slices.Contains(calls, w.call) {
				cancels = append(cancels, w.cancel)
			}
		}
	}
	p.qmu.Unlock()
	for _, c := range cancels {
		c(errMoved)
	}
	if len(cancels) > 0 {
		p.log.Info("calls shared to a machine without a line", "model", calls[0].Model, "from", calls[0].Machine, "calls", len(cancels))
	}
}

// watchWait registers cancel as the wait of call for its machine's slot.
func (p *Pipeline) watchWait(call *pool.Call, cancel context.CancelCauseFunc) (stop func()) {
	machine := call.Machine
	p.qmu.Lock()
	defer p.qmu.Unlock()
	p.waiterSeq++
	id := p.waiterSeq
	if p.waiters[machine] == nil {
		p.waiters[machine] = map[uint64]waiter{}
	}
	p.waiters[machine][id] = waiter{call: call, cancel: cancel}
	return func() {
		p.qmu.Lock()
		delete(p.waiters[machine], id)
		p.qmu.Unlock()
	}
}

// slot is a routed call holding its machine's slot.
type slot struct {
	call    *pool.Call
	release func()
}

// acquireRouted routes a call of model in pl (never to avoid, unless
// nothing else is left), runs before on the chosen machine (may be nil)
// and waits for a slot of its queue. A call whose machine leaves the pool
// or switches to another model while it waits routes again, and one the
// pool shares to another machine goes there; its ticket stays, and the
// position it is told does not rise.
func (x *execution) acquireRouted(pl *pool.Pool, model string, avoid []string, queueOf func(string) SlotQueue, kind string, before func(machine string) error) (*slot, error) {
	told := 0
	movedOff := "" // the machine the call was last moved off
	var shared *pool.Call
	for {
		c := shared
		switch {
		case c != nil:
			shared = nil
		case movedOff == "":
			c = pl.Route(model, avoid...)
		default:
			c = pl.Reroute(model, movedOff, avoid...)
		}
		if before != nil {
			if err := before(c.Machine); err != nil {
				c.Abort()
				return &slot{call: c}, err
			}
		}
		ctx, cancel := context.WithCancelCause(x.ctx)
		stop := x.p.watchWait(c, cancel)
		if c.Stale() || c.Shared() {
			cancel(errMoved)
		}
		release, err := x.acquireIn(ctx, queueOf(c.Machine), kind, c.Machine, &told)
		stop()
		moved := errors.Is(context.Cause(ctx), errMoved)
		cancel(nil)
		if err == nil && moved {
			// The slot came as the call was moved: give it back, so
			// nothing goes to a machine that left the pool.
			release()
			err = errMoved
		}
		if err != nil {
			if moved && x.ctx.Err() == nil {
				// Shared to another machine, or off one that left the
				// pool or switched model.
				shared = pl.Moved(c)
				c.Abort()
				x.p.log.Info("call moved: its machine left the pool, switched model or shared its line", "run", x.run.ID, "machine", c.Machine)
				movedOff = c.Machine
				continue
			}
			c.Abort()
			return nil, err
		}
		if c.Stale() && x.ctx.Err() == nil {
			// The machine left the pool as the slot came: route again
			// rather than send the call to a machine known to be down.
			release()
			c.Abort()
			movedOff = c.Machine
			continue
		}
		c.Start()
		return &slot{call: c, release: release}, nil
	}
}

// retryable reports whether a failed attempt on machine may go to another
// machine of pl: the first attempt, not cancelled, another machine left.
func (x *execution) retryable(pl *pool.Pool, attempt int, avoid []string) bool {
	return attempt == 0 && x.ctx.Err() == nil && len(pl.Names()) > len(avoid)+1
}

// llmPoolFor returns the pool serving model and the model's name there,
// or nil when its provider has no machines (then Config.LLM serves it).
func (p *Pipeline) llmPoolFor(model string) (*pool.Pool, string, string) {
	provider, name, err := llm.ParseModel(model)
	if err != nil || len(p.cfg.LLMMachines) == 0 {
		return nil, "", ""
	}
	return p.LLMPool(provider), provider, name
}

// chatOnPool runs one LLM call on a machine of pl, within limit (0: no
// limit beyond ctx). A call that could not connect, before any output, is
// retried once on another machine; the failed machine leaves the pool.
func (x *execution) chatOnPool(ctx context.Context, pl *pool.Pool, name string, req llm.Request, fn func(string) error, limit time.Duration) (llm.Result, error) {
	var avoid []string
	for attempt := 0; ; attempt++ {
		s, err := x.acquireRouted(pl, name, avoid, x.p.Queue, "llm machine", nil)
		if err != nil {
			return llm.Result{}, err
		}
		m := x.p.llmMachine(s.call.Machine)
		cctx, cancel := ctx, context.CancelFunc(func() {})
		if limit > 0 {
			cctx, cancel = context.WithTimeout(ctx, limit)
		}
		output := false
		r := req
		r.Model = name
		res, err := m.Client.ChatResult(cctx, r, func(chunk string) error {
			output = true
			if fn != nil {
				return fn(chunk)
			}
			return nil
		})
		cancel()
		if err != nil && !output && errors.Is(err, llm.ErrConnect) && ctx.Err() == nil {
			// The machine leaves the pool before its slot is given back:
			// the calls waiting for it move instead of trying it too.
			s.call.Abort()
			pl.Fail(m.Name, "a call could not connect")
			s.release()
			if x.retryable(pl, attempt, avoid) {
				x.p.log.Warn("llm call could not connect; retrying once on another machine", "run", x.run.ID, "machine", m.Name, "err", err)
				avoid = append(avoid, m.Name)
				continue
			}
			return res, err
		}
		s.release()
		s.call.Finish(err == nil, res.LoadDuration)
		return res, err
	}
}

// imageConnectFailure reports whether a generation failed before the
// machine took it: it could not be reached and sent no progress.
func imageConnectFailure(err error, progressed bool, rec *generationRecord) bool {
	return !progressed && rec.PromptID == "" && (errors.Is(err, swarm.ErrUnavailable) || errors.Is(err, comfy.ErrUnavailable))
}

// needsSwarm lists the machines a generation on path cannot use: those
// without SwarmUI, for SwarmUI's text-to-image.
func (p *Pipeline) needsSwarm(path string) []string {
	if path != pathSwarmT2I {
		return nil
	}
	var out []string
	for _, m := range p.machines() {
		if m.Swarm == nil {
			out = append(out, m.machine())
		}
	}
	return out
}
