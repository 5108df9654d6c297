package swarmsim

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxReceiveBytes mirrors SwarmUI's Network.MaxReceiveBytes default (100 MiB).
const maxReceiveBytes = 100 << 20

// apiHandler handles one API route. It returns the JSON object to send
// with status 200; handler-level failures are {"error": ...} objects.
type apiHandler func(r *http.Request, session string, in params) any

// wsRoutes are routes SwarmUI serves only over a websocket.
var wsRoutes = map[string]bool{
	"generatetext2imagews": true,
	"selectmodelws":        true,
	"domodeldownloadws":    true,
}

// route is the top-level dispatcher of the SwarmUI port.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case len(p) >= 5 && strings.EqualFold(p[:5], "/api/") && isWebsocket(r):
		s.serveAPIWS(w, r, strings.ToLower(p[5:]))
	case len(p) >= 5 && strings.EqualFold(p[:5], "/api/"):
		s.serveAPI(w, r, strings.ToLower(p[5:]))
	case strings.HasPrefix(p, "/ComfyBackendDirect/"):
		http.StripPrefix("/ComfyBackendDirect", s.comfy).ServeHTTP(w, r)
	case strings.HasPrefix(p, "/View/"):
		s.serveView(w, r)
	case p == "/":
		http.Redirect(w, r, "/Text2Image", http.StatusFound)
	case p == "/Text2Image":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!DOCTYPE html><html><head><title>SwarmUI (simulated)</title></head><body><h1>SwarmUI simulator</h1></body></html>\n")
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "<!DOCTYPE html><html><body><h1>404 - Not Found</h1></body></html>\n")
	}
}

// serveAPI applies SwarmUI's checks in SwarmUI's order: method, content
// type, content length, JSON body, session, route.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodPost {
		http.Redirect(w, r, "/Error/NoGetAPI", http.StatusFound)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusBadRequest, "basic_api", "Wrong content type")
		return
	}
	if r.ContentLength <= 0 || r.ContentLength >= maxReceiveBytes {
		writeError(w, http.StatusBadRequest, "basic_api", "bad content length")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, r.ContentLength))
	if err != nil || int64(len(raw)) != r.ContentLength {
		writeError(w, http.StatusBadRequest, "internal_error", "An internal error occurred")
		return
	}
	in, ok := parseParams(raw)
	if !ok {
		writeError(w, http.StatusBadRequest, "internal_error", "An internal error occurred")
		return
	}
	session := ""
	if name != "getnewsession" && name != "login" {
		sid, present := in["session_id"]
		session = sid.String()
		if !present {
			if h := r.Header.Get("X-Session-ID"); h != "" {
				session, present = h, true
			}
		}
		if !present {
			writeError(w, http.StatusBadRequest, "basic_api", "missing session id")
			return
		}
		if !s.validSession(session) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{
				"error":    "Invalid session ID. You may need to refresh the page.",
				"error_id": "invalid_session_id",
			})
			return
		}
	}
	s.log.Debug("swarmsim: api call", "route", name)
	h := s.apis[name]
	if h == nil {
		if wsRoutes[name] {
			writeError(w, http.StatusBadRequest, "bad_request_method", "API route needs websocket, request is HTTP")
			return
		}
		writeError(w, http.StatusBadRequest, "bad_route", "Unknown API route")
		return
	}
	out := h(r, session, in)
	if out == nil {
		return // the client went away; nothing useful to answer
	}
	writeJSON(w, http.StatusOK, out)
}

// apiTable is the API route table, keyed by lowercase route name.
func (s *Server) apiTable() map[string]apiHandler {
	return map[string]apiHandler{
		"getnewsession":      s.getNewSession,
		"generatetext2image": s.generateText2Image,
		"listmodels":         s.listModels,
		"listbackends":       s.listBackends,
		"getcurrentstatus":   s.getCurrentStatus,
		"interruptall":       s.interruptAll,
	}
}

func (s *Server) validSession(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

// errorObj is a handler-level failure, sent with status 200.
func errorObj(msg string) map[string]string { return map[string]string{"error": msg} }

func writeError(w http.ResponseWriter, status int, id, msg string) {
	writeJSON(w, status, map[string]string{"error_id": id, "error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "swarmsim: encode answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
