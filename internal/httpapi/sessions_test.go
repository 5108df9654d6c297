package httpapi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/auth"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// fastParams keep the tests quick; the cost does not change the logic.
var fastParams = auth.Params{Time: 1, MemoryKiB: 64, Threads: 1}

// fakeAccounts is an in-memory Accounts.
type fakeAccounts struct {
	mu       sync.Mutex
	users    map[string]store.User
	sessions map[string]store.Session
}

func newFakeAccounts(t *testing.T, users map[string][2]string) *fakeAccounts {
	t.Helper()
	f := &fakeAccounts{users: map[string]store.User{}, sessions: map[string]store.Session{}}
	for name, rp := range users {
		h, err := auth.Hash(rp[1], fastParams)
		if err != nil {
			t.Fatal(err)
		}
		f.users[name] = store.User{Name: name, Role: rp[0], PasswordHash: h}
	}
	return f
}

func (f *fakeAccounts) GetUser(_ context.Context, name string) (*store.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[name]
	if !ok {
		return nil, store.ErrNotFound
	}
	return &u, nil
}

func (f *fakeAccounts) CreateSession(_ context.Context, s store.Session) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions[s.ID] = s
	return nil
}

func (f *fakeAccounts) GetSession(_ context.Context, id string) (*store.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return &s, nil
}

func (f *fakeAccounts) DeleteSession(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.sessions[id]; !ok {
		return store.ErrNotFound
	}
	delete(f.sessions, id)
	return nil
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)} }
func body(s string) *strings.Reader  { return strings.NewReader(s) }
func loginBody(name, pw string) *strings.Reader {
	b, _ := json.Marshal(api.LoginRequest{Name: name, Password: pw})
	return strings.NewReader(string(b))
}

// accountServer is a server with a teacher "ana" and an admin "root".
func accountServer(t *testing.T) (*Server, *fakeAccounts, *clock) {
	t.Helper()
	acc := newFakeAccounts(t, map[string][2]string{
		"ana":  {store.RoleTeacher, "ana's long password"},
		"root": {store.RoleAdmin, "root's long password"},
	})
	c := newClock()
	s := New(Config{Accounts: acc, Now: c.Now, PasswordParams: fastParams, AdminToken: "tok", Language: "en"})
	return s, acc, c
}

