package main

import (
	"bytes"
	"context"
	"errors"
	"image/color"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/store"
	"github.com/ai4artsed/ai4artsed/internal/store/postgres"
)

// getBytes fetches url and returns its status and body.
func getBytes(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// filesUnder lists the regular files under dir ("" when it does not exist).
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// TestMediaInPostgresReadableFromAnotherServer stores an upload and a
// generated image through one server on PostgreSQL and reads both through a
// second server with its own data dir and the same database: the bytes live
// in the database, not in either data dir.
func TestMediaInPostgresReadableFromAnotherServer(t *testing.T) {
	dbURL := postgresURL(t)
	a := newEnv(t, envOptions{mutate: func(s *Settings) { s.DatabaseURL = dbURL }})
	b := newEnv(t, envOptions{mutate: func(s *Settings) { s.DatabaseURL = dbURL }})
	if a.App.Files != nil || b.App.Files != nil {
		t.Fatal("with PostgreSQL and no AI4ARTSED_MEDIA_DIR the media must live in the database")
	}
	png := pngBytes(t, 48, 40, color.RGBA{10, 200, 30, 255})
	up, err := a.upload(t, "photo.png", png)
	if err != nil {
		t.Fatal(err)
	}
	id := a.startRun(t, api.RunRequest{Stages: "generation", Text: "a green field", Output: "sd35_img2img", Uploads: []string{up.UploadID}})
	ms := mediaOf(t, a.collect(t, id))
	if len(ms) == 0 {
		t.Fatal("no media")
	}
	url, _ := ms[0]["url"].(string)
	codeA, fromA := getBytes(t, a.Server.URL+url)
	codeB, fromB := getBytes(t, b.Server.URL+url)
	if codeA != 200 || codeB != 200 || len(fromA) == 0 || !bytes.Equal(fromA, fromB) {
		t.Fatalf("media through the server that made it: %d, %d bytes; through the other: %d, %d bytes", codeA, len(fromA), codeB, len(fromB))
	}
	// The upload, sent to ComfyUI by the other server's run.
	id = b.startRun(t, api.RunRequest{Stages: "generation", Text: "a green field", Output: "sd35_img2img", Uploads: []string{up.UploadID}})
	if len(mediaOf(t, b.collect(t, id))) == 0 {
		t.Fatal("the other server's image-to-image run made no image")
	}
	for _, env := range []*testEnv{a, b} {
		if got := filesUnder(t, filepath.Join(env.App.Settings.DataDir, "media")); len(got) != 0 {
			t.Errorf("media files in a data dir: %v", got)
		}
	}
}

// TestMediaDirSetting keeps media in AI4ARTSED_MEDIA_DIR instead of the
// data dir.
func TestMediaDirSetting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared-media")
	env := newEnv(t, envOptions{mutate: func(s *Settings) { s.MediaDir = dir }})
	if _, err := env.upload(t, "photo.png", pngBytes(t, 16, 16, color.RGBA{1, 2, 3, 255})); err != nil {
		t.Fatal(err)
	}
	if got := filesUnder(t, dir); len(got) != 1 {
		t.Errorf("files in the media dir = %v, want the upload", got)
	}
	if got := filesUnder(t, filepath.Join(env.App.Settings.DataDir, "media")); len(got) != 0 {
		t.Errorf("files in the data dir = %v, want none", got)
	}
}

// TestLegacyMediaMovesIntoTheDatabase starts a server on PostgreSQL whose
// data dir still holds media files from before media moved into the
// database: the file an upload row names is moved into the database, the
// one no row names is deleted, both leave the disk; a file whose content
// does not match its name stays where it is.
func TestLegacyMediaMovesIntoTheDatabase(t *testing.T) {
	dbURL := postgresURL(t)
	dataDir := t.TempDir()
	files, err := media.NewFiles(filepath.Join(dataDir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	named := pngBytes(t, 8, 8, color.RGBA{1, 2, 3, 255})
	unnamed := pngBytes(t, 9, 9, color.RGBA{4, 5, 6, 255})
	hNamed, err := files.Put(ctx, named, ".png")
	if err != nil {
		t.Fatal(err)
	}
	hUnnamed, err := files.Put(ctx, unnamed, ".png")
	if err != nil {
		t.Fatal(err)
	}
	wrongPath, _ := files.Path(strings.Repeat("ab", 32), ".png")
	if err := os.MkdirAll(filepath.Dir(wrongPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrongPath, []byte("not what the name says"), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	err = db.PutUpload(ctx, store.Upload{ID: "u-old", Hash: hNamed, Mime: "image/png", Size: int64(len(named)), Width: 8, Height: 8})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	env := newEnv(t, envOptions{mutate: func(s *Settings) { s.DatabaseURL, s.DataDir = dbURL, dataDir }})
	r, err := env.App.Media.Open(ctx, hNamed, ".png")
	if err != nil {
		t.Fatalf("the named file is not in the database: %v", err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, named) {
		t.Fatal("the moved file's bytes differ")
	}
	if r, err := env.App.Media.Open(ctx, hUnnamed, ".png"); !errors.Is(err, fs.ErrNotExist) {
		if r != nil {
			r.Close()
		}
		t.Errorf("the file no row names: %v, want it deleted", err)
	}
	left := filesUnder(t, filepath.Join(dataDir, "media"))
	if len(left) != 1 || left[0] != wrongPath {
		t.Errorf("files left in the data dir: %v, want only %s", left, wrongPath)
	}
}
