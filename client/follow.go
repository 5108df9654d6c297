package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
)

// maxBackoff caps the wait between two reconnections.
const maxBackoff = 5 * time.Second

// Follow reads the events of run runID after sequence number after (0: from
// the start) and calls fn for each, in order (docs/api.md, "Events"). Stored
// events carry their Seq; transient ones (the queue_status ticks) Seq 0.
//
// When the connection drops or ends before the run's done event, Follow
// reconnects with Last-Event-ID set to the last Seq it delivered, so every
// stored event reaches fn exactly once; it gives up after the WithRetry
// number of connections in a row that brought no event, waiting between
// them as long as ctx allows.
//
// Follow returns nil after fn has seen the done event, or when the server
// ends the stream of a run that is finished without one (a run an older
// server process left). An error from fn stops Follow and is returned as it
// is. A 4xx answer (an unknown run: 404 not_found) is returned at once as an
// *Error; ctx's end as ctx's error, wrapped.
func (c *Client) Follow(ctx context.Context, runID string, after int64, fn func(api.Event) error) error {
	last := after
	failures := 0
	for {
		progressed, err := c.followOnce(ctx, runID, &last, fn)
		var stop stopError
		switch {
		case errors.As(err, &stop):
			return stop.err
		case errors.Is(err, errDone):
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("client: follow run %s: %w", runID, ctx.Err())
		case permanent(err):
			return err
		}
		if progressed {
			failures = 0
		}
		if err == nil && !progressed {
			// A clean end without news: the run may be over without a
			// done event.
			run, rerr := c.Run(ctx, runID)
			if rerr == nil && run.State.Final() {
				return nil
			}
			err = fmt.Errorf("client: follow run %s: stream ended before done", runID)
		}
		failures++
		if failures >= c.attempts {
			if err == nil {
				err = errors.New("stream ended before done")
			}
			return fmt.Errorf("client: follow run %s: gave up after %d connections without an event: %w", runID, failures, err)
		}
		if err != nil && failures > 0 {
			if werr := sleep(ctx, c.backoff<<min(failures-1, 10)); werr != nil {
				return fmt.Errorf("client: follow run %s: %w", runID, werr)
			}
		}
	}
}

// Wait follows a run from its start to its done event and returns every
// event; the last is the done event unless err is set.
func (c *Client) Wait(ctx context.Context, runID string) ([]api.Event, error) {
	var out []api.Event
	err := c.Follow(ctx, runID, 0, func(e api.Event) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// errDone ends followOnce after the done event.
var errDone = errors.New("client: run done")

// stopError carries fn's error out of followOnce, to be returned as it is.
type stopError struct{ err error }

func (s stopError) Error() string { return s.err.Error() }

// followOnce reads one connection's events. It returns errDone after the
// done event, a stopError for fn's error, nil at a clean end of the stream,
// else the connection's error. progressed tells whether an event arrived.
func (c *Client) followOnce(ctx context.Context, runID string, last *int64, fn func(api.Event) error) (progressed bool, err error) {
	path := "/api/runs/" + url.PathEscape(runID) + "/events"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return false, fmt.Errorf("client: follow run %s: %w", runID, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if *last > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(*last, 10))
	}
	if c.clientID != "" {
		req.Header.Set("X-Client-ID", c.clientID)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return false, fmt.Errorf("client: follow run %s: %w", runID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, errorFrom(http.MethodGet, path, resp)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return false, badAnswer(http.MethodGet, path, resp)
	}
	r := newSSEReader(resp.Body)
	for {
		f, err := r.next()
		if err == io.EOF {
			return progressed, nil
		}
		if err != nil {
			return progressed, fmt.Errorf("client: follow run %s: read: %w", runID, err)
		}
		var seq int64
		if f.hasID && f.id != "" {
			n, perr := strconv.ParseInt(f.id, 10, 64)
			if perr != nil || n < 0 {
				return progressed, fmt.Errorf("%w: follow run %s: event id %q is not a sequence number", ErrBadAnswer, runID, f.id)
			}
			seq = n
		}
		if seq > 0 && seq <= *last {
			continue // already delivered
		}
		if seq > 0 {
			*last = seq
		}
		if f.empty {
			continue
		}
		progressed = true
		ev := api.Event{Seq: seq, Type: api.EventType(f.event), Data: json.RawMessage(f.data)}
		if err := fn(ev); err != nil {
			return progressed, stopError{err}
		}
		if ev.Type == api.EventDone {
			return progressed, errDone
		}
	}
}

// permanent reports whether reconnecting cannot help: a 4xx answer or an
// answer that is not an event stream.
func permanent(err error) bool {
	if s := StatusOf(err); s >= 400 && s < 500 {
		return true
	}
	return errors.Is(err, ErrBadAnswer)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(min(d, maxBackoff))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
