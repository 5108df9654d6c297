// Package redact hides credentials in URLs before they reach a log, an error
// message or an API answer. Backend URLs may carry them as user info
// (http://user:password@host, or a token as the user name).
package redact

import (
	"net/url"
	"strings"
)

// Placeholder replaces the user info of a redacted URL.
const Placeholder = "redacted"

// URL returns raw with its whole user info, user name and password, replaced
// by Placeholder; a URL without user info comes back unchanged. A raw that
// is not a URL with a host (a typo in a setting) loses everything between
// its scheme, if any, and its last '@'.
func URL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err == nil && u.User != nil:
		u.User = url.User(Placeholder)
		return u.String()
	case err == nil && u.Host != "":
		return raw // any '@' is in the path or query
	}
	at := strings.LastIndex(raw, "@")
	if at < 0 {
		return raw
	}
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 && i < at {
		start = i + len("://")
	}
	return raw[:start] + Placeholder + raw[at:]
}
