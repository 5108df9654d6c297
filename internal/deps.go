// Package internal pins the project's third-party modules until their users land.
package internal

import (
	_ "github.com/coder/websocket"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "go.uber.org/goleak"
	_ "golang.org/x/image/webp"
	_ "modernc.org/sqlite"
)
