package fault

import (
	"context"
	"errors"
	"net/http"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/queue"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/supervisor"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// codeInfo is the HTTP status and the student's message of a code.
type codeInfo struct {
	status int
	msg    Text
}

// codes is the one table of codes: status and message. A new code is one
// line here and one constant in package api.
var codes = map[api.Code]codeInfo{
	api.CodeInvalidRequest:   {http.StatusBadRequest, T("Die Anfrage ist ungültig.", "The request is not valid.")},
	api.CodeBadJSON:          {http.StatusBadRequest, T("Die Anfrage ist kein gültiges JSON.", "The request is not valid JSON.")},
	api.CodeUnsupportedMedia: {http.StatusUnsupportedMediaType, T("Die Anfrage muss JSON sein.", "The request must be JSON.")},
	api.CodeTooLarge:         {http.StatusRequestEntityTooLarge, T("Das ist zu groß.", "That is too large.")},
	api.CodeRequestTimeout:   {http.StatusRequestTimeout, T("Die Anfrage kam nicht rechtzeitig an. Versuch es noch einmal.", "The request did not arrive in time. Try again.")},
	api.CodeNotAnImage:       {http.StatusBadRequest, T("Das ist kein Bild, das wir lesen können (PNG, JPEG oder WebP).", "That is not an image we can read (PNG, JPEG or WebP).")},
	api.CodeUnknownConfig:    {http.StatusNotFound, T("Diese Verwandlung gibt es nicht.", "This transformation does not exist.")},
	api.CodeUnknownUpload:    {http.StatusNotFound, T("Das hochgeladene Bild gibt es nicht mehr. Bitte lade es noch einmal hoch.", "The uploaded image no longer exists. Please upload it again.")},
	api.CodeNotFound:         {http.StatusNotFound, T("Das gibt es nicht.", "That does not exist.")},
	api.CodeMethodNotAllowed: {http.StatusMethodNotAllowed, T("Diese Methode ist hier nicht erlaubt.", "This method is not allowed here.")},
	api.CodeCrossOrigin:      {http.StatusForbidden, T("Anfragen von anderen Webseiten sind nicht erlaubt.", "Requests from other web sites are not allowed.")},
	api.CodeUnauthorized:     {http.StatusUnauthorized, T("Bitte melde dich an.", "Please sign in.")},
	api.CodeForbidden:        {http.StatusForbidden, T("Das darfst du nicht.", "You are not allowed to do that.")},
	api.CodeStageUnavailable: {http.StatusBadRequest, T("Dieser Schritt ist auf diesem Server nicht verfügbar.", "This step is not available on this server.")},
	api.CodeRunFinished:      {http.StatusConflict, T("Der Lauf ist schon zu Ende.", "The run has already finished.")},
	api.CodeTooManyRuns:      {http.StatusTooManyRequests, T("Du hast schon genug Läufe gestartet. Warte, bis einer fertig ist.", "You have started enough runs. Wait until one has finished.")},
	api.CodeQueueFull:        {http.StatusTooManyRequests, T("Gerade wollen sehr viele etwas machen. Versuch es gleich noch einmal.", "Very many people are using the server right now. Try again in a moment.")},
	api.CodeBusy:             {http.StatusServiceUnavailable, T("Der Server ist gerade sehr beschäftigt. Versuch es gleich noch einmal.", "The server is very busy right now. Try again in a moment.")},
	api.CodeLoginFailed:      {http.StatusUnauthorized, T("Name oder Passwort ist falsch.", "Wrong name or password.")},
	api.CodeTooManyLogins:    {http.StatusTooManyRequests, T("Zu viele falsche Anmeldungen. Warte ein paar Minuten und versuch es dann noch einmal.", "Too many failed sign-ins. Wait a few minutes, then try again.")},
	api.CodeNotInWorkshop:    {http.StatusForbidden, T("Das ist in diesem Workshop nicht freigegeben. Such dir etwas anderes aus.", "This is not enabled in this workshop. Pick something else.")},
	api.CodeWorkshopPaused:   {http.StatusForbidden, T("Deine Lehrkraft hat den Workshop gerade angehalten. Warte, bis es weitergeht.", "Your teacher has paused the workshop. Wait until it goes on.")},
	api.CodeWorkshopClosed:   {http.StatusForbidden, T("Der Workshop hat noch nicht begonnen oder ist schon vorbei.", "The workshop has not started yet or is over.")},
	api.CodeWorkshopRequired: {http.StatusForbidden, T("Bitte tritt zuerst mit dem Code deiner Lehrkraft einem Workshop bei.", "Please join a workshop first, with the code your teacher gives you.")},
	api.CodeWorkshopLimit:    {http.StatusTooManyRequests, T("Für diese Stunde ist die Grenze des Workshops erreicht. Warte ein bisschen.", "The workshop's limit for this hour is reached. Wait a little.")},
	api.CodeUnknownJoinCode:  {http.StatusNotFound, T("Diesen Code gibt es nicht. Schau noch einmal genau hin.", "There is no workshop with this code. Check it again.")},
	api.CodeWorkshopFull:     {http.StatusForbidden, T("Der Workshop ist voll. Sag deiner Lehrkraft Bescheid.", "The workshop is full. Please tell your teacher.")},
	api.CodeShuttingDown:     {http.StatusServiceUnavailable, T("Der Server wird gerade neu gestartet. Versuch es gleich noch einmal.", "The server is restarting. Try again in a moment.")},

	api.CodeCancelled:   {http.StatusConflict, T("Der Lauf wurde abgebrochen.", "The run was cancelled.")},
	api.CodeAbandoned:   {http.StatusConflict, T("Niemand hat den Lauf 60 Sekunden lang beobachtet; er wurde abgebrochen.", "Nobody watched the run for 60 seconds; it was cancelled.")},
	api.CodeInterrupted: {http.StatusServiceUnavailable, T("Der Server wurde beendet; der Lauf wurde unterbrochen.", "The server shut down; the run was interrupted.")},

	api.CodeBlocked:           {http.StatusUnprocessableEntity, T("Die Sicherheitsprüfung hat deine Idee angehalten. Schau dir den Hinweis an und versuch es mit einer anderen Idee.", "The safety check stopped your idea. Read the note and try another idea.")},
	api.CodeSafetyUnavailable: {http.StatusServiceUnavailable, T("Die Sicherheitsprüfung ist gerade nicht erreichbar, darum wurde angehalten. Versuch es gleich noch einmal.", "The safety check is not available right now, so we stopped here. Try again in a moment.")},

	api.CodeModelNotFound:    {http.StatusServiceUnavailable, T("Das KI-Modell ist auf dem Server nicht installiert. Bitte sag deiner Lehrkraft Bescheid.", "The AI model is not installed on the server. Please tell your teacher.")},
	api.CodeModelLoadFailed:  {http.StatusBadGateway, T("Das KI-Modell konnte nicht geladen werden. Bitte sag deiner Lehrkraft Bescheid.", "The AI model could not be loaded. Please tell your teacher.")},
	api.CodeLLMUnavailable:   {http.StatusBadGateway, T("Die Text-KI ist gerade nicht erreichbar. Versuch es gleich noch einmal.", "The text AI cannot be reached right now. Try again in a moment.")},
	api.CodeLLMNotConfigured: {http.StatusServiceUnavailable, T("Die Text-KI ist auf dem Server nicht eingerichtet. Bitte sag deiner Lehrkraft Bescheid.", "The text AI is not set up on the server. Please tell your teacher.")},
	api.CodeLLMTimeout:       {http.StatusGatewayTimeout, T("Die Text-KI hat zu lange gebraucht. Versuch es noch einmal.", "The text AI took too long. Try again.")},
	api.CodeLLMBadResponse:   {http.StatusBadGateway, T("Die Text-KI hat etwas Unverständliches geantwortet. Versuch es noch einmal.", "The text AI gave an answer we could not read. Try again.")},
	api.CodeLLMError:         {http.StatusBadGateway, T("Die Text-KI hat einen Fehler gemeldet. Versuch es noch einmal.", "The text AI reported an error. Try again.")},
	api.CodeLLMEmptyAnswer:   {http.StatusBadGateway, T("Das Modell hat keine Antwort gegeben. Bitte sag deiner Lehrkraft, dass sie das Modell prüfen soll.", "The model gave no answer; ask your teacher to check the model.")},

	api.CodeBackendUnavailable:    {http.StatusServiceUnavailable, T("Die Bild-KI ist gerade nicht erreichbar. Versuch es gleich noch einmal.", "The image AI cannot be reached right now. Try again in a moment.")},
	api.CodeBackendBadResponse:    {http.StatusBadGateway, T("Die Bild-KI hat kein brauchbares Bild geliefert. Versuch es noch einmal.", "The image AI returned no usable image. Try again.")},
	api.CodeWorkflowRejected:      {http.StatusBadGateway, T("Die Bild-KI hat den Auftrag abgelehnt. Bitte sag deiner Lehrkraft Bescheid.", "The image AI rejected the job. Please tell your teacher.")},
	api.CodeGenerationFailed:      {http.StatusBadGateway, T("Beim Malen des Bildes ist etwas schiefgegangen. Versuch es noch einmal.", "Something went wrong while making the image. Try again.")},
	api.CodeGenerationTimeout:     {http.StatusGatewayTimeout, T("Das Bild hat zu lange gedauert. Versuch es noch einmal.", "The image took too long. Try again.")},
	api.CodeGenerationInterrupted: {http.StatusBadGateway, T("Das Bild wurde auf dem Bild-Server abgebrochen.", "The image was stopped on the image server.")},

	api.CodeStoreFailed: {http.StatusInternalServerError, T("Der Server konnte den Lauf nicht speichern. Bitte sag deiner Lehrkraft Bescheid.", "The server could not save the run. Please tell your teacher.")},
	api.CodeTimeout:     {http.StatusGatewayTimeout, T("Das hat zu lange gedauert. Versuch es noch einmal.", "That took too long. Try again.")},
	api.CodeInternal:    {http.StatusInternalServerError, T("Auf dem Server ist ein Fehler passiert. Bitte sag deiner Lehrkraft Bescheid.", "Something went wrong on the server. Please tell your teacher.")},
}

// sentinels maps errors to codes, first match wins: the specific before the
// general (a comfy timeout before context.DeadlineExceeded).
var sentinels = []struct {
	err  error
	code api.Code
}{
	{ErrUnknownConfig, api.CodeUnknownConfig},
	{ErrStageUnavailable, api.CodeStageUnavailable},
	{ErrNotFound, api.CodeNotFound},
	{store.ErrNotFound, api.CodeNotFound},
	{ErrFinished, api.CodeRunFinished},
	{ErrTooManyRuns, api.CodeTooManyRuns},
	{ErrQueueFull, api.CodeQueueFull},
	{queue.ErrFull, api.CodeQueueFull},
	{ErrShuttingDown, api.CodeShuttingDown},
	{queue.ErrClosed, api.CodeShuttingDown},
	{ErrUnknownUpload, api.CodeUnknownUpload},
	{ErrCancelled, api.CodeCancelled},
	{ErrAbandoned, api.CodeAbandoned},
	{ErrInterrupted, api.CodeInterrupted},
	{ErrStoreFailed, api.CodeStoreFailed},
	{ErrPanic, api.CodeInternal},
	{ErrLoginFailed, api.CodeLoginFailed},
	{ErrTooManyLogins, api.CodeTooManyLogins},
	{ErrNoSession, api.CodeUnauthorized},
	{ErrForbidden, api.CodeForbidden},
	{ErrNotInWorkshop, api.CodeNotInWorkshop},
	{ErrWorkshopPaused, api.CodeWorkshopPaused},
	{ErrWorkshopClosed, api.CodeWorkshopClosed},
	{ErrWorkshopRequired, api.CodeWorkshopRequired},
	{ErrWorkshopLimit, api.CodeWorkshopLimit},
	{ErrUnknownJoinCode, api.CodeUnknownJoinCode},
	{ErrWorkshopFull, api.CodeWorkshopFull},
	{ErrBlocked, api.CodeBlocked},
	{ErrSafetyUnavailable, api.CodeSafetyUnavailable}, // before the llm errors it may wrap

	{llm.ErrModelNotFound, api.CodeModelNotFound},
	{llm.ErrModelLoad, api.CodeModelLoadFailed}, // before ErrUpstream, which it also is
	{llm.ErrEmptyAnswer, api.CodeLLMEmptyAnswer},
	{llm.ErrInvalidModel, api.CodeLLMNotConfigured},
	{llm.ErrNotConfigured, api.CodeLLMNotConfigured},
	{llm.ErrUnavailable, api.CodeLLMUnavailable},
	{llm.ErrTimeout, api.CodeLLMTimeout},
	{llm.ErrBadResponse, api.CodeLLMBadResponse},
	{llm.ErrUpstream, api.CodeLLMError},

	{supervisor.ErrNotRunning, api.CodeBackendUnavailable},
	{supervisor.ErrForeign, api.CodeBackendUnavailable},
	{supervisor.ErrStartFailed, api.CodeBackendUnavailable},
	{supervisor.ErrBackoff, api.CodeBackendUnavailable},
	{supervisor.ErrClosed, api.CodeShuttingDown},
	{comfy.ErrUnavailable, api.CodeBackendUnavailable},
	{swarm.ErrUnavailable, api.CodeBackendUnavailable},
	{comfy.ErrTimeout, api.CodeGenerationTimeout},
	{ErrGenerationTimeout, api.CodeGenerationTimeout},
	{comfy.ErrInterrupted, api.CodeGenerationInterrupted},
	{swarm.ErrGenerationFailed, api.CodeGenerationFailed},
	{swarm.ErrInvalidSession, api.CodeBackendUnavailable},
	{comfy.ErrImageTooLarge, api.CodeBackendBadResponse},
	{swarm.ErrImageTooLarge, api.CodeBackendBadResponse},
	{comfy.ErrNoImages, api.CodeBackendBadResponse},
	{ErrBackendGarbage, api.CodeBackendBadResponse},
	{comfy.ErrBadResponse, api.CodeBackendBadResponse},
	{swarm.ErrBadResponse, api.CodeBackendBadResponse},

	{media.ErrTooLarge, api.CodeTooLarge},
	{media.ErrNotImage, api.CodeNotAnImage},
	{media.ErrBadImage, api.CodeNotAnImage},

	{context.DeadlineExceeded, api.CodeTimeout},
}

// Code classifies err: its api.Code. Anything unknown is CodeInternal.
func Code(err error) api.Code {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.code
		}
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return api.CodeInvalidRequest
	}
	var pe *comfy.PromptError
	if errors.As(err, &pe) {
		return api.CodeWorkflowRejected
	}
	var ee *comfy.ExecutionError
	if errors.As(err, &ee) {
		return api.CodeGenerationFailed
	}
	return api.CodeInternal
}

