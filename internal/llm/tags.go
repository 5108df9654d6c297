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
	return o.modelList(ctx, "/api/tags")
}

// Loaded lists the models loaded in memory now (GET /api/ps).
func (o *Ollama) Loaded(ctx context.Context) ([]string, error) {
	return o.modelList(ctx, "/api/ps")
}

func (o *Ollama) modelList(ctx context.Context, route string) ([]string, error) {
	var list struct {
		Models []struct {
			Name string `json:"name"`
		} `json:"models"`
	}
	if err := o.t.getJSON(ctx, o.base+route, nil, &list); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list.Models))
	for _, m := range list.Models {
		names = append(names, m.Name)
	}
	return names, nil
}

// Models lists the server's models (GET /v1/models): the ids its chat
// calls take. Errors are classified like Chat's.
func (o *OpenAI) Models(ctx context.Context) ([]string, error) {
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	var h http.Header
	if o.apiKey != "" {
		h = http.Header{"Authorization": {"Bearer " + o.apiKey}}
	}
	if err := o.t.getJSON(ctx, strings.TrimSuffix(o.url, "/chat/completions")+"/models", h, &list); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list.Data))
	for _, m := range list.Data {
		names = append(names, m.ID)
	}
	return names, nil
}

// getJSON GETs url and decodes its JSON answer into v, classifying errors
// like Chat's.
func (t *transport) getJSON(ctx context.Context, url string, h http.Header, v any) error {
	callCtx, cancel := t.callContext(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(callCtx, http.MethodGet, url, nil)
	if err != nil {
		return newKindError(ErrNotConfigured, err, "llm: %s: build request", t.provider)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	resp, err := t.send(ctx, callCtx, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return t.statusError(resp, func(msg string) error {
			return &StatusError{Provider: t.provider, StatusCode: resp.StatusCode, Message: msg}
		})
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxLine)).Decode(v); err != nil {
		if cerr := t.ctxError(ctx, callCtx); cerr != nil {
			return cerr
		}
		return newKindError(ErrBadResponse, err, "llm: %s: decode %s", t.provider, req.URL.Path)
	}
	return nil
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

// OllamaName is name as Ollama lists it: with its default tag ":latest"
// when it has none.
func OllamaName(name string) string { return withTag(name) }

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
