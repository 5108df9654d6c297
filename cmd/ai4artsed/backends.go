package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
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

// imageMachine is one image machine: SwarmUI with its ComfyUI.
type imageMachine struct {
	name, swarmURL, comfyURL string
	images                   *pipeline.Images
	sup                      *supervisor.Supervisor
}

// newImages builds the clients and supervisor of each image machine
// (SWARMUI_URL and COMFYUI_URL may list several, pairwise). One machine is
// named "swarmui", several "swarmui-1", "swarmui-2"...; only the first is
// started on demand (AI4ARTSED_SWARMUI_START_COMMAND starts one machine).
func newImages(s Settings, log *slog.Logger) []imageMachine {
	hc := &http.Client{}
	swarms, comfys := splitList(s.SwarmURL), splitList(s.ComfyURL)
	out := make([]imageMachine, 0, len(swarms))
	for i, su := range swarms {
		name := "swarmui"
		if len(swarms) > 1 {
			name = fmt.Sprintf("swarmui-%d", i+1)
		}
		cu := comfys[min(i, len(comfys)-1)]
		sup := supervisor.New(supervisor.Config{
			SwarmURL: su, ComfyURL: cu, AutoStart: s.SwarmAutoStart && i == 0,
			StartCommand: s.SwarmStartCommand, StartupTimeout: s.SwarmStartupTimeout,
			Interval: s.SwarmHealthInterval, Backoff: s.SwarmBackoff, StopOnExit: s.SwarmStopOnExit,
			Logger: log.With("component", "supervisor", "machine", name),
		})
		out = append(out, imageMachine{name: name, swarmURL: su, comfyURL: cu, sup: sup, images: &pipeline.Images{
			Swarm: swarm.New(su, hc), Comfy: comfy.New(cu, hc), Starter: sup, Timeout: s.GenerationTimeout, Machine: name,
		}})
	}
	return out
}

// backendLister reports every external service for GET /api/backends and
// /metrics. The LLM server is probed through the llm client at most every
// two seconds.
type backendLister struct {
	s        Settings
	machines []imageMachine
	ollama   *llm.Ollama
	// queue reports an image machine's line: waiting, slots in use, slots.
	queue func(machine string) (waiting, inUse, slots int)

	mu  sync.Mutex
	llm api.Backend
}

func (b *backendLister) Backends(ctx context.Context) []api.Backend {
	out := []api.Backend{b.probeOllama(ctx)}
	for _, m := range b.machines {
		st := m.sup.Status()
		if st.CheckedAt.IsZero() || time.Since(st.CheckedAt) > 5*time.Second {
			st = m.sup.Check(ctx)
		}
		var q *api.BackendQueue
		if b.queue != nil {
			q = &api.BackendQueue{}
			q.Waiting, q.InUse, q.Slots = b.queue(m.name)
		}
		for _, kb := range []struct{ name, url string }{{m.name, m.swarmURL}, {comfyName(m.name), m.comfyURL}} {
			out = append(out, api.Backend{Name: kb.name, Kind: "image", URL: redact.URL(kb.url),
				State: string(st.State), Detail: st.Detail, CheckedAt: st.CheckedAt, Queue: q})
			q = nil // the machine's line is shown once, on SwarmUI
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

// comfyName names the ComfyUI of an image machine: "comfyui" for
// "swarmui", "comfyui-2" for "swarmui-2".
func comfyName(machine string) string {
	return "comfyui" + strings.TrimPrefix(machine, "swarmui")
}
