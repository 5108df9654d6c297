package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
	"io"
	"net/http"

	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// createUpload accepts one image in the multipart field "image". The bytes
// are decoded to check them; the file name and declared type are ignored.
func (s *Server) createUpload(w http.ResponseWriter, r *http.Request) {
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
	mime, width, height, err := media.Detect(data)
	if err != nil {
		if errors.Is(err, media.ErrTooLarge) {
			s.fail(w, r, fault.New(api.CodeTooLarge, fmt.Sprintf("Das Bild ist größer als %d MiB.", media.MaxUploadBytes>>20), fmt.Sprintf("The image is larger than %d MiB.", media.MaxUploadBytes>>20)))
			return
		}
		s.log.Debug("upload refused", "err", err)
		s.fail(w, r, fault.New(api.CodeNotAnImage, "Das ist kein PNG-, JPEG- oder WebP-Bild, das wir lesen können.", "The upload is not a PNG, JPEG or WebP image we can read."))
		return
	}
	hash, err := s.cfg.Files.Put(data, media.ExtFor(mime))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u := store.Upload{ID: newUploadID(), Hash: hash, Mime: mime, Size: int64(len(data)), Width: width, Height: height}
	if err := s.cfg.Store.PutUpload(r.Context(), u); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.Upload{UploadID: u.ID, Width: width, Height: height, Mime: mime, Size: u.Size})
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
