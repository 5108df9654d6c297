package swarmsim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"
)

// simVersion is the SwarmUI version the simulator reports.
const simVersion = "0.9.7.0-sim"

// serverID identifies this simulated server, as SwarmUI's server_id.
const serverID = "00000000-5741-524d-5349-4d0000000001"

// getNewSession is POST /API/GetNewSession.
func (s *Server) getNewSession(*http.Request, string, params) any {
	var b [20]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	s.mu.Lock()
	s.sessions[id] = true
	s.mu.Unlock()
	return map[string]any{
		"session_id":         id,
		"user_id":            "local",
		"output_append_user": true,
		"version":            simVersion,
		"server_id":          serverID,
		"permissions":        []string{"*"},
	}
}

// backendState is the status of the single ComfyUI backend.
func (s *Server) backendState() string {
	if s.comfyReady() {
		return "running"
	}
	return "loading"
}

// listBackends is POST /API/ListBackends.
func (s *Server) listBackends(*http.Request, string, params) any {
	since := time.Since(s.start)
	return map[string]any{
		"0": map[string]any{
			"id":                 0,
			"type":               "comfyui_selfstart",
			"status":             s.backendState(),
			"settings":           map[string]any{"StartScript": "dlbackend/ComfyUI/main.py", "GPU_ID": "0"},
			"modcount":           0,
			"features":           []string{"comfyui", "refiners", "controlnet", "variation_seed", "freeu", "seamless"},
			"enabled":            true,
			"title":              "",
			"max_usages":         0,
			"seconds_since_used": int(since.Seconds()),
			"time_since_used":    fmt.Sprintf("%d seconds ago", int(since.Seconds())),
			"can_load_models":    true,
		},
	}
}

// getCurrentStatus is POST /API/GetCurrentStatus.
func (s *Server) getCurrentStatus(*http.Request, string, params) any {
	return s.statusObject()
}

// statusObject is SwarmUI's status message (also sent first on its
// generation websocket).
func (s *Server) statusObject() map[string]any {
	s.mu.Lock()
	waiting, live := s.waiting, s.live
	s.mu.Unlock()
	backend := map[string]any{"status": "running", "class": "", "message": "", "any_loading": false}
	if !s.comfyReady() {
		backend = map[string]any{"status": "loading", "class": "soft", "message": "Backends are still loading on the server...", "any_loading": true}
	}
	return map[string]any{
		"status": map[string]int{
			"waiting_gens": waiting, "loading_models": 0, "waiting_backends": 0, "live_gens": live,
		},
		"backend_status":     backend,
		"supported_features": []string{"comfyui", "refiners", "controlnet", "variation_seed"},
	}
}

// interruptAll is POST /API/InterruptAll: it stops the session's
// generations, or everyone's with other_sessions true.
func (s *Server) interruptAll(_ *http.Request, session string, in params) any {
	others, msg := apiBool(in, "other_sessions", false)
	if msg != "" {
		return errorObj(msg)
	}
	s.mu.Lock()
	for _, g := range s.gens {
		if others || g.session == session {
			g.cancel()
		}
	}
	s.mu.Unlock()
	return map[string]bool{"success": true}
}
