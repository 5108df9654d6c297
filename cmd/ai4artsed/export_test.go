package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
	"github.com/ai4artsed/ai4artsed/internal/auth"
	"github.com/ai4artsed/ai4artsed/internal/export"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// TestExportEndToEnd: a student of a workshop transforms an idea, edits
// the text and makes an image, and one idea is blocked, all through the
// real pipeline; the teacher's export holds each run with its revisions,
// verdicts, models, seed and the image's very bytes.
func TestExportEndToEnd(t *testing.T) {
	env := newEnv(t, envOptions{mutate: func(s *Settings) {
		s.PasswordParams = auth.Params{Time: 1, MemoryKiB: 64, Threads: 1}
	}})
	h, _ := auth.Hash("ana's long password", env.App.Settings.PasswordParams)
	if err := env.App.Store.CreateUser(context.Background(), store.User{Name: "ana", Role: store.RoleTeacher, PasswordHash: h}); err != nil {
		t.Fatal(err)
	}
	base := env.Server.URL
	teacher := cookieClient(t)
	postJSON(t, teacher, base+"/api/login", api.LoginRequest{Name: "ana", Password: "ana's long password"}, 200, nil)
	var ws api.Workshop
	postJSON(t, teacher, base+"/api/teacher/workshops", api.WorkshopRequest{Name: "Klasse 4a", SafetyLevel: "kids"}, 201, &ws)
	student := cookieClient(t)
	postJSON(t, student, base+"/api/join", api.JoinRequest{Code: ws.Code, Nickname: "Fuchs"}, 200, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sc := client.New(base, student)
	start := func(req api.RunRequest) string {
		t.Helper()
		created, err := sc.StartRun(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		env.collect(t, created.RunID)
		return created.RunID
	}
	icID := start(api.RunRequest{Stages: api.StagesInterception, Prompt: "ein Drache aus Papier", Interception: "dada", Lang: "de"})
	ic, err := env.App.Store.GetRun(ctx, icID)
	if err != nil || len(ic.Stage) < 2 || ic.Stage[1].Text == "" {
		t.Fatalf("interception run %+v %v", ic, err)
	}
	edited := ic.Stage[1].Text + " Mit Sternen."
	genID := start(api.RunRequest{Stages: api.StagesGeneration, Text: edited, Interception: "dada", Output: "sd35_large", Lang: "de", SourceRun: icID})
	blockedID := start(api.RunRequest{Stages: api.StagesInterception, Prompt: "a bloody knife", Interception: "dada", Lang: "en"})

	resp, err := teacher.Get(base + "/api/teacher/workshops/" + ws.ID + "/export")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment; ") {
		t.Fatalf("export: %d %v %.200s", resp.StatusCode, err, b)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	recs := map[string]export.Record{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(files["runs.jsonl"])), "\n") {
		var r export.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		recs[r.RunID] = r
	}
	if len(recs) != 3 {
		t.Fatalf("records %v", recs)
	}
	steps := func(r export.Record) (s []string) {
		for _, rv := range r.Revisions {
			s = append(s, rv.Step)
		}
		return s
	}
	icRec, gen, bl := recs[icID], recs[genID], recs[blockedID]
	if got := strings.Join(steps(icRec), ","); got != "idea,rules,interception" || icRec.Nickname != "Fuchs" || icRec.SafetyLevel != "kids" ||
		len(icRec.Models) == 0 || len(icRec.Verdicts) != 1 || icRec.Verdicts[0] != (export.Verdict{Stage: 1, Verdict: "safe"}) {
		t.Errorf("interception record: steps %s %+v", got, icRec)
	}
	if got := strings.Join(steps(gen), ","); !strings.HasPrefix(got, "idea,rules,interception,student_text,") ||
		!strings.HasSuffix(got, ",optimized,image_prompt") || gen.Revisions[0].Run != icID || gen.Revisions[3].Text != edited ||
		gen.Edited == nil || !*gen.Edited || gen.SourceRun != icID || gen.Seed == 0 || gen.Output != "sd35_large" || len(gen.Media) != 1 {
		t.Fatalf("generation record: steps %s %+v", got, gen)
	}
	if bl.State != "blocked" || bl.ErrorCode != "blocked" || len(bl.Verdicts) != 1 || bl.Verdicts[0].Verdict != "blocked" {
		t.Errorf("blocked record %+v", bl)
	}
	m := gen.Media[0]
	served, _, err := client.New(base, http.DefaultClient).Media(ctx, m.MediaID)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := io.ReadAll(served)
	served.Close()
	if m.File != "media/"+genID+"-1.png" || !bytes.Equal(files[m.File], want) || m.Seed != gen.Seed {
		t.Errorf("media %+v: %d bytes in the zip, %d served", m, len(files[m.File]), len(want))
	}
	rows, err := csv.NewReader(bytes.NewReader(files["summary.csv"])).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "run_id" {
		t.Fatalf("summary.csv %q %v", rows, err)
	}
	for _, row := range rows[1:] {
		if _, ok := recs[row[0]]; !ok {
			t.Errorf("summary row of %q, a run not in runs.jsonl", row[0])
		}
	}
}
