package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/pipeline"
	"github.com/ai4artsed/ai4artsed/internal/pool"
	"github.com/ai4artsed/ai4artsed/internal/redact"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres"
	"github.com/ai4artsed/ai4artsed/internal/supervisor"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// imageMachine is one image machine: SwarmUI with its ComfyUI, or a
// standalone ComfyUI (swarmURL empty).
type imageMachine struct {
	name, swarmURL, comfyURL string
	images                   *pipeline.Images
	sup                      *supervisor.Supervisor
	autoStart                bool
}

// llmMachine is one LLM machine with the URL shown for it.
type llmMachine struct {
	m   *pipeline.LLMMachine
	url string
}

// imageConfigs lists the image machines: the backends file's, else
// SWARMUI_URL and COMFYUI_URL, pairwise (docs/backends.md). One machine
// from the environment is named "swarmui", several "swarmui-1"...; only the
// first of them is started on demand.
func imageConfigs(s Settings, bf *pool.File) []pool.MachineConfig {
	if bf != nil && len(bf.Image()) > 0 {
		return bf.Image()
	}
	swarms, comfys := splitList(s.SwarmURL), splitList(s.ComfyURL)
	out := make([]pool.MachineConfig, 0, len(swarms))
	for i, su := range swarms {
		name := "swarmui"
		if len(swarms) > 1 {
			name = fmt.Sprintf("swarmui-%d", i+1)
		}
		mc := pool.MachineConfig{Name: name, Kind: pool.KindSwarmUI, URL: su, ComfyUIURL: comfys[min(i, len(comfys)-1)]}
		if i == 0 {
			mc.StartCommand = s.SwarmStartCommand
		}
		out = append(out, mc)
	}
	return out
}

