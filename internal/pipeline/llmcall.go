package pipeline

import (
	"errors"
	"fmt"
	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/queue"
)

// chat runs one LLM call of stage n under the backend's slot queue: while it
// waits, the run receives queue_status events; a run nobody watches for
// IdleCancel while it waits is cancelled. Chunks go to onChunk (may be nil).
func (x *execution) chat(stage int, req llm.Request, onChunk func(string) error) (string, error) {
	backend := x.p.cfg.LLM.Backend(req.Model)
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
			return "", fmt.Errorf("llm backend %s: %w", backend, fault.ErrQueueFull)
		case errors.Is(err, queue.ErrClosed):
			return "", fmt.Errorf("llm backend %s: %w", backend, fault.ErrShuttingDown)
		}
		return "", err
	}
	defer release()
	text, err := x.p.cfg.LLM.Chat(x.ctx, req, onChunk)
	if err != nil {
		return "", fmt.Errorf("stage %d (%s): %w", stage, api.StageName(stage), err)
	}
	return text, nil
}
