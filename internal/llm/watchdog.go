package llm

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// watchdog ends a call that takes too long, measuring three things in turn:
// the wait for the first token (which covers waiting inside the backend),
// then the gap between tokens, and the whole generation from its first
// token. Without a first-token timeout, the overall timeout runs from the
// start of the call instead, so some bound always covers the wait.
type watchdog struct {
	t      *transport
	cancel context.CancelCauseFunc

	mu      sync.Mutex
	timer   *time.Timer
	cause   error     // what the armed timer ends the call with
	started bool      // the first token arrived
	end     time.Time // the overall deadline, once known
	stopped bool
}

// startWatchdog returns the call's context and its watchdog; stop must be
// called when the call ends.
func (t *transport) startWatchdog(ctx context.Context) (context.Context, *watchdog) {
	callCtx, cancel := context.WithCancelCause(ctx)
	w := &watchdog{t: t, cancel: cancel}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case t.firstToken > 0:
		w.arm(t.firstToken, w.timeout(fmt.Sprintf("no first token within %s (%s)", t.firstToken, t.firstTokenName)))
	case t.timeout > 0:
		w.end = time.Now().Add(t.timeout)
		w.arm(t.timeout, w.totalErr())
	}
	return callCtx, w
}

// touch records a token: the first starts the generation's clock; each
// re-arms the idle deadline (or the overall one, if nearer).
func (w *watchdog) touch() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	now := time.Now()
	if !w.started {
		w.started = true
		if w.end.IsZero() && w.t.timeout > 0 {
			w.end = now.Add(w.t.timeout)
		}
	}
	var d time.Duration
	var cause error
	if w.t.idle > 0 {
		d, cause = w.t.idle, w.timeout(fmt.Sprintf("no new token for %s (%s)", w.t.idle, w.t.idleName))
	}
	if !w.end.IsZero() {
		if rem := w.end.Sub(now); cause == nil || rem < d {
			d, cause = max(rem, time.Nanosecond), w.totalErr()
		}
	}
	if cause == nil && w.timer != nil {
		w.timer.Stop()
		return
	}
	if cause != nil {
		w.arm(d, cause)
	}
}

// stop releases the timer and the context.
func (w *watchdog) stop() {
	w.mu.Lock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
	}
	w.mu.Unlock()
	w.cancel(context.Canceled)
}

// arm (with mu held) makes the timer end the call with cause after d.
func (w *watchdog) arm(d time.Duration, cause error) {
	w.cause = cause
	if w.timer == nil {
		w.timer = time.AfterFunc(d, w.fire)
		return
	}
	w.timer.Reset(d)
}

func (w *watchdog) fire() {
	w.mu.Lock()
	cause, stopped := w.cause, w.stopped
	w.mu.Unlock()
	if !stopped {
		w.cancel(cause)
	}
}

func (w *watchdog) totalErr() error {
	return w.timeout(fmt.Sprintf("the answer took longer than %s (%s)", w.t.timeout, w.t.timeoutName))
}

// timeout builds the error a deadline ends the call with.
func (w *watchdog) timeout(what string) error {
	return &kindError{kinds: []error{ErrTimeout, context.DeadlineExceeded}, msg: fmt.Sprintf("llm: %s: %s", w.t.provider, what)}
}
