package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/auth"
	"github.com/ai4artsed/ai4artsed/internal/store/sqlite"
)

func TestUsersCommand(t *testing.T) {
	dir := t.TempDir()
	s := defaultSettings()
	s.DataDir = dir
	s.PasswordParams = auth.Params{Time: 1, MemoryKiB: 64, Threads: 1}
	steps := []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string
	}{
		{"add teacher", []string{"add", "ana", "--role", "teacher"}, "first password\n", 0, "added ana (teacher)"},
		{"add admin", []string{"add", "--role=admin", "root"}, "root password!", 0, "added root (admin)"},
		{"duplicate", []string{"add", "ana"}, "first password\n", 1, ""},
		{"short password", []string{"add", "bo"}, "short\n", 1, ""},
		{"bad role", []string{"add", "bo", "--role", "student"}, "", 2, ""},
		{"bad name", []string{"add", "a b"}, "", 2, ""},
		{"list", []string{"list"}, "", 0, "ana   teacher"},
		{"passwd", []string{"passwd", "ana"}, "second password\n", 0, "changed the password of ana"},
		{"passwd unknown", []string{"passwd", "nobody"}, "second password\n", 1, ""},
		{"remove", []string{"remove", "root"}, "", 0, "removed root"},
		{"remove again", []string{"remove", "root"}, "", 1, ""},
		{"no subcommand", nil, "", 2, ""},
	}
	for _, st := range steps {
		var out, errb bytes.Buffer
		code := usersWith(context.Background(), s, st.args, strings.NewReader(st.stdin), &out, &errb)
		if code != st.code || !strings.Contains(out.String(), st.out) {
			t.Fatalf("%s: exit %d, out %q, err %q; want %d, %q", st.name, code, out.String(), errb.String(), st.code, st.out)
		}
		if st.stdin != "" && strings.Contains(out.String()+errb.String(), strings.TrimSpace(st.stdin)) {
			t.Errorf("%s: a password was printed", st.name)
		}
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "ai4artsed.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, err := db.GetUser(context.Background(), "ana")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") || auth.Verify(u.PasswordHash, "second password") != nil {
		t.Errorf("stored hash %q does not check the new password", u.PasswordHash)
	}
	users, _ := db.ListUsers(context.Background())
	if len(users) != 1 {
		t.Errorf("users = %+v, want ana alone", users)
	}

	// Through dispatch and the environment.
	var out bytes.Buffer
	getenv := func(k string) string {
		if k == "AI4ARTSED_DATA_DIR" {
			return dir
		}
		return ""
	}
	if code := dispatch(context.Background(), []string{"users", "list"}, strings.NewReader(""), &out, &out, getenv); code != 0 ||
		!strings.Contains(out.String(), "ana") {
		t.Errorf("dispatch users list: %d %q", code, out.String())
	}
}
