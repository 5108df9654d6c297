package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/color"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
	"github.com/ai4artsed/ai4artsed/internal/httpapi"
)

// exchange is one recorded request and its answer. An event stream's body
// is not recorded: its events are checked one by one.
type exchange struct {
	req     *http.Request
	reqBody []byte
	status  int
	header  http.Header
	body    []byte
}

// recorder is a RoundTripper that keeps every exchange.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	all  []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	x := exchange{req: req.Clone(context.Background())}
	if req.Body != nil {
		x.reqBody, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(x.reqBody))
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	x.status, x.header = resp.StatusCode, resp.Header.Clone()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		x.body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(x.body))
	}
	r.mu.Lock()
	r.all = append(r.all, x)
	r.mu.Unlock()
	return resp, nil
}

// TestAnswersMatchTheOpenAPIDocument runs an interception and a generation
// run (with an upload) and the other routes through the client, and
// validates every request, answer and event against /api/openapi.json.
func TestAnswersMatchTheOpenAPIDocument(t *testing.T) {
	env := newEnv(t, envOptions{})
	rec := &recorder{next: env.Server.Client().Transport}
	c := client.New(env.Server.URL, &http.Client{Transport: rec}, client.WithLanguage("en"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var events []api.Event
	follow := func(req api.RunRequest) {
		t.Helper()
		created, err := c.StartRun(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := c.Wait(ctx, created.RunID)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, evs...)
		if _, err := c.Run(ctx, created.RunID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Cancel(ctx, created.RunID); client.StatusOf(err) != http.StatusConflict {
			t.Fatalf("cancel a finished run: %v", err)
		}
		for _, e := range evs {
			if e.Type == api.EventMedia {
				var m api.MediaEvent
				_ = json.Unmarshal(e.Data, &m)
				body, _, err := c.Media(ctx, m.MediaID)
				if err != nil {
					t.Fatal(err)
				}
				body.Close()
			}
		}
	}
	follow(api.RunRequest{Stages: api.StagesInterception, Prompt: "a house of glass", Interception: "dada", Lang: "en"})
	up, err := c.Upload(ctx, "in.png", bytes.NewReader(pngBytes(t, 32, 32, color.White)))
	if err != nil {
		t.Fatal(err)
	}
	follow(api.RunRequest{Stages: api.StagesGeneration, Text: "a glass house", Output: "sd35_img2img", Seed: new(uint64(7)), Uploads: []string{up.UploadID}})
	follow(api.RunRequest{Stages: api.StagesGeneration, Text: "a glass house", Output: "sd35_large",
		LoRAs: []api.LoRA{{Name: "not_installed.safetensors", Strength: 0.5}}}) // fails: an error event
	calls := []func() error{
		func() error { _, err := c.Configs(ctx, ""); return err },
		func() error { _, err := c.Configs(ctx, api.KindOutput); return err },
		func() error { _, err := c.Config(ctx, "dada"); return err },
		func() error { _, err := c.Config(ctx, "sd35_large"); return err },
		func() error { _, err := c.Backends(ctx); return err },
		func() error { _, err := c.Info(ctx); return err },
		func() error { _, err := c.Health(ctx); return err },
	}
	for _, call := range calls {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	for _, call := range []func() error{ // error answers
		func() error { _, err := c.Run(ctx, "nope"); return err },
		func() error { _, err := c.Config(ctx, "nope"); return err },
		func() error { _, err := c.Configs(ctx, "audio"); return err },
		func() error {
			_, err := c.StartRun(ctx, api.RunRequest{Stages: api.StagesInterception, Prompt: " ", Interception: "dada"})
			return err
		},
		func() error { return c.Follow(ctx, "nope", 0, func(api.Event) error { return nil }) },
	} {
		if client.StatusOf(call()) == 0 {
			t.Fatal("an error call did not answer an error body")
		}
	}

	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: env.Server.URL}} // the document says "/": this server
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, x := range rec.all {
		validateExchange(t, router, x)
		route, _, _ := router.FindRoute(x.req)
		if route != nil {
			seen[x.req.Method+" "+route.Path] = true
		}
	}
	for _, want := range []string{"POST /api/runs", "GET /api/runs/{id}/events", "GET /api/media/{id}", "POST /api/uploads", "POST /api/runs/{id}/cancel"} {
		if !seen[want] {
			t.Errorf("no exchange of %s was checked", want)
		}
	}
	validateEvents(t, doc, events)
}

// validateExchange checks one request and its answer against the document.
func validateExchange(t *testing.T, router routers.Router, x exchange) {
	t.Helper()
	what := x.req.Method + " " + x.req.URL.Path
	route, params, err := router.FindRoute(x.req)
	if err != nil {
		t.Errorf("%s: not in the document: %v", what, err)
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	req := x.req.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(x.reqBody))
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if isJSONType(x.req.Header.Get("Content-Type")) {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s: request does not match: %v", what, err)
		}
	}
	respOpts := *opts
	respOpts.ExcludeResponseBody = !isJSONType(x.header.Get("Content-Type"))
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: x.status, Header: x.header,
		Body: io.NopCloser(bytes.NewReader(x.body)), Options: &respOpts}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s: answer %d does not match: %v\n%.300s", what, x.status, err, x.body)
	}
}

// validateEvents checks each event's payload against the schema x-events
// names for its type.
func validateEvents(t *testing.T, doc *openapi3.T, events []api.Event) {
	t.Helper()
	names, _ := doc.Extensions["x-events"].(map[string]any)
	seen := map[api.EventType]bool{}
	for _, e := range events {
		ref, _ := names[string(e.Type)].(string)
		schema := doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
		if schema == nil {
			t.Errorf("event %s: no schema", e.Type)
			continue
		}
		var v any
		if err := json.Unmarshal(e.Data, &v); err != nil {
			t.Errorf("event %s: %v", e.Type, err)
			continue
		}
		if err := schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("event %s %s does not match %s: %v", e.Type, e.Data, ref, err)
		}
		seen[e.Type] = true
	}
	for _, typ := range []api.EventType{api.EventRun, api.EventStage, api.EventChunk, api.EventText, api.EventProgress, api.EventMedia, api.EventError, api.EventDone} {
		if !seen[typ] {
			t.Errorf("no %s event was checked", typ)
		}
	}
}

func isJSONType(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "application/json"
}
