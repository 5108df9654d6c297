package api

import (
	"encoding/json"
	"time"
)

// Stage selections of a RunRequest (docs/api.md, "Runs").
const (
	// StagesInterception runs the interception stage: an LLM rewrites the prompt.
	StagesInterception = "interception"
	// StagesGeneration runs the generation stage: an image model draws the text.
	StagesGeneration = "generation"
	// StagesAll runs every stage, 1 to 4, in one run; it answers
	// stage_unavailable when the server has no image backend.
	StagesAll = "all"
)

// Limits of a run request (docs/api.md, "Limits").
const (
	// MaxPromptChars is the longest prompt, text or context, in characters.
	MaxPromptChars = 4000
	// MaxBodyBytes is the largest JSON request body.
	MaxBodyBytes = 1 << 20
	// MaxUploadBytes is the largest uploaded image.
	MaxUploadBytes = 20 << 20
	// MaxLoRAs is the most LoRAs a request may add.
	MaxLoRAs = 8
	// MaxUploads is the most uploads a request may name.
	MaxUploads = 4
	// MaxSeed is the largest seed, 2^53-1: exact in every JSON reader.
	MaxSeed = 1<<53 - 1
)

// RunRequest is the body of POST /api/runs (docs/api.md, "Runs"). Unknown
// fields are refused.
type RunRequest struct {
	// Stages is StagesInterception, StagesGeneration or StagesAll; empty
	// means StagesInterception.
	Stages string `json:"stages"`
	// Prompt is the student's idea, for the interception stage.
	Prompt string `json:"prompt,omitempty"`
	// Text is what the generation stage draws (usually an interception's text).
	Text string `json:"text,omitempty"`
	// Interception is the id of an interception config.
	Interception string `json:"interception,omitempty"`
	// Context replaces the interception config's instructions (user-defined).
	Context string `json:"context,omitempty"`
	// Output is the id of an output config; empty picks the default.
	Output string `json:"output,omitempty"`
	// SafetyLevel may only be stricter than the server's.
	SafetyLevel string `json:"safety_level,omitempty"`
	// Lang is "de" or "en": the language of messages and events.
	Lang string `json:"lang,omitempty"`
	// Seed fixes the generation's seed, 0..MaxSeed; nil draws one.
	Seed *uint64 `json:"seed,omitempty"`
	// LoRAs are added to the output config's LoRAs, at most MaxLoRAs.
	LoRAs []LoRA `json:"loras,omitempty"`
	// Uploads are upload ids of input images, at most MaxUploads.
	Uploads []string `json:"uploads,omitempty"`
	// SourceRun is the id of the interception run whose text a generation
	// run starts from, so the research record links the student's edit to
	// the text it edited; optional.
	SourceRun string `json:"source_run,omitempty"`
}

// RunCreated is the 202 answer of POST /api/runs.
type RunCreated struct {
	RunID string `json:"run_id"`
	// EventsURL is the path of the run's SSE stream.
	EventsURL string   `json:"events_url"`
	State     RunState `json:"state"`
}

// Run is a run's record, the answer of GET /api/runs/{id}.
type Run struct {
	RunID  string   `json:"run_id"`
	State  RunState `json:"state"`
	Stages string   `json:"stages"`
	Lang   string   `json:"lang"`
	// Input is the request as the server normalized it.
	Input json.RawMessage `json:"input"`
	// Error is why the run did not end done, if it did not.
	Error      *ErrorDetail `json:"error,omitempty"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
	FinishedAt *time.Time   `json:"finished_at,omitempty"`
	// Results holds one entry per stage that started, in order.
	Results []StageResult `json:"results"`
	// Media lists the run's output images.
	Media []Media `json:"media"`
}

// StageResult is one stage of a run's record.
type StageResult struct {
	Stage int    `json:"stage"`
	Name  string `json:"name"`
	// Status is one of the Stage* statuses.
	Status  string `json:"status"`
	Text    string `json:"text,omitempty"`
	Verdict string `json:"verdict,omitempty"`
	Model   string `json:"model,omitempty"`
	Backend string `json:"backend,omitempty"`
	// Detail is stage-specific JSON (a generation's prompt, seed, LoRAs...).
	Detail     json.RawMessage `json:"detail,omitempty"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	// MS is the stage's duration in milliseconds, once finished.
	MS int64 `json:"ms,omitempty"`
}

// Media is a stored output image of a run.
type Media struct {
	MediaID string `json:"media_id"`
	// URL is the path that serves the image: /api/media/{id}.
	URL    string `json:"url"`
	Mime   string `json:"mime"`
	Size   int64  `json:"size"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Seed   uint64 `json:"seed"`
}

// Cancel statuses of a CancelAnswer.
const (
	CancelCancelling = "cancelling"
)

// CancelAnswer is the 202 answer of POST /api/runs/{id}/cancel: the run is
// being cancelled; its stream ends with done "cancelled".
type CancelAnswer struct {
	RunID  string `json:"run_id"`
	Status string `json:"status"`
}
