package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/fault"
)

// loadOpenAPI parses and validates the embedded document.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	return doc
}

// TestOpenAPIDocumentsTheRouteTable: every pattern of the route table (with
// metrics and admin routes on) is a documented operation, and every
// documented operation is in the table.
func TestOpenAPIDocumentsTheRouteTable(t *testing.T) {
	doc := loadOpenAPI(t)
	s := New(Config{Metrics: NewMetrics(MetricsSources{}), AdminToken: "x"})
	var table []string
	for _, r := range s.routeTable() {
		table = append(table, r.pattern)
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(table)
	slices.Sort(documented)
	for _, p := range table {
		if !slices.Contains(documented, p) {
			t.Errorf("route %q is not in /api/openapi.json", p)
		}
	}
	for _, p := range documented {
		if !slices.Contains(table, p) {
			t.Errorf("/api/openapi.json documents %q, which no route serves", p)
		}
	}
}

// TestOpenAPIVocabulary: the error code enum is the fault table's codes, and
// every event type names a payload schema that exists.
func TestOpenAPIVocabulary(t *testing.T) {
	doc := loadOpenAPI(t)
	var enum []string
	for _, v := range doc.Components.Schemas["Code"].Value.Enum {
		enum = append(enum, v.(string))
	}
	var codes []string
	for _, c := range fault.Codes() {
		codes = append(codes, string(c))
	}
	slices.Sort(enum)
	slices.Sort(codes)
	if !slices.Equal(enum, codes) {
		t.Errorf("Code enum %v\nfault table %v", enum, codes)
	}
	events, _ := doc.Extensions["x-events"].(map[string]any)
	for _, typ := range api.EventTypes {
		ref, _ := events[string(typ)].(string)
		name, ok := strings.CutPrefix(ref, "#/components/schemas/")
		if !ok || doc.Components.Schemas[name] == nil {
			t.Errorf("event %s: x-events names %q, not a schema", typ, ref)
		}
	}
	if len(events) != len(api.EventTypes) {
		t.Errorf("x-events has %d types, package api %d", len(events), len(api.EventTypes))
	}
	class, _ := doc.Extensions["x-class-events"].(map[string]any)
	for _, typ := range api.ClassEventTypes {
		ref, _ := class[string(typ)].(string)
		name, ok := strings.CutPrefix(ref, "#/components/schemas/")
		if !ok || doc.Components.Schemas[name] == nil {
			t.Errorf("class event %s: x-class-events names %q, not a schema", typ, ref)
		}
	}
	if len(class) != len(api.ClassEventTypes) {
		t.Errorf("x-class-events has %d types, package api %d", len(class), len(api.ClassEventTypes))
	}
}

func TestOpenAPIIsServed(t *testing.T) {
	rec := httptest.NewRecorder()
	New(Config{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil))
	var doc map[string]any
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") ||
		json.Unmarshal(rec.Body.Bytes(), &doc) != nil || doc["openapi"] != "3.1.0" {
		t.Fatalf("%d %s %.80s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
}
