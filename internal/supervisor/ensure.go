package supervisor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/redact"
)

// Messages passed to Ensure's onStarting callback.
const (
	NoteStarting   = "starting the image backend..."
	NoteRecovering = "waiting for the image backend to answer again..."
)

// startError is a failed start: the reason and the output tail. It matches
// ErrStartFailed with errors.Is.
type startError struct {
	reason string
	tail   string
}

func (e *startError) Error() string {
	msg := ErrStartFailed.Error() + ": " + e.reason
	if e.tail == "" {
		return msg + " (the command printed nothing)"
	}
	return msg + "\n--- last output ---\n" + e.tail
}

func (e *startError) Is(target error) bool { return target == ErrStartFailed }

// Ensure returns nil when SwarmUI and ComfyUI both answer. When they do not
// and auto-start is on, it starts the backend (or joins the start already in
// flight), calls onStarting once with a short note before waiting, and waits
// until the start ends or ctx is done. Giving up on ctx never cancels the
// start itself. Errors match ErrNotRunning, ErrForeign, ErrStartFailed,
// ErrBackoff, ErrClosed, or the context's error.
func (s *Supervisor) Ensure(ctx context.Context, onStarting func(detail string)) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if a := s.start; a != nil {
		s.mu.Unlock()
		return s.wait(ctx, a, onStarting)
	}
	if s.status.State == StateUp && time.Since(s.lastUp) < upCacheFor {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()

	began := time.Now()
	r := s.probe(ctx)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("supervisor: check backend: %w", err)
	}
	var open []string
	if !r.ok() && s.cfg.AutoStart {
		open = s.listening(ctx)
	}
	lock, err := s.tryStartLock(ctx, r, open)
	if err != nil {
		return err
	}

	s.mu.Lock()
	a, err := s.decide(began, r, open, &lock)
	s.mu.Unlock()
	if lock.release != nil {
		lock.release() // taken but not needed: someone else's start, a backoff
	}
	if a == nil {
		return err
	}
	return s.wait(ctx, a, onStarting)
}

// decide acts on a probe result: nil when healthy, an error, or the attempt
// to wait for. A start it launches takes over lock's release (set to nil).
// The caller holds s.mu.
func (s *Supervisor) decide(began time.Time, r probeResult, open []string, lock *lockResult) (*attempt, error) {
	switch {
	case s.closed:
		return nil, ErrClosed
	case s.start != nil:
		return s.start, nil
	case s.lastUp.After(began):
		return nil, nil // someone saw it healthy while we were probing
	}
	s.record(r)
	if r.ok() {
		return nil, nil
	}
	if !s.cfg.AutoStart {
		return nil, fmt.Errorf("%w (%s); automatic start is off (SWARMUI_AUTO_START=false)", ErrNotRunning, r.detail())
	}
	if s.lastErr != nil && time.Now().Before(s.nextTry) {
		return nil, fmt.Errorf("%w: next try in %s (at %s); last attempt: %w", ErrBackoff,
			time.Until(s.nextTry).Round(100*time.Millisecond), s.nextTry.Format(time.TimeOnly), s.lastErr)
	}
	if p := s.proc; p != nil {
		// Our process lives but does not answer: give it the startup
		// timeout to recover, then stop it so the next attempt starts afresh.
		return s.begin(p, NoteRecovering,
			fmt.Sprintf("SwarmUI (pid %d) stopped answering (%s); waiting for it to recover", p.pid, r.detail())), nil
	}
	if len(open) > 0 {
		if r.swarm == nil {
			return nil, fmt.Errorf("%w: SwarmUI at %s answers but was not started by this server and its ComfyUI does not answer (%s); not touching it",
				ErrForeign, redact.URL(s.cfg.SwarmURL), r.detail())
		}
		return nil, fmt.Errorf("%w: something else is listening on %s but does not answer like SwarmUI (%s); not touching it",
			ErrForeign, strings.Join(open, " and "), r.detail())
	}
	if strings.TrimSpace(s.cfg.StartCommand) == "" {
		return nil, fmt.Errorf("%w (%s) and SWARMUI_START_COMMAND is not set, so it cannot be started", ErrNotRunning, r.detail())
	}
	if lock.other {
		return s.beginOther(r), nil
	}
	p, err := s.launch(lock.release)
	if err != nil {
		serr := &startError{reason: err.Error()}
		s.failed(serr)
		return nil, serr // the caller gives the lock back
	}
	lock.release = nil // p's now: its reaper gives it back
	s.proc = p
	s.status.PID = p.pid
	s.status.Starts++
	s.log.Info("supervisor: starting SwarmUI", "command", s.cfg.StartCommand, "pid", p.pid)
	return s.begin(p, NoteStarting, fmt.Sprintf("starting SwarmUI (pid %d)", p.pid)), nil
}

