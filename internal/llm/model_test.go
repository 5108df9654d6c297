package llm

import (
	"context"
	"errors"
	"testing"
)

func TestParseModel(t *testing.T) {
	tests := []struct {
		in, provider, name string
		wantErr            bool
	}{
		{in: "ollama/llama3.2:3b", provider: "ollama", name: "llama3.2:3b"},
		{in: "openai/gpt-4o-mini", provider: "openai", name: "gpt-4o-mini"},
		{in: "openai/meta-llama/llama-3.1-8b-instruct", provider: "openai", name: "meta-llama/llama-3.1-8b-instruct"},
		{in: "mistral", provider: "ollama", name: "mistral"},
		{in: "foo/bar", provider: "ollama", name: "foo/bar"},
		{in: "ollama/foo/bar:7b", provider: "ollama", name: "foo/bar:7b"},
		{in: " OpenAI/gpt-4o ", provider: "openai", name: "gpt-4o"},
		{in: "", wantErr: true},
		{in: "   ", wantErr: true},
		{in: "ollama/", wantErr: true},
		{in: "openai/ ", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, n, err := ParseModel(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidModel) {
					t.Fatalf("ParseModel(%q) err = %v, want ErrInvalidModel", tt.in, err)
				}
				return
			}
			if err != nil || p != tt.provider || n != tt.name {
				t.Fatalf("ParseModel(%q) = %q, %q, %v; want %q, %q", tt.in, p, n, err, tt.provider, tt.name)
			}
		})
	}
}

// fakeClient records the request and answers with its name.
type fakeClient struct {
	name  string
	model string
}

func (f *fakeClient) Chat(_ context.Context, req Request, fn func(string) error) (string, error) {
	f.model = req.Model
	if fn != nil {
		if err := fn(f.name); err != nil {
			return "", err
		}
	}
	return f.name, nil
}

func TestRouter(t *testing.T) {
	tests := []struct {
		model, wantClient, wantModel, backend string
		wantErr                               error
		noOpenAI                              bool
	}{
		{model: "ollama/llama3.2:3b", wantClient: "ollama", wantModel: "llama3.2:3b", backend: "ollama"},
		{model: "mistral:7b", wantClient: "ollama", wantModel: "mistral:7b", backend: "ollama"},
		{model: "openai/gpt-4o-mini", wantClient: "openai", wantModel: "gpt-4o-mini", backend: "openai"},
		{model: "openai/gpt-4o-mini", noOpenAI: true, wantErr: ErrNotConfigured, backend: "openai"},
		{model: "", wantErr: ErrInvalidModel, backend: "ollama"},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			o, oa := &fakeClient{name: "ollama"}, &fakeClient{name: "openai"}
			r := &Router{Ollama: o}
			if !tt.noOpenAI {
				r.OpenAI = oa
			}
			if got := r.Backend(tt.model); got != tt.backend {
				t.Errorf("Backend(%q) = %q, want %q", tt.model, got, tt.backend)
			}
			var chunk string
			text, err := r.Chat(context.Background(), Request{Model: tt.model}, func(c string) error { chunk = c; return nil })
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if o.model != "" || oa.model != "" {
					t.Fatalf("a client was called")
				}
				return
			}
			if err != nil || text != tt.wantClient || chunk != tt.wantClient {
				t.Fatalf("Chat = %q (chunk %q), %v; want client %q", text, chunk, err, tt.wantClient)
			}
			if got := map[string]*fakeClient{"ollama": o, "openai": oa}[tt.wantClient].model; got != tt.wantModel {
				t.Errorf("client got model %q, want %q", got, tt.wantModel)
			}
		})
	}
}

func TestRouterTypedNilClient(t *testing.T) {
	var oa *OpenAI // e.g. built only when OPENAI_BASE_URL is set
	r := &Router{OpenAI: oa}
	if _, err := r.Chat(context.Background(), Request{Model: "openai/x"}, nil); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("err = %v, want ErrNotConfigured", err)
	}
}
