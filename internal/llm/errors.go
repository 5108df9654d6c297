package llm

import (
	"errors"
	"fmt"
)

// Sentinel errors classifying every failure of a chat call.
var (
	// ErrModelNotFound: the server does not have the model (HTTP 404 with a
	// JSON error body; a 404 HTML page is ErrBadResponse).
	ErrModelNotFound = errors.New("llm: model not found")
	// ErrUnavailable: the server could not be reached (connection refused,
	// DNS, dial errors) or the connection broke mid-stream.
	ErrUnavailable = errors.New("llm: backend unavailable")
	// ErrTimeout: the call's deadline passed. Errors of this kind also
	// satisfy errors.Is(err, context.DeadlineExceeded).
	ErrTimeout = errors.New("llm: call timed out")
	// ErrNotConfigured: the provider named by the model has no client.
	ErrNotConfigured = errors.New("llm: provider not configured")
	// ErrBadResponse: the server answered something that is not its protocol
	// (an HTML error page, a malformed line, a stream that ended early). For
	// a non-2xx non-JSON body the error also carries a *StatusError with the
	// status and a short snippet (errors.As).
	ErrBadResponse = errors.New("llm: bad response")
	// ErrUpstream: the server reported an error, either as a non-2xx status
	// (see StatusError) or in-band in the stream.
	ErrUpstream = errors.New("llm: upstream error")
	// ErrInvalidModel: a model name that cannot be parsed (empty).
	ErrInvalidModel = errors.New("llm: invalid model name")
)

// StatusError is a non-2xx answer of a server. It satisfies
// errors.Is(err, ErrUpstream).
type StatusError struct {
	Provider   string // "ollama" or "openai"
	StatusCode int
	Message    string // the server's error message (or a short body snippet)
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("llm: %s returned status %d: %s", e.Provider, e.StatusCode, e.Message)
}

// Is reports whether target is ErrUpstream.
func (e *StatusError) Is(target error) bool { return target == ErrUpstream }

// kindError carries a readable message, a sentinel kind and an optional cause.
type kindError struct {
	kind  error
	msg   string
	cause error
}

func (e *kindError) Error() string {
	if e.cause == nil {
		return e.msg
	}
	return e.msg + ": " + e.cause.Error()
}

func (e *kindError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

func newKindError(kind error, cause error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...), cause: cause}
}
