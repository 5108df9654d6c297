package api

import (
	"reflect"
	"testing"
)

func TestEveryEventTypeRoundTrips(t *testing.T) {
	clip := 0.5
	payloads := []Payload{
		RunEvent{RunID: "r", State: StateQueued},
		StageEvent{Stage: StageInterception, Name: StageName(StageInterception), Status: StageStarted, Detail: "d"},
		QueueStatusEvent{Status: QueueWaiting, Position: 3, WaitedMS: 1200, Message: "m", Backend: "ollama"},
		ChunkEvent{Stage: 2, Text: "ein "},
		TextEvent{Stage: 2, Text: "ein Hund"},
		SafetyEvent{Stage: 1, Verdict: VerdictBlocked, Reason: "r", Checks: []string{"judge"}, Terms: []string{"x"}, Suggestion: "s"},
		ProgressEvent{Stage: 4, Value: 3, Max: 20},
		MediaEvent{MediaID: "m", URL: "/api/media/m", Mime: "image/png", Width: 8, Height: 8, Seed: MaxSeedForTest, LoRAs: []LoRA{{Name: "a.safetensors", Strength: 1, ClipStrength: &clip}}},
		ErrorEvent{Code: CodeQueueFull, Message: "m"},
		DoneEvent{State: StateDone, MS: 5},
	}
	seen := map[EventType]bool{}
	for _, p := range payloads {
		e, err := Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		back, err := e.Decode()
		if err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
		if !reflect.DeepEqual(back, p) {
			t.Fatalf("%s: decoded %#v, want %#v", e.Type, back, p)
		}
		seen[e.Type] = true
	}
	for _, typ := range EventTypes {
		if !seen[typ] {
			t.Errorf("event type %s has no round-trip case", typ)
		}
	}
	if _, err := (Event{Type: "nope", Data: []byte(`{}`)}).Decode(); err == nil {
		t.Fatal("an unknown event type decoded")
	}
}

// MaxSeedForTest is the largest seed a request may carry (2^53-1).
const MaxSeedForTest = 1<<53 - 1

func TestStageNamesAndStates(t *testing.T) {
	for n, want := range map[int]string{1: "safety", 2: "interception", 3: "optimization", 4: "generation", 5: ""} {
		if got := StageName(n); got != want {
			t.Errorf("StageName(%d) = %q, want %q", n, got, want)
		}
	}
	for _, s := range []RunState{StateBlocked, StateDone, StateFailed, StateCancelled, StateInterrupted} {
		if !s.Final() || !s.Valid() {
			t.Errorf("%s: final %v valid %v", s, s.Final(), s.Valid())
		}
	}
	if StateRunning.Final() || !StateQueued.Valid() || RunState("x").Valid() {
		t.Error("queued/running/unknown states misclassified")
	}
}
