package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"io"
	"net/http"
	"strings"

	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// createUpload accepts one image in the multipart field "image". The bytes
// are checked by Config.Images (header limits, then a full decode in one of
// a few slots); the file name and declared type are ignored.
func (s *Server) createUpload(w http.ResponseWriter, r *http.Request) {
	extendBodyDeadline(w, s.cfg.Timeouts.Upload)
	r.Body = http.MaxBytesReader(w, r.Body, media.MaxUploadBytes+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		s.fail(w, r, fault.Invalid("image", `Bitte schick das Bild als multipart/form-data im Feld "image".`, `The body must be multipart/form-data with a field "image".`))
		return
	}
	var data []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.uploadReadError(w, r, err)
			return
		}
		if part.FormName() != "image" {
			part.Close()
			continue
		}
		data, err = io.ReadAll(io.LimitReader(part, media.MaxUploadBytes+1))
		part.Close()
		if err != nil {
			s.uploadReadError(w, r, err)
			return
		}
		break
	}
	if data == nil {
		s.fail(w, r, fault.Invalid("image", `Das Feld "image" fehlt.`, `The multipart field "image" is missing.`))
		return
	}
	info, err := s.cfg.Images.Check(r.Context(), data)
	if err != nil {
		s.uploadCheckError(w, r, err)
		return
	}
	// Stored without EXIF, GPS, XMP or text chunks (docs/privacy.md).
	if data, err = media.Strip(data, info.Mime); err != nil {
		s.uploadCheckError(w, r, err)
		return
	}
	hash, err := s.cfg.Files.Put(r.Context(), data, media.ExtFor(info.Mime))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u := store.Upload{ID: newUploadID(), Hash: hash, Mime: info.Mime, Size: int64(len(data)), Width: info.Width, Height: info.Height}
	if err := s.cfg.Store.PutUpload(r.Context(), u); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.Upload{UploadID: u.ID, Width: u.Width, Height: u.Height, Mime: u.Mime, Size: u.Size})
}

// uploadCheckError answers an image that media.Checker refused.
func (s *Server) uploadCheckError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, media.ErrTooLarge):
		s.fail(w, r, fault.New(api.CodeTooLarge, fmt.Sprintf("Das Bild ist größer als %d MiB.", media.MaxUploadBytes>>20),
			fmt.Sprintf("The image is larger than %d MiB.", media.MaxUploadBytes>>20)))
	case errors.Is(err, media.ErrTooManyPixels):
		detail := strings.TrimPrefix(err.Error(), media.ErrTooManyPixels.Error()+": ")
		s.fail(w, r, fault.New(api.CodeTooLarge, "Das Bild hat zu viele Pixel ("+detail+"). Mach es kleiner und lade es noch einmal hoch.",
			"The image has too many pixels ("+detail+"); scale it down and upload it again."))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		s.log.Info("upload abandoned while waiting for a decode slot", "err", err)
		s.fail(w, r, fault.New(api.CodeBusy, "Der Server prüft gerade andere Bilder. Versuch es gleich noch einmal.",
			"The server is busy checking other images; try again."))
	default:
		s.log.Debug("upload refused", "err", err)
		s.fail(w, r, fault.New(api.CodeNotAnImage, "Das ist kein PNG-, JPEG- oder WebP-Bild, das wir lesen können.",
			"The upload is not a PNG, JPEG or WebP image we can read."))
	}
}

func (s *Server) uploadReadError(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.fail(w, r, fault.New(api.CodeTooLarge, fmt.Sprintf("Das Bild ist größer als %d MiB.", media.MaxUploadBytes>>20), fmt.Sprintf("The upload is larger than %d MiB.", media.MaxUploadBytes>>20)))
		return
	}
	s.fail(w, r, fault.Invalid("image", "Das Bild konnte nicht gelesen werden: "+err.Error(), "Could not read the multipart body: "+err.Error()))
}

func newUploadID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
