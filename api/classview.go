package api

import (
	"encoding/json"
	"fmt"
	"time"
)

// The events of a workshop's class stream, GET
// /api/teacher/workshops/{id}/live (docs/api.md, "Class view"). Each has
// one payload type, named in its comment. They carry no SSE id: a client
// that reconnects gets a new snapshot.
const (
	// EventClassWorkshop is the workshop's state and quota
	// (ClassWorkshop): first, and again whenever it changes.
	EventClassWorkshop EventType = "workshop"
	// EventClassSnapshot lists the workshop's latest runs, newest first
	// (ClassSnapshot): once, after the first workshop event.
	EventClassSnapshot EventType = "snapshot"
	// EventClassRun is the whole state of one run (ClassRun): for each new
	// run and each change of one.
	EventClassRun EventType = "class_run"
)

// ClassEventTypes lists the class stream's event types, for documentation
// and tests.
var ClassEventTypes = []EventType{EventClassWorkshop, EventClassSnapshot, EventClassRun}

// ClassWorkshop is the payload of EventClassWorkshop.
type ClassWorkshop struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Paused bool   `json:"paused"`
	// PauseMessage is what the students see while the workshop is paused.
	PauseMessage string `json:"pause_message"`
	Quota        Quota  `json:"quota"`
}

// Quota is what is left of a workshop's hourly limits. The counts are
// kept in memory per server process (docs/api.md, "Workshops").
type Quota struct {
	// GenerationsPerHour is the workshop's cap of runs with an image per
	// hour; 0: none.
	GenerationsPerHour int `json:"generations_per_hour"`
	// GenerationsUsed counts them over the last hour.
	GenerationsUsed int `json:"generations_used"`
	// GenerationsLeft is how many more may start now; absent without a cap.
	GenerationsLeft *int `json:"generations_left,omitempty"`
	// RunsPerHour is the cap of runs per student device and hour; 0: none.
	RunsPerHour int `json:"runs_per_hour"`
	// RunsLeft is how many more runs the asking student's device may start
	// now; absent without a cap and in the teacher's view.
	RunsLeft *int `json:"runs_left,omitempty"`
}

// ClassSnapshot is the payload of EventClassSnapshot.
type ClassSnapshot struct {
	Runs []ClassRun `json:"runs"`
}

// ClassRun is one run of a workshop as the teacher's class view shows it:
// the latest of everything its events said.
type ClassRun struct {
	RunID string `json:"run_id"`
	// Device is the id of the student's device; Nickname what the student
	// typed when joining.
	Device       string `json:"device"`
	Nickname     string `json:"nickname"`
	Stages       string `json:"stages"`
	Interception string `json:"interception,omitempty"`
	Output       string `json:"output,omitempty"`
	// Prompt is the idea of an interception run, or the text a generation
	// run draws.
	Prompt string   `json:"prompt"`
	State  RunState `json:"state"`
	// Stage is the latest stage event, absent before the first.
	Stage *StageEvent `json:"stage,omitempty"`
	// Queue is the run's place in a queue while it waits.
	Queue    *QueueStatusEvent `json:"queue,omitempty"`
	Progress *ProgressEvent    `json:"progress,omitempty"`
	// Texts holds the whole text of each stage that produced one, in order.
	Texts []TextEvent `json:"texts"`
	// Verdicts holds every safety verdict with its reason.
	Verdicts []SafetyEvent `json:"verdicts"`
	Media    []MediaEvent  `json:"media"`
	// Error says why the run did not end done.
	Error     *ErrorEvent `json:"error,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	// MS is the run's duration once it is done.
	MS int64 `json:"ms,omitempty"`
}

// Blocked reports whether a safety check stopped the run.
func (c *ClassRun) Blocked() bool {
	if c.State == StateBlocked {
		return true
	}
	for _, v := range c.Verdicts {
		if v.Verdict == VerdictBlocked {
			return true
		}
	}
	return false
}

// EventType implements Payload.
func (ClassWorkshop) EventType() EventType { return EventClassWorkshop }

// EventType implements Payload.
func (ClassSnapshot) EventType() EventType { return EventClassSnapshot }

// EventType implements Payload.
func (ClassRun) EventType() EventType { return EventClassRun }

// DecodeClass unmarshals an event of the class stream into its payload
// type; a type that is not a class event is an error.
func (e Event) DecodeClass() (Payload, error) {
	switch e.Type {
	case EventClassWorkshop:
		return decodeInto[ClassWorkshop](e)
	case EventClassSnapshot:
		return decodeInto[ClassSnapshot](e)
	case EventClassRun:
		return decodeInto[ClassRun](e)
	}
	return nil, fmt.Errorf("api: unknown class event type %q", e.Type)
}

func decodeInto[T Payload](e Event) (Payload, error) {
	var p T
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return nil, fmt.Errorf("api: decode %s event: %w", e.Type, err)
	}
	return p, nil
}

// PauseRequest is the optional body of POST
// /api/teacher/workshops/{id}/pause.
type PauseRequest struct {
	// Message is shown to the students while the workshop is paused; at
	// most 200 characters.
	Message string `json:"message"`
}

// StudentWorkshop is the answer of GET /api/workshop: the workshop the
// browser's device joined, as the student's page shows it.
type StudentWorkshop struct {
	Name     string `json:"name"`
	Nickname string `json:"nickname"`
	// Interceptions and Outputs are the allowed config ids; empty: all.
	Interceptions []string  `json:"interceptions"`
	Outputs       []string  `json:"outputs"`
	Paused        bool      `json:"paused"`
	PauseMessage  string    `json:"pause_message"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	Quota         Quota     `json:"quota"`
}
