package httpapi

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
)

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail is the one writer of error bodies: the code, status and message come
// from the table in internal/fault, in the language the request asked for
// (Accept-Language, else the server's). The error itself, which may carry
// upstream text, goes to the log only.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.failLang(w, r, err, s.lang(r))
}

// failLang is fail in a language the caller already knows (a run
// request's "lang").
func (s *Server) failLang(w http.ResponseWriter, r *http.Request, err error, lang string) {
	d := fault.Describe(err, lang)
	status := fault.Status(d.Code)
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "code", d.Code, "err", err)
	} else {
		s.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "code", d.Code, "err", err)
	}
	writeJSON(w, status, api.ErrorBody{Error: d})
}

// lang is the language of messages for r: the first of German or English
// in Accept-Language by quality, else the server's default.
func (s *Server) lang(r *http.Request) string {
	if l := acceptLang(r); l != "" {
		return l
	}
	return s.cfg.Language
}

// acceptLang is the best of German and English in r's Accept-Language, or
// "" when it names neither.
func acceptLang(r *http.Request) string {
	best, bestQ := "", 0.0
	for part := range strings.SplitSeq(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if primary != "de" && primary != "en" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panicked", "path", r.URL.Path, "panic", v)
				s.fail(w, r, fault.ErrPanic)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// decodeJSON reads a JSON body of at most MaxBodyBytes into v, answering the
// error itself; it reports whether decoding succeeded.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		s.fail(w, r, fault.New(api.CodeUnsupportedMedia, "Die Anfrage muss JSON sein (Content-Type: application/json).",
			"The body must be JSON (Content-Type: application/json)."))
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooLarge):
			s.fail(w, r, fault.New(api.CodeTooLarge, "Die Anfrage ist größer als 1 MiB.", "The body is larger than 1 MiB."))
		case errors.Is(err, os.ErrDeadlineExceeded):
			s.fail(w, r, fault.New(api.CodeRequestTimeout, "Die Anfrage kam nicht rechtzeitig an.", "The body did not arrive in time."))
		case errors.As(err, &typeErr) && typeErr.Field != "":
			s.fail(w, r, fault.Invalid(typeErr.Field, "Dieser Wert hat die falsche Art ("+typeErr.Value+").",
				"This value has the wrong type ("+typeErr.Value+")."))
		default:
			s.fail(w, r, fault.New(api.CodeBadJSON, "Die Anfrage ist kein gültiges JSON: "+err.Error(), "Malformed JSON body: "+err.Error()))
		}
		return false
	}
	if dec.More() {
		s.fail(w, r, fault.New(api.CodeBadJSON, "Die Anfrage enthält mehr als einen JSON-Wert.", "Malformed JSON body: more than one JSON value."))
		return false
	}
	return true
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}
