package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	qr "github.com/piglig/go-qr"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// QR code image of a join link: pixels per module and the quiet zone in
// modules (the standard asks for 4). A join URL of a school server is a
// version 3 or 4 symbol: 29 to 33 modules, so about 400 px a side; the
// page scales it up without smoothing.
const (
	qrScale  = 10
	qrBorder = 4
)

// workshopQR answers the QR code of a workshop's join URL as a PNG
// (docs/api.md, "Workshops"), for the teacher to show big on the class's
// screen.
func (s *Server) workshopQR(w http.ResponseWriter, r *http.Request, u *store.User) {
	ws, err := s.ownWorkshop(r, u)
	if err != nil {
		s.failStore(w, r, err)
		return
	}
	base := s.joinBase(r)
	if base == "" {
		s.fail(w, r, errUnsafeHost)
		return
	}
	code, err := qr.EncodeText(joinURL(base, ws.Code), qr.Medium)
	if err != nil {
		s.fail(w, r, fmt.Errorf("qr: encode join url of %s: %w", ws.ID, err))
		return
	}
	png, err := code.ToPNGBytes(qr.NewQrCodeImgConfig(qrScale, qrBorder))
	if err != nil {
		s.fail(w, r, fmt.Errorf("qr: render join url of %s: %w", ws.ID, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(png)))
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(png)
}

// errUnsafeHost refuses a join link for a Host header that is not a plain
// host name or address.
var errUnsafeHost = fault.New(api.CodeInvalidRequest,
	"Die Adresse des Servers ist ungewöhnlich; setze AI4ARTSED_PUBLIC_URL für Beitritts-Links.",
	"The server's address is unusual; set AI4ARTSED_PUBLIC_URL for join links.")

// joinURL is the page a student opens to join with code.
func joinURL(base, code string) string { return base + "/join.html?code=" + code }

// joinBase is the scheme and host of join links: the configured public
// URL, else the host the request came to when it is a plain host name or
// address with an optional port; "" when it is not (the links are then
// relative and the QR code is refused).
func (s *Server) joinBase(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	if !plainHost(r.Host) {
		return ""
	}
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// plainHost reports whether h has only the characters of a host name, an
// IPv4 or a bracketed IPv6 address and a port.
func plainHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, c := range h {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}
