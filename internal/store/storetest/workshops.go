package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

func newWorkshop(id, code, owner string) store.Workshop {
	return store.Workshop{
		ID: id, Code: code, Owner: owner, Name: "Klasse 7b " + id, SafetyLevel: "kids",
		Interceptions: []string{"dada", "bauhaus"}, Outputs: []string{"sd35_large"},
		Limits:   store.WorkshopLimits{RunsAtOnce: 1, RunsPerHour: 20, GenerationsPerHour: 200, MaxDevices: 3},
		StartsAt: base, EndsAt: base.Add(3 * time.Hour), CreatedAt: base,
	}
}

func checkWorkshop(t *testing.T, got, want store.Workshop) {
	t.Helper()
	g, w := got, want
	g.StartsAt, g.EndsAt, g.CreatedAt = time.Time{}, time.Time{}, time.Time{}
	w.StartsAt, w.EndsAt, w.CreatedAt = time.Time{}, time.Time{}, time.Time{}
	if w.Interceptions == nil {
		w.Interceptions = []string{}
	}
	if w.Outputs == nil {
		w.Outputs = []string{}
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("workshop = %+v\nwant %+v", g, w)
	}
	checkTime(t, "workshop StartsAt", got.StartsAt, want.StartsAt)
	checkTime(t, "workshop EndsAt", got.EndsAt, want.EndsAt)
	checkTime(t, "workshop CreatedAt", got.CreatedAt, want.CreatedAt)
}

func mustUser(t *testing.T, s store.Store, name string) {
	t.Helper()
	if err := s.CreateUser(context.Background(), store.User{Name: name, Role: store.RoleTeacher, PasswordHash: "h"}); err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
}

func testWorkshops(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "ana")
	mustUser(t, s, "bo")
	w1 := newWorkshop("w1", "ABCDEFG", "ana")
	w2 := newWorkshop("w2", "HJKMNPQ", "bo")
	w2.CreatedAt = base.Add(time.Minute)
	w2.Interceptions, w2.Outputs = nil, nil
	for _, w := range []store.Workshop{w1, w2} {
		if err := s.CreateWorkshop(ctx, w); err != nil {
			t.Fatalf("CreateWorkshop(%s): %v", w.ID, err)
		}
	}
	got, err := s.GetWorkshop(ctx, "w1")
	if err != nil {
		t.Fatalf("GetWorkshop: %v", err)
	}
	checkWorkshop(t, *got, w1)
	got, err = s.WorkshopByCode(ctx, "HJKMNPQ")
	if err != nil {
		t.Fatalf("WorkshopByCode: %v", err)
	}
	checkWorkshop(t, *got, w2)

	all, err := s.ListWorkshops(ctx, "")
	if err != nil || len(all) != 2 || all[0].ID != "w2" || all[1].ID != "w1" {
		t.Errorf("ListWorkshops(all) = %v, %v; want w2, w1", all, err)
	}
	own, err := s.ListWorkshops(ctx, "ana")
	if err != nil || len(own) != 1 || own[0].ID != "w1" {
		t.Errorf("ListWorkshops(ana) = %v, %v; want w1", own, err)
	}

	dupCode := newWorkshop("w3", "ABCDEFG", "ana")
	wantErr(t, "CreateWorkshop duplicate code", s.CreateWorkshop(ctx, dupCode), store.ErrConflict)
	wantErr(t, "CreateWorkshop duplicate id", s.CreateWorkshop(ctx, newWorkshop("w1", "ZZZZZZZ", "ana")), store.ErrConflict)
	wantErr(t, "CreateWorkshop unknown owner", s.CreateWorkshop(ctx, newWorkshop("w4", "YYYYYYY", "nobody")), store.ErrNotFound)
	wantErr(t, "CreateWorkshop no code", s.CreateWorkshop(ctx, newWorkshop("w5", "", "ana")), store.ErrInvalid)
	_, err = s.GetWorkshop(ctx, "w9")
	wantErr(t, "GetWorkshop unknown", err, store.ErrNotFound)
	_, err = s.WorkshopByCode(ctx, "XXXXXXX")
	wantErr(t, "WorkshopByCode unknown", err, store.ErrNotFound)

	upd := w1
	upd.Name, upd.SafetyLevel, upd.Paused, upd.PauseMessage = "Neu", "youth", true, "Pause bis 10 Uhr – räumt auf!"
	upd.Limits.MaxDevices = 10
	upd.Interceptions = []string{"dada"}
	upd.Code, upd.Owner = "CHANGED", "bo" // ignored
	if err := s.UpdateWorkshop(ctx, upd); err != nil {
		t.Fatalf("UpdateWorkshop: %v", err)
	}
	got, _ = s.GetWorkshop(ctx, "w1")
	upd.Code, upd.Owner = "ABCDEFG", "ana"
	checkWorkshop(t, *got, upd)
	missing := upd
	missing.ID = "w9"
	wantErr(t, "UpdateWorkshop unknown", s.UpdateWorkshop(ctx, missing), store.ErrNotFound)

	if err := s.CreateDevice(ctx, store.Device{ID: "d1", WorkshopID: "w1", Nickname: "Fuchs"}, 0); err != nil {
		t.Fatalf("CreateDevice: %v", err)
	}
	if err := s.DeleteWorkshop(ctx, "w1"); err != nil {
		t.Fatalf("DeleteWorkshop: %v", err)
	}
	_, err = s.GetWorkshop(ctx, "w1")
	wantErr(t, "GetWorkshop deleted", err, store.ErrNotFound)
	_, err = s.GetDevice(ctx, "d1")
	wantErr(t, "GetDevice of deleted workshop", err, store.ErrNotFound)
	wantErr(t, "DeleteWorkshop again", s.DeleteWorkshop(ctx, "w1"), store.ErrNotFound)

	// Removing the teacher removes their workshops.
	if err := s.DeleteUser(ctx, "bo"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err = s.GetWorkshop(ctx, "w2")
	wantErr(t, "GetWorkshop of removed teacher", err, store.ErrNotFound)
}

