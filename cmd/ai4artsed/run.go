package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/ai4artsed/ai4artsed/api"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/events"
	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/pipeline"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// runInterception is run's interception config when --interception is not
// given. It cannot be the API's default, catalog.DefaultInterception: that
// one takes its rules from the request's context.
const runInterception = "dada"

// runRun implements `ai4artsed run [--interception ID] [--output ID] [--demo] PROMPT`:
// the interception run, then a generation run from its text (the UI's flow;
// the safety stage is not built yet, so "all" is not available). Progress
// goes to stderr, the stored media's path to stdout.
func runRun(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	s := defaultSettings()
	if err := s.loadEnv(getenv); err != nil {
		fmt.Fprintln(stderr, "ai4artsed:", err)
		return 2
	}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	interception := fs.String("interception", runInterception,
		fmt.Sprintf("interception config id (the API's default, %q, needs a context, which run does not take)", catalog.DefaultInterception))
	output := fs.String("output", "", "output config id")
	lang := fs.String("lang", s.Language, "language of messages: de or en")
	fs.BoolVar(&s.Demo, "demo", false, "use the built-in simulators")
	fs.StringVar(&s.DataDir, "data-dir", s.DataDir, "directory of the database and media files")
	simFlags(fs, &s.Sim)
	setUsage(fs, "ai4artsed run [flags] PROMPT")
	if err := fs.Parse(args); err != nil {
		return parseFailed(err)
	}
	prompt := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if prompt == "" {
		fmt.Fprintln(stderr, "usage: ai4artsed run [--interception ID] [--output ID] [--demo] PROMPT")
		return 2
	}
	log := newLogger(io.Discard)
	app, err := NewApp(ctx, s, log)
	if err != nil {
		fmt.Fprintln(stderr, "ai4artsed:", err)
		return 1
	}
	defer func() { _ = app.Shutdown(context.Background()) }()
	r := &cliRun{app: app, stderr: stderr, bar: isTerminal(stderr)}
	text, err := r.follow(ctx, pipeline.Request{Stages: pipeline.StagesInterception, Prompt: prompt, Interception: *interception, Lang: *lang, ClientID: "cli"})
	if err != nil {
		fmt.Fprintln(stderr, "ai4artsed:", err)
		return 1
	}
	if _, err := r.follow(ctx, pipeline.Request{Stages: pipeline.StagesGeneration, Text: text, Interception: *interception, Output: *output, Lang: *lang, ClientID: "cli"}); err != nil {
		fmt.Fprintln(stderr, "ai4artsed:", err)
		return 1
	}
	for _, p := range r.media {
		fmt.Fprintln(stdout, p)
	}
	return 0
}

type cliRun struct {
	app    *App
	stderr io.Writer
	bar    bool
	media  []string
}

// follow starts a run and prints its events until done; it returns the last
// stage text.
func (r *cliRun) follow(ctx context.Context, req pipeline.Request) (string, error) {
	run, err := r.app.Pipeline.Start(ctx, req)
	if err != nil {
		return "", err
	}
	var text string
	err = r.app.Hub.Follow(ctx, run.ID, 0, events.Watcher{Event: func(e store.Event) error {
		t, err := r.show(e)
		if t != "" {
			text = t
		}
		return err
	}})
	if ctx.Err() != nil {
		_ = r.app.Pipeline.Cancel(context.Background(), run.ID)
		return "", ctx.Err()
	}
	return text, err
}

func (r *cliRun) show(e store.Event) (string, error) {
	p, err := api.Event{Type: api.EventType(e.Type), Data: e.Data}.Decode()
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
	case api.ProgressEvent:
		r.progress(d.Value, d.Max)
	case api.MediaEvent:
		m, err := r.app.Store.GetMedia(context.Background(), d.MediaID)
		if err != nil {
			return "", err
		}
		p, err := r.app.Files.Path(m.Hash, media.ExtFor(m.Mime))
		if err != nil {
			return "", err
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		r.media = append(r.media, p)
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
