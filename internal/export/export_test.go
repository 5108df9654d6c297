package export

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/media"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// classFixture is a workshop "w1" with a run that made two images, a run
// blocked at stage 1 whose idea is a spreadsheet formula, and an
// interception run; a run of another workshop and one without a workshop.
func classFixture(t *testing.T) (*fixture, store.Workshop, [][]byte) {
	t.Helper()
	f := newFixture(t)
	ws := f.workshop(t, "w1", "ABCDEFG", map[string]string{"dev1": "Blauer Wal", "dev2": "@Fuchs"})
	f.workshop(t, "w2", "HJKMNPQ", map[string]string{"dev3": "Igel"})

	f.run(t, "run-a", "dev1", store.StateDone, base.Add(time.Minute),
		`{"stages":"generation","text":"Ein Haus aus Wolken, bunt","interception":"dada","output":"sd35","safety_level":"kids","workshop_id":"w1"}`,
		store.StageResult{Stage: 3, Name: "optimization", Status: store.StageDone, Text: "A house made of clouds, colourful, watercolor",
			Verdict: "safe", Model: "mistral", Detail: json.RawMessage(`{"level":"kids","verdict":"safe","input":"Ein Haus aus Wolken, bunt",
			"translation":"A house made of clouds, colourful","translated":true,"optimized":true,
			"texts":[{"field":"translation","judge":{"model":"llama-guard"}}]}`)},
		store.StageResult{Stage: 4, Name: "generation", Status: store.StageDone, Text: "A house made of clouds, colourful, watercolor, dada style",
			Verdict: "safe", Model: "sd3.5_large", Backend: "comfyui",
			Detail: json.RawMessage(`{"output":"sd35","seed":4242,"loras":[{"name":"dada.safetensors","strength":0.8,"trigger":"dada style"}]}`)})
	imgs := [][]byte{noisePNG(t, 64, 40, 1), noisePNG(t, 64, 40, 2)}
	f.image(t, "run-a", "m1", imgs[0], 4242, base.Add(2*time.Minute))
	f.image(t, "run-a", "m2", imgs[1], 4243, base.Add(3*time.Minute))

	f.run(t, "run-b", "dev2", store.StateBlocked, base.Add(2*time.Minute),
		`{"stages":"interception","prompt":"=HYPERLINK(\"http://evil\")","interception":"own","context":"+Regeln","safety_level":"kids"}`,
		store.StageResult{Stage: 1, Name: "safety", Status: store.StageDone, Verdict: "blocked", Model: "llama-guard",
			Detail: json.RawMessage(`{"level":"kids","verdict":"blocked","texts":[{"field":"prompt","judge":{"model":"llama-guard"}}]}`)})
	f.run(t, "run-c", "dev1", store.StateDone, base.Add(3*time.Minute),
		`{"stages":"interception","prompt":"ein Haus","interception":"dada","safety_level":"kids"}`,
		store.StageResult{Stage: 1, Name: "safety", Status: store.StageDone, Verdict: "safe"},
		store.StageResult{Stage: 2, Name: "interception", Status: store.StageDone, Text: "Ein Haus aus Wolken", Model: "llama3",
			Detail: json.RawMessage(`{"interception":"dada","context":"Sei Dada."}`)})
	f.run(t, "other-ws", "dev3", store.StateDone, base, `{"prompt":"nicht hier"}`)
	if err := f.db.CreateRun(context.Background(), &store.Run{ID: "no-ws", ClientID: "c:dev1", Input: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	return f, ws, imgs
}

// readZip opens an archive and returns its files by name, in order.
func readZip(t *testing.T, b []byte) ([]string, map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	var names []string
	files := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		names = append(names, zf.Name)
		files[zf.Name] = data
	}
	return names, files
}

func TestExportContents(t *testing.T) {
	f, ws, imgs := classFixture(t)
	for _, pageSize := range []int{1, 2, 50} {
		t.Run("page size "+string(rune('0'+pageSize%10)), func(t *testing.T) {
			e := New(f.db, f.files)
			e.PageSize = pageSize
			e.Now = func() time.Time { return base.Add(time.Hour) }
			var buf bytes.Buffer
			c, err := e.Write(context.Background(), &buf, ws)
			if err != nil {
				t.Fatal(err)
			}
			if c != (Counts{Runs: 3, Devices: 2, Media: 2}) {
				t.Errorf("counts %+v", c)
			}
			names, files := readZip(t, buf.Bytes())
			want := []string{"runs.jsonl", "summary.csv", "media/run-a-1.png", "media/run-a-2.png", "export.json"}
			if !slices.Equal(names, want) {
				t.Fatalf("entries %v, want %v", names, want)
			}
			for i, img := range imgs {
				if !bytes.Equal(files[want[2+i]], img) {
					t.Errorf("%s differs from the stored image", want[2+i])
				}
			}
			checkJSONL(t, files["runs.jsonl"])
			checkCSV(t, files["summary.csv"])
			var m Manifest
			if err := json.Unmarshal(files["export.json"], &m); err != nil || m.WorkshopID != "w1" || m.Format != FormatVersion ||
				m.Counts != c || !m.ExportedAt.Equal(base.Add(time.Hour)) {
				t.Errorf("manifest %+v %v", m, err)
			}
		})
	}
}

func checkJSONL(t *testing.T, b []byte) {
	t.Helper()
	var recs []Record
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 3 || recs[0].RunID != "run-a" || recs[1].RunID != "run-b" || recs[2].RunID != "run-c" {
		t.Fatalf("records %+v", recs)
	}
	a, bl, c := recs[0], recs[1], recs[2]
	if a.Device != "dev1" || a.Nickname != "Blauer Wal" || a.State != "done" || a.SafetyLevel != "kids" ||
		a.Interception != "dada" || a.Output != "sd35" || a.Seed != 4242 || !slices.Equal(a.Models, []string{"mistral", "llama-guard", "sd3.5_large"}) {
		t.Errorf("run-a %+v", a)
	}
	wantRev := []Revision{{Step: "student_text", Text: "Ein Haus aus Wolken, bunt"}, {Step: "translation", Text: "A house made of clouds, colourful"},
		{Step: "optimized", Text: "A house made of clouds, colourful, watercolor"}, {Step: "image_prompt", Text: "A house made of clouds, colourful, watercolor, dada style"}}
	if !slices.Equal(a.Revisions, wantRev) {
		t.Errorf("run-a revisions %+v", a.Revisions)
	}
	if !slices.Equal(a.Verdicts, []Verdict{{3, "safe"}, {4, "safe"}}) || !strings.Contains(string(a.LoRAs), `"dada.safetensors"`) {
		t.Errorf("run-a verdicts %v loras %s", a.Verdicts, a.LoRAs)
	}
	if len(a.Media) != 2 || a.Media[0].File != "media/run-a-1.png" || a.Media[1].Seed != 4243 || a.Media[0].MediaID != "m1" ||
		len(a.Media[0].SHA256) != 64 || len(a.Results) != 2 || !json.Valid(a.Results[1].Detail) || a.FinishedAt == nil {
		t.Errorf("run-a media %+v results %d", a.Media, len(a.Results))
	}
	if bl.State != "blocked" || bl.ErrorCode != "blocked" || !slices.Equal(bl.Verdicts, []Verdict{{1, "blocked"}}) ||
		!slices.Equal(bl.Revisions, []Revision{{Step: "idea", Text: `=HYPERLINK("http://evil")`}, {Step: "rules", Text: "+Regeln"}}) || len(bl.Media) != 0 ||
		bl.Nickname != "@Fuchs" {
		t.Errorf("blocked run %+v", bl)
	}
	if !slices.Equal(c.Revisions, []Revision{{Step: "idea", Text: "ein Haus"}, {Step: "rules", Text: "Sei Dada."}, {Step: "interception", Text: "Ein Haus aus Wolken"}}) {
		t.Errorf("run-c revisions %+v", c.Revisions)
	}
}

func checkCSV(t *testing.T, b []byte) {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || !slices.Equal(rows[0], summaryHeader) {
		t.Fatalf("csv rows %q", rows)
	}
	col := func(row []string, name string) string { return row[slices.Index(summaryHeader, name)] }
	a, bl := rows[1], rows[2]
	if col(a, "run_id") != "run-a" || col(a, "media_count") != "2" || col(a, "media_files") != "media/run-a-1.png; media/run-a-2.png" ||
		col(a, "seed") != "4242" || col(a, "loras") != "dada.safetensors:0.8" || col(a, "verdict_stage4") != "safe" ||
		col(a, "student_text") != "Ein Haus aus Wolken, bunt" {
		t.Errorf("run-a row %q", a)
	}
	if col(bl, "idea") != `'=HYPERLINK("http://evil")` || col(bl, "nickname") != "'@Fuchs" || col(bl, "blocked_stage") != "1" ||
		col(bl, "state") != "blocked" || col(bl, "verdict_stage1") != "blocked" {
		t.Errorf("blocked row %q", bl)
	}
	for _, row := range rows[1:] {
		for i, v := range row {
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				t.Errorf("column %s starts a formula: %q", summaryHeader[i], v)
			}
		}
	}
}

