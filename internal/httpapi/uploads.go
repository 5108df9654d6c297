package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

type uploadResponse struct {
	UploadID string `json:"upload_id"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	Mime     string `json:"mime"`
	Size     int64  `json:"size"`
}

// createUpload accepts one image in the multipart field "image". The bytes
// are checked by Config.Images (header limits, then a full decode in one of
// a few slots); the file name and declared type are ignored.
func (s *Server) createUpload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, media.MaxUploadBytes+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "the body must be multipart/form-data with a field \"image\"")
		return
	}
	var data []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.uploadReadError(w, err)
			return
		}
		if part.FormName() != "image" {
			part.Close()
			continue
		}
		data, err = io.ReadAll(io.LimitReader(part, media.MaxUploadBytes+1))
		part.Close()
		if err != nil {
			s.uploadReadError(w, err)
			return
		}
		break
	}
	if data == nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "the multipart field \"image\" is missing")
		return
	}
	info, err := s.cfg.Images.Check(r.Context(), data)
	if err != nil {
		s.uploadCheckError(w, err)
		return
	}
	hash, err := s.cfg.Files.Put(data, media.ExtFor(info.Mime))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u := store.Upload{ID: newUploadID(), Hash: hash, Mime: info.Mime, Size: int64(len(data)), Width: info.Width, Height: info.Height}
	if err := s.cfg.Store.PutUpload(r.Context(), u); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, uploadResponse{UploadID: u.ID, Width: u.Width, Height: u.Height, Mime: u.Mime, Size: u.Size})
}

// uploadCheckError answers an image that media.Checker refused.
func (s *Server) uploadCheckError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, media.ErrTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the image is larger than %d MiB", media.MaxUploadBytes>>20))
	case errors.Is(err, media.ErrTooManyPixels):
		detail := strings.TrimPrefix(err.Error(), media.ErrTooManyPixels.Error()+": ")
		writeError(w, http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("the image has too many pixels (%s); scale it down and upload it again", detail))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		s.log.Info("upload abandoned while waiting for a decode slot", "err", err)
		writeError(w, http.StatusServiceUnavailable, "busy", "the server is busy checking other images; try again")
	default:
		writeError(w, http.StatusBadRequest, "not_an_image", "the upload is not a PNG, JPEG or WebP image: "+err.Error())
	}
}

func (s *Server) uploadReadError(w http.ResponseWriter, err error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the upload is larger than %d MiB", media.MaxUploadBytes>>20))
		return
	}
	writeError(w, http.StatusBadRequest, "invalid_request", "could not read the multipart body: "+err.Error())
}

func newUploadID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
