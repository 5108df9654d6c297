// Package pipeline runs student requests through the stages of docs/api.md
// and publishes every step as an event.
//
// A run executes in its own goroutine, decoupled from the HTTP request that
// created it. Its state and events are stored as they happen, so a client can
// reconnect at any time and a server restart leaves no run "running".
package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/judge"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/pool"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// LLM is the chat client the pipeline needs: llm.Router satisfies it.
type LLM interface {
	Chat(ctx context.Context, req llm.Request, fn func(chunk string) error) (string, error)
	Backend(model string) string
}

// Metrics receives the pipeline's measurements; httpapi's Prometheus
// collector implements it.
type Metrics interface {
	QueueWait(backend string, waited time.Duration)
	RunFinished(state store.State)
}

// CancelRequester records a cancel of a run executing on another replica
// and tells that replica: the PostgreSQL store's RequestCancel.
type CancelRequester interface {
	RequestCancel(ctx context.Context, id string) error
}

// Notifier hears of each new run of a workshop, by the workshop's id:
// the teacher's class view waits on it (events.Signal implements it).
type Notifier interface {
	Notify(workshopID string)
}

// Models names the model of each LLM role (`ollama/NAME` or `openai/NAME`).
// Safety is the text judge, Vision the image check after stage 4.
type Models struct {
	Interception, Safety, Translation, Optimization, Vision string
}

// Config holds everything a Pipeline needs.
type Config struct {
	Store   store.Store
	Hub     *events.Hub
	Catalog *catalog.Catalog
	LLM     LLM
	Images  *Images // nil: generation answers stage_unavailable
	// ImageMachines, when set, are several image machines: stage 4 routes
	// each generation to one (routing.go); Images defaults to the first.
	// Each machine needs its own Machine name.
	ImageMachines []*Images
	// LLMMachines, when set, serve the LLM calls of their providers:
	// each call is routed to one (routing.go); calls of a provider without
	// machines go to LLM. Each machine needs its own Name.
	LLMMachines []*LLMMachine
	// Routing is the policy of both pools (AI4ARTSED_ROUTING; "" is
	// pool.PolicyModels).
	Routing pool.Policy
	// Files keeps uploads and generated images.
	Files   media.Blobs
	Models  Models
	Logger  *slog.Logger
	Metrics Metrics // optional
	// Created is told of each new run of a workshop once the run and its
	// first event are stored; nil: nobody is told.
	Created Notifier
	// Filter is the term filter of stages 1 and 3; nil passes every text
	// (and records no filter checks).
	Filter Filter
	// Judge is the LLM judge and image check; nil builds one on
	// Models.Safety and Models.Vision with JudgeTimeout.
	Judge Judge
	// JudgeTimeout bounds one call of the judge, the vision check or a
	// suggestion once it runs (default 30s); the wait in the queue before
	// it does not count.
	JudgeTimeout time.Duration

	Language      string       // default language of messages
	SafetyLevel   safety.Level // the server's safety level: the floor of every run
	DefaultOutput string       // output config used when neither request nor interception names one
	Slots         int          // LLM calls at once per backend
	QueueMax      int          // waiting calls per LLM backend and per image machine
	// ImageSlots is how many generations run at once on each image machine
	// (AI4ARTSED_IMAGE_SLOTS, default 1); the rest wait in its queue.
	ImageSlots    int
	MaxRunsClient int // unfinished runs per client
	IdleCancel    time.Duration
	// Replica is this server's id among the replicas sharing one
	// PostgreSQL store, empty for a single process (docs/deploy.md, "How
	// replicas cooperate"). Runs record it as their owner, and a cancel of
	// a run that is not executing here goes to Requests.
	Replica  string
	Requests CancelRequester
	// Queues makes the slot queue of one LLM machine (kind "llm") or
	// image machine (kind "image"); nil makes an in-process queue.Queue.
	// With replicas it makes queues shared by all of them
	// (internal/sharedqueue, docs/scheduling.md "Several replicas").
	Queues QueueMaker
	// Turns counts the unfinished runs of a client created before a run,
	// its turn in every queue, over every replica; nil counts the runs
	// executing here.
	Turns TurnCounter
	// RepairPause is the first pause before a run whose store writes
	// failed is written again (default 1s; it doubles up to 30s).
	RepairPause time.Duration
	Now         func() time.Time
}

// Pipeline starts, tracks and cancels runs.
type Pipeline struct {
	cfg Config
	log *slog.Logger

	qmu         sync.Mutex
	queues      map[string]SlotQueue  // LLM backends and machines
	imageQueues map[string]SlotQueue  // image machines
	imagePool   *pool.Pool            // built on first use
	llmPools    map[string]*pool.Pool // by provider; nil entry: no machines
	waiters     map[string]map[uint64]waiter
	waiterSeq   uint64
	qclosed     bool

	mu       sync.Mutex
	active   map[string]*execution
	byClient map[string]int
	ended    map[string]endedRun // recently finished runs, for continuations
	closed   bool
	quit     chan struct{} // closed by Shutdown: ends repair loops
	wg       sync.WaitGroup

	// swarmNoWS is set once SwarmUI's websocket route was found
	// unavailable, so the fallback is logged once.
	swarmNoWS atomic.Bool
}

