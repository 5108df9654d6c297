package ollamasim

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// nativeFrame is an /api/chat or /api/generate object as a client sees it.
type nativeFrame struct {
	Model     string `json:"model"`
	CreatedAt string `json:"created_at"`
	Message   *struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"message"`
	Response     *string `json:"response"`
	Done         bool    `json:"done"`
	DoneReason   string  `json:"done_reason"`
	TotalDur     int64   `json:"total_duration"`
	LoadDur      int64   `json:"load_duration"`
	PromptCount  int     `json:"prompt_eval_count"`
	EvalCount    int     `json:"eval_count"`
	EvalDuration int64   `json:"eval_duration"`
	Context      []int   `json:"context"`
	Error        string  `json:"error"`
}

func decodeFrames(t *testing.T, body string) []nativeFrame {
	t.Helper()
	var out []nativeFrame
	for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		var f nativeFrame
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, f)
	}
	return out
}

func TestNativeStreamingShapes(t *testing.T) {
	_, srv := start(t, Options{Models: []string{"llama3.2:3b", "mistral"}})
	msgs := userMsgs("a red fox in the snow")
	want := Reply("llama3.2:3b", msgs)
	tests := []struct {
		name, path, body, model string
		chat                    bool
	}{
		{name: "chat", path: "/api/chat", chat: true, model: "llama3.2:3b",
			body: `{"model":"llama3.2:3b","messages":[{"role":"System","content":"Rewrite the prompt as a poem."},{"role":"user","content":"a red fox in the snow"}]}`},
		{name: "generate", path: "/api/generate", model: "llama3.2:3b",
			body: `{"model":"llama3.2:3b","system":"Rewrite the prompt as a poem.","prompt":"a red fox in the snow","stream":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, context.Background(), srv.URL+tt.path, tt.body)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
				t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			raw := readAll(t, resp)
			frames := decodeFrames(t, raw)
			if len(frames) != len(Tokens(want))+1 {
				t.Fatalf("%d frames for %d tokens", len(frames), len(Tokens(want)))
			}
			var text strings.Builder
			for i, f := range frames {
				ts, err := time.Parse(time.RFC3339Nano, f.CreatedAt)
				if err != nil || ts.Location() != time.UTC || f.Model != tt.model {
					t.Fatalf("frame %d: created_at %q (%v), model %q", i, f.CreatedAt, err, f.Model)
				}
				if tt.chat {
					if f.Message == nil || f.Message.Role != "assistant" || f.Response != nil {
						t.Fatalf("frame %d is not a chat frame: %+v", i, f)
					}
					text.WriteString(f.Message.Content)
				} else {
					if f.Response == nil || f.Message != nil {
						t.Fatalf("frame %d is not a generate frame: %+v", i, f)
					}
					text.WriteString(*f.Response)
				}
				last := i == len(frames)-1
				if f.Done != last || (f.TotalDur > 0) != last || (f.DoneReason != "") != last {
					t.Fatalf("frame %d: done=%v total=%d reason=%q", i, f.Done, f.TotalDur, f.DoneReason)
				}
			}
			if text.String() != want {
				t.Errorf("text %q, want %q", text.String(), want)
			}
			final := frames[len(frames)-1]
			if final.DoneReason != "stop" || final.EvalCount != len(Tokens(want)) || final.PromptCount == 0 ||
				final.LoadDur <= 0 || final.EvalDuration <= 0 || final.TotalDur < final.EvalDuration {
				t.Errorf("final frame metrics %+v", final)
			}
			if (len(final.Context) > 0) == tt.chat {
				t.Errorf("context %v: generate carries it, chat does not", final.Context)
			}
			// Non-final frames must not carry metric keys at all (omitempty).
			first := lines(t, strings.NewReader(raw))[0]
			for _, k := range []string{"total_duration", "eval_count", "done_reason", "context"} {
				if _, ok := first[k]; ok {
					t.Errorf("first frame has %q", k)
				}
			}
		})
	}
}

