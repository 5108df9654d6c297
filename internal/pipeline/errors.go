package pipeline

import (
	"fmt"
	"math"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/graph"
)

func checkLoRA(l catalog.LoRA) error {
	if err := graph.CheckLoRAName(l.Name); err != nil {
		return err
	}
	strengths := []float64{l.Strength}
	if l.ClipStrength != nil {
		strengths = append(strengths, *l.ClipStrength)
	}
	for _, s := range strengths {
		if math.IsNaN(s) || math.IsInf(s, 0) || s < -100 || s > 100 {
			return fmt.Errorf("strength %v is outside -100..100", s)
		}
	}
	return nil
}
