package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// testClassRuns: a workshop's runs are those of its devices, newest first,
// from since on, at most limit, each with its device and nickname; runs of
// other workshops and of browsers without a device are not.
func testClassRuns(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "ana")
	for _, w := range []store.Workshop{newWorkshop("w1", "ABCDEFG", "ana"), newWorkshop("w2", "HJKMNPQ", "ana")} {
		if err := s.CreateWorkshop(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []store.Device{{ID: "d1", WorkshopID: "w1", Nickname: "Fuchs"}, {ID: "d2", WorkshopID: "w1", Nickname: "Blauer Wal"},
		{ID: "d3", WorkshopID: "w2", Nickname: "Igel"}} {
		if err := s.CreateDevice(ctx, d, 0); err != nil {
			t.Fatal(err)
		}
	}
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	for _, r := range []*store.Run{
		runAt("a", "d:d1", store.StateDone, at(1)),
		runAt("b", "d:d2", store.StateBlocked, at(2)),
		runAt("c", "d:d1", store.StateRunning, at(3)),
		runAt("x", "d:d3", store.StateDone, at(2)),     // another workshop
		runAt("y", "c:d1", store.StateDone, at(2)),     // a browser's own id, not a device
		runAt("z", "d:nobody", store.StateDone, at(2)), // a device no longer there
	} {
		mustCreate(t, s, r)
	}
	ids := func(cs []store.ClassRun) (out []string) {
		for _, c := range cs {
			out = append(out, c.ID+"/"+c.DeviceID+"/"+c.Nickname)
		}
		return out
	}
	tests := []struct {
		name  string
		id    string
		since time.Time
		limit int
		want  []string
	}{
		{"all", "w1", time.Time{}, 100, []string{"c/d1/Fuchs", "b/d2/Blauer Wal", "a/d1/Fuchs"}},
		{"limit keeps the newest", "w1", time.Time{}, 2, []string{"c/d1/Fuchs", "b/d2/Blauer Wal"}},
		{"since is inclusive", "w1", at(2), 100, []string{"c/d1/Fuchs", "b/d2/Blauer Wal"}},
		{"other workshop", "w2", time.Time{}, 100, []string{"x/d3/Igel"}},
		{"unknown workshop", "w9", time.Time{}, 100, nil},
	}
	for _, tc := range tests {
		got, err := s.ClassRuns(ctx, tc.id, tc.since, tc.limit)
		if err != nil {
			t.Fatalf("%s: ClassRuns: %v", tc.name, err)
		}
		if g := ids(got); !equalStrings(g, tc.want) {
			t.Errorf("%s: ClassRuns = %v, want %v", tc.name, g, tc.want)
		}
	}
	got, _ := s.ClassRuns(ctx, "w1", at(3), 1)
	if len(got) != 1 {
		t.Fatalf("ClassRuns from c on: %d runs", len(got))
	}
	c := got[0]
	if c.ClientID != "d:d1" || c.Stages != "all" || c.State != store.StateRunning || c.Lang != "de" || !jsonEqual(t, c.Input, newRun("c", "").Input) {
		t.Errorf("class run = %+v", c)
	}
	checkTime(t, "class run CreatedAt", c.CreatedAt, at(3))
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
