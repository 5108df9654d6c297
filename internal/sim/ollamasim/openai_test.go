package ollamasim

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

type oaChunkT struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta *struct {
			Role    *string `json:"role"`
			Content *string `json:"content"`
		} `json:"delta"`
		Message *struct {
			Role, Content string
		} `json:"message"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
	Error *struct {
		Message, Type string
	} `json:"error"`
}

func TestOpenAIStreamShape(t *testing.T) {
	_, srv := start(t, Options{Models: []string{"llama3.2:3b"}})
	body := `{"model":"llama3.2:3b","stream":true,"stream_options":{"include_usage":true},` +
		`"messages":[{"role":"system","content":"Rewrite the prompt as a poem."},{"role":"user","content":[{"type":"text","text":"a red fox "},{"type":"text","text":"in the snow"}]}]}`
	resp := post(t, context.Background(), srv.URL+"/v1/chat/completions", body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	data := sseData(t, readAll(t, resp))
	want := Reply("llama3.2:3b", userMsgs("a red fox in the snow"))
	n := len(Tokens(want))
	if len(data) != n+3 || data[len(data)-1] != "[DONE]" {
		t.Fatalf("%d events for %d tokens; last %q", len(data), n, data[len(data)-1])
	}
	var text strings.Builder
	var id string
	for i, d := range data[:len(data)-1] {
		var c oaChunkT
		if err := json.Unmarshal([]byte(d), &c); err != nil {
			t.Fatalf("event %d %q: %v", i, d, err)
		}
		if i == 0 {
			id = c.ID
		}
		if c.Object != "chat.completion.chunk" || c.ID != id || !strings.HasPrefix(id, "chatcmpl-") || c.Model != "llama3.2:3b" || c.Created == 0 {
			t.Fatalf("event %d header fields: %+v", i, c)
		}
		switch {
		case i < n:
			ch := c.Choices[0]
			if ch.FinishReason != nil || ch.Delta == nil || ch.Delta.Content == nil || ch.Delta.Role == nil || *ch.Delta.Role != "assistant" {
				t.Fatalf("content event %d: %s", i, d)
			}
			text.WriteString(*ch.Delta.Content)
		case i == n:
			ch := c.Choices[0]
			// As captured: {"role":"assistant","content":""} with the reason.
			if ch.FinishReason == nil || *ch.FinishReason != "stop" || ch.Delta == nil || ch.Delta.Content == nil || *ch.Delta.Content != "" ||
				ch.Delta.Role == nil || *ch.Delta.Role != "assistant" {
				t.Fatalf("finish event: %s", d)
			}
		default:
			if len(c.Choices) != 0 || c.Usage == nil || c.Usage.CompletionTokens != n || c.Usage.TotalTokens != c.Usage.PromptTokens+n {
				t.Fatalf("usage event: %s", d)
			}
		}
	}
	if text.String() != want {
		t.Errorf("text %q, want %q", text.String(), want)
	}
}

func TestOpenAINonStreaming(t *testing.T) {
	_, srv := start(t, Options{Models: []string{"llama3.2:3b"}})
	resp := post(t, context.Background(), srv.URL+"/v1/chat/completions",
		`{"model":"llama3.2:3b","max_tokens":3,"messages":[{"role":"user","content":"a red fox"}]}`)
	var c oaChunkT
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	want := strings.Join(Tokens(Reply("llama3.2:3b", []Message{{Role: "user", Content: "a red fox"}}))[:3], "")
	if c.Object != "chat.completion" || len(c.Choices) != 1 || c.Choices[0].Message == nil ||
		c.Choices[0].Message.Content != want || *c.Choices[0].FinishReason != "length" || c.Usage == nil || c.Usage.CompletionTokens != 3 {
		t.Fatalf("response %+v", c)
	}
}