func do(t *testing.T, s http.Handler, method, path string, b *strings.Reader, mod ...func(*http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	if b == nil {
		b = body("")
	}
	r := httptest.NewRequest(method, path, b)
	if b.Len() > 0 {
		r.Header.Set("Content-Type", "application/json")
	}
	for _, m := range mod {
		m(r)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func withCookie(c *http.Cookie) func(*http.Request) {
	return func(r *http.Request) { r.AddCookie(c) }
}

func errCode(t *testing.T, w *httptest.ResponseRecorder) api.Code {
	t.Helper()
	var e api.ErrorBody
	_ = json.Unmarshal(w.Body.Bytes(), &e)
	return e.Error.Code
}

func login(t *testing.T, s http.Handler, name, pw string) *http.Cookie {
	t.Helper()
	w := do(t, s, "POST", "/api/login", loginBody(name, pw))
	if w.Code != 200 {
		t.Fatalf("login %s: %d %s", name, w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == api.SessionCookie {
			return c
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func TestLogin(t *testing.T) {
	s, _, _ := accountServer(t)
	tests := []struct {
		name, user, pw string
		status         int
		code           api.Code
	}{
		{"right", "ana", "ana's long password", 200, ""},
		{"wrong password", "ana", "ana's long passworD", 401, api.CodeLoginFailed},
		{"unknown name", "bob", "ana's long password", 401, api.CodeLoginFailed},
		{"empty", "", "", 401, api.CodeLoginFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, s, "POST", "/api/login", loginBody(tc.user, tc.pw))
			if w.Code != tc.status || tc.code != "" && errCode(t, w) != tc.code {
				t.Fatalf("%d %s, want %d %s", w.Code, w.Body, tc.status, tc.code)
			}
			cookies := w.Result().Cookies()
			if tc.status != 200 {
				if len(cookies) != 0 {
					t.Errorf("failed login set cookies %v", cookies)
				}
				return
			}
			c := cookies[0]
			if c.Name != api.SessionCookie || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/" || c.MaxAge <= 0 {
				t.Errorf("cookie = %+v", c)
			}
		})
	}
}

func TestLoginCookieSecureOverTLS(t *testing.T) {
	s, _, _ := accountServer(t)
	w := do(t, s, "POST", "/api/login", loginBody("ana", "ana's long password"),
		func(r *http.Request) { r.TLS = &tls.ConnectionState{} })
	if c := w.Result().Cookies(); w.Code != 200 || len(c) != 1 || !c[0].Secure {
		t.Fatalf("%d cookies %+v, want one Secure cookie", w.Code, c)
	}
}

func TestLoginRateLimit(t *testing.T) {
	s, _, c := accountServer(t)
	for i := range loginFailsPerName {
		if w := do(t, s, "POST", "/api/login", loginBody("ana", "guess")); w.Code != 401 {
			t.Fatalf("failure %d: %d", i, w.Code)
		}
	}
	// Now even the right password is refused, before it is checked.
	w := do(t, s, "POST", "/api/login", loginBody("ana", "ana's long password"))
	if w.Code != 429 || errCode(t, w) != api.CodeTooManyLogins || w.Header().Get("Retry-After") == "" {
		t.Fatalf("after %d failures: %d %s Retry-After %q", loginFailsPerName, w.Code, w.Body, w.Header().Get("Retry-After"))
	}
	// Another account from the same address still may.
	login(t, s, "root", "root's long password")
	// After the window the account may again.
	c.Add(loginWindow + time.Second)
	login(t, s, "ana", "ana's long password")

	// Per address: many names from one address.
	for i := range loginFailsPerAddr {
		do(t, s, "POST", "/api/login", loginBody("spray"+string(rune('a'+i%26))+string(rune('a'+i/26)), "x"))
	}
	if w := do(t, s, "POST", "/api/login", loginBody("root", "root's long password")); w.Code != 429 {
		t.Fatalf("after %d failures from one address: %d", loginFailsPerAddr, w.Code)
	}
}

func TestSessionLifecycle(t *testing.T) {
	s, acc, c := accountServer(t)
	cookie := login(t, s, "ana", "ana's long password")
	if len(acc.sessions) != 1 {
		t.Fatalf("%d sessions stored", len(acc.sessions))
	}
	for id := range acc.sessions {
		if strings.Contains(id, cookie.Value) {
			t.Error("the store holds the cookie's secret")
		}
	}
	w := do(t, s, "GET", "/api/me", nil, withCookie(cookie))
	var me api.Me
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &me) != nil || me != (api.Me{Name: "ana", Role: "teacher"}) {
		t.Fatalf("me: %d %s", w.Code, w.Body)
	}
	// Expired.
	c.Add(12*time.Hour + time.Second)
	if w := do(t, s, "GET", "/api/me", nil, withCookie(cookie)); w.Code != 401 || errCode(t, w) != api.CodeUnauthorized {
		t.Fatalf("expired session: %d %s", w.Code, w.Body)
	}
	// Logout ends a live session.
	cookie = login(t, s, "ana", "ana's long password")
	w = do(t, s, "POST", "/api/logout", nil, withCookie(cookie))
	if w.Code != 204 || len(w.Result().Cookies()) != 1 || w.Result().Cookies()[0].MaxAge >= 0 {
		t.Fatalf("logout: %d cookies %v", w.Code, w.Result().Cookies())
	}
	if w := do(t, s, "GET", "/api/me", nil, withCookie(cookie)); w.Code != 401 {
		t.Fatalf("me after logout: %d", w.Code)
	}
	if w := do(t, s, "POST", "/api/logout", nil); w.Code != 204 {
		t.Fatalf("logout without a session: %d", w.Code)
	}
}

func TestMeAuth(t *testing.T) {
	s, _, _ := accountServer(t)
	tests := []struct {
		name   string
		mod    func(*http.Request)
		status int
	}{
		{"nothing", func(*http.Request) {}, 401},
		{"forged cookie", withCookie(&http.Cookie{Name: api.SessionCookie, Value: "forged"}), 401},
		{"admin token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok") }, 200},
		{"wrong token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if w := do(t, s, "GET", "/api/me", nil, tc.mod); w.Code != tc.status {
				t.Errorf("%d %s, want %d", w.Code, w.Body, tc.status)
			}
		})
	}
}

func TestLoginCrossSiteRefused(t *testing.T) {
	s, _, _ := accountServer(t)
	w := do(t, s, "POST", "/api/login", loginBody("ana", "ana's long password"),
		func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") })
	if w.Code != 403 || errCode(t, w) != api.CodeCrossOrigin {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}
