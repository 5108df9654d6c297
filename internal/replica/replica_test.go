package replica

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// fakeStore records the calls of a Member and answers from its fields.
type fakeStore struct {
	mu        sync.Mutex
	had       []bool // answers of Beat, in turn; then true
	beatErr   error
	beats     int
	sweeps    []time.Duration
	cancels   []string
	orphans   []string
	left      bool
	lastOwner string
}

func (f *fakeStore) Beat(_ context.Context, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.beats++
	if f.beatErr != nil {
		return false, f.beatErr
	}
	if len(f.had) == 0 {
		return true, nil
	}
	h := f.had[0]
	f.had = f.had[1:]
	return h, nil
}

func (f *fakeStore) Leave(context.Context, string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.left = true
	return nil
}

func (f *fakeStore) InterruptOrphans(_ context.Context, ttl time.Duration, _ time.Time, end store.EndFunc) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if end == nil {
		return nil, errors.New("no EndFunc")
	}
	f.sweeps = append(f.sweeps, ttl)
	out := f.orphans
	f.orphans = nil
	return out, nil
}

func (f *fakeStore) CancelRequests(_ context.Context, owner string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastOwner = owner
	return f.cancels, nil
}

func end(store.Run, time.Time) store.Ending { return store.Ending{} }

func TestJoinBeatsThenSweeps(t *testing.T) {
	f := &fakeStore{had: []bool{false}, orphans: []string{"old-run"}}
	m := &Member{ID: NewID(), Store: f, End: end}
	ids, err := m.Join(context.Background())
	if err != nil || !slices.Equal(ids, []string{"old-run"}) {
		t.Fatalf("Join = %v, %v", ids, err)
	}
	if f.beats != 1 || !slices.Equal(f.sweeps, []time.Duration{DefaultTTL}) {
		t.Fatalf("beats %d, sweeps %v", f.beats, f.sweeps)
	}
	if len(m.ID) != 16 || m.ID == NewID() {
		t.Fatalf("replica id %q", m.ID)
	}
}

// TestTickActsOnLeaseLossAndCancels: each tick renews the lease, sweeps,
// and cancels the runs whose cancel was requested; a lease found gone
// calls Lost; a failing beat does nothing else.
func TestTickActsOnLeaseLossAndCancels(t *testing.T) {
	for _, tc := range []struct {
		name       string
		had        bool
		beatErr    error
		wantLost   bool
		wantSweeps int
	}{
		{"renewed", true, nil, false, 1},
		{"declared dead", false, nil, true, 1},
		{"database down", false, errors.New("down"), false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeStore{had: []bool{tc.had}, beatErr: tc.beatErr, cancels: []string{"r1", "r2"}}
			var lost bool
			var cancelled []string
			m := &Member{ID: "me", Store: f, End: end, TTL: 3 * time.Second,
				Lost: func() { lost = true }, Cancel: func(id string) { cancelled = append(cancelled, id) }}
			m.defaults()
			m.tick(context.Background())
			if lost != tc.wantLost || len(f.sweeps) != tc.wantSweeps {
				t.Fatalf("lost %v, sweeps %v", lost, f.sweeps)
			}
			if tc.wantSweeps > 0 && (!slices.Equal(cancelled, []string{"r1", "r2"}) || f.lastOwner != "me" || f.sweeps[0] != 3*time.Second) {
				t.Fatalf("cancelled %v for owner %q, sweep ttl %v", cancelled, f.lastOwner, f.sweeps)
			}
		})
	}
}

func TestRunRenewsUntilStopped(t *testing.T) {
	f := &fakeStore{}
	m := &Member{ID: "me", Store: f, End: end, Interval: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		f.mu.Lock()
		n := f.beats
		f.mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d beats in 5 s", n)
		}
	}
	cancel()
	<-done
	if err := m.Leave(context.Background()); err != nil || !f.left {
		t.Fatalf("Leave = %v, left %v", err, f.left)
	}
}
