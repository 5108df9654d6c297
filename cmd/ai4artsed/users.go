package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/ai4artsed/ai4artsed/internal/auth"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

const usersUsage = `usage: ai4artsed users add NAME [--role teacher|admin]
       ai4artsed users list
       ai4artsed users remove NAME
       ai4artsed users passwd NAME
The password is asked on the terminal, or read as one line from stdin.`

// runUsers implements `ai4artsed users`: teacher and admin accounts in the
// store named by the settings (AI4ARTSED_DATA_DIR or AI4ARTSED_DATABASE_URL).
func runUsers(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	s := defaultSettings()
	if err := s.loadEnv(getenv); err != nil {
		fmt.Fprintln(stderr, "ai4artsed:", err)
		return 2
	}
	return usersWith(ctx, s, args, stdin, stdout, stderr)
}

// usersWith runs `users` with settings s.
func usersWith(ctx context.Context, s Settings, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd, name, role, ok := parseUsersArgs(args)
	if !ok {
		fmt.Fprintln(stderr, usersUsage)
		return 2
	}
	db, err := openStore(ctx, s)
	if err != nil {
		fmt.Fprintln(stderr, "ai4artsed users:", err)
		return 1
	}
	defer db.Close()
	if err := usersCommand(ctx, db, s.PasswordParams, cmd, name, role, stdin, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "ai4artsed users:", err)
		return 1
	}
	return 0
}

// parseUsersArgs splits `users` arguments: the subcommand, the account
// name and the role (default teacher).
func parseUsersArgs(args []string) (cmd, name, role string, ok bool) {
	role = store.RoleTeacher
	var rest []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--role" || a == "-role":
			if i+1 >= len(args) {
				return "", "", "", false
			}
			i++
			role = args[i]
		case strings.HasPrefix(a, "--role="):
			role = strings.TrimPrefix(a, "--role=")
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) == 0 || !store.ValidRole(role) {
		return "", "", "", false
	}
	cmd = rest[0]
	switch {
	case cmd == "list" && len(rest) == 1:
		return cmd, "", role, true
	case (cmd == "add" || cmd == "remove" || cmd == "passwd") && len(rest) == 2 && validUserName(rest[1]):
		return cmd, rest[1], role, true
	}
	return "", "", "", false
}

// validUserName accepts 1 to 64 letters, digits, dots, dashes, underscores.
func validUserName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func usersCommand(ctx context.Context, db store.Accounts, p auth.Params, cmd, name, role string,
	stdin io.Reader, stdout, stderr io.Writer) error {
	switch cmd {
	case "list":
		us, err := db.ListUsers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED")
		for _, u := range us {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, u.Role, u.CreatedAt.Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	case "remove":
		if err := db.DeleteUser(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %s\n", name)
		return nil
	}
	pw, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	hash, err := auth.Hash(pw, p)
	if err != nil {
		return err
	}
	if cmd == "add" {
		err = db.CreateUser(ctx, store.User{Name: name, Role: role, PasswordHash: hash})
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("account %q exists already; use passwd to change its password", name)
		}
	} else {
		err = db.SetPassword(ctx, name, hash)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s (%s)\n", map[string]string{"add": "added", "passwd": "changed the password of"}[cmd], name, role)
	return nil
}

// readPassword asks twice on a terminal; otherwise it reads one line of
// stdin. The password is never echoed or logged.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	var pw string
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stderr, "again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		pw = string(a)
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if err := auth.CheckNew(pw); err != nil {
		return "", fmt.Errorf("password needs %d to %d characters", auth.MinPasswordLen, auth.MaxPasswordLen)
	}
	return pw, nil
}
