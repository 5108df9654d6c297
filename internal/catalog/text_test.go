package catalog

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestTextUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Text
		wantErr bool
	}{
		{"plain string fills both", `"Hallo"`, Text{DE: "Hallo", EN: "Hallo"}, false},
		{"object", `{"de":"Hund","en":"dog"}`, Text{DE: "Hund", EN: "dog"}, false},
		{"object missing en", `{"de":"Hund"}`, Text{DE: "Hund"}, false},
		{"empty string", `""`, Text{}, false},
		{"null keeps zero", `null`, Text{}, false},
		{"escaped string", `"a \"b\" \u00e4"`, Text{DE: `a "b" ä`, EN: `a "b" ä`}, false},
		{"number", `42`, Text{}, true},
		{"array", `["de","en"]`, Text{}, true},
		{"object with wrong type", `{"de":1}`, Text{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Text
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTextInStructReportsField(t *testing.T) {
	var v struct {
		Name Text `json:"name"`
	}
	ps := &problems{file: "f.json"}
	if decodeFile(ps, []byte(`{"name": 3}`), &v) {
		t.Fatal("decode succeeded on a number")
	}
	if len(ps.list) != 1 || ps.list[0].Field != "name" {
		t.Fatalf("problems = %+v, want one for field name", ps.list)
	}
}

func TestTextMarshalAndGet(t *testing.T) {
	b, err := json.Marshal(Text{DE: "Katze", EN: "cat"})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"de":"Katze","en":"cat"}` {
		t.Errorf("marshal = %s", b)
	}
	amp := Text{DE: "Kunst & Kultur", EN: "<b>"}
	if b, _ := json.Marshal(amp); string(b) != `{"de":"Kunst \u0026 Kultur","en":"\u003cb\u003e"}` {
		t.Errorf("json.Marshal does not escape HTML: %s", b)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(amp); err != nil || buf.String() != `{"de":"Kunst & Kultur","en":"<b>"}`+"\n" {
		t.Errorf("encoder without HTML escaping wrote %q, %v", buf.String(), err)
	}
	tests := []struct {
		text Text
		lang string
		want string
	}{
		{Text{DE: "Katze", EN: "cat"}, "de", "Katze"},
		{Text{DE: "Katze", EN: "cat"}, "en", "cat"},
		{Text{DE: "Katze", EN: "cat"}, "fr", "Katze"},
		{Text{DE: "Katze"}, "en", "Katze"},
		{Text{EN: "cat"}, "de", "cat"},
		{Text{}, "en", ""},
	}
	for _, tt := range tests {
		if got := tt.text.Get(tt.lang); got != tt.want {
			t.Errorf("%+v.Get(%q) = %q, want %q", tt.text, tt.lang, got, tt.want)
		}
	}
}

func TestSeed(t *testing.T) {
	tests := []struct {
		in      string
		want    Seed
		out     string
		wantErr bool
	}{
		{`"random"`, Seed{Random: true}, `"random"`, false},
		{`-1`, Seed{Random: true}, `"random"`, false},
		{`0`, Seed{Value: 0}, `0`, false},
		{`123`, Seed{Value: 123}, `123`, false},
		{`18446744073709551615`, Seed{Value: 18446744073709551615}, `18446744073709551615`, false},
		{`18446744073709551616`, Seed{}, ``, true},
		{`-2`, Seed{}, ``, true},
		{`1.5`, Seed{}, ``, true},
		{`"42"`, Seed{}, ``, true},
		{`"Random"`, Seed{}, ``, true},
		{`true`, Seed{}, ``, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got Seed
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			b, err := json.Marshal(got)
			if err != nil || string(b) != tt.out {
				t.Errorf("marshal = %s, %v; want %s", b, err, tt.out)
			}
		})
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.json", Field: "x.y", Message: "bad"}, "a.json: x.y: bad"},
		{Problem{File: "a.json", Message: "bad"}, "a.json: bad"},
		{Problem{File: "a.json", Field: "z", Message: "odd", Warning: true}, "a.json: z: warning: odd"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestUnknownFields(t *testing.T) {
	data := `{
		"name": "n", "nmae": "typo",
		"meta": {"anything": 1, "loras": []},
		"display": {"icon": "x", "difficulty": 3, "glow": true},
		"loras": [{"name": "a.safetensors", "strength": 1, "weight": 2}],
		"properties": {"free": {"form": 1}},
		"Context": "case-insensitive match"
	}`
	var f interceptionFile
	ps := &problems{file: "f.json"}
	if !decodeFile(ps, []byte(data), &f) {
		t.Fatalf("decode failed: %v", ps.list)
	}
	var got []string
	for _, p := range ps.list {
		if !p.Warning {
			t.Errorf("unexpected error %v", p)
		}
		got = append(got, p.Field)
	}
	want := []string{"display.glow", "loras[0].weight", "nmae"}
	if len(got) != len(want) {
		t.Fatalf("unknown fields = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("unknown fields = %v, want %v", got, want)
		}
	}
}
