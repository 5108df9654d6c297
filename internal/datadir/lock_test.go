//go:build unix

package datadir

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLock(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, dir string)
	}{
		{"a second lock in the same process fails and names the holder", func(t *testing.T, dir string) {
			l := mustLock(t, dir)
			defer l.Close()
			_, err := Lock(dir)
			var le *LockedError
			if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
				t.Fatalf("second Lock: %v, want a *LockedError", err)
			}
			if le.PID != os.Getpid() {
				t.Errorf("holder pid %d, want %d", le.PID, os.Getpid())
			}
			want := "another ai4artsed server uses data dir " + le.Dir + " (pid " + strconv.Itoa(os.Getpid()) + ")"
			if !strings.Contains(err.Error(), want) || !filepath.IsAbs(le.Dir) {
				t.Errorf("message %q, want it to contain %q", err, want)
			}
		}},
		{"Close releases the lock", func(t *testing.T, dir string) {
			l := mustLock(t, dir)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			mustLock(t, dir).Close()
		}},
		{"the lock file survives and a stale pid does not block", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, FileName), []byte("999999\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			l := mustLock(t, dir)
			defer l.Close()
			data, err := os.ReadFile(filepath.Join(dir, FileName))
			if err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(os.Getpid()) {
				t.Fatalf("lock file holds %q (%v), want our pid", data, err)
			}
		}},
		{"the dir is created", func(t *testing.T, dir string) {
			mustLock(t, filepath.Join(dir, "a", "b")).Close()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, t.TempDir()) })
	}
}

// TestLockHeldByAnotherProcess locks the dir in a child process (this test
// binary, see TestHelperHoldLock) and checks that the parent is refused,
// then admitted once the child is gone.
func TestLockHeldByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$")
	cmd.Env = append(os.Environ(), "DATADIR_TEST_HOLD="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan error, 1)
	go func() {
		buf := make([]byte, 64)
		n, err := stdout.Read(buf)
		if err == nil && !strings.Contains(string(buf[:n]), "locked") {
			err = errors.New("child said " + string(buf[:n]))
		}
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("child did not take the lock")
	}
	_, err = Lock(dir)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != cmd.Process.Pid {
		t.Fatalf("Lock while the child holds it: %v, want the child's pid %d", err, cmd.Process.Pid)
	}
	stdin.Close() // the child exits without closing its lock
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	mustLock(t, dir).Close()
}

// TestHelperHoldLock is the child of TestLockHeldByAnotherProcess: it locks
// the dir, says so and waits for stdin to close.
func TestHelperHoldLock(t *testing.T) {
	dir := os.Getenv("DATADIR_TEST_HOLD")
	if dir == "" {
		t.Skip("helper process only")
	}
	if _, err := Lock(dir); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("locked\n")
	_, _ = os.Stdin.Read(make([]byte, 1))
	os.Exit(0)
}

func mustLock(t *testing.T, dir string) *Guard {
	t.Helper()
	l, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
