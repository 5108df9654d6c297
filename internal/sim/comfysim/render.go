package comfysim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"image"
	_ "image/jpeg" // decode JPEG inputs
	"image/png"
	"math"

	_ "golang.org/x/image/webp" // decode WebP inputs
)

// maxRenderSide is the largest width or height Render accepts, as ComfyUI's
// latent nodes (16384).
const maxRenderSide = 16384

// errBadSize is returned by Render for a width or height out of range.
var errBadSize = errors.New("comfysim: render: width and height must be 1..16384")

// Render returns a deterministic PNG of exactly width×height pixels. Its
// pixels depend on the prompt (palette and gradient), the seed (shapes),
// the LoRA names in order (stripes and tint) and on the input images, which
// are scaled to the output size and blended in. A non-empty prompt is also
// stored in a tEXt chunk "prompt" (see withText). The same arguments always
// give the same bytes.
func Render(prompt string, seed uint64, loras []string, width, height int, inputs [][]byte) ([]byte, error) {
	if width < 1 || height < 1 || width > maxRenderSide || height > maxRenderSide {
		return nil, errBadSize
	}
	var decoded []image.Image
	for i, in := range inputs {
		img, _, err := image.Decode(bytes.NewReader(in))
		if err != nil {
			return nil, fmt.Errorf("comfysim: render: input image %d: %w", i, err)
		}
		decoded = append(decoded, img)
	}
	p := newPainter(prompt, seed, loras, width, height)
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		row := img.Pix[y*img.Stride : y*img.Stride+width*4]
		for x := range width {
			r, g, b := p.at(x, y)
			for _, in := range decoded {
				ir, ig, ib := sampleScaled(in, x, y, width, height)
				r, g, b = (r+ir)/2, (g+ig)/2, (b+ib)/2
			}
			row[x*4], row[x*4+1], row[x*4+2], row[x*4+3] = uint8(r), uint8(g), uint8(b), 255
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("comfysim: render: encode: %w", err)
	}
	if prompt == "" {
		return buf.Bytes(), nil
	}
	return withText(buf.Bytes(), "prompt", prompt), nil
}

// pngHeaderLen is the signature (8 bytes) plus the IHDR chunk (25 bytes).
const pngHeaderLen = 8 + 25

// withText inserts a tEXt chunk key=value right after IHDR, as ComfyUI
// stores its workflow under "prompt" in every image it saves. Here the
// value is the positive prompt the image was drawn from: the simulated
// vision model reads it to decide what the image shows.
func withText(png []byte, key, value string) []byte {
	data := append([]byte(key+"\x00"), value...)
	chunk := make([]byte, 0, 12+len(data))
	chunk = binary.BigEndian.AppendUint32(chunk, uint32(len(data)))
	chunk = append(chunk, "tEXt"...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := make([]byte, 0, len(png)+len(chunk))
	out = append(out, png[:pngHeaderLen]...)
	out = append(out, chunk...)
	return append(out, png[pngHeaderLen:]...)
}

// sampleScaled reads the pixel of src that lies under (x, y) of a w×h canvas,
// nearest neighbour, as 8-bit RGB.
func sampleScaled(src image.Image, x, y, w, h int) (int, int, int) {
	b := src.Bounds()
	sx := b.Min.X + x*b.Dx()/w
	sy := b.Min.Y + y*b.Dy()/h
	r, g, bl, _ := src.At(sx, sy).RGBA()
	return int(r >> 8), int(g >> 8), int(bl >> 8)
}

// rng is a splitmix64 generator: tiny, fast and deterministic.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

type rgb struct{ r, g, b int }

func (r *rng) color() rgb { return rgb{r.intn(256), r.intn(256), r.intn(256)} }

type disc struct {
	cx, cy, rad2 int
	c            rgb
}

type stripes struct {
	period, width int
	c             rgb
}

// painter holds the precomputed pattern parameters for one image.
type painter struct {
	w, h      int
	c0, c1    rgb
	dx, dy    float64 // gradient direction
	norm      float64
	discs     []disc
	stripes   []stripes
	tint      rgb
	tintAlpha int // 0..255
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func newPainter(prompt string, seed uint64, loras []string, w, h int) *painter {
	pr := rng{hashString(prompt)}
	p := &painter{w: w, h: h, c0: pr.color(), c1: pr.color()}
	angle := float64(pr.intn(360)) * math.Pi / 180
	p.dx, p.dy = math.Cos(angle), math.Sin(angle)
	p.norm = math.Abs(p.dx)*float64(w) + math.Abs(p.dy)*float64(h)
	if p.norm == 0 {
		p.norm = 1
	}
	sr := rng{seed ^ hashString(prompt)*31}
	side := min(w, h)
	for range 3 + sr.intn(5) {
		rad := side/12 + sr.intn(side/4+1)
		p.discs = append(p.discs, disc{cx: sr.intn(w), cy: sr.intn(h), rad2: rad * rad, c: sr.color()})
	}
	for i, l := range loras {
		lr := rng{hashString(l) + uint64(i)}
		period := 8 + lr.intn(40)
		p.stripes = append(p.stripes, stripes{period: period, width: 2 + lr.intn(period/2), c: lr.color()})
		t := lr.color()
		p.tint = rgb{(p.tint.r + t.r) / 2, (p.tint.g + t.g) / 2, (p.tint.b + t.b) / 2}
		p.tintAlpha = 60
	}
	return p
}

// at computes the colour of pixel (x, y).
func (p *painter) at(x, y int) (int, int, int) {
	fx, fy := float64(x), float64(y)
	if p.dx < 0 {
		fx -= float64(p.w)
	}
	if p.dy < 0 {
		fy -= float64(p.h)
	}
	t := int(255 * (fx*p.dx + fy*p.dy) / p.norm)
	t = max(0, min(255, t))
	r := (p.c0.r*(255-t) + p.c1.r*t) / 255
	g := (p.c0.g*(255-t) + p.c1.g*t) / 255
	b := (p.c0.b*(255-t) + p.c1.b*t) / 255
	for _, d := range p.discs {
		ddx, ddy := x-d.cx, y-d.cy
		if ddx*ddx+ddy*ddy <= d.rad2 {
			r, g, b = (r+3*d.c.r)/4, (g+3*d.c.g)/4, (b+3*d.c.b)/4
		}
	}
	for _, s := range p.stripes {
		if (x+y)%s.period < s.width {
			r, g, b = (r+s.c.r)/2, (g+s.c.g)/2, (b+s.c.b)/2
		}
	}
	if p.tintAlpha > 0 {
		a := p.tintAlpha
		r = (r*(255-a) + p.tint.r*a) / 255
		g = (g*(255-a) + p.tint.g*a) / 255
		b = (b*(255-a) + p.tint.b*a) / 255
	}
	return r, g, b
}
