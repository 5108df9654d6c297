package main

import (
	"fmt"
	"io"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/pool"
)

// runConfigs implements `ai4artsed configs check [DIR]`: every problem of
// the configs and of the backends file (docs/backends.md) is printed with
// file and field; the exit code is 1 if any is an error.
func runConfigs(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] != "check" || len(args) > 2 {
		fmt.Fprintln(stderr, "usage: ai4artsed configs check [DIR]")
		return 2
	}
	dir := getenv("AI4ARTSED_CONFIG_DIR")
	if len(args) == 2 {
		dir = args[1]
	}
	problems := catalog.Check(catalog.Builtin(), dir)
	_, poolProblems := pool.Load(dir)
	problems = append(problems, poolProblems...)
	errs, warns := 0, 0
	for _, p := range problems {
		fmt.Fprintln(stdout, p.String())
		if p.Warning {
			warns++
		} else {
			errs++
		}
	}
	fmt.Fprintf(stdout, "%d errors, %d warnings\n", errs, warns)
	if errs > 0 {
		return 1
	}
	return 0
}
