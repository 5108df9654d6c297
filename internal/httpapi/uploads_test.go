package httpapi

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/media/mediatest"
)

// postImage uploads data in the multipart field "image".
func postImage(t *testing.T, url string, data []byte) (int, api.ErrorBody) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("image", "photo.png")
	_, _ = part.Write(data)
	_ = mw.Close()
	resp, err := http.Post(url+"/api/uploads", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out api.ErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return resp.StatusCode, out
}

// TestUploadRefusesDecompressionBombs: small files whose pixels would take
// hundreds of MiB are refused with 413 before any pixel is decoded.
func TestUploadRefusesDecompressionBombs(t *testing.T) {
	checker := media.NewChecker(media.CheckerConfig{})
	srv := httptest.NewServer(New(Config{Images: checker, Language: "en"}))
	defer srv.Close()
	tests := []struct {
		name    string
		data    []byte
		status  int
		code    string
		message string
	}{
		{"png 8192x8192 16-bit RGBA", mediatest.ZeroPNG(8192, 8192), 413, "too_large", "too many pixels (8192x8192 is 67.1 megapixels, limit 40.0)"},
		{"progressive jpeg 8192x8192", mediatest.ProgressiveJPEG(8192, 8192), 413, "too_large", "too many pixels (8192x8192 is 67.1 megapixels"},
		{"progressive jpeg 6000x6000", mediatest.ProgressiveJPEG(6000, 6000), 413, "too_large", "needs about 515 MiB to decode, limit 384 MiB"},
		{"html", []byte("<html>hello</html>"), 400, "not_an_image", "not a PNG, JPEG or WebP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := postImage(t, srv.URL, tt.data)
			if status != tt.status || string(out.Error.Code) != tt.code || !strings.Contains(out.Error.Message, tt.message) {
				t.Fatalf("answer %d %+v, want %d %s containing %q", status, out.Error, tt.status, tt.code, tt.message)
			}
		})
	}
	if n := checker.Decodes(); n != 0 {
		t.Errorf("%d full decodes, want 0", n)
	}
}
