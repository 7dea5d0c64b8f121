package minioblob

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Escaping is reversible for every UTF-8 key and metadata pair, and what
// reaches S3 has no control characters and no "../".
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"runs/r1/out", "a/../b", "line\nbreak", "__0x41__", "__0x2f", "../..", "ü", "k:=@", "__0x0\r", "..__0x2f__x", "___0x1__"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		e := escapeKey(s)
		if got := hexUnescape(e); got != s {
			t.Errorf("hexUnescape(escapeKey(%q)) = %q (escaped %q)", s, got, e)
		}
		if strings.Contains(e, "../") || strings.IndexFunc(e, func(r rune) bool { return r < 32 }) >= 0 {
			t.Errorf("escapeKey(%q) = %q", s, e)
		}
		if got := unescapeMetaKey(escapeMetaKey(s)); got != s {
			t.Errorf("metadata key %q came back %q", s, got)
		}
		if got := unescapeMetaValue(escapeMetaValue(s)); got != s {
			t.Errorf("metadata value %q came back %q", s, got)
		}
	})
}