// begin registers a shared attempt that waits for p to become healthy.
// The caller holds s.mu.
func (s *Supervisor) begin(p *process, note, detail string) *attempt {
	a := &attempt{done: make(chan struct{}), note: note}
	s.start = a
	s.setState(StateStarting, detail)
	s.wg.Go(func() { s.finish(a, s.awaitHealthy(p)) })
	return a
}

// wait blocks until attempt a ends or ctx is done.
func (s *Supervisor) wait(ctx context.Context, a *attempt, onStarting func(string)) error {
	select {
	case <-a.done:
		return a.err
	default:
	}
	if onStarting != nil {
		onStarting(a.note)
	}
	select {
	case <-a.done:
		return a.err
	case <-ctx.Done():
		return fmt.Errorf("supervisor: waiting for SwarmUI to start: %w", ctx.Err())
	}
}

// awaitHealthy polls until both backends answer, p exits, the startup
// timeout passes (then p's group is stopped), or the supervisor closes.
func (s *Supervisor) awaitHealthy(p *process) error {
	deadline := time.NewTimer(s.cfg.StartupTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	last := "not checked yet"
	exited := func() error {
		return &startError{
			reason: fmt.Sprintf("the start command (pid %d) %s before SwarmUI answered (last check: %s)", p.pid, p.exit, last),
			tail:   p.tail.String(),
		}
	}
	for {
		select {
		case <-p.done:
			return exited()
		default:
		}
		r := s.probe(s.ctx)
		if s.ctx.Err() != nil {
			return ErrClosed
		}
		s.mu.Lock()
		s.record(r)
		if !r.ok() {
			s.status.Detail = fmt.Sprintf("starting SwarmUI (pid %d); last check: %s", p.pid, r.detail())
		}
		s.mu.Unlock()
		if r.ok() {
			return nil
		}
		last = r.detail()
		select {
		case <-p.done:
			return exited()
		case <-deadline.C:
			s.log.Warn("supervisor: SwarmUI did not become healthy in time, stopping it",
				"pid", p.pid, "timeout", s.cfg.StartupTimeout)
			if err := s.stopProcess(p); err != nil {
				s.log.Error("supervisor: stopping SwarmUI failed", "pid", p.pid, "err", err)
			}
			return &startError{
				reason: fmt.Sprintf("SwarmUI did not answer within %s (last check: %s); its process group (pid %d) was stopped",
					s.cfg.StartupTimeout, last, p.pid),
				tail: p.tail.String(),
			}
		case <-s.ctx.Done():
			return ErrClosed
		case <-tick.C:
		}
	}
}

// finish publishes an attempt's result to every waiter.
func (s *Supervisor) finish(a *attempt, err error) {
	s.mu.Lock()
	s.start = nil
	if err != nil && s.closed && !errors.Is(err, ErrClosed) {
		// Close stopped the process: that is why the attempt ended.
		err = fmt.Errorf("%w while SwarmUI was starting (%v)", ErrClosed, err)
	}
	switch {
	case err == nil:
		s.setState(StateUp, s.upDetail())
	case errors.Is(err, ErrClosed):
	default:
		s.failed(err)
	}
	a.err = err
	s.mu.Unlock()
	close(a.done)
}

// failed records a failed start and starts the backoff. The caller holds s.mu.
func (s *Supervisor) failed(err error) {
	s.lastErr = err
	s.nextTry = time.Now().Add(s.cfg.Backoff)
	s.status.CheckedAt = time.Now()
	reason := err.Error()
	var serr *startError
	if errors.As(err, &serr) {
		reason = serr.reason
		s.log.Error("supervisor: starting SwarmUI failed", "reason", serr.reason, "output", serr.tail,
			"next_try", s.nextTry.Format(time.TimeOnly))
	}
	s.setState(StateDown, "start failed: "+reason)
}
