package main

import (
	"context"
	"testing"
)

// TestInfoReportsLanguageAndSafetyLevel checks that GET /api/info tells the
// UI the server's default language and safety level.
func TestInfoReportsLanguageAndSafetyLevel(t *testing.T) {
	cases := []struct {
		name, lang, level string
	}{
		{"defaults", "", ""},
		{"english kids", "en", "kids"},
		{"german adult", "de", "adult"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, envOptions{mutate: func(s *Settings) {
				if tc.lang != "" {
					s.Language = tc.lang
				}
				if tc.level != "" {
					s.SafetyLevel = tc.level
				}
			}})
			info, err := env.client("").Info(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			wantLang, wantLevel := tc.lang, tc.level
			if wantLang == "" {
				wantLang = "de"
			}
			if wantLevel == "" {
				wantLevel = "youth"
			}
			if info.Language != wantLang || info.SafetyLevel != wantLevel {
				t.Fatalf("info = %+v, want language %q, safety level %q", info, wantLang, wantLevel)
			}
		})
	}
}
