package pipeline

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// execution is one run in flight.
type execution struct {
	p       *Pipeline
	run     *store.Run
	req     Request
	ctx     context.Context
	cancel  context.CancelCauseFunc
	arrival time.Time // when the run first asked for anything: its place in every queue
	started time.Time
	// progressed: the image machine reported progress in this attempt
	// of stage 4, so a failure is never retried elsewhere.
	progressed atomic.Bool

	mu          sync.Mutex
	stages      map[int]*store.StageResult
	storeFailed bool // a write was refused: the run ends, repair writes it later
	final       finalState
}

// finalState is how a run ended, kept for the repair of a failed store write.
type finalState struct {
	state store.State
	err   api.ErrorDetail
}

// publish stores and sends one event. A store that refuses it ends the run
// (the events still reach live readers from memory).
func (x *execution) publish(p api.Payload) {
	if _, err := x.p.cfg.Hub.Publish(x.ctx, x.run.ID, p); err != nil {
		x.p.log.Error("publish event", "run", x.run.ID, "type", p.EventType(), "err", err)
		if errors.Is(err, events.ErrStoreFailed) {
			x.failStore()
		}
	}
}

func (x *execution) publishTransient(p api.Payload) {
	if err := x.p.cfg.Hub.PublishTransient(x.run.ID, p); err != nil {
		x.p.log.Error("publish event", "run", x.run.ID, "type", p.EventType(), "err", err)
	}
}

// failStore notes a refused store write and stops the run.
func (x *execution) failStore() {
	x.mu.Lock()
	x.storeFailed = true
	x.mu.Unlock()
	x.cancel(fault.ErrStoreFailed)
}

func (x *execution) setState(st store.State, code api.Code, msg string) {
	if err := x.p.cfg.Store.SetRunState(context.WithoutCancel(x.ctx), x.run.ID, st, string(code), msg); err != nil {
		x.p.log.Error("store run state", "run", x.run.ID, "state", st, "err", err)
		if !errors.Is(err, store.ErrConflict) {
			x.failStore()
		}
	}
}

// execute runs the stages, then records the final state. A panic fails the
// run; it never takes the server down.
func (x *execution) execute() {
	defer x.p.wg.Done()
	err := x.safely(func() error {
		x.setState(store.StateRunning, "", "")
		x.publish(api.RunEvent{RunID: x.run.ID, State: api.StateRunning})
		if cause := context.Cause(x.ctx); cause != nil {
			return cause
		}
		switch x.req.Stages {
		case StagesInterception:
			if err := x.inputSafety(); err != nil {
				return err
			}
			_, err := x.interception()
			return err
		case StagesGeneration:
			return x.generation(x.req.Text)
		case StagesAll:
			if err := x.inputSafety(); err != nil {
				return err
			}
			text, err := x.interception()
			if err != nil {
				return err
			}
			return x.generation(text)
		}
		return fmt.Errorf("stages %q: %w", x.req.Stages, fault.ErrStageUnavailable)
	})
	x.finish(err)
	x.p.cfg.Hub.Close(x.run.ID)
	x.mu.Lock()
	failed := x.storeFailed
	x.mu.Unlock()
	if failed {
		x.p.repairLater(x)
	}
}

func (x *execution) safely(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			x.p.log.Error("run panicked", "run", x.run.ID, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: %v", fault.ErrPanic, r)
		}
	}()
	return fn()
}

// finish publishes error and done and stores the final state.
func (x *execution) finish(err error) {
	state := store.StateDone
	var d api.ErrorDetail
	if err != nil {
		state, d = x.classify(err)
		x.p.log.Info("run failed", "run", x.run.ID, "code", d.Code, "err", err, "detail", llm.Detail(err))
	}
	x.mu.Lock()
	x.final = finalState{state: state, err: d}
	x.mu.Unlock()
	x.closeOpenStages(state)
	x.setState(state, d.Code, d.Message)
	// From here the run is finished: cancels answer 409 and the client may start another.
	x.p.forget(x)
	if d.Code != "" {
		x.publish(api.ErrorEvent{Code: d.Code, Message: d.Message})
	}
	if x.p.cfg.Metrics != nil {
		x.p.cfg.Metrics.RunFinished(state) // counted before a client can see done
	}
	x.publish(api.DoneEvent{State: api.RunState(state), MS: x.p.cfg.Now().Sub(x.started).Milliseconds()})
	x.cancel(nil)
	x.p.log.Info("run finished", "run", x.run.ID, "state", state, "code", d.Code)
}

