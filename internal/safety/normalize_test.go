package safety

import (
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"case and umlauts", "Über Straße GRÜN", "ueber strase gruen"},
		{"ue spelling equals umlaut", "Fuehrer Führer", "fuehrer fuehrer"},
		{"diacritics", "café naïve São", "cafe naive sao"},
		{"fullwidth (NFKC)", "ＨＩＴＬＥＲ", "hitler"},
		{"mathematical letters (NFKC)", "𝐡𝐢𝐭𝐥𝐞𝐫", "hitler"},
		{"cyrillic lookalikes", "Нitlеr", "hitler"},
		{"greek lookalikes", "ΗΑΚΕΝ ΚΑΤΖΕ ορα", "haken katze opa"},
		{"leetspeak", "H1tl3r n4z1 $ex h!tler €vil @nal 7ot 5ieg", "hitler nazi sex hitler evil anal tot sieg"},
		{"numbers keep digits", "88 1488 2024 c18 3D", "88 1488 2024 c18 3d"},
		{"decimal numbers stay one word", "14,88 € und 3.5 Kugeln", "14.88 und 3.5 kugeln"},
		{"dotted letters joined", "h.i.t.l.e.r", "hitler"},
		{"spaced letters joined", "h i t l e r", "hitler"},
		{"dashed letters joined", "h-i-t-l-e-r", "hitler"},
		{"leet digit inside spaced letters", "h 1 t l e r", "hitler"},
		{"single letter stays", "Plan B und 1 a", "plan b und 1 a"},
		{"repeats collapsed", "hiiitler Schimmel", "hitler schimel"},
		{"zero width and soft hyphen removed", "hit\u200bler Hak\u00adenkreuz", "hitler hakenkreuz"},
		{"combining strike-through removed", "h\u0336i\u0336t\u0336", "hit"},
		{"apostrophe inside word", "don't I'm", "dont im"},
		{"punctuation splits", "Sieg...Heil!!! (gut)", "sieg heil gut"},
		{"empty", " .,- ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Normalize(got); again != got {
				t.Errorf("not idempotent: Normalize(%q) = %q", got, again)
			}
		})
	}
}

func TestOSAWithin1(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"hakenkreuz", "hakenkreuz", true},
		{"hakenkreuz", "hakenkreutz", true},
		{"hakenkreuz", "hakenkruez", true},
		{"hakenkreuz", "hakenkrez", true},
		{"hakenkreuz", "hakenkraus", false},
		{"swastika", "swastkia", true},
		{"swastika", "switsaka", false},
	}
	for _, tt := range tests {
		if got := osaWithin1(tt.a, tt.b); got != tt.want {
			t.Errorf("osaWithin1(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestValidIBAN(t *testing.T) {
	for s, want := range map[string]bool{
		"DE89 3704 0044 0532 0130 00": true,
		"GB82WEST12345698765432":      true,
		"DE89 3704 0044 0532 0130 01": false,
		"DE00 0000":                   false,
	} {
		if got := validIBAN(s); got != want {
			t.Errorf("validIBAN(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzNormalize checks that Normalize never panics, returns valid UTF-8, is
// idempotent, and that Check never panics on any text.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"h.i.t.l.e.r", "Нitlеr", "14,88 €", "a 1 b", "aa bb", "h!!tler", "ǘ", "Straße 5", "\u200b", "1.a", "x 2 y"} {
		f.Add(s)
	}
	filter, probs := Compile(Lists{
		Forbidden:    TermList{Category: CategoryForbidden, Terms: []Term{{Term: "Hakenkreuz"}, {Term: "88", Context: []string{"heil"}}}},
		Kids:         TermList{Category: CategoryViolence, Terms: []Term{{Term: "Blut"}}},
		Youth:        TermList{Category: CategoryViolence, Terms: []Term{{Term: "Massaker"}}},
		PersonalData: PatternSet{Patterns: []Pattern{{Name: "email", Regex: `\S+@\S+`}}},
		Allow:        AllowList{Words: []string{"Waffel"}},
	})
	if len(probs) > 0 {
		f.Fatal(probs)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q: invalid UTF-8", s, n)
		}
		if again := Normalize(n); again != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, again)
		}
		filter.Check(s, Kids)
	})
}
