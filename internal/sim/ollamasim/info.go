package ollamasim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// handleRoot answers the liveness probe (GET and HEAD /).
func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "Ollama is running")
}

// handleVersion answers GET and HEAD /api/version.
func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"version": Version})
}

type tagDetails struct {
	ParentModel       string   `json:"parent_model"`
	Format            string   `json:"format"`
	Family            string   `json:"family"`
	Families          []string `json:"families"`
	ParameterSize     string   `json:"parameter_size"`
	QuantizationLevel string   `json:"quantization_level"`
}

type tagModel struct {
	Name       string     `json:"name"`
	Model      string     `json:"model"`
	ModifiedAt time.Time  `json:"modified_at"`
	Size       int64      `json:"size"`
	Digest     string     `json:"digest"`
	Details    tagDetails `json:"details"`
}

// handleTags lists the installed models in the shape of GET /api/tags.
func (s *Server) handleTags(w http.ResponseWriter, r *http.Request) {
	names := make([]string, 0, len(s.models))
	for name := range s.models {
		names = append(names, name)
	}
	sort.Strings(names)
	models := make([]tagModel, 0, len(names))
	for _, name := range names {
		sum := sha256.Sum256([]byte(name))
		family := strings.TrimRightFunc(strings.SplitN(name[strings.LastIndex(name, "/")+1:], ":", 2)[0], func(r rune) bool {
			return r == '.' || (r >= '0' && r <= '9')
		})
		models = append(models, tagModel{
			Name:       name,
			Model:      name,
			ModifiedAt: s.born.Add(-24 * time.Hour).UTC(),
			Size:       2_000_000_000 + int64(sum[0])<<20,
			Digest:     hex.EncodeToString(sum[:]),
			Details: tagDetails{
				Format:            "gguf",
				Family:            family,
				Families:          []string{family},
				ParameterSize:     "3.2B",
				QuantizationLevel: "Q4_K_M",
			},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
}

// writeJSON sends v with Ollama's JSON content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError sends Ollama's error shape {"error":"..."}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