// classify turns a run's error into its final state and the error the
// student sees, in the run's language. The cause the run was cancelled with
// (cancel, abandonment, shutdown, store failure) wins over the error it led to.
func (x *execution) classify(err error) (store.State, api.ErrorDetail) {
	if cause := context.Cause(x.ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}
	d := fault.Describe(err, x.req.Lang)
	switch d.Code {
	case api.CodeBlocked, api.CodeSafetyUnavailable:
		return store.StateBlocked, d
	case api.CodeInterrupted:
		return store.StateInterrupted, d
	case api.CodeCancelled, api.CodeAbandoned:
		return store.StateCancelled, d
	}
	return store.StateFailed, d
}

func (x *execution) msg(de, en string) string { return fault.T(de, en).Get(x.req.Lang) }

// stageStart records and announces that a stage begins.
func (x *execution) stageStart(n int, detail string) {
	now := x.p.cfg.Now().UTC()
	sr := &store.StageResult{Stage: n, Name: api.StageName(n), Status: api.StageStarted, StartedAt: now}
	x.mu.Lock()
	if x.stages == nil {
		x.stages = make(map[int]*store.StageResult)
	}
	x.stages[n] = sr
	x.mu.Unlock()
	x.putStage(*sr)
	x.publish(api.StageEvent{Stage: n, Name: api.StageName(n), Status: api.StageStarted, Detail: detail})
}

// stageDone stores a stage's result and announces its end.
func (x *execution) stageDone(n int, update func(*store.StageResult)) {
	x.mu.Lock()
	if x.stages == nil {
		x.stages = make(map[int]*store.StageResult)
	}
	sr := x.stages[n]
	if sr == nil {
		sr = &store.StageResult{Stage: n, Name: api.StageName(n), StartedAt: x.p.cfg.Now().UTC()}
		x.stages[n] = sr
	}
	if update != nil {
		update(sr)
	}
	now := x.p.cfg.Now().UTC()
	sr.Status, sr.FinishedAt = api.StageDone, &now
	cp := *sr
	x.mu.Unlock()
	x.putStage(cp)
	x.publish(api.StageEvent{Stage: n, Name: api.StageName(n), Status: api.StageDone})
}

// stageSkipped announces a stage that this run does not perform.
func (x *execution) stageSkipped(n int, detail string) {
	now := x.p.cfg.Now().UTC()
	x.putStage(store.StageResult{Stage: n, Name: api.StageName(n), Status: api.StageSkipped, StartedAt: now, FinishedAt: &now})
	x.publish(api.StageEvent{Stage: n, Name: api.StageName(n), Status: api.StageSkipped, Detail: detail})
}

// closeOpenStages marks stages that were started but not finished with the
// run's final state (failed, cancelled or interrupted).
func (x *execution) closeOpenStages(state store.State) {
	x.mu.Lock()
	var open []store.StageResult
	for _, sr := range x.stages {
		if sr.Status == api.StageStarted {
			now := x.p.cfg.Now().UTC()
			sr.Status, sr.FinishedAt = string(state), &now
			open = append(open, *sr)
		}
	}
	x.mu.Unlock()
	for _, sr := range open {
		x.putStage(sr)
	}
}

func (x *execution) putStage(sr store.StageResult) {
	if err := x.p.cfg.Store.PutStage(context.WithoutCancel(x.ctx), x.run.ID, sr); err != nil {
		x.p.log.Error("store stage", "run", x.run.ID, "stage", sr.Stage, "err", err)
		x.failStore()
	}
}
