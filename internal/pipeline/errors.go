package pipeline

import (
	"errors"
	"fmt"
	"math"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/graph"
)

// Sentinel errors of the pipeline; httpapi maps them to status codes.
var (
	ErrUnknownConfig    = errors.New("unknown config")
	ErrStageUnavailable = errors.New("stage not available")
	ErrNotFound         = errors.New("run not found")
	ErrFinished         = errors.New("run already finished")
	ErrTooManyRuns      = errors.New("too many unfinished runs for this client")
	ErrQueueFull        = errors.New("queue full")
	ErrShuttingDown     = errors.New("server shutting down")
	ErrUnknownUpload    = errors.New("unknown upload")

	// errCancelled and errInterrupted are the causes a run's context is
	// cancelled with; they pick the run's final state.
	errCancelled   = errors.New("run cancelled")
	errAbandoned   = errors.New("run cancelled: nobody watched it for 60 seconds while it waited")
	errInterrupted = errors.New("run interrupted by server shutdown")
)

// ValidationError names the request field that is wrong.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, msg string) error { return &ValidationError{Field: field, Message: msg} }

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
