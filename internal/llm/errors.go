package llm

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors classifying every failure of a chat call.
//
// Every error this package returns has an Error() text that is safe to show
// to a student: it names the provider, our configured URL (password
// redacted), the model and what went wrong, but never text the server sent
// (error bodies, malformed lines, load messages with server paths). That
// text stays in the error chain for the log: see Detail.
var (
	// ErrModelNotFound: the server does not have the model (HTTP 404 with a
	// JSON error body; a 404 HTML page is ErrBadResponse).
	ErrModelNotFound = errors.New("llm: model not found")
	// ErrUnavailable: the server could not be reached (connection refused,
	// DNS, dial errors) or the connection broke mid-stream.
	ErrUnavailable = errors.New("llm: backend unavailable")
	// ErrConnect: the request got no answer at all (connection refused,
	// DNS, reset before the response headers), so nothing of it was
	// generated. It comes together with ErrUnavailable; a caller may try
	// another server.
	ErrConnect = errors.New("llm: could not connect")
	// ErrTimeout: a deadline passed: the caller's, or one of the client's
	// three (first token, idle between tokens, whole generation; the
	// message names which and its setting). Errors of this kind also
	// satisfy errors.Is(err, context.DeadlineExceeded).
	ErrTimeout = errors.New("llm: call timed out")
	// ErrNotConfigured: the provider named by the model has no client.
	ErrNotConfigured = errors.New("llm: provider not configured")
	// ErrBadResponse: the server answered something that is not its protocol
	// (an HTML error page, a malformed line, a stream that ended before any
	// answer). For a non-2xx non-JSON body the error also carries a
	// *StatusError with the status and a short snippet (errors.As).
	ErrBadResponse = errors.New("llm: bad response")
	// ErrUpstream: the server reported an error, either as a non-2xx status
	// (see StatusError) or in-band in the stream.
	ErrUpstream = errors.New("llm: upstream error")
	// ErrInvalidModel: a model name that cannot be parsed (empty).
	ErrInvalidModel = errors.New("llm: invalid model name")
	// ErrEmptyAnswer: the call ended normally but the answer is empty or
	// only whitespace, typically a thinking model that put everything into
	// its thinking text. An empty answer is never a success.
	ErrEmptyAnswer = errors.New("llm: empty answer")
	// ErrModelLoad: the server could not load the model (HTTP 500 naming a
	// load failure: a broken or incomplete model file, too little memory).
	// The server's message, which holds server paths, is only in Detail;
	// the error also carries the *StatusError (errors.As).
	ErrModelLoad = errors.New("llm: the model could not be loaded")
)

// StatusError is a non-2xx answer of a server. It satisfies
// errors.Is(err, ErrUpstream). Its Error() names only the status; the
// server's own text is in Message, for the log.
type StatusError struct {
	Provider   string // "ollama" or "openai"
	StatusCode int
	Message    string // the server's error message (or a short body snippet): log only
}

// Error implements error. It does not include Message.
func (e *StatusError) Error() string {
	return fmt.Sprintf("llm: %s returned status %d %s", e.Provider, e.StatusCode, http.StatusText(e.StatusCode))
}

// Is reports whether target is ErrUpstream.
func (e *StatusError) Is(target error) bool { return target == ErrUpstream }

// Detail returns the server-sent text that err carries (error bodies,
// malformed lines, in-band errors, load failures), joined by " | ", or ""
// when there is none. It is for the server log only: it may hold server
// paths or secrets an echoing server sent back.
func Detail(err error) string {
	var parts []string
	seen := map[string]bool{}
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	var walk func(error)
	walk = func(e error) {
		switch v := e.(type) {
		case nil:
			return
		case *kindError:
			add(v.detail)
		case *StatusError:
			add(v.Message)
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return strings.Join(parts, " | ")
}

// kindError carries a readable message, its kinds (sentinels and other
// errors it must match), an optional cause whose text is appended, and
// optional server-sent detail that is not part of Error().
type kindError struct {
	kinds  []error
	msg    string
	cause  error
	detail string
}

func (e *kindError) Error() string {
	if e.cause == nil {
		return e.msg
	}
	return e.msg + ": " + e.cause.Error()
}

func (e *kindError) Unwrap() []error {
	out := append([]error(nil), e.kinds...)
	if e.cause != nil {
		out = append(out, e.cause)
	}
	return out
}

func newKindError(kind error, cause error, format string, args ...any) error {
	return &kindError{kinds: []error{kind}, msg: fmt.Sprintf(format, args...), cause: cause}
}

// withDetail returns a kindError of kind whose message is msg and whose
// server-sent detail (for Detail only) is detail; extra errors join the
// chain without appearing in the message.
func withDetail(kind error, detail, msg string, extra ...error) error {
	return &kindError{kinds: append([]error{kind}, extra...), msg: msg, detail: detail}
}
