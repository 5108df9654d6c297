package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// repairLater writes, once the store accepts writes again, what a run could
// not store: its remaining events, its stages and its final state. It
// retries with a growing pause until it succeeds or the pipeline shuts down;
// a run still unrepaired then is ended at the next start like every run left
// unfinished (InterruptUnfinished).
func (p *Pipeline) repairLater(x *execution) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		pause := p.cfg.RepairPause
		for {
			err := p.repair(x)
			if err == nil {
				p.log.Info("run stored after the store recovered", "run", x.run.ID, "state", x.final.state)
				return
			}
			p.log.Warn("store still refuses the run's writes", "run", x.run.ID, "retry_in", pause, "err", err)
			t := time.NewTimer(pause)
			select {
			case <-t.C:
			case <-p.quit:
				t.Stop()
				return
			}
			pause = min(2*pause, 30*time.Second)
		}
	}()
}

// repair makes one attempt.
func (p *Pipeline) repair(x *execution) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x.mu.Lock()
	stages := make([]store.StageResult, 0, len(x.stages))
	for _, sr := range x.stages {
		stages = append(stages, *sr)
	}
	final := x.final
	x.mu.Unlock()
	for _, sr := range stages {
		if err := p.cfg.Store.PutStage(ctx, x.run.ID, sr); err != nil {
			return fmt.Errorf("pipeline: repair stage %d: %w", sr.Stage, err)
		}
	}
	err := p.cfg.Store.SetRunState(ctx, x.run.ID, final.state, string(final.err.Code), final.err.Message)
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("pipeline: repair state: %w", err)
	}
	// Events last: once they are stored the hub drops the run from memory,
	// and readers then find the final state in the store.
	return p.cfg.Hub.Flush(ctx, x.run.ID)
}

// Ending is how a run left unfinished by an earlier process is ended at
// start (store.InterruptUnfinished): the same error and done events as a
// shutdown, in the run's language.
func Ending(r store.Run, now time.Time) store.Ending {
	d := fault.Describe(fault.ErrInterrupted, r.Lang)
	evs := make([]store.Event, 0, 2)
	for _, pl := range []api.Payload{
		api.ErrorEvent{Code: d.Code, Message: d.Message},
		api.DoneEvent{State: api.StateInterrupted, MS: max(now.Sub(r.CreatedAt).Milliseconds(), 0)},
	} {
		e, err := api.Encode(pl)
		if err != nil {
			panic(err) // these payloads always encode
		}
		evs = append(evs, store.Event{Type: string(e.Type), Data: e.Data})
	}
	return store.Ending{Code: string(d.Code), Message: d.Message, Events: evs}
}
