package pipeline

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// loraNode is one LoRA loader found in a workflow graph.
type loraNode struct {
	Class, Name    string
	Strength, Clip float64
}

// loraNodes returns the LoRA loaders of a graph by LoRA name.
func loraNodes(t *testing.T, g map[string]wfNode) map[string]loraNode {
	t.Helper()
	out := map[string]loraNode{}
	for _, n := range g {
		if !strings.HasPrefix(n.ClassType, "LoraLoader") {
			continue
		}
		var l loraNode
		l.Class = n.ClassType
		if err := json.Unmarshal(n.Inputs["lora_name"], &l.Name); err != nil {
			t.Fatalf("lora_name: %v", err)
		}
		_ = json.Unmarshal(n.Inputs["strength_model"], &l.Strength)
		_ = json.Unmarshal(n.Inputs["strength_clip"], &l.Clip)
		out[l.Name] = l
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// youthNegative is an output's negative prompt with the youth level's terms.
func youthNegative(base string) string {
	s, _ := negativeFor(base, safety.Youth)
	return s
}

func TestGenerationRouting(t *testing.T) {
	const text = "a lighthouse at dusk"
	cases := []struct {
		name       string
		req        Request
		path       string
		reason     string
		swarm      bool                // SwarmUI's text-to-image, not ComfyUI
		loras      map[string]loraNode // LoRA loaders the graph must hold
		prompt     string              // the prompt the backend must receive
		negative   string
		positiveAt string // title of the positive prompt node
	}{
		{
			name: "swarmui output without LoRAs", req: Request{Text: text, Output: "sd35_large", Seed: ptr[uint64](42)},
			path: pathSwarmT2I, reason: "swarmui output without LoRAs", swarm: true, prompt: text,
		},
		{
			name: "request LoRA sends a swarmui output through its workflow",
			req: Request{Text: text, Output: "sd35_large", Seed: ptr[uint64](42), LoRAs: []catalog.LoRA{
				{Name: "ink/wash.safetensors", Strength: 0.5, ClipStrength: ptr(0.25), Trigger: "Ink Wash"},
				{Name: "paper.safetensors", Strength: 1.2},
			}},
			path: pathSwarmWorkflow, reason: "2 LoRA(s) apply", positiveAt: "Positive Prompt",
			loras: map[string]loraNode{
				"ink/wash.safetensors": {"LoraLoader", "ink/wash.safetensors", 0.5, 0.25},
				"paper.safetensors":    {"LoraLoader", "paper.safetensors", 1.2, 1.2},
			},
			prompt: text + ", Ink Wash", negative: youthNegative("blurry, deformed, low quality, watermark"),
		},
		{
			name: "interception LoRA with trigger", req: Request{Text: text, Interception: "analog_photo_1970s", Seed: ptr[uint64](42)},
			path: pathSwarmWorkflow, reason: "1 LoRA(s) apply", positiveAt: "Positive Prompt",
			loras:  map[string]loraNode{"film_grain_1970s.safetensors": {"LoraLoader", "film_grain_1970s.safetensors", 0.7, 0.7}},
			prompt: text + ", kodachrome film photo", negative: youthNegative("blurry, deformed, low quality, watermark"),
		},
		{
			name: "request LoRA replaces the interception's of the same name",
			req: Request{Text: text, Interception: "analog_photo_1970s", Seed: ptr[uint64](42),
				LoRAs: []catalog.LoRA{{Name: "film_grain_1970s.safetensors", Strength: 0.2}}},
			path: pathSwarmWorkflow, reason: "1 LoRA(s) apply", positiveAt: "Positive Prompt",
			loras:  map[string]loraNode{"film_grain_1970s.safetensors": {"LoraLoader", "film_grain_1970s.safetensors", 0.2, 0.2}},
			prompt: text, negative: youthNegative("blurry, deformed, low quality, watermark"),
		},
		{
			name: "comfyui output runs its workflow", req: Request{Text: text, Output: "flux_dev", Seed: ptr[uint64](42)},
			path: pathComfyWorkflow, reason: "comfyui outputs always run their workflow", positiveAt: "Positive Prompt",
			loras: map[string]loraNode{}, prompt: text,
		},
		{
			name: "comfyui output with a LoRA", req: Request{Text: text, Output: "flux_dev", Seed: ptr[uint64](42),
				LoRAs: []catalog.LoRA{{Name: "flux_style.safetensors", Strength: 0.8, Trigger: "in FLUX style"}}},
			path: pathComfyWorkflow, reason: "comfyui outputs always run their workflow", positiveAt: "Positive Prompt",
			loras:  map[string]loraNode{"flux_style.safetensors": {"LoraLoader", "flux_style.safetensors", 0.8, 0.8}},
			prompt: text + ", in FLUX style",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sw, cf := &fakeSwarm{}, &fakeComfy{}
			p, db, hub := newPipelineWith(t, pipelineOptions{LLM: echoLLM(text), Images: &Images{Swarm: sw, Comfy: cf}, Files: true})
			run := startGen(t, p, tc.req)
			waitDone(t, hub, run.ID)
			r := runOf(t, db, run.ID)
			if r.State != store.StateDone {
				t.Fatalf("run ended %s %s", r.State, r.ErrorCode)
			}
			d := detailOf(t, r)
			if d.Path != tc.path || !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("route %q (%q), want %q (%q)", d.Path, d.Reason, tc.path, tc.reason)
			}
			if d.Prompt != tc.prompt {
				t.Fatalf("recorded prompt %q, want %q", d.Prompt, tc.prompt)
			}
			swarmReqs := sw.requests()
			jobs, _ := cf.received()
			if tc.swarm {
				if len(swarmReqs) != 1 || len(jobs) != 0 {
					t.Fatalf("swarm got %d requests, comfy %d jobs; want 1 and 0", len(swarmReqs), len(jobs))
				}
				got := swarmReqs[0]
				if got.Model != "OfficialStableDiffusion/sd3.5_large.safetensors" || got.Width != 1024 || got.Height != 1024 ||
					got.Steps != 25 || got.CFG != 4.5 || got.Seed != 42 || got.Prompt != tc.prompt ||
					got.NegativePrompt != youthNegative("blurry, deformed, low quality, watermark") || got.Images != 1 || len(got.LoRAs) != 0 {
					t.Fatalf("swarm received %+v", got)
				}
				return
			}
			if len(swarmReqs) != 0 || len(jobs) != 1 {
				t.Fatalf("swarm got %d requests, comfy %d jobs; want 0 and 1", len(swarmReqs), len(jobs))
			}
			g := parseGraph(t, jobs[0].Graph)
			if got := input(t, g, tc.positiveAt, "text"); got != strconv.Quote(tc.prompt) {
				t.Fatalf("positive prompt %s, want %q", got, tc.prompt)
			}
			if tc.negative != "" {
				if got := input(t, g, "Negative Prompt", "text"); got != strconv.Quote(tc.negative) {
					t.Fatalf("negative prompt %s", got)
				}
			}
			got := loraNodes(t, g)
			if len(got) != len(tc.loras) {
				t.Fatalf("LoRA loaders %+v, want %+v", got, tc.loras)
			}
			for name, want := range tc.loras {
				if got[name] != want {
					t.Fatalf("LoRA loader %s = %+v, want %+v", name, got[name], want)
				}
			}
			if string(d.Workflow) != string(jobs[0].Graph) {
				t.Fatal("the recorded workflow is not the graph ComfyUI received")
			}
		})
	}
}
