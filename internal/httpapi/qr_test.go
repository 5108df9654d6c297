package httpapi

import (
	"bytes"
	"image/png"
	"net/http"
	"testing"

	qr "github.com/piglig/go-qr"

	"github.com/ai4artsed/ai4artsed/api"
)

// decodeQR reads the PNG of a QR route's answer back into its text.
func decodeQR(t *testing.T, b []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != h || w < 300 || w%qrScale != 0 {
		t.Errorf("QR image %dx%d: want a square of at least 300 px in whole modules", w, h)
	}
	text, err := qr.Decode(img)
	if err != nil {
		t.Fatalf("decode the QR code: %v", err)
	}
	return text
}

func TestWorkshopQR(t *testing.T) {
	e := newWorkshopEnv(t, false)
	a := e.create(t, api.WorkshopRequest{Name: "Klasse 7b"})
	b := e.create(t, api.WorkshopRequest{Name: "Klasse 8c"})
	get := func(id string, mods ...func(*http.Request)) (int, string, []byte) {
		w := do(t, e.s, "GET", "/api/teacher/workshops/"+id+"/qr", nil, mods...)
		return w.Code, w.Header().Get("Content-Type"), w.Body.Bytes()
	}

	status, ctype, imgA := get(a.ID, withCookie(e.ana))
	if status != 200 || ctype != "image/png" {
		t.Fatalf("own QR: %d %s", status, ctype)
	}
	// httptest requests come to example.com: the link is the join URL the
	// workshop answer names, which the QR code holds exactly.
	if got := decodeQR(t, imgA); got != a.JoinURL || got != "http://example.com/join.html?code="+a.Code {
		t.Errorf("QR of a holds %q, want %q", got, a.JoinURL)
	}
	_, _, imgB := get(b.ID, withCookie(e.ana))
	if bytes.Equal(imgA, imgB) || decodeQR(t, imgB) != b.JoinURL {
		t.Errorf("workshop b's QR code is not its own join URL")
	}

	// The host the request came to, when it is a plain host and port.
	_, _, img := get(a.ID, withCookie(e.ana), func(r *http.Request) { r.Host = "192.168.1.20:8080" })
	if got := decodeQR(t, img); got != "http://192.168.1.20:8080/join.html?code="+a.Code {
		t.Errorf("QR for host 192.168.1.20:8080 holds %q", got)
	}
	if status, _, _ := get(a.ID, withCookie(e.ana), func(r *http.Request) { r.Host = "evil.example%2f@x" }); status != 400 {
		t.Errorf("a Host that is not plain: %d, want 400", status)
	}

	for _, tc := range []struct {
		name   string
		mods   []func(*http.Request)
		status int
	}{
		{"no session", nil, 401},
		{"another teacher", []func(*http.Request){withCookie(e.bo)}, 404},
	} {
		if status, _, _ := get(a.ID, tc.mods...); status != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, status, tc.status)
		}
	}
}

func TestWorkshopQRPublicURL(t *testing.T) {
	e := newWorkshopEnv(t, false)
	e.s.cfg.PublicURL = "https://kunst.schule.example/"
	ws := e.create(t, api.WorkshopRequest{Name: "Klasse 7b"})
	want := "https://kunst.schule.example/join.html?code=" + ws.Code
	if ws.JoinURL != want {
		t.Errorf("join_url %q, want %q", ws.JoinURL, want)
	}
	w := do(t, e.s, "GET", "/api/teacher/workshops/"+ws.ID+"/qr", nil, withCookie(e.ana), func(r *http.Request) { r.Host = "evil.example%2f@x" })
	if w.Code != 200 || decodeQR(t, w.Body.Bytes()) != want {
		t.Errorf("QR with a public URL: %d", w.Code)
	}
}
