// Package swarm is a client for the SwarmUI HTTP API: sessions,
// text-to-image generation, image download, model lists and status.
//
// Every call is POST /API/<Route> with a JSON body of known length (SwarmUI
// refuses chunked bodies). The client keeps one session id, creates it lazily
// and renews it once when SwarmUI reports it invalid.
package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Response size limits. A JSON answer may carry data: URL images.
const (
	maxAPIBody   = 256 << 20
	maxErrorBody = 512
)

// Client talks to one SwarmUI server. It is safe for concurrent use.
type Client struct {
	base string
	hc   *http.Client

	// create serialises session creation; a buffered channel so waiting
	// respects the caller's context.
	create  chan struct{}
	mu      sync.Mutex
	session string

	// wsIdle bounds the silence on a generation websocket; wsReadLimit
	// one frame (maxWSFrame; tests lower both).
	wsIdle      time.Duration
	wsReadLimit int64
}

// New returns a client for the SwarmUI server at baseURL (for example
// http://127.0.0.1:7801). A nil hc means http.DefaultClient; generation calls
// block until every image is done, so hc should not have a short Timeout.
func New(baseURL string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{
		base:   strings.TrimRight(baseURL, "/"),
		hc:     hc,
		create: make(chan struct{}, 1),
		wsIdle: defaultWSIdle,
		// A preview or a data: URL image makes a large frame.
		wsReadLimit: maxWSFrame,
	}
}

// BaseURL returns the server address the client was built with.
func (c *Client) BaseURL() string { return c.base }

// NewSession asks SwarmUI for a fresh session, caches it for later calls and
// returns its id. It is also the cheapest health probe of the web server.
func (c *Client) NewSession(ctx context.Context) (string, error) {
	var out struct {
		SessionID string `json:"session_id"`
	}
	if err := c.post(ctx, "GetNewSession", map[string]any{}, &out); err != nil {
		return "", err
	}
	if out.SessionID == "" {
		return "", fmt.Errorf("swarm: GetNewSession: no session_id in answer: %w", ErrBadResponse)
	}
	c.mu.Lock()
	c.session = out.SessionID
	c.mu.Unlock()
	return out.SessionID, nil
}

// sessionID returns the cached session, creating one if there is none.
func (c *Client) sessionID(ctx context.Context) (string, error) {
	c.mu.Lock()
	id := c.session
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	select {
	case c.create <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("swarm: new session: %w", ctx.Err())
	}
	defer func() { <-c.create }()
	c.mu.Lock()
	id = c.session
	c.mu.Unlock()
	if id != "" {
		return id, nil // another caller created it while we waited
	}
	return c.NewSession(ctx)
}

// dropSession forgets id if it is still the cached session.
func (c *Client) dropSession(id string) {
	c.mu.Lock()
	if c.session == id {
		c.session = ""
	}
	c.mu.Unlock()
}

// call runs an API route that needs a session. When SwarmUI answers
// invalid_session_id it gets a new session and retries exactly once.
func (c *Client) call(ctx context.Context, route string, body map[string]any, out any) error {
	for attempt := 0; ; attempt++ {
		id, err := c.sessionID(ctx)
		if err != nil {
			return err
		}
		body["session_id"] = id
		err = c.post(ctx, route, body, out)
		if err == nil || !errors.Is(err, ErrInvalidSession) || attempt > 0 {
			return err
		}
		c.dropSession(id)
	}
}

// post sends one POST /API/<route> and decodes a successful answer into out.
// Any answer carrying "error" becomes an *APIError.
func (c *Client) post(ctx context.Context, route string, body map[string]any, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("swarm: %s: encode request: %w", route, err)
	}
	// A bytes.Reader gives the request a known, positive Content-Length.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/API/"+route, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("swarm: %s: %w", route, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return transportError(route, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody))
	if err != nil {
		return fmt.Errorf("swarm: %s: read answer: %w", route, err)
	}
	return decodeAnswer(route, resp.StatusCode, resp.Header.Get("Content-Type"), data, out)
}

// decodeAnswer interprets a SwarmUI JSON answer of any status.
func decodeAnswer(route string, status int, contentType string, data []byte, out any) error {
	var envelope struct {
		Error   *string `json:"error"`
		ErrorID string  `json:"error_id"`
	}
	if err := json.Unmarshal(data, &envelope); err != nil {
		// On 502, 503 or 504 a proxy in front of SwarmUI, or SwarmUI still
		// starting: the error matches ErrUnavailable.
		return badAnswer(route, status, contentType, "not JSON", data)
	}
	if envelope.Error != nil || envelope.ErrorID != "" {
		msg := ""
		if envelope.Error != nil {
			msg = *envelope.Error
		}
		return &APIError{Route: route, ID: envelope.ErrorID, Message: msg, Status: status}
	}
	if status != http.StatusOK {
		return badAnswer(route, status, contentType, "unexpected status", data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("swarm: %s: decode answer: %w: %w", route, ErrBadResponse, err)
	}
	return nil
}

// transportError classifies a failed round trip.
func transportError(route string, err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return fmt.Errorf("swarm: %s: %w: %w", route, ErrUnavailable, err)
	}
	return fmt.Errorf("swarm: %s: %w", route, err)
}
