//go:build unix

// Package datadir guards a server's data directory: one process at a time
// may use it, so a second server cannot touch the first one's runs, database
// or media files.
//
// The guard is an advisory flock(2) on DATA_DIR/ai4artsed.lock. The kernel
// drops it when the process ends, however it ends, so a crash never leaves a
// stale lock behind. The file holds the owner's pid, for the error message
// only; it is never removed (removing it would let two processes lock two
// different files of the same name).
package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// FileName is the lock file's name inside the data dir.
const FileName = "ai4artsed.lock"

// ErrLocked is matched (errors.Is) by the error Lock returns when another
// process, or another Lock in this process, holds the data dir.
var ErrLocked = errors.New("datadir: data dir is in use")

// LockedError says who holds the data dir.
type LockedError struct {
	Dir string
	PID int // 0 when the lock file names no pid
}

// Error names the data dir and the holder's pid.
func (e *LockedError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("datadir: another ai4artsed server uses data dir %s", e.Dir)
	}
	return fmt.Sprintf("datadir: another ai4artsed server uses data dir %s (pid %d)", e.Dir, e.PID)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Guard is an exclusive hold on a data dir, released by Close or when the
// process ends.
type Guard struct {
	f *os.File
}

// Lock creates dir if needed and takes its lock without waiting. When the
// dir is held elsewhere it returns a *LockedError at once.
func Lock(dir string) (*Guard, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("datadir: %w", err)
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("datadir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			abs, aerr := filepath.Abs(dir)
			if aerr != nil {
				abs = dir
			}
			return nil, &LockedError{Dir: abs, PID: readPID(f)}
		}
		return nil, fmt.Errorf("datadir: lock %s: %w", path, err)
	}
	if err := writePID(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("datadir: %s: %w", path, err)
	}
	return &Guard{f: f}, nil
}

// Close releases the lock; it is safe to call twice.
func (l *Guard) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	// Closing the only descriptor of the open file releases the flock.
	if err := f.Close(); err != nil {
		return fmt.Errorf("datadir: unlock: %w", err)
	}
	return nil
}

func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// readPID reads the holder's pid; 0 if the file names none (the holder may
// be between taking the lock and writing its pid).
func readPID(f *os.File) int {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid < 0 {
		return 0
	}
	return pid
}
