package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/webp"
)

// webpLossless is a 1x1 lossless (VP8L) WebP; webpLossy a 1x1 lossy (VP8)
// one. Both are checked to decode with x/image/webp in TestWebPFixtures.
var (
	webpLossless = []byte{
		'R', 'I', 'F', 'F', 0x1a, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'L', 0x0d, 0, 0, 0,
		0x2f, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0,
	}
	webpLossy = []byte{
		'R', 'I', 'F', 'F', 0x22, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', ' ', 0x16, 0, 0, 0,
		0x30, 0x01, 0, 0x9d, 0x01, 0x2a, 0x01, 0, 0x01, 0, 0x0e, 0xc0, 0xfe, 0x25, 0xa4, 0, 0x03, 0x70, 0, 0, 0, 0,
	}
)

func testImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x * 40), uint8(y * 40), 200, 255})
		}
	}
	return img
}

func encodePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage(w, h)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(w, h), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeGIF(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.Black, color.White})
	if err := gif.Encode(&buf, pal, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngWithSize returns a valid 1x1 PNG whose IHDR claims w x h (with a
// correct CRC), so only the dimension check can reject it.
func pngWithSize(t *testing.T, w, h uint32) []byte {
	t.Helper()
	b := encodePNG(t, 1, 1)
	// Signature (8), IHDR length (4), "IHDR" (4), width, height, ...; the CRC
	// covers type and 13 data bytes.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// webpWithSize returns the lossless WebP with its VP8L header claiming w x h.
func webpWithSize(w, h uint32) []byte {
	b := bytes.Clone(webpLossless)
	bits := binary.LittleEndian.Uint32(b[21:])
	bits &^= 1<<28 - 1
	bits |= (w - 1) | (h-1)<<14
	binary.LittleEndian.PutUint32(b[21:], bits)
	return b
}

func TestWebPFixtures(t *testing.T) {
	for name, b := range map[string][]byte{"lossless": webpLossless, "lossy": webpLossy} {
		img, err := webp.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s fixture does not decode: %v", name, err)
		}
		if img.Bounds() != image.Rect(0, 0, 1, 1) {
			t.Errorf("%s fixture bounds = %v", name, img.Bounds())
		}
	}
}

func TestDetect(t *testing.T) {
	pngData := encodePNG(t, 7, 5)
	jpegData := encodeJPEG(t, 16, 9)
	tests := []struct {
		name          string
		data          []byte
		mime          string
		width, height int
		err           error
	}{
		{"png", pngData, MimePNG, 7, 5, nil},
		{"jpeg", jpegData, MimeJPEG, 16, 9, nil},
		{"webp lossless", webpLossless, MimeWebP, 1, 1, nil},
		{"webp lossy", webpLossy, MimeWebP, 1, 1, nil},
		{"empty", nil, "", 0, 0, ErrNotImage},
		{"text", []byte("just some words, not a picture"), "", 0, 0, ErrNotImage},
		{"html", []byte("<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"), "", 0, 0, ErrNotImage},
		{"gif", encodeGIF(t), "", 0, 0, ErrNotImage},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>`), "", 0, 0, ErrNotImage},
		{"truncated png", pngData[:len(pngData)/2], "", 0, 0, ErrNotImage},
		{"png missing IEND", pngData[:len(pngData)-12], "", 0, 0, ErrNotImage},
		{"png signature only", pngData[:8], "", 0, 0, ErrNotImage},
		{"truncated jpeg", jpegData[:len(jpegData)/2], "", 0, 0, ErrNotImage},
		{"truncated webp", webpLossy[:len(webpLossy)-6], "", 0, 0, ErrNotImage},
		{"png header then html", append(bytes.Clone(pngData[:33]), "<html>"...), "", 0, 0, ErrNotImage},
		{"png too wide", pngWithSize(t, MaxDimension+1, 1), "", 0, 0, ErrBadImage},
		{"png too tall", pngWithSize(t, 1, 100000), "", 0, 0, ErrBadImage},
		{"webp too wide", webpWithSize(MaxDimension+1, 1), "", 0, 0, ErrBadImage},
		{"too large", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, MaxUploadBytes)...), "", 0, 0, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mime, w, h, err := Detect(tt.data)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Detect error = %v, want %v", err, tt.err)
			}
			if mime != tt.mime || w != tt.width || h != tt.height {
				t.Errorf("Detect = %q %dx%d, want %q %dx%d", mime, w, h, tt.mime, tt.width, tt.height)
			}
		})
	}
}

// TestDetectIgnoresFileName stores a PNG under a .jpg name: what counts is
// the content.
func TestDetectIgnoresFileName(t *testing.T) {
	p := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(p, encodePNG(t, 3, 4), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	mime, w, h, err := Detect(data)
	if err != nil || mime != MimePNG || w != 3 || h != 4 {
		t.Errorf("Detect(photo.jpg) = %q %dx%d %v, want image/png 3x4", mime, w, h, err)
	}
}

func TestDimensionLimitInclusive(t *testing.T) {
	// A header claiming a width of exactly MaxDimension passes the size check
	// and then fails the full decode (its pixels are 1x1), proving the limit
	// is inclusive.
	_, _, _, err := Detect(pngWithSize(t, MaxDimension, 1))
	if !errors.Is(err, ErrNotImage) {
		t.Errorf("Detect(%dx1 header) = %v, want ErrNotImage from the decode", MaxDimension, err)
	}
}

func TestExtFor(t *testing.T) {
	tests := map[string]string{
		MimePNG: ".png", MimeJPEG: ".jpg", MimeWebP: ".webp",
		"image/gif": "", "text/html": "", "": "",
	}
	for mime, want := range tests {
		if got := ExtFor(mime); got != want {
			t.Errorf("ExtFor(%q) = %q, want %q", mime, got, want)
		}
	}
}
