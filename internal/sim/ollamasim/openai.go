package ollamasim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// oaContent is a message content: a string or an array of parts.
type oaContent string

// UnmarshalJSON accepts "text" or [{"type":"text","text":"..."}, ...].
func (c *oaContent) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = oaContent(s)
		return nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &parts); err != nil {
		return errors.New("invalid message content type")
	}
	var sb strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			sb.WriteString(p.Text)
		}
	}
	*c = oaContent(sb.String())
	return nil
}

type oaRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string    `json:"role"`
		Content oaContent `json:"content"`
	} `json:"messages"`
	Stream        bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	MaxTokens       int     `json:"max_tokens"`
	ReasoningEffort *string `json:"reasoning_effort"`
}

// oaDelta is a streamed delta. As Ollama sends it, role and content are
// always present; reasoning only when the model thinks.
type oaDelta struct {
	Role      string `json:"role"`
	Content   string `json:"content"`
	Reasoning string `json:"reasoning,omitempty"`
}

// oaThink maps reasoning_effort to think: "none" turns thinking off, a
// level turns it on, absent leaves the model's default.
func oaThink(effort *string) (*bool, error) {
	if effort == nil {
		return nil, nil
	}
	switch *effort {
	case "none":
		off := false
		return &off, nil
	case "low", "medium", "high":
		on := true
		return &on, nil
	}
	return nil, fmt.Errorf("invalid reasoning_effort %q", *effort)
}

type oaChoice struct {
	Index        int      `json:"index"`
	Delta        *oaDelta `json:"delta,omitempty"`
	Message      *oaDelta `json:"message,omitempty"`
	FinishReason *string  `json:"finish_reason"`
}

type oaUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type oaResponse struct {
	ID                string     `json:"id"`
	Object            string     `json:"object"`
	Created           int64      `json:"created"`
	Model             string     `json:"model"`
	SystemFingerprint string     `json:"system_fingerprint"`
	Choices           []oaChoice `json:"choices"`
	Usage             *oaUsage   `json:"usage,omitempty"`
}

// writeOAError sends the OpenAI error shape as Ollama's middleware does.
func writeOAError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": oaError(status, msg)})
}

func oaError(status int, msg string) map[string]any {
	typ := "api_error"
	switch status {
	case http.StatusBadRequest:
		typ = "invalid_request_error"
	case http.StatusNotFound:
		typ = "not_found_error"
	}
	return map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}
}

func (s *Server) handleOpenAI(w http.ResponseWriter, r *http.Request) {
	var req oaRequest
	if !decodeBody(w, r, &req, writeOAError) {
		return
	}
	msgs := make([]Message, 0, len(req.Messages))
	for _, m := range req.Messages {
		msgs = append(msgs, Message{Role: strings.ToLower(m.Role), Content: string(m.Content)})
	}
	think, err := oaThink(req.ReasoningEffort)
	sp := jobSpec{model: req.Model, msgs: msgs, stream: req.Stream, maxTokens: req.MaxTokens, think: think}
	switch {
	case err != nil:
		writeOAError(w, http.StatusBadRequest, err.Error())
		return
	case strings.TrimSpace(req.Model) == "":
		writeOAError(w, http.StatusBadRequest, "model is required")
		return
	case !s.installed(req.Model):
		sp.status = http.StatusNotFound
		s.startJob(r, sp)
		writeOAError(w, http.StatusNotFound, fmt.Sprintf("model '%s' not found", req.Model))
		return
	case len(msgs) == 0:
		writeOAError(w, http.StatusBadRequest, "[] is too short - 'messages'")
		return
	case isMarked(req.Model, MarkerBroken):
		sp.status = http.StatusInternalServerError
		s.startJob(r, sp)
		writeOAError(w, http.StatusInternalServerError, loadFailure(req.Model))
		return
	}
	sp.status = http.StatusOK
	j := s.startJob(r, sp)
	base := oaResponse{
		ID:                fmt.Sprintf("chatcmpl-%d", s.id()),
		Created:           time.Now().Unix(),
		Model:             req.Model,
		SystemFingerprint: "fp_ollama",
	}
	finish := j.doneReason
	usage := &oaUsage{PromptTokens: j.promptSize, CompletionTokens: len(j.tokens), TotalTokens: j.promptSize + len(j.tokens)}

	if !req.Stream {
		var text strings.Builder
		err := j.pace(r.Context(), func(_ int, tok string) error { text.WriteString(tok); return nil })
		j.finish(r.URL.Path, err)
		switch {
		case errors.Is(err, errFailed):
			writeOAError(w, http.StatusInternalServerError, failMessage)
		case err == nil || errors.Is(err, errRepeatCut):
			msg := &oaDelta{Role: "assistant", Content: text.String()}
			if j.thinking {
				msg = &oaDelta{Role: "assistant", Reasoning: text.String()}
			}
			base.Object = "chat.completion"
			base.Choices = []oaChoice{{Message: msg, FinishReason: &finish}}
			base.Usage = usage
			writeJSON(w, http.StatusOK, base)
		}
		return
	}

	base.Object = "chat.completion.chunk"
	send := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return err
		}
		return flush(w)
	}
	chunk := func(d *oaDelta, reason *string) oaResponse {
		c := base
		c.Choices = []oaChoice{{Delta: d, FinishReason: reason}}
		return c
	}
	err = j.pace(r.Context(), func(i int, tok string) error {
		d := &oaDelta{Role: "assistant", Content: tok}
		if j.thinking {
			d.Content, d.Reasoning = "", tok
		}
		if i == 0 {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Cache-Control", "no-cache")
		}
		return send(chunk(d, nil))
	})
	j.close()
	switch {
	case errors.Is(err, errFailed):
		_ = send(map[string]any{"error": oaError(http.StatusInternalServerError, failMessage)})
	case err == nil:
		err = send(chunk(&oaDelta{Role: "assistant"}, &finish))
		if err == nil && req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
			u := base
			u.Choices, u.Usage = []oaChoice{}, usage
			err = send(u)
		}
		if err == nil {
			_, err = fmt.Fprint(w, "data: [DONE]\n\n")
		}
		if err == nil {
			err = flush(w)
		}
	}
	j.finish(r.URL.Path, err)
}
