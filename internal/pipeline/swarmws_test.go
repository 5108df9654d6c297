package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// stage4Progress returns the values of stage 4's progress events; each
// must come before the media event and carry the output's steps as Max.
func stage4Progress(t *testing.T, evs []api.Payload, steps int) []int {
	t.Helper()
	var vals []int
	media := false
	for _, e := range evs {
		switch v := e.(type) {
		case api.ProgressEvent:
			if v.Stage != 4 {
				continue
			}
			if media {
				t.Errorf("progress %d after media", v.Value)
			}
			if v.Max != steps {
				t.Errorf("progress max %d, want %d", v.Max, steps)
			}
			vals = append(vals, v.Value)
		case api.MediaEvent:
			media = true
		}
	}
	if !media {
		t.Fatal("no media event")
	}
	return vals
}

// sd35Steps is the sd35_large output's step count.
const sd35Steps = 25

func TestSwarmProgressStreams(t *testing.T) {
	tests := []struct {
		name     string
		overall  []float64 // gen_progress values the fake reports
		err      error     // what the stream answers after them
		want     []int
		fellBack bool
		state    store.State
	}{
		{"progress arrives", []float64{0, 0.2, 0.2, 0.52, 0.48, 0.8, 1}, nil, []int{0, 5, 13, 20, 25}, false, store.StateDone},
		{"stream stops short of the end", []float64{0.1, 0.5}, nil, []int{0, 3, 13, 25}, false, store.StateDone},
		{"no websocket route", nil, fmt.Errorf("swarm: GenerateText2ImageWS: %w", swarm.ErrNoWebsocket), []int{0, 25}, true, store.StateDone},
		{"dropped mid-stream: no second try", []float64{0.3}, fmt.Errorf("swarm: lost: %w", swarm.ErrUnavailable), nil, false, store.StateFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw := &fakeSwarm{stream: func(_ context.Context, _ swarm.T2IRequest, on func(swarm.Progress)) ([]swarm.Image, error) {
				for _, o := range tt.overall {
					on(swarm.Progress{Overall: o, Current: o, Steps: sd35Steps})
				}
				if tt.err != nil {
					return nil, tt.err
				}
				return []swarm.Image{{Path: "View/local/raw/x.png", Mime: "image/png", Data: testPNG(8, 6)}}, nil
			}}
			logs := &syncBuffer{}
			p, db, hub := newPipelineWith(t, pipelineOptions{LLM: echoLLM("x"), Images: &Images{Swarm: sw, Comfy: &fakeComfy{}}, Files: true,
				Logger: slog.New(slog.NewTextHandler(logs, nil))})
			for range 2 {
				run := startGen(t, p, Request{Text: "a quiet harbour", Output: "sd35_large", Seed: ptr[uint64](3)})
				evs := decodeEvents(t, waitDone(t, hub, run.ID))
				if r := runOf(t, db, run.ID); r.State != tt.state {
					t.Fatalf("run ended %s (%s), want %s", r.State, r.ErrorCode, tt.state)
				}
				if tt.state != store.StateDone {
					continue
				}
				if got := stage4Progress(t, evs, sd35Steps); !slices.Equal(got, tt.want) {
					t.Errorf("progress values %v, want %v", got, tt.want)
				}
			}
			calls := 2
			if tt.fellBack {
				calls = 4
			}
			if n := len(sw.requests()); n != calls {
				t.Errorf("swarm got %d requests for 2 runs, want %d", n, calls)
			}
			wantLog := 0
			if tt.fellBack {
				wantLog = 1
			}
			if n := logs.count("generating without live progress"); n != wantLog {
				t.Errorf("fallback logged %d times, want %d", n, wantLog)
			}
		})
	}
}
