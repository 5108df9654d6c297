package pipeline

import (
	"errors"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/fault"
)

func TestApplyWorkshop(t *testing.T) {
	ws := func(level string, ic, out []string) *Workshop {
		return &Workshop{ID: "w1", SafetyLevel: level, Interceptions: ic, Outputs: out}
	}
	cases := []struct {
		name                 string
		req                  Request
		level, requested, id string
		err                  error
	}{
		{"no workshop", Request{SafetyLevel: "adult", Interception: "dada"}, "adult", "", "", nil},
		{"stricter workshop raises", Request{SafetyLevel: "youth", Interception: "dada", Workshop: ws("kids", nil, nil)}, "kids", "youth", "w1", nil},
		{"looser workshop keeps", Request{SafetyLevel: "kids", Interception: "dada", Workshop: ws("adult", nil, nil)}, "kids", "", "w1", nil},
		{"allowed interception", Request{SafetyLevel: "kids", Interception: "dada", Workshop: ws("kids", []string{"dada"}, nil)}, "kids", "", "w1", nil},
		{"other interception", Request{SafetyLevel: "kids", Interception: "bauhaus", Workshop: ws("kids", []string{"dada"}, nil)}, "", "", "", fault.ErrNotInWorkshop},
		{"other output", Request{SafetyLevel: "kids", Interception: "dada", Output: "flux_dev", Workshop: ws("kids", nil, []string{"sd35_large"})}, "", "", "", fault.ErrNotInWorkshop},
		{"disabled interception, all allowed", Request{SafetyLevel: "kids", Interception: "dada",
			Workshop: &Workshop{ID: "w1", SafetyLevel: "kids", DisabledInterceptions: []string{"dada"}}}, "", "", "", fault.ErrNotInWorkshop},
		{"disabled output, all allowed", Request{SafetyLevel: "kids", Interception: "dada", Output: "flux_dev",
			Workshop: &Workshop{ID: "w1", SafetyLevel: "kids", DisabledOutputs: []string{"flux_dev"}}}, "", "", "", fault.ErrNotInWorkshop},
		{"another disabled", Request{SafetyLevel: "kids", Interception: "dada", Output: "sd35_large",
			Workshop: &Workshop{ID: "w1", SafetyLevel: "kids", DisabledInterceptions: []string{"bauhaus"}, DisabledOutputs: []string{"flux_dev"}}}, "kids", "", "w1", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			err := req.applyWorkshop()
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if req.SafetyLevel != tc.level || req.RequestedSafetyLevel != tc.requested || req.WorkshopID != tc.id {
				t.Errorf("level %q requested %q workshop %q; want %q %q %q", req.SafetyLevel, req.RequestedSafetyLevel, req.WorkshopID,
					tc.level, tc.requested, tc.id)
			}
		})
	}
}

func TestClientLimit(t *testing.T) {
	cases := []struct {
		name   string
		w      *Workshop
		server int
		want   int
	}{
		{"no workshop", nil, 3, 3},
		{"no own limit", &Workshop{}, 3, 3},
		{"lower", &Workshop{RunsAtOnce: 1}, 3, 1},
		{"never higher", &Workshop{RunsAtOnce: 9}, 3, 3},
	}
	for _, tc := range cases {
		req := Request{Workshop: tc.w}
		if got := req.clientLimit(tc.server); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
