// Package ollamasim is an HTTP server that speaks the Ollama protocol
// (native /api/chat and /api/generate with NDJSON streaming, and the
// OpenAI-compatible /v1/chat/completions with SSE) faithfully enough that our
// llm clients cannot tell it from a real Ollama. Tests and the demo mode use
// it; production never does.
//
// Answers are deterministic (see Reply), latency is configurable, and every
// chat request is recorded so tests can assert on what was sent, on
// cancellation and on concurrency.
//
// It also has the quirks a real Ollama showed (captures in
// shared/reference/ollama-real): one generation at a time by default
// (Options.Parallel, as OLLAMA_NUM_PARALLEL), the others waiting inside the
// server; thinking-capable models that stream their whole answer as
// thinking text unless the request says "think": false; a 200 stream that
// ends with no done frame and no error after more than 30 identical tokens;
// HTTP 500 with a multi-line message full of server paths for a model that
// fails to load; silent truncation of prompts longer than the context; and
// OpenAI-style deltas that carry "role" every time, ending with
// {"role":"assistant","content":""}. Model name markers select the quirky
// models (see MarkerThink, MarkerRepeat, MarkerBroken).
package ollamasim

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/sim/simstat"
)

// Version is what GET /api/version reports.
const Version = "0.12.6"

// Options configure a Server. The zero value is a server with no models
// and no delays.
type Options struct {
	// Models are the installed models, named as /api/tags lists them
	// ("llama3.2:3b"). A name without tag means name:latest, and a request
	// for a name without tag matches name:latest.
	Models []string
	// FirstTokenDelay is the time before the first token (before the
	// response headers, as with a real model load); TokenDelay the time
	// between tokens.
	FirstTokenDelay, TokenDelay time.Duration
	// StartupDelay: until this much time has passed since New, every route
	// answers 503 {"error":"server is starting"}.
	StartupDelay time.Duration
	// FailAfterTokens > 0 makes every generation fail after this many
	// tokens: streams get an in-band error line (or an SSE error event) and
	// end; non-streaming requests get 500. A reply with fewer tokens fails
	// in place of its final frame.
	FailAfterTokens int
	// Parallel is how many generations run at once, as Ollama's
	// OLLAMA_NUM_PARALLEL: 0 means 1, Ollama's default; negative means no
	// limit. The others wait inside the server (recorded on arrival, but
	// not in flight) until a generation ends.
	Parallel int
	// Thinking names further thinking-capable models (besides names with
	// MarkerThink): they stream their answer as thinking text unless the
	// request says "think": false.
	Thinking []string
	// ContextLength is each model's context in tokens (0 means 4096, as
	// the captured server reported). A longer prompt is cut silently: older
	// messages first, then the start of the last one. A request's
	// options.num_ctx overrides it.
	ContextLength int
	// UnsafeImageWords make the simulated vision model call an image
	// unsafe when its tEXt chunks contain one (any case), besides the rule
	// every simulated judge applies: tests use them to let a text pass the
	// judge and its image fail the image check.
	UnsafeImageWords []string
	// SlowDelay is how long a model named with MarkerSlow waits before
	// its first token (0 means 10s).
	SlowDelay time.Duration
	// LoadDelay is the time a generation waits for its model when the
	// model is not loaded (see MaxLoadedModels); 0 loads at once.
	LoadDelay time.Duration
	// MaxLoadedModels > 0 bounds how many models are loaded at once (as
	// the memory of one machine does): loading one more evicts the least
	// recently used. 0 means no limit. /api/ps lists what is loaded.
	MaxLoadedModels int
	// Logger receives one debug line per generation; nil discards.
	Logger *slog.Logger
}

// Message is one chat message as the simulator reads it.
type Message struct {
	Role     string `json:"role"`
	Content  string `json:"content"`
	Thinking string `json:"thinking,omitempty"`
	// Images are base64 images (vision models); see imageText.
	Images []string `json:"images,omitempty"`
}

// Recorded is one generation request the simulator received (native chat,
// generate or OpenAI-compatible chat) whose body decoded.
type Recorded struct {
	Path        string
	Model       string
	Messages    []Message // for /api/generate: the system and prompt as messages
	Stream      bool
	Think       *bool // the request's think (reasoning_effort on /v1), nil when absent
	Thinking    bool  // the answer was streamed as thinking text
	Status      int   // HTTP status answered (200 for streams, even when they fail in-band)
	Start       time.Time
	Running     time.Time // when it got a parallel slot; zero while it waits
	End         time.Time // zero while the request runs
	Cancelled   bool      // the client went away before the answer was complete
	CancelledAt time.Time
	Completed   bool // the final frame was sent
	// PromptTokens is the prompt's size in simulated tokens after any
	// truncation; PromptTruncated says the prompt exceeded the context.
	PromptTokens    int
	PromptTruncated bool
	// RepeatCut: the stream ended without done after more than 30
	// identical tokens.
	RepeatCut bool
}

