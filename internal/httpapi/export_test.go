package httpapi

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/export"
	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// exportFixture makes a workshop of ana with one joined student, a run
// with an image and a blocked run; it returns the workshop, the device
// cookie and the image's bytes.
func exportFixture(t *testing.T, e *workshopEnv) (api.Workshop, *http.Cookie, []byte) {
	t.Helper()
	ctx := context.Background()
	ws := e.create(t, api.WorkshopRequest{Name: "Klasse 7b"})
	dev, status := e.join(t, ws.Code)
	if status != 200 {
		t.Fatalf("join: %d", status)
	}
	devs, err := e.db.WorkshopDevices(ctx, ws.ID)
	if err != nil || len(devs) != 1 {
		t.Fatalf("devices %v %v", devs, err)
	}
	client := store.ClientOfDevice(devs[0].ID)
	at := e.clock.Now().UTC()
	for _, r := range []*store.Run{
		{ID: "aa01", ClientID: client, Stages: "generation", Input: json.RawMessage(`{"text":"Ein Wal im All"}`), CreatedAt: at},
		{ID: "aa02", ClientID: client, Stages: "interception", Input: json.RawMessage(`{"prompt":"=cmd|' /C calc'!A0"}`), CreatedAt: at.Add(time.Second)},
	} {
		if err := e.db.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.db.PutStage(ctx, "aa02", store.StageResult{Stage: 1, Name: "safety", Status: store.StageDone, Verdict: "blocked"}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetRunState(ctx, "aa02", store.StateBlocked, "blocked", ""); err != nil {
		t.Fatal(err)
	}
	img := []byte("\x89PNG\r\n\x1a\n not really an image, but its bytes must come back unchanged")
	hash, err := e.files.Put(context.Background(), img, ".png")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.PutMedia(ctx, store.Media{ID: "m1", RunID: "aa01", Hash: hash, Mime: media.MimePNG, Size: int64(len(img)), Seed: 7}); err != nil {
		t.Fatal(err)
	}
	return ws, dev, img
}

// TestExportRoute downloads the archive over a real connection and checks
// who may: the workshop's teacher and an admin; not another teacher, not a
// student's device, not without a session.
func TestExportRoute(t *testing.T) {
	e := newWorkshopEnv(t, false)
	ws, dev, img := exportFixture(t, e)
	srv := httptest.NewServer(e.s)
	defer srv.Close()
	get := func(path string, c *http.Cookie) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if c != nil {
			req.AddCookie(c)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	path := "/api/teacher/workshops/" + ws.ID + "/export"
	for _, who := range []struct {
		name   string
		cookie *http.Cookie
	}{{"teacher", e.ana}, {"admin", e.root}} {
		t.Run(who.name, func(t *testing.T) {
			resp, b := get(path, who.cookie)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
				t.Fatalf("%d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
			}
			disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
			if err != nil || disp != "attachment" || !regexp.MustCompile(`^ai4artsed-[0-9a-f]{32}-\d{8}-\d{4}\.zip$`).MatchString(params["filename"]) ||
				!strings.Contains(params["filename"], ws.ID) {
				t.Errorf("Content-Disposition %q", resp.Header.Get("Content-Disposition"))
			}
			zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{}
			var names []string
			for _, f := range zr.File {
				rc, _ := f.Open()
				files[f.Name], _ = io.ReadAll(rc)
				rc.Close()
				names = append(names, f.Name)
			}
			if !slices.Equal(names, []string{"runs.jsonl", "summary.csv", "media/aa01-1.png", "export.json"}) {
				t.Fatalf("entries %v", names)
			}
			if !bytes.Equal(files["media/aa01-1.png"], img) {
				t.Error("the image's bytes changed")
			}
			lines := strings.Split(strings.TrimSpace(string(files["runs.jsonl"])), "\n")
			if len(lines) != 2 || !strings.Contains(lines[0], `"nickname":"Blauer Wal"`) || !strings.Contains(lines[1], `"state":"blocked"`) {
				t.Errorf("runs.jsonl %q", files["runs.jsonl"])
			}
			if !strings.Contains(string(files["summary.csv"]), `'=cmd|' /C calc'!A0`) {
				t.Errorf("summary.csv %q", files["summary.csv"])
			}
		})
	}
	forged := &http.Cookie{Name: api.SessionCookie, Value: "forged"}
	for _, tc := range []struct {
		name   string
		path   string
		cookie *http.Cookie
		status int
		code   api.Code
	}{
		{"other teacher", path, e.bo, 404, api.CodeNotFound},
		{"unknown workshop", "/api/teacher/workshops/ffff/export", e.ana, 404, api.CodeNotFound},
		{"student device", path, dev, 401, api.CodeUnauthorized},
		{"no session", path, nil, 401, api.CodeUnauthorized},
		{"forged session", path, forged, 401, api.CodeUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := get(tc.path, tc.cookie)
			var eb api.ErrorBody
			_ = json.Unmarshal(b, &eb)
			if resp.StatusCode != tc.status || eb.Error.Code != tc.code || resp.Header.Get("Content-Disposition") != "" {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, b, tc.status, tc.code)
			}
		})
	}
}

// TestExportOff: a server without a research store answers 404.
func TestExportOff(t *testing.T) {
	e := newWorkshopEnv(t, false)
	ws := e.create(t, api.WorkshopRequest{Name: "Klasse 7b"})
	e.s.exporter = nil
	w := do(t, e.s, "GET", "/api/teacher/workshops/"+ws.ID+"/export", nil, withCookie(e.ana))
	if w.Code != 404 || errCode(t, w) != api.CodeNotFound {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}

// brokenFiles fails to open any image with an error other than "gone".
type brokenFiles struct{}

func (brokenFiles) Open(context.Context, string, string) (media.Blob, error) {
	return nil, errors.New("disk on fire")
}

// TestExportFailsMidway: an error after the archive started ends the
// connection, so the client cannot take a truncated zip for a whole one;
// an error before the first byte is an error answer.
func TestExportFailsMidway(t *testing.T) {
	e := newWorkshopEnv(t, false)
	ws, _, _ := exportFixture(t, e)
	noise := make([]byte, 30000)
	_, _ = rand.Read(noise)
	if err := e.db.CreateRun(context.Background(), &store.Run{ID: "aa00", ClientID: "d:" + mustDevice(t, e, ws.ID),
		Input: json.RawMessage(`{"prompt":"` + base64.StdEncoding.EncodeToString(noise) + `"}`), CreatedAt: e.clock.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	e.s.exporter = export.New(e.db, brokenFiles{})
	srv := httptest.NewServer(e.s)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/api/teacher/workshops/"+ws.ID+"/export", nil)
	req.AddCookie(e.ana)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || err == nil {
		t.Errorf("status %d, read %d bytes, error %v: want a broken 200", resp.StatusCode, len(b), err)
	}

	small := newWorkshopEnv(t, false)
	ws2, _, _ := exportFixture(t, small)
	small.s.exporter = export.New(small.db, brokenFiles{})
	w := do(t, small.s, "GET", "/api/teacher/workshops/"+ws2.ID+"/export", nil, withCookie(small.ana))
	if w.Code != 500 || w.Header().Get("Content-Disposition") != "" {
		t.Errorf("error before the first byte: %d %s", w.Code, w.Header())
	}
}

func mustDevice(t *testing.T, e *workshopEnv, wsID string) string {
	t.Helper()
	devs, err := e.db.WorkshopDevices(context.Background(), wsID)
	if err != nil || len(devs) == 0 {
		t.Fatal(devs, err)
	}
	return devs[0].ID
}
