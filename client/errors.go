package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/ai4artsed/ai4artsed/api"
)

// Error is a non-2xx answer that carries the server's JSON error body
// (docs/api.md, "Errors"). Test for it with errors.As:
//
//	var e *client.Error
//	if errors.As(err, &e) && e.Code == api.CodeQueueFull { ... }
type Error struct {
	// Status is the HTTP status code.
	Status int
	api.ErrorDetail
}

// Error implements error.
func (e *Error) Error() string {
	s := fmt.Sprintf("client: %d %s: %s", e.Status, e.Code, e.Message)
	if e.Field != "" {
		s += " (field " + e.Field + ")"
	}
	return s
}

// ErrBadAnswer is wrapped by the error for an answer that is not what the
// API sends: an error status without a JSON error body (a proxy's HTML page),
// a JSON route answering something else, an event stream that is not one.
var ErrBadAnswer = errors.New("client: unexpected answer")

// errorFrom turns a non-2xx answer into an *Error, or an ErrBadAnswer when
// its body is not our error body.
func errorFrom(method, path string, resp *http.Response) error {
	if isJSON(resp.Header.Get("Content-Type")) {
		var body api.ErrorBody
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
			return &Error{Status: resp.StatusCode, ErrorDetail: body.Error}
		}
	}
	return badAnswer(method, path, resp)
}

// badAnswer describes an answer of the wrong kind, with the start of its body.
func badAnswer(method, path string, resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	return fmt.Errorf("%w: %s %s: status %d, %q: %q", ErrBadAnswer, method, path,
		resp.StatusCode, resp.Header.Get("Content-Type"), data)
}

// isJSON reports whether a Content-Type is application/json.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// StatusOf is the HTTP status of err when it is an *Error, else 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}
