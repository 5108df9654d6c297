package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestHandlerServesTheUI(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	cases := []struct {
		name, path, ctype, cache string
		etag                     bool
		contains                 string
	}{
		{"page", "/", "text/html", "no-cache", false, `<script type="module" src="main.js`},
		{"api module", "/api.js", "text/javascript", "no-cache", true, "EventSource"},
		{"texts", "/texts.en.js", "text/javascript", "no-cache", true, "export default"},
		{"style", "/style.css", "text/css", "no-cache", true, ".tile"},
		{"join page", "/join.html", "text/html", "no-cache", true, "nicht deinen echten Namen"},
		{"teacher page", "/teacher.html", "text/html", "no-cache", true, `src="teacher.js"`},
		{"api module joins", "/api.js", "text/javascript", "no-cache", true, `"/api/join"`},
		{"admin page", "/admin.html", "text/html", "no-cache", true, `src="admin.js"`},
		{"admin module", "/admin.js", "text/javascript", "no-cache", true, "putAdminSettings"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			buf := new(bytes.Buffer)
			_, _ = buf.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) ||
				!strings.Contains(resp.Header.Get("Cache-Control"), tc.cache) || (resp.Header.Get("ETag") != "") != tc.etag ||
				!strings.Contains(buf.String(), tc.contains) {
				t.Fatalf("%s: %d %v", tc.path, resp.StatusCode, resp.Header)
			}
			if tc.etag {
				req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
				req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
				r2, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				r2.Body.Close()
				if r2.StatusCode != http.StatusNotModified {
					t.Fatalf("%s: revalidation answered %d", tc.path, r2.StatusCode)
				}
			}
		})
	}
	resp, err := http.Get(srv.URL + "/missing.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("missing file: %d", resp.StatusCode)
	}
}

// TestTextTablesHaveTheSameKeys: every UI text exists in German and
// English, and every data-i18n key of the admin page is in the tables.
func TestTextTablesHaveTheSameKeys(t *testing.T) {
	keys := func(name string) map[string]bool {
		b, err := files.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, m := range regexp.MustCompile(`(?m)^\s+(\w+):`).FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = true
		}
		return out
	}
	de, en := keys("texts.de.js"), keys("texts.en.js")
	for k := range de {
		if !en[k] {
			t.Errorf("%s is in texts.de.js, not in texts.en.js", k)
		}
	}
	for k := range en {
		if !de[k] {
			t.Errorf("%s is in texts.en.js, not in texts.de.js", k)
		}
	}
	page, err := files.ReadFile("static/admin.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`data-i18n(?:-label|-title)?="(\w+)"`).FindAllStringSubmatch(string(page), -1) {
		if !de[m[1]] {
			t.Errorf("admin.html uses %s, which the text tables lack", m[1])
		}
	}
	if !de["adminTitle"] || !de["level_research"] {
		t.Error("the admin texts are missing")
	}
}
