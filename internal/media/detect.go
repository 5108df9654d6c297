// Package media checks uploaded images and keeps media bytes in a
// content-addressed directory tree.
package media

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"
)

// MaxUploadBytes is the largest image Detect accepts (20 MiB); the HTTP
// layer should cap request bodies at this size plus multipart overhead.
const MaxUploadBytes = 20 << 20

// MaxDimension is the largest width or height Detect accepts, in pixels.
const MaxDimension = 8192

// Image MIME types Detect recognises.
const (
	MimePNG  = "image/png"
	MimeJPEG = "image/jpeg"
	MimeWebP = "image/webp"
)

// Default limits of a decode; see Limits.
const (
	// DefaultMaxPixels is 40 megapixels, more than any camera a student
	// carries and less than a 8192x8192 image.
	DefaultMaxPixels = 40_000_000
	// DefaultMaxDecodeBytes is the memory one full decode may take, as
	// estimated from the header: 384 MiB fits a 40-megapixel 16-bit RGBA PNG
	// or a 40-megapixel 4:2:0 progressive JPEG.
	DefaultMaxDecodeBytes = 384 << 20
)

// Errors returned by Detect and Checker.Check.
var (
	// ErrNotImage reports data that does not fully decode as PNG, JPEG or WebP.
	ErrNotImage = errors.New("media: not a PNG, JPEG or WebP image")
	// ErrTooLarge reports data longer than MaxUploadBytes.
	ErrTooLarge = errors.New("media: image too large")
	// ErrBadImage reports an image whose dimensions are zero or exceed MaxDimension.
	ErrBadImage = errors.New("media: image dimensions out of range")
	// ErrTooManyPixels reports an image whose header promises more pixels
	// than Limits.MaxPixels, or pixels that would need more memory to decode
	// than Limits.MaxDecodeBytes. It is found before any pixel is decoded.
	ErrTooManyPixels = errors.New("media: image has too many pixels")
)

// Limits bound what a decode may cost. Zero fields take the defaults.
type Limits struct {
	// MaxPixels bounds width×height; default DefaultMaxPixels.
	MaxPixels int64
	// MaxDecodeBytes bounds the memory a full decode is estimated to need
	// from the header (pixel count, bytes per pixel, progressive or
	// interlaced storage); default DefaultMaxDecodeBytes.
	MaxDecodeBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.MaxDecodeBytes <= 0 {
		l.MaxDecodeBytes = DefaultMaxDecodeBytes
	}
	return l
}

// decoder is one accepted image format. The signature only picks which
// decoder to try; the format is accepted only if that decoder succeeds.
type decoder struct {
	mime   string
	match  func([]byte) bool
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
	// cost estimates the bytes decode allocates, from data and its config.
	cost func([]byte, image.Config) (int64, error)
}

// decoders is a constant table. Decoders are called directly rather than
// through image.Decode, so formats registered elsewhere in the program (GIF,
// BMP, ...) are never accepted.
var decoders = [...]decoder{
	{MimePNG, func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }, png.DecodeConfig, png.Decode, pngCost},
	{MimeJPEG, func(b []byte) bool { return bytes.HasPrefix(b, []byte("\xff\xd8")) }, jpeg.DecodeConfig, jpeg.Decode, jpegCost},
	{MimeWebP, func(b []byte) bool {
		return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
	}, webp.DecodeConfig, webp.Decode, webpCost},
}

// Info is what a check found out about an image.
type Info struct {
	Mime          string
	Width, Height int
	// DecodeBytes is the memory the full decode was estimated to need.
	DecodeBytes int64
}

// Detect decodes data fully and reports its MIME type and dimensions. Only
// PNG, JPEG and WebP are accepted: anything else, including GIF and
// truncated or corrupt files, is ErrNotImage. Data over MaxUploadBytes is
// ErrTooLarge; a width or height of zero or over MaxDimension is ErrBadImage,
// and more pixels or decode memory than the default Limits is
// ErrTooManyPixels, all checked from the header before any pixels are
// decoded. Detect does not bound how many decodes run at once: for
// untrusted uploads use a Checker.
func Detect(data []byte) (mime string, width, height int, err error) {
	h, err := readHeader(data, Limits{}.withDefaults())
	if err != nil {
		return "", 0, 0, err
	}
	info, err := h.decode(data)
	if err != nil {
		return "", 0, 0, err
	}
	return info.Mime, info.Width, info.Height, nil
}

// header is what an image's first bytes promise, read before any pixel.
type header struct {
	dec  *decoder
	cfg  image.Config
	cost int64
}

// readHeader checks data's size, format, dimensions and decode cost
// against lim without decoding pixels.
func readHeader(data []byte, lim Limits) (header, error) {
	if len(data) > MaxUploadBytes {
		return header{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), MaxUploadBytes)
	}
	for i := range decoders {
		d := &decoders[i]
		if !d.match(data) {
			continue
		}
		cfg, err := d.config(bytes.NewReader(data))
		if err != nil {
			return header{}, fmt.Errorf("%w: %s header: %v", ErrNotImage, d.mime, err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxDimension || cfg.Height > MaxDimension {
			return header{}, fmt.Errorf("%w: %dx%d, limit %d per side", ErrBadImage, cfg.Width, cfg.Height, MaxDimension)
		}
		if px := int64(cfg.Width) * int64(cfg.Height); px > lim.MaxPixels {
			return header{}, fmt.Errorf("%w: %dx%d is %.1f megapixels, limit %.1f",
				ErrTooManyPixels, cfg.Width, cfg.Height, float64(px)/1e6, float64(lim.MaxPixels)/1e6)
		}
		cost, err := d.cost(data, cfg)
		if err != nil {
			return header{}, fmt.Errorf("%w: %s header: %v", ErrNotImage, d.mime, err)
		}
		if cost > lim.MaxDecodeBytes {
			return header{}, fmt.Errorf("%w: %dx%d needs about %d MiB to decode, limit %d MiB",
				ErrTooManyPixels, cfg.Width, cfg.Height, cost>>20, lim.MaxDecodeBytes>>20)
		}
		return header{dec: d, cfg: cfg, cost: cost}, nil
	}
	return header{}, ErrNotImage
}

// decode decodes every pixel, so a truncated or corrupt body is refused,
// and checks that the pixels match the header.
func (h header) decode(data []byte) (Info, error) {
	img, err := h.dec.decode(bytes.NewReader(data))
	if err != nil {
		return Info{}, fmt.Errorf("%w: %s: %v", ErrNotImage, h.dec.mime, err)
	}
	b := img.Bounds()
	if b.Dx() != h.cfg.Width || b.Dy() != h.cfg.Height {
		return Info{}, fmt.Errorf("%w: header says %dx%d, pixels are %dx%d",
			ErrBadImage, h.cfg.Width, h.cfg.Height, b.Dx(), b.Dy())
	}
	return Info{Mime: h.dec.mime, Width: b.Dx(), Height: b.Dy(), DecodeBytes: h.cost}, nil
}

// ExtFor returns the file extension for an image MIME type (".png", ".jpg",
// ".webp"), or "" for any other type.
func ExtFor(mime string) string {
	switch mime {
	case MimePNG:
		return ".png"
	case MimeJPEG:
		return ".jpg"
	case MimeWebP:
		return ".webp"
	}
	return ""
}
