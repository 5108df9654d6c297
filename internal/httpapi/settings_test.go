package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/store/sqlite"
)

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// TestAdminRoutesRoles walks the route table: every /api/admin/ route
// answers 401 without a session, 403 to a teacher, and serves an admin's
// session and the admin token.
func TestAdminRoutesRoles(t *testing.T) {
	e := newWorkshopEnv(t, false)
	e.s.cfg.AdminToken = "admin-secret-token"
	n := 0
	for _, r := range e.s.routeTable() {
		method, path, _ := strings.Cut(r.pattern, " ")
		if !strings.HasPrefix(path, "/api/admin/") {
			continue
		}
		n++
		for _, tc := range []struct {
			name   string
			mod    func(*http.Request)
			status int
			code   api.Code
		}{
			{"no session", func(*http.Request) {}, 401, api.CodeUnauthorized},
			{"teacher", withCookie(e.ana), 403, api.CodeForbidden},
			{"wrong token", bearer("nope"), 403, api.CodeForbidden},
			{"admin", withCookie(e.root), 200, ""},
			{"admin token", bearer("admin-secret-token"), 200, ""},
		} {
			w := do(t, e.s, method, path, body(`{"disabled_interceptions":[],"disabled_outputs":[]}`), tc.mod)
			if w.Code != tc.status || tc.code != "" && errCode(t, w) != tc.code {
				t.Errorf("%s %s as %s: %d %s, want %d", method, path, tc.name, w.Code, w.Body, tc.status)
			}
		}
	}
	if n < 2 {
		t.Errorf("only %d admin routes found", n)
	}
}

func putSettings(t *testing.T, e *workshopEnv, b string) *api.AdminSettings {
	t.Helper()
	w := do(t, e.s, "PUT", "/api/admin/settings", body(b), withCookie(e.root))
	var st api.AdminSettings
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &st) != nil {
		t.Fatalf("put settings %s: %d %s", b, w.Code, w.Body)
	}
	return &st
}

func TestAdminSettingsValidation(t *testing.T) {
	e := newWorkshopEnv(t, false) // the server's level is youth
	w := do(t, e.s, "GET", "/api/admin/settings", nil, withCookie(e.root))
	var st api.AdminSettings
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &st) != nil || st.SafetyFloor != "youth" || st.ServerSafetyLevel != "youth" ||
		len(st.Interceptions) == 0 || len(st.Outputs) == 0 || st.UpdatedAt != nil {
		t.Fatalf("fresh settings: %d %s", w.Code, w.Body)
	}
	for _, c := range append(st.Interceptions, st.Outputs...) {
		if !c.Enabled || c.Name.DE == "" && c.Name.EN == "" {
			t.Errorf("fresh config %+v", c)
		}
	}
	for _, tc := range []struct{ name, body, field string }{
		{"looser floor", `{"safety_floor":"adult"}`, "safety_floor"},
		{"unknown level", `{"safety_floor":"toddler"}`, "safety_floor"},
		{"unknown interception", `{"disabled_interceptions":["dada","nope"]}`, "disabled_interceptions[1]"},
		{"unknown output", `{"disabled_outputs":["../x"]}`, "disabled_outputs[0]"},
	} {
		w := do(t, e.s, "PUT", "/api/admin/settings", body(tc.body), withCookie(e.root))
		var eb api.ErrorBody
		_ = json.Unmarshal(w.Body.Bytes(), &eb)
		if w.Code != 400 || eb.Error.Code != api.CodeInvalidRequest || eb.Error.Field != tc.field {
			t.Errorf("%s: %d %s, want 400 field %s", tc.name, w.Code, w.Body, tc.field)
		}
	}
	got := putSettings(t, e, `{"safety_floor":"kids","disabled_interceptions":["dada","dada"],"disabled_outputs":["flux_dev"]}`)
	if got.SafetyFloor != "kids" || got.UpdatedBy != "root" || got.UpdatedAt == nil {
		t.Errorf("saved %+v", got)
	}
	for _, c := range append(got.Interceptions, got.Outputs...) {
		if c.Enabled == (c.ID == "dada" || c.ID == "flux_dev") {
			t.Errorf("config %s enabled = %v", c.ID, c.Enabled)
		}
	}
}

