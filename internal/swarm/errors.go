package swarm

import (
	"errors"
	"fmt"
	"github.com/ai4artsed/ai4artsed/internal/redact"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrInvalidSession means SwarmUI rejected the session id
	// (error_id "invalid_session_id"), also after the one renewal the
	// client attempts on its own.
	ErrInvalidSession = errors.New("swarm: invalid session")
	// ErrUnavailable means SwarmUI could not be reached (the dial failed,
	// for example connection refused while it is down) or answered a
	// non-JSON 502, 503 or 504 (a proxy, or a server still starting).
	ErrUnavailable = errors.New("swarm: unavailable")
	// ErrBadResponse means SwarmUI answered with something that is not the
	// expected JSON (an HTML error page, garbage, a missing field).
	ErrBadResponse = errors.New("swarm: bad response")
	// ErrGenerationFailed means a route answered 200 with an "error" field:
	// a handler-level failure such as an unknown model or LoRA, a missing
	// parameter or a failed generation.
	ErrGenerationFailed = errors.New("swarm: request failed")
	// ErrImageTooLarge means a generated image is larger than the media
	// store accepts (media.MaxUploadBytes); it was not read past that limit.
	ErrImageTooLarge = errors.New("swarm: image too large")
	// ErrNoWebsocket means SwarmUI refused the websocket handshake of
	// GenerateText2ImageWS with 400 or 404 (a proxy without websockets, or
	// a SwarmUI without the route). Nothing was generated;
	// GenerateText2Image may still work.
	ErrNoWebsocket = errors.New("swarm: websocket route unavailable")
)

// ResponseError is an answer from SwarmUI that is not its API: an HTML
// error page, garbage, an unexpected status or content type. It matches
// ErrUnavailable for 502, 503 and 504 (a proxy, or SwarmUI still starting)
// and ErrBadResponse otherwise.
type ResponseError struct {
	// Route is the API route (or View path) that failed.
	Route string
	// Status is the HTTP status of the answer.
	Status int
	// Reason is a short summary safe to show: what was wrong and what kind
	// of body came (e.g. "not JSON: an HTML page of 5120 bytes").
	Reason string
	// Body is the start of the body with credentials redacted, for the
	// server log only: an upstream may echo a request, headers included.
	Body string
}

// Error names the route, the status and the reason, never the body.
func (e *ResponseError) Error() string {
	return fmt.Sprintf("swarm: %s: status %d: %s", e.Route, e.Status, e.Reason)
}

// Is makes ResponseError match ErrUnavailable or ErrBadResponse.
func (e *ResponseError) Is(target error) bool {
	switch e.Status {
	case 502, 503, 504:
		return target == ErrUnavailable
	}
	return target == ErrBadResponse
}

// badAnswer is the *ResponseError for data that is not what route returns.
func badAnswer(route string, status int, contentType, reason string, data []byte) *ResponseError {
	return &ResponseError{Route: route, Status: status, Reason: reason + ": " + redact.Summary(contentType, data), Body: redact.Snippet(data, maxErrorBody)}
}

// idInvalidSession is the error_id SwarmUI sends for an unknown session.
const idInvalidSession = "invalid_session_id"

// APIError is an error answer from SwarmUI: {"error_id": ..., "error": ...}
// with any status, or a 200 answer carrying {"error": ...}.
type APIError struct {
	// Route is the API route (or View path) that failed.
	Route string
	// ID is the error_id, empty for handler-level failures.
	ID string
	// Message is SwarmUI's error text, unchanged; Error shows it shortened
	// and with credentials redacted.
	Message string
	// Status is the HTTP status of the answer; 0 for an error frame on a
	// websocket.
	Status int
}

// Error names the route and SwarmUI's message, shortened and with
// credentials redacted.
func (e *APIError) Error() string {
	if e.ID != "" && e.Status == 0 {
		return fmt.Sprintf("swarm: %s: %s (%s)", e.Route, redact.Brief(e.Message), e.ID)
	}
	if e.ID != "" {
		return fmt.Sprintf("swarm: %s: %s (%s, status %d)", e.Route, redact.Brief(e.Message), e.ID, e.Status)
	}
	return fmt.Sprintf("swarm: %s: %s", e.Route, redact.Brief(e.Message))
}

// Is reports whether the error matches ErrInvalidSession (error_id
// invalid_session_id) or ErrGenerationFailed (a 200 answer or a websocket
// frame with an error and no error_id).
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrInvalidSession:
		return e.ID == idInvalidSession
	case ErrGenerationFailed:
		return (e.Status == 200 || e.Status == 0) && e.ID == ""
	}
	return false
}
