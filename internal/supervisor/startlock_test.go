package supervisor

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"time"
)

// memLock is a StartLock shared by the supervisors of one test, standing in
// for PostgreSQL's advisory lock (tested in cmd/ai4artsed).
type memLock struct {
	mu       sync.Mutex
	held     bool
	releases int
}

func (l *memLock) TryLock(context.Context) (func(), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held {
		return nil, false, nil
	}
	l.held = true
	return sync.OnceFunc(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.held = false
		l.releases++
	}), true, nil
}

func (l *memLock) state() (held bool, releases int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held, l.releases
}

// TestStartLockOneStartAmongServers has two supervisors of one machine
// share a start lock: called at once, exactly one launches SwarmUI and the
// other waits for it, told that another server is starting it. The holder
// keeps the lock while its process lives; once the process dies the lock
// is free, and the other supervisor starts the next one.
func TestStartLockOneStartAmongServers(t *testing.T) {
	f := newFixture(t)
	lock := &memLock{}
	var sups []*Supervisor
	for range 2 {
		cfg := f.config(t, f.command(t, 300*time.Millisecond))
		cfg.StartLock = lock
		cfg.StopOnExit = true
		sups = append(sups, newSupervisor(t, cfg))
	}
	notes := make([][]string, 2)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range sups {
		wg.Go(func() {
			errs[i] = s.Ensure(context.Background(), func(n string) { notes[i] = append(notes[i], n) })
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Ensure of supervisor %d: %v", i, err)
		}
	}
	if pids := f.pids(t); len(pids) != 1 {
		t.Fatalf("started %d processes (%v), want 1", len(pids), pids)
	}
	starter := 0
	if sups[1].Status().Starts == 1 {
		starter = 1
	}
	other := 1 - starter
	if sups[starter].Status().Starts != 1 || sups[other].Status().Starts != 0 {
		t.Fatalf("starts: %d and %d, want one start in all", sups[0].Status().Starts, sups[1].Status().Starts)
	}
	if len(notes[other]) > 0 && notes[other][0] != NoteOtherStarting {
		t.Errorf("the waiting supervisor was told %q, want %q", notes[other], NoteOtherStarting)
	}
	if held, _ := lock.state(); !held {
		t.Fatal("the lock was given back while the started process lives")
	}

	// The started process crashes: its supervisor gives the lock back.
	pid := sups[starter].Status().PID
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the lock is given back", func() bool { held, n := lock.state(); return !held && n == 1 })
	if st := sups[other].Check(context.Background()); st.State != StateDown {
		t.Fatalf("the other supervisor sees %s after the crash, want down", st.State)
	}
	if err := sups[other].Ensure(context.Background(), nil); err != nil {
		t.Fatalf("Ensure after the crash: %v", err)
	}
	if pids := f.pids(t); len(pids) != 2 || sups[other].Status().Starts != 1 {
		t.Fatalf("after the crash: pids %v, starts of the other %d; want it to start the second", pids, sups[other].Status().Starts)
	}
}

// TestStartLockWaitTimesOut: when another server holds the lock and SwarmUI
// never answers, the waiting supervisor fails after the startup timeout
// without starting anything.
func TestStartLockWaitTimesOut(t *testing.T) {
	f := newFixture(t)
	lock := &memLock{held: true}
	cfg := f.config(t, f.command(t, 0))
	cfg.StartLock = lock
	cfg.StartupTimeout = 300 * time.Millisecond
	s := newSupervisor(t, cfg)
	err := s.Ensure(context.Background(), nil)
	if err == nil {
		t.Fatal("Ensure succeeded with nobody starting SwarmUI")
	}
	if pids := f.pids(t); len(pids) != 0 {
		t.Fatalf("started %v while another server held the lock", pids)
	}
	if st := s.Status(); st.State != StateDown || st.Starts != 0 {
		t.Errorf("status %+v, want down without a start", st)
	}
}
