package httpapi

import (
	"errors"
	"fmt"
	"net/http"

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
		out.Workshops = append(out.Workshops, workshopView(&ws[i], baseURL(r)))
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
	writeJSON(w, http.StatusCreated, workshopView(&ws, baseURL(r)))
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
	writeJSON(w, http.StatusOK, workshopView(ws, baseURL(r)))
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
	writeJSON(w, http.StatusOK, workshopView(ws, baseURL(r)))
}

// pauseWorkshop pauses (runs are refused) or resumes a workshop.
func (s *Server) pauseWorkshop(paused bool) userHandler {
	return func(w http.ResponseWriter, r *http.Request, u *store.User) {
		ws, err := s.ownWorkshop(r, u)
		if err != nil {
			s.failStore(w, r, err)
			return
		}
		ws.Paused = paused
		if err := s.cfg.Workshops.UpdateWorkshop(r.Context(), *ws); err != nil {
			s.failStore(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, workshopView(ws, baseURL(r)))
	}
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

// baseURL is the scheme and host the request came to, for join links.
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// newID returns a random hex id, the form pipeline.validID accepts.
func newID() string { return fmt.Sprintf("%x", auth.RandomBytes(16)) }