// Status is the HTTP status of code; an unknown code is 500.
func Status(code api.Code) int {
	if c, ok := codes[code]; ok {
		return c.status
	}
	return http.StatusInternalServerError
}

// Message is the student's message of code in lang.
func Message(code api.Code, lang string) string {
	c, ok := codes[code]
	if !ok {
		c = codes[api.CodeInternal]
	}
	return c.msg.Get(lang)
}

// Describe is what a student is told about err, in lang: its code, the
// message and, for a validation error, the field. The message comes from
// the table or from our own ValidationError and Error values, plus the hint
// of a Hinter in err's chain; never from err.Error().
func Describe(err error, lang string) api.ErrorDetail {
	code := Code(err)
	d := api.ErrorDetail{Code: code, Message: Message(code, lang)}
	var ve *ValidationError
	var fe *Error
	switch {
	case errors.As(err, &fe):
		d.Message = fe.Msg.Get(lang)
	case code == api.CodeInvalidRequest && errors.As(err, &ve):
		d.Message, d.Field = ve.Msg.Get(lang), ve.Field
	}
	var h Hinter
	if errors.As(err, &h) {
		if hint := h.Hint(); hint != "" {
			d.Message += " (" + hint + ")"
		}
	}
	return d
}

// Codes lists every code of the table, for documentation and tests.
func Codes() []api.Code {
	out := make([]api.Code, 0, len(codes))
	for c := range codes {
		out = append(out, c)
	}
	return out
}
