package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
)

func TestBadInputGetsJSONErrors(t *testing.T) {
	env := newEnv(t, envOptions{})
	long := strings.Repeat("x", 4001)
	cases := []struct {
		name, method, path, ctype, body string
		header                          map[string]string
		status                          int
		code                            string
	}{
		{"malformed json", "POST", "/api/runs", "application/json", `{"stages":`, nil, 400, "bad_json"},
		{"wrong content type", "POST", "/api/runs", "text/plain", `{"stages":"interception","prompt":"x"}`, nil, 415, "unsupported_media_type"},
		{"unknown field", "POST", "/api/runs", "application/json", `{"stages":"interception","prompt":"x","promt":"y"}`, nil, 400, "bad_json"},
		{"empty prompt", "POST", "/api/runs", "application/json", `{"stages":"interception","prompt":"  ","interception":"dada"}`, nil, 400, "invalid_request"},
		{"over-long prompt", "POST", "/api/runs", "application/json", `{"stages":"interception","interception":"dada","prompt":"` + long + `"}`, nil, 400, "invalid_request"},
		{"body over 1 MiB", "POST", "/api/runs", "application/json", `{"stages":"interception","prompt":"` + strings.Repeat("y", 1<<20+10) + `"}`, nil, 413, "too_large"},
		{"unknown config", "POST", "/api/runs", "application/json", `{"stages":"interception","prompt":"x","interception":"nope"}`, nil, 404, "unknown_config"},
		{"unknown output", "POST", "/api/runs", "application/json", `{"stages":"generation","text":"x","output":"nope"}`, nil, 404, "unknown_config"},
		{"bad stages", "POST", "/api/runs", "application/json", `{"stages":"everything","prompt":"x"}`, nil, 400, "invalid_request"},
		{"unknown safety level", "POST", "/api/runs", "application/json", `{"stages":"interception","prompt":"x","interception":"dada","safety_level":"toddlers"}`, nil, 400, "invalid_request"},
		{"stage all without a prompt", "POST", "/api/runs", "application/json", `{"stages":"all","interception":"dada"}`, nil, 400, "invalid_request"},
		{"user defined without rules", "POST", "/api/runs", "application/json", `{"stages":"interception","prompt":"x"}`, nil, 400, "invalid_request"},
		{"bad lora name", "POST", "/api/runs", "application/json", `{"stages":"generation","text":"x","loras":[{"name":"../etc/passwd","strength":1}]}`, nil, 400, "invalid_request"},
		{"unknown upload", "POST", "/api/runs", "application/json", `{"stages":"generation","text":"x","output":"sd35_img2img","uploads":["abcdef"]}`, nil, 404, "unknown_upload"},
		{"unknown config id", "GET", "/api/configs/nope", "", "", nil, 404, "unknown_config"},
		{"bad config kind", "GET", "/api/configs?kind=audio", "", "", nil, 400, "invalid_request"},
		{"unknown run", "GET", "/api/runs/0123abcd", "", "", nil, 404, "not_found"},
		{"unknown run events", "GET", "/api/runs/0123abcd/events", "", "", nil, 404, "not_found"},
		{"unknown run cancel", "POST", "/api/runs/0123abcd/cancel", "", "", nil, 404, "not_found"},
		{"unknown media", "GET", "/api/media/0123abcd", "", "", nil, 404, "not_found"},
		{"unknown api route", "GET", "/api/nothing", "", "", nil, 404, "not_found"},
		{"seed above 2^53-1", "POST", "/api/runs", "application/json", `{"stages":"generation","text":"x","seed":9007199254740992}`, nil, 400, "invalid_request"},
		{"seed above 2^64", "POST", "/api/runs", "application/json", `{"stages":"generation","text":"x","seed":18446744073709551616}`, nil, 400, "invalid_request"},
		{"negative seed", "POST", "/api/runs", "application/json", `{"stages":"generation","text":"x","seed":-1}`, nil, 400, "invalid_request"},
		{"nine loras", "POST", "/api/runs", "application/json", `{"stages":"generation","text":"x","loras":[` + strings.TrimSuffix(strings.Repeat(`{"name":"a.safetensors","strength":1},`, 9), ",") + `]}`, nil, 400, "invalid_request"},
		{"28000 uploads", "POST", "/api/runs", "application/json", `{"stages":"generation","text":"x","output":"sd35_img2img","uploads":[` + strings.TrimSuffix(strings.Repeat(`"abcdef",`, 28000), ",") + `]}`, nil, 400, "invalid_request"},
		{"uploads on an interception run", "POST", "/api/runs", "application/json", `{"stages":"interception","prompt":"x","interception":"dada","uploads":["abcdef"]}`, nil, 400, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, env.Server.URL+tc.path, bytes.NewBufferString(tc.body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			checkError(t, resp, tc.status, tc.code)
		})
	}
	// Nothing was stored half-way: no run exists after all those requests.
	if n := env.App.Pipeline.Active(); n != 0 {
		t.Fatalf("%d runs active after bad requests", n)
	}
}

