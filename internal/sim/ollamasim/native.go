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
	NumCtx     int `json:"num_ctx"`
}

type chatRequest struct {
	Model     string          `json:"model"`
	Messages  []Message       `json:"messages"`
	Stream    *bool           `json:"stream"`
	Options   nativeOptions   `json:"options"`
	KeepAlive json.RawMessage `json:"keep_alive"`
	Think     json.RawMessage `json:"think"`
}

type generateRequest struct {
	Model     string          `json:"model"`
	Prompt    string          `json:"prompt"`
	System    string          `json:"system"`
	Stream    *bool           `json:"stream"`
	Options   nativeOptions   `json:"options"`
	KeepAlive json.RawMessage `json:"keep_alive"`
	Think     json.RawMessage `json:"think"`
}

// nativeCall is a decoded native request.
type nativeCall struct {
	msgs      []Message
	stream    *bool
	opts      nativeOptions
	keepAlive json.RawMessage
	think     json.RawMessage
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
	Thinking   string    `json:"thinking,omitempty"`
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

// frame builds a frame carrying answer text, or thinking text.
func (n native) frame(text string, thinking bool) any {
	now := time.Now().UTC()
	content, thought := text, ""
	if thinking {
		content, thought = "", text
	}
	if n.chat {
		return &chatFrame{Model: n.model, CreatedAt: now, Message: Message{Role: "assistant", Content: content, Thinking: thought}}
	}
	return &generateFrame{Model: n.model, CreatedAt: now, Response: content, Thinking: thought}
}

// final builds the done frame.
func (n native) final(text, reason string, m metrics) any {
	f := n.frame(text, false)
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
	s.serveNative(w, r, native{model: req.Model, chat: true}, nativeCall{req.Messages, req.Stream, req.Options, req.KeepAlive, req.Think})
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
	s.serveNative(w, r, native{model: req.Model}, nativeCall{msgs, req.Stream, req.Options, req.KeepAlive, req.Think})
}

// serveNative answers a decoded native request.
func (s *Server) serveNative(w http.ResponseWriter, r *http.Request, n native, c nativeCall) {
	stream := c.stream == nil || *c.stream
	think, err := thinkValue(c.think)
	sp := jobSpec{model: n.model, msgs: c.msgs, stream: stream, maxTokens: c.opts.NumPredict, numCtx: c.opts.NumCtx,
		think: think, keepAlive: c.keepAlive}
	switch {
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case strings.TrimSpace(n.model) == "":
		writeError(w, http.StatusBadRequest, "model is required")
		return
	case !s.installed(n.model):
		sp.status = http.StatusNotFound
		s.startJob(r, sp)
		writeError(w, http.StatusNotFound, fmt.Sprintf("model '%s' not found", n.model))
		return
	case think != nil && *think && !s.thinkingModel(n.model):
		sp.status = http.StatusBadRequest
		s.startJob(r, sp)
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q does not support thinking", n.model))
		return
	case len(c.msgs) == 0:
		reason := "load"
		if isUnload(c.keepAlive) {
			reason = "unload"
		}
		writeJSON(w, http.StatusOK, n.final("", reason, metrics{}))
		return
	case isMarked(n.model, MarkerBroken):
		sp.status = http.StatusInternalServerError
		s.startJob(r, sp)
		writeError(w, http.StatusInternalServerError, loadFailure(n.model))
		return
	}
	sp.status = http.StatusOK
	j := s.startJob(r, sp)
	ctx := r.Context()

	if !stream {
		var text strings.Builder
		err := j.pace(ctx, func(_ int, tok string) error { text.WriteString(tok); return nil })
		j.finish(r.URL.Path, err)
		switch {
		case errors.Is(err, errFailed):
			writeError(w, http.StatusInternalServerError, failMessage)
		case err == nil || errors.Is(err, errRepeatCut):
			f := n.final(text.String(), j.doneReason, j.metrics())
			if j.thinking {
				f = n.final("", j.doneReason, j.metrics())
				setThinking(f, text.String())
			}
			writeJSON(w, http.StatusOK, f)
		}
		return
	}

	enc := json.NewEncoder(w)
	err = j.pace(ctx, func(i int, tok string) error {
		if i == 0 {
			w.Header().Set("Content-Type", "application/x-ndjson")
		}
		if err := enc.Encode(n.frame(tok, j.thinking)); err != nil {
			return err
		}
		return flush(w)
	})
	j.close()
	switch {
	case errors.Is(err, errFailed):
		_ = enc.Encode(map[string]string{"error": failMessage})
		_ = flush(w)
	case err == nil:
		if err = enc.Encode(n.final("", j.doneReason, j.metrics())); err == nil {
			err = flush(w)
		}
	}
	// errRepeatCut: the stream just ends, with no done frame and no error.
	j.finish(r.URL.Path, err)
}

// setThinking puts the aggregated thinking text into a whole answer.
func setThinking(f any, text string) {
	switch f := f.(type) {
	case *chatFrame:
		f.Message.Thinking = text
	case *generateFrame:
		f.Thinking = text
	}
}
