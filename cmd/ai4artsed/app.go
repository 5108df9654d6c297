package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/datadir"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"github.com/ai4artsed/ai4artsed/internal/httpapi"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/pipeline"
	"github.com/ai4artsed/ai4artsed/internal/pool"
	"github.com/ai4artsed/ai4artsed/internal/redact"
	"github.com/ai4artsed/ai4artsed/internal/replica"
	"github.com/ai4artsed/ai4artsed/internal/retention"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/sharedqueue"
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
	// Media keeps uploads and generated images: Files, or the PostgreSQL
	// table (Settings.MediaDir says which).
	Media media.Blobs
	// Files is the media directory; nil when the media live in PostgreSQL.
	Files  *media.Files
	Ollama *llm.Ollama
	Demo   *demoSims // nil unless --demo

	closers []func()

	// Replica is this server's id among the replicas sharing a PostgreSQL
	// store; empty with SQLite (docs/deploy.md, "How replicas cooperate").
	Replica string
	// member holds the replica's lease; stopLease ends its renewal (tests
	// use it to play a replica that died).
	member    *replica.Member
	stopLease context.CancelFunc
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
	// the same dir changes nothing. Replicas sharing one PostgreSQL
	// database each have a data dir of their own (docs/deploy.md, "How
	// replicas cooperate").
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
	shared, _ := db.(sharedStore)
	if shared != nil {
		// Replicas may share the database: only the runs of dead
		// replicas are ended, never those of live ones.
		a.Replica = replica.NewID()
		a.member = &replica.Member{ID: a.Replica, Store: shared, End: pipeline.Ending, Log: log.With("component", "replica")}
		ids, err := a.member.Join(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: join the replicas: %w", err)
		}
		log.Info("replica joined", "replica", a.Replica, "pool_max_conns", shared.PoolSize())
		if len(ids) > 0 {
			log.Warn("runs left unfinished by a replica that stopped are now interrupted", "count", len(ids))
		}
	} else {
		ids, err := db.InterruptUnfinished(ctx, time.Now(), pipeline.Ending)
		if err != nil {
			return nil, fmt.Errorf("store: interrupt unfinished runs: %w", err)
		}
		if len(ids) > 0 {
			log.Warn("runs left unfinished by the previous process are now interrupted", "count", len(ids))
		}
	}
	files, err := openMedia(s, db)
	if err != nil {
		return nil, err
	}
	if pgb, ok := files.(*postgres.Blobs); ok {
		if err := moveLegacyMedia(ctx, filepath.Join(s.DataDir, "media"), pgb, log); err != nil {
			return nil, err
		}
	}
	a.Media = files
	a.Files, _ = files.(*media.Files)
	llmOpts := []llm.Option{llm.WithTimeoutSetting("OLLAMA_TIMEOUT"),
		llm.WithFirstTokenTimeout(s.OllamaFirstTokenTimeout, "OLLAMA_FIRST_TOKEN_TIMEOUT"),
		llm.WithIdleTimeout(s.OllamaIdleTimeout, "OLLAMA_IDLE_TIMEOUT"), llm.WithLogger(log.With("component", "llm"))}
	bf, probs := pool.Load(s.ConfigDir)
	if len(probs) > 0 {
		var lines []string
		for _, p := range probs {
			lines = append(lines, p.String())
		}
		return nil, fmt.Errorf("backends file: %s", strings.Join(lines, "; "))
	}
	llms := newLLMMachines(s, bf, llmOpts)
	router := &llm.Router{}
	var llmMachines []*pipeline.LLMMachine
	for _, m := range llms {
		llmMachines = append(llmMachines, m.m)
		switch c := m.m.Client.(type) {
		case *llm.Ollama:
			if router.Ollama == nil {
				router.Ollama, a.Ollama = c, c
			}
		case *llm.OpenAI:
			if router.OpenAI == nil {
				router.OpenAI = c
			}
		}
		log.Info("llm machine", "name", m.m.Name, "kind", m.m.Provider, "url", redact.URL(m.url),
			"slots", cmpOr(m.m.Slots, s.LLMSlots), "models", m.m.Models, "labels", m.m.Labels)
	}
	pg, _ := db.(*postgres.DB)
	machines := newImages(s, bf, log, pg)
	a.Images, a.Supervisor = machines[0].images, machines[0].sup
	var imageMachines []*pipeline.Images
	for _, m := range machines {
		log.Info("image machine", "name", m.name, "swarmui", redact.URL(m.swarmURL), "comfyui", redact.URL(m.comfyURL),
			"slots", cmpOr(m.images.Slots, s.ImageSlots), "auto_start", m.autoStart, "models", m.images.Models, "labels", m.images.Labels)
		a.closers = append(a.closers, func() { _ = m.sup.Close() })
		imageMachines = append(imageMachines, m.images)
	}
	filter, err := newFilter(cat)
	if err != nil {
		return nil, fmt.Errorf("safety filter: %w", err)
	}
	signal := events.NewSignal() // new runs and changes of workshops, for class views
	var p *pipeline.Pipeline
	var hubOpts []events.Option
	var queues pipeline.QueueMaker
	var turns pipeline.TurnCounter
	if shared != nil {
		var bus events.Bus = shared
		if pg != nil {
			// Every machine's slots hold across the replicas: its queue
			// lives in the database (docs/scheduling.md, "Several
			// replicas"); its notes share the hub's listening connection.
			sq := sharedqueue.New(sharedqueue.Options{Store: pg, Replica: a.Replica, TTL: replica.DefaultTTL,
				Log: log.With("component", "sharedqueue")})
			a.closers = append(a.closers, sq.Close)
			queues = func(kind, name string, slots, maxWaiting int, onAcquired func(time.Duration)) pipeline.SlotQueue {
				return sq.Queue(kind+":"+name, slots, maxWaiting, onAcquired)
			}
			turns = pg.RunsAhead
			bus = sq.Tap(shared)
		}
		hubOpts = append(hubOpts, events.WithBus(bus), events.WithCancel(func(id string) { p.CancelLocal(id) }))
	}
	a.Hub = events.NewHub(db, hubOpts...)
	backends := &backendLister{llms: llms, machines: machines, p: func() *pipeline.Pipeline { return p }}
	metrics := httpapi.NewMetrics(httpapi.MetricsSources{
		Queues:      func() map[string]httpapi.QueueGauge { return gauges(p.Queues()) },
		ImageQueues: func() map[string]httpapi.QueueGauge { return gauges(p.ImageQueues()) },
		Subscribers: a.Hub.Subscribers,
		ActiveRuns:  func() int { return p.Active() },
		Backends:    backends,
		Loaded:      backends.Loaded,
	})
	p = pipeline.New(pipeline.Config{
		Store: db, Hub: a.Hub, Catalog: cat, LLM: router, Images: a.Images, ImageMachines: imageMachines, LLMMachines: llmMachines,
		Routing: pool.Policy(s.Routing), Files: files, Logger: log, Metrics: metrics,
		Models: pipeline.Models{
			Interception: s.ModelInterception, Safety: s.ModelSafety,
			Translation: s.ModelTranslation, Optimization: s.ModelOptimization, Vision: s.ModelVision,
		},
		Filter: filter, JudgeTimeout: s.JudgeTimeout, Created: signal,
		Language: s.Language, SafetyLevel: safety.Level(s.SafetyLevel), DefaultOutput: s.DefaultOutput,
		Slots: s.LLMSlots, ImageSlots: s.ImageSlots, QueueMax: s.QueueMax, MaxRunsClient: s.MaxRunsClient,
		Replica: a.Replica, Requests: shared, Queues: queues, Turns: turns,
	})
	a.Pipeline = p
	if shared != nil {
		a.startReplica(shared)
	}
	healthCtx, stopHealth := context.WithCancel(context.Background())
	healthDone := make(chan struct{})
	go func() { defer close(healthDone); p.RunHealth(healthCtx, s.HealthInterval) }()
	a.closers = append(a.closers, func() { stopHealth(); <-healthDone })
	deviceKey, err := loadOrCreateKey(filepath.Join(s.DataDir, "device.key"))
	if err != nil {
		return nil, err
	}
	if pg != nil {
		// Replicas share one key, or a device cookie signed by one would
		// be refused by the others: the first server's is kept.
		if deviceKey, err = pg.SharedKey(ctx, "device", deviceKey); err != nil {
			return nil, err
		}
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
		Workshops: db, DeviceKey: deviceKey, RequireWorkshop: s.RequireWorkshop, Research: db, Settings: db,
		PublicURL: s.PublicURL, Class: db, Signal: signal,
	})
	return a, nil
}

