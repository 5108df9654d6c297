package supervisor

import (
	"context"
	"fmt"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/redact"
)

// StartLock lets exactly one of several servers that share an image machine
// start it (docs/deploy.md, "Several replicas"). TryLock takes the lock
// without waiting and reports ok false when another server holds it; the
// holder gives it back with release, and loses it anyway when its process
// (or its database session) ends. release is safe to call more than once.
type StartLock interface {
	TryLock(ctx context.Context) (release func(), ok bool, err error)
}

// NoteOtherStarting is passed to Ensure's onStarting while another server
// holds the start lock.
const NoteOtherStarting = "another server is starting the image backend..."

// lockResult is what Ensure learned from the start lock before deciding.
type lockResult struct {
	release func() // non-nil: this server holds the lock
	other   bool   // another server holds it
}

// tryStartLock asks the start lock when a start may follow: the backend is
// down, auto-start is on, no foreign program holds its ports and this
// server has no process of its own, and no backoff holds it back. It never
// holds s.mu while asking.
func (s *Supervisor) tryStartLock(ctx context.Context, r probeResult, open []string) (lockResult, error) {
	if s.cfg.StartLock == nil || r.ok() || !s.cfg.AutoStart || len(open) > 0 {
		return lockResult{}, nil
	}
	s.mu.Lock()
	skip := s.proc != nil || s.start != nil || s.closed || (s.lastErr != nil && time.Now().Before(s.nextTry))
	s.mu.Unlock()
	if skip {
		return lockResult{}, nil
	}
	release, ok, err := s.cfg.StartLock.TryLock(ctx)
	if err != nil {
		return lockResult{}, fmt.Errorf("%w: take the start lock: %w", ErrStartFailed, err)
	}
	if !ok {
		return lockResult{other: true}, nil
	}
	return lockResult{release: release}, nil
}

// beginOther registers a shared attempt that waits for the start another
// server holds the lock for. The caller holds s.mu.
func (s *Supervisor) beginOther(r probeResult) *attempt {
	a := &attempt{done: make(chan struct{}), note: NoteOtherStarting}
	s.start = a
	s.setState(StateStarting, fmt.Sprintf("another server is starting SwarmUI at %s (%s)", redact.URL(s.cfg.SwarmURL), r.detail()))
	s.wg.Go(func() { s.finish(a, s.awaitOther()) })
	return a
}

// awaitOther polls until both backends answer, the startup timeout passes
// or the supervisor closes.
func (s *Supervisor) awaitOther() error {
	deadline := time.NewTimer(s.cfg.StartupTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	for {
		r := s.probe(s.ctx)
		if s.ctx.Err() != nil {
			return ErrClosed
		}
		s.mu.Lock()
		s.record(r)
		s.mu.Unlock()
		if r.ok() {
			return nil
		}
		select {
		case <-deadline.C:
			return &startError{reason: fmt.Sprintf("another server holds the start lock, but SwarmUI did not answer within %s (last check: %s)",
				s.cfg.StartupTimeout, r.detail())}
		case <-s.ctx.Done():
			return ErrClosed
		case <-tick.C:
		}
	}
}
