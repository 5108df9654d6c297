package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/pipeline"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/workshop"
)

// joinFailsPerAddr is how many wrong codes one address may send within
// loginWindow before it must wait.
const joinFailsPerAddr = 20

// maxNickname is the longest nickname, in characters.
const maxNickname = 32

// join lets a student's browser join a workshop by its code (docs/api.md,
// "Workshops"): it answers the workshop's name and sets the signed device
// cookie. Every join is a new device, counted against the workshop's cap.
func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	var req api.JoinRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	if s.cfg.Workshops == nil {
		s.fail(w, r, errNoWorkshops)
		return
	}
	now := s.cfg.Now()
	addr := remoteHost(r)
	if ok, wait := s.joinFails.Allowed(addr, now); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		s.fail(w, r, fault.ErrTooManyLogins)
		return
	}
	nick := strings.TrimSpace(req.Nickname)
	if nick == "" || utf8.RuneCountInString(nick) > maxNickname || !utf8.ValidString(nick) ||
		strings.ContainsFunc(nick, unicode.IsControl) {
		s.fail(w, r, fault.Invalid("nickname", fmt.Sprintf("Der Spitzname braucht 1 bis %d Zeichen.", maxNickname),
			fmt.Sprintf("The nickname needs 1 to %d characters.", maxNickname)))
		return
	}
	code := workshop.NormalizeCode(req.Code)
	ws, err := s.cfg.Workshops.WorkshopByCode(r.Context(), code)
	if code == "" || errors.Is(err, store.ErrNotFound) {
		s.joinFails.Fail(addr, now)
		s.fail(w, r, fmt.Errorf("join code %q: %w", req.Code, fault.ErrUnknownJoinCode))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !now.Before(ws.EndsAt) {
		s.fail(w, r, fmt.Errorf("join workshop %s: %w", ws.ID, fault.ErrWorkshopClosed))
		return
	}
	dev := store.Device{ID: newID(), WorkshopID: ws.ID, Nickname: nick, CreatedAt: now.UTC()}
	err = s.cfg.Workshops.CreateDevice(r.Context(), dev, ws.Limits.MaxDevices)
	if errors.Is(err, store.ErrLimit) {
		err = fmt.Errorf("join workshop %s: %w", ws.ID, fault.ErrWorkshopFull)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: api.DeviceCookie, Value: s.devices.Sign(dev.ID), Path: "/",
		MaxAge: int(ws.EndsAt.Sub(now).Seconds()) + 1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	writeJSON(w, http.StatusOK, api.Joined{Workshop: ws.Name, Nickname: nick, EndsAt: ws.EndsAt})
}

// student is the device and workshop of a request's device cookie; nil
// when the cookie is missing, forged, or names a device or workshop that
// no longer exists: to the server that browser is a new, unjoined device.
func (s *Server) student(r *http.Request) (*store.Device, *store.Workshop, error) {
	if s.cfg.Workshops == nil {
		return nil, nil, nil
	}
	c, err := r.Cookie(api.DeviceCookie)
	if err != nil {
		return nil, nil, nil
	}
	id, ok := s.devices.Open(c.Value)
	if !ok {
		return nil, nil, nil
	}
	dev, err := s.cfg.Workshops.GetDevice(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	ws, err := s.cfg.Workshops.GetWorkshop(r.Context(), dev.WorkshopID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return dev, ws, nil
}

// workshopGate puts the request's workshop into req: the device as the
// client, the workshop's rules, and its state and hourly limits checked.
// Without a workshop the request keeps its client id, unless the server
// requires a workshop. When the run does not start after all, the caller
// calls giveBack to return what the hourly limits counted.
func (s *Server) workshopGate(r *http.Request, req *pipeline.Request) (giveBack func(), err error) {
	giveBack = func() {}
	dev, ws, err := s.student(r)
	if err != nil {
		return giveBack, err
	}
	if dev == nil {
		if s.cfg.RequireWorkshop {
			return giveBack, fault.ErrWorkshopRequired
		}
		return giveBack, nil
	}
	now := s.cfg.Now()
	switch {
	case ws.Paused:
		return giveBack, fmt.Errorf("workshop %s: %w", ws.ID, fault.ErrWorkshopPaused)
	case now.Before(ws.StartsAt) || !now.Before(ws.EndsAt):
		return giveBack, fmt.Errorf("workshop %s: %w", ws.ID, fault.ErrWorkshopClosed)
	}
	st, err := s.settings(r.Context())
	if err != nil {
		return giveBack, err
	}
	req.ClientID = "d:" + dev.ID
	// The admin's floor and disabled configs apply to workshops made
	// before the admin changed them too.
	level := s.floor(st)
	if l, err := safety.ParseLevel(ws.SafetyLevel); err == nil {
		level = l.Stricter(level)
	}
	req.Workshop = &pipeline.Workshop{ID: ws.ID, SafetyLevel: string(level), Interceptions: ws.Interceptions,
		Outputs: ws.Outputs, DisabledInterceptions: st.DisabledInterceptions, DisabledOutputs: st.DisabledOutputs,
		RunsAtOnce: ws.Limits.RunsAtOnce}
	if !s.runsHour.Take(dev.ID, ws.Limits.RunsPerHour, now) {
		return giveBack, fmt.Errorf("device %s: %d runs per hour: %w", dev.ID, ws.Limits.RunsPerHour, fault.ErrWorkshopLimit)
	}
	giveBack = func() { s.runsHour.Give(dev.ID, now) }
	if req.Stages != pipeline.StagesInterception && req.Stages != "" {
		if !s.generations.Take(ws.ID, ws.Limits.GenerationsPerHour, now) {
			giveBack()
			return func() {}, fmt.Errorf("workshop %s: %d generations per hour: %w", ws.ID, ws.Limits.GenerationsPerHour, fault.ErrWorkshopLimit)
		}
		giveBack = func() { s.runsHour.Give(dev.ID, now); s.generations.Give(ws.ID, now) }
	}
	return giveBack, nil
}
