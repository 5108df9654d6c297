package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// The class's models. Interception configs do not name a model (the server's
// AI4ARTSED_MODEL_INTERCEPTION serves them all), so the two LLM models are
// the interception model and the model of stage 3 (translation and the
// output's optimisation instruction): each student needs both, in turn.
const (
	llmInterception = "llama3.1:8b"
	llmStage3       = "qwen2.5:7b"
	llmSafety       = "llama-guard3:1b"
)

// classOutput is one output config of the class: a SwarmUI checkpoint.
type classOutput struct {
	ID, Checkpoint string
}

// classOutputs are the two image models of the class.
var classOutputs = []classOutput{
	{"class_sd35", "OfficialStableDiffusion/sd3.5_large.safetensors"},
	{"class_sdxl", "OfficialStableDiffusion/sd_xl_base_1.0.safetensors"},
}

// classInterceptions are built-in interception configs the students pick.
var classInterceptions = []string{"dada", "bauhaus", "renaissance", "the_opposite"}

// classIdeas are the students' prompts: plain English, nothing a safety
// check would stop.
var classIdeas = []string{
	"a red fox in the snow", "a lighthouse on a rocky island", "a cat reading a book in the garden",
	"a city of glass towers at night", "a whale swimming above the clouds", "a bicycle made of flowers",
	"a robot painting a sunflower", "a castle in the forest at dawn", "a dragon made of paper in a library",
	"a boat on a calm lake with the mountains behind",
}

// writeClassConfigs writes the output configs of the class under dir
// (the server's AI4ARTSED_CONFIG_DIR): the given steps at a small size, so
// rendering the simulator's PNG costs little next to the simulated work.
func writeClassConfigs(dir string, steps int) error {
	if err := os.MkdirAll(filepath.Join(dir, "output"), 0o755); err != nil {
		return err
	}
	for i, o := range classOutputs {
		cfg := map[string]any{
			"name":        map[string]string{"de": o.ID, "en": o.ID},
			"description": map[string]string{"de": "Klassen-Benchmark", "en": "class benchmark"},
			"category":    map[string]string{"de": "Benchmark", "en": "Benchmark"},
			"media":       "image",
			"backend":     "swarmui",
			"model":       o.Checkpoint,
			"parameters": map[string]any{
				"width": 128, "height": 128, "steps": steps, "cfg": 4.5, "seed": "random",
				"sampler": "euler", "scheduler": "normal",
			},
			"optimization_instruction": "Rewrite the text as a concise English image prompt. Answer with the prompt only.",
			"display":                  map[string]any{"icon": "🖼️", "color": "#3949ab", "order": 90 + i},
		}
		b, err := json.MarshalIndent(cfg, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "output", o.ID+".json"), b, 0o644); err != nil {
			return fmt.Errorf("write output config: %w", err)
		}
	}
	return nil
}
