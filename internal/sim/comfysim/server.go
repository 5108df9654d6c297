package comfysim

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/sim/simstat"
)

// Options configures a simulated ComfyUI.
type Options struct {
	// StepDelay is the time one sampler step takes.
	StepDelay time.Duration
	// CheckpointLoadDelay is what a generation costs extra when its
	// checkpoint (or diffusion model) is not the one in memory: the GPU
	// holds one, so each switch loads.
	CheckpointLoadDelay time.Duration
	// StartupDelay is how long after New every route answers 503, as a
	// ComfyUI that is still loading would not answer at all.
	StartupDelay time.Duration
	// Checkpoints, UNets, CLIPs, VAEs and LoRAs are the model files that
	// exist (the combo lists of the loader nodes). A nil list gets a small
	// default set; an empty non-nil list means no such files.
	Checkpoints, UNets, CLIPs, VAEs, LoRAs []string
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
}

// Default model lists, used where Options leaves a list nil.
var (
	defaultCheckpoints = []string{"sd_xl_base_1.0.safetensors", "sd3.5_large.safetensors", "v1-5-pruned-emaonly.safetensors"}
	defaultUNets       = []string{"flux1-dev.safetensors", "flux1-schnell.safetensors"}
	defaultCLIPs       = []string{"clip_l.safetensors", "clip_g.safetensors", "t5xxl_fp16.safetensors", "t5xxl_fp8_e4m3fn.safetensors"}
	defaultVAEs        = []string{"ae.safetensors", "sdxl_vae.safetensors"}
	defaultLoRAs       = []string{"cooked_style.safetensors", "watercolor.safetensors", "pixel_art.safetensors"}
)

// Received is one prompt the simulator accepted, with its current status:
// pending, running, success, error, interrupted or deleted.
type Received struct {
	PromptID string
	ClientID string
	Graph    json.RawMessage
	Status   string
}

// Prompt statuses as reported in Received.Status.
const (
	StatusPending     = "pending"
	StatusRunning     = "running"
	StatusSuccess     = "success"
	StatusError       = "error"
	StatusInterrupted = "interrupted"
	StatusDeleted     = "deleted"
)

// Server is a simulated ComfyUI. It is an http.Handler; create it with New
// and stop it with Close.
type Server struct {
	opts  Options
	log   *slog.Logger
	start time.Time
	mux   *http.ServeMux
	nodes map[string]*nodeDef

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wake   chan struct{} // a prompt was queued
	done   chan struct{} // worker exited

	mu          sync.Mutex
	prompts     []*job // every accepted prompt, in order
	queue       []*job // pending, in execution order
	running     *job
	maxInFlight int    // most prompts queued or running at once
	checkpoint  string // the checkpoint in memory
	ckptLoads   int    // checkpoint switches so far
	number      int
	history     map[string]*historyEntry
	histOrder   []string
	files       map[fileKey][]byte
	counters    map[string]int
	uploads     []string
	interrupted []string
	clients     map[string]*wsClient
	wsWG        sync.WaitGroup
	busy        simstat.Busy // time the worker ran a prompt
}

// New starts a simulator with its worker goroutine.
func New(opts Options) *Server {
	opts.Checkpoints = orDefault(opts.Checkpoints, defaultCheckpoints)
	opts.UNets = orDefault(opts.UNets, defaultUNets)
	opts.CLIPs = orDefault(opts.CLIPs, defaultCLIPs)
	opts.VAEs = orDefault(opts.VAEs, defaultVAEs)
	opts.LoRAs = orDefault(opts.LoRAs, defaultLoRAs)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:     opts,
		log:      log,
		start:    time.Now(),
		ctx:      ctx,
		cancel:   cancel,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		history:  map[string]*historyEntry{},
		files:    map[fileKey][]byte{},
		counters: map[string]int{},
		clients:  map[string]*wsClient{},
	}
	s.nodes = buildNodes(opts)
	s.mux = s.routes()
	go s.worker()
	return s
}

func orDefault(list, def []string) []string {
	if list == nil {
		return slices.Clone(def)
	}
	return slices.Clone(list)
}

// ServeHTTP serves the ComfyUI API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if time.Since(s.start) < s.opts.StartupDelay {
		http.Error(w, "comfysim: starting up", http.StatusServiceUnavailable)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Close stops the worker, interrupts the running prompt and closes every
// websocket. It is safe to call more than once.
func (s *Server) Close() {
	s.cancel()
	<-s.done
	s.mu.Lock()
	for _, c := range s.clients {
		c.close()
	}
	s.mu.Unlock()
	s.wsWG.Wait()
}

// Prompts returns every accepted prompt in the order it was accepted.
func (s *Server) Prompts() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, 0, len(s.prompts))
	for _, j := range s.prompts {
		out = append(out, Received{PromptID: j.id, ClientID: j.clientID, Graph: slices.Clone(j.raw), Status: j.status})
	}
	return out
}

// Interrupted returns the ids of prompts stopped by POST /interrupt, in order.
func (s *Server) Interrupted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.interrupted)
}

// Uploads returns the names (subfolder/name when a subfolder was given) of
// the files stored by POST /upload/image, in order.
func (s *Server) Uploads() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.uploads)
}

// InFlight returns how many accepted prompts are queued or running now.
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlightLocked()
}

// MaxInFlight returns the most prompts that were queued or running at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

func (s *Server) inFlightLocked() int {
	n := len(s.queue)
	if s.running != nil {
		n++
	}
	return n
}

// UseCheckpoint makes name the checkpoint in memory and returns how long
// the switch takes: CheckpointLoadDelay when another (or none) was loaded,
// 0 when name already was. SwarmUI's simulator calls it for its own
// generations, which share this backend's GPU.
func (s *Server) UseCheckpoint(name string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name == s.checkpoint {
		return 0
	}
	s.checkpoint = name
	s.ckptLoads++
	return s.opts.CheckpointLoadDelay
}

// Busy returns how long the worker ran prompts.
func (s *Server) Busy() time.Duration { return s.busy.Total() }

// CheckpointLoads returns how many times a checkpoint was loaded.
func (s *Server) CheckpointLoads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ckptLoads
}
