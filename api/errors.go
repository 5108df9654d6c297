package api

// Code is the machine-readable kind of an error: the "code" of an error body
// and of an error event (docs/api.md, "Errors"). The server's one table in
// internal/fault maps each to its HTTP status and its messages.
type Code string

// Error codes.
const (
	// Request errors.
	CodeInvalidRequest   Code = "invalid_request"
	CodeBadJSON          Code = "bad_json"
	CodeUnsupportedMedia Code = "unsupported_media_type"
	CodeTooLarge         Code = "too_large"
	CodeRequestTimeout   Code = "request_timeout"
	CodeNotAnImage       Code = "not_an_image"
	CodeUnknownConfig    Code = "unknown_config"
	CodeUnknownUpload    Code = "unknown_upload"
	CodeNotFound         Code = "not_found"
	CodeMethodNotAllowed Code = "method_not_allowed"
	CodeCrossOrigin      Code = "cross_origin"
	CodeUnauthorized     Code = "unauthorized"
	CodeForbidden        Code = "forbidden"
	CodeStageUnavailable Code = "stage_unavailable"
	CodeRunFinished      Code = "run_finished"
	CodeTooManyRuns      Code = "too_many_runs"
	CodeQueueFull        Code = "queue_full"
	CodeShuttingDown     Code = "shutting_down"
	CodeBusy             Code = "busy"

	// Accounts and workshops.
	CodeLoginFailed      Code = "login_failed"
	CodeTooManyLogins    Code = "too_many_logins"
	CodeNotInWorkshop    Code = "not_in_workshop"
	CodeWorkshopPaused   Code = "workshop_paused"
	CodeWorkshopClosed   Code = "workshop_closed"
	CodeWorkshopRequired Code = "workshop_required"
	CodeWorkshopLimit    Code = "workshop_limit"
	CodeUnknownJoinCode  Code = "unknown_join_code"
	CodeWorkshopFull     Code = "workshop_full"

	// How a run ended other than done.
	CodeCancelled   Code = "cancelled"
	CodeAbandoned   Code = "abandoned"
	CodeInterrupted Code = "interrupted"

	// Youth protection: the run ends in state blocked.
	CodeBlocked           Code = "blocked"
	CodeSafetyUnavailable Code = "safety_unavailable"

	// LLM backends.
	CodeModelNotFound    Code = "model_not_found"
	CodeModelLoadFailed  Code = "model_load_failed"
	CodeLLMUnavailable   Code = "llm_unavailable"
	CodeLLMNotConfigured Code = "llm_not_configured"
	CodeLLMTimeout       Code = "llm_timeout"
	CodeLLMBadResponse   Code = "llm_bad_response"
	CodeLLMError         Code = "llm_error"
	CodeLLMEmptyAnswer   Code = "llm_empty_answer"

	// Image backends.
	CodeBackendUnavailable    Code = "backend_unavailable"
	CodeBackendBadResponse    Code = "backend_bad_response"
	CodeWorkflowRejected      Code = "workflow_rejected"
	CodeGenerationFailed      Code = "generation_failed"
	CodeGenerationTimeout     Code = "generation_timeout"
	CodeGenerationInterrupted Code = "generation_interrupted"

	// The server itself.
	CodeStoreFailed Code = "store_failed"
	CodeTimeout     Code = "timeout"
	CodeInternal    Code = "internal_error"
)

// ErrorBody is the body of every error answer: {"error": {...}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is what went wrong, for programs (Code) and people (Message,
// in the request's language).
type ErrorDetail struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Field names the request field at fault, for validation errors.
	Field string `json:"field,omitempty"`
}
