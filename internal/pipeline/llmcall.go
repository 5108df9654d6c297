package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/judge"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/queue"
)

// ResultLLM is an LLM that also returns the whole result, thinking text
// included (llm.Router implements it). The judge needs it for reasoning
// models; an LLM without it is called through Chat.
type ResultLLM interface {
	ChatResult(ctx context.Context, req llm.Request, fn func(chunk string) error) (llm.Result, error)
}

// chat runs one LLM call of stage n under the backend's slot queue: while it
// waits, the run receives queue_status events; a run nobody watches for
// IdleCancel while it waits is cancelled. Chunks go to onChunk (may be nil).
func (x *execution) chat(stage int, req llm.Request, onChunk func(string) error) (string, error) {
	release, err := x.acquire(x.p.cfg.LLM.Backend(req.Model))
	if err != nil {
		return "", err
	}
	defer release()
	text, err := x.p.cfg.LLM.Chat(x.ctx, req, onChunk)
	if err != nil {
		return "", fmt.Errorf("stage %d (%s): %w", stage, api.StageName(stage), err)
	}
	return text, nil
}

// caller is the judge.Caller of stage n: the call waits in the backend's
// queue like every LLM call (with queue_status events), then runs within
// limit.
func (x *execution) caller(stage int) judge.Caller {
	return func(ctx context.Context, req llm.Request, limit time.Duration) (llm.Result, error) {
		release, err := x.acquire(x.p.cfg.LLM.Backend(req.Model))
		if err != nil {
			return llm.Result{}, err
		}
		defer release()
		cctx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		var res llm.Result
		if rl, ok := x.p.cfg.LLM.(ResultLLM); ok {
			res, err = rl.ChatResult(cctx, req, nil)
		} else {
			res.Text, err = x.p.cfg.LLM.Chat(cctx, req, nil)
		}
		if err != nil {
			return res, fmt.Errorf("stage %d (%s): %s: %w", stage, api.StageName(stage), req.Model, err)
		}
		return res, nil
	}
}

// acquire waits for a slot of backend's queue, publishing queue_status
// events while the run waits.
func (x *execution) acquire(backend string) (func(), error) {
	q := x.p.Queue(backend)
	waited := false
	// The first waiting status and the acquired one are stored; the
	// once-a-second ticks in between only go to live readers.
	release, err := q.Acquire(x.ctx, x.arrival, func(s queue.Status) {
		if s.Acquired {
			if waited {
				x.publish(api.QueueStatusEvent{Status: "acquired", Position: 0, WaitedMS: s.Waited.Milliseconds(),
					Message: x.msg("Slot erhalten", "Slot acquired"), Backend: backend})
			}
			return
		}
		secs := int(s.Waited / time.Second)
		ev := api.QueueStatusEvent{Status: "waiting", Position: s.Position, WaitedMS: s.Waited.Milliseconds(),
			Message: x.msg(fmt.Sprintf("Warte auf freien Slot... (%ds)", secs), fmt.Sprintf("Waiting for a free slot... (%ds)", secs)),
			Backend: backend}
		if waited {
			x.publishTransient(ev)
		} else {
			x.publish(ev)
		}
		waited = true
		if x.p.cfg.Hub.Unwatched(x.run.ID) >= x.p.cfg.IdleCancel {
			x.cancel(fault.ErrAbandoned)
		}
	})
	if err != nil {
		switch {
		case errors.Is(err, queue.ErrFull):
			return nil, fmt.Errorf("llm backend %s: %w", backend, fault.ErrQueueFull)
		case errors.Is(err, queue.ErrClosed):
			return nil, fmt.Errorf("llm backend %s: %w", backend, fault.ErrShuttingDown)
		}
		return nil, err
	}
	return release, nil
}
