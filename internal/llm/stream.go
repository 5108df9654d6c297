package llm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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

// transport holds what both clients share: the HTTP client, the limits
// and the names used in error messages.
type transport struct {
	provider string // "ollama" or "openai"
	display  string // base URL without its user info, for messages
	hc       *http.Client
	log      *slog.Logger

	timeout, firstToken, idle             time.Duration
	timeoutName, firstTokenName, idleName string
	maxAnswer                             int // characters; < 0: none
}

func newTransport(provider, baseURL string, hc *http.Client, timeout time.Duration, opts []Option) transport {
	if hc == nil {
		hc = http.DefaultClient
	}
	display := redact.URL(baseURL)
	t := transport{
		provider: provider, display: display, hc: hc, log: slog.New(slog.DiscardHandler),
		timeout: timeout, timeoutName: "call timeout", firstTokenName: "first-token timeout", idleName: "idle timeout",
		maxAnswer: DefaultMaxAnswer,
	}
	for _, o := range opts {
		o(&t)
	}
	return t
}

// exchange describes one streaming call.
type exchange struct {
	url      string
	body     []byte
	header   http.Header
	model    string
	limit    int                                   // answer cap in characters, 0 = none
	notFound func(msg string) error                // error for a 404 with a JSON error body
	read     func(r io.Reader, c *collector) error // parses a 2xx body
}

// run performs the call: deadlines, request, status check, streaming read,
// and classification of every failure. An answer cut at the cap, or a
// stream that ended without its final frame after some answer, ends with
// no error and a note in the log and the Result.
func (t *transport) run(ctx context.Context, ex exchange, fn func(string) error) (Result, error) {
	callCtx, wd := t.startWatchdog(ctx)
	defer wd.stop()

	req, err := http.NewRequestWithContext(callCtx, http.MethodPost, ex.url, bytes.NewReader(ex.body))
	if err != nil {
		return Result{}, newKindError(ErrNotConfigured, err, "llm: %s: build request", t.provider)
	}
	for k, v := range ex.header {
		req.Header[k] = v
	}
	resp, err := t.send(ctx, callCtx, req)
	if err != nil {
		return Result{}, err
	}
	defer resp.Body.Close()
	// Closing the body on cancellation unblocks a read at once, whatever the
	// transport does on its own.
	stop := context.AfterFunc(callCtx, func() { resp.Body.Close() })
	defer stop()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Result{}, t.statusError(resp, ex.notFound)
	}
	col := &collector{fn: fn, limit: ex.limit, touch: wd.touch}
	err = ex.read(resp.Body, col)
	res := col.result()
	switch {
	case err == nil:
		return res, nil
	case errors.Is(err, errCapped):
		res.Truncated = true
		t.log.Warn("llm: answer cut at the character cap; the stream was closed", "provider", t.provider,
			"model", ex.model, "cap", ex.limit, "chars", col.textLen, "thinking_chars", col.thinkLen)
		return res, nil
	case col.fnErr != nil:
		return res, col.fnErr
	}
	if cerr := t.ctxError(ctx, callCtx); cerr != nil {
		return res, cerr
	}
	if errors.Is(err, errUnterminated) {
		if res.Answer() == "" {
			return res, newKindError(ErrBadResponse, nil, "llm: %s stream ended early, before any answer", t.provider)
		}
		res.Unterminated = true
		t.log.Info("llm: stream ended without its final frame (the server's repeated-token cutoff?); keeping what arrived",
			"provider", t.provider, "model", ex.model, "chars", col.textLen, "thinking_chars", col.thinkLen)
		return res, nil
	}
	return res, err
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
	return nil, &kindError{kinds: []error{ErrUnavailable, ErrConnect}, cause: err,
		msg: fmt.Sprintf("llm: %s at %s is not reachable", t.provider, t.display)}
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
		if cause := context.Cause(callCtx); errors.Is(cause, ErrTimeout) {
			return cause
		}
		return newKindError(ErrTimeout, context.DeadlineExceeded, "llm: %s call timed out after %s (%s)", t.provider, t.timeout, t.timeoutName)
	}
	return nil
}

// statusError turns a non-2xx answer into a classified error. The body's
// text goes into the error chain for the log (Detail), never into Error().
func (t *transport) statusError(resp *http.Response, notFound func(string) error) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	msg, isJSON := errorBodyMessage(body)
	switch {
	case isJSON && resp.StatusCode == http.StatusNotFound:
		return notFound(msg)
	case isJSON && resp.StatusCode == http.StatusInternalServerError && loadFailure(msg):
		se := &StatusError{Provider: t.provider, StatusCode: resp.StatusCode, Message: msg}
		return withDetail(ErrModelLoad, msg, fmt.Sprintf("llm: %s: the model could not be loaded (status %d; the server log says why)", t.provider, resp.StatusCode), se)
	case isJSON:
		return &StatusError{Provider: t.provider, StatusCode: resp.StatusCode, Message: msg}
	case len(bytes.TrimSpace(body)) == 0:
		return &StatusError{Provider: t.provider, StatusCode: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}
	default:
		se := &StatusError{Provider: t.provider, StatusCode: resp.StatusCode, Message: snippet(body)}
		return newKindError(ErrBadResponse, se, "llm: %s at %s answered with a non-JSON body", t.provider, t.display)
	}
}

// loadMarkers are phrases of the messages Ollama and llama.cpp servers send
// when a model cannot be loaded.
var loadMarkers = []string{
	"error loading model", "unable to load model", "failed to load model", "llama runner process has terminated",
	"model requires more system memory",
}

// loadFailure reports whether a 5xx message says the model failed to load.
func loadFailure(msg string) bool {
	l := strings.ToLower(msg)
	for _, m := range loadMarkers {
		if strings.Contains(l, m) {
			return true
		}
	}
	return false
}

// readErr classifies an error of the line scanner.
func (t *transport) readErr(err error) error {
	if errors.Is(err, bufio.ErrTooLong) {
		return newKindError(ErrBadResponse, err, "llm: %s stream", t.provider)
	}
	return newKindError(ErrUnavailable, err, "llm: %s stream interrupted", t.provider)
}

// badLine reports a line that is not valid protocol; the line itself is
// detail for the log only.
func (t *transport) badLine(line []byte, err error) error {
	detail := snippet(line)
	if err != nil {
		detail += " (" + err.Error() + ")"
	}
	return withDetail(ErrBadResponse, detail, fmt.Sprintf("llm: %s sent a malformed line", t.provider))
}

// newScanner returns a line scanner with the large line limit.
func newScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	return sc
}
