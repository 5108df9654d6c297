package export

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// summaryHeader are the columns of summary.csv.
var summaryHeader = []string{"run_id", "device", "nickname", "created_at", "finished_at", "state", "error_code",
	"stages", "lang", "safety_level", "interception", "output", "idea", "interception_text", "student_text",
	"source_run", "edited", "optimized_text", "verdict_stage1", "verdict_stage3", "verdict_stage4", "blocked_stage", "models", "seed",
	"loras", "media_count", "media_files"}

// summary writes summary.csv: a header, then one row per run.
type summary struct {
	w      *csv.Writer
	header bool
}

func newSummary(w io.Writer) *summary { return &summary{w: csv.NewWriter(w)} }

func (s *summary) row(rec *Record) error {
	if !s.header {
		s.header = true
		if err := s.w.Write(summaryHeader); err != nil {
			return err
		}
	}
	finished, blocked, edited := "", "", ""
	if rec.Edited != nil {
		edited = strconv.FormatBool(*rec.Edited)
	}
	if rec.FinishedAt != nil {
		finished = rec.FinishedAt.UTC().Format(time.RFC3339Nano)
	}
	if n := rec.blockedAt(); n > 0 {
		blocked = strconv.Itoa(n)
	}
	files := make([]string, len(rec.Media))
	for i, m := range rec.Media {
		files[i] = m.File
	}
	cells := []string{rec.RunID, rec.Device, rec.Nickname, rec.CreatedAt.UTC().Format(time.RFC3339Nano), finished,
		rec.State, rec.ErrorCode, rec.Stages, rec.Lang, rec.SafetyLevel, rec.Interception, rec.Output,
		rec.revision("idea"), rec.revision("interception"), rec.revision("student_text"), rec.SourceRun, edited, rec.revision("optimized"),
		rec.verdict(1), rec.verdict(3), rec.verdict(4), blocked, strings.Join(rec.Models, "; "),
		strconv.FormatUint(rec.Seed, 10), rec.loraNames(), strconv.Itoa(len(rec.Media)), strings.Join(files, "; ")}
	for i, c := range cells {
		cells[i] = cell(c)
	}
	return s.w.Write(cells)
}

// flush writes the header of an empty summary and what is buffered.
func (s *summary) flush() error {
	if !s.header {
		s.header = true
		if err := s.w.Write(summaryHeader); err != nil {
			return err
		}
	}
	s.w.Flush()
	return s.w.Error()
}

// cell guards a value against formula injection: a spreadsheet runs a
// cell that starts with =, +, -, @, a tab or a carriage return as a
// formula, so such a cell gets a leading apostrophe, which spreadsheets
// show as text.
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
