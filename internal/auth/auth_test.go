package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fast keeps the tests quick; the cost does not change the logic.
var fast = Params{Time: 1, MemoryKiB: 64, Threads: 1}

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse battery", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash = %q", h)
	}
	h2, _ := Hash("correct horse battery", fast)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		name     string
		hash, pw string
		want     error
	}{
		{"right", h, "correct horse battery", nil},
		{"wrong", h, "correct horse batterz", ErrWrongPassword},
		{"empty", h, "", ErrWrongPassword},
		{"not argon2id", "$2a$10$abc", "x", ErrBadHash},
		{"bad version", strings.Replace(h, "v=19", "v=16", 1), "x", ErrBadHash},
		{"huge memory", strings.Replace(h, "m=64", "m=99999999", 1), "x", ErrBadHash},
		{"bad salt", strings.Replace(h, "$m=64,t=1,p=1$", "$m=64,t=1,p=1$!!", 1), "x", ErrBadHash},
		{"empty hash", "", "x", ErrBadHash},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Verify(tc.hash, tc.pw); !errors.Is(err, tc.want) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestCheckNew(t *testing.T) {
	for pw, want := range map[string]error{"short": ErrWeakPassword, "long enough!": nil, strings.Repeat("x", 257): ErrWeakPassword} {
		if err := CheckNew(pw); !errors.Is(err, want) {
			t.Errorf("CheckNew(%d bytes) = %v, want %v", len(pw), err, want)
		}
	}
}

func TestSigner(t *testing.T) {
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	other := NewSigner([]byte("another key, another key, anothe"))
	signed := s.Sign("device-1")
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"good", signed, true},
		{"other key", other.Sign("device-1"), false},
		{"changed value", "device-2" + signed[len("device-1"):], false},
		{"no signature", "device-1", false},
		{"empty", "", false},
		{"garbage signature", "device-1.!!!", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := s.Open(tc.in)
			if ok != tc.ok || ok && v != "device-1" {
				t.Errorf("Open(%q) = %q, %v; want ok=%v", tc.in, v, ok, tc.ok)
			}
		})
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	l := NewLimiter(3, time.Minute)
	for i := range 3 {
		if ok, _ := l.Allowed("ana", now); !ok {
			t.Fatalf("refused after %d failures", i)
		}
		l.Fail("ana", now.Add(time.Duration(i)*time.Second))
	}
	ok, wait := l.Allowed("ana", now.Add(3*time.Second))
	if ok || wait != 57*time.Second {
		t.Errorf("after 3 failures: ok=%v wait=%v, want refused for 57s", ok, wait)
	}
	if ok, _ := l.Allowed("bo", now); !ok {
		t.Error("another key is refused")
	}
	if ok, _ := l.Allowed("ana", now.Add(61*time.Second)); !ok {
		t.Error("still refused after the window")
	}
	l.Fail("bo", now)
	l.Reset("bo")
	if len(l.fails["bo"]) != 0 {
		t.Error("Reset kept failures")
	}
}

// BenchmarkHash measures DefaultParams on this machine.
func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery", DefaultParams()); err != nil {
			b.Fatal(err)
		}
	}
}
