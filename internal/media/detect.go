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

// Errors returned by Detect.
var (
	// ErrNotImage reports data that does not fully decode as PNG, JPEG or WebP.
	ErrNotImage = errors.New("media: not a PNG, JPEG or WebP image")
	// ErrTooLarge reports data longer than MaxUploadBytes.
	ErrTooLarge = errors.New("media: image too large")
	// ErrBadImage reports an image whose dimensions are zero or exceed MaxDimension.
	ErrBadImage = errors.New("media: image dimensions out of range")
)

// decoder is one accepted image format. The signature only picks which
// decoder to try; the format is accepted only if that decoder succeeds.
type decoder struct {
	mime   string
	match  func([]byte) bool
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// decoders is a constant table. Decoders are called directly rather than
// through image.Decode, so formats registered elsewhere in the program (GIF,
// BMP, ...) are never accepted.
var decoders = [...]decoder{
	{MimePNG, func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }, png.DecodeConfig, png.Decode},
	{MimeJPEG, func(b []byte) bool { return bytes.HasPrefix(b, []byte("\xff\xd8")) }, jpeg.DecodeConfig, jpeg.Decode},
	{MimeWebP, func(b []byte) bool {
		return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
	}, webp.DecodeConfig, webp.Decode},
}

// Detect decodes data fully and reports its MIME type and dimensions. Only
// PNG, JPEG and WebP are accepted: anything else, including GIF and
// truncated or corrupt files, is ErrNotImage. Data over MaxUploadBytes is
// ErrTooLarge; a width or height of zero or over MaxDimension is ErrBadImage,
// checked from the header before any pixels are decoded.
func Detect(data []byte) (mime string, width, height int, err error) {
	if len(data) > MaxUploadBytes {
		return "", 0, 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), MaxUploadBytes)
	}
	for _, d := range decoders {
		if !d.match(data) {
			continue
		}
		cfg, err := d.config(bytes.NewReader(data))
		if err != nil {
			return "", 0, 0, fmt.Errorf("%w: %s header: %v", ErrNotImage, d.mime, err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxDimension || cfg.Height > MaxDimension {
			return "", 0, 0, fmt.Errorf("%w: %dx%d, limit %d per side", ErrBadImage, cfg.Width, cfg.Height, MaxDimension)
		}
		img, err := d.decode(bytes.NewReader(data))
		if err != nil {
			return "", 0, 0, fmt.Errorf("%w: %s: %v", ErrNotImage, d.mime, err)
		}
		b := img.Bounds()
		if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
			return "", 0, 0, fmt.Errorf("%w: header says %dx%d, pixels are %dx%d",
				ErrBadImage, cfg.Width, cfg.Height, b.Dx(), b.Dy())
		}
		return d.mime, b.Dx(), b.Dy(), nil
	}
	return "", 0, 0, ErrNotImage
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
