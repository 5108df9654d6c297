// Package httpapi serves the JSON API, the SSE event streams, metrics and the
// web UI over net/http (docs/api.md).
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/auth"
	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"github.com/ai4artsed/ai4artsed/internal/export"
	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/pipeline"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/workshop"
)

// MaxBodyBytes bounds every JSON request body.
const MaxBodyBytes = api.MaxBodyBytes

// BackendLister reports the state of the external services.
type BackendLister interface {
	Backends(ctx context.Context) []api.Backend
}

// Runs is what the API needs of the pipeline; *pipeline.Pipeline
// implements it.
type Runs interface {
	Start(ctx context.Context, req pipeline.Request) (*store.Run, error)
	Cancel(ctx context.Context, id string) error
}

// Store is what the API reads and writes directly; store.Store implements it.
type Store interface {
	GetRun(ctx context.Context, id string) (*store.Run, error)
	GetMedia(ctx context.Context, id string) (*store.Media, error)
	PutUpload(ctx context.Context, u store.Upload) error
}

// Follower follows a run's events; *events.Hub implements it.
type Follower interface {
	Follow(ctx context.Context, runID string, after int64, w events.Watcher) error
}

// Config holds the server's dependencies.
type Config struct {
	Pipeline Runs
	Store    Store
	Hub      Follower
	Catalog  *catalog.Catalog
	// Files keeps uploads and generated images (the data dir, a shared
	// directory or PostgreSQL: docs/deploy.md).
	Files media.Blobs
	// Images checks uploaded images and bounds how many are decoded at
	// once; nil means media.NewChecker with its defaults.
	Images   *media.Checker
	Backends BackendLister // may be nil
	Metrics  *Metrics      // may be nil
	Web      http.Handler  // the UI at /
	Logger   *slog.Logger
	Ping     time.Duration // SSE keep-alive period, default 15s
	Demo     bool
	// AdminToken guards the admin routes (runtime profiles); empty: off.
	AdminToken string
	// Language is the default language of messages ("de" or "en").
	Language string
	// SafetyLevel is the server's safety level, reported by GET /api/info.
	SafetyLevel string
	// Timeouts bound slow clients; zero fields take the defaults.
	Timeouts Timeouts

	// Accounts keeps teacher accounts and sessions; nil: nobody can sign in.
	Accounts Accounts
	// SessionTTL is how long a login lasts; default 12 hours.
	SessionTTL time.Duration
	// PasswordParams is the argon2id cost of the hash an unknown name is
	// checked against; zero: auth.DefaultParams.
	PasswordParams auth.Params
	// Workshops keeps workshops and joined devices; nil: workshops are off.
	Workshops Workshops
	// DeviceKey signs student device cookies (at least 32 bytes); empty:
	// a random key per process.
	DeviceKey []byte
	// Research reads a workshop's runs for its export (with Files); nil:
	// the export answers 404.
	Research export.Source
	// Settings keeps the admin's defaults for workshops; nil: the server's
	// level is the floor, every config is enabled, and the admin settings
	// routes answer 404.
	Settings SettingsStore
	// RequireWorkshop refuses runs of browsers that joined no workshop.
	RequireWorkshop bool
	// PublicURL is the scheme and host students open (AI4ARTSED_PUBLIC_URL),
	// for join links and their QR codes; empty: the host each request
	// came to.
	PublicURL string
	// Class reads a workshop's runs for the teacher's class view; nil: the
	// class view answers 404.
	Class ClassStore
	// Signal wakes class views on a workshop's new runs and changes; nil:
	// they look at the store every ClassPoll only.
	Signal Signal
	// ClassPoll is how often a class view looks at the store for the runs
	// of other processes and changes of its workshop; default 2s.
	ClassPoll time.Duration
	// Now is the clock of sessions and limits; nil: time.Now.
	Now func() time.Time
}

// Server is the HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler
	mux     *http.ServeMux

	// closing is cancelled on shutdown: it ends every SSE stream (each
	// stream registers a context.AfterFunc on it, no goroutine).
	closing      context.Context
	closeStreams context.CancelFunc
	draining     atomic.Bool  // set by Drain: no new runs, /healthz 503
	starting     atomic.Int64 // POST /api/runs requests past the draining check

	accounts                 Accounts
	loginByName, loginByAddr *auth.Limiter
	hashing                  chan struct{} // bounds concurrent password checks
	dummyOnce                sync.Once
	dummy                    string

	devices               *auth.Signer     // signs device cookies
	joinFails             *auth.Limiter    // wrong join codes per address
	runsHour, generations *workshop.Window // hourly workshop limits
	exporter              *export.Exporter // nil without Research and Files
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Language != "en" {
		cfg.Language = "de"
	}
	if cfg.Ping <= 0 {
		cfg.Ping = 15 * time.Second
	}
	cfg.Timeouts = cfg.Timeouts.withDefaults()
	if cfg.Images == nil {
		cfg.Images = media.NewChecker(media.CheckerConfig{})
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.PasswordParams == (auth.Params{}) {
		cfg.PasswordParams = auth.DefaultParams()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClassPoll <= 0 {
		cfg.ClassPoll = 2 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Logger,
		accounts:    cfg.Accounts,
		loginByName: auth.NewLimiter(loginFailsPerName, loginWindow),
		loginByAddr: auth.NewLimiter(loginFailsPerAddr, loginWindow),
		hashing:     make(chan struct{}, maxHashing),
	}
	s.closing, s.closeStreams = context.WithCancel(context.Background())
	if len(cfg.DeviceKey) == 0 {
		cfg.DeviceKey = auth.RandomBytes(32)
	}
	s.devices = auth.NewSigner(cfg.DeviceKey)
	s.joinFails = auth.NewLimiter(joinFailsPerAddr, loginWindow)
	s.runsHour, s.generations = workshop.NewWindow(time.Hour), workshop.NewWindow(time.Hour)
	if cfg.Research != nil && cfg.Files != nil {
		s.exporter = export.New(cfg.Research, cfg.Files)
	}
	if s.accounts == nil {
		s.accounts = noAccounts{}
	}
	s.handler = s.routes()
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// CloseStreams ends every open SSE stream; it is safe to call twice.
func (s *Server) CloseStreams() { s.closeStreams() }
