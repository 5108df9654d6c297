package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/media"
)

// runInterception is run's interception config when --interception is not
// given. It cannot be the API's default, catalog.DefaultInterception: that
// one takes its rules from the request's context.
const runInterception = "dada"

// runRun implements `ai4artsed run [--server URL] [--interception ID] [--output ID] [--demo] PROMPT`:
// the interception run, then a generation run from its text (the UI's flow;
// the safety stage is not built yet, so "all" is not available). Both go
// through package client: against the server at --server, else against an
// in-process server on a loopback port. Progress goes to stderr; stdout gets
// each image's file path (in-process) or URL (--server).
func runRun(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	s := defaultSettings()
	if err := s.loadEnv(getenv); err != nil {
		fmt.Fprintln(stderr, "ai4artsed:", err)
		return 2
	}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "URL of a running ai4artsed server (default: run one in-process)")
	interception := fs.String("interception", runInterception,
		fmt.Sprintf("interception config id (the API's default, %q, needs a context, which run does not take)", catalog.DefaultInterception))
	output := fs.String("output", "", "output config id (default: the server's)")
	lang := fs.String("lang", s.Language, "language of messages: de or en")
	fs.BoolVar(&s.Demo, "demo", false, "in-process: use the built-in simulators")
	fs.StringVar(&s.DataDir, "data-dir", s.DataDir, "in-process: directory of the database and media files")
	simFlags(fs, &s.Sim)
	setUsage(fs, "ai4artsed run [flags] PROMPT")
	if err := fs.Parse(args); err != nil {
		return parseFailed(err)
	}
	prompt := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if prompt == "" {
		fmt.Fprintln(stderr, "usage: ai4artsed run [--server URL] [--interception ID] [--output ID] [--demo] PROMPT")
		return 2
	}
	r := &cliRun{stderr: stderr, bar: isTerminal(stderr)}
	if *server != "" {
		base := strings.TrimRight(*server, "/")
		r.api = client.New(base, nil, client.WithClientID("cli"), client.WithLanguage(*lang))
		r.mediaRef = func(m api.MediaEvent) (string, error) { return base + m.URL, nil }
	} else {
		stop, err := r.inProcess(ctx, s, *lang)
		if err != nil {
			fmt.Fprintln(stderr, "ai4artsed:", err)
			return 1
		}
		defer stop()
	}
	text, err := r.follow(ctx, api.RunRequest{Stages: api.StagesInterception, Prompt: prompt, Interception: *interception, Lang: *lang})
	if err == nil {
		_, err = r.follow(ctx, api.RunRequest{Stages: api.StagesGeneration, Text: text, Interception: *interception, Output: *output, Lang: *lang})
	}
	if err != nil {
		fmt.Fprintln(stderr, "ai4artsed:", err)
		return 1
	}
	for _, p := range r.media {
		fmt.Fprintln(stdout, p)
	}
	return 0
}

// cliRun prints the events of the CLI's runs.
type cliRun struct {
	api    *client.Client
	stderr io.Writer
	bar    bool
	// mediaRef names a stored image for stdout.
	mediaRef func(api.MediaEvent) (string, error)
	media    []string
}

// inProcess builds the App, serves it on a loopback port and points the
// client at it; stop shuts both down.
func (r *cliRun) inProcess(ctx context.Context, s Settings, lang string) (stop func(), err error) {
	app, err := NewApp(ctx, s, newLogger(io.Discard))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = app.Shutdown(context.Background())
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	srv := &http.Server{Handler: app.API, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	r.api = client.New("http://"+ln.Addr().String(), &http.Client{}, client.WithClientID("cli"), client.WithLanguage(lang))
	r.mediaRef = func(m api.MediaEvent) (string, error) {
		rec, err := app.Store.GetMedia(context.Background(), m.MediaID)
		if err != nil {
			return "", err
		}
		if app.Files == nil {
			return "media " + rec.ID + " (kept in the database)", nil
		}
		p, err := app.Files.Path(rec.Hash, media.ExtFor(rec.Mime))
		if err != nil {
			return "", err
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return p, nil
	}
	return func() {
		app.API.CloseStreams()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = app.Shutdown(sctx)
	}, nil
}

// follow starts a run and prints its events until done; it returns the last
// stage text. When ctx ends the run is cancelled.
func (r *cliRun) follow(ctx context.Context, req api.RunRequest) (string, error) {
	created, err := r.api.StartRun(ctx, req)
	if err != nil {
		return "", err
	}
	var text string
	err = r.api.Follow(ctx, created.RunID, 0, func(e api.Event) error {
		t, err := r.show(e)
		if t != "" {
			text = t
		}
		return err
	})
	if ctx.Err() != nil {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = r.api.Cancel(cctx, created.RunID)
		return "", ctx.Err()
	}
	return text, err
}

// show prints one event; it returns a stage's whole text, and an error for
// a run that did not end done.
func (r *cliRun) show(e api.Event) (string, error) {
	p, err := e.Decode()
	if err != nil {
		return "", err
	}
	switch d := p.(type) {
	case api.StageEvent:
		fmt.Fprintf(r.stderr, "stage %d %s: %s %s\n", d.Stage, d.Name, d.Status, d.Detail)
	case api.QueueStatusEvent:
		fmt.Fprintf(r.stderr, "  %s (position %d)\n", d.Message, d.Position)
	case api.ChunkEvent:
		fmt.Fprint(r.stderr, d.Text)
	case api.TextEvent:
		fmt.Fprintln(r.stderr)
		return d.Text, nil
	case api.SafetyEvent:
		if d.Verdict == api.VerdictBlocked {
			fmt.Fprintf(r.stderr, "  safety check (stage %d): %s\n", d.Stage, d.Reason)
			if d.Suggestion != "" {
				fmt.Fprintf(r.stderr, "  suggestion: %s\n", d.Suggestion)
			}
		}
	case api.ProgressEvent:
		r.progress(d.Value, d.Max)
	case api.MediaEvent:
		ref, err := r.mediaRef(d)
		if err != nil {
			return "", err
		}
		r.media = append(r.media, ref)
	case api.ErrorEvent:
		return "", fmt.Errorf("%s: %s", d.Code, d.Message)
	case api.DoneEvent:
		if d.State != api.StateDone {
			return "", errors.New("run ended " + string(d.State))
		}
	}
	return "", nil
}

func (r *cliRun) progress(v, max int) {
	if max <= 0 {
		return
	}
	if !r.bar {
		if v == max {
			fmt.Fprintf(r.stderr, "  generation %d/%d\n", v, max)
		}
		return
	}
	const width = 30
	n := v * width / max
	fmt.Fprintf(r.stderr, "\r  [%s%s] %3d%%", strings.Repeat("#", n), strings.Repeat(".", width-n), v*100/max)
	if v == max {
		fmt.Fprintln(r.stderr)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
