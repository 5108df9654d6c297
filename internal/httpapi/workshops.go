package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/auth"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/retention"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/workshop"
)

// teacherRoutes are the workshop routes of teachers and admins
// (docs/api.md, "Workshops"). Each answers 401 without a session.
func (s *Server) teacherRoutes() []route {
	t := func(pattern string, h userHandler) route {
		return route{pattern, s.signedIn(h, store.RoleTeacher)}
	}
	return []route{
		t("GET /api/teacher/workshops", s.listWorkshops),
		t("POST /api/teacher/workshops", s.createWorkshop),
		t("GET /api/teacher/workshops/{id}", s.getWorkshop),
		t("PUT /api/teacher/workshops/{id}", s.updateWorkshop),
		t("POST /api/teacher/workshops/{id}/pause", s.pauseWorkshop(true)),
		t("POST /api/teacher/workshops/{id}/resume", s.pauseWorkshop(false)),
		t("DELETE /api/teacher/workshops/{id}", s.deleteWorkshop),
		t("DELETE /api/teacher/workshops/{id}/data", s.deleteWorkshopData),
		t("GET /api/teacher/workshops/{id}/export", s.exportWorkshop),
		t("GET /api/teacher/workshops/{id}/qr", s.workshopQR),
		t("GET /api/teacher/workshops/{id}/live", s.classLive),
		t("POST /api/teacher/workshops/{id}/runs/{run}/cancel", s.cancelClassRun),
	}
}

// errNoWorkshops answers on a server built without a workshop store.
var errNoWorkshops = fmt.Errorf("workshops are off: %w", fault.ErrNotFound)

