package api

import (
	"encoding/json"
	"time"
)

// Upload is the 201 answer of POST /api/uploads: a checked input image a run
// may name in RunRequest.Uploads.
type Upload struct {
	UploadID string `json:"upload_id"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	Mime     string `json:"mime"`
	Size     int64  `json:"size"`
}

// Config kinds.
const (
	KindInterception = "interception"
	KindOutput       = "output"
)

// Text is a text in German and English.
type Text struct {
	DE string `json:"de"`
	EN string `json:"en"`
}

// Get returns the text in lang, falling back to the other language.
func (t Text) Get(lang string) string {
	if lang == "en" && t.EN != "" || t.DE == "" {
		return t.EN
	}
	return t.DE
}

// ConfigSummary is one config of GET /api/configs: what the UI's tiles show.
type ConfigSummary struct {
	ID string `json:"id"`
	// Kind is KindInterception or KindOutput.
	Kind        string `json:"kind"`
	Name        Text   `json:"name"`
	Description Text   `json:"description"`
	Category    Text   `json:"category"`
	Icon        string `json:"icon"`
	Color       string `json:"color"`
	Order       int    `json:"order"`
	// Media is what the config makes ("image").
	Media  string `json:"media"`
	MinAge int    `json:"min_age"`
	LoRAs  []LoRA `json:"loras"`
}

// ConfigList is the answer of GET /api/configs.
type ConfigList struct {
	Configs []ConfigSummary `json:"configs"`
}

// ConfigDetail is the answer of GET /api/configs/{id}: the whole config as
// the server's catalog holds it (docs/api.md, "Configs").
type ConfigDetail struct {
	// Kind is KindInterception or KindOutput.
	Kind   string          `json:"kind"`
	Config json.RawMessage `json:"config"`
}

// Backend is the state of one external service (an LLM or image server).
type Backend struct {
	Name string `json:"name"`
	// Kind is "llm" or "image".
	Kind string `json:"kind"`
	URL  string `json:"url"`
	// State is "up", "down", "unknown" (not probed) or, for a supervised
	// image server, the supervisor's state ("starting", "backoff"...).
	State     string    `json:"state"`
	Detail    string    `json:"detail"`
	CheckedAt time.Time `json:"checked_at"`
	// Queue is the machine's slot queue; nil when not known.
	Queue *BackendQueue `json:"queue,omitempty"`
	// Loaded are the models loaded on the machine (Ollama's /api/ps and
	// the calls routed since; on an image machine the checkpoint last
	// queued), sorted (docs/backends.md).
	Loaded []string `json:"loaded,omitempty"`
	// Labels are the machine's labels from the backends file.
	Labels []string `json:"labels,omitempty"`
}

// BackendQueue is the state of a machine's slot queue.
type BackendQueue struct {
	Waiting int `json:"waiting"` // calls waiting for a slot
	InUse   int `json:"in_use"`  // slots held
	Slots   int `json:"slots"`   // slots in all
}

// BackendList is the answer of GET /api/backends, sorted by name.
type BackendList struct {
	Backends []Backend `json:"backends"`
}

// Info is the answer of GET /api/info: how the server runs.
type Info struct {
	// Demo is true when the server runs against its built-in simulators.
	Demo           bool `json:"demo"`
	MaxPromptChars int  `json:"max_prompt_chars"`
	// Language is the default language of UI texts and messages ("de" or "en").
	Language string `json:"language"`
	// SafetyLevel is the server's safety level ("kids", "youth", "adult",
	// "research"); the UI offers only configs suitable for it.
	SafetyLevel string `json:"safety_level"`
}

// Health is the answer of GET /healthz.
type Health struct {
	// Status is HealthOK (200), or HealthDraining (503) while the server
	// stops: it takes no new runs and lets those in flight finish.
	Status string `json:"status"`
}

// Health statuses.
const (
	HealthOK       = "ok"
	HealthDraining = "draining"
)
