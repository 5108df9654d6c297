package client

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestSSEReaderFrames(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []frame
	}{
		{"one event", "id: 1\nevent: run\ndata: {\"a\":1}\n\n",
			[]frame{{event: "run", data: `{"a":1}`, id: "1", hasID: true}}},
		{"without id is transient", "event: queue_status\ndata: {}\n\n",
			[]frame{{event: "queue_status", data: `{}`}}},
		{"multi-line data joins with LF", "event: text\ndata: line one\ndata: line two\n\n",
			[]frame{{event: "text", data: "line one\nline two"}}},
		{"pings and comments are skipped", ": ping\n\n: another\nid: 2\n: inside\nevent: chunk\ndata: x\n\n",
			[]frame{{event: "chunk", data: "x", id: "2", hasID: true}}},
		{"CRLF and CR line ends", "id: 3\r\nevent: done\r\ndata: {}\r\n\r\nid: 4\revent: run\rdata: y\r\r",
			[]frame{{event: "done", data: "{}", id: "3", hasID: true}, {event: "run", data: "y", id: "4", hasID: true}}},
		{"no space after colon", "id:5\nevent:stage\ndata:z\n\n",
			[]frame{{event: "stage", data: "z", id: "5", hasID: true}}},
		{"no event field is message", "data: hello\n\n", []frame{{event: "message", data: "hello"}}},
		{"id without data only moves the id", "id: 7\n\n", []frame{{id: "7", hasID: true, empty: true}}},
		{"block without data or id is nothing", "event: run\n\n", nil},
		{"retry and unknown fields ignored", "retry: 10\nfoo: bar\ndata: d\n\n", []frame{{event: "message", data: "d"}}},
		{"unfinished block at the end is dropped", "id: 1\nevent: run\ndata: {}\n\nid: 2\nevent: chunk\ndata: {\"te",
			[]frame{{event: "run", data: "{}", id: "1", hasID: true}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// One byte at a time, so line ends split across reads too.
			r := newSSEReader(iotest.OneByteReader(strings.NewReader(tc.in)))
			var got []frame
			for {
				f, err := r.next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, f)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("frames\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestSSEReaderPassesReadErrors(t *testing.T) {
	boom := errors.New("connection reset")
	r := newSSEReader(io.MultiReader(strings.NewReader("id: 1\nevent: run\n"), iotest.ErrReader(boom)))
	if _, err := r.next(); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}
