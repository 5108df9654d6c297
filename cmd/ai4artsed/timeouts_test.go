package main

import (
	"github.com/ai4artsed/ai4artsed/api"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/httpapi"
)

// TestShortHTTPTimeoutsLeaveStreamsAlone runs a run that lasts several
// times the write and body bounds: its SSE stream must carry it to the end,
// since those bounds are for whole responses and request bodies, not for
// streams.
func TestShortHTTPTimeoutsLeaveStreamsAlone(t *testing.T) {
	const bound = 200 * time.Millisecond
	env := newEnv(t, envOptions{
		sim:    SimSettings{FirstTokenDelay: 5 * bound, TokenDelay: time.Millisecond},
		mutate: func(s *Settings) { s.HTTPTimeouts = httpapi.Timeouts{Body: bound, Write: bound} },
	})
	id := env.startRun(t, api.RunRequest{Stages: "interception", Prompt: "a red bicycle", Interception: "dada", Lang: "en"})
	start := time.Now()
	evs := env.collect(t, id)
	if last := evs[len(evs)-1]; last.Type != "done" || last.Data["state"] != "done" {
		t.Fatalf("stream ended with %s %v, want done", last.Type, last.Data)
	}
	if held := time.Since(start); held < 4*bound {
		t.Fatalf("the run took %s; the test needs it to outlast the bounds (%s)", held, bound)
	}
}