// Server is the simulator; it implements http.Handler. Run it with
// httptest.NewServer or an http.Server.
type Server struct {
	opts   Options
	log    *slog.Logger
	born   time.Time
	models map[string]bool // full names, name:tag
	mux    *http.ServeMux

	slots  chan struct{} // nil: no limit
	thinks map[string]bool

	mu          sync.Mutex
	reqs        []Recorded
	inFlight    int
	maxInFlight int
	waiting     int
	open        int                  // generations not yet closed (job.close)
	maxRequests int                  // most open generations at once
	busy        simstat.Busy         // time with a generation under way
	loaded      map[string]time.Time // model → expiry, for /api/ps
	lastUsed    map[string]time.Time // model → last generation start, for eviction
	readyAt     map[string]time.Time // model → when its current load ends
	loads       int                  // model loads so far
	arrived     chan struct{}        // closed and replaced on each recorded arrival
	nextID      int
}

// New returns a simulator with the given options.
func New(opts Options) *Server {
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		born:     time.Now(),
		models:   make(map[string]bool),
		arrived:  make(chan struct{}),
		thinks:   make(map[string]bool),
		loaded:   make(map[string]time.Time),
		lastUsed: make(map[string]time.Time),
		readyAt:  make(map[string]time.Time),
	}
	switch {
	case opts.Parallel == 0:
		s.slots = make(chan struct{}, 1)
	case opts.Parallel > 0:
		s.slots = make(chan struct{}, opts.Parallel)
	}
	for _, m := range opts.Thinking {
		s.thinks[fullName(m)] = true
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, m := range opts.Models {
		s.models[fullName(m)] = true
	}
	s.mux = s.routes()
	return s
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleRoot)
	mux.HandleFunc("GET /api/version", s.handleVersion)
	mux.HandleFunc("GET /api/tags", s.handleTags)
	mux.HandleFunc("GET /api/ps", s.handlePs)
	mux.HandleFunc("POST /api/chat", s.handleChat)
	mux.HandleFunc("POST /api/generate", s.handleGenerate)
	mux.HandleFunc("POST /v1/chat/completions", s.handleOpenAI)
	mux.HandleFunc("GET /v1/models", s.handleOpenAIModels)
	return mux
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if time.Since(s.born) < s.opts.StartupDelay {
		writeError(w, http.StatusServiceUnavailable, "server is starting")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Requests returns a copy of the recorded requests in arrival order.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Recorded, len(s.reqs))
	for i, r := range s.reqs {
		r.Messages = append([]Message(nil), r.Messages...)
		out[i] = r
	}
	return out
}

// InFlight returns how many generations are running now (holding one of
// the Parallel slots).
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

// Waiting returns how many generations wait inside the server for a slot.
func (s *Server) Waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting
}

// MaxInFlight returns the largest number of generations that ran at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

// MaxRequests returns the most generations the server had at once,
// waiting for a Parallel slot or running, until each sent its last
// frame: the calls its clients had open.
func (s *Server) MaxRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxRequests
}

// Busy returns how long at least one generation was under way (model
// loads included), until each sent its last frame.
func (s *Server) Busy() time.Duration {
	return s.busy.Total()
}

// WaitRequests blocks until at least n requests have been recorded or ctx
// ends.
func (s *Server) WaitRequests(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		have, ch := len(s.reqs), s.arrived
		s.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// record stores a new arrival and returns its index; waiting counts it as
// waiting for a slot in the same step, so a waiter never sees one without
// the other.
func (s *Server) record(rec Recorded, waiting bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if waiting {
		s.waiting++
		s.open++
		s.maxRequests = max(s.maxRequests, s.open)
	}
	s.reqs = append(s.reqs, rec)
	close(s.arrived)
	s.arrived = make(chan struct{})
	return len(s.reqs) - 1
}

// update changes a recorded request under the lock.
func (s *Server) update(i int, f func(*Recorded)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.reqs[i])
}

// id returns a fresh completion id number.
func (s *Server) id() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	return s.nextID
}

// installed reports whether a requested model name is installed.
func (s *Server) installed(name string) bool {
	return s.models[fullName(name)]
}

// fullName adds the default tag to a name without one.
func fullName(name string) string {
	base := name[strings.LastIndex(name, "/")+1:]
	if strings.Contains(base, ":") {
		return name
	}
	return name + ":latest"
}
