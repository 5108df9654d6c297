package graph

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	const base = `"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"m.safetensors"}},` +
		`"9":{"class_type":"SaveImage","inputs":{"images":["8",0]}},` +
		`"c":{"class_type":"SomeCustomNode","inputs":{"x":1}}`
	cases := []struct {
		name  string
		nodes string // added to base
		want  []string
	}{
		{"valid", `,"8":{"class_type":"VAEDecode","inputs":{"samples":["c",7],"vae":["4",2]}}`, nil},
		{"missing node", `,"8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}}`,
			[]string{`node "8" (VAEDecode) input "samples": links to missing node "3"`}},
		{"slot out of range", `,"8":{"class_type":"VAEDecode","inputs":{"samples":["c",0],"vae":["4",3]}}`,
			[]string{`node "8" (VAEDecode) input "vae": links to output 3 of node "4", but CheckpointLoaderSimple has 3 output(s)`}},
		{"output node has no outputs", `,"p":{"class_type":"PreviewImage","inputs":{"images":["c",0]}},"8":{"class_type":"VAEDecode","inputs":{"samples":["p",0],"vae":["4",2]}}`,
			[]string{`input "samples": links to output 0 of node "p", but PreviewImage has 0 output(s)`}},
		{"numeric node id", `,"8":{"class_type":"VAEDecode","inputs":{"samples":[4,0],"vae":["4",2]}}`,
			[]string{`input "samples": malformed link [4,0]`}},
		{"negative slot", `,"8":{"class_type":"VAEDecode","inputs":{"samples":["4",-1],"vae":["4",2]}}`,
			[]string{`input "samples": malformed link ["4",-1]`}},
		{"float slot", `,"8":{"class_type":"VAEDecode","inputs":{"samples":["4",0.5],"vae":["4",2]}}`,
			[]string{`input "samples": malformed link`}},
		{"three elements", `,"8":{"class_type":"VAEDecode","inputs":{"samples":["4",0,1],"vae":["4",2]}}`,
			[]string{`input "samples": malformed link`}},
		{"cycle", `,"8":{"class_type":"VAEDecode","inputs":{"samples":["7",0],"vae":["4",2]}},"7":{"class_type":"KSampler","inputs":{"latent_image":["8",0]}}`,
			[]string{`closes a cycle`}},
		{"self link", `,"8":{"class_type":"VAEDecode","inputs":{"samples":["8",0],"vae":["4",2]}}`,
			[]string{`node "8" (VAEDecode) input "samples": link to node "8" closes a cycle`}},
		{"several problems", `,"8":{"class_type":"VAEDecode","inputs":{"samples":["x",0],"vae":["4",5]}}`,
			[]string{`input "samples": links to missing node "x"`, `input "vae": links to output 5`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Parse([]byte("{" + base + tc.nodes + "}"))
			if err != nil {
				t.Fatal(err)
			}
			err = g.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Validate = %q\nwant it to contain %q", msg, w)
				}
			}
			if n := len(strings.Split(msg, "\n")); n != len(tc.want) {
				t.Errorf("got %d problems, want %d: %s", n, len(tc.want), msg)
			}
		})
	}
}

func TestOutputTypes(t *testing.T) {
	for _, class := range []string{"CheckpointLoaderSimple", "UNETLoader", "CLIPLoader", "DualCLIPLoader", "TripleCLIPLoader",
		"VAELoader", "LoraLoader", "LoraLoaderModelOnly", "KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced",
		"BasicGuider", "CFGGuider", "RandomNoise", "KSamplerSelect", "BasicScheduler", "CLIPTextEncode", "CLIPSetLastLayer",
		"ConditioningZeroOut", "FluxGuidance", "EmptyLatentImage", "EmptySD3LatentImage", "VAEEncode", "VAEDecode", "LoadImage",
		"SaveImage", "PreviewImage", "ImageScale", "ImageScaleToTotalPixels", "ImageBlend", "ImageStitch",
		"ModelSamplingSD3", "ModelSamplingFlux", "ModelSamplingDiscrete"} {
		if _, ok := OutputTypes(class); !ok {
			t.Errorf("OutputTypes(%q) unknown", class)
		}
	}
	if got, _ := OutputTypes("CheckpointLoaderSimple"); strings.Join(got, ",") != "MODEL,CLIP,VAE" {
		t.Errorf("checkpoint outputs = %v", got)
	}
	got, _ := OutputTypes("LoraLoader")
	got[0] = "changed"
	if again, _ := OutputTypes("LoraLoader"); again[0] != "MODEL" {
		t.Error("OutputTypes returned the table itself")
	}
	if _, ok := OutputTypes("NoSuchNode"); ok {
		t.Error("unknown class reported as known")
	}
}
