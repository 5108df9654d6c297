package comfy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
)

// imageRef names one output file as history lists it.
type imageRef struct {
	Filename  string `json:"filename"`
	Subfolder string `json:"subfolder"`
	Type      string `json:"type"`
}

// historyEntry is the part of a /history/{id} value Generate needs.
type historyEntry struct {
	id      string
	Outputs map[string]struct {
		Images []imageRef `json:"images"`
	} `json:"outputs"`
	Status *struct {
		StatusStr string              `json:"status_str"`
		Completed bool                `json:"completed"`
		Messages  [][]json.RawMessage `json:"messages"`
	} `json:"status"`
}

// historyEntry returns prompt id's entry, or nil while it is not finished.
func (c *Client) historyEntry(ctx context.Context, id string) (*historyEntry, error) {
	var all map[string]*historyEntry
	if err := c.getJSON(ctx, "history", "history/"+url.PathEscape(id), nil, &all); err != nil {
		return nil, err
	}
	e := all[id]
	if e == nil {
		return nil, nil
	}
	e.id = id
	return e, nil
}

// failure turns an unsuccessful entry into the matching error.
func (e *historyEntry) failure() error {
	if e.Status == nil || e.Status.StatusStr != "error" {
		return nil
	}
	for _, m := range e.Status.Messages {
		if len(m) != 2 {
			continue
		}
		var typ string
		_ = json.Unmarshal(m[0], &typ)
		var ev promptEvent
		_ = json.Unmarshal(m[1], &ev)
		switch typ {
		case "execution_error":
			return &ExecutionError{PromptID: e.id, NodeID: ev.NodeID, NodeType: ev.NodeType,
				ExceptionType: ev.ExceptionType, Message: strings.TrimSpace(ev.ExceptionMsg)}
		case "execution_interrupted":
			return fmt.Errorf("%w: prompt %s at node %s (%s)", ErrInterrupted, e.id, ev.NodeID, ev.NodeType)
		}
	}
	return fmt.Errorf("%w: prompt %s failed without an error message", ErrBadResponse, e.id)
}

// refs picks the images of outputNode, or of every output node in id order
// ("output" files preferred over previews when both exist).
func (e *historyEntry) refs(outputNode string) ([]imageRef, error) {
	if outputNode != "" {
		out, ok := e.Outputs[outputNode]
		if !ok || len(out.Images) == 0 {
			return nil, fmt.Errorf("%w: node %s of prompt %s", ErrNoImages, outputNode, e.id)
		}
		return out.Images, nil
	}
	ids := make([]string, 0, len(e.Outputs))
	for id := range e.Outputs {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	var saved, all []imageRef
	for _, id := range ids {
		for _, img := range e.Outputs[id].Images {
			all = append(all, img)
			if img.Type == "output" {
				saved = append(saved, img)
			}
		}
	}
	if len(saved) > 0 {
		return saved, nil
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%w: prompt %s", ErrNoImages, e.id)
	}
	return all, nil
}

// collect checks a finished entry and downloads its images.
func (c *Client) collect(ctx context.Context, e *historyEntry, outputNode string) ([]Image, error) {
	if err := e.failure(); err != nil {
		return nil, err
	}
	refs, err := e.refs(outputNode)
	if err != nil {
		return nil, err
	}
	images := make([]Image, 0, len(refs))
	for _, r := range refs {
		if r.Filename == "" {
			continue
		}
		img, err := c.View(ctx, r.Filename, r.Subfolder, r.Type)
		if err != nil {
			return nil, err
		}
		images = append(images, *img)
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("%w: prompt %s", ErrNoImages, e.id)
	}
	return images, nil
}

// View downloads one file with GET /view; typ "" means "output". A file
// over media.MaxUploadBytes is ErrImageTooLarge, refused from its
// Content-Length when ComfyUI sends one and otherwise read no further.
func (c *Client) View(ctx context.Context, filename, subfolder, typ string) (*Image, error) {
	if typ == "" {
		typ = "output"
	}
	q := url.Values{"filename": {filename}, "type": {typ}}
	if subfolder != "" {
		q.Set("subfolder", subfolder)
	}
	op := "view " + filename
	resp, err := c.do(ctx, op, http.MethodGet, "view", q, nil, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.ContentLength > maxImageBody {
		return nil, fmt.Errorf("%w: %s: %d bytes, limit %d", ErrImageTooLarge, op, resp.ContentLength, maxImageBody)
	}
	ct := resp.Header.Get("Content-Type")
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxImageBody+1))
	if err != nil {
		return nil, transportError(ctx, op, err)
	}
	if len(data) > maxImageBody {
		return nil, fmt.Errorf("%w: %s: over %d bytes", ErrImageTooLarge, op, maxImageBody)
	}
	mt, _, _ := mime.ParseMediaType(ct)
	if mt == "text/html" || mt == "application/json" || len(data) == 0 {
		return nil, badBody(op, resp.StatusCode, ct, "not an image", data)
	}
	if !strings.HasPrefix(mt, "image/") {
		mt = mime.TypeByExtension(strings.ToLower(path.Ext(filename)))
		if mt == "" {
			mt = "application/octet-stream"
		}
	}
	return &Image{Filename: filename, Subfolder: subfolder, Type: typ, Mime: mt, Data: data}, nil
}

// parsePromptError reads a 400 answer of POST /prompt; nil if it is not one.
func parsePromptError(data []byte) *PromptError {
	var body struct {
		Error *struct {
			Type    string `json:"type"`
			Message string `json:"message"`
			Details string `json:"details"`
		} `json:"error"`
		NodeErrors map[string]struct {
			ClassType string `json:"class_type"`
			Errors    []struct {
				Type      string `json:"type"`
				Message   string `json:"message"`
				Details   string `json:"details"`
				ExtraInfo struct {
					InputName     string          `json:"input_name"`
					ReceivedValue json.RawMessage `json:"received_value"`
				} `json:"extra_info"`
			} `json:"errors"`
		} `json:"node_errors"`
	}
	if json.Unmarshal(data, &body) != nil || body.Error == nil {
		return nil
	}
	pe := &PromptError{Type: body.Error.Type, Message: body.Error.Message, Details: body.Error.Details}
	for id, ne := range body.NodeErrors {
		for _, e := range ne.Errors {
			pe.Nodes = append(pe.Nodes, NodeError{NodeID: id, ClassType: ne.ClassType, Type: e.Type, Message: e.Message,
				Details: e.Details, InputName: e.ExtraInfo.InputName, Value: scalarText(e.ExtraInfo.ReceivedValue)})
		}
	}
	sortNodeErrors(pe.Nodes)
	return pe
}

// scalarText renders a JSON string or number as text; other values as "".
func scalarText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
