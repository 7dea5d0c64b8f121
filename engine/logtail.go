package engine

import (
	"bytes"
	"strings"
	"sync"
	"unicode/utf8"
)

// The end of a failed step's log kept on its task record (Task.LogTail):
// at most TailLines lines and TailBytes bytes.
const (
	TailLines = 20
	TailBytes = 4 << 10
)

// logTail is an io.Writer that keeps the last bytes written to a step's
// log, across its attempts, for the task record of a step that failed.
type logTail struct {
	mu  sync.Mutex
	buf []byte // the end of the log, at most 2*TailBytes
	cut bool   // bytes were dropped before buf
}

func (t *logTail) Write(p []byte) (int, error) {
	n := len(p)
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(p) >= TailBytes {
		t.buf, t.cut = append(t.buf[:0], p[len(p)-TailBytes:]...), true
		return n, nil
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*TailBytes {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-TailBytes:]...)
		t.cut = true
	}
	return n, nil
}

// String is the tail as LogTail words it.
func (t *logTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return LogTail(t.buf, t.cut)
}

// LogTail returns the last lines of a log (at most TailLines lines and
// TailBytes bytes) as text fit for a terminal, a web page and a database
// column: valid UTF-8; no control characters but tabs and newlines;
// terminal escape sequences removed; a line redrawn with carriage returns
// (a progress bar) reduced to what a terminal would show last; no partial
// first line, no empty lines at the end. cut says that b does not start
// at the beginning of the log.
func LogTail(b []byte, cut bool) string {
	if len(b) > TailBytes {
		b, cut = b[len(b)-TailBytes:], true
	}
	if cut {
		// The first line is partial; keep it only if it is all there is.
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i < len(b)-1 {
			b = b[i+1:]
		}
		for len(b) > 0 && b[0]&0xc0 == 0x80 {
			b = b[1:] // the end of a rune cut in two
		}
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		lines[i] = cleanLine(l)
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) > TailLines {
		lines = lines[len(lines)-TailLines:]
	}
	return strings.Join(lines, "\n")
}

// cleanLine makes one line of a log safe to show: what a terminal would
// show after its carriage returns, without escape sequences or control
// characters, as valid UTF-8.
func cleanLine(l string) string {
	l = strings.TrimSuffix(l, "\r")
	if i := strings.LastIndexByte(l, '\r'); i >= 0 {
		l = l[i+1:]
	}
	l = strings.ToValidUTF8(l, "\uFFFD")
	var sb strings.Builder
	for i := 0; i < len(l); {
		r, size := utf8.DecodeRuneInString(l[i:])
		if r == 0x1b { // ESC: skip the escape sequence
			i += escapeLen(l[i:])
			continue
		}
		i += size
		switch {
		case r == '\t':
			sb.WriteRune(r)
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
			// other control characters: dropped
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// escapeLen is the length of the terminal escape sequence at the start of
// s (which starts with ESC): CSI (ESC [ ... final byte), OSC (ESC ] ...
// BEL or ESC \), or ESC and one more character.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[':
		for i := 2; i < len(s); i++ {
			if s[i] >= 0x40 && s[i] <= 0x7e {
				return i + 1
			}
		}
		return len(s)
	case ']':
		for i := 2; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	}
	_, size := utf8.DecodeRuneInString(s[1:])
	return 1 + size
}
