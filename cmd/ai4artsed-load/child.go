package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildServer builds cmd/ai4artsed into dir with `go build` (run inside
// this module) and returns the binary's path.
func buildServer(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "ai4artsed")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/ai4artsed/ai4artsed/cmd/ai4artsed")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build the server (run inside the module, or give --server-bin): %w\n%s", err, out)
	}
	return bin, nil
}

// child is an `ai4artsed serve` process on a loopback port.
type child struct {
	cmd     *exec.Cmd
	URL     string // http://127.0.0.1:PORT
	logPath string
	done    chan struct{} // closed when the process has been reaped
	err     error         // Wait's error, set before done closes
}

// serverEnv is the environment of the child: the parent's without any
// setting of ours (so the operator's shell cannot change the benchmark),
// plus set.
func serverEnv(set map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AI4ARTSED_") || strings.HasPrefix(k, "OLLAMA_") || strings.HasPrefix(k, "OPENAI_") ||
			strings.HasPrefix(k, "SWARMUI_") || strings.HasPrefix(k, "COMFYUI_") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// startServer runs `bin serve` with env on a free loopback port, its data
// dir dataDir, its log in logPath, and returns once it prints its address.
// A server that exits first returns an error with the end of its log.
func startServer(ctx context.Context, bin, dataDir, logPath string, env map[string]string) (*child, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir)
	cmd.Env = serverEnv(env)
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	c := &child{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	addr := make(chan string, 1)
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), " is running at "); ok {
				once.Do(func() { addr <- strings.TrimRight(rest, "/") })
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		c.err = cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	select {
	case c.URL = <-addr:
		return c, nil
	case <-c.done:
		return nil, fmt.Errorf("the server exited at start (%v): %s", c.err, tail(logPath, 600))
	case <-time.After(30 * time.Second):
		c.stop()
		return nil, fmt.Errorf("the server printed no address within 30 s: %s", tail(logPath, 600))
	case <-ctx.Done():
		c.stop()
		return nil, ctx.Err()
	}
}

// stop interrupts the server (it finishes its runs' records), kills its
// process group after 10 s, and waits for it.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
	}
}

// log returns the server's log so far.
func (c *child) log() string {
	b, _ := os.ReadFile(c.logPath)
	return string(b)
}

// tail returns at most n bytes of the end of the file at path, on one line.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", " | ")
}

// errRefusedLLMPool is the server refusing several OLLAMA_URLs.
var errRefusedLLMPool = errors.New("the server does not take several LLM machines (comma-separated OLLAMA_URL)")
