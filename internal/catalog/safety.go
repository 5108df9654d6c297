package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ai4artsed/ai4artsed/internal/safety"
)

// dirSafety is the folder of the youth-protection lists.
const dirSafety = "safety"

// safetyLists are the list ids; the file of each is safety/ID.json.
var safetyLists = []string{safety.ListForbidden, safety.ListKids, safety.ListYouth, safety.ListPersonalData, safety.ListAllow}

// ErrSafetyLists reports that the safety lists (safety/*.json) could not be
// loaded or failed validation. Unlike a broken config, which is skipped, it
// stops the server from starting: a missing list must never mean an empty
// one.
var ErrSafetyLists = errors.New("catalog: invalid safety lists")

// loadSafety reads every list from the override layer if it has the file,
// else from the built-in layer, validates them and compiles the filter. It
// returns nil if any list is missing or invalid; the problems say why.
func (ld *loader) loadSafety(base layer, over *layer) *safety.Filter {
	files := map[string]string{}
	var lists safety.Lists
	ok := true
	for _, id := range safetyLists {
		name := path.Join(dirSafety, id+".json")
		l := base
		if over != nil {
			if _, err := fs.Stat(over.fsys, name); err == nil {
				l = *over
			}
		}
		files[id] = l.display(name)
		ps := &problems{file: files[id]}
		data, err := fs.ReadFile(l.fsys, name)
		if err != nil {
			ps.errorf("", "cannot read safety list: %v", err)
			ok = false
		} else if !decodeFile(ps, data, safetyTarget(&lists, id)) {
			ok = false
		}
		ld.problems = append(ld.problems, ps.list...)
	}
	if over != nil {
		ld.unknownSafetyFiles(*over)
	}
	if !ok {
		return nil
	}
	f, probs := safety.Compile(lists)
	for _, p := range probs {
		ld.problems = append(ld.problems, Problem{File: files[p.List], Field: p.Field, Message: p.Message})
	}
	return f
}

// safetyTarget returns the field of lists the file of list id decodes into.
func safetyTarget(lists *safety.Lists, id string) any {
	switch id {
	case safety.ListForbidden:
		return &lists.Forbidden
	case safety.ListKids:
		return &lists.Kids
	case safety.ListYouth:
		return &lists.Youth
	case safety.ListPersonalData:
		return &lists.PersonalData
	}
	return &lists.Allow
}

// unknownSafetyFiles warns about files in the override safety/ folder that
// are no list: most likely a misspelt name that would otherwise go unnoticed.
func (ld *loader) unknownSafetyFiles(over layer) {
	entries, err := fs.ReadDir(over.fsys, dirSafety)
	if err != nil {
		return
	}
	for _, e := range entries {
		id, isJSON := strings.CutSuffix(e.Name(), ".json")
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || isJSON && slices.Contains(safetyLists, id) {
			continue
		}
		ld.problems = append(ld.problems, Problem{
			File:    over.display(path.Join(dirSafety, e.Name())),
			Message: fmt.Sprintf("not a safety list (ignored): the lists are %s.json", strings.Join(safetyLists, ".json, ")),
			Warning: true,
		})
	}
}

// safetyError summarises the safety list errors among probs.
func safetyError(probs []Problem) error {
	var msgs []string
	for _, p := range probs {
		if !p.Warning && strings.Contains(filepath.ToSlash(p.File), dirSafety+"/") {
			msgs = append(msgs, p.String())
		}
	}
	if len(msgs) == 0 {
		msgs = append(msgs, "the lists did not compile")
	}
	return fmt.Errorf("%w: %s", ErrSafetyLists, strings.Join(msgs, "; "))
}

// Filter returns the compiled youth-protection filter of the safety lists.
func (c *Catalog) Filter() *safety.Filter { return c.filter }
