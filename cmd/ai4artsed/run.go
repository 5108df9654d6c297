package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
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
	var cur events.Cursor
	var text string
	for {
		evs, next, changed, err := r.app.Hub.Since(ctx, run.ID, cur)
		if err != nil {
			return "", err
		}
		cur = next
		for _, e := range evs {
			if t, err := r.show(e); err != nil {
				return "", err
			} else if t != "" {
				text = t
			}
			if e.Type == "done" {
				return text, nil
			}
		}
		if changed == nil {
			continue
		}
		select {
		case <-changed:
		case <-ctx.Done():
			_ = r.app.Pipeline.Cancel(context.Background(), run.ID)
			return "", ctx.Err()
		}
	}
}

func (r *cliRun) show(e store.Event) (string, error) {
	var d struct {
		Stage    int    `json:"stage"`
		Name     string `json:"name"`
		Status   string `json:"status"`
		Detail   string `json:"detail"`
		Text     string `json:"text"`
		Message  string `json:"message"`
		Code     string `json:"code"`
		Value    int    `json:"value"`
		Max      int    `json:"max"`
		MediaID  string `json:"media_id"`
		Mime     string `json:"mime"`
		State    string `json:"state"`
		Position int    `json:"position"`
	}
	_ = json.Unmarshal(e.Data, &d)
	switch e.Type {
	case "stage":
		fmt.Fprintf(r.stderr, "stage %d %s: %s %s\n", d.Stage, d.Name, d.Status, d.Detail)
	case "queue_status":
		fmt.Fprintf(r.stderr, "  %s (position %d)\n", d.Message, d.Position)
	case "chunk":
		fmt.Fprint(r.stderr, d.Text)
	case "text":
		fmt.Fprintln(r.stderr)
		return d.Text, nil
	case "progress":
		r.progress(d.Value, d.Max)
	case "media":
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
	case "error":
		return "", fmt.Errorf("%s: %s", d.Code, d.Message)
	case "done":
		if d.State != string(store.StateDone) {
			return "", errors.New("run ended " + d.State)
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
