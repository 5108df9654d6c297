package comfysim

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func upload(t *testing.T, base, filename string, data []byte, fields map[string]string) (int, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if filename != "" {
		fw, _ := mw.CreateFormFile("image", filename)
		_, _ = fw.Write(data)
	}
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	_ = mw.Close()
	resp, err := http.Post(base+"/upload/image", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestUploadNaming(t *testing.T) {
	s, srv := newTestServer(t, Options{})
	steps := []struct {
		name     string
		data     string
		fields   map[string]string
		wantName string
	}{
		{"first", "A", nil, "a.png"},
		{"identical bytes reuse the file", "A", nil, "a.png"},
		{"clash is renamed", "B", nil, "a (1).png"},
		{"second clash", "C", nil, "a (2).png"},
		{"overwrite keeps the name", "D", map[string]string{"overwrite": "true"}, "a.png"},
		{"subfolder", "E", map[string]string{"subfolder": "sub"}, "a.png"},
	}
	for _, st := range steps {
		status, out := upload(t, srv.URL, "a.png", []byte(st.data), st.fields)
		if status != http.StatusOK || out["name"] != st.wantName || out["type"] != "input" {
			t.Errorf("%s: %d %v, want name %s", st.name, status, out, st.wantName)
		}
	}
	want := []string{"a.png", "a.png", "a (1).png", "a (2).png", "a.png", "sub/a.png"}
	if got := s.Uploads(); len(got) != len(want) || got[5] != "sub/a.png" || got[2] != "a (1).png" {
		t.Errorf("uploads = %v, want %v", got, want)
	}
	for _, c := range []struct{ q, body string }{
		{"filename=a.png&type=input", "D"}, {"filename=a%20%281%29.png&type=input", "B"},
		{"filename=a.png&type=input&subfolder=sub", "E"},
	} {
		status, data := httpGet(t, srv.URL+"/view?"+c.q)
		if status != http.StatusOK || string(data) != c.body {
			t.Errorf("view %s = %d %q, want %q", c.q, status, data, c.body)
		}
	}
	if status, out := upload(t, srv.URL, "", nil, map[string]string{"overwrite": "true"}); status != http.StatusBadRequest || out != nil {
		t.Errorf("upload without image = %d %v, want 400 with empty body", status, out)
	}
}

func TestViewErrors(t *testing.T) {
	_, srv := newTestServer(t, Options{})
	upload(t, srv.URL, "x.png", []byte("X"), nil)
	cases := []struct {
		query string
		want  int
	}{
		{url.Values{"filename": {"x.png"}, "type": {"input"}}.Encode(), http.StatusOK},
		{"", http.StatusNotFound},
		{"filename=", http.StatusBadRequest},
		{"filename=/etc/passwd", http.StatusBadRequest},
		{"filename=..%2Fx.png&type=input", http.StatusBadRequest},
		{"filename=x.png&type=models", http.StatusBadRequest},
		{"filename=x.png&type=input&subfolder=..%2F..", http.StatusForbidden},
		{"filename=x.png&type=output", http.StatusNotFound},
		{"filename=y.png&type=input", http.StatusNotFound},
	}
	for _, c := range cases {
		if status, _ := httpGet(t, srv.URL+"/view?"+c.query); status != c.want {
			t.Errorf("view?%s = %d, want %d", c.query, status, c.want)
		}
	}
}

func TestQueueDeleteAndHistory(t *testing.T) {
	s, srv := newTestServer(t, Options{StepDelay: 10 * time.Millisecond})
	long := baseGraph()
	set(long, "3", "steps", 1000)
	_, first := post(t, srv.URL+"/prompt", map[string]any{"prompt": long, "prompt_id": "running"})
	_, _ = post(t, srv.URL+"/prompt", map[string]any{"prompt": baseGraph(), "prompt_id": "pending"})
	deadline := time.Now().Add(5 * time.Second)
	var q map[string]any
	for time.Now().Before(deadline) {
		_, data := httpGet(t, srv.URL+"/queue")
		_ = json.Unmarshal(data, &q)
		if dig(q, "queue_running", 0, 1) == "running" {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if dig(q, "queue_running", 0, 1) != first["prompt_id"] || dig(q, "queue_pending", 0, 1) != "pending" {
		t.Fatalf("queue = %v", q)
	}
	_, prompt := httpGet(t, srv.URL+"/prompt")
	if string(prompt) != `{"exec_info":{"queue_remaining":2}}` {
		t.Errorf("GET /prompt = %s", prompt)
	}
	if status, _ := post(t, srv.URL+"/queue", map[string]any{"delete": []string{"pending"}}); status != http.StatusOK {
		t.Errorf("delete status %d", status)
	}
	post(t, srv.URL+"/interrupt", nil) // global
	for time.Now().Before(deadline) && s.Prompts()[0].Status == StatusRunning {
		time.Sleep(5 * time.Millisecond)
	}
	p := s.Prompts()
	if p[0].Status != StatusInterrupted || p[1].Status != StatusDeleted {
		t.Errorf("statuses = %s, %s", p[0].Status, p[1].Status)
	}
	_, h := httpGet(t, srv.URL+"/history/pending")
	if string(h) != "{}" {
		t.Errorf("history of deleted prompt = %s", h)
	}
	_, h = httpGet(t, srv.URL+"/history?max_items=1")
	var all map[string]any
	_ = json.Unmarshal(h, &all)
	if len(all) != 1 || all["running"] == nil {
		t.Errorf("history = %s", h)
	}
	post(t, srv.URL+"/history", map[string]any{"delete": []string{"running"}})
	if _, h = httpGet(t, srv.URL+"/history"); string(h) != "{}" {
		t.Errorf("history after delete = %s", h)
	}
}

func TestStartupDelay(t *testing.T) {
	_, srv := newTestServer(t, Options{StartupDelay: time.Hour})
	for _, p := range []string{"/system_stats", "/object_info", "/queue"} {
		if status, _ := httpGet(t, srv.URL+p); status != http.StatusServiceUnavailable {
			t.Errorf("%s = %d during startup, want 503", p, status)
		}
	}
}

func TestObjectInfoShapes(t *testing.T) {
	_, srv := newTestServer(t, Options{Checkpoints: []string{"only.safetensors"}})
	_, data := httpGet(t, srv.URL+"/api/object_info/CheckpointLoaderSimple")
	var info map[string]any
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatal(err)
	}
	if dig(info, "CheckpointLoaderSimple", "input", "required", "ckpt_name", 0, 0) != "only.safetensors" ||
		dig(info, "CheckpointLoaderSimple", "output", 2) != "VAE" {
		t.Errorf("object_info = %s", data)
	}
	if _, data = httpGet(t, srv.URL+"/object_info/Nope"); string(data) != "{}" {
		t.Errorf("unknown class = %s", data)
	}
	_, data = httpGet(t, srv.URL+"/system_stats")
	var st map[string]any
	_ = json.Unmarshal(data, &st)
	if dig(st, "system", "comfyui_version") == nil || dig(st, "devices", 0, "vram_total") == nil {
		t.Errorf("system_stats = %s", data)
	}
}
