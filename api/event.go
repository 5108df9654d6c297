package api

import (
	"encoding/json"
	"fmt"
	"time"
)

// EventType names an SSE event of a run (the SSE "event:" field).
type EventType string

// The events of a run, in the order a run usually sends them (docs/api.md,
// "Events"). Each has one payload type, named in its comment.
const (
	// EventRun announces the run's state (RunEvent): first queued, then running.
	EventRun EventType = "run"
	// EventStage announces the start, end or skipping of a stage (StageEvent).
	EventStage EventType = "stage"
	// EventQueueStatus reports a run's place in a queue (QueueStatusEvent).
	// The first "waiting" and the "acquired" status are stored; the
	// once-a-second ticks in between are transient: sent to live streams
	// only, without an SSE id.
	EventQueueStatus EventType = "queue_status"
	// EventChunk is a piece of streamed LLM text (TextEvent).
	EventChunk EventType = "chunk"
	// EventText is the whole text of a stage once it is complete (TextEvent).
	EventText EventType = "text"
	// EventSafety reports the verdict of a safety check (SafetyEvent).
	EventSafety EventType = "safety"
	// EventProgress reports generation progress (ProgressEvent).
	EventProgress EventType = "progress"
	// EventMedia announces a stored output image (MediaEvent).
	EventMedia EventType = "media"
	// EventError says why a run did not end done (ErrorEvent); EventDone follows.
	EventError EventType = "error"
	// EventDone is always a run's last event (DoneEvent).
	EventDone EventType = "done"
)

// EventTypes lists every event type, for documentation and tests.
var EventTypes = []EventType{EventRun, EventStage, EventQueueStatus, EventChunk, EventText, EventSafety, EventProgress, EventMedia, EventError, EventDone}

// Payload is the data of one event type. Each payload type below implements it.
type Payload interface {
	EventType() EventType
}

// RunState is a run's state. Blocked, done, failed, cancelled and
// interrupted are final.
type RunState string

// Run states.
const (
	StateQueued      RunState = "queued"
	StateRunning     RunState = "running"
	StateBlocked     RunState = "blocked"
	StateDone        RunState = "done"
	StateFailed      RunState = "failed"
	StateCancelled   RunState = "cancelled"
	StateInterrupted RunState = "interrupted"
)

// Final reports whether a run in state s has ended and never changes again.
func (s RunState) Final() bool {
	switch s {
	case StateBlocked, StateDone, StateFailed, StateCancelled, StateInterrupted:
		return true
	}
	return false
}

// Valid reports whether s is one of the known run states.
func (s RunState) Valid() bool {
	return s == StateQueued || s == StateRunning || s.Final()
}

// Stage numbers and names of the pipeline (docs/api.md, "Stages").
const (
	StageSafety       = 1
	StageInterception = 2
	StageOptimization = 3
	StageGeneration   = 4
)

// StageName is the name of stage n ("safety", "interception",
// "optimization", "generation"), or "" for an unknown number.
func StageName(n int) string {
	switch n {
	case StageSafety:
		return "safety"
	case StageInterception:
		return "interception"
	case StageOptimization:
		return "optimization"
	case StageGeneration:
		return "generation"
	}
	return ""
}

// Stage statuses, in stage events and stage records.
const (
	StageStarted     = "started"
	StageDone        = "done"
	StageSkipped     = "skipped"
	StageFailed      = "failed"
	StageCancelled   = "cancelled"
	StageInterrupted = "interrupted"
)

// RunEvent is the payload of EventRun.
type RunEvent struct {
	RunID string   `json:"run_id"`
	State RunState `json:"state"`
}

// StageEvent is the payload of EventStage.
type StageEvent struct {
	Stage  int    `json:"stage"`
	Name   string `json:"name"`
	Status string `json:"status"`
	// Detail is a message for the student in the run's language, if any.
	Detail string `json:"detail,omitempty"`
}

// Queue statuses of QueueStatusEvent.
const (
	QueueWaiting  = "waiting"
	QueueAcquired = "acquired"
)

// QueueStatusEvent is the payload of EventQueueStatus.
type QueueStatusEvent struct {
	// Status is QueueWaiting or QueueAcquired.
	Status string `json:"status"`
	// Position is 1 for the next in line; 0 once acquired. It never rises.
	Position int   `json:"position"`
	WaitedMS int64 `json:"waited_ms"`
	// Message is for the student, in the run's language.
	Message string `json:"message"`
	// Backend names the queue (an LLM or image machine).
	Backend string `json:"backend,omitempty"`
}

// TextEvent is the payload of EventChunk (a piece) and EventText (the whole
// text of a stage).
type TextEvent struct {
	Stage int    `json:"stage"`
	Text  string `json:"text"`
}

// ChunkEvent is a TextEvent sent as EventChunk.
type ChunkEvent TextEvent

// Safety verdicts of SafetyEvent.
const (
	VerdictSafe    = "safe"
	VerdictBlocked = "blocked"
)

