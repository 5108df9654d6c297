// Package client is the Go client of the ai4artsed HTTP API (docs/api.md):
// one method per route, typed with the wire vocabulary of package api, and
// Follow, which reads a run's SSE stream and resumes it with Last-Event-ID
// when the connection drops.
//
// The end-to-end tests, the load program and `ai4artsed run --server` talk
// to the server through it; nothing else parses the event stream.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
)

// Client talks to one ai4artsed server. It is safe for concurrent use.
type Client struct {
	base     string
	hc       *http.Client
	clientID string
	lang     string
	attempts int
	backoff  time.Duration
}

// Option configures a Client.
type Option func(*Client)

// WithClientID sends id as X-Client-ID: the server counts its per-client
// run limit by it (a browser sends its own id).
func WithClientID(id string) Option { return func(c *Client) { c.clientID = id } }

// WithLanguage sends lang ("de" or "en") as Accept-Language: the language of
// error messages.
func WithLanguage(lang string) Option { return func(c *Client) { c.lang = lang } }

// WithRetry sets how Follow reconnects a dropped stream: at most attempts
// connections in a row without a new event, waiting backoff, then twice as
// long each time (at most 5 s). The default is 5 attempts from 200 ms.
func WithRetry(attempts int, backoff time.Duration) Option {
	return func(c *Client) { c.attempts, c.backoff = max(attempts, 1), max(backoff, time.Millisecond) }
}

// New returns a client of the server at baseURL ("http://127.0.0.1:17802").
// A nil hc means http.DefaultClient; hc must have no Timeout, which would
// cut long event streams: bound calls with their context instead.
func New(baseURL string, hc *http.Client, opts ...Option) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	c := &Client{base: strings.TrimRight(baseURL, "/"), hc: hc, attempts: 5, backoff: 200 * time.Millisecond}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Configs lists the configs; kind "" lists all, else api.KindInterception
// or api.KindOutput.
func (c *Client) Configs(ctx context.Context, kind string) (*api.ConfigList, error) {
	path := "/api/configs"
	if kind != "" {
		path += "?kind=" + url.QueryEscape(kind)
	}
	return get[api.ConfigList](ctx, c, path)
}

// Config returns one whole config.
func (c *Client) Config(ctx context.Context, id string) (*api.ConfigDetail, error) {
	return get[api.ConfigDetail](ctx, c, "/api/configs/"+url.PathEscape(id))
}

// StartRun starts a run; follow it with Follow or Wait.
func (c *Client) StartRun(ctx context.Context, req api.RunRequest) (*api.RunCreated, error) {
	raw, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("client: encode run request: %w", err)
	}
	var out api.RunCreated
	if err := c.do(ctx, http.MethodPost, "/api/runs", bytes.NewReader(raw), "application/json", &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Run returns a run's record.
func (c *Client) Run(ctx context.Context, id string) (*api.Run, error) {
	return get[api.Run](ctx, c, "/api/runs/"+url.PathEscape(id))
}

// Cancel asks the server to cancel a run; its stream then ends with done
// "cancelled". A finished run answers an *Error with code run_finished.
func (c *Client) Cancel(ctx context.Context, id string) (*api.CancelAnswer, error) {
	var out api.CancelAnswer
	if err := c.do(ctx, http.MethodPost, "/api/runs/"+url.PathEscape(id)+"/cancel", nil, "", &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Upload sends an image (PNG, JPEG or WebP, at most api.MaxUploadBytes) as
// the multipart field "image"; name is the file name sent along.
func (c *Client) Upload(ctx context.Context, name string, r io.Reader) (*api.Upload, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("image", name)
	if err == nil {
		_, err = io.Copy(part, r)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("client: upload %s: %w", name, err)
	}
	var out api.Upload
	if err := c.do(ctx, http.MethodPost, "/api/uploads", &body, mw.FormDataContentType(), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Media opens a stored output image and returns its body and content type.
// The caller closes the body.
func (c *Client) Media(ctx context.Context, id string) (io.ReadCloser, string, error) {
	resp, err := c.send(ctx, http.MethodGet, "/api/media/"+url.PathEscape(id), nil, "", "image/*")
	if err != nil {
		return nil, "", err
	}
	return resp.Body, resp.Header.Get("Content-Type"), nil
}

// Backends reports the state of the server's LLM and image services.
func (c *Client) Backends(ctx context.Context) (*api.BackendList, error) {
	return get[api.BackendList](ctx, c, "/api/backends")
}

// Info tells how the server runs (demo mode, limits).
func (c *Client) Info(ctx context.Context) (*api.Info, error) {
	return get[api.Info](ctx, c, "/api/info")
}

// Health checks that the server answers.
func (c *Client) Health(ctx context.Context) (*api.Health, error) {
	return get[api.Health](ctx, c, "/healthz")
}

// get GETs path and decodes the JSON answer into a T.
func get[T any](ctx context.Context, c *Client, path string) (*T, error) {
	var out T
	if err := c.do(ctx, http.MethodGet, path, nil, "", &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// do sends a request and decodes a 2xx JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, body io.Reader, ctype string, out any) error {
	resp, err := c.send(ctx, method, path, body, ctype, "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if !isJSON(resp.Header.Get("Content-Type")) {
		return badAnswer(method, path, resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("client: %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// send sends a request with the client's headers. A non-2xx answer is
// returned as an error (its body closed); a 2xx answer's body is the
// caller's to close.
func (c *Client) send(ctx context.Context, method, path string, body io.Reader, ctype, accept string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", accept)
	if c.clientID != "" {
		req.Header.Set("X-Client-ID", c.clientID)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, errorFrom(method, path, resp)
	}
	return resp, nil
}