// TestAdminSettingsApplyToWorkshops: the floor is a new workshop's
// default level and the loosest it may have; a disabled config cannot be
// allowed in a workshop, and the runs of a workshop made before get the
// floor and the disabled configs too.
func TestAdminSettingsApplyToWorkshops(t *testing.T) {
	e := newWorkshopEnv(t, false)
	before := e.create(t, api.WorkshopRequest{Name: "vorher", SafetyLevel: "youth"})
	putSettings(t, e, `{"safety_floor":"kids","disabled_interceptions":["dada"],"disabled_outputs":["flux_dev"]}`)

	ws := e.create(t, api.WorkshopRequest{Name: "Klasse 7b"})
	if ws.SafetyLevel != "kids" {
		t.Errorf("default level %q, want the floor kids", ws.SafetyLevel)
	}
	for _, tc := range []struct{ name, body, field string }{
		{"looser than the floor", `{"name":"x","safety_level":"youth"}`, "safety_level"},
		{"disabled interception", `{"name":"x","interceptions":["youth_slang","dada"]}`, "interceptions[1]"},
		{"disabled output", `{"name":"x","outputs":["flux_dev"]}`, "outputs[0]"},
	} {
		for _, m := range []struct{ method, path string }{{"POST", "/api/teacher/workshops"}, {"PUT", "/api/teacher/workshops/" + ws.ID}} {
			w := do(t, e.s, m.method, m.path, body(tc.body), withCookie(e.ana))
			var eb api.ErrorBody
			_ = json.Unmarshal(w.Body.Bytes(), &eb)
			if w.Code != 400 || eb.Error.Field != tc.field {
				t.Errorf("%s %s: %d %s, want 400 field %s", tc.name, m.method, w.Code, w.Body, tc.field)
			}
		}
	}
	if w := do(t, e.s, "POST", "/api/teacher/workshops", body(`{"name":"ok","interceptions":["youth_slang"],"outputs":["sd35_large"]}`),
		withCookie(e.ana)); w.Code != 201 {
		t.Errorf("enabled configs: %d %s", w.Code, w.Body)
	}

	dev, _ := e.join(t, before.Code)
	if status, code := e.run(t, "x", dev, "interception"); status != 202 {
		t.Fatalf("run: %d %s", status, code)
	}
	req := e.runs.last()
	if req.Workshop == nil || req.Workshop.SafetyLevel != "kids" || !slices.Equal(req.Workshop.DisabledInterceptions, []string{"dada"}) ||
		!slices.Equal(req.Workshop.DisabledOutputs, []string{"flux_dev"}) {
		t.Errorf("the run's workshop rules %+v", req.Workshop)
	}
}

// TestAdminSettingsPersist: the settings survive closing and opening the
// store again.
func TestAdminSettingsPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	cat, _, err := catalog.Load(catalog.Builtin(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	serve := func() (*Server, *sqlite.DB) {
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return New(Config{Accounts: db, Workshops: db, Settings: db, Catalog: cat, SafetyLevel: "adult",
			AdminToken: "admin-secret-token", PasswordParams: fastParams}), db
	}
	s, db := serve()
	w := do(t, s, "PUT", "/api/admin/settings", body(`{"safety_floor":"youth","disabled_outputs":["sd35_blend"]}`), bearer("admin-secret-token"))
	if w.Code != 200 {
		t.Fatalf("put: %d %s", w.Code, w.Body)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, db = serve()
	defer db.Close()
	w = do(t, s, "GET", "/api/admin/settings", nil, bearer("admin-secret-token"))
	var st api.AdminSettings
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &st) != nil || st.SafetyFloor != "youth" || st.UpdatedBy != "admin-token" {
		t.Fatalf("after reopen: %d %s", w.Code, w.Body)
	}
	for _, o := range st.Outputs {
		if o.Enabled == (o.ID == "sd35_blend") {
			t.Errorf("output %s enabled = %v after reopen", o.ID, o.Enabled)
		}
	}
}
