package main

import (
	"strings"
	"testing"
)

// TestHelpExitsZero asks each command for help: exit 0, the flags listed,
// and for run the interception it really uses.
func TestHelpExitsZero(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"serve", "--help"}, []string{"usage: ai4artsed serve", "-addr", "-data-dir", "-demo"}},
		{[]string{"serve", "-h"}, []string{"usage: ai4artsed serve"}},
		{[]string{"run", "--help"}, []string{"usage: ai4artsed run", "-interception", `(default "` + runInterception + `")`, `"user_defined"`}},
		{[]string{"run", "-h"}, []string{"usage: ai4artsed run"}},
		{[]string{"--help"}, []string{"usage: ai4artsed <command>"}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := dispatch(t.Context(), tc.args, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
			out := stdout.String() + stderr.String()
			if code != 0 {
				t.Fatalf("exit %d, want 0; output %s", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("help lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestRunDefaultInterceptionIsAConfig checks that the default run's help
// names is a built-in interception config that needs no context.
func TestRunDefaultInterceptionIsAConfig(t *testing.T) {
	env := newEnv(t, envOptions{})
	ic, ok := env.App.Catalog.Interception(runInterception)
	if !ok || ic.UserDefined {
		t.Fatalf("run's default interception %q: found %v, user-defined %v; want a built-in config with its own rules", runInterception, ok, ok && ic.UserDefined)
	}
}
