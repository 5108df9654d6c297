package client

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// maxLine bounds one line of an event stream; an event's data line holds a
// whole stage text, a few kilobytes.
const maxLine = 4 << 20

// frame is one dispatched block of an event stream.
type frame struct {
	event string
	data  string
	// id is the block's "id:" field; hasID tells an empty id from none.
	id    string
	hasID bool
	// empty is a block without data: it only moves the last event id.
	empty bool
}

// sseReader reads the frames of a text/event-stream body as the HTML
// standard's parsing rules say: lines end in LF, CRLF or CR; ":" starts a
// comment (our pings); data lines join with LF; a block without data is not
// an event; an unfinished block at the end of the body is dropped.
type sseReader struct {
	sc *bufio.Scanner
}

func newSSEReader(r io.Reader) *sseReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	sc.Split(scanSSELines)
	return &sseReader{sc: sc}
}

// next returns the next frame, io.EOF at a clean end of the body, or the
// read error.
func (r *sseReader) next() (frame, error) {
	var f frame
	var data strings.Builder
	seen, hasData := false, false
	for r.sc.Scan() {
		line := r.sc.Text()
		if line == "" {
			if !seen {
				continue
			}
			if !hasData {
				if f.hasID {
					return frame{id: f.id, hasID: true, empty: true}, nil
				}
				f, seen = frame{}, false
				continue
			}
			f.data = data.String()
			if f.event == "" {
				f.event = "message"
			}
			return f, nil
		}
		if line[0] == ':' {
			continue // a comment: the server's ": ping"
		}
		seen = true
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			f.event = value
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.WriteString(value)
			hasData = true
		case "id":
			if !strings.ContainsRune(value, 0) {
				f.id, f.hasID = value, true
			}
		}
		// "retry" and unknown fields are ignored: Follow has its own backoff.
	}
	if err := r.sc.Err(); err != nil {
		return frame{}, err
	}
	return frame{}, io.EOF
}

// scanSSELines splits at LF, CRLF or CR. A CR at the end of the buffer waits
// for the next byte, which may be its LF.
func scanSSELines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\n' {
			return i + 1, data[:i], nil
		}
		if i+1 < len(data) {
			if data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
			return i + 1, data[:i], nil
		}
		if atEOF {
			return i + 1, data[:i], nil
		}
		return 0, nil, nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
