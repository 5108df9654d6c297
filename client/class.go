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

	"github.com/ai4artsed/ai4artsed/api"
)

// Class reads the live class view of workshop id (docs/api.md, "Class
// view") and calls fn for each event, in order: the workshop's state, the
// snapshot of its latest runs, then each run's summary when it changes.
// Decode an event with api.Event.DecodeClass. The client's http.Client
// must carry the teacher's session cookie.
//
// Class does not reconnect (a new connection starts with a new snapshot).
// It returns fn's error as it is, ctx's end as ctx's error wrapped, nil when
// the server ends the stream (the workshop was deleted, or shutdown), and an
// *Error for an error answer (401 without a session, 404 for a workshop of
// another teacher).
func (c *Client) Class(ctx context.Context, id string, fn func(api.Event) error) error {
	path := "/api/teacher/workshops/" + url.PathEscape(id) + "/live"
	resp, err := c.send(ctx, http.MethodGet, path, nil, "", "text/event-stream")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return badAnswer(http.MethodGet, path, resp)
	}
	r := newSSEReader(resp.Body)
	for {
		f, err := r.next()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil && ctx.Err() != nil:
			return fmt.Errorf("client: class view of %s: %w", id, ctx.Err())
		case err != nil:
			return fmt.Errorf("client: class view of %s: read: %w", id, err)
		case f.empty:
			continue
		}
		if err := fn(api.Event{Type: api.EventType(f.event), Data: json.RawMessage(f.data)}); err != nil {
			return err
		}
	}
}
