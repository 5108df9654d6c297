package pipeline

import (
	"slices"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
)

func TestWithTriggers(t *testing.T) {
	cases := []struct {
		name   string
		prompt string
		loras  []catalog.LoRA
		want   string
		added  []string
	}{
		{"no LoRAs", "a dog.", nil, "a dog.", nil},
		{"LoRA without trigger", "a dog.", []catalog.LoRA{{Name: "a"}}, "a dog.", nil},
		{"appended once, trailing punctuation trimmed", "a dog on a beach. ,", []catalog.LoRA{{Name: "a", Trigger: "film photo"}},
			"a dog on a beach, film photo", []string{"film photo"}},
		{"already in the prompt, other case", "a Film Photo of a dog", []catalog.LoRA{{Name: "a", Trigger: "film photo"}},
			"a Film Photo of a dog", nil},
		{"two LoRAs share a trigger", "a dog", []catalog.LoRA{{Name: "a", Trigger: "film photo"}, {Name: "b", Trigger: "film photo"}},
			"a dog, film photo", []string{"film photo"}},
		{"shared trigger in another case", "a dog", []catalog.LoRA{{Name: "a", Trigger: "Film Photo"}, {Name: "b", Trigger: " film photo "}},
			"a dog, Film Photo", []string{"Film Photo"}},
		{"two triggers in LoRA order", "a dog", []catalog.LoRA{{Name: "a", Trigger: "ink"}, {Name: "b", Trigger: "paper"}},
			"a dog, ink, paper", []string{"ink", "paper"}},
		{"blank trigger ignored", "a dog", []catalog.LoRA{{Name: "a", Trigger: "   "}}, "a dog", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, added := withTriggers(tc.prompt, tc.loras)
			if got != tc.want || !slices.Equal(added, tc.added) {
				t.Fatalf("withTriggers = %q %q, want %q %q", got, added, tc.want, tc.added)
			}
			again, more := withTriggers(got, tc.loras)
			if again != got || len(more) != 0 {
				t.Fatalf("second pass changed the prompt: %q %q", again, more)
			}
		})
	}
}

func TestLoRAsMergeConfigAndRequest(t *testing.T) {
	cat, _, err := catalog.Load(catalog.Builtin(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	x := &execution{p: New(Config{Catalog: cat}), req: Request{Interception: "analog_photo_1970s", LoRAs: []catalog.LoRA{
		{Name: "ink.safetensors", Strength: 0.4},
		{Name: "film_grain_1970s.safetensors", Strength: 0.2},
	}}}
	got := x.loras()
	want := []catalog.LoRA{{Name: "film_grain_1970s.safetensors", Strength: 0.2}, {Name: "ink.safetensors", Strength: 0.4}}
	if !slices.EqualFunc(got, want, func(a, b catalog.LoRA) bool {
		return a.Name == b.Name && a.Strength == b.Strength && a.Trigger == b.Trigger
	}) {
		t.Fatalf("loras() = %+v, want %+v", got, want)
	}
}

// longPrompt is a prompt of MaxPromptRunes characters that contains none
// of manyLoRAs' triggers.
func longPrompt() string {
	return strings.Repeat("a quiet harbour at dawn, ", MaxPromptRunes/25)[:MaxPromptRunes]
}

func BenchmarkWithTriggers(b *testing.B) {
	prompt, loras := longPrompt(), manyLoRAs(MaxLoRAs)
	b.ReportAllocs()
	for b.Loop() {
		if _, added := withTriggers(prompt, loras); len(added) != MaxLoRAs {
			b.Fatalf("added %d triggers", len(added))
		}
	}
}

func BenchmarkLoRAs(b *testing.B) {
	cat, _, err := catalog.Load(catalog.Builtin(), "", nil)
	if err != nil {
		b.Fatal(err)
	}
	x := &execution{p: New(Config{Catalog: cat}), req: Request{Interception: "analog_photo_1970s", LoRAs: manyLoRAs(MaxLoRAs)}}
	b.ReportAllocs()
	for b.Loop() {
		if n := len(x.loras()); n != MaxLoRAs+1 {
			b.Fatalf("%d LoRAs", n)
		}
	}
}
