package swarm

import (
	"errors"
	"fmt"
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
)

// idInvalidSession is the error_id SwarmUI sends for an unknown session.
const idInvalidSession = "invalid_session_id"

// APIError is an error answer from SwarmUI: {"error_id": ..., "error": ...}
// with any status, or a 200 answer carrying {"error": ...}.
type APIError struct {
	// Route is the API route (or View path) that failed.
	Route string
	// ID is the error_id, empty for handler-level failures.
	ID string
	// Message is SwarmUI's error text, passed through unchanged.
	Message string
	// Status is the HTTP status of the answer.
	Status int
}

// Error implements error.
func (e *APIError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("swarm: %s: %s (%s, status %d)", e.Route, e.Message, e.ID, e.Status)
	}
	return fmt.Sprintf("swarm: %s: %s", e.Route, e.Message)
}

// Is reports whether the error matches ErrInvalidSession (error_id
// invalid_session_id) or ErrGenerationFailed (a 200 answer with an error).
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrInvalidSession:
		return e.ID == idInvalidSession
	case ErrGenerationFailed:
		return e.Status == 200 && e.ID == ""
	}
	return false
}
