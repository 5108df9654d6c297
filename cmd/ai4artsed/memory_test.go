package main

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(orig) })
	for _, tc := range []struct {
		name string
		gogc string
		want int
	}{
		{"unset: the server's default", "", defaultGCPercent},
		{"set: the operator's choice stays", "200", 100},
		{"off: the operator's choice stays", "off", 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			tuneGC(func(k string) string {
				if k == "GOGC" {
					return tc.gogc
				}
				return ""
			})
			if got := debug.SetGCPercent(100); got != tc.want {
				t.Errorf("GOGC=%q: collector target %d, want %d", tc.gogc, got, tc.want)
			}
		})
	}
}
