package minioblob

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Object names and metadata are escaped exactly as gocloud's s3blob
// escapes them, so that both builds of Sluice (this driver and, with
// -tags awssdk, s3blob) read each other's objects. A rune that must not
// reach S3 as itself is written "__0x<hex>__": control characters, the
// "/" of "../", and the first "_" of any text that would otherwise read as
// such an escape.

// escapeKey returns the object name of key.
func escapeKey(key string) string {
	return hexEscape(key, func(r []rune, i int) bool {
		c := r[i]
		return c < 32 || (i > 1 && c == '/' && r[i-1] == '.' && r[i-2] == '.')
	})
}

// escapeMetaKey and escapeMetaValue make metadata fit an HTTP header.
func escapeMetaKey(k string) string {
	return hexEscape(url.PathEscape(k), func(r []rune, i int) bool {
		return r[i] == '@' || r[i] == ':' || r[i] == '='
	})
}

func escapeMetaValue(v string) string { return url.PathEscape(v) }

func unescapeMetaKey(k string) string { return hexUnescape(pathUnescape(k)) }

func unescapeMetaValue(v string) string { return pathUnescape(v) }

func pathUnescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// hexEscape escapes the runes of s for which must reports true, and the
// start of every escape-like sequence ("__0x") already in s.
func hexEscape(s string, must func(r []rune, i int) bool) string {
	r := []rune(s)
	var b strings.Builder
	escaped := false
	for i, c := range r {
		if must(r, i) || startsEscape(r, i) {
			if !escaped {
				b.Grow(len(s) + 16)
				b.WriteString(string(r[:i]))
				escaped = true
			}
			fmt.Fprintf(&b, "__%#x__", c)
			continue
		}
		if escaped {
			b.WriteRune(c)
		}
	}
	if !escaped {
		return s
	}
	return b.String()
}

// hexUnescape reverses hexEscape.
func hexUnescape(s string) string {
	if !strings.Contains(s, "__0x") {
		return s
	}
	r := []rune(s)
	out := make([]rune, 0, len(r))
	for i := 0; i < len(r); i++ {
		if c, end, ok := parseEscape(r, i); ok {
			out = append(out, c)
			i = end
			continue
		}
		out = append(out, r[i])
	}
	return string(out)
}

// startsEscape reports whether r[i:] begins like an escape ("__0x"),
// complete or not: its first "_" is escaped, so that no escape written
// after it (of a control character, say) can complete it into one.
func startsEscape(r []rune, i int) bool {
	return i+3 < len(r) && r[i] == '_' && r[i+1] == '_' && r[i+2] == '0' && r[i+3] == 'x'
}

// parseEscape reads "__0x<hex>__" at r[i:]: the rune it stands for and the
// index of its last "_".
func parseEscape(r []rune, i int) (rune, int, bool) {
	const open = "__0x"
	for k, c := range open {
		if i+k >= len(r) || r[i+k] != c {
			return 0, 0, false
		}
	}
	j := i + len(open)
	start := j
	for j < len(r) && r[j] != '_' {
		j++
	}
	if j+1 >= len(r) || r[j+1] != '_' {
		return 0, 0, false
	}
	v, err := strconv.ParseInt(string(r[start:j]), 16, 32)
	if err != nil {
		return 0, 0, false
	}
	return rune(v), j + 1, true
}
