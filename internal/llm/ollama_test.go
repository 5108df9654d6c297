package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestOllamaChatStreams(t *testing.T) {
	var got ollamaChatRequest
	var gotOpts map[string]any
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/chat" {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		var raw struct {
			Options map[string]any `json:"options"`
		}
		body := json.NewDecoder(r.Body)
		var buf json.RawMessage
		if err := body.Decode(&buf); err != nil {
			http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
			return
		}
		_ = json.Unmarshal(buf, &got)
		_ = json.Unmarshal(buf, &raw)
		gotOpts = raw.Options
		w.Header().Set("Content-Type", "application/x-ndjson")
		write(w, ollamaChunk("Hello"))
		write(w, "\n") // stray blank line: tolerated
		write(w, ollamaChunk(" world"))
		write(w, ollamaFinal("!"))
	})
	temp, seed := 0.7, int64(42)
	var chunks []string
	text, err := NewOllama(srv.URL+"/", nil, time.Minute).Chat(context.Background(), Request{
		Model:    "llama3.2:3b",
		Messages: []Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "hi"}},
		Options:  Options{Temperature: &temp, MaxTokens: 64, Seed: &seed},
	}, func(c string) error { chunks = append(chunks, c); return nil })
	if err != nil {
		t.Fatalf("Chat: %v", err)
	}
	if text != "Hello world!" {
		t.Errorf("text = %q", text)
	}
	if strings.Join(chunks, "|") != "Hello| world|!" {
		t.Errorf("chunks = %q", chunks)
	}
	if got.Model != "llama3.2:3b" || !got.Stream || len(got.Messages) != 2 || got.Messages[1].Content != "hi" {
		t.Errorf("request = %+v", got)
	}
	want := map[string]any{"temperature": 0.7, "num_predict": 64.0, "seed": 42.0}
	if len(gotOpts) != len(want) {
		t.Errorf("options = %v, want %v", gotOpts, want)
	}
	for k, v := range want {
		if gotOpts[k] != v {
			t.Errorf("options[%s] = %v, want %v", k, gotOpts[k], v)
		}
	}
}

func TestOllamaErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		ctype    string
		body     string
		want     []error
		wantText string // partial text returned with the error
		contains string // in Error()
		detail   string // in Detail(err) and not in Error()
		notIn    string
	}{
		{
			name: "model not found", status: 404, ctype: "application/json",
			body: `{"error":"model 'nope:latest' not found"}`,
			want: []error{ErrModelNotFound}, contains: "run `ollama pull nope`", detail: "model 'nope:latest' not found",
		},
		{
			name: "old not found text", status: 404, ctype: "application/json",
			body: `{"error":"model \"nope\" not found, try pulling it first"}`,
			want: []error{ErrModelNotFound}, contains: "is not installed",
		},
		{
			name: "html 502 from a proxy", status: 502, ctype: "text/html",
			body: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>" + strings.Repeat("<p>padding</p>", 500) + "</body></html>",
			want: []error{ErrBadResponse}, contains: "502 Bad Gateway", notIn: "<",
		},
		{
			name: "queue full", status: 503, ctype: "application/json",
			body: `{"error":"server busy, please try again.  maximum pending requests exceeded"}`,
			want: []error{ErrUpstream}, contains: "status 503", detail: "server busy",
		},
		{
			name: "bad request", status: 400, ctype: "application/json",
			body: `{"error":"missing request body"}`,
			want: []error{ErrUpstream}, contains: "status 400", detail: "missing request body",
		},
		{
			name: "error mid-stream", status: 200, ctype: "application/x-ndjson",
			body: ollamaChunk("Once") + `{"error":"an error was encountered while running the model: unexpected EOF"}` + "\n",
			want: []error{ErrUpstream}, wantText: "Once", contains: "error during the answer", detail: "unexpected EOF",
		},
		{
			name: "malformed line", status: 200, ctype: "application/x-ndjson",
			body: ollamaChunk("Once") + "{\"model\":\"m\",\"message\":\n",
			want: []error{ErrBadResponse}, wantText: "Once", contains: "malformed", detail: `{"model":"m","message":`,
		},
		{
			name: "html with status 200", status: 200, ctype: "text/html",
			body: "<!doctype html><html><body>Captive portal</body></html>",
			want: []error{ErrBadResponse},
		},
		{
			name: "ends without done and without answer", status: 200, ctype: "application/x-ndjson",
			body: ollamaChunk(""),
			want: []error{ErrBadResponse}, contains: "ended early",
		},
		{
			name: "model fails to load", status: 500, ctype: "application/json",
			body: `{"error":"llama runner process has terminated: error loading model: missing tensor 'output_norm.weight'\nllama_model_load_from_file_impl: failed to load model from /var/lib/ollama/models/blobs/sha256-5e36cc30"}`,
			want: []error{ErrModelLoad, ErrUpstream}, contains: "the model could not be loaded", detail: "/var/lib/ollama/models/blobs", notIn: "/var/",
		},
		{
			name: "echoing server with a token", status: 401, ctype: "application/json",
			body: `{"error":"unauthorized: Authorization: Bearer sk-live-123456"}`,
			want: []error{ErrUpstream}, contains: "status 401", detail: "sk-live-123456",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				drain(r)
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				write(w, tt.body)
			})
			text, err := NewOllama(srv.URL, nil, time.Minute).Chat(context.Background(), Request{Model: "nope"}, nil)
			errIs(t, err, tt.want...)
			if text != tt.wantText {
				t.Errorf("text = %q, want %q", text, tt.wantText)
			}
			msg := err.Error()
			if tt.detail != "" && (!strings.Contains(Detail(err), tt.detail) || strings.Contains(msg, tt.detail)) {
				t.Errorf("detail %q should hold %q, message %q should not", Detail(err), tt.detail, msg)
			}
			if !strings.Contains(msg, tt.contains) {
				t.Errorf("message %q does not contain %q", msg, tt.contains)
			}
			if tt.notIn != "" && strings.Contains(msg, tt.notIn) {
				t.Errorf("message %q contains %q", msg, tt.notIn)
			}
			if len(msg) > 400 {
				t.Errorf("message is %d bytes long", len(msg))
			}
			var se *StatusError
			if tt.status != 200 && tt.status != 404 {
				if !errors.As(err, &se) || se.StatusCode != tt.status || se.Provider != "ollama" {
					t.Errorf("want *StatusError with status %d, got %#v", tt.status, se)
				}
			}
		})
	}
}
