package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	ana := store.User{Name: "ana", Role: store.RoleTeacher, PasswordHash: "$argon2id$a", CreatedAt: base}
	bo := store.User{Name: "bo", Role: store.RoleAdmin, PasswordHash: "$argon2id$b", CreatedAt: base.Add(time.Second)}
	for _, u := range []store.User{bo, ana} {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser(%s): %v", u.Name, err)
		}
	}
	got, err := s.GetUser(ctx, "ana")
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if got.Name != ana.Name || got.Role != ana.Role || got.PasswordHash != ana.PasswordHash {
		t.Errorf("GetUser = %+v, want %+v", got, ana)
	}
	checkTime(t, "user CreatedAt", got.CreatedAt, base)
	list, err := s.ListUsers(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "ana" || list[1].Name != "bo" {
		t.Errorf("ListUsers = %+v, %v; want ana, bo", list, err)
	}

	invalid := []store.User{
		{Name: "", Role: store.RoleTeacher, PasswordHash: "h"},
		{Name: "x", Role: "student", PasswordHash: "h"},
		{Name: "x", Role: store.RoleTeacher},
	}
	for _, u := range invalid {
		wantErr(t, "CreateUser invalid", s.CreateUser(ctx, u), store.ErrInvalid)
	}
	wantErr(t, "CreateUser duplicate", s.CreateUser(ctx, ana), store.ErrConflict)
	_, err = s.GetUser(ctx, "nobody")
	wantErr(t, "GetUser unknown", err, store.ErrNotFound)
	wantErr(t, "DeleteUser unknown", s.DeleteUser(ctx, "nobody"), store.ErrNotFound)
	wantErr(t, "SetPassword unknown", s.SetPassword(ctx, "nobody", "h"), store.ErrNotFound)
	wantErr(t, "SetPassword empty", s.SetPassword(ctx, "ana", ""), store.ErrInvalid)

	if err := s.SetPassword(ctx, "ana", "$argon2id$new"); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	if got, _ := s.GetUser(ctx, "ana"); got == nil || got.PasswordHash != "$argon2id$new" {
		t.Errorf("after SetPassword: %+v", got)
	}
	if err := s.DeleteUser(ctx, "bo"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err = s.GetUser(ctx, "bo")
	wantErr(t, "GetUser deleted", err, store.ErrNotFound)
}

func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, name := range []string{"ana", "bo"} {
		if err := s.CreateUser(ctx, store.User{Name: name, Role: store.RoleTeacher, PasswordHash: "h"}); err != nil {
			t.Fatalf("CreateUser(%s): %v", name, err)
		}
	}
	sessions := []store.Session{
		{ID: "s1", User: "ana", CreatedAt: base, ExpiresAt: base.Add(time.Hour)},
		{ID: "s2", User: "ana", CreatedAt: base, ExpiresAt: base.Add(2 * time.Hour)},
		{ID: "s3", User: "bo", CreatedAt: base, ExpiresAt: base.Add(3 * time.Hour)},
		{ID: "s4", User: "bo", CreatedAt: base, ExpiresAt: base.Add(4 * time.Hour)},
	}
	for _, se := range sessions {
		if err := s.CreateSession(ctx, se); err != nil {
			t.Fatalf("CreateSession(%s): %v", se.ID, err)
		}
	}
	got, err := s.GetSession(ctx, "s1")
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	if got.ID != "s1" || got.User != "ana" {
		t.Errorf("GetSession = %+v", got)
	}
	checkTime(t, "session ExpiresAt", got.ExpiresAt, base.Add(time.Hour))
	checkTime(t, "session CreatedAt", got.CreatedAt, base)

	wantErr(t, "CreateSession duplicate", s.CreateSession(ctx, sessions[0]), store.ErrConflict)
	wantErr(t, "CreateSession unknown user", s.CreateSession(ctx, store.Session{ID: "s9", User: "nobody", ExpiresAt: base}), store.ErrNotFound)
	wantErr(t, "CreateSession empty id", s.CreateSession(ctx, store.Session{User: "ana", ExpiresAt: base}), store.ErrInvalid)

	// Expiry sweep: s1 expires exactly at the cut, s2 after it.
	n, err := s.DeleteExpiredSessions(ctx, base.Add(time.Hour))
	if err != nil || n != 1 {
		t.Errorf("DeleteExpiredSessions = %d, %v; want 1", n, err)
	}
	_, err = s.GetSession(ctx, "s1")
	wantErr(t, "GetSession expired", err, store.ErrNotFound)

	// A new password ends the account's sessions.
	if err := s.SetPassword(ctx, "ana", "h2"); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	_, err = s.GetSession(ctx, "s2")
	wantErr(t, "GetSession after SetPassword", err, store.ErrNotFound)

	if err := s.DeleteSession(ctx, "s3"); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	wantErr(t, "DeleteSession again", s.DeleteSession(ctx, "s3"), store.ErrNotFound)

	// Removing an account removes its sessions.
	if err := s.DeleteUser(ctx, "bo"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err = s.GetSession(ctx, "s4")
	wantErr(t, "GetSession of removed user", err, store.ErrNotFound)
}
