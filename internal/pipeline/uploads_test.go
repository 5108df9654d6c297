package pipeline

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// putUpload stores data as a student's upload, as POST /api/uploads does,
// and returns its id and content hash.
func putUpload(t *testing.T, p *Pipeline, data []byte) (id, hash string) {
	t.Helper()
	mime, w, h, err := media.Detect(data)
	if err != nil {
		t.Fatal(err)
	}
	hash, err = p.cfg.Files.Put(context.Background(), data, media.ExtFor(mime))
	if err != nil {
		t.Fatal(err)
	}
	id = newID()
	u := store.Upload{ID: id, Hash: hash, Mime: mime, Size: int64(len(data)), Width: w, Height: h, CreatedAt: time.Now().UTC()}
	if err := p.cfg.Store.PutUpload(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return id, hash
}

func TestUploadsAreSentAndBoundIntoTheWorkflow(t *testing.T) {
	cases := []struct {
		output string
		images [][]byte
		titles []string // the LoadImage nodes, one per upload in order
	}{
		{"sd35_img2img", [][]byte{testPNG(5, 4)}, []string{"Input Image"}},
		{"sd35_blend", [][]byte{testPNG(5, 4), testPNG(7, 3)}, []string{"Input Image 1", "Input Image 2"}},
	}
	for _, tc := range cases {
		t.Run(tc.output, func(t *testing.T) {
			cf := &fakeComfy{}
			p, db, hub := newPipelineWith(t, pipelineOptions{LLM: echoLLM("a sunset"), Images: &Images{Swarm: &fakeSwarm{}, Comfy: cf}, Files: true})
			var ids, hashes []string
			for _, img := range tc.images {
				id, hash := putUpload(t, p, img)
				ids, hashes = append(ids, id), append(hashes, hash)
			}
			run := startGen(t, p, Request{Text: "a red square becomes a sunset", Output: tc.output, Uploads: ids})
			waitDone(t, hub, run.ID)
			r := runOf(t, db, run.ID)
			if r.State != store.StateDone {
				t.Fatalf("run ended %s %s", r.State, r.ErrorCode)
			}
			jobs, ups := cf.received()
			if len(ups) != len(tc.images) || len(jobs) != 1 {
				t.Fatalf("comfy got %d uploads and %d jobs, want %d and 1", len(ups), len(jobs), len(tc.images))
			}
			g := parseGraph(t, jobs[0].Graph)
			for i, up := range ups {
				if !bytes.Equal(up.Data, tc.images[i]) || up.Name != "ai4artsed_"+hashes[i][:16]+".png" {
					t.Fatalf("upload %d sent as %q with %d bytes, want the stored %d bytes", i, up.Name, len(up.Data), len(tc.images[i]))
				}
				want := strconv.Quote("uploaded_" + strconv.Itoa(i+1) + ".png")
				if got := input(t, g, tc.titles[i], "image"); got != want {
					t.Fatalf("%s reads %s, want the name ComfyUI gave, %s", tc.titles[i], got, want)
				}
			}
			if d := detailOf(t, r); d.Path != pathComfyWorkflow || !slices.Equal(d.Uploads, ids) {
				t.Fatalf("detail path %s uploads %v, want %v", d.Path, d.Uploads, ids)
			}
		})
	}
}
