package httpapi

import (
	"net/http"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
)

// errNotJoined answers a browser whose device cookie names no workshop.
var errNotJoined = fault.New(api.CodeNotFound, "Dieser Browser ist keinem Workshop beigetreten.",
	"This browser has not joined a workshop.")

// studentWorkshop answers the workshop the request's device joined, as the
// student's page shows it (docs/api.md, "Workshops"): its name, the
// allowed configs, whether it is paused with the teacher's message, and
// the quota left. A browser that joined none gets 404.
func (s *Server) studentWorkshop(w http.ResponseWriter, r *http.Request) {
	dev, ws, err := s.student(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if dev == nil {
		s.fail(w, r, errNotJoined)
		return
	}
	ic, out := ws.Interceptions, ws.Outputs
	if ic == nil {
		ic = []string{}
	}
	if out == nil {
		out = []string{}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, api.StudentWorkshop{
		Name: ws.Name, Nickname: dev.Nickname, Interceptions: ic, Outputs: out,
		Paused: ws.Paused, PauseMessage: ws.PauseMessage, StartsAt: ws.StartsAt, EndsAt: ws.EndsAt,
		Quota: s.quota(ws, dev.ID),
	})
}