func TestCell(t *testing.T) {
	for in, want := range map[string]string{"": "", "Haus": "Haus", "=1+1": "'=1+1", "+49": "'+49", "-2": "'-2",
		"@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx", "a=b": "a=b", "'quoted": "'quoted"} {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNamesAreMadeByTheServer(t *testing.T) {
	tests := []struct{ id, mime, want string }{
		{"0a1b2c", media.MimePNG, "media/0a1b2c-1.png"},
		{"../../etc/passwd", media.MimeJPEG, "media/______etc_passwd-1.jpg"},
		{"x", "text/html", "media/x-1.bin"},
		{"", media.MimeWebP, "media/_-1.webp"},
	}
	for _, tc := range tests {
		if got := mediaName(tc.id, 0, tc.mime); got != tc.want {
			t.Errorf("mediaName(%q, %q) = %q, want %q", tc.id, tc.mime, got, tc.want)
		}
	}
	got := FileName(store.Workshop{ID: "a/b\"c"}, base)
	if got != "ai4artsed-a_b_c-20260504-0800.zip" {
		t.Errorf("FileName = %q", got)
	}
}

// TestExportMissingFileAndEmptyWorkshop: an image whose file is gone is
// counted, not fatal; a workshop without runs is an archive with a header
// only; an unknown workshop is ErrNotFound before anything is written.
func TestExportMissingFileAndEmptyWorkshop(t *testing.T) {
	f, ws, _ := classFixture(t)
	m, err := f.db.GetMedia(context.Background(), "m2")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := f.files.Path(m.Hash, ".png")
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	c, err := New(f.db, f.files).Write(context.Background(), &buf, ws)
	if err != nil || c.Media != 1 || c.MissingMedia != 1 {
		t.Fatalf("counts %+v, %v", c, err)
	}
	if names, _ := readZip(t, buf.Bytes()); slices.Contains(names, "media/run-a-2.png") {
		t.Errorf("entries %v", names)
	}

	empty := f.workshop(t, "w3", "RSTVWXY", nil)
	buf.Reset()
	if c, err := New(f.db, f.files).Write(context.Background(), &buf, empty); err != nil || c != (Counts{}) {
		t.Fatalf("empty: %+v %v", c, err)
	}
	names, files := readZip(t, buf.Bytes())
	if !slices.Equal(names, []string{"runs.jsonl", "summary.csv", "export.json"}) || len(files["runs.jsonl"]) != 0 ||
		strings.Count(string(files["summary.csv"]), "\n") != 1 {
		t.Errorf("empty archive %v %q", names, files["summary.csv"])
	}

	buf.Reset()
	_, err = New(f.db, f.files).Write(context.Background(), &buf, store.Workshop{ID: "nope"})
	if !errors.Is(err, store.ErrNotFound) || buf.Len() != 0 {
		t.Errorf("unknown workshop: %v, %d bytes", err, buf.Len())
	}
}

// TestExportLeavesOutLaterRuns: a run stored after runs.jsonl was written
// is in none of the later parts either.
func TestExportLeavesOutLaterRuns(t *testing.T) {
	f, ws, _ := classFixture(t)
	src := &addingSource{Source: f.db, add: func() {
		f.run(t, "run-z", "dev2", store.StateDone, base.Add(time.Hour), `{"prompt":"spät"}`)
		f.image(t, "run-z", "mz", noisePNG(t, 8, 10, 9), 1, base.Add(time.Hour))
	}}
	var buf bytes.Buffer
	e := New(src, f.files)
	e.PageSize = 2
	c, err := e.Write(context.Background(), &buf, ws)
	if err != nil || c.Runs != 3 || c.Media != 2 {
		t.Fatalf("counts %+v, %v", c, err)
	}
	names, files := readZip(t, buf.Bytes())
	if slices.Contains(names, "media/run-z-1.png") || strings.Contains(string(files["summary.csv"]), "run-z") ||
		strings.Contains(string(files["runs.jsonl"]), "run-z") {
		t.Errorf("the later run is in the archive: %v", names)
	}
}

// addingSource calls add once, when the second pass starts (the second
// read from the start).
type addingSource struct {
	Source
	add    func()
	starts int
}

func (s *addingSource) WorkshopRuns(ctx context.Context, id string, after store.RunCursor, limit int) ([]store.Run, error) {
	if after == (store.RunCursor{}) {
		if s.starts++; s.starts == 2 {
			s.add()
		}
	}
	return s.Source.WorkshopRuns(ctx, id, after, limit)
}

// TestExportLinksTheSourceRun: a generation run that names the
// interception run its text came from gets that run's idea, rules and
// interception first and says whether the student edited the text; a
// source run of another device or one that is gone is not linked.
func TestExportLinksTheSourceRun(t *testing.T) {
	f := newFixture(t)
	ws := f.workshop(t, "w1", "ABCDEFG", map[string]string{"dev1": "Wal", "dev2": "Fuchs"})
	f.run(t, "i1", "dev1", store.StateDone, base, `{"stages":"interception","prompt":"ein Haus","interception":"dada"}`,
		store.StageResult{Stage: 2, Name: "interception", Status: store.StageDone, Text: "Ein Haus aus Wolken",
			Detail: json.RawMessage(`{"interception":"dada","context":"Sei Dada."}`)})
	gen := func(id, dev, text, source string, at int) {
		f.run(t, id, dev, store.StateDone, base.Add(time.Duration(at)*time.Minute),
			`{"stages":"generation","text":"`+text+`","source_run":"`+source+`"}`)
	}
	gen("g1", "dev1", "Ein Haus aus Wolken und Sternen", "i1", 1)
	gen("g2", "dev1", "Ein Haus aus Wolken ", "i1", 2)
	gen("g3", "dev2", "Ein Haus aus Wolken", "i1", 3)
	gen("g4", "dev1", "Ein Haus", "ffff", 4)
	var buf bytes.Buffer
	if _, err := New(f.db, f.files).Write(context.Background(), &buf, ws); err != nil {
		t.Fatal(err)
	}
	_, files := readZip(t, buf.Bytes())
	recs := map[string]Record{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(files["runs.jsonl"])), "\n") {
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		recs[r.RunID] = r
	}
	linked := []Revision{{Step: "idea", Text: "ein Haus", Run: "i1"}, {Step: "rules", Text: "Sei Dada.", Run: "i1"},
		{Step: "interception", Text: "Ein Haus aus Wolken", Run: "i1"}}
	for _, tc := range []struct {
		id     string
		linked bool
		edited bool
	}{{"g1", true, true}, {"g2", true, false}, {"g3", false, false}, {"g4", false, false}} {
		r := recs[tc.id]
		gotLinked := len(r.Revisions) == 4 && slices.Equal(r.Revisions[:3], linked)
		if gotLinked != tc.linked || (r.Edited != nil) != tc.linked || tc.linked && *r.Edited != tc.edited {
			t.Errorf("%s: revisions %+v edited %v", tc.id, r.Revisions, r.Edited)
		}
		if !tc.linked && (len(r.Revisions) != 1 || r.Revisions[0].Step != "student_text") {
			t.Errorf("%s: revisions %+v", tc.id, r.Revisions)
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(files["summary.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(row []string, name string) string { return row[slices.Index(summaryHeader, name)] }
	for _, row := range rows[1:] {
		if col(row, "run_id") == "g1" && (col(row, "edited") != "true" || col(row, "source_run") != "i1" ||
			col(row, "interception_text") != "Ein Haus aus Wolken" || col(row, "idea") != "ein Haus") {
			t.Errorf("g1 row %q", row)
		}
		if col(row, "run_id") == "g3" && (col(row, "edited") != "" || col(row, "interception_text") != "") {
			t.Errorf("g3 row %q", row)
		}
	}
}
