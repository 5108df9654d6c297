package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
)

// decodeSlack covers what a decoder allocates besides pixels: zlib window,
// Huffman tables, row buffers of small images.
const decodeSlack = 256 << 10

// bytesPerPixel is what one pixel of an image with colour model m takes in
// memory once decoded. Unknown models count as 16-bit RGBA, the largest.
func bytesPerPixel(m color.Model) int64 {
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel, color.NYCbCrAModel:
		return 4
	}
	return 8
}

// pngCost estimates the bytes png.Decode allocates: the image, two rows of
// raw data, and for an interlaced (Adam7) image the seven pass images as well.
func pngCost(data []byte, cfg image.Config) (int64, error) {
	px := int64(cfg.Width) * int64(cfg.Height)
	cost := px*bytesPerPixel(cfg.ColorModel) + 2*(1+8*int64(cfg.Width))
	// The IHDR chunk is first (DecodeConfig checked it); its last byte, at
	// offset 28, is the interlace method.
	if len(data) > 28 && data[28] != 0 {
		cost *= 2
	}
	return cost + decodeSlack, nil
}

// webpCost estimates the bytes webp.Decode allocates: twice the image, for
// the lossless decoder's intermediate ARGB buffer.
func webpCost(_ []byte, cfg image.Config) (int64, error) {
	px := int64(cfg.Width) * int64(cfg.Height)
	return 2*px*bytesPerPixel(cfg.ColorModel) + decodeSlack, nil
}

// jpegCost estimates the bytes jpeg.Decode allocates, following the layout of
// Go's decoder: each component's planes are padded to whole MCUs; a
// progressive image also keeps 64 int32 coefficients per 8x8 block and
// component until the end; RGB and CMYK images are converted to a 4-byte
// per pixel image at the end.
func jpegCost(data []byte, cfg image.Config) (int64, error) {
	f, err := readJPEGFrame(data)
	if err != nil {
		return 0, err
	}
	hmax, vmax := 1, 1
	for _, c := range f.comps {
		hmax, vmax = max(hmax, c.h), max(vmax, c.v)
	}
	mxx := int64((cfg.Width + 8*hmax - 1) / (8 * hmax))
	myy := int64((cfg.Height + 8*vmax - 1) / (8 * vmax))
	perBlock := int64(64) // one byte a pixel per plane
	if f.progressive {
		perBlock += 64 * 4
	}
	var cost int64
	for _, c := range f.comps {
		cost += mxx * myy * int64(c.h*c.v) * perBlock
	}
	if f.rgb || len(f.comps) == 4 {
		cost += int64(cfg.Width) * int64(cfg.Height) * 4
	}
	return cost + decodeSlack, nil
}

// jpegFrame is what a JPEG's segments before the first scan say about how
// it will be decoded.
type jpegFrame struct {
	progressive bool
	rgb         bool // three components that Go's decoder treats as RGB
	comps       []jpegComp
}

// jpegComp is one component's sampling factors.
type jpegComp struct{ h, v int }

var errJPEGFrame = errors.New("no readable frame header before the first scan")

// readJPEGFrame walks the marker segments from SOI up to the first scan
// (SOS), reading the frame header (SOF) and the APP0 (JFIF) and APP14
// (Adobe) segments that decide whether three components are YCbCr or RGB.
func readJPEGFrame(data []byte) (jpegFrame, error) {
	var f jpegFrame
	var ids []byte
	jfif, adobe, transform := false, false, byte(0)
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return f, errJPEGFrame
		}
		marker := data[i+1]
		if marker == 0xff { // fill byte
			i++
			continue
		}
		if marker == 0xd8 || marker == 0x01 || 0xd0 <= marker && marker <= 0xd7 {
			i += 2 // markers without a length
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return f, errJPEGFrame
		}
		seg := data[i+4 : i+2+n]
		i += 2 + n
		switch {
		case marker == 0xda || marker == 0xd9: // SOS, EOI
			if f.comps == nil {
				return f, errJPEGFrame
			}
			f.rgb = len(f.comps) == 3 && !jfif &&
				(adobe && transform == 0 || bytes.Equal(ids, []byte("RGB")))
			return f, nil
		case marker == 0xe0 && bytes.HasPrefix(seg, []byte("JFIF\x00")):
			jfif = true
		case marker == 0xee && len(seg) >= 12 && bytes.HasPrefix(seg, []byte("Adobe")):
			adobe, transform = true, seg[11]
		case 0xc0 <= marker && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc:
			if len(seg) < 6 || len(seg) < 6+3*int(seg[5]) || seg[5] == 0 {
				return f, errJPEGFrame
			}
			f.progressive = marker == 0xc2 || marker == 0xc6 || marker == 0xca || marker == 0xce
			f.comps, ids = nil, nil
			for c := range int(seg[5]) {
				hv := seg[7+3*c]
				f.comps = append(f.comps, jpegComp{h: max(1, int(hv>>4)), v: max(1, int(hv&15))})
				ids = append(ids, seg[6+3*c])
			}
		}
	}
	return f, errJPEGFrame
}
