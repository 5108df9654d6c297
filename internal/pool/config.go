package pool

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
)

// FileName is the backends file in the config dir (docs/backends.md).
const FileName = "backends.json"

// Kinds of machine.
const (
	KindOllama  = "ollama"  // an Ollama server (LLM)
	KindOpenAI  = "openai"  // an OpenAI-compatible chat server (LLM)
	KindSwarmUI = "swarmui" // SwarmUI with its ComfyUI backend (image)
	KindComfyUI = "comfyui" // a standalone ComfyUI (image; workflows only)
)

// MachineConfig is one machine of the backends file (docs/backends.md).
type MachineConfig struct {
	// Name is unique among all machines: [a-z0-9][a-z0-9_-]*, at most 40.
	Name string `json:"name"`
	// Kind is KindOllama, KindOpenAI, KindSwarmUI or KindComfyUI.
	Kind string `json:"kind"`
	// URL is the server's base URL: Ollama's, the OpenAI-compatible
	// base (ending in /v1), SwarmUI's or the standalone ComfyUI's.
	URL string `json:"url"`
	// ComfyUIURL is the ComfyUI backend of a swarmui machine (required
	// there, refused elsewhere).
	ComfyUIURL string `json:"comfyui_url,omitempty"`
	// Slots is how many calls run at once; 0 takes AI4ARTSED_LLM_SLOTS or
	// AI4ARTSED_IMAGE_SLOTS.
	Slots int `json:"slots,omitempty"`
	// Models, when given, are the only models routed to the machine
	// (Ollama names, or checkpoint file names as SwarmUI lists them).
	Models []string `json:"models,omitempty"`
	// Labels are free tags shown in /api/backends.
	Labels []string `json:"labels,omitempty"`
	// StartCommand (image machines) is run through `sh -c` by the
	// machine's supervisor when it is down and a generation needs it.
	StartCommand string `json:"start_command,omitempty"`
	// APIKeyEnv (openai machines) names the environment variable holding
	// the API key; the key itself never stands in the file.
	APIKeyEnv string `json:"api_key_env,omitempty"`
}

// LLM reports whether the machine serves LLM calls.
func (m MachineConfig) LLM() bool { return m.Kind == KindOllama || m.Kind == KindOpenAI }

// File is the decoded backends file.
type File struct {
	Machines []MachineConfig `json:"machines"`
}

// LLM lists the LLM machines, in file order.
func (f *File) LLM() []MachineConfig {
	return slices.DeleteFunc(slices.Clone(f.Machines), func(m MachineConfig) bool { return !m.LLM() })
}

// Image lists the image machines, in file order.
func (f *File) Image() []MachineConfig {
	return slices.DeleteFunc(slices.Clone(f.Machines), func(m MachineConfig) bool { return m.LLM() })
}

// maxFileBytes bounds the backends file.
const maxFileBytes = 1 << 20

