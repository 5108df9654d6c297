// Package supervisor keeps the image backend (SwarmUI and its ComfyUI
// backend) available without a teacher ever opening a terminal.
//
// Callers ask Ensure before every use of SwarmUI or ComfyUI. When the backend
// is healthy Ensure returns at once; when it is down and auto-start is on, the
// supervisor runs the configured start command (via `sh -c`, in its own
// process group, detached from any request) and polls both health endpoints
// until they answer or the startup timeout passes. All concurrent callers share
// one start; a failed start is reported to every waiter and followed by a
// backoff so a broken install is not hammered.
//
// The supervisor only ever signals processes it started itself: a port held
// by something else that does not answer like SwarmUI is reported as
// ErrForeign and left alone. On Close the backend keeps running unless
// Config.StopOnExit is set.
//
// The process's stdout and stderr go through a pipe into a bounded tail used
// in error messages. A backend that outlives the server then writes into a
// closed pipe (SwarmUI's .NET runtime ignores SIGPIPE); a start command that
// redirects its own output to a log file avoids that, at the price of an empty
// tail.
package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultStartupTimeout = 120 * time.Second
	DefaultInterval       = 2 * time.Second
	DefaultProbeTimeout   = 2 * time.Second
	DefaultBackoff        = 30 * time.Second
	DefaultTailBytes      = 8 << 10
)

const (
	// upCacheFor is how long a successful probe lets Ensure skip re-probing.
	upCacheFor = 500 * time.Millisecond
	// defaultKillGrace is the wait between SIGTERM and SIGKILL.
	defaultKillGrace = 5 * time.Second
	// reapPoll is how often the reaper checks whether its process exited.
	reapPoll = 50 * time.Millisecond
)

// Sentinel errors returned by Ensure; test with errors.Is. The returned
// errors wrap them with the detail (probe results, exit status, output tail).
var (
	// ErrNotRunning: the backend is down and cannot be started (auto-start
	// off, or no start command configured).
	ErrNotRunning = errors.New("supervisor: SwarmUI is not running")
	// ErrForeign: a backend port accepts connections but does not answer
	// like SwarmUI/ComfyUI, and the supervisor did not start that program.
	ErrForeign = errors.New("supervisor: backend port is held by another program")
	// ErrStartFailed: the start command could not run, exited, or did not
	// become healthy in time. The message holds the reason and output tail.
	ErrStartFailed = errors.New("supervisor: starting SwarmUI failed")
	// ErrBackoff: a recent start failed and the next attempt is not allowed
	// yet. The error also wraps the last start error.
	ErrBackoff = errors.New("supervisor: waiting before the next start attempt")
	// ErrClosed: the supervisor was closed.
	ErrClosed = errors.New("supervisor: closed")
)

// Config configures a Supervisor. Zero durations and sizes take the defaults
// above; cmd/ai4artsed reads the SWARMUI_* settings into it.
type Config struct {
	SwarmURL string // SwarmUI base URL, e.g. http://127.0.0.1:7801; empty for a standalone ComfyUI
	ComfyURL string // ComfyUI base URL, e.g. http://127.0.0.1:7821
	// AutoStart allows Ensure to start the backend when it is down.
	AutoStart bool
	// StartCommand is run as `sh -c StartCommand` in a new process group,
	// inheriting the server's environment and working directory.
	StartCommand   string
	StartupTimeout time.Duration // how long a start may take to become healthy
	Interval       time.Duration // health poll interval while starting
	ProbeTimeout   time.Duration // limit for each single health probe
	// Backoff is the wait after a failed start before the next attempt;
	// callers arriving meanwhile get ErrBackoff with the last error at once.
	Backoff time.Duration
	// StopOnExit makes Close stop the process group the supervisor started.
	StopOnExit bool
	TailBytes  int // how much of the process output to keep for errors
	Logger     *slog.Logger
	HTTPClient *http.Client // probe client; per-probe timeouts come from contexts
	// StartLock, when set, is taken before every start: of several servers
	// sharing the machine only its holder starts SwarmUI, the others wait
	// for it to answer. The holder keeps it while its process lives.
	StartLock StartLock
}

// State is the supervisor's view of the backend.
type State string

// States reported in Status.
const (
	StateUnknown  State = "unknown"
	StateUp       State = "up"
	StateDown     State = "down"
	StateStarting State = "starting"
)

