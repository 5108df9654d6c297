package graph

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestInjectErrors(t *testing.T) {
	cases := []struct {
		name, graph, target string
		loras               []LoRA
		wantErr             error
		wantMsg             string
	}{
		{"no loader", `{"1":{"class_type":"Custom","inputs":{}}}`, "", []LoRA{{"a.safetensors", 1, 1}},
			ErrNoModelLoader, "no CheckpointLoaderSimple or UNETLoader"},
		{"loader feeds no sampler", `{"1":{"class_type":"CheckpointLoaderSimple","inputs":{}},"2":{"class_type":"VAEDecode","inputs":{"vae":["1",2]}}}`,
			"", []LoRA{{"a.safetensors", 1, 1}}, ErrNoModelLoader, `MODEL output of "1" (CheckpointLoaderSimple) reaches no sampler`},
		{"two loaders", `{"1":{"class_type":"CheckpointLoaderSimple","inputs":{}},"2":{"class_type":"UNETLoader","inputs":{},"_meta":{"title":"U"}},` +
			`"3":{"class_type":"KSampler","inputs":{"model":["1",0]}},"4":{"class_type":"KSampler","inputs":{"model":["2",0]}}}`,
			"", []LoRA{{"a.safetensors", 1, 1}}, ErrAmbiguousLoader, `"1" (CheckpointLoaderSimple), "2" (UNETLoader "U")`},
		{"two clip loaders", `{"1":{"class_type":"UNETLoader","inputs":{}},"2":{"class_type":"CLIPLoader","inputs":{}},"5":{"class_type":"CLIPLoader","inputs":{}},` +
			`"3":{"class_type":"CLIPTextEncode","inputs":{"clip":["2",0]}},"6":{"class_type":"CLIPTextEncode","inputs":{"clip":["5",0]}},` +
			`"4":{"class_type":"KSampler","inputs":{"model":["1",0],"positive":["3",0],"negative":["6",0]}}}`,
			"", []LoRA{{"a.safetensors", 1, 1}}, ErrAmbiguousLoader, `CLIP loaders "2" (CLIPLoader), "5" (CLIPLoader)`},
		{"target not a loader", `{"1":{"class_type":"CheckpointLoaderSimple","inputs":{}},"3":{"class_type":"KSampler","inputs":{"model":["1",0]}}}`,
			"3", []LoRA{{"a.safetensors", 1, 1}}, ErrUnknownTarget, `"3" (KSampler) is not a CheckpointLoaderSimple`},
		{"target title twice", `{"1":{"class_type":"CheckpointLoaderSimple","inputs":{},"_meta":{"title":"M"}},"2":{"class_type":"CheckpointLoaderSimple","inputs":{},"_meta":{"title":"M"}}}`,
			"M", []LoRA{{"a.safetensors", 1, 1}}, ErrUnknownTarget, `title "M" matches`},
		{"bad name", sdGraph, "", []LoRA{{"../a.safetensors", 1, 1}}, ErrBadLoRAName, `".." path segment`},
		{"bad strength", sdGraph, "", []LoRA{{"a.safetensors", 1, 1}, {"b.safetensors", 1, 500}}, ErrBadStrength, "clip strength"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Parse([]byte(tc.graph))
			if err != nil {
				t.Fatal(err)
			}
			before, _ := g.MarshalJSON()
			_, err = g.InjectLoRAs(tc.target, tc.loras, nil)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tc.wantMsg)
			}
			if after, _ := g.MarshalJSON(); !bytes.Equal(before, after) {
				t.Error("graph changed on error")
			}
		})
	}
}

const sdGraph = `{"3":{"class_type":"KSampler","inputs":{"model":["4",0],"positive":["6",0]}},` +
	`"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"m.safetensors"}},` +
	`"6":{"class_type":"CLIPTextEncode","inputs":{"text":"x","clip":["4",1]}}}`

func TestInjectLogsAndNoop(t *testing.T) {
	g, _ := Parse([]byte(sdGraph))
	before, _ := g.MarshalJSON()
	if got, err := g.InjectLoRAs("", nil, nil); err != nil || got != nil {
		t.Fatalf("empty injection = %v, %v", got, err)
	}
	if after, _ := g.MarshalJSON(); !bytes.Equal(before, after) {
		t.Fatal("empty injection changed the graph")
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	got, err := g.InjectLoRAs("4", []LoRA{{"a.safetensors", 0.5, 0.25}, {"a.safetensors", 0.75, 0.5}}, log)
	if err != nil {
		t.Fatal(err)
	}
	want := []Injected{{ID: "7", Name: "a.safetensors", Strength: 0.5, ClipStrength: 0.25}, {ID: "7", Name: "a.safetensors", Strength: 0.75, ClipStrength: 0.5, Updated: true}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("injected = %+v, want %+v", got, want)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `msg="graph: injected lora" id=7 class=LoraLoader lora=a.safetensors strength_model=0.5 strength_clip=0.25`) ||
		!strings.Contains(lines[1], "updated lora strengths") {
		t.Errorf("log = %s", buf.String())
	}
	if raw, _ := g.RawInput("7", "strength_model"); string(raw) != "0.75" {
		t.Errorf("strength_model = %s", raw)
	}
}
