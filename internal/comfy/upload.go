package comfy

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
)

// UploadImage stores data in ComfyUI's input folder (POST /upload/image,
// overwrite=true) and returns the name to put in LoadImage's image input:
// "name", or "subfolder/name" when ComfyUI placed it in a subfolder.
func (c *Client) UploadImage(ctx context.Context, filename string, data []byte) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("image", filename)
	if err == nil {
		_, err = part.Write(data)
	}
	if err == nil {
		err = mw.WriteField("overwrite", "true")
	}
	if err == nil {
		err = mw.WriteField("type", "input")
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", fmt.Errorf("comfy: upload image: %w", err)
	}
	resp, err := c.do(ctx, "upload image", http.MethodPost, "upload/image", nil, &body, mw.FormDataContentType())
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Name      string `json:"name"`
		Subfolder string `json:"subfolder"`
	}
	if err := decodeJSON(ctx, "upload image", resp, &out); err != nil {
		return "", err
	}
	if out.Name == "" {
		return "", fmt.Errorf("%w: upload image: no name in answer", ErrBadResponse)
	}
	if out.Subfolder != "" {
		return out.Subfolder + "/" + out.Name, nil
	}
	return out.Name, nil
}
