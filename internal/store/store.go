// Package store defines the records the server keeps about runs, their stages,
// events and media, and the Store interface every storage backend implements.
//
// The package imports only the standard library and the wire vocabulary
// (package api); adapters such as
// internal/store/sqlite implement Store, and internal/store/storetest holds the
// conformance suite each of them must pass.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
)

// Sentinel errors returned by every Store implementation, checked with errors.Is.
var (
	// ErrNotFound reports that a run, media item, upload, account or
	// session does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict reports a write that contradicts stored data: a duplicate id,
	// a duplicate event sequence number, a change to a run that is final, or
	// an account name that is taken.
	ErrConflict = errors.New("store: conflict")
	// ErrInvalid reports a record that cannot be stored as given, such as an
	// empty id or an unknown run state.
	ErrInvalid = errors.New("store: invalid record")
)

// Store keeps runs, stage results, events, media and uploads, and the
// teacher side: accounts and sessions (Accounts), workshops and the
// devices that joined them (Workshops), what a workshop made (Research)
// and the admin's defaults (Settings).
//
// Each method is one transaction. Times are kept with at least millisecond
// precision and are returned in UTC. Implementations are safe for concurrent use.
type Store interface {
	// CreateRun stores a new run. A zero CreatedAt or UpdatedAt is set to the
	// current time and an empty State to StateQueued; r is updated in place.
	// A duplicate id is ErrConflict.
	CreateRun(ctx context.Context, r *Run) error
	// SetRunState moves run id to state st with an error code and message
	// (empty unless the run failed). A final state sets FinishedAt. A run that
	// is already final never changes again: that is ErrConflict.
	SetRunState(ctx context.Context, id string, st State, code, msg string) error
	// PutStage inserts or replaces the result of stage r.Stage of run runID.
	PutStage(ctx context.Context, runID string, r StageResult) error
	// AppendEvent stores an event of run e.RunID. Sequence numbers are unique
	// per run: a duplicate is ErrConflict. A zero At is set to the current time.
	AppendEvent(ctx context.Context, e Event) error
	// Events returns the events of run runID with Seq > afterSeq in ascending
	// order of Seq. An unknown run is ErrNotFound.
	Events(ctx context.Context, runID string, afterSeq int64) ([]Event, error)
	// GetRun returns a run with its stages (ordered by stage number) and media
	// (ordered by creation). An unknown id is ErrNotFound.
	GetRun(ctx context.Context, id string) (*Run, error)
	// InterruptUnfinished ends every queued or running run as interrupted at
	// now, one transaction per run: end(run, now) gives the error code and
	// message stored with it and the final events, which are appended after
	// the run's last event with the next sequence numbers (the store sets
	// their RunID, Seq and At); stages still "started" become "interrupted"
	// with now as their end. It returns the ids it changed.
	InterruptUnfinished(ctx context.Context, now time.Time, end EndFunc) ([]string, error)
	// PutMedia stores a media item of an existing run (ErrNotFound otherwise).
	// A duplicate id is ErrConflict. A zero CreatedAt is set to the current time.
	PutMedia(ctx context.Context, m Media) error
	// GetMedia returns media item id, or ErrNotFound.
	GetMedia(ctx context.Context, id string) (*Media, error)
	// PutUpload stores an uploaded image's record. A duplicate id is
	// ErrConflict. A zero CreatedAt is set to the current time.
	PutUpload(ctx context.Context, u Upload) error
	// GetUpload returns upload id, or ErrNotFound.
	GetUpload(ctx context.Context, id string) (*Upload, error)
	// Close releases the store's resources.
	Close() error

	Accounts
	Workshops
	Retention
	Research
	Settings
	ClassView
}

// EndFunc says how InterruptUnfinished ends run r (its ID, Lang, Stages,
// State and CreatedAt are set).
type EndFunc func(r Run, now time.Time) Ending

// Ending is the end InterruptUnfinished writes for one run.
type Ending struct {
	Code, Message string
	// Events are appended in order; each needs a Type and JSON Data.
	Events []Event
}

