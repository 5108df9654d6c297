package comfysim

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

type event struct {
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

func dialWS(t *testing.T, ctx context.Context, base, clientID string) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws?clientId="+clientID, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	return conn
}

func readEvent(t *testing.T, ctx context.Context, conn *websocket.Conn) event {
	t.Helper()
	_, data, err := conn.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var ev event
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatalf("frame %s: %v", data, err)
	}
	return ev
}

func TestEventSequence(t *testing.T) {
	_, srv := newTestServer(t, Options{StepDelay: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn := dialWS(t, ctx, srv.URL, "me")
	first := readEvent(t, ctx, conn)
	if first.Type != "status" || first.Data["sid"] != "me" || dig(first.Data, "status", "exec_info", "queue_remaining") != 0.0 {
		t.Fatalf("first event = %+v", first)
	}
	bystander := dialWS(t, ctx, srv.URL, "someone-else")
	readEvent(t, ctx, bystander) // its own greeting

	status, body := post(t, srv.URL+"/prompt", map[string]any{"prompt": baseGraph(), "client_id": "me"})
	if status != http.StatusOK {
		t.Fatalf("status %d %v", status, body)
	}
	id := body["prompt_id"].(string)
	var seq []string
	for {
		ev := readEvent(t, ctx, conn)
		label := ev.Type
		switch ev.Type {
		case "status":
			continue
		case "executing":
			if ev.Data["node"] == nil {
				seq = append(seq, "executing:null")
			} else {
				seq = append(seq, "executing:"+ev.Data["node"].(string))
			}
		case "progress":
			seq = append(seq, "progress:"+jsonText(ev.Data["value"])+"/"+jsonText(ev.Data["max"]))
		case "executed":
			seq = append(seq, "executed:"+ev.Data["node"].(string))
			if dig(ev.Data, "output", "images", 0, "filename") != "ComfyUI_00001_.png" {
				t.Errorf("executed output = %v", ev.Data["output"])
			}
		default:
			seq = append(seq, label)
		}
		if ev.Data["prompt_id"] != nil && ev.Data["prompt_id"] != id {
			t.Errorf("event for another prompt: %+v", ev)
		}
		if ev.Type == "executing" && ev.Data["node"] == nil {
			break
		}
	}
	want := "execution_start execution_cached executing:4 executing:6 executing:7 executing:5 executing:3 " +
		"progress:1/2 progress:2/2 executing:8 executing:9 executed:9 execution_success executing:null"
	if got := strings.Join(seq, " "); got != want {
		t.Errorf("events:\n got %s\nwant %s", got, want)
	}
	// History is written before the completion signal.
	_, hist := httpGet(t, srv.URL+"/history/"+id)
	var h map[string]any
	_ = json.Unmarshal(hist, &h)
	if dig(h, id, "status", "status_str") != "success" || dig(h, id, "outputs", "9", "images", 0, "type") != "output" ||
		dig(h, id, "prompt", 1) != id || dig(h, id, "prompt", 3, "client_id") != "me" {
		t.Errorf("history = %s", hist)
	}
	// The bystander saw only status broadcasts.
	for {
		rctx, rcancel := context.WithTimeout(ctx, 100*time.Millisecond)
		_, data, err := bystander.Read(rctx)
		rcancel()
		if err != nil {
			break
		}
		if !strings.Contains(string(data), `"type":"status"`) {
			t.Errorf("bystander received %s", data)
		}
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestInterruptOnlyNamedRunningPrompt(t *testing.T) {
	s, srv := newTestServer(t, Options{StepDelay: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn := dialWS(t, ctx, srv.URL, "me")
	readEvent(t, ctx, conn)
	g := baseGraph()
	set(g, "3", "steps", 1000)
	_, body := post(t, srv.URL+"/prompt", map[string]any{"prompt": g, "client_id": "me"})
	id := body["prompt_id"].(string)
	for ev := readEvent(t, ctx, conn); ev.Type != "progress"; ev = readEvent(t, ctx, conn) {
	}
	if status, _ := post(t, srv.URL+"/interrupt", map[string]any{"prompt_id": "not-running"}); status != http.StatusOK {
		t.Fatalf("interrupt status %d", status)
	}
	if len(s.Interrupted()) != 0 {
		t.Fatalf("interrupt of another id stopped %v", s.Interrupted())
	}
	post(t, srv.URL+"/interrupt", map[string]any{"prompt_id": id})
	for {
		ev := readEvent(t, ctx, conn)
		if ev.Type == "execution_interrupted" {
			if ev.Data["node_id"] != "3" || ev.Data["node_type"] != "KSampler" {
				t.Errorf("interrupted event = %v", ev.Data)
			}
			break
		}
	}
	if next := readEventSkipping(t, ctx, conn, "status"); next.Type != "executing" || next.Data["node"] != nil {
		t.Errorf("after interrupt got %+v, want executing null", next)
	}
	_, hist := httpGet(t, srv.URL+"/history/"+id)
	if !strings.Contains(string(hist), `"status_str":"error"`) || !strings.Contains(string(hist), "execution_interrupted") {
		t.Errorf("history = %s", hist)
	}
	if got := s.Prompts()[0].Status; got != StatusInterrupted {
		t.Errorf("status = %s", got)
	}
}

func readEventSkipping(t *testing.T, ctx context.Context, conn *websocket.Conn, skip string) event {
	t.Helper()
	for {
		if ev := readEvent(t, ctx, conn); ev.Type != skip {
			return ev
		}
	}
}
