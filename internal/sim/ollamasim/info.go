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
	// The two lengths appear in /api/tags but not in /api/ps.
	ContextLength   int `json:"context_length,omitempty"`
	EmbeddingLength int `json:"embedding_length,omitempty"`
}

type tagModel struct {
	Name         string     `json:"name"`
	Model        string     `json:"model"`
	ModifiedAt   time.Time  `json:"modified_at"`
	Size         int64      `json:"size"`
	Digest       string     `json:"digest"`
	Details      tagDetails `json:"details"`
	Capabilities []string   `json:"capabilities"`
}

// psModel is one loaded model as GET /api/ps lists it.
type psModel struct {
	Name          string     `json:"name"`
	Model         string     `json:"model"`
	Size          int64      `json:"size"`
	Digest        string     `json:"digest"`
	Details       tagDetails `json:"details"`
	ExpiresAt     time.Time  `json:"expires_at"`
	SizeVRAM      int64      `json:"size_vram"`
	ContextLength int        `json:"context_length"`
}

// embeddingLength is the simulated models' embedding width.
const embeddingLength = 3072

// handleTags lists the installed models in the shape of GET /api/tags.
func (s *Server) handleTags(w http.ResponseWriter, r *http.Request) {
	names := make([]string, 0, len(s.models))
	for name := range s.models {
		names = append(names, name)
	}
	sort.Strings(names)
	models := make([]tagModel, 0, len(names))
	for _, name := range names {
		d := s.details(name)
		d.ContextLength, d.EmbeddingLength = s.contextLength(), embeddingLength
		models = append(models, tagModel{
			Name:         name,
			Model:        name,
			ModifiedAt:   s.born.Add(-24 * time.Hour).UTC(),
			Size:         sizeOf(name),
			Digest:       digestOf(name),
			Details:      d,
			Capabilities: s.capabilities(name),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
}

// handlePs lists the loaded models (those used within their keep-alive),
// longest remaining first, in the shape of GET /api/ps.
func (s *Server) handlePs(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	models := make([]psModel, 0, len(s.loaded))
	for name, until := range s.loaded {
		if !until.After(now) {
			s.unloadLocked(name)
			continue
		}
		models = append(models, psModel{
			Name: name, Model: name, Size: sizeOf(name), Digest: digestOf(name), Details: s.details(name),
			ExpiresAt: until.UTC(), ContextLength: s.contextLength(),
		})
	}
	s.mu.Unlock()
	sort.Slice(models, func(i, j int) bool {
		if !models[i].ExpiresAt.Equal(models[j].ExpiresAt) {
			return models[i].ExpiresAt.After(models[j].ExpiresAt)
		}
		return models[i].Name < models[j].Name
	})
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
}

// handleOpenAIModels lists the models as the OpenAI-compatible
// GET /v1/models does.
func (s *Server) handleOpenAIModels(w http.ResponseWriter, r *http.Request) {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	data := []model{}
	for _, name := range s.opts.Models {
		data = append(data, model{ID: fullName(name), Object: "model", Created: 1700000000, OwnedBy: "library"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

// details describes a model as /api/tags and /api/ps do.
func (s *Server) details(name string) tagDetails {
	family := strings.TrimRightFunc(strings.SplitN(name[strings.LastIndex(name, "/")+1:], ":", 2)[0], func(r rune) bool {
		return r == '.' || (r >= '0' && r <= '9')
	})
	return tagDetails{Format: "gguf", Family: family, Families: []string{family}, ParameterSize: "3.2B", QuantizationLevel: "Q4_K_M"}
}

func digestOf(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

func sizeOf(name string) int64 {
	sum := sha256.Sum256([]byte(name))
	return 2_000_000_000 + int64(sum[0])<<20
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
