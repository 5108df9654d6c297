package supervisor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestEnsureStartsBackendWhenDown(t *testing.T) {
	f := newFixture(t)
	s := newSupervisor(t, f.config(t, f.command(t, 200*time.Millisecond)))
	if st := s.Status(); st.State != StateUnknown {
		t.Fatalf("initial state = %q, want unknown", st.State)
	}
	var notes []string
	if err := s.Ensure(t.Context(), func(d string) { notes = append(notes, d) }); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	if len(notes) != 1 || notes[0] != NoteStarting {
		t.Errorf("onStarting notes = %q, want [%q]", notes, NoteStarting)
	}
	st := s.Status()
	if st.State != StateUp || st.Starts != 1 || st.PID == 0 || st.CheckedAt.IsZero() {
		t.Fatalf("status after start = %+v, want up with pid, 1 start", st)
	}
	if pids := f.pids(t); len(pids) != 1 || pids[0] != st.PID {
		t.Fatalf("started pids = %v, want [%d]", pids, st.PID)
	}
	// Healthy now: no second start, no callback.
	if err := s.Ensure(t.Context(), func(string) { t.Error("onStarting called while healthy") }); err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	if st := s.Check(t.Context()); st.State != StateUp || st.Starts != 1 {
		t.Fatalf("Check = %+v, want up after 1 start", st)
	}
}

func TestConcurrentEnsureSharesOneStart(t *testing.T) {
	f := newFixture(t)
	s := newSupervisor(t, f.config(t, f.command(t, 300*time.Millisecond)))
	const callers = 20
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() { errs <- s.Ensure(context.Background(), nil) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Ensure: %v", err)
		}
	}
	if pids := f.pids(t); len(pids) != 1 {
		t.Fatalf("%d processes started (%v), want exactly 1", len(pids), pids)
	}
	if st := s.Status(); st.Starts != 1 || st.State != StateUp {
		t.Fatalf("status = %+v, want up after 1 start", st)
	}
}

func TestCrashIsNoticedAndRestarted(t *testing.T) {
	f := newFixture(t)
	s := newSupervisor(t, f.config(t, f.command(t, 0)))
	if err := s.Ensure(t.Context(), nil); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	first := s.Status().PID
	killed := time.Now()
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// No Ensure or Check in between: the reaper alone must notice.
	waitUntil(t, 2*time.Second, "state is down after the crash", func() bool { return s.Status().State == StateDown })
	t.Logf("crash noticed after %s", time.Since(killed).Round(time.Millisecond))
	st := s.Status()
	if !strings.Contains(st.Detail, "killed by signal") || st.PID != 0 {
		t.Errorf("status after crash = %+v, want detail naming the signal and no pid", st)
	}
	var notes int
	if err := s.Ensure(t.Context(), func(string) { notes++ }); err != nil {
		t.Fatalf("Ensure after crash: %v", err)
	}
	st = s.Status()
	if st.State != StateUp || st.Starts != 2 || st.PID == first || notes != 1 {
		t.Fatalf("status after restart = %+v (first pid %d, %d notes), want up, 2 starts, new pid", st, first, notes)
	}
	if alive(first) {
		t.Errorf("crashed pid %d was not reaped", first)
	}
}

func TestCallerGivingUpDoesNotCancelStart(t *testing.T) {
	f := newFixture(t)
	s := newSupervisor(t, f.config(t, f.command(t, 400*time.Millisecond)))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := s.Ensure(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("impatient Ensure = %v, want deadline exceeded", err)
	}
	if err := s.Ensure(t.Context(), nil); err != nil {
		t.Fatalf("patient Ensure: %v", err)
	}
	if st := s.Status(); st.Starts != 1 {
		t.Fatalf("starts = %d, want the first start to carry on", st.Starts)
	}
}

