package comfysim

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
)

// promptRequest is the body of POST /prompt.
type promptRequest struct {
	Prompt    json.RawMessage `json:"prompt"`
	ClientID  *string         `json:"client_id"`
	PromptID  any             `json:"prompt_id"`
	ExtraData map[string]any  `json:"extra_data"`
	Front     bool            `json:"front"`
	Number    *float64        `json:"number"`
	Targets   []string        `json:"partial_execution_targets"`
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// handlePostPrompt validates a graph and queues it.
func (s *Server) handlePostPrompt(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxUpload))
	var req promptRequest
	if err != nil || json.Unmarshal(body, &req) != nil {
		serverTrouble(w)
		return
	}
	s.mu.Lock()
	number := float64(s.number)
	if req.Number != nil {
		number = *req.Number
	} else {
		if req.Front {
			number = -number
		}
		s.number++
	}
	s.mu.Unlock()
	if len(req.Prompt) == 0 || string(req.Prompt) == "null" {
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"error":       valError{Type: "no_prompt", Message: "No prompt provided", Details: "No prompt provided", ExtraInfo: map[string]any{}},
			"node_errors": map[string]any{},
		})
		return
	}
	g, err := parseGraph(req.Prompt)
	if err != nil {
		serverTrouble(w)
		return
	}
	id := newUUID()
	if req.PromptID != nil {
		id = pyStr(req.PromptID)
	}
	res := s.validate(g, req.Targets)
	if res.top != nil {
		s.log.Debug("comfysim: invalid prompt", "type", res.top.Type, "message", res.top.Message)
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": res.top, "node_errors": res.nodeErrors})
		return
	}
	extra := req.ExtraData
	if extra == nil {
		extra = map[string]any{}
	}
	j := &job{id: id, number: number, raw: req.Prompt, g: g, outputs: res.outputs, extra: extra,
		status: StatusPending, interrupt: make(chan struct{})}
	if req.ClientID != nil {
		j.clientID = *req.ClientID
		extra["client_id"] = *req.ClientID
	}
	s.mu.Lock()
	j.seq = len(s.prompts)
	s.prompts = append(s.prompts, j)
	i, _ := slices.BinarySearchFunc(s.queue, j, func(a, b *job) int {
		if a.number != b.number {
			if a.number < b.number {
				return -1
			}
			return 1
		}
		return a.seq - b.seq
	})
	s.queue = slices.Insert(s.queue, i, j)
	s.maxInFlight = max(s.maxInFlight, s.inFlightLocked())
	s.broadcastStatusLocked()
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	s.log.Debug("comfysim: prompt queued", "prompt_id", id, "client_id", j.clientID)
	writeJSON(w, http.StatusOK, map[string]any{"prompt_id": id, "number": jsonNumber(number), "node_errors": res.nodeErrors})
}

func (s *Server) handleGetPrompt(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	st := s.statusLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleGetQueue(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	running := []any{}
	if s.running != nil {
		running = append(running, s.running.queueItem())
	}
	pending := []any{}
	for _, j := range s.queue {
		pending = append(pending, j.queueItem())
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"queue_running": running, "queue_pending": pending})
}

// queueOrHistoryRequest is the body of POST /queue and POST /history.
type queueOrHistoryRequest struct {
	Delete []string `json:"delete"`
	Clear  bool     `json:"clear"`
}

// handlePostQueue deletes or clears pending prompts.
func (s *Server) handlePostQueue(w http.ResponseWriter, r *http.Request) {
	var req queueOrHistoryRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		serverTrouble(w)
		return
	}
	s.mu.Lock()
	s.queue = slices.DeleteFunc(s.queue, func(j *job) bool {
		if req.Clear || slices.Contains(req.Delete, j.id) {
			j.status = StatusDeleted
			return true
		}
		return false
	})
	s.broadcastStatusLocked()
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// handleInterrupt stops the running prompt: any, or only the one named.
func (s *Server) handleInterrupt(w http.ResponseWriter, r *http.Request) {
	var req struct {
		PromptID string `json:"prompt_id"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	s.mu.Lock()
	if j := s.running; j != nil && (req.PromptID == "" || req.PromptID == j.id) {
		j.stop()
		if !slices.Contains(s.interrupted, j.id) {
			s.interrupted = append(s.interrupted, j.id)
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleGetHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	maxItems, err := strconv.Atoi(q.Get("max_items"))
	if err != nil || maxItems < 0 {
		maxItems = -1
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]any{}
	ids := s.histOrder
	if offset < 0 {
		offset = 0
	}
	if offset > len(ids) {
		offset = len(ids)
	}
	ids = ids[offset:]
	if maxItems >= 0 && maxItems < len(ids) {
		ids = ids[:maxItems]
	}
	for _, id := range ids {
		out[id] = s.history[id]
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetHistoryID(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]any{}
	if e, ok := s.history[id]; ok {
		out[id] = e
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handlePostHistory(w http.ResponseWriter, r *http.Request) {
	var req queueOrHistoryRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		serverTrouble(w)
		return
	}
	s.mu.Lock()
	if req.Clear {
		clear(s.history)
		s.histOrder = nil
	}
	for _, id := range req.Delete {
		delete(s.history, id)
	}
	s.histOrder = slices.DeleteFunc(s.histOrder, func(id string) bool { _, ok := s.history[id]; return !ok })
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}
