package httpapi

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// Workshops is what the API needs of the workshop store; store.Store
// implements it.
type Workshops interface {
	CreateWorkshop(ctx context.Context, w store.Workshop) error
	GetWorkshop(ctx context.Context, id string) (*store.Workshop, error)
	WorkshopByCode(ctx context.Context, code string) (*store.Workshop, error)
	ListWorkshops(ctx context.Context, owner string) ([]store.Workshop, error)
	UpdateWorkshop(ctx context.Context, w store.Workshop) error
	DeleteWorkshop(ctx context.Context, id string) error
	CreateDevice(ctx context.Context, d store.Device, maxDevices int) error
	GetDevice(ctx context.Context, id string) (*store.Device, error)
	DeleteWorkshopData(ctx context.Context, id string) ([]store.File, error)
}

// Bounds of a workshop request.
const (
	maxWorkshopName  = 80
	maxWorkshopLimit = 10000
	maxWorkshopSpan  = 31 * 24 * time.Hour
	defaultSpan      = 8 * time.Hour
)

// workshopFields checks a workshop request and copies it into w. The
// level may be stricter than the floor (the server's level or the admin's
// stricter one), never looser; every config must exist and not be
// disabled by the admin (docs/api.md, "Admin settings").
func (s *Server) workshopFields(ctx context.Context, req api.WorkshopRequest, w *store.Workshop, now time.Time) error {
	name := strings.TrimSpace(req.Name)
	if name == "" || utf8.RuneCountInString(name) > maxWorkshopName || !utf8.ValidString(name) {
		return fault.Invalid("name", fmt.Sprintf("Der Name braucht 1 bis %d Zeichen.", maxWorkshopName),
			fmt.Sprintf("The name needs 1 to %d characters.", maxWorkshopName))
	}
	st, err := s.settings(ctx)
	if err != nil {
		return err
	}
	level := s.floor(st)
	if req.SafetyLevel != "" {
		if level, err = s.levelNotLooser("safety_level", req.SafetyLevel, level); err != nil {
			return err
		}
	}
	for i, id := range req.Interceptions {
		field := fmt.Sprintf("interceptions[%d]", i)
		if !s.hasInterception(id) {
			return fault.Invalid(field, "Diese Verwandlung gibt es nicht: "+quote(id), "No such interception config: "+quote(id))
		}
		if slices.Contains(st.DisabledInterceptions, id) {
			return fault.Invalid(field, "Diese Verwandlung ist auf diesem Server abgeschaltet: "+quote(id),
				"This interception config is disabled on this server: "+quote(id))
		}
	}
	for i, id := range req.Outputs {
		field := fmt.Sprintf("outputs[%d]", i)
		if !s.hasOutput(id) {
			return fault.Invalid(field, "Dieses Bildmodell gibt es nicht: "+quote(id), "No such output config: "+quote(id))
		}
		if slices.Contains(st.DisabledOutputs, id) {
			return fault.Invalid(field, "Dieses Bildmodell ist auf diesem Server abgeschaltet: "+quote(id),
				"This output config is disabled on this server: "+quote(id))
		}
	}
	l := req.Limits
	for field, v := range map[string]int{"limits.runs_at_once": l.RunsAtOnce, "limits.runs_per_hour": l.RunsPerHour,
		"limits.generations_per_hour": l.GenerationsPerHour, "limits.max_devices": l.MaxDevices} {
		if v < 0 || v > maxWorkshopLimit {
			return fault.Invalid(field, fmt.Sprintf("Eine Grenze ist eine Zahl von 0 (keine) bis %d.", maxWorkshopLimit),
				fmt.Sprintf("A limit is a number from 0 (none) to %d.", maxWorkshopLimit))
		}
	}
	start, end := req.StartsAt.UTC(), req.EndsAt.UTC()
	if start.IsZero() {
		start = now
	}
	if end.IsZero() {
		end = start.Add(defaultSpan)
	}
	if !end.After(start) || end.Sub(start) > maxWorkshopSpan {
		return fault.Invalid("ends_at", "Das Ende muss nach dem Beginn liegen, höchstens 31 Tage später.",
			"The end must come after the start, at most 31 days later.")
	}
	w.Name, w.SafetyLevel = name, string(level)
	w.Interceptions, w.Outputs = req.Interceptions, req.Outputs
	w.Limits = store.WorkshopLimits(l)
	w.StartsAt, w.EndsAt = start.Truncate(time.Millisecond), end.Truncate(time.Millisecond)
	return nil
}

// workshopView is the wire form of w; joinBase is scheme and host.
func workshopView(w *store.Workshop, joinBase string) api.Workshop {
	ic, out := w.Interceptions, w.Outputs
	if ic == nil {
		ic = []string{}
	}
	if out == nil {
		out = []string{}
	}
	return api.Workshop{
		ID: w.ID, Code: w.Code, JoinURL: joinURL(joinBase, w.Code), Owner: w.Owner, Name: w.Name,
		SafetyLevel: w.SafetyLevel, Interceptions: ic, Outputs: out, Limits: api.WorkshopLimits(w.Limits),
		StartsAt: w.StartsAt, EndsAt: w.EndsAt, Paused: w.Paused, PauseMessage: w.PauseMessage, CreatedAt: w.CreatedAt,
	}
}

func hasInterception(c *catalog.Catalog, id string) bool { _, ok := c.Interception(id); return ok }
func hasOutput(c *catalog.Catalog, id string) bool       { _, ok := c.Output(id); return ok }
