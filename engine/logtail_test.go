package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/runstate"
)

func TestLogTail(t *testing.T) {
	many := ""
	for i := 1; i <= 30; i++ {
		many += fmt.Sprintf("line %d\n", i)
	}
	for _, tc := range []struct {
		name string
		in   string
		cut  bool
		want string
	}{
		{"empty", "", false, ""},
		{"only blank lines", "\n\n  \n", false, ""},
		{"short log as it is", "Traceback:\n  File x\nValueError: bad\n", false, "Traceback:\n  File x\nValueError: bad"},
		{"last lines only", many, false, strings.TrimSuffix(strings.Join(strings.SplitAfter(many, "\n")[10:30], ""), "\n")},
		{"partial first line dropped when cut", "tial line\nwhole\n", true, "whole"},
		{"one partial line kept", "no newline at all", true, "no newline at all"},
		{"a rune cut in two", "\xa9 copyright", true, " copyright"},
		{"carriage returns: the last redraw", "progress 10%\rprogress 50%\rprogress 100%\nok\r\n", false, "progress 100%\nok"},
		{"colours removed", "\x1b[31mError\x1b[0m: boom\n", false, "Error: boom"},
		{"title escape removed", "\x1b]0;title\x07text\n", false, "text"},
		{"control characters dropped, tabs kept", "a\x00b\x07c\td\x7f\n", false, "abc\td"},
		{"invalid UTF-8 replaced", "bad \xff byte\n", false, "bad \uFFFD byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := engine.LogTail([]byte(tc.in), tc.cut); got != tc.want {
				t.Errorf("LogTail(%q, %v) = %q, want %q", tc.in, tc.cut, got, tc.want)
			}
		})
	}
}

func TestLogTailBounded(t *testing.T) {
	long := strings.Repeat("x", 3*engine.TailBytes) + "\nend\n"
	got := engine.LogTail([]byte(long), false)
	if len(got) > engine.TailBytes {
		t.Errorf("tail of %d bytes, want at most %d", len(got), engine.TailBytes)
	}
	if got != "end" {
		t.Errorf("tail %q, want the last whole line", got)
	}
	// Lines of multi-byte runes cut anywhere stay valid UTF-8.
	for cut := 0; cut < 8; cut++ {
		s := strings.Repeat("é€😀", 1000)[cut:]
		if got := engine.LogTail([]byte(s), true); !utf8.ValidString(got) || len(got) > engine.TailBytes {
			t.Errorf("cut %d: %d bytes, valid %v", cut, len(got), utf8.ValidString(got))
		}
	}
}

// A step that fails keeps the end of its log (all attempts) on its record;
// one that succeeds, or fails before its process runs, does not.
func TestFailedStepKeepsTheEndOfItsLog(t *testing.T) {
	script := `i=1; while [ $i -le 40 ]; do echo "line $i"; i=$((i+1)); done; echo "ValueError: could not convert string to float: ''a''" >&2; exit 1` // in single quotes in YAML
	y := strings.Replace(sleeper, "sleep 30 & wait", script, 1)
	y = strings.Replace(y, "taskInfo: {name: nap}", "taskInfo: {name: nap}\n        retryPolicy: {maxRetryCount: 1}", 1)
	var last engine.Task
	rec := engine.RecorderFunc(func(_ context.Context, tk engine.Task) error {
		if tk.ID == "nap" {
			last = tk
		}
		return nil
	})
	res := runRequest(t, newEngine(t), &engine.Request{Pipeline: load(t, y), Recorder: rec})
	if res.State != runstate.Failed {
		t.Fatalf("state %s", res.State)
	}
	nap := task(t, res, "nap")
	lines := strings.Split(nap.LogTail, "\n")
	if len(lines) != engine.TailLines {
		t.Fatalf("tail has %d lines, want %d:\n%s", len(lines), engine.TailLines, nap.LogTail)
	}
	if lines[len(lines)-1] != "ValueError: could not convert string to float: 'a'" || lines[0] != "line 22" {
		t.Errorf("tail of the second attempt:\n%s", nap.LogTail)
	}
	if last.State != runstate.Failed || last.LogTail != nap.LogTail {
		t.Errorf("the recorder's last record is %s with tail %q", last.State, last.LogTail)
	}
	if after := task(t, res, "after"); after.LogTail != "" {
		t.Errorf("a skipped task has a tail: %q", after.LogTail)
	}

	ok := run(t, newEngine(t), load(t, strings.Replace(sleeper, "sleep 30 & wait", "echo fine", 1)), nil)
	if nap := task(t, ok, "nap"); ok.State != runstate.Succeeded || nap.LogTail != "" {
		t.Errorf("a step that succeeded: %s, tail %q", ok.State, nap.LogTail)
	}
}
