package media

import (
	"errors"
	"testing"
)

// jpegHead builds SOI, the given segments and an SOS, enough for readJPEGFrame.
func jpegHead(segments ...[]byte) []byte {
	b := []byte{0xff, 0xd8}
	for _, s := range segments {
		b = append(b, s...)
	}
	return append(b, 0xff, 0xda, 0, 2)
}

func seg(marker byte, data string) []byte {
	n := len(data) + 2
	return append([]byte{0xff, marker, byte(n >> 8), byte(n)}, data...)
}

func TestReadJPEGFrame(t *testing.T) {
	sof := func(marker byte, ids string, hv byte) []byte {
		d := "\x08\x00\x10\x00\x10" + string(rune(len(ids)))
		for i := range len(ids) {
			d += string(ids[i]) + string(rune(hv)) + "\x00"
		}
		return seg(marker, d)
	}
	adobe := func(transform byte) []byte { return seg(0xee, "Adobe\x00\x64\x00\x00\x00\x00"+string(rune(transform))) }
	tests := []struct {
		name        string
		data        []byte
		progressive bool
		rgb         bool
		comps       int
		err         error
	}{
		{"baseline YCbCr", jpegHead(sof(0xc0, "\x01\x02\x03", 0x11)), false, false, 3, nil},
		{"progressive", jpegHead(sof(0xc2, "\x01\x02\x03", 0x11)), true, false, 3, nil},
		{"components named RGB", jpegHead(sof(0xc0, "RGB", 0x11)), false, true, 3, nil},
		{"Adobe transform 0", jpegHead(adobe(0), sof(0xc0, "\x01\x02\x03", 0x11)), false, true, 3, nil},
		{"Adobe transform 1", jpegHead(adobe(1), sof(0xc0, "\x01\x02\x03", 0x11)), false, false, 3, nil},
		{"Adobe transform 1, named RGB", jpegHead(adobe(1), sof(0xc0, "RGB", 0x11)), false, true, 3, nil},
		{"JFIF wins", jpegHead(seg(0xe0, "JFIF\x00\x01\x01"), sof(0xc0, "RGB", 0x11)), false, false, 3, nil},
		{"CMYK", jpegHead(sof(0xc0, "\x01\x02\x03\x04", 0x11)), false, false, 4, nil},
		{"fill bytes", append([]byte{0xff, 0xd8, 0xff, 0xff}, jpegHead(sof(0xc2, "\x01", 0x22))[2:]...), true, false, 1, nil},
		{"no frame", jpegHead(seg(0xdb, "\x00")), false, false, 0, errJPEGFrame},
		{"truncated segment", []byte{0xff, 0xd8, 0xff, 0xc0, 0x00, 0x40, 0x08}, false, false, 0, errJPEGFrame},
		{"zero components", jpegHead(seg(0xc0, "\x08\x00\x10\x00\x10\x00")), false, false, 0, errJPEGFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := readJPEGFrame(tt.data)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if f.progressive != tt.progressive || f.rgb != tt.rgb || (err == nil && len(f.comps) != tt.comps) {
				t.Errorf("frame = %+v, want progressive %v rgb %v, %d components", f, tt.progressive, tt.rgb, tt.comps)
			}
		})
	}
}