// sharedStore is a store several replicas may share: PostgreSQL.
type sharedStore interface {
	store.Replicas
	events.Bus
	PoolSize() int
}

// startReplica relays events between the replicas and renews the lease
// until the app closes; a clean close gives the lease up, after the
// pipeline has ended its runs.
func (a *App) startReplica(shared sharedStore) {
	relayCtx, stopRelay := context.WithCancel(context.Background())
	relayed := make(chan struct{})
	go func() { defer close(relayed); _ = a.Hub.Run(relayCtx) }()
	leaseCtx, stopLease := context.WithCancel(context.Background())
	a.stopLease = stopLease
	a.member.Cancel = func(id string) { a.Pipeline.CancelLocal(id) }
	a.member.Lost = func() { a.Pipeline.InterruptAll() }
	renewed := make(chan struct{})
	go func() { defer close(renewed); a.member.Run(leaseCtx) }()
	a.closers = append(a.closers, func() {
		stopRelay()
		<-relayed
		select {
		case <-leaseCtx.Done():
			<-renewed
			return // stopped: a replica that died leaves no word
		default:
		}
		stopLease()
		<-renewed
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.member.Leave(ctx); err != nil {
			a.Log.Warn("replica lease not given up", "err", err)
		}
	})
}

// openStore opens PostgreSQL when AI4ARTSED_DATABASE_URL is set, else
// SQLite in the data dir.
func openStore(ctx context.Context, s Settings) (store.Store, error) {
	if s.DatabaseURL != "" {
		return postgres.Open(ctx, s.DatabaseURL)
	}
	return sqlite.Open(ctx, filepath.Join(s.DataDir, "ai4artsed.db"))
}

// openMedia opens where uploads and images are kept: AI4ARTSED_MEDIA_DIR
// when set (a directory every replica mounts), else the PostgreSQL store's
// table, else media/ in the data dir (docs/deploy.md).
func openMedia(s Settings, db store.Store) (media.Blobs, error) {
	if s.MediaDir == "" {
		if pg, ok := db.(*postgres.DB); ok {
			return pg.Blobs(), nil
		}
	}
	return media.NewFiles(s.mediaWhere())
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

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// gauges shows the pipeline's slot queues to the metrics.
func gauges(qs map[string]pipeline.SlotQueue) map[string]httpapi.QueueGauge {
	out := make(map[string]httpapi.QueueGauge, len(qs))
	for name, q := range qs {
		out[name] = q
	}
	return out
}