func TestValidationMessagesSpeakTheStudentsLanguage(t *testing.T) {
	env := newEnv(t, envOptions{})
	cases := []struct {
		name, body, accept, field, want string
	}{
		{"german by default", `{"stages":"interception","interception":"dada","prompt":" "}`, "", "prompt", "Bitte schreib zuerst deine Idee auf."},
		{"english by lang", `{"stages":"interception","interception":"dada","prompt":"","lang":"en"}`, "", "prompt", "Please write your idea first."},
		{"english by Accept-Language", `{"stages":"interception","interception":"dada","prompt":""}`, "en-GB,en;q=0.9", "", "Please write your idea first."},
		{"lang wins over Accept-Language", `{"stages":"interception","interception":"dada","prompt":"","lang":"de"}`, "en", "prompt", "Bitte schreib zuerst deine Idee auf."},
		{"too long, in German", `{"stages":"interception","interception":"dada","prompt":"` + strings.Repeat("x", 4001) + `"}`, "", "prompt", "Deine Idee ist 4001 Zeichen lang; erlaubt sind 4000."},
		{"seed, in English", `{"stages":"generation","text":"x","seed":9007199254740992,"lang":"en"}`, "", "seed", "The seed must be a whole number from 0 to 9007199254740991."},
		{"a seed of the wrong type", `{"stages":"generation","text":"x","seed":-1}`, "", "seed", "Dieser Wert hat die falsche Art"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", env.Server.URL+"/api/runs", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			if tc.accept != "" {
				req.Header.Set("Accept-Language", tc.accept)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error struct{ Code, Message, Field string }
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 400 || body.Error.Code != "invalid_request" || !strings.HasPrefix(body.Error.Message, tc.want) {
				t.Fatalf("%d %+v, want 400 invalid_request %q", resp.StatusCode, body.Error, tc.want)
			}
			if tc.field != "" && body.Error.Field != tc.field {
				t.Fatalf("field %q, want %q", body.Error.Field, tc.field)
			}
		})
	}
}

func TestLastEventIDMustBeANumber(t *testing.T) {
	env := newEnv(t, envOptions{})
	id := env.startRun(t, api.RunRequest{Stages: "interception", Prompt: "x", Interception: "dada"})
	for _, bad := range []string{"abc", "-1", "1.5"} {
		req, _ := http.NewRequest("GET", env.Server.URL+"/api/runs/"+id+"/events", nil)
		req.Header.Set("Last-Event-ID", bad)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		checkError(t, resp, 400, "invalid_request")
		resp.Body.Close()
	}
}

func checkError(t *testing.T, resp *http.Response, status int, code string) {
	t.Helper()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, data)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q: %s", ct, data)
	}
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(data, &body); err != nil {
		t.Fatalf("not the JSON error shape: %s", data)
	}
	if body.Error.Code != code || body.Error.Message == "" {
		t.Fatalf("error %+v, want code %s", body.Error, code)
	}
}