func TestNativeNonStreamingAndLoad(t *testing.T) {
	_, srv := start(t, Options{Models: []string{"mistral"}})
	want := Reply("mistral", []Message{{Role: "user", Content: "ein Haus am See"}})
	tests := []struct {
		name, path, body, reason, text string
	}{
		{name: "chat whole", path: "/api/chat", reason: "stop", text: want,
			body: `{"model":"mistral","stream":false,"messages":[{"role":"user","content":"ein Haus am See"}]}`},
		{name: "generate whole", path: "/api/generate", reason: "stop", text: want,
			body: `{"model":"mistral:latest","stream":false,"prompt":"ein Haus am See"}`},
		{name: "chat load", path: "/api/chat", reason: "load", body: `{"model":"mistral"}`},
		{name: "generate unload", path: "/api/generate", reason: "unload", body: `{"model":"mistral","keep_alive":0}`},
		{name: "chat length", path: "/api/chat", reason: "length", text: strings.Join(Tokens(want)[:2], ""),
			body: `{"model":"mistral","stream":false,"options":{"num_predict":2},"messages":[{"role":"user","content":"ein Haus am See"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, context.Background(), srv.URL+tt.path, tt.body)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			frames := decodeFrames(t, readAll(t, resp))
			if len(frames) != 1 {
				t.Fatalf("%d objects, want 1", len(frames))
			}
			f := frames[0]
			text := ""
			if f.Message != nil {
				text = f.Message.Content
			} else if f.Response != nil {
				text = *f.Response
			}
			if !f.Done || f.DoneReason != tt.reason || text != tt.text {
				t.Errorf("got done=%v reason=%q text=%q; want reason %q text %q", f.Done, f.DoneReason, text, tt.reason, tt.text)
			}
		})
	}
}

func TestInfoRoutes(t *testing.T) {
	_, srv := start(t, Options{Models: []string{"llama3.2:3b", "mistral"}})
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		for path, want := range map[string]string{"/": "Ollama is running", "/api/version": `{"version":"` + Version + `"}`} {
			req, _ := http.NewRequest(method, srv.URL+path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			resp.Body.Close()
			if resp.StatusCode != 200 || (method == http.MethodGet && strings.TrimSpace(body) != want) {
				t.Errorf("%s %s = %d %q", method, path, resp.StatusCode, body)
			}
		}
	}
	resp, err := http.Get(srv.URL + "/api/tags")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tags struct {
		Models []struct {
			Name, Model, Digest string
			ModifiedAt          time.Time `json:"modified_at"`
			Size                int64
			Details             struct {
				Format, Family    string
				ParameterSize     string `json:"parameter_size"`
				QuantizationLevel string `json:"quantization_level"`
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&tags); err != nil {
		t.Fatal(err)
	}
	if len(tags.Models) != 2 || tags.Models[0].Name != "llama3.2:3b" || tags.Models[1].Name != "mistral:latest" {
		t.Fatalf("tags = %+v", tags.Models)
	}
	m := tags.Models[0]
	if m.Model != m.Name || len(m.Digest) != 64 || m.Size <= 0 || m.ModifiedAt.IsZero() || m.Details.Format != "gguf" || m.Details.Family != "llama" {
		t.Errorf("model entry %+v", m)
	}
}

func TestErrorShapes(t *testing.T) {
	sim, srv := start(t, Options{Models: []string{"llama3.2:3b"}})
	tests := []struct {
		name, method, path, body string
		status                   int
		native                   string // the {"error":...} text, for native routes
		openai                   string // error.type, for /v1 routes
	}{
		{name: "unknown model chat", method: "POST", path: "/api/chat", body: `{"model":"nope","messages":[{"role":"user","content":"x"}]}`, status: 404, native: "model 'nope' not found"},
		{name: "unknown tag", method: "POST", path: "/api/generate", body: `{"model":"llama3.2:1b","prompt":"x"}`, status: 404, native: "model 'llama3.2:1b' not found"},
		{name: "bad json", method: "POST", path: "/api/chat", body: `{"model":`, status: 400, native: "unexpected EOF"},
		{name: "missing body", method: "POST", path: "/api/chat", body: ``, status: 400, native: "missing request body"},
		{name: "missing model", method: "POST", path: "/api/chat", body: `{"messages":[]}`, status: 400, native: "model is required"},
		{name: "unknown model openai", method: "POST", path: "/v1/chat/completions", body: `{"model":"nope","messages":[{"role":"user","content":"x"}]}`, status: 404, openai: "not_found_error"},
		{name: "missing body openai", method: "POST", path: "/v1/chat/completions", body: ``, status: 400, openai: "invalid_request_error"},
		{name: "wrong method", method: "GET", path: "/api/chat", status: 405},
		{name: "wrong method tags", method: "POST", path: "/api/tags", status: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body := readAll(t, resp)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tt.status, body)
			}
			switch {
			case tt.native != "":
				var e struct{ Error string }
				if err := json.Unmarshal([]byte(body), &e); err != nil || !strings.Contains(e.Error, tt.native) {
					t.Errorf("body %q, want error %q", body, tt.native)
				}
			case tt.openai != "":
				var e struct {
					Error struct{ Message, Type string }
				}
				if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Type != tt.openai || e.Error.Message == "" {
					t.Errorf("body %q, want error type %q", body, tt.openai)
				}
			}
		})
	}
	if n := len(sim.Requests()); n != 3 {
		t.Errorf("%d recorded requests, want the 3 unknown-model ones", n)
	}
}

func TestStartupDelay(t *testing.T) {
	_, srv := start(t, Options{StartupDelay: 150 * time.Millisecond})
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "server is starting") {
		t.Fatalf("during startup: %d %q", resp.StatusCode, body)
	}
	within(t, 2*time.Second, "the simulator to come up", func() bool {
		resp, err := http.Get(srv.URL + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}
