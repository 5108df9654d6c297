package media

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/media/mediatest"
)

// allocated reports the bytes f allocates.
func allocated(f func()) uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	f()
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc - before
}

func TestCheckRefusesBombsWithoutDecoding(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		limits Limits
	}{
		// 67 megapixels: over the pixel budget.
		{"png 8192x8192 16-bit RGBA", mediatest.ZeroPNG(8192, 8192), Limits{}},
		{"progressive jpeg 8192x8192", mediatest.ProgressiveJPEG(8192, 8192), Limits{}},
		// 36 megapixels pass the pixel budget, but 15 bytes a pixel do not
		// fit the memory budget (540 MB > 384 MiB).
		{"progressive jpeg 6000x6000", mediatest.ProgressiveJPEG(6000, 6000), Limits{}},
		// 8 bytes a pixel count against the memory budget, not 4.
		{"png 2048x2048 16-bit RGBA, 24 MiB budget", mediatest.ZeroPNG(2048, 2048), Limits{MaxDecodeBytes: 24 << 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewChecker(CheckerConfig{Limits: tt.limits})
			var err error
			n := allocated(func() { _, err = c.Check(context.Background(), tt.data) })
			if !errors.Is(err, ErrTooManyPixels) {
				t.Fatalf("Check = %v, want ErrTooManyPixels", err)
			}
			if c.Decodes() != 0 {
				t.Errorf("Decodes = %d, want 0: the refusal must come from the header", c.Decodes())
			}
			if n > 2<<20 {
				t.Errorf("Check allocated %d KiB, want under 2 MiB", n>>10)
			}
			t.Logf("%d KiB file refused after allocating %d KiB: %v", len(tt.data)>>10, n>>10, err)
		})
	}
}

// TestBombsAreValidImages shows the bombs are real images: with a budget
// big enough they pass, so the refusal above is the budget's doing.
func TestBombsAreValidImages(t *testing.T) {
	c := NewChecker(CheckerConfig{Limits: Limits{MaxPixels: 1 << 30, MaxDecodeBytes: 1 << 30}, ReleaseAbove: -1})
	for name, data := range map[string][]byte{
		"png":  mediatest.ZeroPNG(1024, 768),
		"jpeg": mediatest.ProgressiveJPEG(1024, 768),
	} {
		info, err := c.Check(context.Background(), data)
		if err != nil || info.Width != 1024 || info.Height != 768 {
			t.Errorf("%s: Check = %+v, %v; want 1024x768", name, info, err)
		}
	}
}

func TestCheckAccepts(t *testing.T) {
	c := NewChecker(CheckerConfig{})
	info, err := c.Check(context.Background(), encodeJPEG(t, 40, 30))
	if err != nil || info.Mime != MimeJPEG || info.Width != 40 || info.Height != 30 {
		t.Fatalf("Check = %+v, %v; want image/jpeg 40x30", info, err)
	}
	if c.Decodes() != 1 {
		t.Errorf("Decodes = %d, want 1", c.Decodes())
	}
	if _, err := c.Check(context.Background(), encodeGIF(t)); !errors.Is(err, ErrNotImage) {
		t.Errorf("Check(gif) = %v, want ErrNotImage", err)
	}
}

// TestCheckWaitsForASlot fills every slot and shows Check waits, gives up
// with its context, and proceeds once a slot is free.
func TestCheckWaitsForASlot(t *testing.T) {
	c := NewChecker(CheckerConfig{MaxConcurrent: 2})
	c.slots <- struct{}{}
	c.slots <- struct{}{}
	data := encodePNG(t, 4, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Check(ctx, data); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Check with all slots taken = %v, want DeadlineExceeded", err)
	}
	if c.Decodes() != 0 {
		t.Fatalf("Decodes = %d while every slot was taken", c.Decodes())
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Check(context.Background(), data)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Check returned %v while every slot was taken", err)
	case <-time.After(50 * time.Millisecond):
	}
	<-c.slots
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Check after a slot was freed = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Check did not proceed after a slot was freed")
	}
	if len(c.slots) != 1 {
		t.Errorf("%d slots held after Check returned, want the 1 the test holds", len(c.slots))
	}
}

// TestDecodeCostBoundsAllocation checks the estimate against what the
// decoders really allocate: never less, and for big images not wildly more.
func TestDecodeCostBoundsAllocation(t *testing.T) {
	encPNG := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	encJPEG := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	pal := image.NewPaletted(image.Rect(0, 0, 640, 480), color.Palette{color.Black, color.White})
	tests := []struct {
		name  string
		data  []byte
		tight bool // big enough that the estimate should be within 3x
	}{
		{"png NRGBA", encPNG(testImage(640, 480)), true},
		{"png 16-bit RGBA", mediatest.ZeroPNG(640, 480), true},
		{"png gray16", encPNG(image.NewGray16(image.Rect(0, 0, 640, 480))), true},
		{"png paletted", encPNG(pal), false},
		{"jpeg 4:2:0", encJPEG(testImage(640, 480)), true},
		{"jpeg gray", encJPEG(image.NewGray(image.Rect(0, 0, 640, 480))), true},
		{"jpeg progressive 4:4:4", mediatest.ProgressiveJPEG(640, 480), true},
		{"webp lossless", webpLossless, false},
		{"webp lossy", webpLossy, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := readHeader(tt.data, Limits{}.withDefaults())
			if err != nil {
				t.Fatal(err)
			}
			n := allocated(func() { _, err = h.decode(tt.data) })
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("estimated %d KiB, allocated %d KiB", h.cost>>10, n>>10)
			if int64(n) > h.cost {
				t.Errorf("decode allocated %d bytes, more than the estimated %d", n, h.cost)
			}
			if tt.tight && h.cost > 3*int64(n) {
				t.Errorf("estimate %d is over 3x the %d bytes allocated", h.cost, n)
			}
		})
	}
}
