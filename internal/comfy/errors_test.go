package comfy_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/comfy"
	"github.com/ai4artsed/ai4artsed/internal/sim/comfysim"
)

func TestPromptErrorNamesNodeAndInput(t *testing.T) {
	env := newSimEnv(t, comfysim.Options{})
	_, err := env.client.Generate(context.Background(), comfy.Job{Graph: txt2img{prompt: "x", ckpt: "x.safetensors"}.graph()})
	var pe *comfy.PromptError
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v, want *PromptError", err)
	}
	if pe.Type != "prompt_outputs_failed_validation" || len(pe.Nodes) != 1 {
		t.Fatalf("prompt error = %+v", pe)
	}
	n := pe.Nodes[0]
	if n.NodeID != "4" || n.ClassType != "CheckpointLoaderSimple" || n.Type != "value_not_in_list" || n.InputName != "ckpt_name" || n.Value != "x.safetensors" {
		t.Errorf("node error = %+v", n)
	}
	want := "comfy: workflow rejected: node 4 (CheckpointLoaderSimple) input ckpt_name: value not in list: 'x.safetensors'"
	if err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err, want)
	}
	if len(env.sim.Prompts()) != 0 {
		t.Errorf("a rejected prompt was queued")
	}
}

func TestPromptErrorWithoutNodes(t *testing.T) {
	env := newSimEnv(t, comfysim.Options{})
	graph := []byte(`{"1":{"class_type":"NoSuchNode","inputs":{}}}`)
	_, err := env.client.Generate(context.Background(), comfy.Job{Graph: graph})
	var pe *comfy.PromptError
	if !errors.As(err, &pe) || pe.Type != "invalid_prompt" {
		t.Fatalf("error = %v, want invalid_prompt", err)
	}
	if !strings.Contains(err.Error(), "NoSuchNode") {
		t.Errorf("message %q does not name the node type", err)
	}
}

func TestExecutionError(t *testing.T) {
	env := newSimEnv(t, comfysim.Options{})
	name, err := env.client.UploadImage(context.Background(), "broken.png", []byte("not an image"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.client.Generate(context.Background(), comfy.Job{Graph: img2img("p", name), Timeout: 10 * time.Second})
	var ee *comfy.ExecutionError
	if !errors.As(err, &ee) {
		t.Fatalf("error = %v, want *ExecutionError", err)
	}
	if ee.NodeID != "10" || ee.NodeType != "LoadImage" || ee.ExceptionType == "" || ee.PromptID == "" {
		t.Errorf("execution error = %+v", ee)
	}
}

func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestServerDown(t *testing.T) {
	c := comfy.New("http://"+closedAddr(t), nil)
	ctx := context.Background()
	if _, err := c.SystemStats(ctx); !errors.Is(err, comfy.ErrUnavailable) {
		t.Errorf("SystemStats error = %v, want ErrUnavailable", err)
	}
	if _, err := c.Generate(ctx, comfy.Job{Graph: txt2img{}.graph()}); !errors.Is(err, comfy.ErrUnavailable) {
		t.Errorf("Generate error = %v, want ErrUnavailable", err)
	}
	if _, err := c.UploadImage(ctx, "a.png", []byte{1}); !errors.Is(err, comfy.ErrUnavailable) {
		t.Errorf("UploadImage error = %v, want ErrUnavailable", err)
	}
}

func TestBadResponses(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    error
	}{
		{"html page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><body>Login</body></html>"))
		}, comfy.ErrBadResponse},
		{"garbage", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("\x00\x01garbage")) }, comfy.ErrBadResponse},
		{"html error status", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("Permission denied."))
		}, comfy.ErrBadResponse},
		{"bad gateway", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }, comfy.ErrUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			c := comfy.New(srv.URL, srv.Client())
			ctx := context.Background()
			if _, err := c.SystemStats(ctx); !errors.Is(err, tc.want) {
				t.Errorf("SystemStats error = %v, want %v", err, tc.want)
			}
			if _, err := c.Generate(ctx, comfy.Job{Graph: txt2img{}.graph(), Timeout: 5 * time.Second}); !errors.Is(err, tc.want) {
				t.Errorf("Generate error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestStartupDelayIsUnavailable(t *testing.T) {
	env := newSimEnv(t, comfysim.Options{StartupDelay: time.Hour})
	if _, err := env.client.SystemStats(context.Background()); !errors.Is(err, comfy.ErrUnavailable) {
		t.Errorf("SystemStats error = %v, want ErrUnavailable", err)
	}
}
