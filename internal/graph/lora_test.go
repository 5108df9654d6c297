package graph

import (
	"errors"
	"math"
	"testing"
)

func TestCheckLoRAName(t *testing.T) {
	good := []string{"x.safetensors", "sdxl/styles/ink.safetensors", `sdxl\ink.safetensors`, "old.ckpt", "a.PT",
		"name with spaces.safetensors", "ünïcode.safetensors", "..x.safetensors", "x..y.safetensors"}
	for _, n := range good {
		if err := CheckLoRAName(n); err != nil {
			t.Errorf("CheckLoRAName(%q) = %v", n, err)
		}
	}
	bad := []string{"", "x", "x.txt", ".safetensors", "dir/.safetensors", "../x.safetensors", "a/../../x.safetensors",
		`a\..\x.safetensors`, "./x.safetensors", "/abs.safetensors", `\abs.safetensors`, `\\server\share\x.safetensors`,
		"C:x.safetensors", `C:\loras\x.safetensors`, "a//b.safetensors", "a/b/", "x\x00.safetensors", "x\n.safetensors",
		" x.safetensors", "x.safetensors ", "a:b.safetensors", "\xff.safetensors", string(make([]byte, 600)) + ".safetensors"}
	for _, n := range bad {
		if err := CheckLoRAName(n); !errors.Is(err, ErrBadLoRAName) {
			t.Errorf("CheckLoRAName(%q) = %v, want ErrBadLoRAName", n, err)
		}
	}
}

func TestCheckStrength(t *testing.T) {
	for _, s := range []float64{0, 1, -1, 100, -100, 0.001} {
		if err := CheckStrength(s); err != nil {
			t.Errorf("CheckStrength(%v) = %v", s, err)
		}
	}
	for _, s := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 100.0001, -101, 1e300} {
		if err := CheckStrength(s); !errors.Is(err, ErrBadStrength) {
			t.Errorf("CheckStrength(%v) = %v, want ErrBadStrength", s, err)
		}
	}
}

func TestParseLoRASpec(t *testing.T) {
	cases := []struct {
		in      string
		want    LoRA
		wantErr error
	}{
		{"x.safetensors:0.8", LoRA{"x.safetensors", 0.8, 0.8}, nil},
		{"dir/x.safetensors:1:0.5", LoRA{"dir/x.safetensors", 1, 0.5}, nil},
		{"x.safetensors:-2:0", LoRA{"x.safetensors", -2, 0}, nil},
		{"x.safetensors: 0.5 ", LoRA{"x.safetensors", 0.5, 0.5}, nil},
		{"x.safetensors:1e1", LoRA{"x.safetensors", 10, 10}, nil},
		{"x.safetensors", LoRA{}, ErrBadStrength},
		{"x.safetensors:", LoRA{}, ErrBadStrength},
		{"x.safetensors:abc", LoRA{}, ErrBadStrength},
		{"x.safetensors:NaN", LoRA{}, ErrBadStrength},
		{"x.safetensors:inf", LoRA{}, ErrBadStrength},
		{"x.safetensors:101", LoRA{}, ErrBadStrength},
		{"x.safetensors:1:-100.5", LoRA{}, ErrBadStrength},
		{"x.safetensors:1:2:3", LoRA{}, ErrBadLoRAName},
		{"../x.safetensors:1", LoRA{}, ErrBadLoRAName},
		{"/abs.safetensors:1", LoRA{}, ErrBadLoRAName},
		{":1", LoRA{}, ErrBadLoRAName},
		{"C:/x.safetensors:1", LoRA{}, ErrBadLoRAName},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseLoRASpec(tc.in)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
