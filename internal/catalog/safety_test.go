package catalog

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestSafetyListsLoad(t *testing.T) {
	c := loadBuiltin(t)
	if c.Filter() == nil {
		t.Fatal("no filter")
	}
	for _, list := range safetyLists {
		if c.Filter().Terms()[list] == 0 {
			t.Errorf("list %s is empty", list)
		}
	}
}

func TestSafetyListMissingFromBuiltin(t *testing.T) {
	_, _, err := Load(fstest.MapFS{}, "", nil)
	if !errors.Is(err, ErrSafetyLists) || !strings.Contains(err.Error(), "builtin/safety/86a.json") {
		t.Errorf("err = %v, want ErrSafetyLists naming builtin/safety/86a.json", err)
	}
}

func TestUnknownSafetyFileWarns(t *testing.T) {
	dir := writeTree(t, map[string]string{"safety/kid.json": `{}`})
	probs := Check(Builtin(), dir)
	if len(probs) != 1 || !probs[0].Warning || !strings.Contains(probs[0].File, "kid.json") {
		t.Errorf("problems = %v, want one warning about kid.json", probs)
	}
}
