package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/datadir"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"github.com/ai4artsed/ai4artsed/internal/httpapi"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/pipeline"
	"github.com/ai4artsed/ai4artsed/internal/queue"
	"github.com/ai4artsed/ai4artsed/internal/redact"
	"github.com/ai4artsed/ai4artsed/internal/retention"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres"
	"github.com/ai4artsed/ai4artsed/internal/store/sqlite"
	"github.com/ai4artsed/ai4artsed/internal/supervisor"
	"github.com/ai4artsed/ai4artsed/internal/web"
)

// App is the assembled server: what `serve` runs and what end-to-end tests build.
type App struct {
	Settings Settings
	Log      *slog.Logger
	Store    store.Store
	Catalog  *catalog.Catalog
	Hub      *events.Hub
	Pipeline *pipeline.Pipeline
	API      *httpapi.Server
	Images   *pipeline.Images
	// Supervisor starts SwarmUI on demand.
	Supervisor *supervisor.Supervisor
	Files      *media.Files
	Ollama     *llm.Ollama
	Demo       *demoSims // nil unless --demo

	closers []func()
}

// NewApp builds every part from the settings. With s.Demo the simulators are
// started first and the settings are pointed at them.
func NewApp(ctx context.Context, s Settings, log *slog.Logger) (_ *App, err error) {
	a := &App{Log: log}
	defer func() {
		if err != nil {
			a.closeAll()
		}
	}()
	// The data dir lock comes before anything that reads or changes state
	// (the store's InterruptUnfinished above all), so a second process on
	// the same dir changes nothing. With PostgreSQL it still guards the
	// media files; several replicas sharing one database are a later issue.
	lock, err := datadir.Lock(s.DataDir)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { _ = lock.Close() })
	cat, problems, err := catalog.Load(catalog.Builtin(), s.ConfigDir, log)
	if err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	for _, p := range problems {
		log.Warn("config problem", "problem", p.String())
	}
	a.Catalog = cat
	if s.Demo {
		models := []string{s.ModelInterception, s.ModelSafety, s.ModelTranslation, s.ModelOptimization, s.ModelVision}
		if a.Demo, err = startDemo(s.Sim, cat, models, log); err != nil {
			return nil, err
		}
		a.closers = append(a.closers, a.Demo.Close)
		a.Demo.apply(&s)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	a.Settings = s

	db, err := openStore(ctx, s)
	if err != nil {
		return nil, err
	}
	a.Store = db
	a.closers = append(a.closers, func() { _ = db.Close() })
	ids, err := db.InterruptUnfinished(ctx, time.Now(), pipeline.Ending)
	if err != nil {
		return nil, fmt.Errorf("store: interrupt unfinished runs: %w", err)
	}
	if len(ids) > 0 {
		log.Warn("runs left unfinished by the previous process are now interrupted", "count", len(ids))
	}
	files, err := media.NewFiles(filepath.Join(s.DataDir, "media"))
	if err != nil {
		return nil, err
	}

	a.Files = files
	llmOpts := []llm.Option{llm.WithTimeoutSetting("OLLAMA_TIMEOUT"),
		llm.WithFirstTokenTimeout(s.OllamaFirstTokenTimeout, "OLLAMA_FIRST_TOKEN_TIMEOUT"),
		llm.WithIdleTimeout(s.OllamaIdleTimeout, "OLLAMA_IDLE_TIMEOUT"), llm.WithLogger(log.With("component", "llm"))}
	a.Ollama = llm.NewOllama(s.OllamaURL, &http.Client{}, s.OllamaTimeout, llmOpts...)
	router := &llm.Router{Ollama: a.Ollama}
	if s.OpenAIBaseURL != "" {
		router.OpenAI = llm.NewOpenAI(s.OpenAIBaseURL, s.OpenAIAPIKey, &http.Client{}, s.OllamaTimeout, llmOpts...)
	}
	machines := newImages(s, log)
	a.Images, a.Supervisor = machines[0].images, machines[0].sup
	var imageMachines []*pipeline.Images
	for i, m := range machines {
		log.Info("image machine", "name", m.name, "swarmui", redact.URL(m.swarmURL), "comfyui", redact.URL(m.comfyURL),
			"slots", s.ImageSlots, "auto_start", s.SwarmAutoStart && i == 0)
		a.closers = append(a.closers, func() { _ = m.sup.Close() })
		imageMachines = append(imageMachines, m.images)
	}
	filter, err := newFilter(cat)
	if err != nil {
		return nil, fmt.Errorf("safety filter: %w", err)
	}
	a.Hub = events.NewHub(db)
	signal := events.NewSignal() // new runs and changes of workshops, for class views
	var p *pipeline.Pipeline
	backends := &backendLister{s: s, machines: machines, ollama: a.Ollama,
		queue: func(m string) (int, int, int) { q := p.ImageQueue(m); return q.Waiting(), q.InUse(), q.Slots() }}
	metrics := httpapi.NewMetrics(httpapi.MetricsSources{
		Queues:      func() map[string]*queue.Queue { return p.Queues() },
		ImageQueues: func() map[string]*queue.Queue { return p.ImageQueues() },
		Subscribers: a.Hub.Subscribers,
		ActiveRuns:  func() int { return p.Active() },
		Backends:    backends,
	})
	p = pipeline.New(pipeline.Config{
		Store: db, Hub: a.Hub, Catalog: cat, LLM: router, Images: a.Images, ImageMachines: imageMachines, Files: files, Logger: log, Metrics: metrics,
		Models: pipeline.Models{
			Interception: s.ModelInterception, Safety: s.ModelSafety,
			Translation: s.ModelTranslation, Optimization: s.ModelOptimization, Vision: s.ModelVision,
		},
		Filter: filter, JudgeTimeout: s.JudgeTimeout, Created: signal,
		Language: s.Language, SafetyLevel: safety.Level(s.SafetyLevel), DefaultOutput: s.DefaultOutput,
		Slots: s.LLMSlots, ImageSlots: s.ImageSlots, SwitchTurns: s.SwitchTurns, QueueMax: s.QueueMax, MaxRunsClient: s.MaxRunsClient,
	})
	a.Pipeline = p
	deviceKey, err := loadOrCreateKey(filepath.Join(s.DataDir, "device.key"))
	if err != nil {
		return nil, err
	}
	sweepCtx, stopSweep := context.WithCancel(context.Background())
	sweeper := &retention.Sweeper{Store: db, Files: files, MaxAge: s.Retention, Log: log}
	swept := make(chan struct{})
	go func() { defer close(swept); sweeper.Run(sweepCtx) }()
	a.closers = append(a.closers, func() { stopSweep(); <-swept })
	a.API = httpapi.New(httpapi.Config{
		Pipeline: p, Store: db, Hub: a.Hub, Catalog: cat, Files: files, Backends: backends,
		Metrics: metrics, Web: web.Handler(), Logger: log, Demo: s.Demo, AdminToken: s.AdminToken,
		Language: s.Language, SafetyLevel: s.SafetyLevel,
		Timeouts: s.HTTPTimeouts,
		Accounts: db, PasswordParams: s.PasswordParams,
		Workshops: db, DeviceKey: deviceKey, RequireWorkshop: s.RequireWorkshop,
		PublicURL: s.PublicURL, Class: db, Signal: signal,
	})
	return a, nil
}

// openStore opens PostgreSQL when AI4ARTSED_DATABASE_URL is set, else
// SQLite in the data dir.
func openStore(ctx context.Context, s Settings) (store.Store, error) {
	if s.DatabaseURL != "" {
		return postgres.Open(ctx, s.DatabaseURL)
	}
	return sqlite.Open(ctx, filepath.Join(s.DataDir, "ai4artsed.db"))
}

// Shutdown ends streams, interrupts runs within ctx and closes everything.
func (a *App) Shutdown(ctx context.Context) error {
	a.API.CloseStreams()
	err := a.Pipeline.Shutdown(ctx)
	a.closeAll()
	return err
}

func (a *App) closeAll() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}
