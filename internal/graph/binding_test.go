package graph

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

const bindGraph = `{
 "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20, "cfg": 7.0, "model": ["4", 0]}, "_meta": {"title": "Sampler"}},
 "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "m.safetensors"}},
 "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "old", "clip": ["4", 1]}, "_meta": {"title": "Positive"}},
 "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}, "_meta": {"title": "Twin"}},
 "8": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}, "_meta": {"title": "Twin"}},
 "10": {"class_type": "LoadImage", "inputs": {"image": "x.png"}, "_meta": {"title": "Input"}}
}`

func TestSetBinding(t *testing.T) {
	cases := []struct {
		name    string
		b       Binding
		value   any
		node    string
		field   string
		wantRaw string
	}{
		{"prompt by title", Binding{Title: "Positive", Field: "text"}, `a "quoted" <fox> & ü`, "6", "text", `"a \"quoted\" <fox> & ü"`},
		{"prompt by id", Binding{Node: "7", Field: "text"}, "neg", "7", "text", `"neg"`},
		{"id and matching title", Binding{Node: "6", Title: "Positive", Field: "text"}, "p", "6", "text", `"p"`},
		{"max seed uint64", Binding{Node: "3", Field: "seed"}, uint64(math.MaxUint64), "3", "seed", `18446744073709551615`},
		{"max seed json.Number", Binding{Title: "Sampler", Field: "seed"}, json.Number("18446744073709551615"), "3", "seed", `18446744073709551615`},
		{"steps int", Binding{Node: "3", Field: "steps"}, 30, "3", "steps", `30`},
		{"negative int64", Binding{Node: "3", Field: "steps"}, int64(-1), "3", "steps", `-1`},
		{"cfg float", Binding{Node: "3", Field: "cfg"}, 4.5, "3", "cfg", `4.5`},
		{"bool", Binding{Node: "3", Field: "cfg"}, true, "3", "cfg", `true`},
		{"image", Binding{Title: "Input", Field: "image"}, "upload_9.png", "10", "image", `"upload_9.png"`},
		{"raw", Binding{Node: "3", Field: "cfg"}, json.RawMessage(` [ 1, 2 ] `), "3", "cfg", `[1,2]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Parse([]byte(bindGraph))
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Set(tc.b, tc.value); err != nil {
				t.Fatal(err)
			}
			raw, _ := g.RawInput(tc.node, tc.field)
			if string(raw) != tc.wantRaw {
				t.Errorf("raw = %s, want %s", raw, tc.wantRaw)
			}
			// The written graph parses again to the same value.
			out, _ := g.MarshalJSON()
			g2, err := Parse(out)
			if err != nil {
				t.Fatalf("reparse: %v", err)
			}
			raw2, _ := g2.RawInput(tc.node, tc.field)
			if string(raw2) != tc.wantRaw {
				t.Errorf("after reparse raw = %s, want %s", raw2, tc.wantRaw)
			}
		})
	}
}

func TestSeedRoundTrip(t *testing.T) {
	g, _ := Parse([]byte(bindGraph))
	if err := g.Set(Binding{Node: "3", Field: "seed"}, uint64(18446744073709551615)); err != nil {
		t.Fatal(err)
	}
	out, _ := g.MarshalJSON()
	g2, _ := Parse(out)
	v, _ := g2.Input("3", "seed")
	n, ok := v.(json.Number)
	if !ok || n.String() != "18446744073709551615" {
		t.Fatalf("seed = %#v", v)
	}
}

func TestBindingErrors(t *testing.T) {
	cases := []struct {
		name  string
		b     Binding
		value any
		want  string
	}{
		{"missing node", Binding{Node: "99", Field: "text"}, "x", `no node "99"`},
		{"missing field", Binding{Node: "6", Field: "prompt"}, "x", `has no input "prompt" (inputs: text, clip)`},
		{"no title match", Binding{Title: "Nope", Field: "text"}, "x", `no node has the title "Nope"`},
		{"ambiguous title", Binding{Title: "Twin", Field: "text"}, "x", `title "Twin" matches nodes "7", "8"`},
		{"neither", Binding{Field: "text"}, "x", "give a node id or a title"},
		{"no field", Binding{Node: "6"}, "x", "no field"},
		{"title disagrees", Binding{Node: "7", Title: "Positive", Field: "text"}, "x", `has title "Twin", not "Positive"`},
		{"link field", Binding{Node: "6", Field: "clip"}, "x", `is a link to node "4"`},
		{"nil value", Binding{Node: "6", Field: "text"}, nil, "no value"},
		{"nan", Binding{Node: "3", Field: "cfg"}, math.NaN(), "not a finite number"},
		{"bad number", Binding{Node: "3", Field: "cfg"}, json.Number("1x"), "not a JSON number"},
		{"unsupported", Binding{Node: "3", Field: "cfg"}, []int{1}, "unsupported value type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := Parse([]byte(bindGraph))
			before, _ := g.MarshalJSON()
			err := g.Set(tc.b, tc.value)
			if !errors.Is(err, ErrBinding) {
				t.Fatalf("err = %v, want ErrBinding", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
			after, _ := g.MarshalJSON()
			if string(before) != string(after) {
				t.Error("graph changed on error")
			}
		})
	}
}

func TestCheckAndApplyBindings(t *testing.T) {
	g, _ := Parse([]byte(bindGraph))
	bad := map[string]Binding{
		"prompt": {Title: "Positive", Field: "text"},
		"seed":   {Node: "99", Field: "seed"},
		"neg":    {Title: "Twin", Field: "text"},
	}
	err := g.CheckBindings(bad)
	if !errors.Is(err, ErrBinding) {
		t.Fatalf("CheckBindings = %v", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `input "neg"`) || !strings.HasPrefix(lines[1], `input "seed"`) {
		t.Errorf("CheckBindings = %q", err)
	}

	good := map[string]Binding{
		"prompt": {Title: "Positive", Field: "text"},
		"seed":   {Node: "3", Field: "seed", Default: json.Number("123")},
		"steps":  {Node: "3", Field: "steps"},
	}
	if err := g.CheckBindings(good); err != nil {
		t.Fatal(err)
	}
	if err := g.Apply(good, map[string]any{"prompt": "hello"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ node, field, want string }{{"6", "text", `"hello"`}, {"3", "seed", `123`}, {"3", "steps", `20`}} {
		if raw, _ := g.RawInput(c.node, c.field); string(raw) != c.want {
			t.Errorf("%s.%s = %s, want %s", c.node, c.field, raw, c.want)
		}
	}
}