// Status is a snapshot for GET /api/backends and /metrics.
type Status struct {
	State     State
	Detail    string    // human-readable reason for the state
	CheckedAt time.Time // time of the last probe or observed process exit
	PID       int       // pid of the process group leader we started, 0 if none
	Starts    int       // how many processes this supervisor has launched
}

// Supervisor watches and, if allowed, starts the image backend. Its methods
// are safe for concurrent use.
type Supervisor struct {
	cfg       Config
	log       *slog.Logger
	client    *http.Client
	killGrace time.Duration

	ctx    context.Context // lives until Close; bounds starts and probes
	cancel context.CancelFunc
	stop   chan struct{} // closed by Close: reapers detach
	wg     sync.WaitGroup

	mu      sync.Mutex
	status  Status
	lastUp  time.Time // last successful probe
	proc    *process  // live process we started, nil if none
	start   *attempt  // start or recovery in flight, nil if none
	lastErr error     // last failed start, nil after a success
	nextTry time.Time // no new start before this time
	closed  bool
}

// attempt is one start (or wait for recovery) shared by all callers.
type attempt struct {
	done chan struct{} // closed when the attempt ends
	err  error         // result, valid after done is closed
	note string        // passed to onStarting
}

// New returns a Supervisor for cfg with defaults filled in. It does no I/O;
// the state is StateUnknown until the first Check or Ensure.
func New(cfg Config) *Supervisor {
	if cfg.StartupTimeout <= 0 {
		cfg.StartupTimeout = DefaultStartupTimeout
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.ProbeTimeout <= 0 {
		cfg.ProbeTimeout = DefaultProbeTimeout
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.TailBytes <= 0 {
		cfg.TailBytes = DefaultTailBytes
	}
	cfg.SwarmURL = strings.TrimRight(cfg.SwarmURL, "/")
	cfg.ComfyURL = strings.TrimRight(cfg.ComfyURL, "/")
	s := &Supervisor{
		cfg:       cfg,
		log:       cfg.Logger,
		client:    cfg.HTTPClient,
		killGrace: defaultKillGrace,
		stop:      make(chan struct{}),
		status:    Status{State: StateUnknown, Detail: "not checked yet"},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.client == nil {
		// Probes are rare and must see a hung backend afresh: no keep-alives.
		s.client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Status returns the last known status without doing any I/O.
func (s *Supervisor) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Check probes both backends now, records the result and returns the status.
// It never starts anything. While a start is in flight the state stays
// StateStarting.
func (s *Supervisor) Check(ctx context.Context) Status {
	r := s.probe(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record(r)
	return s.status
}

// record stores a probe result; the caller holds s.mu.
func (s *Supervisor) record(r probeResult) {
	s.status.CheckedAt = r.at
	if r.ok() {
		s.lastUp = r.at
		s.lastErr, s.nextTry = nil, time.Time{} // healthy again: no backoff
	}
	if s.start != nil {
		return
	}
	if r.ok() {
		s.setState(StateUp, s.upDetail())
		return
	}
	s.setState(StateDown, r.detail())
}

// upDetail describes a healthy backend; the caller holds s.mu.
func (s *Supervisor) upDetail() string {
	if s.proc != nil {
		return "SwarmUI and ComfyUI answer (started by this server)"
	}
	return "SwarmUI and ComfyUI answer"
}

// setState changes state and detail and logs transitions; the caller holds s.mu.
func (s *Supervisor) setState(st State, detail string) {
	old := s.status.State
	s.status.State, s.status.Detail = st, detail
	if old == st {
		return
	}
	level := slog.LevelInfo
	if st == StateDown && old == StateUp {
		level = slog.LevelWarn
	}
	s.log.Log(context.Background(), level, "supervisor: image backend state changed",
		"from", string(old), "to", string(st), "detail", detail)
}

// Close stops the supervisor's goroutines and wakes every waiting caller with
// ErrClosed. It stops the process group it started (SIGTERM, then SIGKILL
// after a grace period) only when Config.StopOnExit is set; otherwise the
// backend keeps running. Close is idempotent.
func (s *Supervisor) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	p := s.proc
	s.mu.Unlock()

	s.cancel()
	var err error
	if s.cfg.StopOnExit && p != nil {
		s.log.Info("supervisor: stopping SwarmUI on exit", "pid", p.pid)
		err = s.stopProcess(p)
	}
	close(s.stop)
	s.wg.Wait()
	s.client.CloseIdleConnections()
	return err
}
