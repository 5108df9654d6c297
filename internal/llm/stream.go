package llm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/redact"
)

// maxLine is the longest line a stream may carry.
const maxLine = 8 << 20

// maxErrorBody is how much of a non-2xx body is read to find its message.
const maxErrorBody = 64 << 10

// transport holds what both clients share: the HTTP client, the per-call
// timeout and the names used in error messages.
type transport struct {
	provider string // "ollama" or "openai"
	display  string // base URL without its user info, for messages
	hc       *http.Client
	timeout  time.Duration
}

func newTransport(provider, baseURL string, hc *http.Client, timeout time.Duration) transport {
	if hc == nil {
		hc = http.DefaultClient
	}
	return transport{provider: provider, display: redact.URL(baseURL), hc: hc, timeout: timeout}
}

// collector concatenates the streamed text and forwards it to the caller.
type collector struct {
	fn    func(string) error
	text  strings.Builder
	fnErr error
}

// emit hands one piece of text to the caller; empty pieces are dropped.
func (c *collector) emit(chunk string) error {
	if chunk == "" {
		return nil
	}
	c.text.WriteString(chunk)
	if c.fn == nil {
		return nil
	}
	if err := c.fn(chunk); err != nil {
		c.fnErr = err
		return err
	}
	return nil
}

// exchange describes one streaming call.
type exchange struct {
	url      string
	body     []byte
	header   http.Header
	notFound func(msg string) error                // error for a 404 with a JSON error body
	read     func(r io.Reader, c *collector) error // parses a 2xx body
}

// run performs the call: deadline on ctx, request, status check, streaming
// read, and classification of every failure.
func (t *transport) run(ctx context.Context, ex exchange, fn func(string) error) (string, error) {
	callCtx, cancel := t.callContext(ctx)
	defer cancel()

	req, err := http.NewRequestWithContext(callCtx, http.MethodPost, ex.url, bytes.NewReader(ex.body))
	if err != nil {
		return "", newKindError(ErrNotConfigured, err, "llm: %s: build request", t.provider)
	}
	for k, v := range ex.header {
		req.Header[k] = v
	}
	resp, err := t.send(ctx, callCtx, req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	// Closing the body on cancellation unblocks a read at once, whatever the
	// transport does on its own.
	stop := context.AfterFunc(callCtx, func() { resp.Body.Close() })
	defer stop()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", t.statusError(resp, ex.notFound)
	}
	col := &collector{fn: fn}
	err = ex.read(resp.Body, col)
	if err == nil {
		return col.text.String(), nil
	}
	if col.fnErr != nil {
		return col.text.String(), col.fnErr
	}
	if cerr := t.ctxError(ctx, callCtx); cerr != nil {
		return col.text.String(), cerr
	}
	return col.text.String(), err
}

// callContext layers the call's timeout on ctx.
func (t *transport) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if t.timeout > 0 {
		return context.WithTimeout(ctx, t.timeout)
	}
	return context.WithCancel(ctx)
}

// send performs the request and classifies a failure to get a response.
func (t *transport) send(ctx, callCtx context.Context, req *http.Request) (*http.Response, error) {
	resp, err := t.hc.Do(req)
	if err == nil {
		return resp, nil
	}
	if cerr := t.ctxError(ctx, callCtx); cerr != nil {
		return nil, cerr
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return nil, newKindError(ErrUnavailable, err, "llm: %s at %s is not reachable", t.provider, t.display)
}

// ctxError classifies a finished context: the caller's cancellation or
// deadline, or the call's own timeout. It returns nil while both are live.
func (t *transport) ctxError(parent, callCtx context.Context) error {
	if err := parent.Err(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return newKindError(ErrTimeout, err, "llm: %s call", t.provider)
		}
		return newKindError(err, nil, "llm: %s call: %s", t.provider, err)
	}
	if callCtx.Err() != nil {
		return newKindError(ErrTimeout, context.DeadlineExceeded, "llm: %s call timed out after %s", t.provider, t.timeout)
	}
	return nil
}

// statusError turns a non-2xx answer into a classified error.
func (t *transport) statusError(resp *http.Response, notFound func(string) error) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	msg, isJSON := errorBodyMessage(body)
	switch {
	case isJSON && resp.StatusCode == http.StatusNotFound:
		return notFound(msg)
	case isJSON:
		return &StatusError{Provider: t.provider, StatusCode: resp.StatusCode, Message: msg}
	case len(bytes.TrimSpace(body)) == 0:
		return &StatusError{Provider: t.provider, StatusCode: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}
	default:
		se := &StatusError{Provider: t.provider, StatusCode: resp.StatusCode, Message: snippet(body)}
		return newKindError(ErrBadResponse, se, "llm: %s at %s answered with a non-JSON body", t.provider, t.display)
	}
}

// readErr classifies an error of the line scanner.
func (t *transport) readErr(err error) error {
	if errors.Is(err, bufio.ErrTooLong) {
		return newKindError(ErrBadResponse, err, "llm: %s stream", t.provider)
	}
	return newKindError(ErrUnavailable, err, "llm: %s stream interrupted", t.provider)
}

// badLine reports a line that is not valid protocol.
func (t *transport) badLine(line []byte, err error) error {
	return newKindError(ErrBadResponse, err, "llm: %s sent a malformed line %q", t.provider, snippet(line))
}

// earlyEnd reports a stream that stopped without its final frame.
func (t *transport) earlyEnd() error {
	return newKindError(ErrBadResponse, nil, "llm: %s stream ended early", t.provider)
}

// newScanner returns a line scanner with the large line limit.
func newScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	return sc
}