func TestHungOwnProcessIsReplaced(t *testing.T) {
	f := newFixture(t)
	cfg := f.config(t, f.command(t, 0))
	// Long enough for the re-executed test binary to start on a loaded
	// 2-core machine (500 ms was not), short enough to wait out once.
	cfg.StartupTimeout = 2 * time.Second
	cfg.Backoff = 100 * time.Millisecond
	s := newSupervisor(t, cfg)
	if err := s.Ensure(t.Context(), nil); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	first := s.Status().PID
	// A stopped process keeps its ports open but never answers. It also
	// ignores SIGTERM until continued, so this exercises the SIGKILL path.
	if err := syscall.Kill(first, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// The signal takes effect asynchronously: wait until the kernel reports
	// the process as stopped before probing it.
	waitUntil(t, 2*time.Second, "the backend to be stopped", func() bool { return stopped(first) })
	// Port open, no answers: down (Check also ends Ensure's short up-cache).
	if st := s.Check(t.Context()); st.State != StateDown || !strings.Contains(st.Detail, "no answer within") {
		t.Fatalf("Check on hung backend = %+v, want down for lack of answers", st)
	}
	var notes []string
	err := s.Ensure(t.Context(), func(d string) { notes = append(notes, d) })
	if !errors.Is(err, ErrStartFailed) || !strings.Contains(err.Error(), "did not answer within") {
		t.Fatalf("Ensure on hung backend = %v, want ErrStartFailed after the timeout", err)
	}
	if len(notes) != 1 || notes[0] != NoteRecovering {
		t.Errorf("notes = %q, want [%q]", notes, NoteRecovering)
	}
	if alive(first) {
		t.Fatalf("hung pid %d still exists", first)
	}
	waitUntil(t, 10*time.Second, "the backoff has passed", func() bool {
		err := s.Ensure(t.Context(), nil)
		if err != nil && !errors.Is(err, ErrBackoff) {
			t.Fatalf("Ensure after hang: %v", err)
		}
		return err == nil
	})
	if st := s.Status(); st.State != StateUp || st.Starts != 2 || st.PID == first {
		t.Fatalf("status = %+v, want up with a second, new process", st)
	}
}

func TestClose(t *testing.T) {
	tests := []struct {
		name       string
		stopOnExit bool
		wantAlive  bool
	}{
		{"keeps backend running by default", false, true},
		{"stops backend with StopOnExit", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			cfg := f.config(t, f.command(t, 0))
			cfg.StopOnExit = tt.stopOnExit
			s := New(cfg)
			if err := s.Ensure(t.Context(), nil); err != nil {
				t.Fatalf("Ensure: %v", err)
			}
			pid := s.Status().PID
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if got := alive(pid); got != tt.wantAlive {
				t.Fatalf("pid %d alive after Close = %v, want %v", pid, got, tt.wantAlive)
			}
			if err := s.Ensure(t.Context(), nil); !errors.Is(err, ErrClosed) {
				t.Fatalf("Ensure after Close = %v, want ErrClosed", err)
			}
		})
	}
}

func TestCloseWakesWaiters(t *testing.T) {
	f := newFixture(t)
	cfg := f.config(t, f.command(t, time.Minute))
	cfg.StopOnExit = true
	s := New(cfg)
	s.killGrace = 500 * time.Millisecond
	started := make(chan struct{})
	errc := make(chan error, 1)
	go func() { errc <- s.Ensure(context.Background(), func(string) { close(started) }) }()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("start never began")
	}
	pid := s.Status().PID
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("waiter got %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter stranded by Close")
	}
	if alive(pid) {
		t.Fatalf("pid %d alive after Close with StopOnExit", pid)
	}
}

func TestCrashOfLeaderCleansUpItsGroup(t *testing.T) {
	f := newFixture(t)
	// The fake runs as a child of the shell, like ComfyUI under SwarmUI.
	s := newSupervisor(t, f.config(t, "("+f.command(t, 0)+") & wait"))
	if err := s.Ensure(t.Context(), nil); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	leader := s.Status().PID
	pids := f.pids(t)
	if len(pids) != 1 || pids[0] == leader {
		t.Fatalf("fake pids %v, leader %d: want one fake below the shell", pids, leader)
	}
	if err := syscall.Kill(leader, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 3*time.Second, "the orphaned fake is gone", func() bool { return !running(pids[0]) })
	waitUntil(t, 3*time.Second, "state is down", func() bool { return s.Status().State == StateDown })
	if err := s.Ensure(t.Context(), nil); err != nil {
		t.Fatalf("Ensure after crash: %v", err)
	}
	if got := len(f.pids(t)); got != 2 {
		t.Fatalf("%d fakes started, want a fresh second one", got)
	}
}

// running reports whether pid exists and is not a zombie (an orphan's zombie
// may linger when the container's init does not reap).
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || !bytes.HasPrefix(stat[i+1:], []byte(" Z"))
}

// stopped reports whether pid is in the stopped state ("T" in /proc/PID/stat).
func stopped(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(data, ')')
	return i >= 0 && i+2 < len(data) && data[i+2] == 'T'
}
