package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/auth"
	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/pipeline"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/sqlite"
)

// recordRuns is a Runs that records the requests it was asked to start.
type recordRuns struct {
	mu   sync.Mutex
	reqs []pipeline.Request
	err  error // returned by Start when set
}

func (f *recordRuns) Start(_ context.Context, req pipeline.Request) (*store.Run, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	if f.err != nil {
		return nil, f.err
	}
	return &store.Run{ID: "r1", State: store.StateQueued}, nil
}

func (f *recordRuns) Cancel(context.Context, string) error { return nil }

func (f *recordRuns) last() pipeline.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

type workshopEnv struct {
	s     *Server
	db    *sqlite.DB
	runs  *recordRuns
	clock *clock
	files *media.Files
	ana   *http.Cookie // teacher
	bo    *http.Cookie // another teacher
	root  *http.Cookie // admin
}

// newWorkshopEnv is a server on a real SQLite store and media directory
// with two teachers and an admin signed in; the server's level is youth.
func newWorkshopEnv(t *testing.T, require bool) *workshopEnv {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for n, role := range map[string]string{"ana": store.RoleTeacher, "bo": store.RoleTeacher, "root": store.RoleAdmin} {
		h, _ := auth.Hash(n+"'s long password", fastParams)
		if err := db.CreateUser(context.Background(), store.User{Name: n, Role: role, PasswordHash: h}); err != nil {
			t.Fatal(err)
		}
	}
	files, err := media.NewFiles(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	cat, _, err := catalog.Load(catalog.Builtin(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &workshopEnv{db: db, files: files, runs: &recordRuns{}, clock: newClock()}
	e.s = New(Config{Accounts: db, Workshops: db, Research: db, Settings: db, Files: files, Pipeline: e.runs, Catalog: cat, Now: e.clock.Now,
		PasswordParams: fastParams, SafetyLevel: "youth", Language: "en", RequireWorkshop: require,
		DeviceKey: []byte("0123456789abcdef0123456789abcdef")})
	e.ana = login(t, e.s, "ana", "ana's long password")
	e.bo = login(t, e.s, "bo", "bo's long password")
	e.root = login(t, e.s, "root", "root's long password")
	return e
}

func (e *workshopEnv) create(t *testing.T, req api.WorkshopRequest) api.Workshop {
	t.Helper()
	b, _ := json.Marshal(req)
	w := do(t, e.s, "POST", "/api/teacher/workshops", body(string(b)), withCookie(e.ana))
	var ws api.Workshop
	if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &ws) != nil {
		t.Fatalf("create workshop: %d %s", w.Code, w.Body)
	}
	return ws
}

// join joins ws and returns the device cookie.
func (e *workshopEnv) join(t *testing.T, code string) (*http.Cookie, int) {
	t.Helper()
	w := do(t, e.s, "POST", "/api/join", body(`{"code":"`+code+`","nickname":"Blauer Wal"}`))
	for _, c := range w.Result().Cookies() {
		if c.Name == api.DeviceCookie {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("device cookie %+v", c)
			}
			return c, w.Code
		}
	}
	return nil, w.Code
}

func (e *workshopEnv) run(t *testing.T, clientID string, c *http.Cookie, stages string) (int, api.Code) {
	t.Helper()
	mods := []func(*http.Request){func(r *http.Request) { r.Header.Set("X-Client-ID", clientID) }}
	if c != nil {
		mods = append(mods, withCookie(c))
	}
	w := do(t, e.s, "POST", "/api/runs", body(`{"stages":"`+stages+`","prompt":"ein Haus"}`), mods...)
	return w.Code, errCode(t, w)
}

func TestWorkshopCRUDAndRoles(t *testing.T) {
	e := newWorkshopEnv(t, false)
	ws := e.create(t, api.WorkshopRequest{Name: "Klasse 7b", SafetyLevel: "kids", Interceptions: []string{"dada"}})
	if len(ws.Code) != 7 || ws.Owner != "ana" || ws.SafetyLevel != "kids" || !strings.HasSuffix(ws.JoinURL, "/join.html?code="+ws.Code) ||
		!ws.EndsAt.Equal(ws.StartsAt.Add(8*time.Hour)) {
		t.Errorf("created %+v", ws)
	}
	path := "/api/teacher/workshops/" + ws.ID
	tests := []struct {
		name, method, path, body string
		cookie                   *http.Cookie
		status                   int
		code                     api.Code
	}{
		{"looser level", "POST", "/api/teacher/workshops", `{"name":"x","safety_level":"adult"}`, e.ana, 400, api.CodeInvalidRequest},
		{"unknown config", "POST", "/api/teacher/workshops", `{"name":"x","outputs":["nope"]}`, e.ana, 400, api.CodeInvalidRequest},
		{"no name", "POST", "/api/teacher/workshops", `{"name":" "}`, e.ana, 400, api.CodeInvalidRequest},
		{"negative limit", "POST", "/api/teacher/workshops", `{"name":"x","limits":{"runs_per_hour":-1}}`, e.ana, 400, api.CodeInvalidRequest},
		{"get own", "GET", path, "", e.ana, 200, ""},
		{"get other's", "GET", path, "", e.bo, 404, api.CodeNotFound},
		{"put other's", "PUT", path, `{"name":"mine"}`, e.bo, 404, api.CodeNotFound},
		{"delete other's", "DELETE", path, "", e.bo, 404, api.CodeNotFound},
		{"pause other's", "POST", path + "/pause", "", e.bo, 404, api.CodeNotFound},
		{"put own", "PUT", path, `{"name":"Klasse 7c","safety_level":"kids"}`, e.ana, 200, ""},
		{"pause own", "POST", path + "/pause", "", e.ana, 200, ""},
		{"resume own", "POST", path + "/resume", "", e.ana, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b *strings.Reader
			if tc.body != "" {
				b = body(tc.body)
			}
			w := do(t, e.s, tc.method, tc.path, b, withCookie(tc.cookie))
			if w.Code != tc.status || tc.code != "" && errCode(t, w) != tc.code {
				t.Errorf("%d %s, want %d %s", w.Code, w.Body, tc.status, tc.code)
			}
		})
	}
	w := do(t, e.s, "GET", "/api/teacher/workshops", nil, withCookie(e.bo))
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"workshops":[]`) {
		t.Errorf("bo's list: %d %s", w.Code, w.Body)
	}
	w = do(t, e.s, "GET", "/api/teacher/workshops", nil, func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") })
	if w.Code != 401 {
		t.Errorf("admin token on a server without one: %d", w.Code)
	}
	if w := do(t, e.s, "DELETE", path, nil, withCookie(e.ana)); w.Code != 204 {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if w := do(t, e.s, "GET", path, nil, withCookie(e.ana)); w.Code != 404 {
		t.Errorf("get deleted: %d", w.Code)
	}
}

// TestTeacherRoutesNeedASession walks the route table: no teacher route
// answers without a session or with a forged one.
func TestTeacherRoutesNeedASession(t *testing.T) {
	e := newWorkshopEnv(t, false)
	forged := &http.Cookie{Name: api.SessionCookie, Value: auth.NewToken()}
	n := 0
	for _, r := range e.s.routeTable() {
		method, path, _ := strings.Cut(r.pattern, " ")
		if !strings.HasPrefix(path, "/api/teacher/") && path != "/api/me" {
			continue
		}
		n++
		path = strings.ReplaceAll(path, "{id}", "x")
		for _, c := range []*http.Cookie{nil, forged} {
			mods := []func(*http.Request){}
			if c != nil {
				mods = append(mods, withCookie(c))
			}
			if w := do(t, e.s, method, path, body(`{"name":"x"}`), mods...); w.Code != 401 || errCode(t, w) != api.CodeUnauthorized {
				t.Errorf("%s %s with cookie %v: %d %s", method, path, c != nil, w.Code, w.Body)
			}
		}
	}
	if n < 8 {
		t.Errorf("only %d teacher routes found", n)
	}
}

func TestJoin(t *testing.T) {
	e := newWorkshopEnv(t, false)
	ws := e.create(t, api.WorkshopRequest{Name: "Klasse 7b", Limits: api.WorkshopLimits{MaxDevices: 2}})
	tests := []struct {
		name, code string
		status     int
	}{
		{"lower case with dash", strings.ToLower(ws.Code[:3]) + "-" + ws.Code[3:], 200},
		{"second device", ws.Code, 200},
		{"full", ws.Code, 403},
		{"unknown", "ZZZZZZZ", 404},
		{"malformed", "0O1IL", 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, status := e.join(t, tc.code)
			if status != tc.status || (status == 200) != (c != nil) {
				t.Errorf("join %q: %d, cookie %v; want %d", tc.code, status, c != nil, tc.status)
			}
		})
	}
	w := do(t, e.s, "POST", "/api/join", body(`{"code":"`+ws.Code+`","nickname":""}`))
	if w.Code != 400 || errCode(t, w) != api.CodeInvalidRequest {
		t.Errorf("empty nickname: %d %s", w.Code, w.Body)
	}
}
