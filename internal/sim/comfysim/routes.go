package comfysim

import (
	"encoding/json"
	"net/http"
)

// routes mounts every route at / and under /api/, as ComfyUI does.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	handle := func(method, path string, h http.HandlerFunc) {
		mux.HandleFunc(method+" "+path, h)
		mux.HandleFunc(method+" /api"+path, h)
	}
	handle("GET", "/ws", s.handleWS)
	handle("POST", "/prompt", s.handlePostPrompt)
	handle("GET", "/prompt", s.handleGetPrompt)
	handle("GET", "/queue", s.handleGetQueue)
	handle("POST", "/queue", s.handlePostQueue)
	handle("POST", "/interrupt", s.handleInterrupt)
	handle("GET", "/history", s.handleGetHistory)
	handle("GET", "/history/{id}", s.handleGetHistoryID)
	handle("POST", "/history", s.handlePostHistory)
	handle("GET", "/view", s.handleView)
	handle("POST", "/upload/image", s.handleUpload)
	handle("GET", "/object_info", s.handleObjectInfo)
	handle("GET", "/object_info/{class}", s.handleObjectInfoClass)
	handle("GET", "/system_stats", s.handleSystemStats)
	handle("GET", "/features", s.handleFeatures)
	handle("POST", "/free", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "500 Internal Server Error\n\nServer got itself in trouble", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// serverTrouble is aiohttp's answer to an exception in a handler.
func serverTrouble(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte("500 Internal Server Error\n\nServer got itself in trouble"))
}
