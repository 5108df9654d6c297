package swarm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// wsFrame is one server frame of GenerateText2ImageWS: a JSON object keyed
// by the kind of message. Status frames and keep_alive carry nothing the
// client needs beyond the fact that the server is alive.
type wsFrame struct {
	Error       *string `json:"error"`
	ErrorID     string  `json:"error_id"`
	GenProgress *struct {
		BatchIndex     batchIndex `json:"batch_index"`
		OverallPercent float64    `json:"overall_percent"`
		CurrentPercent float64    `json:"current_percent"`
	} `json:"gen_progress"`
	Image *struct {
		Image      string     `json:"image"`
		BatchIndex batchIndex `json:"batch_index"`
	} `json:"image"`
	DiscardIndices  []batchIndex `json:"discard_indices"`
	SocketIntention string       `json:"socket_intention"`
}

// batchIndex is a batch_index: SwarmUI sends it as a string ("0"); a bare
// number is accepted too.
type batchIndex int

// UnmarshalJSON reads "3" or 3.
func (b *batchIndex) UnmarshalJSON(data []byte) error {
	s := string(bytes.Trim(data, `"`))
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("batch_index %.20q: %w", s, err)
	}
	*b = batchIndex(n)
	return nil
}

// batch collects what the frames of one request say.
type batch struct {
	steps      int
	onProgress func(Progress)
	images     map[int]string // batch index → path
	discarded  []int
}

// handle applies one frame; done reports that the server is finished
// with the request (socket_intention close).
func (b *batch) handle(data []byte) (done bool, err error) {
	var f wsFrame
	if err := json.Unmarshal(data, &f); err != nil {
		return false, badAnswer(wsRoute, 101, "", "frame not the expected JSON", data)
	}
	if f.Error != nil || f.ErrorID != "" {
		msg := ""
		if f.Error != nil {
			msg = *f.Error
		}
		return false, &APIError{Route: wsRoute, ID: f.ErrorID, Message: msg}
	}
	if p := f.GenProgress; p != nil && b.onProgress != nil {
		cur := clamp01(p.CurrentPercent)
		b.onProgress(Progress{
			Batch: int(p.BatchIndex), Overall: clamp01(p.OverallPercent), Current: cur,
			Step: int(math.Round(cur * float64(b.steps))), Steps: b.steps,
		})
	}
	if im := f.Image; im != nil {
		if im.Image == "" {
			return false, badAnswer(wsRoute, 101, "", "image frame without an image", data)
		}
		b.images[int(im.BatchIndex)] = im.Image
	}
	for _, i := range f.DiscardIndices {
		b.discarded = append(b.discarded, int(i))
	}
	return f.SocketIntention == "close", nil
}

// paths returns the kept images in batch order; none is a failed
// generation, as SwarmUI's "No images were generated".
func (b *batch) paths() ([]string, error) {
	idx := make([]int, 0, len(b.images))
	for i := range b.images {
		if !slices.Contains(b.discarded, i) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("swarm: %s: no images in answer: %w", wsRoute, ErrGenerationFailed)
	}
	slices.Sort(idx)
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = b.images[i]
	}
	return out, nil
}

func clamp01(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return min(max(v, 0), 1)
}