// New returns a pipeline with defaults filled in.
func New(cfg Config) *Pipeline {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Language == "" {
		cfg.Language = "de"
	}
	if cfg.SafetyLevel.Rank() < 0 {
		cfg.SafetyLevel = safety.Youth
	}
	if cfg.Slots < 1 {
		cfg.Slots = 3
	}
	if cfg.Images == nil && len(cfg.ImageMachines) > 0 {
		cfg.Images = cfg.ImageMachines[0]
	}
	if cfg.ImageSlots < 1 {
		cfg.ImageSlots = 1
	}
	if cfg.QueueMax < 1 {
		cfg.QueueMax = 500
	}
	if cfg.MaxRunsClient < 1 {
		cfg.MaxRunsClient = 3
	}
	if cfg.IdleCancel <= 0 {
		cfg.IdleCancel = 60 * time.Second
	}
	if cfg.RepairPause <= 0 {
		cfg.RepairPause = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Filter == nil {
		cfg.Filter = passFilter{}
	}
	if cfg.JudgeTimeout <= 0 {
		cfg.JudgeTimeout = 30 * time.Second
	}
	if cfg.Judge == nil {
		cfg.Judge = judge.New(judge.Config{Model: cfg.Models.Safety, VisionModel: cfg.Models.Vision, Timeout: cfg.JudgeTimeout})
	}
	return &Pipeline{
		cfg:         cfg,
		log:         cfg.Logger,
		queues:      make(map[string]SlotQueue),
		imageQueues: make(map[string]SlotQueue),
		llmPools:    make(map[string]*pool.Pool),
		waiters:     make(map[string]map[uint64]waiter),
		active:      make(map[string]*execution),
		byClient:    make(map[string]int),
		ended:       make(map[string]endedRun),
		quit:        make(chan struct{}),
	}
}

// Start validates req, stores the new run with its first event and executes
// it in the background, detached from ctx, which only bounds the checks and
// the first writes. The returned run is in state queued.
func (p *Pipeline) Start(ctx context.Context, req Request) (*store.Run, error) {
	if err := p.normalize(&req); err != nil {
		return nil, err
	}
	if req.Stages != StagesInterception && p.cfg.Images == nil {
		return nil, fmt.Errorf("stages %q: no image backend is configured: %w", req.Stages, fault.ErrStageUnavailable)
	}
	if err := p.checkUploads(ctx, req.Uploads); err != nil {
		return nil, err
	}
	input, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("pipeline: encode request: %w", err)
	}
	now := p.cfg.Now().UTC()
	run := &store.Run{
		ID: newID(), ClientID: req.ClientID, Stages: req.Stages, Lang: req.Lang,
		Input: input, State: store.StateQueued, CreatedAt: now, UpdatedAt: now, Owner: p.cfg.Replica,
	}
	runCtx, cancel := context.WithCancelCause(context.Background())
	x := &execution{p: p, run: run, req: req, ctx: runCtx, cancel: cancel, arrival: now, started: now}

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		cancel(nil)
		return nil, fault.ErrShuttingDown
	}
	if limit := req.clientLimit(p.cfg.MaxRunsClient); p.byClient[req.ClientID] >= limit {
		p.mu.Unlock()
		cancel(nil)
		return nil, fmt.Errorf("client has %d unfinished runs: %w", limit, fault.ErrTooManyRuns)
	}
	if err := p.checkQueue(req); err != nil {
		p.mu.Unlock()
		cancel(nil)
		return nil, err
	}
	x.arrival = p.continuedLocked(req, now)
	p.byClient[req.ClientID]++
	p.active[run.ID] = x
	p.wg.Add(1)
	p.mu.Unlock()

	// Live before stored: whoever finds the run in the store finds it live.
	p.cfg.Hub.Open(run.ID)
	if err := p.cfg.Store.CreateRun(context.WithoutCancel(ctx), run); err != nil {
		p.cfg.Hub.Close(run.ID)
		p.forget(x)
		cancel(nil)
		p.wg.Done()
		return nil, fmt.Errorf("pipeline: store run: %w: %w", fault.ErrStoreFailed, err)
	}
	x.publish(api.RunEvent{RunID: run.ID, State: api.StateQueued})
	if p.cfg.Created != nil && req.WorkshopID != "" {
		p.cfg.Created.Notify(req.WorkshopID)
	}
	go x.execute()
	return run, nil
}

func (p *Pipeline) checkUploads(ctx context.Context, ids []string) error {
	for _, id := range ids {
		if _, err := p.cfg.Store.GetUpload(ctx, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("upload %q: %w", id, fault.ErrUnknownUpload)
			}
			return fmt.Errorf("pipeline: look up upload: %w", err)
		}
	}
	return nil
}