// Check reports an ending the store cannot write: an event without a type
// or with data that is not JSON. Both adapters call it before writing.
func (e Ending) Check() error {
	for i, ev := range e.Events {
		if ev.Type == "" || !json.Valid(ev.Data) {
			return fmt.Errorf("ending event %d (%q): %w", i, ev.Type, ErrInvalid)
		}
	}
	return nil
}

// Run is one student request going through some stages of the pipeline.
type Run struct {
	ID       string
	ClientID string
	// Stages is the requested range: "interception", "generation" or "all".
	Stages string
	Lang   string
	// Input is the request body as accepted (normalised JSON).
	Input        json.RawMessage
	State        State
	ErrorCode    string
	ErrorMessage string
	// Owner is the replica executing the run while it is queued or
	// running; empty for a single process (docs/deploy.md, "How replicas
	// cooperate").
	Owner     string
	CreatedAt time.Time
	UpdatedAt time.Time
	// FinishedAt is set once the run reached a final state.
	FinishedAt *time.Time
	// Stage holds the stage results, ordered by stage number (filled by GetRun).
	Stage []StageResult
	// Media holds the stored outputs, oldest first (filled by GetRun).
	Media []Media
}

// Stage result statuses (the same words as in stage events).
const (
	StageStarted = api.StageStarted
	StageDone    = api.StageDone
	StageSkipped = api.StageSkipped
	StageFailed  = api.StageFailed
)

// StageResult is what one stage of a run produced.
type StageResult struct {
	// Stage is the stage number, 1 to 4.
	Stage int
	// Name is the stage name: safety, interception, optimization, generation.
	Name string
	// Status is StageStarted, StageDone, StageSkipped or StageFailed.
	Status  string
	Text    string
	Verdict string
	Model   string
	Backend string
	// Detail is a free-form JSON record: generation backend, seed, LoRAs,
	// the workflow graph sent, the ComfyUI prompt id and the like.
	Detail     json.RawMessage
	StartedAt  time.Time
	FinishedAt *time.Time
}

// Event is one stored SSE event of a run.
type Event struct {
	RunID string
	// Seq is the event's sequence number within its run (the SSE id).
	Seq  int64
	Type string
	Data json.RawMessage
	At   time.Time
}

// Media is one stored output of a run; its bytes live in the media files
// under Hash.
type Media struct {
	ID     string
	RunID  string
	Hash   string
	Mime   string
	Size   int64
	Width  int
	Height int
	// Seed is the generation seed; the full uint64 range is kept.
	Seed      uint64
	Meta      json.RawMessage
	CreatedAt time.Time
}

// Upload is a student's uploaded image; its bytes live in the media files
// under Hash.
type Upload struct {
	ID        string
	Hash      string
	Mime      string
	Size      int64
	Width     int
	Height    int
	CreatedAt time.Time
}

// Replicas is what the server replicas sharing one store know of each other
// (docs/deploy.md, "How replicas cooperate"): each renews a lease, and a
// survivor ends the runs of a replica whose lease ran out. Times are the
// store's clock, so the replicas' clocks may differ. The PostgreSQL store
// implements it; a SQLite store serves one process and needs none.
type Replicas interface {
	// Beat renews the lease of replica id. It reports whether the replica
	// had one: false on its first beat, and after survivors declared it dead
	// and removed it (its runs are interrupted).
	Beat(ctx context.Context, id string) (bool, error)
	// Leave removes replica id's lease: a clean stop.
	Leave(ctx context.Context, id string) error
	// InterruptOrphans ends, as InterruptUnfinished does, every queued or
	// running run whose owner has no lease renewed within ttl (or none at
	// all), and removes such leases once they own no unfinished run. It
	// returns the ids it changed.
	InterruptOrphans(ctx context.Context, ttl time.Duration, now time.Time, end EndFunc) ([]string, error)
	// RequestCancel records that run id is to be cancelled and tells the
	// replica executing it. An unknown run is ErrNotFound, a final one
	// ErrConflict.
	RequestCancel(ctx context.Context, id string) error
	// CancelRequests returns the unfinished runs of owner whose cancel was
	// requested: what the owner checks when it may have missed the news.
	CancelRequests(ctx context.Context, owner string) ([]string, error)
}
