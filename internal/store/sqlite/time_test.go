package sqlite

import (
	"testing"
	"time"
)

// TestTimeRoundTrip checks that stored times are fixed width (so they sort
// as text) and read back as the same instant in UTC.
func TestTimeRoundTrip(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	tests := []time.Time{
		time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC),
		time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC),
		time.Date(2025, 12, 31, 23, 59, 59, 999_999_999, berlin),
		time.Date(1999, 1, 2, 3, 4, 5, 6, time.UTC),
	}
	for _, in := range tests {
		s := formatTime(in)
		if len(s) != len("2006-01-02T15:04:05.000000000Z") || s[len(s)-1] != 'Z' {
			t.Errorf("formatTime(%v) = %q: not fixed width UTC", in, s)
		}
		got, err := parseTime(s)
		if err != nil {
			t.Fatalf("parseTime(%q): %v", s, err)
		}
		if !got.Equal(in) || got.Location() != time.UTC {
			t.Errorf("parseTime(formatTime(%v)) = %v, want the same instant in UTC", in, got)
		}
	}
}

// TestParseTimeRejectsGarbage checks that a damaged stored time is an error.
func TestParseTimeRejectsGarbage(t *testing.T) {
	for _, s := range []string{"", "yesterday", "2025-03-14", "2025-13-14T09:26:53.000000000Z"} {
		if _, err := parseTime(s); err == nil {
			t.Errorf("parseTime(%q) succeeded", s)
		}
	}
}
