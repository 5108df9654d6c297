// Package comfy is a client for ComfyUI's HTTP and websocket API: it queues
// API-format workflows, follows their progress, and fetches the output images
// from the prompt's own history entry. It works against a standalone ComfyUI
// or through SwarmUI's /ComfyBackendDirect passthrough (a base URL with a path).
package comfy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ai4artsed/ai4artsed/internal/redact"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/ai4artsed/ai4artsed/internal/media"
)

// Response size limits. An image is never read beyond what the media store
// accepts.
const (
	maxJSONBody  = 64 << 20
	maxImageBody = media.MaxUploadBytes
	maxErrorBody = 512
)

// Client talks to one ComfyUI server. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	baseErr error
	hc      *http.Client
}

// New returns a client for the ComfyUI at baseURL, which may carry a path
// prefix (e.g. http://127.0.0.1:7801/ComfyBackendDirect): every route,
// the websocket included, is resolved relative to it. A nil hc means
// http.DefaultClient. Generation can take minutes; do not give hc a short
// Timeout, use contexts and Job.Timeout instead.
func New(baseURL string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	c := &Client{hc: hc}
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	switch {
	case err != nil:
		c.baseErr = fmt.Errorf("comfy: base url: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		c.baseErr = fmt.Errorf("comfy: base url %q: scheme must be http or https", baseURL)
	default:
		u.RawQuery, u.Fragment = "", ""
		c.base = u
	}
	return c
}

// endpoint resolves a ComfyUI route (without leading slash) against the base.
func (c *Client) endpoint(route string, q url.Values) string {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/" + route
	u.RawPath = ""
	if q != nil {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// send sends a request and returns the response whatever its status;
// transport failures are classified.
func (c *Client) send(ctx context.Context, op, method, route string, q url.Values, body io.Reader, contentType string) (*http.Response, error) {
	if c.baseErr != nil {
		return nil, c.baseErr
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint(route, q), body)
	if err != nil {
		return nil, fmt.Errorf("comfy: %s: %w", op, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, transportError(ctx, op, err)
	}
	return resp, nil
}

// do is send for callers that want only a 2xx response; any other status
// becomes a *StatusError and the body is closed.
func (c *Client) do(ctx context.Context, op, method, route string, q url.Values, body io.Reader, contentType string) (*http.Response, error) {
	resp, err := c.send(ctx, op, method, route, q, body, contentType)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, statusError(op, resp)
	}
	return resp, nil
}

// statusError reads the start of the body, closes it and describes the status.
func statusError(op string, resp *http.Response) error {
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return &StatusError{Op: op, StatusCode: resp.StatusCode, Reason: redact.Summary(resp.Header.Get("Content-Type"), data), Body: redact.Snippet(data, maxErrorBody)}
}

// transportError classifies an error from http.Client.Do.
func transportError(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("comfy: %s: %w", op, ctxErr)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}

// getJSON GETs a route and decodes its JSON answer into out.
func (c *Client) getJSON(ctx context.Context, op, route string, q url.Values, out any) error {
	resp, err := c.do(ctx, op, http.MethodGet, route, q, nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decodeJSON(ctx, op, resp, out)
}

// postJSON POSTs in as JSON; out may be nil when the answer is ignored.
func (c *Client) postJSON(ctx context.Context, op, route string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("comfy: %s: %w", op, err)
	}
	resp, err := c.do(ctx, op, http.MethodPost, route, nil, bytes.NewReader(b), "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxJSONBody))
		return nil
	}
	return decodeJSON(ctx, op, resp, out)
}

// decodeJSON reads a JSON body; HTML or garbage is ErrBadResponse.
func decodeJSON(ctx context.Context, op string, resp *http.Response, out any) error {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBody))
	if err != nil {
		return transportError(ctx, op, err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return badBody(op, resp.StatusCode, resp.Header.Get("Content-Type"), "not JSON", data)
	}
	return nil
}

// isCtxErr reports whether err comes from a cancelled or expired context.
func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
