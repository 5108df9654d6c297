package httpapi

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"os"

	"github.com/ai4artsed/ai4artsed/internal/pipeline"
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with the JSON error of SPEC section 4.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

// statusOf is the one place that maps error codes to HTTP statuses.
var statusOf = map[string]int{
	"invalid_request":    http.StatusBadRequest,
	"stage_unavailable":  http.StatusBadRequest,
	"unknown_config":     http.StatusNotFound,
	"not_found":          http.StatusNotFound,
	"unknown_upload":     http.StatusNotFound,
	"run_finished":       http.StatusConflict,
	"too_many_runs":      http.StatusTooManyRequests,
	"queue_full":         http.StatusTooManyRequests,
	"shutting_down":      http.StatusServiceUnavailable,
	"llm_unavailable":    http.StatusBadGateway,
	"llm_not_configured": http.StatusServiceUnavailable,
}

// fail maps err to a status and error code, logs unexpected errors and answers.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := pipeline.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	body := errorBody{Error: errorDetail{Code: code, Message: msg}}
	var ve *pipeline.ValidationError
	if errors.As(err, &ve) {
		body.Error.Field = ve.Field
	}
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		if code == "internal_error" {
			body.Error.Message = "internal error; see the server log"
		}
	}
	writeJSON(w, status, body)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "not_found", "no such API route: "+r.Method+" "+r.URL.Path)
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panicked", "path", r.URL.Path, "panic", v)
				writeError(w, http.StatusInternalServerError, "internal_error", "internal error; see the server log")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// decodeJSON reads a JSON body of at most MaxBodyBytes into v, answering the
// error itself; it reports whether decoding succeeded.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be JSON (Content-Type: application/json)")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the body is larger than 1 MiB")
			return false
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			writeError(w, http.StatusRequestTimeout, "request_timeout", "the body did not arrive in time")
			return false
		}
		writeError(w, http.StatusBadRequest, "bad_json", "malformed JSON body: "+err.Error())
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "bad_json", "malformed JSON body: more than one JSON value")
		return false
	}
	return true
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}