func testDevices(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "ana")
	if err := s.CreateWorkshop(ctx, newWorkshop("w1", "ABCDEFG", "ana")); err != nil {
		t.Fatal(err)
	}
	want := store.Device{ID: "d1", WorkshopID: "w1", Nickname: "Blauer Wal", CreatedAt: base}
	if err := s.CreateDevice(ctx, want, 3); err != nil {
		t.Fatalf("CreateDevice: %v", err)
	}
	got, err := s.GetDevice(ctx, "d1")
	if err != nil {
		t.Fatalf("GetDevice: %v", err)
	}
	if got.ID != want.ID || got.WorkshopID != want.WorkshopID || got.Nickname != want.Nickname {
		t.Errorf("device = %+v, want %+v", got, want)
	}
	checkTime(t, "device CreatedAt", got.CreatedAt, base)
	wantErr(t, "CreateDevice duplicate", s.CreateDevice(ctx, want, 3), store.ErrConflict)
	wantErr(t, "CreateDevice unknown workshop", s.CreateDevice(ctx, store.Device{ID: "dx", WorkshopID: "w9"}, 3), store.ErrNotFound)
	wantErr(t, "CreateDevice empty id", s.CreateDevice(ctx, store.Device{WorkshopID: "w1"}, 3), store.ErrInvalid)
	_, err = s.GetDevice(ctx, "d9")
	wantErr(t, "GetDevice unknown", err, store.ErrNotFound)

	// The cap holds under concurrent joins: 2 more of 10 tries succeed.
	var (
		wg             sync.WaitGroup
		mu             sync.Mutex
		ok, limited, n int
	)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.CreateDevice(ctx, store.Device{ID: fmt.Sprintf("c%d", i), WorkshopID: "w1"}, 3)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrLimit):
				limited++
			default:
				n++
				t.Errorf("CreateDevice: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 2 || limited != 8 {
		t.Errorf("concurrent joins: %d ok, %d limited, want 2 and 8", ok, limited)
	}
}
