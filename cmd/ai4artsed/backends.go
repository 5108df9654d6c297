package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/pipeline"
	"github.com/ai4artsed/ai4artsed/internal/redact"
	"github.com/ai4artsed/ai4artsed/internal/supervisor"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// newImages builds the image backend clients and SwarmUI's supervisor.
func newImages(s Settings, log *slog.Logger) (*pipeline.Images, *supervisor.Supervisor) {
	hc := &http.Client{}
	sup := supervisor.New(supervisor.Config{
		SwarmURL: s.SwarmURL, ComfyURL: s.ComfyURL, AutoStart: s.SwarmAutoStart,
		StartCommand: s.SwarmStartCommand, StartupTimeout: s.SwarmStartupTimeout,
		Interval: s.SwarmHealthInterval, Backoff: s.SwarmBackoff, StopOnExit: s.SwarmStopOnExit, Logger: log.With("component", "supervisor"),
	})
	return &pipeline.Images{
		Swarm: swarm.New(s.SwarmURL, hc), Comfy: comfy.New(s.ComfyURL, hc),
		Starter: sup, Timeout: s.GenerationTimeout,
	}, sup
}

// backendLister reports every external service for GET /api/backends and
// /metrics. The LLM server is probed through the llm client at most every
// two seconds.
type backendLister struct {
	s      Settings
	sup    *supervisor.Supervisor
	ollama *llm.Ollama

	mu  sync.Mutex
	llm api.Backend
}

func (b *backendLister) Backends(ctx context.Context) []api.Backend {
	out := []api.Backend{b.probeOllama(ctx)}
	if b.sup != nil {
		st := b.sup.Status()
		if st.CheckedAt.IsZero() || time.Since(st.CheckedAt) > 5*time.Second {
			st = b.sup.Check(ctx)
		}
		for _, kb := range []struct{ name, kind, url string }{
			{"swarmui", "image", b.s.SwarmURL}, {"comfyui", "image", b.s.ComfyURL},
		} {
			out = append(out, api.Backend{Name: kb.name, Kind: kb.kind, URL: redact.URL(kb.url),
				State: string(st.State), Detail: st.Detail, CheckedAt: st.CheckedAt})
		}
	}
	if b.s.OpenAIBaseURL != "" {
		out = append(out, api.Backend{Name: "openai", Kind: "llm", URL: redact.URL(b.s.OpenAIBaseURL),
			State: "unknown", Detail: "not probed: calls are billed"})
	}
	return out
}

func (b *backendLister) probeOllama(ctx context.Context) api.Backend {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.llm.CheckedAt.IsZero() && time.Since(b.llm.CheckedAt) < 2*time.Second {
		return b.llm
	}
	st := api.Backend{Name: "ollama", Kind: "llm", URL: redact.URL(b.s.OllamaURL), State: "down", CheckedAt: time.Now().UTC()}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if v, err := b.ollama.Version(ctx); err != nil {
		st.Detail = err.Error()
	} else {
		st.State, st.Detail = "up", "version "+v
	}
	b.llm = st
	return st
}
