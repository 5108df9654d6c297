package safety_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/safety"
)

// Floors the corpora must keep (docs/safety.md, "Corpus"). A change to the
// lists or the matcher that makes them worse fails the tests.
const (
	maxHarmlessJudgeYouth = 0.02                   // share of harmless prompts sent to the judge at youth
	maxNanosPerPrompt     = 100 * time.Microsecond // mean cost of one Check
)

// corpusStats are the shares of one level.
type corpusStats struct {
	harmlessBlock, harmlessJudge float64 // of the harmless corpus
	badBlock, badJudge           float64 // of the bad corpus
	forbiddenCaught              float64 // of the §86a prompts, blocked
}

func measure(f *safety.Filter, level safety.Level, harmless []string, bad []badPrompt) corpusStats {
	var s corpusStats
	for _, p := range harmless {
		switch f.Check(p, level).Decision {
		case safety.Block:
			s.harmlessBlock++
		case safety.Judge:
			s.harmlessJudge++
		}
	}
	forbidden := 0.0
	for _, p := range bad {
		d := f.Check(p.prompt, level).Decision
		switch d {
		case safety.Block:
			s.badBlock++
		case safety.Judge:
			s.badJudge++
		}
		if p.list == safety.ListForbidden {
			forbidden++
			if d == safety.Block {
				s.forbiddenCaught++
			}
		}
	}
	s.harmlessBlock /= float64(len(harmless))
	s.harmlessJudge /= float64(len(harmless))
	s.badBlock /= float64(len(bad))
	s.badJudge /= float64(len(bad))
	s.forbiddenCaught /= forbidden
	return s
}

// TestCorpusFloors checks the floors and logs the corpus table of
// docs/safety.md (go test -run TestCorpusFloors -v ./internal/safety).
func TestCorpusFloors(t *testing.T) {
	f := builtinFilter(t)
	harmless, bad := readHarmless(t), readBad(t)
	if len(harmless) < 500 || len(bad) < 200 {
		t.Fatalf("corpora too small: %d harmless (want 500), %d bad (want 200)", len(harmless), len(bad))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%d harmless, %d bad prompts\n\n", len(harmless), len(bad))
	b.WriteString("| level | harmless blocked | harmless to judge | bad blocked | bad to judge | §86a blocked |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, lvl := range safety.Levels {
		s := measure(f, lvl, harmless, bad)
		fmt.Fprintf(&b, "| %s | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% |\n", lvl,
			100*s.harmlessBlock, 100*s.harmlessJudge, 100*s.badBlock, 100*s.badJudge, 100*s.forbiddenCaught)
		if s.harmlessBlock > 0 {
			t.Errorf("%s: %.1f%% of the harmless corpus blocked by the filters, want none", lvl, 100*s.harmlessBlock)
		}
		if lvl != safety.Research && s.forbiddenCaught < 1 {
			t.Errorf("%s: %.1f%% of the §86a prompts blocked, want 100%%", lvl, 100*s.forbiddenCaught)
		}
		if lvl == safety.Youth && s.harmlessJudge > maxHarmlessJudgeYouth {
			t.Errorf("youth: %.1f%% of the harmless corpus sent to the judge, want at most %.0f%%", 100*s.harmlessJudge, 100*maxHarmlessJudgeYouth)
		}
	}
	t.Log(b.String())
}

// TestCorpusHarmless lists each harmless prompt the filters flag at youth,
// adult or research level, or block at kids level.
func TestCorpusHarmless(t *testing.T) {
	f := builtinFilter(t)
	judged := 0
	for _, p := range readHarmless(t) {
		for _, lvl := range safety.Levels {
			r := f.Check(p, lvl)
			switch {
			case r.Decision == safety.Block:
				t.Errorf("%s: %q blocked: %v", lvl, p, r.Hits)
			case r.Decision == safety.Judge && lvl != safety.Kids:
				judged++
				t.Logf("%s: %q to the judge: %v", lvl, p, r.Hits)
			}
		}
	}
	if judged > 0 {
		t.Logf("%d harmless prompts go to the judge above kids level", judged)
	}
}

// TestCorpusBad checks the expected decision of every bad prompt at every
// level, and that the expected list is among its hits.
func TestCorpusBad(t *testing.T) {
	f := builtinFilter(t)
	for _, p := range readBad(t) {
		for _, lvl := range safety.Levels {
			r := f.Check(p.prompt, lvl)
			if r.Decision != p.want[lvl] || !hasList(r, p.list) {
				t.Errorf("bad.tsv:%d %s: %q = %v %v, want %v with a %s hit", p.line, lvl, p.prompt, r.Decision, r.Hits, p.want[lvl], p.list)
			}
		}
	}
}

// TestCheckSpeed asserts the mean cost of one Check over both corpora.
func TestCheckSpeed(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("timing is meaningless with -race or -short")
	}
	f := builtinFilter(t)
	prompts := readHarmless(t)
	for _, p := range readBad(t) {
		prompts = append(prompts, p.prompt)
	}
	res := testing.Benchmark(func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			f.Check(prompts[i%len(prompts)], safety.Youth)
		}
	})
	if per := time.Duration(res.NsPerOp()); per > maxNanosPerPrompt {
		t.Errorf("Check costs %v per prompt, want under %v", per, maxNanosPerPrompt)
	}
}

// BenchmarkCheck reports, per level, ns per prompt and the shares of the
// corpus table.
func BenchmarkCheck(b *testing.B) {
	f := builtinFilter(b)
	harmless, bad := readHarmless(b), readBad(b)
	prompts := append([]string(nil), harmless...)
	for _, p := range bad {
		prompts = append(prompts, p.prompt)
	}
	for _, lvl := range safety.Levels {
		b.Run(string(lvl), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				f.Check(prompts[i%len(prompts)], lvl)
			}
			s := measure(f, lvl, harmless, bad)
			b.ReportMetric(100*s.harmlessBlock, "%harmless_block")
			b.ReportMetric(100*s.harmlessJudge, "%harmless_judge")
			b.ReportMetric(100*s.badBlock, "%bad_block")
			b.ReportMetric(100*s.badJudge, "%bad_judge")
			b.ReportMetric(100*s.forbiddenCaught, "%86a_block")
		})
	}
}
