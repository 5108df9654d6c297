package swarm

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// testReadLimit stands for maxWSFrame, so the test need not send 32 MiB.
const testReadLimit = 4 << 10

// TestGenerateText2ImageWSUglyStreams plays broken or failing streams.
func TestGenerateText2ImageWSUglyStreams(t *testing.T) {
	bigPNG := base64.StdEncoding.EncodeToString(make([]byte, maxImage+1024))
	tests := []struct {
		name   string
		ws     func(context.Context, *websocket.Conn, map[string]any)
		idle   time.Duration
		want   error
		hidden string // must not appear in the error text
	}{
		{"error frame mid-stream", script(statusFrame, progressFrame("0", 0.3, 0.3),
			map[string]string{"error": "ComfyUI execution error: out of memory, api_key=sekrit"}), 0, ErrGenerationFailed, "sekrit"},
		{"socket dropped before the image", func(ctx context.Context, conn *websocket.Conn, _ map[string]any) {
			sendFrame(ctx, conn, progressFrame("0", 0.5, 0.5))
			_ = conn.CloseNow()
		}, 0, ErrUnavailable, ""},
		{"abnormal close status", func(ctx context.Context, conn *websocket.Conn, _ map[string]any) {
			sendFrame(ctx, conn, progressFrame("0", 0.5, 0.5))
			_ = conn.Close(websocket.StatusInternalError, "boom")
		}, 0, ErrUnavailable, ""},
		{"normal close without images", script(statusFrame, map[string]string{"socket_intention": "close"}), 0, ErrGenerationFailed, ""},
		{"all images discarded", script(imageFrame("0", "View/a.png"), map[string]any{"discard_indices": []string{"0"}},
			map[string]string{"socket_intention": "close"}), 0, ErrGenerationFailed, ""},
		{"garbage frame", func(ctx context.Context, conn *websocket.Conn, _ map[string]any) {
			_ = conn.Write(ctx, websocket.MessageText, []byte("<html>password=hunter2</html>"))
			drain(ctx, conn)
		}, 0, ErrBadResponse, "hunter2"},
		{"bad batch index", script(imageFrame("zero", "View/a.png")), 0, ErrBadResponse, ""},
		{"data URL over the cap", script(imageFrame("0", "data:image/png;base64,"+bigPNG),
			map[string]string{"socket_intention": "close"}), 0, ErrImageTooLarge, ""},
		{"frame over the read limit", func(ctx context.Context, conn *websocket.Conn, _ map[string]any) {
			_ = conn.Write(ctx, websocket.MessageText, []byte(`{"gen_progress":{"preview":"`+strings.Repeat("A", testReadLimit)+`"}}`))
			drain(ctx, conn)
		}, 0, ErrBadResponse, ""},
		{"silence", func(ctx context.Context, conn *websocket.Conn, _ map[string]any) {
			sendFrame(ctx, conn, statusFrame)
			drain(ctx, conn)
		}, 100 * time.Millisecond, ErrUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if testing.Short() && strings.Contains(tt.name, "over the cap") {
				t.Skip("sends a 27 MiB frame")
			}
			f := newFakeSwarm(t)
			f.files["View/a.png"] = pngBytes
			f.ws = tt.ws
			c := f.client()
			if tt.idle > 0 {
				c.wsIdle = tt.idle
			}
			if strings.Contains(tt.name, "read limit") {
				c.wsReadLimit = testReadLimit
			}
			imgs, err := c.GenerateText2ImageWS(t.Context(), T2IRequest{Prompt: "x"}, nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v (images %d), want %v", err, len(imgs), tt.want)
			}
			if tt.hidden != "" && strings.Contains(err.Error(), tt.hidden) {
				t.Errorf("error shows %q: %v", tt.hidden, err)
			}
		})
	}
}

// TestGenerateText2ImageWSCancelClosesSocket cancels while SwarmUI is still
// generating: the call returns at once and the server sees its socket close.
func TestGenerateText2ImageWSCancelClosesSocket(t *testing.T) {
	f := newFakeSwarm(t)
	serverSaw := make(chan error, 1)
	f.ws = func(ctx context.Context, conn *websocket.Conn, _ map[string]any) {
		sendFrame(ctx, conn, progressFrame("0", 0.1, 0.1))
		_, _, err := conn.Read(ctx) // blocks until the client goes away
		serverSaw <- err
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := f.client().GenerateText2ImageWS(ctx, T2IRequest{Prompt: "x"}, func(Progress) { cancel() })
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("GenerateText2ImageWS did not return after cancel")
	}
	select {
	case err := <-serverSaw:
		if err == nil {
			t.Fatal("server read a frame instead of a closed socket")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the server still holds an open socket after cancel")
	}
}

// TestWSErrorsHideUserInfo dials a closed port through a base URL with
// credentials as user info.
func TestWSErrorsHideUserInfo(t *testing.T) {
	c := New("http://student:tok3n@127.0.0.1:1", nil)
	_, err := c.dialWS(t.Context())
	if err == nil || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if s := err.Error(); strings.Contains(s, "student") || strings.Contains(s, "tok3n") {
		t.Errorf("error shows the user info: %s", s)
	}
}

// drain reads until the client closes the socket (a hijacked connection's
// request context does not end when the peer leaves).
func drain(ctx context.Context, conn *websocket.Conn) {
	for {
		if _, _, err := conn.Read(ctx); err != nil {
			return
		}
	}
}
