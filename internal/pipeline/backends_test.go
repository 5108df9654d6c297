package pipeline

import (
	"fmt"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

func TestImageErrorCodeCoversBackendSentinels(t *testing.T) {
	tests := []struct {
		err  error
		code string
	}{
		{comfy.ErrInterrupted, "generation_interrupted"},
		{comfy.ErrUnavailable, "backend_unavailable"},
		{comfy.ErrBadResponse, "backend_bad_response"},
		{comfy.ErrTimeout, "generation_timeout"},
		{comfy.ErrNoImages, "generation_failed"},
		{comfy.ErrImageTooLarge, "backend_bad_response"},
		{&comfy.StatusError{Op: "view", StatusCode: 500}, "backend_bad_response"},
		{&comfy.StatusError{Op: "view", StatusCode: 503}, "backend_unavailable"},
		{&comfy.PromptError{}, "workflow_rejected"},
		{&comfy.ExecutionError{}, "generation_failed"},
		{swarm.ErrInvalidSession, "backend_unavailable"},
		{swarm.ErrUnavailable, "backend_unavailable"},
		{swarm.ErrBadResponse, "backend_bad_response"},
		{swarm.ErrGenerationFailed, "generation_failed"},
		{swarm.ErrImageTooLarge, "backend_bad_response"},
		{&swarm.ResponseError{Status: 502}, "backend_unavailable"},
		{&swarm.ResponseError{Status: 200}, "backend_bad_response"},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			code, _ := ErrorCode(fmt.Errorf("comfyui workflow x: %w", tt.err))
			if code != tt.code {
				t.Errorf("code = %s, want %s", code, tt.code)
			}
		})
	}
}
