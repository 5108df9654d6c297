package catalog

import (
	"math"

	"github.com/ai4artsed/ai4artsed/internal/graph"
)

// LoRA is a LoRA file applied to the image model, with its strength.
type LoRA struct {
	// Name is the file name relative to ComfyUI's loras folder (subfolders
	// allowed, no "..", not absolute).
	Name string `json:"name"`
	// Strength is the model strength, -100..100.
	Strength float64 `json:"strength"`
	// ClipStrength is the text-encoder strength; nil means the same as Strength.
	ClipStrength *float64 `json:"clip_strength,omitempty"`
	// Trigger is a phrase added to the positive prompt whenever the LoRA is used.
	Trigger string `json:"trigger,omitempty"`
}

// validateLoRAs checks names and strengths of a LoRA list found at field.
func validateLoRAs(ps *problems, field string, loras []LoRA) {
	seen := make(map[string]bool, len(loras))
	for i, l := range loras {
		at := indexPath(field, i)
		if err := graph.CheckLoRAName(l.Name); err != nil {
			ps.errorf(at+".name", "%v", err)
		}
		if seen[l.Name] {
			ps.errorf(at+".name", "LoRA %q is listed twice", l.Name)
		}
		seen[l.Name] = true
		if !validStrength(l.Strength) {
			ps.errorf(at+".strength", "%v is not a number within -100..100", l.Strength)
		}
		if l.ClipStrength != nil && !validStrength(*l.ClipStrength) {
			ps.errorf(at+".clip_strength", "%v is not a number within -100..100", *l.ClipStrength)
		}
	}
}

func validStrength(s float64) bool {
	return !math.IsNaN(s) && !math.IsInf(s, 0) && s >= -100 && s <= 100
}
