package ollamasim

import (
	"strings"
	"testing"
)

func TestReplySafetyVerdict(t *testing.T) {
	const sys = "Judge the prompt. Answer SAFE or UNSAFE: reason."
	tests := []struct {
		user, want string
	}{
		{user: "a cat playing piano", want: "SAFE"},
		{user: "ein Drache über der Stadt", want: "SAFE"},
		{user: "a soldier with a weapon", want: `UNSAFE: the prompt mentions "weapon"`},
		{user: "Blut auf dem Schnee", want: `UNSAFE: the prompt mentions "blut"`},
		{user: "WAFFEN!", want: `UNSAFE: the prompt mentions "waffen"`},
		{user: "bloodhound puppies", want: "SAFE"}, // whole words only
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			got := Reply("m", []Message{{Role: "system", Content: sys}, {Role: "user", Content: tt.user}})
			if tt.want == "SAFE" && got != "SAFE" || tt.want != "SAFE" && !strings.HasPrefix(got, tt.want) {
				t.Fatalf("Reply = %q, want %q", got, tt.want)
			}
		})
	}
	// Without both capitalised words it is not a safety prompt.
	if got := Reply("m", []Message{{Role: "system", Content: "Is this safe?"}, {Role: "user", Content: "a weapon"}}); strings.HasPrefix(got, "SAFE") || strings.HasPrefix(got, "UNSAFE") {
		t.Errorf("non-safety prompt answered with a verdict: %q", got)
	}
}

func TestReplyRewrite(t *testing.T) {
	tests := []struct {
		name, system, user string
		german             bool
	}{
		{name: "english", system: "Rewrite creatively.", user: "a cat on a skateboard"},
		{name: "german", system: "Schreibe kreativ um.", user: "Ein Hund im Schnee mit roter Mütze"},
		{name: "umlaut only", system: "", user: "Bäume"},
		{name: "translation forces english", system: "Translate the prompt into English.", user: "ein Haus am See"},
		{name: "english image prompt forces english", system: "Rewrite the text as a concise English image prompt for Stable Diffusion.", user: "ein Haus am See"},
		{name: "answer in the input language stays german", system: "Answer in the language of the input: German slang for German input, English slang for English input.", user: "Ein Hund im Schnee mit roter Mütze"},
		{name: "empty user", system: "Rewrite.", user: ""},
		{name: "long", system: "Rewrite.", user: strings.Repeat("many words keep coming ", 40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := []Message{{Role: "system", Content: tt.system}, {Role: "user", Content: tt.user}}
			got := Reply("llama3.2:3b", msgs)
			if again := Reply("llama3.2:3b", msgs); again != got {
				t.Fatalf("not deterministic: %q vs %q", got, again)
			}
			if n := len(Tokens(got)); n > 60 || n < 5 {
				t.Errorf("%d tokens: %q", n, got)
			}
			for _, w := range strings.Fields(tt.user)[:min(3, len(strings.Fields(tt.user)))] {
				if !strings.Contains(strings.ToLower(got), strings.ToLower(w)) {
					t.Errorf("reply %q does not build on the user's word %q", got, w)
				}
			}
			de := looksGerman(got)
			wantDE := tt.name == "german" || tt.name == "umlaut only" || tt.name == "answer in the input language stays german"
			if de != wantDE {
				t.Errorf("reply %q: German = %v, want %v", got, de, wantDE)
			}
		})
	}
	a := Reply("a", []Message{{Role: "user", Content: "a red fox"}})
	b := Reply("b", []Message{{Role: "user", Content: "a red fox"}})
	c := Reply("a", []Message{{Role: "system", Content: "other"}, {Role: "user", Content: "a red fox"}})
	if a == b && a == c {
		t.Errorf("model and system prompt do not influence the reply: %q", a)
	}
	if Reply("mistral", nil) != Reply("mistral:latest", nil) {
		t.Errorf("name and name:latest answer differently")
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{in: "SAFE", want: []string{"SAFE"}},
		{in: "Hello big  world.", want: []string{"Hello", " big", "  world."}},
		{in: " lead", want: []string{" lead"}},
		{in: "Grüße aus Köln", want: []string{"Grüße", " aus", " Köln"}},
		{in: "", want: nil},
	}
	for _, tt := range tests {
		got := Tokens(tt.in)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || strings.Join(got, "") != tt.in {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
