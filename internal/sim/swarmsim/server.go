// Package swarmsim is an in-memory SwarmUI simulator: an http.Handler for the
// SwarmUI port that speaks SwarmUI's JSON API (sessions, GenerateText2Image,
// ListModels, ListBackends, GetCurrentStatus, InterruptAll) and its
// GenerateText2ImageWS websocket (status, gen_progress per step with a
// tiny JPEG preview, image, keep_alive, discard_indices, socket_intention)
// with SwarmUI's transport checks and error shapes, serves generated images
// under /View/, and passes /ComfyBackendDirect/* (HTTP and websocket) to
// its simulated ComfyUI backend, a comfysim.Server.
//
// Generations run one at a time, as on a single ComfyUI backend. Each image
// takes steps × Comfy.StepDelay (one delay per step) and is rendered with
// comfysim.Render from the prompt, seed, LoRAs and size, so it equals what
// comfysim renders for a workflow with the same inputs. Images live in memory only.
//
// Until Options.StartupDelay has passed since New, every request on the
// SwarmUI port, including /ComfyBackendDirect/*, answers 503 Service
// Unavailable with a plain-text body. (A real SwarmUI does not listen at all
// before its web server is up; a 503 lets health checks see the same "not
// ready" without port juggling.) The ComfyUI backend keeps its own
// Comfy.StartupDelay: while it has not passed, GetCurrentStatus reports the
// backends as "loading" and generations wait for it.
package swarmsim

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
	"github.com/ai4artsed/ai4artsed/internal/sim/simstat"
)

// Options configures a simulated SwarmUI.
type Options struct {
	// Comfy configures the ComfyUI backend. Nil Checkpoints and LoRAs lists
	// default to Models and LoRAs, since SwarmUI shares its model folders
	// with its ComfyUI backend.
	Comfy comfysim.Options
	// StartupDelay is how long after New the SwarmUI port answers 503.
	StartupDelay time.Duration
	// Models and LoRAs are the model names as SwarmUI lists them, e.g.
	// "OfficialStableDiffusion/sd3.5_large.safetensors". A nil list gets a
	// small default set; an empty non-nil list means none.
	Models, LoRAs []string
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
}

// Default model lists, used where Options leaves a list nil.
var (
	defaultModels = []string{
		"OfficialStableDiffusion/sd3.5_large.safetensors",
		"OfficialStableDiffusion/sd_xl_base_1.0.safetensors",
		"Flux/flux1-schnell.safetensors",
	}
	defaultLoRAs = []string{"cooked_style.safetensors", "watercolor.safetensors", "styles/pixel_art.safetensors"}
)

// maxStoredImages bounds the images kept for /View; the oldest go first.
const maxStoredImages = 1000

// Server is a simulated SwarmUI. Create it with New, stop it with Close.
type Server struct {
	opts         Options
	log          *slog.Logger
	start        time.Time
	comfyReadyAt time.Time
	comfy        *comfysim.Server
	apis         map[string]apiHandler

	ctx       context.Context // cancelled by Close
	cancel    context.CancelFunc
	closeOnce sync.Once
	backend   chan struct{} // one slot: the single ComfyUI backend

	mu         sync.Mutex
	sessions   map[string]bool
	requests   []T2IRecord
	images     map[string][]byte // path after "View/" → PNG
	imageOrder []string
	imageCount int
	waiting    int
	live       int
	inFlight   int // GenerateText2Image calls being served now
	maxFlight  int // most such calls at once
	gens       map[int]*generation
	genID      int
	busy       simstat.Busy // time a generation held the backend
}

// generation is a running or waiting GenerateText2Image call.
type generation struct {
	session string
	cancel  context.CancelFunc
}

// New creates a simulator and its ComfyUI backend.
func New(opts Options) *Server {
	if opts.Models == nil {
		opts.Models = defaultModels
	}
	if opts.LoRAs == nil {
		opts.LoRAs = defaultLoRAs
	}
	opts.Models = slices.Clone(opts.Models)
	opts.LoRAs = slices.Clone(opts.LoRAs)
	if opts.Comfy.Checkpoints == nil {
		opts.Comfy.Checkpoints = opts.Models
	}
	if opts.Comfy.LoRAs == nil {
		opts.Comfy.LoRAs = opts.LoRAs
	}
	if opts.Comfy.Logger == nil {
		opts.Comfy.Logger = opts.Logger
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	now := time.Now()
	s := &Server{
		opts:         opts,
		log:          log,
		start:        now,
		comfyReadyAt: now.Add(opts.Comfy.StartupDelay),
		comfy:        comfysim.New(opts.Comfy),
		ctx:          ctx,
		cancel:       cancel,
		backend:      make(chan struct{}, 1),
		sessions:     map[string]bool{},
		images:       map[string][]byte{},
		gens:         map[int]*generation{},
	}
	s.apis = s.apiTable()
	return s
}

// Comfy returns the ComfyUI backend. The caller may serve it on its own
// port (as SwarmUI's self-started backend on 7821); it is also reachable as
// /ComfyBackendDirect/* on the SwarmUI port.
func (s *Server) Comfy() *comfysim.Server { return s.comfy }

// Close interrupts every generation and closes the ComfyUI backend. It is
// safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.cancel()
		s.comfy.Close()
	})
}

// ExpireSessions forgets every session, as a SwarmUI restart would; the next
// call with an old session id answers 401 invalid_session_id.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	clear(s.sessions)
	s.mu.Unlock()
}

// Requests returns every GenerateText2Image call that reached the handler,
// in arrival order.
func (s *Server) Requests() []T2IRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]T2IRecord, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.clone()
	}
	return out
}

// ServeHTTP serves the SwarmUI port.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if time.Since(s.start) < s.opts.StartupDelay {
		http.Error(w, "swarmsim: starting up", http.StatusServiceUnavailable)
		return
	}
	s.route(w, r)
}

// comfyReady reports whether the ComfyUI backend has finished starting.
func (s *Server) comfyReady() bool { return !time.Now().Before(s.comfyReadyAt) }

// InFlight returns how many GenerateText2Image calls are being served now,
// waiting for the backend or generating.
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

// Busy returns how long a GenerateText2Image call held the ComfyUI
// backend: checkpoint switches and sampler steps.
func (s *Server) Busy() time.Duration { return s.busy.Total() }

// MaxInFlight returns the most GenerateText2Image calls served at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxFlight
}
