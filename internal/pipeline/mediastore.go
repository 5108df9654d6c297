package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/ai4artsed/ai4artsed/internal/fault"

	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// storeImages checks each image by decoding it before anything is written,
// then writes it atomically under its content hash and records it, so the
// media store never holds a half-written or undecodable file. (A file whose
// row could not be written stays: the same content may belong to another
// run's media.)
func (x *execution) storeImages(imgs []generatedImage, rec *generationRecord) ([]store.Media, error) {
	ctx := context.WithoutCancel(x.ctx)
	var stored []store.Media
	fail := func(err error) ([]store.Media, error) { return nil, err }
	meta, _ := json.Marshal(map[string]any{"backend": rec.Backend, "path": rec.Path, "model": rec.Model, "loras": rec.LoRAs, "comfy_prompt_id": rec.PromptID})
	for i, im := range imgs {
		mime, w, h, err := media.Detect(im.Data)
		if err != nil {
			return fail(fmt.Errorf("generation: image %d (%s) from %s: %w: %v", i+1, im.Name, rec.Backend, fault.ErrBackendGarbage, err))
		}
		hash, err := x.p.cfg.Files.Put(ctx, im.Data, media.ExtFor(mime))
		if err != nil {
			return fail(fmt.Errorf("generation: store image: %w", err))
		}
		m := store.Media{ID: newID(), RunID: x.run.ID, Hash: hash, Mime: mime, Size: int64(len(im.Data)),
			Width: w, Height: h, Seed: rec.Seed + uint64(i), Meta: meta, CreatedAt: x.p.cfg.Now().UTC()}
		if err := x.p.cfg.Store.PutMedia(ctx, m); err != nil {
			return fail(fmt.Errorf("generation: record image: %w", err))
		}
		stored = append(stored, m)
	}
	return stored, nil
}
