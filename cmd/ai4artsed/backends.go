package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/pipeline"
	"github.com/ai4artsed/ai4artsed/internal/redact"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres"
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
// With PostgreSQL (pg not nil) that start takes an advisory lock first, so
// of several replicas only one starts it (docs/deploy.md).
func newImages(s Settings, log *slog.Logger, pg *postgres.DB) []imageMachine {
	hc := &http.Client{}
	swarms, comfys := splitList(s.SwarmURL), splitList(s.ComfyURL)
	out := make([]imageMachine, 0, len(swarms))
	for i, su := range swarms {
		name := "swarmui"
		if len(swarms) > 1 {
			name = fmt.Sprintf("swarmui-%d", i+1)
		}
		cu := comfys[min(i, len(comfys)-1)]
		cfg := supervisor.Config{
			SwarmURL: su, ComfyURL: cu, AutoStart: s.SwarmAutoStart && i == 0,
			StartCommand: s.SwarmStartCommand, StartupTimeout: s.SwarmStartupTimeout,
			Interval: s.SwarmHealthInterval, Backoff: s.SwarmBackoff, StopOnExit: s.SwarmStopOnExit,
			Logger: log.With("component", "supervisor", "machine", name),
		}
		if pg != nil && cfg.AutoStart {
			cfg.StartLock = pgStartLock{db: pg, key: "ai4artsed swarmui start " + startLockKey(su)}
		}
		sup := supervisor.New(cfg)
		out = append(out, imageMachine{name: name, swarmURL: su, comfyURL: cu, sup: sup, images: &pipeline.Images{
			Swarm: swarm.New(su, hc), Comfy: comfy.New(cu, hc), Starter: sup, Timeout: s.GenerationTimeout, Machine: name,
		}})
	}
	return out
}

// pgStartLock is the start lock of one image machine: a PostgreSQL
// advisory lock shared by every replica on the database.
type pgStartLock struct {
	db  *postgres.DB
	key string
}

func (l pgStartLock) TryLock(ctx context.Context) (func(), bool, error) {
	return l.db.TryLock(ctx, l.key)
}

// startLockKey names an image machine for its start lock: its SwarmUI URL,
// and for a loopback URL this host's name too, as 127.0.0.1 on each host is
// a machine of its own.
func startLockKey(swarmURL string) string {
	u, err := url.Parse(swarmURL)
	if err != nil {
		return swarmURL
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		name, _ := os.Hostname()
		return name + " " + u.Host
	}
	return u.Host
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
