package workshop

import (
	"strings"
	"testing"
	"time"
)

func TestNewCode(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := NewCode()
		if len(c) != CodeLen || NormalizeCode(c) != c {
			t.Fatalf("code %q is not well formed", c)
		}
		if strings.ContainsAny(c, "0O1IL") {
			t.Fatalf("code %q has a look-alike", c)
		}
		seen[c] = true
	}
	if len(seen) < 999 {
		t.Errorf("%d distinct codes of 1000", len(seen))
	}
}

func TestNormalizeCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ABCDEFG", "ABCDEFG"},
		{"abc-defg", "ABCDEFG"},
		{" abc defg ", "ABCDEFG"},
		{"ABCDEF", ""},
		{"ABCDEFGH", ""},
		{"ABCDEF0", ""},
		{"ABCDEFO", ""},
		{"ABCDEFÄ", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := NormalizeCode(tc.in); got != tc.want {
			t.Errorf("NormalizeCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWindow(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	w := NewWindow(time.Hour)
	for i := range 3 {
		if !w.Take("d1", 3, now.Add(time.Duration(i)*time.Minute)) {
			t.Fatalf("take %d refused", i)
		}
	}
	if w.Take("d1", 3, now.Add(10*time.Minute)) {
		t.Error("4th take in the hour allowed")
	}
	if !w.Take("d2", 3, now) {
		t.Error("another key refused")
	}
	if !w.Take("d1", 3, now.Add(time.Hour+time.Second)) {
		t.Error("refused after the oldest left the window")
	}
	if !w.Take("d3", 0, now) {
		t.Error("no cap refused")
	}
	w.Take("d4", 1, now)
	w.Give("d4", now)
	if !w.Take("d4", 1, now) {
		t.Error("refused after Give")
	}
}

func TestWindowCount(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	w := NewWindow(time.Hour)
	for _, m := range []int{0, 10, 20} {
		w.Take("ws", 0, now.Add(time.Duration(m)*time.Minute))
	}
	w.Take("other", 0, now)
	for _, tc := range []struct {
		at   time.Duration
		want int
	}{
		{20 * time.Minute, 3},
		{time.Hour, 2}, // the first left the window
		{time.Hour + 15*time.Minute, 1},
		{2 * time.Hour, 0},
	} {
		if got := w.Count("ws", now.Add(tc.at)); got != tc.want {
			t.Errorf("Count at +%v = %d, want %d", tc.at, got, tc.want)
		}
	}
	if got := w.Count("nobody", now); got != 0 {
		t.Errorf("Count of an unknown key = %d", got)
	}
}
