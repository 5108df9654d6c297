package ollamasim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

type nativeOptions struct {
	NumPredict int `json:"num_predict"`
}

type chatRequest struct {
	Model     string          `json:"model"`
	Messages  []Message       `json:"messages"`
	Stream    *bool           `json:"stream"`
	Options   nativeOptions   `json:"options"`
	KeepAlive json.RawMessage `json:"keep_alive"`
}

type generateRequest struct {
	Model     string          `json:"model"`
	Prompt    string          `json:"prompt"`
	System    string          `json:"system"`
	Stream    *bool           `json:"stream"`
	Options   nativeOptions   `json:"options"`
	KeepAlive json.RawMessage `json:"keep_alive"`
}

// chatFrame is one /api/chat response object, streamed or whole.
type chatFrame struct {
	Model      string    `json:"model"`
	CreatedAt  time.Time `json:"created_at"`
	Message    Message   `json:"message"`
	DoneReason string    `json:"done_reason,omitempty"`
	Done       bool      `json:"done"`
	metrics
}

// generateFrame is one /api/generate response object, streamed or whole.
type generateFrame struct {
	Model      string    `json:"model"`
	CreatedAt  time.Time `json:"created_at"`
	Response   string    `json:"response"`
	DoneReason string    `json:"done_reason,omitempty"`
	Done       bool      `json:"done"`
	Context    []int     `json:"context,omitempty"`
	metrics
}

// native abstracts the two native endpoints' frame shapes.
type native struct {
	model string
	chat  bool
}

// frame builds a frame carrying text.
func (n native) frame(text string) any {
	now := time.Now().UTC()
	if n.chat {
		return &chatFrame{Model: n.model, CreatedAt: now, Message: Message{Role: "assistant", Content: text}}
	}
	return &generateFrame{Model: n.model, CreatedAt: now, Response: text}
}

// final builds the done frame.
func (n native) final(text, reason string, m metrics) any {
	f := n.frame(text)
	switch f := f.(type) {
	case *chatFrame:
		f.Done, f.DoneReason, f.metrics = true, reason, m
	case *generateFrame:
		f.Done, f.DoneReason, f.metrics = true, reason, m
		if reason != "load" && reason != "unload" {
			f.Context = []int{128006, 882, 128007, 271, m.EvalCount}
		}
	}
	return f
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	if !decodeBody(w, r, &req, writeError) {
		return
	}
	lowerRoles(req.Messages)
	s.serveNative(w, r, native{model: req.Model, chat: true}, req.Messages, req.Stream, req.Options, req.KeepAlive)
}

func (s *Server) handleGenerate(w http.ResponseWriter, r *http.Request) {
	var req generateRequest
	if !decodeBody(w, r, &req, writeError) {
		return
	}
	var msgs []Message
	if req.Prompt != "" {
		if req.System != "" {
			msgs = append(msgs, Message{Role: "system", Content: req.System})
		}
		msgs = append(msgs, Message{Role: "user", Content: req.Prompt})
	}
	s.serveNative(w, r, native{model: req.Model}, msgs, req.Stream, req.Options, req.KeepAlive)
}

// serveNative answers a decoded native request.
func (s *Server) serveNative(w http.ResponseWriter, r *http.Request, n native, msgs []Message, streamOpt *bool, opts nativeOptions, keepAlive json.RawMessage) {
	stream := streamOpt == nil || *streamOpt
	if strings.TrimSpace(n.model) == "" {
		writeError(w, http.StatusBadRequest, "model is required")
		return
	}
	if !s.installed(n.model) {
		s.startJob(r, n.model, msgs, stream, http.StatusNotFound, 0)
		writeError(w, http.StatusNotFound, fmt.Sprintf("model '%s' not found", n.model))
		return
	}
	if len(msgs) == 0 {
		reason := "load"
		if isUnload(keepAlive) {
			reason = "unload"
		}
		writeJSON(w, http.StatusOK, n.final("", reason, metrics{}))
		return
	}
	j := s.startJob(r, n.model, msgs, stream, http.StatusOK, opts.NumPredict)
	ctx := r.Context()

	if !stream {
		var text strings.Builder
		err := j.pace(ctx, func(_ int, tok string) error { text.WriteString(tok); return nil })
		j.finish(r.URL.Path, err)
		switch {
		case errors.Is(err, errFailed):
			writeError(w, http.StatusInternalServerError, failMessage)
		case err == nil:
			writeJSON(w, http.StatusOK, n.final(text.String(), j.doneReason, j.metrics()))
		}
		return
	}

	enc := json.NewEncoder(w)
	err := j.pace(ctx, func(i int, tok string) error {
		if i == 0 {
			w.Header().Set("Content-Type", "application/x-ndjson")
		}
		if err := enc.Encode(n.frame(tok)); err != nil {
			return err
		}
		return flush(w)
	})
	switch {
	case errors.Is(err, errFailed):
		_ = enc.Encode(map[string]string{"error": failMessage})
		_ = flush(w)
	case err == nil:
		if err = enc.Encode(n.final("", j.doneReason, j.metrics())); err == nil {
			err = flush(w)
		}
	}
	j.finish(r.URL.Path, err)
}
