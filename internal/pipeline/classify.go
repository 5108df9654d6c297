package pipeline

import (
	"context"
	"errors"

	"github.com/ai4artsed/ai4artsed/internal/llm"
)

// ErrorCode maps an error from a run or a request to the snake_case code of
// SPEC section 4 and a message for the user. Anything unexpected is
// "internal_error".
func ErrorCode(err error) (code, message string) {
	var ve *ValidationError
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code, err.Error()
		}
	}
	if errors.As(err, &ve) {
		return "invalid_request", err.Error()
	}
	if code, ok := imageErrorCode(err); ok {
		return code, err.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout", err.Error()
	}
	return "internal_error", err.Error()
}

var codes = []struct {
	err  error
	code string
}{
	{ErrUnknownConfig, "unknown_config"},
	{ErrStageUnavailable, "stage_unavailable"},
	{ErrNotFound, "not_found"},
	{ErrFinished, "run_finished"},
	{ErrTooManyRuns, "too_many_runs"},
	{ErrQueueFull, "queue_full"},
	{ErrShuttingDown, "shutting_down"},
	{ErrUnknownUpload, "unknown_upload"},
	{errPanic, "internal_error"},
	{llm.ErrModelNotFound, "model_not_found"},
	{llm.ErrUnavailable, "llm_unavailable"},
	{llm.ErrTimeout, "llm_timeout"},
	{llm.ErrNotConfigured, "llm_not_configured"},
	{llm.ErrBadResponse, "llm_bad_response"},
	{llm.ErrUpstream, "llm_error"},
}
