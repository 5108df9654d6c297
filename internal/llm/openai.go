package llm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// OpenAI is a client of an OpenAI-compatible chat completions API
// (POST /v1/chat/completions, SSE streaming). It is safe for concurrent use.
type OpenAI struct {
	t      transport
	url    string
	apiKey string
}

// NewOpenAI returns a client for the server at baseURL: either a bare base
// such as http://host:port (then /v1/chat/completions is appended) or a base
// already ending in /v1 (then /chat/completions is appended). The bearer
// header is sent only when apiKey is non-empty. hc nil means
// http.DefaultClient; timeout bounds each generation as for NewOllama
// (0 = none); opts set the other limits and the logger.
func NewOpenAI(baseURL, apiKey string, hc *http.Client, timeout time.Duration, opts ...Option) *OpenAI {
	base := strings.TrimRight(baseURL, "/")
	endpoint := base + "/v1/chat/completions"
	if strings.HasSuffix(base, "/v1") {
		endpoint = base + "/chat/completions"
	}
	return &OpenAI{t: newTransport("openai", base, hc, timeout, opts), url: endpoint, apiKey: apiKey}
}

type openaiChatRequest struct {
	Model       string          `json:"model"`
	Messages    []openaiMessage `json:"messages"`
	Stream      bool            `json:"stream"`
	Temperature *float64        `json:"temperature,omitempty"`
	TopP        *float64        `json:"top_p,omitempty"`
	MaxTokens   int             `json:"max_tokens,omitempty"`
	Seed        *int64          `json:"seed,omitempty"`
}

// openaiChunk is a streamed chunk or, tolerantly, a non-streaming answer.
type openaiChunk struct {
	Error   json.RawMessage `json:"error"`
	Object  string          `json:"object"`
	Message string          `json:"message"`
	Choices []struct {
		Delta        openaiText  `json:"delta"`
		Message      *openaiText `json:"message"`
		FinishReason *string     `json:"finish_reason"`
	} `json:"choices"`
}

// openaiText is a delta or a message: answer text and, from servers that
// stream reasoning, the thinking text under one of its two usual names.
type openaiText struct {
	Content          string `json:"content"`
	ReasoningContent string `json:"reasoning_content"`
	Reasoning        string `json:"reasoning"`
}

// Chat streams a chat completion. req.Model is the server's model name
// without provider prefix. req.Think is not sent (OpenAI-compatible servers
// share no switch for it); reasoning text is kept apart from the answer. A
// blank answer is ErrEmptyAnswer. A nil client answers ErrNotConfigured.
func (o *OpenAI) Chat(ctx context.Context, req Request, fn func(chunk string) error) (string, error) {
	res, err := o.ChatResult(ctx, req, fn)
	return textOnly("openai", res, err)
}

// ChatResult is Chat returning the whole Result (see ResultClient).
func (o *OpenAI) ChatResult(ctx context.Context, req Request, fn func(chunk string) error) (Result, error) {
	if o == nil {
		return Result{}, newKindError(ErrNotConfigured, nil, "llm: %s client is not configured", "openai")
	}
	body, err := json.Marshal(openaiChatRequest{
		Model:       req.Model,
		Messages:    openaiMessages(req.Messages),
		Stream:      true,
		Temperature: req.Options.Temperature,
		TopP:        req.Options.TopP,
		MaxTokens:   req.Options.MaxTokens,
		Seed:        req.Options.Seed,
	})
	if err != nil {
		return Result{}, newKindError(ErrBadResponse, err, "llm: openai: encode request")
	}
	h := http.Header{
		"Content-Type": {"application/json"},
		"Accept":       {"text/event-stream"},
	}
	if o.apiKey != "" {
		h.Set("Authorization", "Bearer "+o.apiKey)
	}
	model := req.Model
	res, err := o.t.run(ctx, exchange{
		url:    o.url,
		body:   body,
		header: h,
		model:  model,
		limit:  o.t.answerCap(req.Options),
		notFound: func(msg string) error {
			return withDetail(ErrModelNotFound, msg, fmt.Sprintf("llm: model %s not found on the OpenAI-compatible server at %s", model, o.t.display))
		},
		read: o.read,
	}, fn)
	return answered("openai", res, err)
}

