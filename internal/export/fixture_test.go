package export

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/sqlite"
)

// base is the fixture's first instant.
var base = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

// fixture is a real SQLite store and media directory holding workshops.
type fixture struct {
	db    *sqlite.DB
	files *media.Files
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	dir := tb.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	files, err := media.NewFiles(filepath.Join(dir, "media"))
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if err := db.CreateUser(ctx, store.User{Name: "ana", Role: store.RoleTeacher, PasswordHash: "x"}); err != nil {
		tb.Fatal(err)
	}
	return &fixture{db: db, files: files}
}

// workshop makes workshop id with the devices named.
func (f *fixture) workshop(tb testing.TB, id, code string, devices map[string]string) store.Workshop {
	tb.Helper()
	ctx := context.Background()
	ws := store.Workshop{ID: id, Code: code, Owner: "ana", Name: "Klasse " + id, SafetyLevel: "kids",
		StartsAt: base, EndsAt: base.Add(8 * time.Hour), CreatedAt: base}
	if err := f.db.CreateWorkshop(ctx, ws); err != nil {
		tb.Fatal(err)
	}
	for dev, nick := range devices {
		if err := f.db.CreateDevice(ctx, store.Device{ID: dev, WorkshopID: id, Nickname: nick, CreatedAt: base}, 0); err != nil {
			tb.Fatal(err)
		}
	}
	return ws
}

// run stores a run of device dev with its stages.
func (f *fixture) run(tb testing.TB, id, dev string, st store.State, at time.Time, input string, stages ...store.StageResult) {
	tb.Helper()
	ctx := context.Background()
	r := &store.Run{ID: id, ClientID: store.ClientOfDevice(dev), Stages: "all", Lang: "de", Input: json.RawMessage(input),
		CreatedAt: at, UpdatedAt: at}
	if err := f.db.CreateRun(ctx, r); err != nil {
		tb.Fatal(err)
	}
	for _, s := range stages {
		s.StartedAt = at
		if err := f.db.PutStage(ctx, id, s); err != nil {
			tb.Fatal(err)
		}
	}
	if err := f.db.SetRunState(ctx, id, store.StateRunning, "", ""); err != nil {
		tb.Fatal(err)
	}
	if st != store.StateRunning {
		code := ""
		if st == store.StateBlocked {
			code = "blocked"
		}
		if err := f.db.SetRunState(ctx, id, st, code, ""); err != nil {
			tb.Fatal(err)
		}
	}
}

// image stores data as image n of run id and returns its record.
func (f *fixture) image(tb testing.TB, runID, id string, data []byte, seed uint64, at time.Time) store.Media {
	tb.Helper()
	hash, err := f.files.Put(context.Background(), data, ".png")
	if err != nil {
		tb.Fatal(err)
	}
	m := store.Media{ID: id, RunID: runID, Hash: hash, Mime: media.MimePNG, Size: int64(len(data)),
		Width: 64, Height: 64, Seed: seed, CreatedAt: at}
	if err := f.db.PutMedia(context.Background(), m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// noisePNG is a side×side PNG of smooth colour with noise of amplitude
// noise (0-255) drawn from seed: noise 40 at 1024 px gives about the size
// of a generated image (docs/benchmarks.md).
func noisePNG(tb testing.TB, side, noise int, seed uint64) []byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for y := range side {
		for x := range side {
			n := func(v int) uint8 { return uint8(min(255, max(0, v+rng.IntN(noise+1)-noise/2))) }
			img.SetNRGBA(x, y, color.NRGBA{n(x * 255 / side), n(y * 255 / side), n(int(seed*37) % 256), 255})
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