var (
	nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	envRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// knownFields are the JSON fields of a machine, for the unknown-field check.
var knownFields = []string{"name", "kind", "url", "comfyui_url", "slots", "models", "labels", "start_command", "api_key_env"}

// Load reads dir/backends.json. A missing dir or file is (nil, nil): the
// machines then come from the environment. Every problem names the file
// and the field; when there is an error the File is nil.
func Load(dir string) (*File, []catalog.Problem) {
	if dir == "" {
		return nil, nil
	}
	path := filepath.Join(dir, FileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []catalog.Problem{{File: path, Message: fmt.Sprintf("cannot read: %v", err)}}
	}
	return Parse(path, data)
}

// Parse decodes and validates a backends file; path is shown in problems.
func Parse(path string, data []byte) (*File, []catalog.Problem) {
	ps := &problems{file: path}
	if len(data) > maxFileBytes {
		ps.add("", "file larger than %d bytes", maxFileBytes)
		return nil, ps.list
	}
	var top map[string]json.RawMessage
	if err := decodeStrict(data, &top); err != nil {
		ps.add("", "not a JSON object: %v", err)
		return nil, ps.list
	}
	for k := range top {
		if k != "machines" {
			ps.add(k, "unknown field (the file has one field, machines)")
		}
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(top["machines"], &raws); err != nil || raws == nil {
		ps.add("machines", "want a list of machines")
		return nil, ps.list
	}
	if len(raws) == 0 {
		ps.add("machines", "lists no machine")
	}
	f := &File{}
	seen := map[string]int{}
	for i, raw := range raws {
		at := fmt.Sprintf("machines[%d]", i)
		m, ok := decodeMachine(ps, at, raw)
		if !ok {
			continue
		}
		if j, dup := seen[m.Name]; dup && m.Name != "" {
			ps.add(at+".name", "%q is also the name of machines[%d]", m.Name, j)
		} else {
			seen[m.Name] = i
		}
		validate(ps, at, &m)
		f.Machines = append(f.Machines, m)
	}
	if len(ps.list) > 0 {
		return nil, ps.list
	}
	return f, nil
}

// decodeMachine decodes one machine, refusing unknown fields by name.
func decodeMachine(ps *problems, at string, raw json.RawMessage) (MachineConfig, bool) {
	var m MachineConfig
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		ps.add(at, "want an object")
		return m, false
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	bad := false
	for _, k := range keys {
		if !slices.Contains(knownFields, k) {
			ps.add(at+"."+k, "unknown field (known: %s)", strings.Join(knownFields, ", "))
			bad = true
		}
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			ps.add(at+"."+te.Field, "wrong type: JSON %s, want %s", te.Value, te.Type)
		} else {
			ps.add(at, "%v", err)
		}
		return m, false
	}
	if _, given := fields["slots"]; given && (m.Slots < 1 || m.Slots > 64) {
		ps.add(at+".slots", "%d: want 1 to 64 (or leave it out for the default)", m.Slots)
	}
	return m, !bad
}

// validate checks one decoded machine.
func validate(ps *problems, at string, m *MachineConfig) {
	if !nameRE.MatchString(m.Name) {
		ps.add(at+".name", "%q: want 1 to 40 of a-z, 0-9, - and _, starting with a letter or digit", m.Name)
	}
	switch m.Kind {
	case KindOllama, KindOpenAI, KindSwarmUI, KindComfyUI:
	case "":
		ps.add(at+".kind", "missing: want ollama, openai, swarmui or comfyui")
	default:
		ps.add(at+".kind", "%q: want ollama, openai, swarmui or comfyui", m.Kind)
	}
	checkURL(ps, at+".url", m.URL, true)
	switch {
	case m.Kind == KindSwarmUI:
		checkURL(ps, at+".comfyui_url", m.ComfyUIURL, true)
	case m.ComfyUIURL != "":
		ps.add(at+".comfyui_url", "only a swarmui machine has a separate ComfyUI")
	}
	checkList(ps, at+".models", m.Models)
	checkList(ps, at+".labels", m.Labels)
	if m.StartCommand != "" && m.LLM() {
		ps.add(at+".start_command", "only image machines are started by the supervisor")
	}
	if m.APIKeyEnv != "" {
		if m.Kind != KindOpenAI {
			ps.add(at+".api_key_env", "only openai machines take an API key")
		} else if !envRE.MatchString(m.APIKeyEnv) {
			ps.add(at+".api_key_env", "%q: want the name of an environment variable", m.APIKeyEnv)
		}
	}
}

// checkURL requires an http(s) URL with a host; the message never shows
// the URL's user info.
func checkURL(ps *problems, field, raw string, required bool) {
	if raw == "" {
		if required {
			ps.add(field, "missing: want an http(s) URL")
		}
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		ps.add(field, "want an http(s) URL like http://127.0.0.1:11434 (no query)")
	}
}

// checkList refuses empty and repeated entries.
func checkList(ps *problems, field string, list []string) {
	seen := map[string]bool{}
	for i, s := range list {
		switch {
		case strings.TrimSpace(s) == "":
			ps.add(fmt.Sprintf("%s[%d]", field, i), "empty")
		case seen[s]:
			ps.add(fmt.Sprintf("%s[%d]", field, i), "%q is listed twice", s)
		}
		seen[s] = true
	}
}

// decodeStrict decodes data into v and refuses trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the object")
	}
	return nil
}

// problems collects the findings about the file.
type problems struct {
	file string
	list []catalog.Problem
}

func (ps *problems) add(field, format string, args ...any) {
	ps.list = append(ps.list, catalog.Problem{File: ps.file, Field: field, Message: fmt.Sprintf(format, args...)})
}