func (s *Server) listWorkshops(w http.ResponseWriter, r *http.Request, u *store.User) {
	if s.cfg.Workshops == nil {
		s.fail(w, r, errNoWorkshops)
		return
	}
	owner := u.Name
	if u.Role == store.RoleAdmin {
		owner = ""
	}
	ws, err := s.cfg.Workshops.ListWorkshops(r.Context(), owner)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := api.WorkshopList{Workshops: []api.Workshop{}}
	for i := range ws {
		out.Workshops = append(out.Workshops, workshopView(&ws[i], s.joinBase(r)))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createWorkshop(w http.ResponseWriter, r *http.Request, u *store.User) {
	if s.cfg.Workshops == nil {
		s.fail(w, r, errNoWorkshops)
		return
	}
	var req api.WorkshopRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	now := s.cfg.Now().UTC()
	ws := store.Workshop{ID: newID(), Owner: u.Name, CreatedAt: now}
	if err := s.workshopFields(r.Context(), req, &ws, now); err != nil {
		s.fail(w, r, err)
		return
	}
	var err error
	for range 5 { // a code taken already: draw another
		ws.Code = workshop.NewCode()
		if err = s.cfg.Workshops.CreateWorkshop(r.Context(), ws); !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, workshopView(&ws, s.joinBase(r)))
}

// ownWorkshop loads the workshop of the path for u: another teacher's
// workshop is not found (an admin sees all).
func (s *Server) ownWorkshop(r *http.Request, u *store.User) (*store.Workshop, error) {
	if s.cfg.Workshops == nil {
		return nil, errNoWorkshops
	}
	id := r.PathValue("id")
	ws, err := s.cfg.Workshops.GetWorkshop(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if u.Role != store.RoleAdmin && ws.Owner != u.Name {
		return nil, fmt.Errorf("workshop %s of %s asked by %s: %w", id, ws.Owner, u.Name, store.ErrNotFound)
	}
	return ws, nil
}

func (s *Server) getWorkshop(w http.ResponseWriter, r *http.Request, u *store.User) {
	ws, err := s.ownWorkshop(r, u)
	if err != nil {
		s.failStore(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, workshopView(ws, s.joinBase(r)))
}

func (s *Server) updateWorkshop(w http.ResponseWriter, r *http.Request, u *store.User) {
	ws, err := s.ownWorkshop(r, u)
	if err != nil {
		s.failStore(w, r, err)
		return
	}
	var req api.WorkshopRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	if err := s.workshopFields(r.Context(), req, ws, s.cfg.Now().UTC()); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.cfg.Workshops.UpdateWorkshop(r.Context(), *ws); err != nil {
		s.failStore(w, r, err)
		return
	}
	s.notify(ws.ID)
	writeJSON(w, http.StatusOK, workshopView(ws, s.joinBase(r)))
}

// maxPauseMessage is the longest message to students of a paused
// workshop, in characters.
const maxPauseMessage = 200

// pauseWorkshop pauses (runs are refused; an optional body
// api.PauseRequest carries a message to the students) or resumes a
// workshop (the message goes).
func (s *Server) pauseWorkshop(paused bool) userHandler {
	return func(w http.ResponseWriter, r *http.Request, u *store.User) {
		var req api.PauseRequest
		if paused && (r.ContentLength > 0 || r.Header.Get("Content-Type") != "") && !s.decodeJSON(w, r, &req) {
			return
		}
		msg := strings.TrimSpace(req.Message)
		if utf8.RuneCountInString(msg) > maxPauseMessage || !utf8.ValidString(msg) ||
			strings.ContainsFunc(msg, func(c rune) bool { return unicode.IsControl(c) && c != '\n' }) {
			s.fail(w, r, fault.Invalid("message", fmt.Sprintf("Die Nachricht hat höchstens %d Zeichen.", maxPauseMessage),
				fmt.Sprintf("The message has at most %d characters.", maxPauseMessage)))
			return
		}
		ws, err := s.ownWorkshop(r, u)
		if err != nil {
			s.failStore(w, r, err)
			return
		}
		ws.Paused, ws.PauseMessage = paused, msg
		if err := s.cfg.Workshops.UpdateWorkshop(r.Context(), *ws); err != nil {
			s.failStore(w, r, err)
			return
		}
		s.notify(ws.ID)
		writeJSON(w, http.StatusOK, workshopView(ws, s.joinBase(r)))
	}
}

// notify wakes the class views of workshop id.
func (s *Server) notify(id string) {
	if s.cfg.Signal != nil {
		s.cfg.Signal.Notify(id)
	}
}

// cancelClassRun lets the teacher stop a run of their workshop's students
// (docs/api.md, "Class view"); a run of another workshop is not found.
func (s *Server) cancelClassRun(w http.ResponseWriter, r *http.Request, u *store.User) {
	ws, err := s.ownWorkshop(r, u)
	if err != nil {
		s.failStore(w, r, err)
		return
	}
	id := r.PathValue("run")
	run, err := s.cfg.Store.GetRun(r.Context(), id)
	if err == nil {
		err = s.runOfWorkshop(r.Context(), run, ws.ID)
	}
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, fmt.Errorf("run %q of workshop %s: %w", id, ws.ID, fault.ErrNotFound))
		return
	}
	if err == nil {
		err = s.cfg.Pipeline.Cancel(r.Context(), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, api.CancelAnswer{RunID: id, Status: api.CancelCancelling})
}

func (s *Server) deleteWorkshop(w http.ResponseWriter, r *http.Request, u *store.User) {
	ws, err := s.ownWorkshop(r, u)
	if err != nil {
		s.failStore(w, r, err)
		return
	}
	err = retention.DeleteWorkshopData(r.Context(), s.cfg.Workshops, s.cfg.Files, ws.ID)
	if err == nil {
		err = s.cfg.Workshops.DeleteWorkshop(r.Context(), ws.ID)
	}
	if err != nil {
		s.failStore(w, r, err)
		return
	}
	s.generations.Forget(ws.ID)
	s.notify(ws.ID)
	w.WriteHeader(http.StatusNoContent)
}

// deleteWorkshopData deletes the workshop's finished runs, their images
// and its devices at once; the workshop stays (its students must join
// again).
func (s *Server) deleteWorkshopData(w http.ResponseWriter, r *http.Request, u *store.User) {
	ws, err := s.ownWorkshop(r, u)
	if err == nil {
		err = retention.DeleteWorkshopData(r.Context(), s.cfg.Workshops, s.cfg.Files, ws.ID)
	}
	if err != nil {
		s.failStore(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// newID returns a random hex id, the form pipeline.validID accepts.
func newID() string { return fmt.Sprintf("%x", auth.RandomBytes(16)) }

// runOfWorkshop checks that run was made by a device of workshop id:
// store.ErrNotFound when not.
func (s *Server) runOfWorkshop(ctx context.Context, run *store.Run, id string) error {
	dev, ok := strings.CutPrefix(run.ClientID, "d:")
	if !ok {
		return store.ErrNotFound
	}
	d, err := s.cfg.Workshops.GetDevice(ctx, dev)
	if err != nil {
		return err
	}
	if d.WorkshopID != id {
		return store.ErrNotFound
	}
	return nil
}
