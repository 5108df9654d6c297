package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/safety"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// SettingsStore keeps the admin's server-wide defaults; store.Store
// implements it.
type SettingsStore interface {
	GetSettings(ctx context.Context) (*store.ServerSettings, error)
	PutSettings(ctx context.Context, s store.ServerSettings) error
}

// settingsRoutes are the admin's routes (docs/api.md, "Admin settings"):
// an admin's session or the admin token; a teacher is refused.
func (s *Server) settingsRoutes() []route {
	a := func(pattern string, h userHandler) route {
		return route{pattern, s.signedIn(h, store.RoleAdmin)}
	}
	return []route{
		a("GET /api/admin/settings", s.getSettings),
		a("PUT /api/admin/settings", s.putSettings),
	}
}

// errNoSettings answers on a server built without a settings store.
var errNoSettings = fmt.Errorf("admin settings are off: %w", fault.ErrNotFound)

// settings returns the stored settings, or the zero settings on a server
// without a settings store.
func (s *Server) settings(ctx context.Context) (*store.ServerSettings, error) {
	if s.cfg.Settings == nil {
		return &store.ServerSettings{}, nil
	}
	return s.cfg.Settings.GetSettings(ctx)
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request, _ *store.User) {
	if s.cfg.Settings == nil {
		s.fail(w, r, errNoSettings)
		return
	}
	st, err := s.settings(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.settingsView(st))
}

func (s *Server) putSettings(w http.ResponseWriter, r *http.Request, u *store.User) {
	if s.cfg.Settings == nil {
		s.fail(w, r, errNoSettings)
		return
	}
	var req api.AdminSettingsRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	st := store.ServerSettings{UpdatedBy: u.Name, UpdatedAt: s.cfg.Now().UTC()}
	if req.SafetyFloor != "" {
		l, err := s.levelNotLooser("safety_floor", req.SafetyFloor, s.serverLevel())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		st.SafetyFloor = string(l)
	}
	var err error
	if st.DisabledInterceptions, err = s.knownConfigs("disabled_interceptions", req.DisabledInterceptions, s.hasInterception); err != nil {
		s.fail(w, r, err)
		return
	}
	if st.DisabledOutputs, err = s.knownConfigs("disabled_outputs", req.DisabledOutputs, s.hasOutput); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.cfg.Settings.PutSettings(r.Context(), st); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("admin settings saved", "account", u.Name, "safety_floor", st.SafetyFloor,
		"disabled_interceptions", st.DisabledInterceptions, "disabled_outputs", st.DisabledOutputs)
	writeJSON(w, http.StatusOK, s.settingsView(&st))
}

// knownConfigs checks that every id names a config; it returns them
// sorted without duplicates.
func (s *Server) knownConfigs(field string, ids []string, known func(string) bool) ([]string, error) {
	for i, id := range ids {
		if !known(id) {
			return nil, fault.Invalid(fmt.Sprintf("%s[%d]", field, i), "Diese Vorlage gibt es nicht: "+quote(id),
				"No such config: "+quote(id))
		}
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out), nil
}

func (s *Server) hasInterception(id string) bool {
	return s.cfg.Catalog != nil && hasInterception(s.cfg.Catalog, id)
}
func (s *Server) hasOutput(id string) bool {
	return s.cfg.Catalog != nil && hasOutput(s.cfg.Catalog, id)
}

// serverLevel is the server's safety level; a server without one counts
// as the strictest.
func (s *Server) serverLevel() safety.Level {
	l, err := safety.ParseLevel(s.cfg.SafetyLevel)
	if err != nil {
		return safety.Kids
	}
	return l
}

// floor is the loosest level a workshop may have: the admin's floor when
// it is stricter than the server's level, else the server's.
func (s *Server) floor(st *store.ServerSettings) safety.Level {
	server := s.serverLevel()
	if l, err := safety.ParseLevel(st.SafetyFloor); err == nil {
		return l.Stricter(server)
	}
	return server
}

// levelNotLooser parses level v of field; one looser than min is refused.
func (s *Server) levelNotLooser(field, v string, min safety.Level) (safety.Level, error) {
	l, err := safety.ParseLevel(v)
	if err != nil {
		return "", fault.Invalid(field, "Die Sicherheitsstufe muss kids, youth, adult oder research sein.",
			field+" must be one of kids, youth, adult, research.")
	}
	if l.Stricter(min) != l {
		return "", fault.Invalid(field,
			fmt.Sprintf("Die Stufe darf nicht lockerer sein als %s.", min),
			fmt.Sprintf("The level may not be looser than %s.", min))
	}
	return l, nil
}

// settingsView is the wire form of st with the catalog's configs.
func (s *Server) settingsView(st *store.ServerSettings) api.AdminSettings {
	out := api.AdminSettings{ServerSafetyLevel: string(s.serverLevel()), SafetyFloor: string(s.floor(st)),
		Interceptions: []api.ConfigSwitch{}, Outputs: []api.ConfigSwitch{}, UpdatedBy: st.UpdatedBy}
	if !st.UpdatedAt.IsZero() {
		at := st.UpdatedAt
		out.UpdatedAt = &at
	}
	if c := s.cfg.Catalog; c != nil {
		for _, ic := range c.Interceptions() {
			out.Interceptions = append(out.Interceptions, api.ConfigSwitch{ID: ic.ID,
				Name: api.Text{DE: ic.Name.DE, EN: ic.Name.EN}, Enabled: !slices.Contains(st.DisabledInterceptions, ic.ID)})
		}
		for _, o := range c.Outputs() {
			out.Outputs = append(out.Outputs, api.ConfigSwitch{ID: o.ID,
				Name: api.Text{DE: o.Name.DE, EN: o.Name.EN}, Enabled: !slices.Contains(st.DisabledOutputs, o.ID)})
		}
	}
	return out
}
