package swarm

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ai4artsed/ai4artsed/internal/media"
)

// maxImage bounds one downloaded image: what the media store accepts.
const maxImage = media.MaxUploadBytes

// T2IRequest is one GenerateText2Image call. Zero values of optional fields
// are left out so SwarmUI applies its own defaults.
type T2IRequest struct {
	Prompt         string
	NegativePrompt string
	// Model is a model name as ListModels returns it; the extension and
	// folder may be left out (SwarmUI matches fuzzily).
	Model  string
	Width  int
	Height int
	Steps  int
	CFG    float64
	// Seed is sent as given; -1 asks SwarmUI for a random seed. Image i
	// uses Seed+i.
	Seed      int64
	Sampler   string
	Scheduler string
	// LoRAs are LoRA names; LoRAWeights their strengths, one per LoRA
	// (empty means 1 for each).
	LoRAs       []string
	LoRAWeights []float64
	// Images is the number of images; 0 means 1.
	Images int
}

// Image is one generated image.
type Image struct {
	// Path is the path SwarmUI answered with (View/... or a data: URL).
	Path string
	// Mime is the image's content type, e.g. image/png.
	Mime string
	// Data holds the image bytes.
	Data []byte
}

// params turns the request into SwarmUI's flat parameter object.
func (r T2IRequest) params() (map[string]any, error) {
	images := r.Images
	if images <= 0 {
		images = 1
	}
	p := map[string]any{
		"prompt": r.Prompt,
		"images": images,
		"seed":   r.Seed,
	}
	setString(p, "negativeprompt", r.NegativePrompt)
	setString(p, "model", r.Model)
	setString(p, "sampler", r.Sampler)
	setString(p, "scheduler", r.Scheduler)
	setInt(p, "width", r.Width)
	setInt(p, "height", r.Height)
	setInt(p, "steps", r.Steps)
	if r.CFG > 0 {
		p["cfgscale"] = r.CFG
	}
	if len(r.LoRAs) > 0 {
		weights := r.LoRAWeights
		if len(weights) == 0 {
			weights = make([]float64, len(r.LoRAs))
			for i := range weights {
				weights[i] = 1
			}
		}
		if len(weights) != len(r.LoRAs) {
			return nil, fmt.Errorf("swarm: %d LoRA weights for %d LoRAs", len(weights), len(r.LoRAs))
		}
		names := make([]string, len(r.LoRAs))
		ws := make([]string, len(weights))
		for i, name := range r.LoRAs {
			if name == "" || strings.Contains(name, ",") {
				return nil, fmt.Errorf("swarm: invalid LoRA name %q", name)
			}
			names[i] = name
			ws[i] = strconv.FormatFloat(weights[i], 'f', -1, 64)
		}
		p["loras"] = strings.Join(names, ",")
		p["loraweights"] = strings.Join(ws, ",")
	}
	return p, nil
}

func setString(p map[string]any, key, v string) {
	if v != "" {
		p[key] = v
	}
}

func setInt(p map[string]any, key string, v int) {
	if v > 0 {
		p[key] = v
	}
}

// GenerateText2Image runs one text-to-image generation, waits for it and
// downloads every resulting image. SwarmUI failures (unknown model or LoRA,
// backend errors) come back as *APIError matching ErrGenerationFailed, with
// SwarmUI's message unchanged.
func (c *Client) GenerateText2Image(ctx context.Context, req T2IRequest) ([]Image, error) {
	body, err := req.params()
	if err != nil {
		return nil, err
	}
	var out struct {
		Images []string `json:"images"`
	}
	if err := c.call(ctx, "GenerateText2Image", body, &out); err != nil {
		return nil, err
	}
	if len(out.Images) == 0 {
		return nil, fmt.Errorf("swarm: GenerateText2Image: no images in answer: %w", ErrGenerationFailed)
	}
	return c.fetchAll(ctx, out.Images)
}

// fetchAll loads the images a generation answered, in order.
func (c *Client) fetchAll(ctx context.Context, paths []string) ([]Image, error) {
	images := make([]Image, 0, len(paths))
	for _, p := range paths {
		img, err := c.FetchImage(ctx, p)
		if err != nil {
			return nil, err
		}
		images = append(images, img)
	}
	return images, nil
}

// FetchImage loads one image named by a GenerateText2Image answer: a
// relative View/... path (fetched with GET, each segment percent-encoded)
// or a data:image/...;base64 URL (decoded in place). An image over
// media.MaxUploadBytes is ErrImageTooLarge, refused from its Content-Length
// when SwarmUI sends one and otherwise read no further.
func (c *Client) FetchImage(ctx context.Context, path string) (Image, error) {
	if strings.HasPrefix(path, "data:") {
		return decodeDataURL(path)
	}
	u := c.base + "/" + escapePath(path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Image{}, fmt.Errorf("swarm: fetch %s: %w", path, err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return Image{}, transportError("fetch "+path, err)
	}
	defer resp.Body.Close()
	ct := resp.Header.Get("Content-Type")
	if resp.StatusCode != http.StatusOK {
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if err != nil {
			return Image{}, fmt.Errorf("swarm: fetch %s: %w", path, err)
		}
		return Image{}, decodeAnswer("fetch "+path, resp.StatusCode, ct, data, nil)
	}
	if resp.ContentLength > maxImage {
		return Image{}, fmt.Errorf("swarm: fetch %s: %d bytes, limit %d: %w", path, resp.ContentLength, maxImage, ErrImageTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxImage+1))
	if err != nil {
		return Image{}, fmt.Errorf("swarm: fetch %s: %w", path, err)
	}
	if len(data) > maxImage {
		return Image{}, fmt.Errorf("swarm: fetch %s: over %d bytes: %w", path, maxImage, ErrImageTooLarge)
	}
	mt := ct
	if parsed, _, err := mime.ParseMediaType(ct); err == nil {
		mt = parsed
	}
	if mt == "" || mt == "application/octet-stream" {
		mt = http.DetectContentType(data)
	}
	if !strings.HasPrefix(mt, "image/") {
		return Image{}, badAnswer("fetch "+path, resp.StatusCode, ct, "not an image", data)
	}
	return Image{Path: path, Mime: mt, Data: data}, nil
}

// escapePath percent-encodes each segment of a relative server path.
func escapePath(p string) string {
	segs := strings.Split(strings.TrimLeft(p, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// decodeDataURL decodes data:<mime>;base64,<data>.
func decodeDataURL(s string) (Image, error) {
	head, payload, ok := strings.Cut(strings.TrimPrefix(s, "data:"), ",")
	if !ok || !strings.HasSuffix(head, ";base64") {
		return Image{}, fmt.Errorf("swarm: image data URL of %d bytes without a base64 payload: %w", len(s), ErrBadResponse)
	}
	if n := base64.StdEncoding.DecodedLen(len(payload)); n > maxImage+2 {
		return Image{}, fmt.Errorf("swarm: image data URL: about %d bytes, limit %d: %w", n, maxImage, ErrImageTooLarge)
	}
	mt := strings.TrimSuffix(head, ";base64")
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return Image{}, fmt.Errorf("swarm: image data URL: %w: %w", ErrBadResponse, err)
	}
	if len(data) > maxImage {
		return Image{}, fmt.Errorf("swarm: image data URL: %d bytes, limit %d: %w", len(data), maxImage, ErrImageTooLarge)
	}
	if mt == "" {
		mt = http.DetectContentType(data)
	}
	return Image{Path: "data:" + head + ",…", Mime: mt, Data: data}, nil
}
