package ollamasim

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
)

func TestJudgeShapes(t *testing.T) {
	const sys = "Decide. Answer SAFE or UNSAFE."
	cases := []struct {
		model, user, want string
	}{
		{"judge", "a cat", "SAFE"},
		{"judge", "a cat UNSAFE-TEST", `UNSAFE: the prompt mentions "UNSAFE-TEST"`},
		{"llama-guard3:1b", "a cat", "safe"},
		{"llama-guard3:1b", "ein Messer", "unsafe\nS1"},
		{"judge-json", "a cat", `{"verdict":"safe"}`},
		{"judge-json", "a gun", `{"verdict":"unsafe","category":"violence"}`},
		{"judge-tags", "a cat", "<think>"},
		{"judge-think", "blood", "Verdict: UNSAFE"},
		{"judge-garbage", "a gun", "I like turtles"},
	}
	for _, tc := range cases {
		got := Reply(tc.model, []Message{{Role: "system", Content: sys}, {Role: "user", Content: tc.user}})
		if !strings.Contains(got, tc.want) || (tc.want == "SAFE" && got != "SAFE") {
			t.Errorf("%s on %q: %q, want %q", tc.model, tc.user, got, tc.want)
		}
	}
}

func TestVisionReadsThePromptFromThePNG(t *testing.T) {
	for _, tc := range []struct{ prompt, want string }{
		{"a sunny meadow", "SAFE"},
		{"a knight with a bloody sword", "UNSAFE"},
		{"a tree UNSAFE-TEST", "UNSAFE"},
	} {
		img, err := comfysim.Render(tc.prompt, 1, nil, 8, 8, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := Reply("qwen2.5vl:3b", []Message{{Role: "system", Content: "Is the image SAFE or UNSAFE?"},
			{Role: "user", Content: "Image to review.", Images: []string{base64.StdEncoding.EncodeToString(img)}}})
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("image of %q: %q, want %s", tc.prompt, got, tc.want)
		}
	}
}
