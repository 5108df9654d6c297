package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/judge"
	"github.com/ai4artsed/ai4artsed/internal/llm"
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
	if pl, provider, name := x.p.llmPoolFor(req.Model); pl != nil {
		res, err := x.chatOnPool(x.ctx, pl, name, req, onChunk, 0)
		text, err := llm.AnswerText(provider, res, err)
		if err != nil {
			return "", fmt.Errorf("stage %d (%s): %w", stage, api.StageName(stage), err)
		}
		return text, nil
	}
	release, err := x.acquireLLM(x.p.cfg.LLM.Backend(req.Model))
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
		if pl, _, name := x.p.llmPoolFor(req.Model); pl != nil {
			res, err := x.chatOnPool(ctx, pl, name, req, nil, limit)
			if err != nil {
				return res, fmt.Errorf("stage %d (%s): %s: %w", stage, api.StageName(stage), req.Model, err)
			}
			return res, nil
		}
		release, err := x.acquireLLM(x.p.cfg.LLM.Backend(req.Model))
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
