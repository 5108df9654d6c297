package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"

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
// are decoded to check them; the file name and declared type are ignored.
func (s *Server) createUpload(w http.ResponseWriter, r *http.Request) {
	extendBodyDeadline(w, s.cfg.Timeouts.Upload)
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
	mime, width, height, err := media.Detect(data)
	if err != nil {
		if errors.Is(err, media.ErrTooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the image is larger than %d MiB", media.MaxUploadBytes>>20))
			return
		}
		writeError(w, http.StatusBadRequest, "not_an_image", "the upload is not a PNG, JPEG or WebP image: "+err.Error())
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
	writeJSON(w, http.StatusCreated, uploadResponse{UploadID: u.ID, Width: width, Height: height, Mime: mime, Size: u.Size})
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
