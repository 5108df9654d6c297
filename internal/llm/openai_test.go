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

func TestOpenAIChatStreams(t *testing.T) {
	tests := []struct {
		name     string
		base     string // appended to the server URL
		key      string
		wantAuth string
	}{
		{name: "bare base with key", base: "", key: "sk-test-123", wantAuth: "Bearer sk-test-123"},
		{name: "base ending in /v1", base: "/v1/", key: "sk-x", wantAuth: "Bearer sk-x"},
		{name: "no key sends no header", base: "", key: "", wantAuth: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got openaiChatRequest
			var gotAuth, gotPath string
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				gotPath, gotAuth = r.URL.Path, r.Header.Get("Authorization")
				if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				w.Header().Set("Content-Type", "text/event-stream")
				write(w, ": OPENROUTER PROCESSING\n\n")
				write(w, `data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`+"\n\n")
				write(w, openaiChunkLine("Hel"))
				write(w, ": OPENROUTER PROCESSING\n\n")
				write(w, "event: message\n"+openaiChunkLine("lo"))
				write(w, `data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"reasoning":"hmm","content":null},"finish_reason":null}]}`+"\n\n")
				write(w, `data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n")
				write(w, `data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`+"\n\n")
				write(w, "data: [DONE]\n\n")
			})
			var chunks []string
			temp := 0.2
			text, err := NewOpenAI(srv.URL+tt.base, tt.key, nil, time.Minute).Chat(context.Background(), Request{
				Model:    "gpt-4o-mini",
				Messages: []Message{{Role: "user", Content: "hi"}},
				Options:  Options{Temperature: &temp, MaxTokens: 50},
			}, func(c string) error { chunks = append(chunks, c); return nil })
			if err != nil {
				t.Fatalf("Chat: %v", err)
			}
			if text != "Hello" || strings.Join(chunks, "|") != "Hel|lo" {
				t.Errorf("text %q chunks %q", text, chunks)
			}
			if gotPath != "/v1/chat/completions" {
				t.Errorf("path = %q", gotPath)
			}
			if gotAuth != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", gotAuth, tt.wantAuth)
			}
			if got.Model != "gpt-4o-mini" || !got.Stream || got.MaxTokens != 50 || got.Temperature == nil || *got.Temperature != 0.2 || got.Seed != nil {
				t.Errorf("request = %+v", got)
			}
		})
	}
}

func TestOpenAIResponses(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		ctype    string
		body     string
		want     []error // nil: success
		wantText string
		contains string // in Error()
		detail   string // in Detail(err) and not in Error()
		code     int    // expected StatusError code, 0 = none
	}{
		{
			name: "finish without DONE is complete", status: 200, ctype: "text/event-stream",
			body:     openaiChunkLine("Hi") + `data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}` + "\n\n",
			wantText: "Hi",
		},
		{
			name: "non-streaming answer", status: 200, ctype: "application/json",
			body:     "{\n  \"id\": \"chatcmpl-1\", \"object\": \"chat.completion\",\n  \"choices\": [{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Whole\"},\"finish_reason\":\"stop\"}]\n}\n",
			wantText: "Whole",
		},
		{
			name: "ends without finish after an answer", status: 200, ctype: "text/event-stream",
			body:     openaiChunkLine("Hi"),
			wantText: "Hi",
		},
		{
			name: "ends early before any answer", status: 200, ctype: "text/event-stream",
			body: `data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n",
			want: []error{ErrBadResponse}, contains: "ended early",
		},
		{
			name: "model not found", status: 404, ctype: "application/json",
			body: `{"error":{"message":"model 'gpt-x' not found","type":"not_found_error","param":null,"code":null}}`,
			want: []error{ErrModelNotFound}, contains: "model gpt-x not found on the OpenAI-compatible server", detail: "model 'gpt-x' not found",
		},
		{
			name: "openrouter auth error", status: 401, ctype: "application/json",
			body: `{"error":{"code":401,"message":"No auth credentials found"}}`,
			want: []error{ErrUpstream}, contains: "status 401", detail: "No auth credentials found (code 401)", code: 401,
		},
		{
			name: "llama.cpp loading", status: 503, ctype: "application/json",
			body: `{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`,
			want: []error{ErrUpstream}, contains: "status 503", detail: "Loading model", code: 503,
		},
		{
			name: "flat vllm error", status: 400, ctype: "application/json",
			body: `{"object":"error","message":"max_tokens is too large","type":"BadRequestError","code":400}`,
			want: []error{ErrUpstream}, contains: "status 400", detail: "max_tokens is too large", code: 400,
		},
		{
			name: "html 502", status: 502, ctype: "text/html",
			body: "<html><head><title>502 Bad Gateway</title></head><body>" + strings.Repeat("x", 5000) + "</body></html>",
			want: []error{ErrBadResponse, ErrUpstream}, contains: "502 Bad Gateway", code: 502,
		},
		{
			name: "in-band error as string", status: 200, ctype: "text/event-stream",
			body: openaiChunkLine("Hi") + `data: {"error":"upstream exploded"}` + "\n\n",
			want: []error{ErrUpstream}, wantText: "Hi", contains: "error during the answer", detail: "upstream exploded",
		},
		{
			name: "in-band error object with int code", status: 200, ctype: "text/event-stream",
			body: openaiChunkLine("Hi") + `data: {"id":"x","object":"chat.completion.chunk","error":{"code":502,"message":"Provider disconnected"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}` + "\n\n",
			want: []error{ErrUpstream}, wantText: "Hi", contains: "error during the answer", detail: "Provider disconnected (code 502)",
		},
		{
			name: "in-band error object with string code", status: 200, ctype: "text/event-stream",
			body: `data: {"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}` + "\n\n",
			want: []error{ErrUpstream}, contains: "error during the answer", detail: "Rate limit reached (code rate_limit_exceeded)",
		},
		{
			name: "malformed data", status: 200, ctype: "text/event-stream",
			body: "data: {\"choices\":[\n\n",
			want: []error{ErrBadResponse}, contains: "malformed",
		},
		{
			name: "not sse at all", status: 200, ctype: "text/plain",
			body: "hello there\n",
			want: []error{ErrBadResponse},
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
			text, err := NewOpenAI(srv.URL, "k", nil, time.Minute).Chat(context.Background(), Request{Model: "gpt-x"}, nil)
			if text != tt.wantText {
				t.Errorf("text = %q, want %q", text, tt.wantText)
			}
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Chat: %v", err)
				}
				return
			}
			errIs(t, err, tt.want...)
			if msg := err.Error(); !strings.Contains(msg, tt.contains) || len(msg) > 400 || strings.Contains(msg, "<") {
				t.Errorf("message %q: want it short, tag-free and containing %q", msg, tt.contains)
			}
			if tt.detail != "" && (!strings.Contains(Detail(err), tt.detail) || strings.Contains(err.Error(), tt.detail)) {
				t.Errorf("detail %q should hold %q, message %q should not", Detail(err), tt.detail, err)
			}
			var se *StatusError
			if tt.code != 0 && (!errors.As(err, &se) || se.StatusCode != tt.code || se.Provider != "openai") {
				t.Errorf("want *StatusError with status %d, got %#v", tt.code, se)
			}
		})
	}
}

func TestOpenAIErrorsNeverContainKey(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		drain(r)
		w.WriteHeader(http.StatusUnauthorized)
		write(w, `{"error":{"message":"bad key","code":401}}`)
	})
	_, err := NewOpenAI(srv.URL, "sk-secret-value", nil, time.Minute).Chat(context.Background(), Request{Model: "m"}, nil)
	if err == nil || strings.Contains(err.Error(), "sk-secret-value") || strings.Contains(err.Error(), "bad key") {
		t.Fatalf("err = %v", err)
	}
}
