package catalog

import (
	"fmt"
	"strings"
)

// Problem is one finding about one config or workflow file.
type Problem struct {
	File    string `json:"file"`            // path of the file, "builtin/..." for embedded ones
	Field   string `json:"field,omitempty"` // JSON path inside the file, e.g. "parameters.temperature"
	Message string `json:"message"`
	Warning bool   `json:"warning,omitempty"` // a warning does not stop the file from loading
}

// String formats the problem as "FILE: FIELD: MESSAGE", with a "warning: "
// prefix before the message for warnings and without FIELD when it is empty.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	if p.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// problems collects the findings about one file.
type problems struct {
	file string
	list []Problem
}

func (ps *problems) errorf(field, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.file, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (ps *problems) warnf(field, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.file, Field: field, Message: fmt.Sprintf(format, args...), Warning: true})
}

// failed reports whether any error (not warning) was recorded.
func (ps *problems) failed() bool { return HasError(ps.list) }

// HasError reports whether problems holds an error (not only warnings);
// `ai4artsed configs check` exits 1 when it does.
func HasError(problems []Problem) bool {
	for _, p := range problems {
		if !p.Warning {
			return true
		}
	}
	return false
}
