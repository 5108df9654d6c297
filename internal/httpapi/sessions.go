package httpapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/auth"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// Accounts is what the API needs of the account store; store.Store
// implements it.
type Accounts interface {
	GetUser(ctx context.Context, name string) (*store.User, error)
	CreateSession(ctx context.Context, s store.Session) error
	GetSession(ctx context.Context, id string) (*store.Session, error)
	DeleteSession(ctx context.Context, id string) error
}

// noAccounts is the Accounts of a server built without one: nobody can
// sign in.
type noAccounts struct{}

func (noAccounts) GetUser(context.Context, string) (*store.User, error) {
	return nil, store.ErrNotFound
}
func (noAccounts) CreateSession(context.Context, store.Session) error { return store.ErrNotFound }
func (noAccounts) GetSession(context.Context, string) (*store.Session, error) {
	return nil, store.ErrNotFound
}
func (noAccounts) DeleteSession(context.Context, string) error { return store.ErrNotFound }

// Login limits: failures per account and per address within loginWindow.
const (
	loginFailsPerName = 5
	loginFailsPerAddr = 30
	loginWindow       = 15 * time.Minute
	// maxHashing bounds the password checks running at once (64 MiB each).
	maxHashing = 2
)

// login checks a name and password and opens a session (docs/api.md,
// "Accounts"). Failures count per account and per address; past the
// limit every attempt is refused before the password is looked at.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var body api.LoginRequest
	if !s.decodeJSON(w, r, &body) {
		return
	}
	now := s.cfg.Now()
	nameKey, addrKey := strings.ToLower(body.Name), remoteHost(r)
	okName, waitName := s.loginByName.Allowed(nameKey, now)
	okAddr, waitAddr := s.loginByAddr.Allowed(addrKey, now)
	if !okName || !okAddr {
		w.Header().Set("Retry-After", strconv.Itoa(int(max(waitName, waitAddr).Seconds())+1))
		s.fail(w, r, fault.ErrTooManyLogins)
		return
	}
	u, err := s.checkPassword(r.Context(), body.Name, body.Password)
	if err != nil {
		if errors.Is(err, auth.ErrWrongPassword) {
			s.loginByName.Fail(nameKey, now)
			s.loginByAddr.Fail(addrKey, now)
			err = fmt.Errorf("login %q: %w", body.Name, fault.ErrLoginFailed)
		}
		s.fail(w, r, err)
		return
	}
	s.loginByName.Reset(nameKey)
	token := auth.NewToken()
	sess := store.Session{ID: auth.SessionID(token), User: u.Name, CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL)}
	if err := s.accounts.CreateSession(r.Context(), sess); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, s.sessionCookie(r, token, int(s.cfg.SessionTTL.Seconds())))
	writeJSON(w, http.StatusOK, api.Me{Name: u.Name, Role: u.Role})
}

// checkPassword returns the account when password matches, else an error
// wrapping auth.ErrWrongPassword. An unknown name costs a hash too, so the
// answer's timing does not tell which names exist.
func (s *Server) checkPassword(ctx context.Context, name, password string) (*store.User, error) {
	select {
	case s.hashing <- struct{}{}:
		defer func() { <-s.hashing }()
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	u, err := s.accounts.GetUser(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		_ = auth.Verify(s.dummyHash(), password)
		return nil, auth.ErrWrongPassword
	}
	if err != nil {
		return nil, err
	}
	if err := auth.Verify(u.PasswordHash, password); err != nil {
		return nil, err
	}
	return u, nil
}

// dummyHash is a hash of nothing anyone knows, computed once.
func (s *Server) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy, _ = auth.Hash(auth.NewToken(), s.cfg.PasswordParams) })
	return s.dummy
}

// logout ends the session of the request, if any, and clears its cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(api.SessionCookie); err == nil {
		err := s.accounts.DeleteSession(r.Context(), auth.SessionID(c.Value))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, s.sessionCookie(r, "", -1))
	w.WriteHeader(http.StatusNoContent)
}

// me answers the signed-in account.
func (s *Server) me(w http.ResponseWriter, r *http.Request, u *store.User) {
	writeJSON(w, http.StatusOK, api.Me{Name: u.Name, Role: u.Role})
}

func (s *Server) sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: api.SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil}
}

// userHandler is a handler for a signed-in account.
type userHandler func(w http.ResponseWriter, r *http.Request, u *store.User)

// signedIn lets a request through with a live session cookie, or with the
// admin token as "Authorization: Bearer" (an admin for scripts); else 401.
// With roles given, the account must have one of them (else 403).
func (s *Server) signedIn(next userHandler, roles ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.sessionUser(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(roles) > 0 && u.Role != store.RoleAdmin && !contains(roles, u.Role) {
			s.fail(w, r, fmt.Errorf("account %q, role %s: %w", u.Name, u.Role, fault.ErrForbidden))
			return
		}
		next(w, r, u)
	}
}

func (s *Server) sessionUser(r *http.Request) (*store.User, error) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && s.cfg.AdminToken != "" {
		if subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.AdminToken)) == 1 {
			return &store.User{Name: "admin-token", Role: store.RoleAdmin}, nil
		}
		return nil, fault.New(api.CodeForbidden, "Falscher Admin-Token.", "Wrong admin token.")
	}
	c, err := r.Cookie(api.SessionCookie)
	if err != nil || c.Value == "" {
		return nil, fault.ErrNoSession
	}
	sess, err := s.accounts.GetSession(r.Context(), auth.SessionID(c.Value))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	if !s.cfg.Now().Before(sess.ExpiresAt) {
		return nil, fault.ErrNoSession
	}
	u, err := s.accounts.GetUser(r.Context(), sess.User)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.ErrNoSession
	}
	return u, err
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// remoteHost is the address a request came from, for the login limiter
// only (kept in memory, never stored).
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