// SafetyEvent is the payload of EventSafety: the verdict of the safety
// checks of stage 1 (input), 3 (pre-output) or 4 (the image check).
type SafetyEvent struct {
	Stage int `json:"stage"`
	// Verdict is VerdictSafe or VerdictBlocked.
	Verdict string `json:"verdict"`
	// Reason tells the student, in the run's language, what kind of content
	// was found, why it matters and a way forward; empty when safe.
	Reason string `json:"reason,omitempty"`
	// Checks names the checks that ran (e.g. "filter_86a", "judge", "vision").
	Checks []string `json:"checks"`
	// Terms lists matched terms, only where showing them helps.
	Terms []string `json:"terms,omitempty"`
	// Suggestion is a harmless rewrite of the idea, itself checked.
	Suggestion string `json:"suggestion,omitempty"`
}

// ProgressEvent is the payload of EventProgress: Value of Max steps done.
type ProgressEvent struct {
	Stage int `json:"stage"`
	Value int `json:"value"`
	Max   int `json:"max"`
}

// LoRA is a LoRA applied to a generation.
type LoRA struct {
	Name         string   `json:"name"`
	Strength     float64  `json:"strength"`
	ClipStrength *float64 `json:"clip_strength,omitempty"`
	Trigger      string   `json:"trigger,omitempty"`
}

// MediaEvent is the payload of EventMedia.
type MediaEvent struct {
	MediaID string `json:"media_id"`
	URL     string `json:"url"`
	Mime    string `json:"mime"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Seed    uint64 `json:"seed"`
	LoRAs   []LoRA `json:"loras"`
}

// ErrorEvent is the payload of EventError.
type ErrorEvent struct {
	Code Code `json:"code"`
	// Message is for the student, in the run's language; never upstream text.
	Message string `json:"message"`
}

// DoneEvent is the payload of EventDone: the run's final state and its
// duration in milliseconds.
type DoneEvent struct {
	State RunState `json:"state"`
	MS    int64    `json:"ms"`
}

// EventType implements Payload.
func (RunEvent) EventType() EventType { return EventRun }

// EventType implements Payload.
func (StageEvent) EventType() EventType { return EventStage }

// EventType implements Payload.
func (QueueStatusEvent) EventType() EventType { return EventQueueStatus }

// EventType implements Payload: a TextEvent is the whole text of a stage.
func (TextEvent) EventType() EventType { return EventText }

// EventType implements Payload.
func (ChunkEvent) EventType() EventType { return EventChunk }

// EventType implements Payload.
func (SafetyEvent) EventType() EventType { return EventSafety }

// EventType implements Payload.
func (ProgressEvent) EventType() EventType { return EventProgress }

// EventType implements Payload.
func (MediaEvent) EventType() EventType { return EventMedia }

// EventType implements Payload.
func (ErrorEvent) EventType() EventType { return EventError }

// EventType implements Payload.
func (DoneEvent) EventType() EventType { return EventDone }

// Event is one event of a run as it is stored and streamed.
type Event struct {
	// Seq is the event's sequence number within its run (the SSE id); 0 for
	// a transient event.
	Seq  int64           `json:"seq"`
	Type EventType       `json:"type"`
	Data json.RawMessage `json:"data"`
	At   time.Time       `json:"at,omitzero"`
}

// Encode marshals p into an event of its type (Seq and At left zero).
func Encode(p Payload) (Event, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return Event{}, fmt.Errorf("api: encode %s event: %w", p.EventType(), err)
	}
	return Event{Type: p.EventType(), Data: raw}, nil
}

// Decode unmarshals e's data into its payload type. An unknown type is an
// error, so a client notices events it does not understand.
func (e Event) Decode() (Payload, error) {
	var p Payload
	switch e.Type {
	case EventRun:
		p = new(RunEvent)
	case EventStage:
		p = new(StageEvent)
	case EventQueueStatus:
		p = new(QueueStatusEvent)
	case EventChunk:
		p = new(ChunkEvent)
	case EventText:
		p = new(TextEvent)
	case EventSafety:
		p = new(SafetyEvent)
	case EventProgress:
		p = new(ProgressEvent)
	case EventMedia:
		p = new(MediaEvent)
	case EventError:
		p = new(ErrorEvent)
	case EventDone:
		p = new(DoneEvent)
	default:
		return nil, fmt.Errorf("api: unknown event type %q", e.Type)
	}
	if err := json.Unmarshal(e.Data, p); err != nil {
		return nil, fmt.Errorf("api: decode %s event: %w", e.Type, err)
	}
	return deref(p), nil
}

// deref turns the pointer Decode filled into the payload value.
func deref(p Payload) Payload {
	switch v := p.(type) {
	case *RunEvent:
		return *v
	case *StageEvent:
		return *v
	case *QueueStatusEvent:
		return *v
	case *ChunkEvent:
		return *v
	case *TextEvent:
		return *v
	case *SafetyEvent:
		return *v
	case *ProgressEvent:
		return *v
	case *MediaEvent:
		return *v
	case *ErrorEvent:
		return *v
	case *DoneEvent:
		return *v
	}
	return p
}
