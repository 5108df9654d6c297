package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
)

// seen is what the fake server saw of one request.
type seen struct {
	method, path, query, ctype, clientID, lang, body string
}

// fakeAPI answers every request with status, ctype and body, recording it.
func fakeAPI(t *testing.T, status int, ctype, body string) (*httptest.Server, *seen) {
	t.Helper()
	var s seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		s = seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("X-Client-ID"),
			r.Header.Get("Accept-Language"), string(data)}
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &s
}

func TestRoutes(t *testing.T) {
	seed := uint64(42)
	cases := []struct {
		name         string
		status       int
		answer       string
		call         func(ctx context.Context, c *Client) (any, error)
		method, path string
		check        func(t *testing.T, got any, s *seen)
	}{
		{"configs of a kind", 200, `{"configs":[{"id":"dada","kind":"interception","name":{"de":"Dada","en":"Dada"}}]}`,
			func(ctx context.Context, c *Client) (any, error) { return c.Configs(ctx, api.KindInterception) },
			"GET", "/api/configs", func(t *testing.T, got any, s *seen) {
				l := got.(*api.ConfigList)
				if s.query != "kind=interception" || len(l.Configs) != 1 || l.Configs[0].Name.Get("en") != "Dada" {
					t.Fatalf("%+v %+v", s, l)
				}
			}},
		{"one config", 200, `{"kind":"output","config":{"id":"sd35_large"}}`,
			func(ctx context.Context, c *Client) (any, error) { return c.Config(ctx, "sd35_large") },
			"GET", "/api/configs/sd35_large", func(t *testing.T, got any, s *seen) {
				if d := got.(*api.ConfigDetail); d.Kind != "output" || !strings.Contains(string(d.Config), "sd35_large") {
					t.Fatalf("%+v", d)
				}
			}},
		{"start a run", 202, `{"run_id":"r1","events_url":"/api/runs/r1/events","state":"queued"}`,
			func(ctx context.Context, c *Client) (any, error) {
				return c.StartRun(ctx, api.RunRequest{Stages: api.StagesGeneration, Text: "a cat", Seed: &seed})
			},
			"POST", "/api/runs", func(t *testing.T, got any, s *seen) {
				if r := got.(*api.RunCreated); r.RunID != "r1" || r.State != api.StateQueued {
					t.Fatalf("%+v", r)
				}
				if s.ctype != "application/json" || s.body != `{"stages":"generation","text":"a cat","seed":42}` {
					t.Fatalf("sent %q %s", s.ctype, s.body)
				}
			}},
		{"a run's record", 200, `{"run_id":"r1","state":"done","results":[{"stage":2,"name":"interception","status":"done","text":"x"}],"media":[]}`,
			func(ctx context.Context, c *Client) (any, error) { return c.Run(ctx, "r1") },
			"GET", "/api/runs/r1", func(t *testing.T, got any, s *seen) {
				if r := got.(*api.Run); r.State != api.StateDone || len(r.Results) != 1 || r.Results[0].Text != "x" {
					t.Fatalf("%+v", r)
				}
			}},
		{"cancel", 202, `{"run_id":"r1","status":"cancelling"}`,
			func(ctx context.Context, c *Client) (any, error) { return c.Cancel(ctx, "r1") },
			"POST", "/api/runs/r1/cancel", func(t *testing.T, got any, s *seen) {
				if a := got.(*api.CancelAnswer); a.Status != api.CancelCancelling {
					t.Fatalf("%+v", a)
				}
			}},
		{"upload", 201, `{"upload_id":"u1","width":2,"height":3,"mime":"image/png","size":9}`,
			func(ctx context.Context, c *Client) (any, error) {
				return c.Upload(ctx, "a.png", strings.NewReader("PNGBYTES"))
			},
			"POST", "/api/uploads", func(t *testing.T, got any, s *seen) {
				if u := got.(*api.Upload); u.UploadID != "u1" || u.Height != 3 {
					t.Fatalf("%+v", u)
				}
				if !strings.HasPrefix(s.ctype, "multipart/form-data") || !strings.Contains(s.body, `name="image"; filename="a.png"`) ||
					!strings.Contains(s.body, "PNGBYTES") {
					t.Fatalf("sent %q %s", s.ctype, s.body)
				}
			}},
		{"backends", 200, `{"backends":[{"name":"ollama","kind":"llm","state":"up"}]}`,
			func(ctx context.Context, c *Client) (any, error) { return c.Backends(ctx) },
			"GET", "/api/backends", func(t *testing.T, got any, s *seen) {
				if b := got.(*api.BackendList); len(b.Backends) != 1 || b.Backends[0].State != "up" {
					t.Fatalf("%+v", b)
				}
			}},
		{"info", 200, `{"demo":true,"max_prompt_chars":4000}`,
			func(ctx context.Context, c *Client) (any, error) { return c.Info(ctx) },
			"GET", "/api/info", func(t *testing.T, got any, s *seen) {
				if i := got.(*api.Info); !i.Demo || i.MaxPromptChars != 4000 {
					t.Fatalf("%+v", i)
				}
			}},
		{"health", 200, `{"status":"ok"}`,
			func(ctx context.Context, c *Client) (any, error) { return c.Health(ctx) },
			"GET", "/healthz", func(t *testing.T, got any, s *seen) {
				if h := got.(*api.Health); h.Status != "ok" {
					t.Fatalf("%+v", h)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, s := fakeAPI(t, tc.status, "application/json; charset=utf-8", tc.answer)
			c := New(srv.URL+"/", srv.Client(), WithClientID("browser-1"), WithLanguage("en"))
			got, err := tc.call(t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			if s.method != tc.method || s.path != tc.path || s.clientID != "browser-1" || s.lang != "en" {
				t.Fatalf("request %+v, want %s %s with the client's headers", s, tc.method, tc.path)
			}
			tc.check(t, got, s)
		})
	}
}

func TestErrorAnswers(t *testing.T) {
	cases := []struct {
		name, ctype, body string
		status            int
		check             func(t *testing.T, err error)
	}{
		{"our error body", "application/json; charset=utf-8",
			`{"error":{"code":"invalid_request","message":"The prompt is empty.","field":"prompt"}}`, 400,
			func(t *testing.T, err error) {
				var e *Error
				if !errors.As(err, &e) || e.Status != 400 || e.Code != api.CodeInvalidRequest || e.Field != "prompt" {
					t.Fatalf("err = %#v", err)
				}
				if StatusOf(err) != 400 || !strings.Contains(err.Error(), "invalid_request") {
					t.Fatalf("%v", err)
				}
			}},
		{"an HTML error page", "text/html", "<html><body>502 Bad Gateway</body></html>", 502,
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrBadAnswer) || StatusOf(err) != 0 || !strings.Contains(err.Error(), "502") {
					t.Fatalf("err = %v", err)
				}
			}},
		{"JSON that is not our error body", "application/json", `{"message":"nope"}`, 500,
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrBadAnswer) {
					t.Fatalf("err = %v", err)
				}
			}},
		{"a 200 that is not JSON", "text/plain", "ok", 200,
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrBadAnswer) {
					t.Fatalf("err = %v", err)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := fakeAPI(t, tc.status, tc.ctype, tc.body)
			_, err := New(srv.URL, srv.Client()).Info(t.Context())
			tc.check(t, err)
		})
	}
}

func TestMedia(t *testing.T) {
	srv, s := fakeAPI(t, 200, "image/png", "\x89PNG...")
	body, mime, err := New(srv.URL, srv.Client()).Media(t.Context(), "m1")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	data, _ := io.ReadAll(body)
	if s.path != "/api/media/m1" || mime != "image/png" || string(data) != "\x89PNG..." {
		t.Fatalf("%s %q %q", s.path, mime, data)
	}
}
