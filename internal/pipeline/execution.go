package pipeline

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

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

	mu     sync.Mutex
	stages map[int]*store.StageResult
}

// Event payloads of SPEC section 5.
type (
	runEvent struct {
		RunID string      `json:"run_id"`
		State store.State `json:"state"`
	}
	stageEvent struct {
		Stage  int    `json:"stage"`
		Name   string `json:"name"`
		Status string `json:"status"`
		Detail string `json:"detail,omitempty"`
	}
	queueEvent struct {
		Status   string `json:"status"`
		Position int    `json:"position"`
		WaitedMS int64  `json:"waited_ms"`
		Message  string `json:"message"`
		Backend  string `json:"backend,omitempty"`
	}
	textEvent struct {
		Stage int    `json:"stage"`
		Text  string `json:"text"`
	}
	progressEvent struct {
		Stage int `json:"stage"`
		Value int `json:"value"`
		Max   int `json:"max"`
	}
	errorEvent struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	doneEvent struct {
		State store.State `json:"state"`
		MS    int64       `json:"ms"`
	}
)

// Stage names by number.
var stageNames = map[int]string{1: "safety", 2: "interception", 3: "optimization", 4: "generation"}

func (x *execution) publish(typ string, data any) {
	if _, err := x.p.cfg.Hub.Publish(x.ctx, x.run.ID, typ, data); err != nil {
		x.p.log.Error("publish event", "run", x.run.ID, "type", typ, "err", err)
	}
}

func (x *execution) publishTransient(typ string, data any) {
	if err := x.p.cfg.Hub.PublishTransient(x.run.ID, typ, data); err != nil {
		x.p.log.Error("publish event", "run", x.run.ID, "type", typ, "err", err)
	}
}

func (x *execution) setState(st store.State, code, msg string) {
	if err := x.p.cfg.Store.SetRunState(context.WithoutCancel(x.ctx), x.run.ID, st, code, msg); err != nil {
		x.p.log.Error("store run state", "run", x.run.ID, "state", st, "err", err)
	}
}

// execute runs the stages, then records the final state. A panic fails the
// run; it never takes the server down.
func (x *execution) execute() {
	defer x.p.wg.Done()
	defer x.p.cfg.Hub.Close(x.run.ID)

	err := x.safely(func() error {
		x.setState(store.StateRunning, "", "")
		x.publish("run", runEvent{RunID: x.run.ID, State: store.StateRunning})
		switch x.req.Stages {
		case StagesInterception:
			return x.interception()
		case StagesGeneration:
			return x.generation()
		}
		return fmt.Errorf("stages %q: %w", x.req.Stages, ErrStageUnavailable)
	})
	x.finish(err)
}

func (x *execution) safely(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			x.p.log.Error("run panicked", "run", x.run.ID, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: %v", errPanic, r)
		}
	}()
	return fn()
}

var errPanic = errors.New("internal error")

// finish publishes error and done and stores the final state.
func (x *execution) finish(err error) {
	state := store.StateDone
	var code, msg string
	if err != nil {
		state, code, msg = x.classify(err)
	}
	x.closeOpenStages(state)
	x.setState(state, code, msg)
	// From here the run is finished: cancels answer 409 and the client may start another.
	x.p.forget(x)
	if code != "" {
		x.publish("error", errorEvent{Code: code, Message: msg})
	}
	if x.p.cfg.Metrics != nil {
		x.p.cfg.Metrics.RunFinished(state) // counted before a client can see done
	}
	x.publish("done", doneEvent{State: state, MS: x.p.cfg.Now().Sub(x.started).Milliseconds()})
	x.cancel(nil)
	x.p.log.Info("run finished", "run", x.run.ID, "state", state, "code", code)
}

// classify turns a run's error into its final state and the error event.
func (x *execution) classify(err error) (store.State, string, string) {
	switch cause := context.Cause(x.ctx); {
	case errors.Is(cause, errInterrupted):
		return store.StateInterrupted, "interrupted", x.msg("Der Server wurde beendet; der Lauf wurde unterbrochen.", "The server shut down; the run was interrupted.")
	case errors.Is(cause, errAbandoned):
		return store.StateCancelled, "abandoned", x.msg("Niemand hat den Lauf 60 Sekunden lang beobachtet; er wurde abgebrochen.", "Nobody watched the run for 60 seconds; it was cancelled.")
	case errors.Is(cause, errCancelled):
		return store.StateCancelled, "cancelled", x.msg("Der Lauf wurde abgebrochen.", "The run was cancelled.")
	}
	code, msg := ErrorCode(err)
	return store.StateFailed, code, msg
}

func (x *execution) msg(de, en string) string {
	if x.req.Lang == "en" {
		return en
	}
	return de
}

// stageStart records and announces that a stage begins.
func (x *execution) stageStart(n int, detail string) {
	now := x.p.cfg.Now().UTC()
	sr := &store.StageResult{Stage: n, Name: stageNames[n], Status: "started", StartedAt: now}
	x.mu.Lock()
	if x.stages == nil {
		x.stages = make(map[int]*store.StageResult)
	}
	x.stages[n] = sr
	x.mu.Unlock()
	x.putStage(*sr)
	x.publish("stage", stageEvent{Stage: n, Name: stageNames[n], Status: "started", Detail: detail})
}

// stageDone stores a stage's result and announces its end.
func (x *execution) stageDone(n int, update func(*store.StageResult)) {
	x.mu.Lock()
	sr := x.stages[n]
	if sr == nil {
		sr = &store.StageResult{Stage: n, Name: stageNames[n], StartedAt: x.p.cfg.Now().UTC()}
		x.stages[n] = sr
	}
	if update != nil {
		update(sr)
	}
	now := x.p.cfg.Now().UTC()
	sr.Status, sr.FinishedAt = "done", &now
	cp := *sr
	x.mu.Unlock()
	x.putStage(cp)
	x.publish("stage", stageEvent{Stage: n, Name: stageNames[n], Status: "done"})
}

// stageSkipped announces a stage that this run does not perform.
func (x *execution) stageSkipped(n int, detail string) {
	now := x.p.cfg.Now().UTC()
	x.putStage(store.StageResult{Stage: n, Name: stageNames[n], Status: "skipped", StartedAt: now, FinishedAt: &now})
	x.publish("stage", stageEvent{Stage: n, Name: stageNames[n], Status: "skipped", Detail: detail})
}

// closeOpenStages marks stages that were started but not finished.
func (x *execution) closeOpenStages(state store.State) {
	x.mu.Lock()
	var open []store.StageResult
	for _, sr := range x.stages {
		if sr.Status == "started" {
			now := x.p.cfg.Now().UTC()
			sr.Status, sr.FinishedAt = string(state), &now
			if state == store.StateFailed {
				sr.Status = "failed"
			}
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
	}
}
