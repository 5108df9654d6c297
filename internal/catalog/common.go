package catalog

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Display says how a config is shown in the UI.
type Display struct {
	// Icon is an emoji ("🛹") or an icon name of lower-case letters, digits,
	// '_' and '-' ("lightbulb").
	Icon string `json:"icon"`
	// Color is "#rrggbb".
	Color string `json:"color"`
	// Order sorts configs in lists, smallest first.
	Order int `json:"order"`
}

var (
	colorPattern    = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	iconNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	idPattern       = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}_.-]*$`)
)

// validateTexts requires name, description and category in both languages.
func validateTexts(ps *problems, name, description, category Text) {
	requireText(ps, "name", name)
	requireText(ps, "description", description)
	requireText(ps, "category", category)
}

// requireText records a problem for each empty language of t.
func requireText(ps *problems, field string, t Text) {
	if strings.TrimSpace(t.DE) == "" {
		ps.errorf(field+".de", "missing German text")
	}
	if strings.TrimSpace(t.EN) == "" {
		ps.errorf(field+".en", "missing English text")
	}
}

// validateDisplay checks icon and colour.
func validateDisplay(ps *problems, d Display) {
	switch {
	case d.Icon == "":
		ps.errorf("display.icon", "missing icon (an emoji or an icon name such as \"lightbulb\")")
	case isASCII(d.Icon) && !iconNamePattern.MatchString(d.Icon):
		ps.errorf("display.icon", "%q is neither an emoji nor an icon name (lower-case letters, digits, _ and -)", d.Icon)
	case utf8.RuneCountInString(d.Icon) > 32:
		ps.errorf("display.icon", "icon is longer than 32 characters")
	}
	if !colorPattern.MatchString(d.Color) {
		ps.errorf("display.color", "%q is not a colour of the form #rrggbb", d.Color)
	}
}

// validateID checks a config id taken from a file name.
func validateID(ps *problems, id string) {
	if !idPattern.MatchString(id) {
		ps.errorf("", "file name %q does not make a valid id (letters, digits, '_', '-', '.')", id)
	}
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
