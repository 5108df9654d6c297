package comfy

import "github.com/ai4artsed/ai4artsed/internal/redact"

// badBody is the *StatusError for a 2xx answer whose body is not what the
// route returns.
func badBody(op string, status int, contentType, reason string, data []byte) *StatusError {
	return &StatusError{Op: op, StatusCode: status, Reason: reason + ": " + redact.Summary(contentType, data), Body: redact.Snippet(data, maxErrorBody)}
}