// newImages builds the clients, supervisor and health probe of each image
// machine; a machine is started on demand when it has a start command
// (from the environment: only the first) and SWARMUI_AUTO_START allows.
//
// With PostgreSQL (pg not nil) a start takes an advisory lock first, so of
// several replicas only one starts a machine (docs/deploy.md).
func newImages(s Settings, bf *pool.File, log *slog.Logger, pg *postgres.DB) []imageMachine {
	hc := &http.Client{}
	fromFile := bf != nil && len(bf.Image()) > 0
	var out []imageMachine
	for i, mc := range imageConfigs(s, bf) {
		swarmURL, comfyURL := mc.URL, mc.ComfyUIURL
		if mc.Kind == pool.KindComfyUI {
			swarmURL, comfyURL = "", mc.URL
		}
		autoStart := s.SwarmAutoStart && (i == 0 || fromFile && mc.StartCommand != "")
		cfg := supervisor.Config{
			SwarmURL: swarmURL, ComfyURL: comfyURL, AutoStart: autoStart,
			StartCommand: mc.StartCommand, StartupTimeout: s.SwarmStartupTimeout,
			Interval: s.SwarmHealthInterval, Backoff: s.SwarmBackoff, StopOnExit: s.SwarmStopOnExit,
			Logger: log.With("component", "supervisor", "machine", mc.Name),
		}
		if pg != nil && cfg.AutoStart {
			cfg.StartLock = pgStartLock{db: pg, key: "ai4artsed swarmui start " + startLockKey(cmp.Or(swarmURL, comfyURL))}
		}
		sup := supervisor.New(cfg)
		im := &pipeline.Images{Comfy: comfy.New(comfyURL, hc), Starter: sup, Timeout: s.GenerationTimeout, Machine: mc.Name,
			Slots: mc.Slots, Models: mc.Models, Labels: mc.Labels}
		var sw *swarm.Client
		if swarmURL != "" {
			sw = swarm.New(swarmURL, hc)
			im.Swarm = sw
		}
		pr := &imageProber{sup: sup, swarm: sw, comfy: comfy.New(comfyURL, hc)}
		im.Probe = pr.probe
		out = append(out, imageMachine{name: mc.Name, swarmURL: swarmURL, comfyURL: comfyURL, sup: sup, images: im, autoStart: autoStart})
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

// startLockKey names an image machine for its start lock: its URL, and for
// a loopback URL this host's name too, as 127.0.0.1 on each host is a
// machine of its own.
func startLockKey(machineURL string) string {
	u, err := url.Parse(machineURL)
	if err != nil {
		return machineURL
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		name, _ := os.Hostname()
		return name + " " + u.Host
	}
	return u.Host
}

// newLLMMachines builds the LLM machines: the backends file's, else one
// per OLLAMA_URL ("ollama", or "ollama-1", "ollama-2"...) and one for
// OPENAI_BASE_URL ("openai").
func newLLMMachines(s Settings, bf *pool.File, opts []llm.Option) []llmMachine {
	var cfgs []pool.MachineConfig
	if bf != nil && len(bf.LLM()) > 0 {
		cfgs = bf.LLM()
	} else {
		urls := splitList(s.OllamaURL)
		for i, u := range urls {
			name := "ollama"
			if len(urls) > 1 {
				name = fmt.Sprintf("ollama-%d", i+1)
			}
			cfgs = append(cfgs, pool.MachineConfig{Name: name, Kind: pool.KindOllama, URL: u})
		}
		if s.OpenAIBaseURL != "" {
			cfgs = append(cfgs, pool.MachineConfig{Name: "openai", Kind: pool.KindOpenAI, URL: s.OpenAIBaseURL})
		}
	}
	var out []llmMachine
	for _, mc := range cfgs {
		m := &pipeline.LLMMachine{Name: mc.Name, Slots: mc.Slots, Models: mc.Models, Labels: mc.Labels}
		if mc.Kind == pool.KindOpenAI {
			key := s.OpenAIAPIKey
			if mc.APIKeyEnv != "" {
				key = s.secret(mc.APIKeyEnv)
			}
			m.Provider, m.Client = llm.ProviderOpenAI, llm.NewOpenAI(mc.URL, key, &http.Client{}, s.OllamaTimeout, opts...)
		} else {
			m.Provider, m.Client = llm.ProviderOllama, llm.NewOllama(mc.URL, &http.Client{}, s.OllamaTimeout, opts...)
		}
		out = append(out, llmMachine{m: m, url: mc.URL})
	}
	return out
}

// imageProber is the health check of an image machine: the supervisor's
// check, and while the machine is up its checkpoint list (SwarmUI's
// ListModels, else ComfyUI's checkpoint loader), refreshed every
// modelsEvery.
type imageProber struct {
	sup   *supervisor.Supervisor
	swarm *swarm.Client
	comfy *comfy.Client

	mu     sync.Mutex
	models []string
	at     time.Time
}

const modelsEvery = 30 * time.Second

func (p *imageProber) probe(ctx context.Context) pool.Probe {
	st := p.sup.Check(ctx)
	if st.State != supervisor.StateUp {
		return pool.Probe{Up: false, Detail: string(st.State) + ": " + st.Detail}
	}
	pr := pool.Probe{Up: true, Detail: st.Detail}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.at) > modelsEvery {
		var names []string
		var err error
		if p.swarm != nil {
			var ms []swarm.Model
			if ms, err = p.swarm.ListModels(ctx, swarm.SubtypeModel); err == nil {
				for _, m := range ms {
					names = append(names, m.Name)
				}
			}
		} else {
			names, err = p.comfy.Models(ctx, "CheckpointLoaderSimple", "ckpt_name")
		}
		if err == nil {
			p.models, p.at = names, time.Now()
		}
	}
	pr.Models = p.models
	return pr
}

// backendLister reports every machine for GET /api/backends and /metrics.
type backendLister struct {
	llms     []llmMachine
	machines []imageMachine
	p        func() *pipeline.Pipeline
}

func (b *backendLister) Backends(ctx context.Context) []api.Backend {
	var out []api.Backend
	p := b.p()
	for provider, ms := range b.byProvider() {
		pl := p.LLMPool(provider)
		status := statusByName(pl)
		for _, m := range ms {
			st := status[m.m.Name]
			if !st.Checked || time.Since(st.CheckedAt) > 5*time.Second {
				pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				pl.Report(m.m.Name, pipeline.ProbeLLM(pctx, m.m))
				cancel()
				st = statusByName(pl)[m.m.Name]
			}
			q := p.Queue(m.m.Name)
			state := "unknown"
			switch {
			case st.Checked && st.Up:
				state = "up"
			case !st.Up:
				state = "down"
			}
			out = append(out, api.Backend{Name: m.m.Name, Kind: "llm", URL: redact.URL(m.url), State: state, Detail: st.Detail,
				CheckedAt: st.CheckedAt, Loaded: st.Loaded, Labels: st.Labels,
				Queue: &api.BackendQueue{Waiting: q.Waiting(), InUse: q.InUse(), Slots: q.Slots()}})
		}
	}
	status := statusByName(p.ImagePool())
	for _, m := range b.machines {
		st := m.sup.Status()
		if st.CheckedAt.IsZero() || time.Since(st.CheckedAt) > 5*time.Second {
			st = m.sup.Check(ctx)
		}
		q := p.ImageQueue(m.name)
		ps := status[m.name]
		bq := &api.BackendQueue{Waiting: q.Waiting(), InUse: q.InUse(), Slots: q.Slots()}
		kbs := []struct{ name, url string }{{m.name, m.swarmURL}, {comfyName(m.name), m.comfyURL}}
		if m.swarmURL == "" {
			kbs = kbs[1:2]
			kbs[0].name = m.name
		}
		for _, kb := range kbs {
			out = append(out, api.Backend{Name: kb.name, Kind: "image", URL: redact.URL(kb.url),
				State: string(st.State), Detail: st.Detail, CheckedAt: st.CheckedAt, Queue: bq, Loaded: ps.Loaded, Labels: ps.Labels})
			bq = nil // the machine's line is shown once, on SwarmUI
		}
	}
	slices.SortFunc(out, func(a, b api.Backend) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Loaded reports the models loaded per machine, for /metrics.
func (b *backendLister) Loaded() map[string][]string {
	out := map[string][]string{}
	p := b.p()
	pools := []*pool.Pool{p.ImagePool()}
	for provider := range b.byProvider() {
		pools = append(pools, p.LLMPool(provider))
	}
	for _, pl := range pools {
		for name, st := range statusByName(pl) {
			out[name] = st.Loaded
		}
	}
	return out
}

func (b *backendLister) byProvider() map[string][]llmMachine {
	out := map[string][]llmMachine{}
	for _, m := range b.llms {
		out[m.m.Provider] = append(out[m.m.Provider], m)
	}
	return out
}

func statusByName(pl *pool.Pool) map[string]pool.Status {
	out := map[string]pool.Status{}
	if pl == nil {
		return out
	}
	for _, st := range pl.Status() {
		out[st.Name] = st
	}
	return out
}

// comfyName names the ComfyUI of an image machine: "comfyui" for
// "swarmui", "comfyui-2" for "swarmui-2", "art-1-comfyui" for "art-1".
func comfyName(machine string) string {
	if rest, ok := strings.CutPrefix(machine, "swarmui"); ok {
		return "comfyui" + rest
	}
	return machine + "-comfyui"
}
