package llm

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// Models lists the models installed on the Ollama server (GET /api/tags),
// as full names such as "llama3.2:3b". Use it to check at start that the
// configured models exist. Errors are classified like Chat's.
func (o *Ollama) Models(ctx context.Context) ([]string, error) {
	callCtx, cancel := o.t.callContext(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(callCtx, http.MethodGet, o.base+"/api/tags", nil)
	if err != nil {
		return nil, newKindError(ErrNotConfigured, err, "llm: ollama: build request")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := o.t.send(ctx, callCtx, req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, o.t.statusError(resp, func(msg string) error {
			return &StatusError{Provider: o.t.provider, StatusCode: resp.StatusCode, Message: msg}
		})
	}
	var list struct {
		Models []struct {
			Name string `json:"name"`
		} `json:"models"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxLine)).Decode(&list); err != nil {
		if cerr := o.t.ctxError(ctx, callCtx); cerr != nil {
			return nil, cerr
		}
		return nil, newKindError(ErrBadResponse, err, "llm: ollama: decode model list")
	}
	names := make([]string, 0, len(list.Models))
	for _, m := range list.Models {
		names = append(names, m.Name)
	}
	return names, nil
}

// Missing returns the names among want that the server does not have, in
// their order. A name without tag means name:latest, as in Ollama.
func (o *Ollama) Missing(ctx context.Context, want []string) ([]string, error) {
	have, err := o.Models(ctx)
	if err != nil {
		return nil, err
	}
	installed := make(map[string]bool, len(have))
	for _, n := range have {
		installed[withTag(n)] = true
	}
	var missing []string
	for _, n := range want {
		if !installed[withTag(n)] {
			missing = append(missing, n)
		}
	}
	return missing, nil
}

// withTag adds Ollama's default tag to a model name without one.
func withTag(name string) string {
	if strings.Contains(name[strings.LastIndex(name, "/")+1:], ":") {
		return name
	}
	return name + ":latest"
}

// Version asks the server for its version (GET /api/version), as a cheap
// health probe. Errors are classified like Chat's.
func (o *Ollama) Version(ctx context.Context) (string, error) {
	callCtx, cancel := o.t.callContext(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(callCtx, http.MethodGet, o.base+"/api/version", nil)
	if err != nil {
		return "", newKindError(ErrNotConfigured, err, "llm: ollama: build request")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := o.t.send(ctx, callCtx, req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", o.t.statusError(resp, func(msg string) error {
			return &StatusError{Provider: o.t.provider, StatusCode: resp.StatusCode, Message: msg}
		})
	}
	var v struct {
		Version string `json:"version"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&v); err != nil {
		if cerr := o.t.ctxError(ctx, callCtx); cerr != nil {
			return "", cerr
		}
		return "", newKindError(ErrBadResponse, err, "llm: ollama: decode version")
	}
	return v.Version, nil
}
