package supervisor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// process is one start command we launched, leader of its own process group.
type process struct {
	pid  int // also the process group id
	tail *tailBuffer
	out  *os.File      // read end of the output pipe, owned by the reaper
	done chan struct{} // closed once the leader exited and was reaped
	exit string        // how it ended, valid after done is closed
	// release gives back the start lock taken for this process (nil
	// without one); the reaper calls it once the process ended or the
	// supervisor detached from it.
	release func()
}

// launch runs `sh -c StartCommand` in a new process group with stdout and
// stderr going into a bounded tail buffer. It is not tied to any request
// context. release, if not nil, gives back the start lock taken for it
// once it ends. The caller holds s.mu and has checked that s is not closed.
func (s *Supervisor) launch(release func()) (*process, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create output pipe: %w", err)
	}
	cmd := exec.Command("sh", "-c", s.cfg.StartCommand)
	cmd.Stdout, cmd.Stderr = w, w // an *os.File: no copying goroutines in os/exec
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	w.Close() // the child holds its own copy
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("run sh -c: %w", err)
	}
	p := &process{
		pid:     cmd.Process.Pid,
		tail:    newTailBuffer(s.cfg.TailBytes),
		out:     r,
		done:    make(chan struct{}),
		release: release,
	}
	// We reap with wait4 ourselves so the reaper can stop without the child
	// exiting; the os.Process handle is not needed any more.
	_ = cmd.Process.Release()
	s.wg.Add(2)
	readDone := make(chan struct{})
	go func() {
		defer s.wg.Done()
		defer close(readDone)
		_, _ = io.Copy(p.tail, r)
	}()
	go func() {
		defer s.wg.Done()
		s.reap(p, readDone)
	}()
	return p, nil
}

// reap waits for p's leader to exit, notices it at once (within reapPoll),
// cleans up what is left of its process group, and marks the backend down.
// When s.stop closes first it detaches and leaves the process running.
func (s *Supervisor) reap(p *process, readDone <-chan struct{}) {
	tick := time.NewTicker(reapPoll)
	defer tick.Stop()
	var ws syscall.WaitStatus
	var werr error
	for {
		pid, err := syscall.Wait4(p.pid, &ws, syscall.WNOHANG, nil)
		if pid == p.pid {
			break
		}
		if err != nil && !errors.Is(err, syscall.EINTR) {
			werr = err
			break
		}
		select {
		case <-s.stop:
			p.out.Close() // unblocks the output reader; the process keeps running
			<-readDone
			p.giveBack()
			return
		case <-tick.C:
		}
	}
	p.exit = describeExit(ws)
	if werr != nil {
		p.exit = "could not be waited for: " + werr.Error()
	}
	s.killOrphans(p.pid)
	// Give the reader a moment to drain the last lines, unless a grandchild
	// keeps the pipe open.
	select {
	case <-readDone:
	case <-time.After(200 * time.Millisecond):
	}
	p.out.Close()
	<-readDone

	s.mu.Lock()
	if s.proc == p {
		s.proc = nil
		s.status.PID = 0
		s.status.CheckedAt = time.Now()
		s.lastUp = time.Time{}
		if s.start == nil {
			s.setState(StateDown, fmt.Sprintf("SwarmUI process (pid %d) %s", p.pid, p.exit))
		}
	}
	s.mu.Unlock()
	s.log.Info("supervisor: SwarmUI process ended", "pid", p.pid, "exit", p.exit)
	p.giveBack()
	close(p.done)
}

// giveBack releases the start lock held for p, if any.
func (p *process) giveBack() {
	if p.release != nil {
		p.release()
	}
}

// describeExit turns a wait status into words.
func describeExit(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited with exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("was killed by signal %s", ws.Signal())
	default:
		return "ended"
	}
}

// killOrphans stops what remains of the process group after its leader
// exited (for example a ComfyUI child still holding its port). All members
// were started by us; while any member lives the group id cannot be reused.
func (s *Supervisor) killOrphans(pgid int) {
	if syscall.Kill(-pgid, 0) != nil {
		return
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	deadline := time.Now().Add(s.killGrace)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopProcess stops p's process group: SIGTERM, then SIGKILL after the
// grace period, and waits until the reaper has seen the leader exit.
func (s *Supervisor) stopProcess(p *process) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := syscall.Kill(-p.pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("supervisor: stop pid %d: %w", p.pid, err)
	}
	grace := time.NewTimer(s.killGrace)
	defer grace.Stop()
	select {
	case <-p.done:
		return nil
	case <-grace.C:
	case <-s.stop: // the reaper detached; do not wait for the grace period
	}
	s.log.Warn("supervisor: SwarmUI ignored SIGTERM, killing", "pid", p.pid)
	if err := syscall.Kill(-p.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("supervisor: kill pid %d: %w", p.pid, err)
	}
	select {
	case <-p.done:
	case <-s.stop:
	}
	return nil
}
