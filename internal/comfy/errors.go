package comfy

import (
	"errors"
	"fmt"
	"github.com/ai4artsed/ai4artsed/internal/redact"
	"slices"
	"strings"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrInterrupted means ComfyUI stopped the prompt (execution_interrupted).
	ErrInterrupted = errors.New("comfy: generation interrupted")
	// ErrUnavailable means ComfyUI could not be reached (dial failure,
	// refused connection, reset) or answered 502/503/504.
	ErrUnavailable = errors.New("comfy: backend unavailable")
	// ErrBadResponse means ComfyUI answered something that is not its API:
	// HTML, garbage, an unexpected status or shape.
	ErrBadResponse = errors.New("comfy: bad response")
	// ErrTimeout means Job.Timeout passed; it comes wrapped together with
	// context.DeadlineExceeded.
	ErrTimeout = errors.New("comfy: generation timed out")
	// ErrNoImages means the prompt finished without images on the wanted output.
	ErrNoImages = errors.New("comfy: no output images")
	// ErrImageTooLarge means an output image is larger than the media store
	// accepts (media.MaxUploadBytes); it was not read past that limit.
	ErrImageTooLarge = errors.New("comfy: output image too large")
)

// NodeError is one validation error of one node in a rejected workflow.
type NodeError struct {
	NodeID    string
	ClassType string
	Type      string // e.g. value_not_in_list, required_input_missing
	Message   string
	Details   string
	InputName string
	// Value is the received value as text, when ComfyUI reports it.
	Value string
}

// PromptError is ComfyUI's 400 answer to POST /prompt: the workflow was
// rejected before it ran.
type PromptError struct {
	Type    string // no_prompt, invalid_prompt, prompt_no_outputs, prompt_outputs_failed_validation, ...
	Message string
	Details string
	Nodes   []NodeError // sorted by node id
}

// Error names each failing node, its class, input and problem, shortened
// and with credentials redacted, e.g.
// "comfy: workflow rejected: node 4 (CheckpointLoaderSimple) input ckpt_name: value not in list: 'x.safetensors'".
func (e *PromptError) Error() string {
	if len(e.Nodes) == 0 {
		msg := e.Message
		if e.Details != "" && e.Details != e.Message {
			msg += " (" + e.Details + ")"
		}
		return "comfy: workflow rejected: " + redact.Brief(msg)
	}
	parts := make([]string, 0, len(e.Nodes))
	for _, n := range e.Nodes {
		var b strings.Builder
		fmt.Fprintf(&b, "node %s (%s)", n.NodeID, n.ClassType)
		if n.InputName != "" {
			fmt.Fprintf(&b, " input %s", n.InputName)
		}
		b.WriteString(": " + lowerFirst(n.Message))
		switch {
		case n.Value != "":
			fmt.Fprintf(&b, ": '%s'", n.Value)
		case n.Details != "" && n.Details != n.InputName:
			b.WriteString(": " + n.Details)
		}
		parts = append(parts, b.String())
	}
	return "comfy: workflow rejected: " + redact.Brief(strings.Join(parts, "; "))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// sortNodeErrors orders errors by numeric node id, then input.
func sortNodeErrors(ns []NodeError) {
	slices.SortStableFunc(ns, func(a, b NodeError) int {
		if len(a.NodeID) != len(b.NodeID) {
			return len(a.NodeID) - len(b.NodeID)
		}
		return strings.Compare(a.NodeID, b.NodeID)
	})
}

// ExecutionError is ComfyUI's execution_error: a node raised while running.
type ExecutionError struct {
	PromptID      string
	NodeID        string
	NodeType      string
	ExceptionType string
	Message       string
}

// Error names the failing node, its class and the exception, shortened and
// with credentials redacted.
func (e *ExecutionError) Error() string {
	return redact.Brief(fmt.Sprintf("comfy: node %s (%s) failed: %s: %s", e.NodeID, e.NodeType, e.ExceptionType, e.Message))
}

// StatusError is an answer from ComfyUI that cannot be used: an unexpected
// HTTP status, or a 2xx whose body is not what the route returns. It
// matches ErrUnavailable for 502/503/504 and ErrBadResponse otherwise.
type StatusError struct {
	Op         string
	StatusCode int
	// Reason is a short summary safe to show: what was wrong and what kind
	// of body came (e.g. "not JSON: an HTML page of 5120 bytes").
	Reason string
	// Body is the start of the body with credentials redacted, for the
	// server log only: an upstream may echo a request, headers included.
	Body string
}

// Error names the operation, the status and the reason, never the body.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("comfy: %s: HTTP %d", e.Op, e.StatusCode)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// Is makes StatusError match ErrUnavailable or ErrBadResponse.
func (e *StatusError) Is(target error) bool {
	switch e.StatusCode {
	case 502, 503, 504:
		return target == ErrUnavailable
	}
	return target == ErrBadResponse
}
