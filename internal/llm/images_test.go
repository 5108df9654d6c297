package llm

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestImagesOnTheWire: a message's images travel base64-encoded, as
// Ollama's "images" and as OpenAI's image_url data-URL parts.
func TestImagesOnTheWire(t *testing.T) {
	img := []byte("\x89PNG\r\n\x1a\nfake")
	b64 := base64.StdEncoding.EncodeToString(img)
	cases := []struct {
		name   string
		client func(url string) chatter
		answer string
		check  func(t *testing.T, body map[string]any)
	}{
		{"ollama", func(u string) chatter { return NewOllama(u, nil, 0) }, ollamaChunk("SAFE") + ollamaFinal(""),
			func(t *testing.T, body map[string]any) {
				msg := body["messages"].([]any)[0].(map[string]any)
				imgs, _ := msg["images"].([]any)
				if len(imgs) != 1 || imgs[0] != b64 || msg["content"] != "look" {
					t.Fatalf("ollama message %v", msg)
				}
			}},
		{"openai", func(u string) chatter { return NewOpenAI(u, "", nil, 0) }, openaiChunkLine("SAFE") + openaiFinal(),
			func(t *testing.T, body map[string]any) {
				parts, _ := body["messages"].([]any)[0].(map[string]any)["content"].([]any)
				if len(parts) != 2 {
					t.Fatalf("openai content %v", body["messages"])
				}
				url := parts[1].(map[string]any)["image_url"].(map[string]any)["url"]
				if parts[0].(map[string]any)["text"] != "look" || url != "data:image/png;base64,"+b64 {
					t.Fatalf("openai parts %v", parts)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan map[string]any, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				raw, _ := io.ReadAll(r.Body)
				var body map[string]any
				_ = json.Unmarshal(raw, &body)
				got <- body
				_, _ = io.WriteString(w, tc.answer)
			}))
			defer srv.Close()
			text, err := tc.client(srv.URL).Chat(context.Background(), Request{Model: "m",
				Messages: []Message{{Role: "user", Content: "look", Images: [][]byte{img}}}}, nil)
			if err != nil || text != "SAFE" {
				t.Fatalf("chat = %q, %v", text, err)
			}
			tc.check(t, <-got)
		})
	}
}
