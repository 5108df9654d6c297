package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/judge"
	"github.com/ai4artsed/ai4artsed/internal/media"
)

// imageVerdict is the image check's record of one image: its content hash
// (the image itself is kept only when it passed) and the vision verdict.
type imageVerdict struct {
	SHA256  string       `json:"sha256"`
	Verdict string       `json:"verdict"`
	Judge   *judgeRecord `json:"judge"`
}

// checkImages runs the image check for kids and youth: each image goes to
// the vision model with our prompt for the level before anything is
// stored. Until every image is judged safe nothing is written where it
// could be served and no media event goes out. An unsafe verdict, an error,
// a timeout or an unreadable answer blocks (fail closed); the stage-4
// safety event tells the student without describing the image.
func (x *execution) checkImages(imgs []generatedImage, rec *generationRecord) error {
	level := x.level()
	if !judge.FailClosed(level) {
		return nil
	}
	rec.ImageCheck = []imageVerdict{}
	for i, im := range imgs {
		if _, _, _, err := media.Detect(im.Data); err != nil {
			return fmt.Errorf("generation: image %d (%s) from %s: %w: %v", i+1, im.Name, rec.Backend, fault.ErrBackendGarbage, err)
		}
		sum := sha256.Sum256(im.Data)
		v, err := x.p.cfg.Judge.CheckImage(x.ctx, im.Data, judge.Input{Level: level, Lang: x.req.Lang}, x.caller(4))
		if err != nil {
			return err
		}
		iv := imageVerdict{SHA256: hex.EncodeToString(sum[:]), Verdict: verdictWord(nil), Judge: recordVerdict(v)}
		if v.Blocks(level) {
			iv.Verdict = verdictWord(&block{})
			rec.ImageCheck = append(rec.ImageCheck, iv)
			b := &block{stage: 4, field: fmt.Sprintf("image %d", i+1), category: v.Category, image: true,
				down: v.Outcome == judge.Unknown}
			x.publishSafety(4, []string{"vision"}, b)
			x.p.log.Info("image check blocked an image", "run", x.run.ID, "sha256", iv.SHA256, "outcome", v.Outcome, "err", v.Err)
			return &blockedError{b}
		}
		rec.ImageCheck = append(rec.ImageCheck, iv)
	}
	x.publishSafety(4, []string{"vision"}, nil)
	return nil
}
