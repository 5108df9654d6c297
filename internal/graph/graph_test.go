package graph

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"empty", ``, "EOF"},
		{"not json", `{"3": {`, "EOF"},
		{"array", `[1,2]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"trailing", `{} {}`, "data after"},
		{"node not object", `{"3": [1]}`, `node "3"`},
		{"node null", `{"3": null}`, `node "3"`},
		{"no class_type", `{"3": {"inputs": {}}}`, "missing class_type"},
		{"empty class_type", `{"3": {"class_type": "", "inputs": {}}}`, "non-empty string"},
		{"class_type number", `{"3": {"class_type": 5, "inputs": {}}}`, "non-empty string"},
		{"inputs not object", `{"3": {"class_type": "X", "inputs": [1]}}`, "inputs"},
		{"inputs null", `{"3": {"class_type": "X", "inputs": null}}`, "inputs"},
		{"ui format", `{"nodes": [], "links": [], "version": 0.4}`, "UI-format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestParseKeepsEverything(t *testing.T) {
	in := `{"b":{"_meta":{"title":"T","x":[1,2]},"class_type":"Custom","inputs":{"z":1.50,"a":{"deep":[1e3,null]},"s":"<&>"},"extra":true},` +
		`"10":{"class_type":"X","inputs":{}},"2":{"class_type":"Y"},"a":{"class_type":"Z","inputs":{"l":["10",0]}}}`
	g, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := g.MarshalJSON()
	want := `{"2":{"class_type":"Y"},"10":{"class_type":"X","inputs":{}},"a":{"class_type":"Z","inputs":{"l":["10",0]}},` +
		`"b":{"_meta":{"title":"T","x":[1,2]},"class_type":"Custom","inputs":{"z":1.50,"a":{"deep":[1e3,null]},"s":"<&>"},"extra":true}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if !slices.Equal(g.IDs(), []string{"2", "10", "a", "b"}) {
		t.Errorf("IDs = %v", g.IDs())
	}
	if got := g.FindByTitle("T"); !slices.Equal(got, []string{"b"}) {
		t.Errorf("FindByTitle = %v", got)
	}
	if got := g.FindByClass("X"); !slices.Equal(got, []string{"10"}) {
		t.Errorf("FindByClass = %v", got)
	}
	if c, ok := g.ClassOf("b"); !ok || c != "Custom" {
		t.Errorf("ClassOf = %q %v", c, ok)
	}
	if v, ok := g.Input("a", "l"); !ok || v != (Link{"10", 0}) {
		t.Errorf("Input link = %#v %v", v, ok)
	}
	if v, ok := g.Input("b", "z"); !ok || v != json.Number("1.50") {
		t.Errorf("Input number = %#v %v", v, ok)
	}
	if _, ok := g.Input("b", "nope"); ok {
		t.Error("Input of missing field ok")
	}
	// json.Marshal goes through MarshalJSON too.
	if b, err := json.Marshal(g); err != nil || !strings.Contains(string(b), `"z":1.50`) {
		t.Errorf("json.Marshal = %s, %v", b, err)
	}
}

func TestIDOrder(t *testing.T) {
	ids := []string{"b", "10", "007", "2", "a", "100000000000000000000000", "9", "0", "12:3"}
	sortIDs(ids)
	want := []string{"0", "2", "9", "10", "100000000000000000000000", "007", "12:3", "a", "b"}
	if !slices.Equal(ids, want) {
		t.Errorf("order = %v, want %v", ids, want)
	}
	for in, want := range map[string]string{"0": "1", "9": "10", "199": "200", "18446744073709551615": "18446744073709551616"} {
		if got := incDecimal(in); got != want {
			t.Errorf("incDecimal(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestCloneIsDeep(t *testing.T) {
	g, _ := loadGraph(t, "sd35")
	c := g.Clone()
	if _, err := c.InjectLoRAs("", mustSpecs(t, "x.safetensors:1"), nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(Binding{Title: "Positive Prompt", Field: "text"}, "changed"); err != nil {
		t.Fatal(err)
	}
	orig, _ := loadGraph(t, "sd35")
	a, _ := g.MarshalJSON()
	b, _ := orig.MarshalJSON()
	if string(a) != string(b) {
		t.Error("changing the clone changed the original")
	}
	if c.Len() != g.Len()+1 {
		t.Errorf("clone has %d nodes, original %d", c.Len(), g.Len())
	}
}

func TestUnmarshalAndReaders(t *testing.T) {
	var req struct {
		Prompt   *Graph `json:"prompt"`
		ClientID string `json:"client_id"`
	}
	body := `{"prompt":` + sdGraph + `,"client_id":"c1"}`
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	if req.Prompt == nil || req.Prompt.Len() != 3 || req.ClientID != "c1" {
		t.Fatalf("decoded %+v", req)
	}
	if got := req.Prompt.Readers(Link{"4", 1}); !slices.Equal(got, []string{"6.clip"}) {
		t.Errorf("Readers = %v", got)
	}
	if got := req.Prompt.Readers(Link{"4", 0}); !slices.Equal(got, []string{"3.model"}) {
		t.Errorf("Readers = %v", got)
	}
	var bad struct{ Prompt *Graph }
	if err := json.Unmarshal([]byte(`{"Prompt":{"1":{}}}`), &bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad prompt err = %v", err)
	}
}
