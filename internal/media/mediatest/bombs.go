// Package mediatest builds hostile images for tests: files that are small on
// disk but need a lot of memory to decode. Each is a valid image that the
// standard library decodes without error.
package mediatest

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
)

// ZeroPNG returns a valid, all-zero w x h PNG of 16-bit RGBA (colour type 6,
// bit depth 16): 8 bytes a pixel once decoded, so 8192x8192 decodes to
// 512 MiB from about 0.5 MB of file. The zlib stream repeats one compressed
// block of zeros, so building it takes milliseconds, not a 512 MiB encode.
func ZeroPNG(w, h int) []byte {
	raw := int64(h) * int64(1+8*w) // a filter byte and 8 bytes a pixel per row
	var idat bytes.Buffer
	idat.Write([]byte{0x78, 0xda})
	const chunk = 1 << 20
	full := deflateZeros(chunk)
	for n := raw; n > 0; n -= chunk {
		if n >= chunk {
			idat.Write(full)
		} else {
			idat.Write(deflateZeros(int(n)))
		}
	}
	fw, _ := flate.NewWriter(&idat, flate.BestCompression)
	_ = fw.Close() // the final, empty block
	// Adler-32 of raw zero bytes: s1 stays 1, s2 adds 1 for each byte.
	_ = binary.Write(&idat, binary.BigEndian, uint32(raw%65521)<<16|1)

	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 16, 6 // bit depth, colour type RGBA
	writeChunk(&b, "IHDR", ihdr)
	writeChunk(&b, "IDAT", idat.Bytes())
	writeChunk(&b, "IEND", nil)
	return b.Bytes()
}

// deflateZeros returns non-final, byte-aligned deflate blocks that inflate
// to n zero bytes and refer only to bytes they produce themselves.
func deflateZeros(n int) []byte {
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	_, _ = fw.Write(make([]byte, n))
	_ = fw.Flush()
	return b.Bytes()
}

func writeChunk(b *bytes.Buffer, typ string, data []byte) {
	_ = binary.Write(b, binary.BigEndian, uint32(len(data)))
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	b.WriteString(typ)
	b.Write(data)
	_ = binary.Write(b, binary.BigEndian, crc.Sum32())
}

// ProgressiveJPEG returns a valid progressive 4:4:4 colour JPEG of w x h
// whose one scan sets every DC coefficient to zero (a grey picture). Go's
// decoder keeps 256 bytes of coefficients per 8x8 block and component for a
// progressive image, plus the pixels: 15 bytes a pixel, so 8192x8192 needs
// 960 MiB from a file of w*h*3/512 bytes (384 KiB).
func ProgressiveJPEG(w, h int) []byte {
	var b bytes.Buffer
	segment := func(marker byte, data []byte) {
		b.Write([]byte{0xff, marker})
		_ = binary.Write(&b, binary.BigEndian, uint16(len(data)+2))
		b.Write(data)
	}
	b.Write([]byte{0xff, 0xd8}) // SOI
	quant := bytes.Repeat([]byte{1}, 65)
	quant[0] = 0 // 8-bit table 0
	segment(0xdb, quant)
	segment(0xc2, []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3,
		1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0}) // progressive frame, three 1x1 components
	huff := make([]byte, 18) // DC table 0: one 1-bit code, for "difference 0"
	huff[1] = 1
	segment(0xc4, huff)
	segment(0xda, []byte{3, 1, 0, 2, 0, 3, 0, 0, 0, 0}) // DC first scan of all three
	blocks := ((w + 7) / 8) * ((h + 7) / 8) * 3
	b.Write(make([]byte, (blocks+7)/8)) // one 0 bit per block
	b.Write([]byte{0xff, 0xd9})         // EOI
	return b.Bytes()
}
