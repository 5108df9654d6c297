package media

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

func stripImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	for x := range 8 {
		img.Set(x, x%6, color.RGBA{R: uint8(30 * x), G: 200, B: 10, A: 255})
	}
	return img
}

func jpegSegment(marker byte, payload string) []byte {
	b := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(len(payload)+2))
	return append(b, payload...)
}

func pngChunk(typ, payload string) []byte {
	b := make([]byte, 4, 12+len(payload))
	binary.BigEndian.PutUint32(b, uint32(len(payload)))
	b = append(b, typ...)
	b = append(b, payload...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE([]byte(typ+payload)))
}

const secret = "GPSLatitude 52.5200 N; Kamera von Lena Muster"

func TestStrip(t *testing.T) {
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, stripImage(), nil); err != nil {
		t.Fatal(err)
	}
	j := jb.Bytes()
	withExif := append(append(append([]byte{}, j[:2]...), jpegSegment(0xE1, "Exif\x00\x00"+secret)...), jpegSegment(0xFE, secret)...)
	withExif = append(withExif, j[2:]...)

	var pb bytes.Buffer
	if err := png.Encode(&pb, stripImage()); err != nil {
		t.Fatal(err)
	}
	p := pb.Bytes()
	iend := len(p) - 12
	withText := append(append(append([]byte{}, p[:iend]...), pngChunk("tEXt", "Author\x00"+secret)...), pngChunk("eXIf", secret)...)
	withText = append(withText, p[iend:]...)

	tests := []struct {
		name, mime string
		in         []byte
		decode     func([]byte) (image.Image, error)
	}{
		{"jpeg with EXIF and comment", "image/jpeg", withExif, func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }},
		{"png with text and eXIf", "image/png", withText, func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Contains(tc.in, []byte(secret)) {
				t.Fatal("test input lacks the metadata")
			}
			out, err := Strip(tc.in, tc.mime)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(out, []byte(secret)) || bytes.Contains(out, []byte("Exif")) {
				t.Error("metadata survived")
			}
			if _, _, _, err := Detect(out); err != nil {
				t.Errorf("stripped image does not check: %v", err)
			}
			a, err1 := tc.decode(tc.in)
			b, err2 := tc.decode(out)
			if err1 != nil || err2 != nil || a.Bounds() != b.Bounds() {
				t.Fatalf("decode: %v %v", err1, err2)
			}
			for x := range 8 {
				if a.At(x, x%6) != b.At(x, x%6) {
					t.Errorf("pixel %d changed", x)
				}
			}
		})
	}
}

func TestStripWebPChunks(t *testing.T) {
	chunk := func(typ, payload string) []byte {
		b := append([]byte(typ), 0, 0, 0, 0)
		binary.LittleEndian.PutUint32(b[4:], uint32(len(payload)))
		b = append(b, payload...)
		if len(payload)%2 == 1 {
			b = append(b, 0)
		}
		return b
	}
	vp8x := "\x0c\x00\x00\x00" + "\x07\x00\x00\x05\x00\x00" // EXIF|XMP flags, 8x6
	body := append(append(append(chunk("VP8X", vp8x), chunk("VP8L", "pixels")...), chunk("EXIF", secret)...), chunk("XMP ", secret)...)
	in := append([]byte("RIFF\x00\x00\x00\x00WEBP"), body...)
	binary.LittleEndian.PutUint32(in[4:], uint32(len(in)-8))
	out, err := Strip(in, "image/webp")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte(secret)) || !bytes.Contains(out, []byte("VP8Lpix")) && !bytes.Contains(out, []byte("pixels")) {
		t.Errorf("stripped = %q", out)
	}
	if got := binary.LittleEndian.Uint32(out[4:]); int(got) != len(out)-8 {
		t.Errorf("RIFF size %d, want %d", got, len(out)-8)
	}
	if out[20]&0x0c != 0 {
		t.Errorf("VP8X flags %#x still announce metadata", out[20])
	}
	for _, bad := range [][]byte{nil, []byte("RIFF"), append(bytes.Clone(in[:12]), "VP8L\xff\xff\x00\x00"...)} {
		if _, err := Strip(bad, "image/webp"); err == nil {
			t.Errorf("Strip(%q) passed", bad)
		}
	}
}