// checkQueue refuses a run at once when the queue of its first LLM call is
// at its hard length.
func (p *Pipeline) checkQueue(req Request) error {
	model := p.cfg.Models.Interception
	if req.Stages == StagesGeneration {
		out, _ := p.cfg.Catalog.Output(req.Output)
		if strings.TrimSpace(out.OptimizationInstruction) == "" {
			return nil
		}
		model = p.cfg.Models.Optimization
	}
	if pl, _, _ := p.llmPoolFor(model); pl != nil {
		for _, m := range pl.Names() {
			if p.Queue(m).Waiting() < p.cfg.QueueMax {
				return nil
			}
		}
		return fmt.Errorf("every llm machine has %d calls waiting: %w", p.cfg.QueueMax, fault.ErrQueueFull)
	}
	backend := p.cfg.LLM.Backend(model)
	if q := p.Queue(backend); q.Waiting() >= p.cfg.QueueMax {
		return fmt.Errorf("llm backend %s has %d calls waiting: %w", backend, q.Waiting(), fault.ErrQueueFull)
	}
	return nil
}

// Cancel stops a queued or running run; its backend work is stopped too.
// With replicas, a run executing on another one is stopped there: the
// request goes through the store, and its owner cancels it (CancelLocal).
func (p *Pipeline) Cancel(ctx context.Context, id string) error {
	if p.CancelLocal(id) {
		return nil
	}
	if p.cfg.Replica != "" && p.cfg.Requests != nil {
		err := p.cfg.Requests.RequestCancel(ctx, id)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("run %q: %w", id, fault.ErrNotFound)
		case errors.Is(err, store.ErrConflict):
			return fmt.Errorf("run %q: %w", id, fault.ErrFinished)
		}
		return err
	}
	if _, err := p.cfg.Store.GetRun(ctx, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("run %q: %w", id, fault.ErrNotFound)
		}
		return err
	}
	return fmt.Errorf("run %q: %w", id, fault.ErrFinished)
}

// CancelLocal cancels run id if it executes here and reports whether it
// does.
func (p *Pipeline) CancelLocal(id string) bool {
	p.mu.Lock()
	x := p.active[id]
	p.mu.Unlock()
	if x == nil {
		return false
	}
	x.cancel(fault.ErrCancelled)
	return true
}

// InterruptAll interrupts every run executing here and keeps taking new
// ones: what a replica does when it learns that the others declared it dead
// and interrupted its runs in the store.
func (p *Pipeline) InterruptAll() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, x := range p.active {
		x.cancel(fault.ErrInterrupted)
	}
	return len(p.active)
}

// Active is the number of runs not yet finished.
func (p *Pipeline) Active() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.active)
}

// Shutdown refuses new runs, interrupts every active run and waits for them
// to record their end, or until ctx ends.
func (p *Pipeline) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		close(p.quit)
	}
	p.closed = true
	for _, x := range p.active {
		x.cancel(fault.ErrInterrupted)
	}
	p.mu.Unlock()
	p.qmu.Lock()
	p.qclosed = true
	for _, q := range p.queues {
		q.Close()
	}
	for _, q := range p.imageQueues {
		q.Close()
	}
	p.qmu.Unlock()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pipeline: shutdown: %d runs still ending: %w", p.Active(), ctx.Err())
	}
}

func (p *Pipeline) forget(x *execution) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.cfg.Now()
	if x.req.ClientID != "" {
		for id, e := range p.ended {
			if now.Sub(e.at) > continueWithin || len(p.ended) >= maxEnded {
				delete(p.ended, id)
			}
		}
		p.ended[x.run.ID] = endedRun{client: x.req.ClientID, arrival: x.arrival, at: now}
	}
	delete(p.active, x.run.ID)
	if p.byClient[x.req.ClientID]--; p.byClient[x.req.ClientID] <= 0 {
		delete(p.byClient, x.req.ClientID)
	}
}

// A run that continues a run of the same student (a generation run with
// the text of their interception run, Request.SourceRun) keeps that run's
// place in the queues, less the time the student took in between: its
// arrival is the source run's arrival plus the time from the source run's
// end to this start. The time the server spent on the source run counts as
// waiting, so a student's work goes on in the order the students started
// rather than behind every run started while their first run ran; and the
// image machines get their first work as early as the class allows
// (docs/scheduling.md, "The order rule"). The turn still comes first, so
// a continuation never delays another student's first run of a lower turn.
const (
	continueWithin = 30 * time.Minute // older source runs give no place
	maxEnded       = 10000            // runs remembered at most
)

// endedRun is what a finished run leaves for its continuations.
type endedRun struct {
	client      string
	arrival, at time.Time
}

// continuedLocked is the arrival of a run started now with req. Callers
// hold p.mu.
func (p *Pipeline) continuedLocked(req Request, now time.Time) time.Time {
	e, ok := p.ended[req.SourceRun]
	if req.SourceRun == "" || !ok || e.client != req.ClientID || now.Sub(e.at) > continueWithin {
		return now
	}
	return e.arrival.Add(now.Sub(e.at))
}

// judgeTimeout bounds one safety call.
func (p *Pipeline) judgeTimeout() time.Duration { return p.cfg.JudgeTimeout }

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
