package safety_test

import (
	"bufio"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/safety"
)

// loadBuiltin compiles the built-in lists once per test binary.
var loadBuiltin = sync.OnceValues(func() (*safety.Filter, error) {
	c, _, err := catalog.Load(catalog.Builtin(), "", nil)
	if err != nil {
		return nil, err
	}
	return c.Filter(), nil
})

// builtinFilter returns the filter of the built-in lists.
func builtinFilter(tb testing.TB) *safety.Filter {
	tb.Helper()
	f, err := loadBuiltin()
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// badPrompt is one line of testdata/bad.tsv.
type badPrompt struct {
	line   int
	want   map[safety.Level]safety.Decision
	list   string
	prompt string
}

// readLines returns the lines of a testdata file that are neither empty nor
// comments, with their line numbers.
func readLines(tb testing.TB, name string) (lines []string, numbers []int) {
	tb.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		lines = append(lines, l)
		numbers = append(numbers, n)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return lines, numbers
}

func readHarmless(tb testing.TB) []string {
	tb.Helper()
	lines, _ := readLines(tb, "harmless.txt")
	return lines
}

func readBad(tb testing.TB) []badPrompt {
	tb.Helper()
	lines, numbers := readLines(tb, "bad.tsv")
	decisions := map[string]safety.Decision{"pass": safety.Pass, "judge": safety.Judge, "block": safety.Block}
	var out []badPrompt
	for i, l := range lines {
		cols := strings.Split(l, "\t")
		if len(cols) != 6 {
			tb.Fatalf("bad.tsv:%d: %d columns, want 6", numbers[i], len(cols))
		}
		p := badPrompt{line: numbers[i], want: map[safety.Level]safety.Decision{}, list: cols[4], prompt: cols[5]}
		for j, lvl := range safety.Levels {
			d, ok := decisions[cols[j]]
			if !ok {
				tb.Fatalf("bad.tsv:%d: unknown decision %q", numbers[i], cols[j])
			}
			p.want[lvl] = d
		}
		out = append(out, p)
	}
	return out
}

// hasList reports whether r holds a hit of list.
func hasList(r safety.Result, list string) bool {
	for _, h := range r.Hits {
		if h.List == list {
			return true
		}
	}
	return false
}
