package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// runServe implements `ai4artsed serve [--addr A] [--demo]`.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	s := defaultSettings()
	if err := s.loadEnv(getenv); err != nil {
		fmt.Fprintln(stderr, "ai4artsed:", err)
		return 2
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.Addr, "addr", s.Addr, "listen address")
	fs.BoolVar(&s.Demo, "demo", false, "start the built-in simulators and use them")
	fs.StringVar(&s.DataDir, "data-dir", s.DataDir, "directory of the database and media files")
	simFlags(fs, &s.Sim)
	setUsage(fs, "ai4artsed serve [flags]")
	if err := fs.Parse(args); err != nil {
		return parseFailed(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ai4artsed serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	log := newLevelLogger(stderr, s.LogLevel)
	if err := serve(ctx, s, log, stdout); err != nil {
		fmt.Fprintln(stderr, "ai4artsed:", err)
		return 1
	}
	return 0
}

// setUsage makes fs's help start with line instead of "Usage of NAME:".
func setUsage(fs *flag.FlagSet, line string) {
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s\n\nflags:\n", line)
		fs.PrintDefaults()
	}
}

// parseFailed is the exit code after a flag.Parse error: 0 when help was
// asked for (the flag package has printed it), else 2.
func parseFailed(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

func newLogger(w io.Writer) *slog.Logger { return newLevelLogger(w, slog.LevelInfo) }

// newLevelLogger is newLogger logging level and above (AI4ARTSED_LOG_LEVEL).
func newLevelLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// serve runs the server until ctx ends, then drains (drain) and shuts down
// within a bound: stop accepting, end every SSE stream, interrupt the runs
// still in flight.
//
// The port is bound, and NewApp takes the data dir's lock, before any state
// is touched: a second server on the same port or data dir fails without
// changing the first one's runs.
func serve(ctx context.Context, s Settings, log *slog.Logger, stdout io.Writer) error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Addr, err)
	}
	app, err := NewApp(ctx, s, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	log.Info("settings", app.Settings.logAttrs()...)
	checkLLM(ctx, app.Settings, app.Pipeline.LLMMachines(), log)
	srv := app.API.HTTPServer() // its timeouts: httpapi.Timeouts
	fmt.Fprintf(stdout, "ai4artsed is running at http://%s/\n", ln.Addr())
	if f, ok := stdout.(*os.File); ok {
		_ = f.Sync()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		_ = app.Shutdown(context.Background())
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	drain(app, s.ShutdownGrace, log)
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	app.API.CloseStreams()
	if err := app.Pipeline.Shutdown(sctx); err != nil {
		log.Error("runs did not end in time", "err", err)
	}
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("http shutdown", "err", err)
		_ = srv.Close()
	}
	app.closeAll()
	log.Info("stopped")
	return nil
}

// drain is the first part of a rolling restart (docs/deploy.md): /healthz
// turns to 503 and new runs are refused, while the runs in flight have up
// to grace to finish and their streams go on. It returns when no run is
// left, when grace has passed, or at a second SIGTERM or interrupt.
func drain(app *App, grace time.Duration, log *slog.Logger) {
	app.API.Drain()
	active := app.Pipeline.Active() + app.API.StartingRuns()
	if active == 0 || grace <= 0 {
		return
	}
	log.Info("draining: no new runs; waiting for the runs in flight", "runs", active, "grace", grace)
	hurry := make(chan os.Signal, 1)
	signal.Notify(hurry, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(hurry)
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-deadline.C:
			log.Warn("draining: grace period over; interrupting the runs left", "runs", app.Pipeline.Active())
			return
		case sig := <-hurry:
			log.Warn("draining: second signal; interrupting the runs left", "signal", sig.String(), "runs", app.Pipeline.Active())
			return
		case <-tick.C:
			// A request that passed the draining check before Drain counts
			// in StartingRuns until its run is active.
			if app.API.StartingRuns() == 0 && app.Pipeline.Active() == 0 {
				log.Info("draining: every run finished")
				settleStreams(app, streamSettle)
				return
			}
		}
	}
}

// streamSettle is how long the event streams get, once the last run
// ended, to deliver their last events (done above all) by themselves
// before the rest are closed.
const streamSettle = time.Second

// settleStreams waits until no event stream is open or d has passed. The
// streams of finished runs end by themselves once they wrote done; those
// still open follow runs of other replicas, and their browsers reconnect
// elsewhere with Last-Event-ID.
func settleStreams(app *App, d time.Duration) {
	deadline := time.Now().Add(d)
	for app.Hub.Subscribers() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}
