package fault

import (
	"errors"

	"github.com/ai4artsed/ai4artsed/api"
)

// Sentinel errors of the domain, checked with errors.Is. Their codes and
// statuses are in the table in table.go.
var (
	// ErrUnknownConfig: a request names an interception or output config
	// that does not exist.
	ErrUnknownConfig = errors.New("unknown config")
	// ErrStageUnavailable: the request asks for a stage the server cannot run.
	ErrStageUnavailable = errors.New("stage not available")
	// ErrNotFound: the run, media item or route does not exist.
	ErrNotFound = errors.New("not found")
	// ErrFinished: the run has already ended (a cancel came too late).
	ErrFinished = errors.New("run already finished")
	// ErrTooManyRuns: the client has too many unfinished runs.
	ErrTooManyRuns = errors.New("too many unfinished runs for this client")
	// ErrQueueFull: the queue a run would wait in is at its hard length.
	ErrQueueFull = errors.New("queue full")
	// ErrShuttingDown: the server is stopping and takes no new runs.
	ErrShuttingDown = errors.New("server shutting down")
	// ErrUnknownUpload: a run names an upload id that does not exist.
	ErrUnknownUpload = errors.New("unknown upload")
	// ErrBackendGarbage: an image backend answered with something that is
	// not a usable image.
	ErrBackendGarbage = errors.New("image backend returned no usable image")
	// ErrGenerationTimeout: stage 4 ran past its deadline.
	ErrGenerationTimeout = errors.New("generation timed out")
	// ErrStoreFailed: the run's events or state could not be stored.
	ErrStoreFailed = errors.New("store write failed")
	// ErrCancelled, ErrAbandoned and ErrInterrupted are the causes a run's
	// context is cancelled with; they pick the run's final state.
	ErrCancelled   = errors.New("run cancelled")
	ErrAbandoned   = errors.New("run cancelled: nobody watched it for 60 seconds while it waited")
	ErrInterrupted = errors.New("run interrupted by server shutdown")
	// ErrBlocked: a safety check found content not suitable for the run's
	// safety level; the run ends blocked.
	ErrBlocked = errors.New("blocked by the safety check")
	// ErrSafetyUnavailable: a safety check that must pass (kids, youth)
	// could not run (the judge or vision model is down, timed out, missing
	// or answered nonsense); the run ends blocked.
	ErrSafetyUnavailable = errors.New("safety check unavailable")
	// ErrPanic: a run or handler panicked; the detail is in the log.
	ErrPanic = errors.New("internal error")
	// ErrLoginFailed: the name or password of a sign-in is wrong.
	ErrLoginFailed = errors.New("wrong name or password")
	// ErrTooManyLogins: too many failed sign-ins for the account or the
	// address in the last minutes.
	ErrTooManyLogins = errors.New("too many failed sign-ins")
	// ErrNoSession: a teacher route was asked without a live session.
	ErrNoSession = errors.New("not signed in")
	// ErrForbidden: the account may not do this (wrong role, another
	// teacher's workshop).
	ErrForbidden = errors.New("forbidden")
	// ErrNotInWorkshop: the run names a config the workshop does not allow.
	ErrNotInWorkshop = errors.New("config not allowed in this workshop")
	// ErrWorkshopPaused: the teacher paused the workshop; no runs for now.
	ErrWorkshopPaused = errors.New("workshop paused")
	// ErrWorkshopClosed: the workshop has not started or is over.
	ErrWorkshopClosed = errors.New("workshop not open")
	// ErrWorkshopRequired: the server takes runs only from workshop members.
	ErrWorkshopRequired = errors.New("runs need a workshop")
	// ErrWorkshopLimit: an hourly limit of the workshop is reached.
	ErrWorkshopLimit = errors.New("workshop limit reached")
	// ErrUnknownJoinCode: no workshop has the join code.
	ErrUnknownJoinCode = errors.New("unknown join code")
	// ErrWorkshopFull: the workshop has as many devices as it allows.
	ErrWorkshopFull = errors.New("workshop full")
)

// ValidationError names the request field that is wrong, with a message
// for the student in both languages.
type ValidationError struct {
	Field string
	Msg   Text
}

// Error implements error with the English message.
func (e *ValidationError) Error() string { return e.Field + ": " + e.Msg.En }

// Invalid returns a *ValidationError for field.
func Invalid(field, de, en string) error {
	return &ValidationError{Field: field, Msg: T(de, en)}
}

// Error is a failure with its own code and message, for the answers that no
// sentinel covers (a malformed body, an unknown route).
type Error struct {
	Code api.Code
	Msg  Text
}

// Error implements error with the English message.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Msg.En }

// New returns an *Error of code with a message in both languages.
func New(code api.Code, de, en string) error { return &Error{Code: code, Msg: T(de, en)} }

// Hinter is an error whose Hint is safe to show after the table's message:
// built by our own code from values the server chose, never from upstream
// text (for example "ollama pull llama3.1:8b").
type Hinter interface {
	Hint() string
}
