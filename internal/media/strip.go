package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Strip returns an image's bytes without the metadata a camera or phone
// writes: EXIF (with GPS), XMP, comments and text chunks. The pixels and
// what is needed to show them (JFIF, ICC profile, Adobe colour transform,
// PNG palette and gamma) stay. data must already have passed Check; mime
// is its type. Uploads are stored stripped (docs/privacy.md).
func Strip(data []byte, mime string) ([]byte, error) {
	switch mime {
	case "image/jpeg":
		return stripJPEG(data)
	case "image/png":
		return stripPNG(data)
	case "image/webp":
		return stripWebP(data)
	}
	return nil, fmt.Errorf("media: strip %s: %w", mime, ErrNotImage)
}

// stripJPEG drops APP1 (EXIF, XMP), APP3 to APP13, APP15 and COM segments
// before the scan; APP0, APP2 (ICC) and APP14 (Adobe) stay.
func stripJPEG(data []byte) ([]byte, error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, fmt.Errorf("media: strip jpeg: %w", ErrNotImage)
	}
	out := bytes.NewBuffer(make([]byte, 0, len(data)))
	out.Write(data[:2])
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return nil, fmt.Errorf("media: strip jpeg: no marker at %d: %w", i, ErrBadImage)
		}
		marker := data[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan: the rest is image data
			out.Write(data[i:])
			return out.Bytes(), nil
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return nil, fmt.Errorf("media: strip jpeg: segment past the end: %w", ErrBadImage)
		}
		drop := marker == 0xE1 || marker >= 0xE3 && marker <= 0xED || marker == 0xEF || marker == 0xFE
		if !drop {
			out.Write(data[i : i+2+n])
		}
		i += 2 + n
	}
	return nil, fmt.Errorf("media: strip jpeg: no image data: %w", ErrBadImage)
}

// pngTextChunks are the PNG chunks that carry text or camera metadata.
var pngTextChunks = map[string]bool{"tEXt": true, "zTXt": true, "iTXt": true, "eXIf": true, "tIME": true}

func stripPNG(data []byte) ([]byte, error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if len(data) < len(sig) || string(data[:len(sig)]) != sig {
		return nil, fmt.Errorf("media: strip png: %w", ErrNotImage)
	}
	out := bytes.NewBuffer(make([]byte, 0, len(data)))
	out.WriteString(sig)
	for i := len(sig); i < len(data); {
		if i+12 > len(data) {
			return nil, fmt.Errorf("media: strip png: truncated chunk: %w", ErrBadImage)
		}
		n := int(binary.BigEndian.Uint32(data[i:]))
		end := i + 12 + n
		if n < 0 || end > len(data) {
			return nil, fmt.Errorf("media: strip png: chunk past the end: %w", ErrBadImage)
		}
		if typ := string(data[i+4 : i+8]); !pngTextChunks[typ] {
			out.Write(data[i:end])
		}
		i = end
	}
	return out.Bytes(), nil
}

// stripWebP drops the EXIF and XMP chunks of an extended WebP and clears
// their flags in VP8X; the RIFF size is rewritten.
func stripWebP(data []byte) ([]byte, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, fmt.Errorf("media: strip webp: %w", ErrNotImage)
	}
	out := bytes.NewBuffer(make([]byte, 0, len(data)))
	out.Write(data[:12])
	for i := 12; i < len(data); {
		if i+8 > len(data) {
			return nil, fmt.Errorf("media: strip webp: truncated chunk: %w", ErrBadImage)
		}
		n := int(binary.LittleEndian.Uint32(data[i+4:]))
		end := i + 8 + n + n%2 // chunks are padded to even size
		if end > len(data) {
			if i+8+n == len(data) { // missing final pad byte: tolerate
				end = len(data)
			} else {
				return nil, fmt.Errorf("media: strip webp: chunk past the end: %w", ErrBadImage)
			}
		}
		switch typ := string(data[i : i+4]); typ {
		case "EXIF", "XMP ":
		case "VP8X":
			c := bytes.Clone(data[i:end])
			if len(c) > 8 {
				c[8] &^= 0x08 | 0x04 // EXIF and XMP flags
			}
			out.Write(c)
		default:
			out.Write(data[i:end])
		}
		i = end
	}
	b := out.Bytes()
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b, nil
}