// read consumes an SSE stream, or a plain JSON answer from a server that
// ignored "stream": true.
func (o *OpenAI) read(r io.Reader, c *collector) error {
	sc := newScanner(r)
	finished := false
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		switch {
		case len(line) == 0, line[0] == ':',
			bytes.HasPrefix(line, []byte("event:")), bytes.HasPrefix(line, []byte("id:")), bytes.HasPrefix(line, []byte("retry:")):
			continue
		case line[0] == '{':
			// Not SSE: a whole JSON answer (perhaps spread over lines).
			return o.readJSON(line, sc, c)
		case !bytes.HasPrefix(line, []byte("data:")):
			return o.t.badLine(line, nil)
		}
		payload := bytes.TrimSpace(line[len("data:"):])
		if bytes.Equal(payload, []byte("[DONE]")) {
			return nil
		}
		done, err := o.chunk(payload, c)
		if err != nil {
			return err
		}
		finished = finished || done
	}
	if err := sc.Err(); err != nil {
		return o.t.readErr(err)
	}
	if finished {
		return nil
	}
	return errUnterminated
}

// chunk handles one data payload; done reports a finish_reason.
func (o *OpenAI) chunk(payload []byte, c *collector) (done bool, err error) {
	var ch openaiChunk
	if err := json.Unmarshal(payload, &ch); err != nil {
		return false, o.t.badLine(payload, err)
	}
	if msg, ok := errorMessage(ch.Error); ok {
		return false, withDetail(ErrUpstream, msg, "llm: openai server reported an error during the answer")
	}
	if ch.Object == "error" {
		return false, withDetail(ErrUpstream, ch.Message, "llm: openai server reported an error during the answer")
	}
	for _, choice := range ch.Choices {
		parts := []openaiText{choice.Delta}
		if choice.Message != nil {
			parts = append(parts, *choice.Message)
		}
		for _, p := range parts {
			if err := c.think(p.ReasoningContent + p.Reasoning); err != nil {
				return false, err
			}
			if err := c.emit(p.Content); err != nil {
				return false, err
			}
		}
		if choice.FinishReason != nil && *choice.FinishReason != "" {
			c.doneReason = *choice.FinishReason
			done = true
		}
	}
	return done, nil
}

// readJSON handles a non-streaming answer whose first line is first.
func (o *OpenAI) readJSON(first []byte, sc *bufio.Scanner, c *collector) error {
	body := bytes.NewBuffer(append([]byte(nil), first...))
	for sc.Scan() {
		body.WriteByte('\n')
		body.Write(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		return o.t.readErr(err)
	}
	done, err := o.chunk(bytes.TrimSpace(body.Bytes()), c)
	if err != nil {
		return err
	}
	if !done && c.text.Len() == 0 && c.thinking.Len() == 0 {
		return errUnterminated
	}
	return nil
}

// openaiMessage is a chat message in the OpenAI format: Content is a string,
// or a list of parts when the message carries images.
type openaiMessage struct {
	Role    string `json:"role"`
	Content any    `json:"content"`
}

// openaiPart is one part of a message with images.
type openaiPart struct {
	Type     string          `json:"type"`
	Text     string          `json:"text,omitempty"`
	ImageURL *openaiImageURL `json:"image_url,omitempty"`
}

type openaiImageURL struct {
	URL string `json:"url"`
}

// openaiMessages converts messages to the OpenAI format; images become
// data-URL image_url parts after the text.
func openaiMessages(msgs []Message) []openaiMessage {
	out := make([]openaiMessage, 0, len(msgs))
	for _, m := range msgs {
		if len(m.Images) == 0 {
			out = append(out, openaiMessage{Role: m.Role, Content: m.Content})
			continue
		}
		parts := []openaiPart{{Type: "text", Text: m.Content}}
		for _, img := range m.Images {
			mime := http.DetectContentType(img)
			parts = append(parts, openaiPart{Type: "image_url", ImageURL: &openaiImageURL{
				URL: "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(img)}})
		}
		out = append(out, openaiMessage{Role: m.Role, Content: parts})
	}
	return out
}
