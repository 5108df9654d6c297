package pipeline

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/pool"
)

// ModelLister is the health check of an LLM machine's client: *llm.Ollama
// (GET /api/tags) and *llm.OpenAI (GET /v1/models) implement it.
type ModelLister interface {
	Models(ctx context.Context) ([]string, error)
}

// LoadedLister is the optional part of an LLM machine's client that lists
// the models loaded now: *llm.Ollama (GET /api/ps) implements it.
type LoadedLister interface {
	Loaded(ctx context.Context) ([]string, error)
}

// RunHealth checks every machine of every pool each interval until ctx
// ends (docs/backends.md, "Health"): an LLM machine by its model list (and
// loaded models), an image machine by its Probe. A machine that fails
// leaves its pool and the calls waiting for it move.
func (p *Pipeline) RunHealth(ctx context.Context, interval time.Duration) {
	var wg sync.WaitGroup
	providers := map[string]bool{}
	for _, m := range p.cfg.LLMMachines {
		providers[m.Provider] = true
	}
	for provider := range providers {
		pl := p.LLMPool(provider)
		wg.Go(func() {
			pl.Run(ctx, interval, func(ctx context.Context, name string) pool.Probe { return ProbeLLM(ctx, p.llmMachine(name)) })
		})
	}
	if pl := p.ImagePool(); pl != nil {
		wg.Go(func() {
			pl.Run(ctx, interval, func(ctx context.Context, name string) pool.Probe {
				im := p.imageMachine(name)
				if im.Probe == nil {
					return pool.Probe{Up: true, Detail: "not checked"}
				}
				return im.Probe(ctx)
			})
		})
	}
	wg.Wait()
}

// ProbeLLM checks one LLM machine: its model list must come; Ollama's
// loaded models come along. A server that does not offer a model list
// (404, not its protocol) is up with its models unknown; one that cannot
// be reached or answers 5xx is down.
func ProbeLLM(ctx context.Context, m *LLMMachine) pool.Probe {
	ml, ok := m.Client.(ModelLister)
	if !ok {
		return pool.Probe{Up: true, Detail: "not checked"}
	}
	models, err := ml.Models(ctx)
	if err != nil {
		var se *llm.StatusError
		if errors.As(err, &se) && se.StatusCode < 500 {
			return pool.Probe{Up: true, Detail: "answers, without a model list"}
		}
		return pool.Probe{Up: false, Detail: err.Error()}
	}
	pr := pool.Probe{Up: true, Detail: "answers", Models: models}
	if ll, ok := m.Client.(LoadedLister); ok {
		if loaded, err := ll.Loaded(ctx); err == nil {
			pr.Loaded = loaded
		}
	}
	return pr
}
