package component

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// This file writes YAML the way the KFP SDK writes IR files (PyYAML's
// yaml.dump with sort_keys=True and its defaults: block style, indent 2,
// width 80, sequences in mappings not indented, non-ASCII escaped), so that
// a generated component reads like one the SDK compiled, down to where long
// strings are folded. Values are map[string]any (keys sorted), []any,
// string, float64 (written as Python's repr of a float), bool.

const bestWidth = 80

type emitter struct {
	b          strings.Builder
	column     int
	whitespace bool
	indention  bool
}

func marshalYAML(doc map[string]any) string {
	e := &emitter{whitespace: true, indention: true}
	e.mapping(doc, 0, false)
	e.b.WriteString("\n")
	return e.b.String()
}

func (e *emitter) write(s string) {
	e.b.WriteString(s)
	e.column += utf8.RuneCountInString(s)
}

func (e *emitter) lineBreak() {
	e.b.WriteString("\n")
	e.column = 0
	e.whitespace = true
	e.indention = true
}

// writeIndent is PyYAML's write_indent.
func (e *emitter) writeIndent(indent int) {
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.lineBreak()
	}
	if e.column < indent {
		e.whitespace = true
		e.b.WriteString(strings.Repeat(" ", indent-e.column))
		e.column = indent
	}
}

// indicator is PyYAML's write_indicator.
func (e *emitter) indicator(s string, needWhitespace, whitespace, indention bool) {
	if !e.whitespace && needWhitespace {
		s = " " + s
	}
	e.whitespace = whitespace
	e.indention = e.indention && indention
	e.write(s)
}

// mapping writes a block mapping whose keys start at column indent. first
// is true when the first key goes on the current line (after "- ").
func (e *emitter) mapping(m map[string]any, indent int, first bool) {
	for i, k := range slices.Sorted(keysOf(m)) {
		if !(first && i == 0) {
			e.writeIndent(indent)
		}
		e.scalar(k, indent, true)
		e.indicator(":", false, false, false)
		e.value(m[k], indent, true)
	}
}

func keysOf(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// value writes a mapping value (inMapping) or a sequence item whose parent
// collection is at column indent.
func (e *emitter) value(v any, indent int, inMapping bool) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			e.indicator("{}", true, false, false)
			return
		}
		if inMapping {
			e.mapping(v, indent+2, false)
		} else {
			e.mapping(v, indent+2, true)
		}
	case []any:
		if len(v) == 0 {
			e.indicator("[]", true, false, false)
			return
		}
		// Sequences inside a mapping are not indented ("indentless").
		seqIndent := indent
		if !inMapping {
			seqIndent = indent + 2
		}
		for i, item := range v {
			if !inMapping && i == 0 {
				// first item of a nested sequence stays on the "- " line
			} else {
				e.writeIndent(seqIndent)
			}
			e.indicator("-", true, false, true)
			e.value(item, seqIndent, false)
		}
	default:
		e.scalar(v, indent+2, false)
	}
}

// scalar writes a scalar; indent is the column continuation lines start at.
func (e *emitter) scalar(v any, indent int, simpleKey bool) {
	switch v := v.(type) {
	case bool:
		e.plain(strconv.FormatBool(v), indent, !simpleKey)
	case float64:
		e.plain(pyFloat(v), indent, !simpleKey)
	case int:
		e.plain(strconv.Itoa(v), indent, !simpleKey)
	case string:
		e.str(v, indent, simpleKey)
	case nil:
		e.plain("null", indent, !simpleKey)
	default:
		panic(fmt.Sprintf("component: cannot write %T as YAML", v))
	}
}

func (e *emitter) str(s string, indent int, simpleKey bool) {
	a := analyze(s)
	split := !simpleKey
	switch {
	case !resolvesImplicitly(s) && !(simpleKey && (a.empty || a.multiline)) && a.allowBlockPlain && plainIsString(s):
		e.plain(s, indent, split)
	case a.allowSingleQuoted && !(simpleKey && a.multiline):
		e.singleQuoted(s, indent, split)
	default:
		e.doubleQuoted(s, indent, split)
	}
}

type analysis struct {
	empty, multiline                   bool
	allowBlockPlain, allowSingleQuoted bool
}

func isBreak(r rune) bool { return r == '\n' || r == '\u0085' || r == '\u2028' || r == '\u2029' }

func isSpaceOrEnd(r rune) bool {
	return r == 0 || r == ' ' || r == '\t' || r == '\r' || isBreak(r)
}

// analyze is PyYAML's analyze_scalar, for block context and allow_unicode off.
func analyze(s string) analysis {
	if s == "" {
		return analysis{empty: true, allowBlockPlain: true, allowSingleQuoted: true}
	}
	rs := []rune(s)
	var blockIndicators, lineBreaks, special, leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockIndicators = true
	}
	preceded := true
	followed := len(rs) == 1 || isSpaceOrEnd(rs[1])
	prevSpace, prevBreak := false, false
	for i, ch := range rs {
		if i == 0 {
			if strings.ContainsRune("#,[]{}&*!|>'\"%@`", ch) {
				blockIndicators = true
			}
			if (ch == '?' || ch == ':') && followed {
				blockIndicators = true
			}
			if ch == '-' && followed {
				blockIndicators = true
			}
		} else {
			if ch == ':' && followed {
				blockIndicators = true
			}
			if ch == '#' && preceded {
				blockIndicators = true
			}
		}
		if isBreak(ch) {
			lineBreaks = true
		}
		if !(ch == '\n' || (ch >= 0x20 && ch <= 0x7e)) {
			special = true // non-ASCII is escaped: allow_unicode is off
		}
		switch {
		case ch == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i == len(rs)-1 {
				trailingSpace = true
			}
			if prevBreak {
				breakSpace = true
			}
			prevSpace, prevBreak = true, false
		case isBreak(ch):
			if i == 0 {
				leadingBreak = true
			}
			if i == len(rs)-1 {
				trailingBreak = true
			}
			if prevSpace {
				spaceBreak = true
			}
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		preceded = isSpaceOrEnd(ch)
		followed = i+2 >= len(rs) || isSpaceOrEnd(rs[i+2])
	}
	a := analysis{multiline: lineBreaks, allowBlockPlain: true, allowSingleQuoted: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.allowBlockPlain = false
	}
	if breakSpace || spaceBreak || special {
		a.allowBlockPlain, a.allowSingleQuoted = false, false
	}
	if lineBreaks || blockIndicators {
		a.allowBlockPlain = false
	}
	return a
}

// YAML 1.1 implicit types of PyYAML's resolver: a string that matches one
// of these must be quoted to stay a string.
var implicitTypes = []*regexp.Regexp{
	regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`),
	regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`),
	regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`),
	regexp.MustCompile(`^(?:<<)$`),
	regexp.MustCompile(`^(?:~|null|Null|NULL|)$`),
	regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`),
	regexp.MustCompile(`^(?:=)$`),
}

// plainIsString reports whether go-yaml (which Sluice reads specs with)
// also reads s, written plain, as the string s. It differs from PyYAML on
// a few forms such as "000008" (an int for go-yaml, a string for PyYAML);
// those are quoted, so that both read the same value.
func plainIsString(s string) bool {
	var v map[string]any
	if err := yaml.Unmarshal([]byte("k: "+s), &v); err != nil {
		return false
	}
	got, ok := v["k"].(string)
	return ok && got == s
}

func resolvesImplicitly(s string) bool {
	for _, re := range implicitTypes {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// plain is PyYAML's write_plain (single-line scalars only).
func (e *emitter) plain(s string, indent int, split bool) {
	if s == "" {
		return
	}
	if !e.whitespace {
		e.write(" ")
	}
	e.whitespace, e.indention = false, false
	rs := []rune(s)
	spaces := false
	start := 0
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		if spaces {
			if ch != ' ' {
				if start+1 == end && e.column > bestWidth && split {
					e.writeIndent(indent)
					e.whitespace, e.indention = false, false
				} else {
					e.write(string(rs[start:end]))
				}
				start = end
			}
		} else if ch == -1 || ch == ' ' || isBreak(ch) {
			e.write(string(rs[start:end]))
			start = end
		}
		if ch != -1 {
			spaces = ch == ' '
		}
	}
}

// singleQuoted is PyYAML's write_single_quoted.
func (e *emitter) singleQuoted(s string, indent int, split bool) {
	e.indicator("'", true, false, false)
	rs := []rune(s)
	spaces, breaks := false, false
	start := 0
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		switch {
		case spaces:
			if ch != ' ' {
				if start+1 == end && e.column > bestWidth && split && start != 0 && end != len(rs) {
					e.writeIndent(indent)
				} else {
					e.write(string(rs[start:end]))
				}
				start = end
			}
		case breaks:
			if ch == -1 || !isBreak(ch) {
				if rs[start] == '\n' {
					e.lineBreak()
				}
				for _, br := range rs[start:end] {
					if br == '\n' {
						e.lineBreak()
					} else {
						e.b.WriteRune(br)
						e.column = 0
						e.whitespace, e.indention = true, true
					}
				}
				e.writeIndent(indent)
				start = end
			}
		default:
			if ch == -1 || ch == ' ' || isBreak(ch) || ch == '\'' {
				if start < end {
					e.write(string(rs[start:end]))
					start = end
				}
			}
		}
		if ch == '\'' {
			e.write("''")
			start = end + 1
		}
		if ch != -1 {
			spaces = ch == ' '
			breaks = isBreak(ch)
		}
	}
	e.indicator("'", false, false, false)
}

var escapes = map[rune]string{
	0: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0a: "n", 0x0b: "v", 0x0c: "f", 0x0d: "r", 0x1b: "e",
	'"': "\"", '\\': "\\", 0x85: "N", 0xa0: "_", 0x2028: "L", 0x2029: "P",
}

// doubleQuoted is PyYAML's write_double_quoted with allow_unicode off.
func (e *emitter) doubleQuoted(s string, indent int, split bool) {
	e.indicator("\"", true, false, false)
	rs := []rune(s)
	start := 0
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		if ch == -1 || ch == '"' || ch == '\\' || ch == 0x85 || ch == 0x2028 || ch == 0x2029 || ch == 0xfeff || ch < 0x20 || ch > 0x7e {
			if start < end {
				e.write(string(rs[start:end]))
				start = end
			}
			if ch != -1 {
				var esc string
				if r, ok := escapes[ch]; ok {
					esc = "\\" + r
				} else if ch <= 0xff {
					esc = fmt.Sprintf("\\x%02X", ch)
				} else if ch <= 0xffff {
					esc = fmt.Sprintf("\\u%04X", ch)
				} else {
					esc = fmt.Sprintf("\\U%08X", ch)
				}
				e.write(esc)
				start = end + 1
			}
		}
		if end > 0 && end < len(rs)-1 && (ch == ' ' || start >= end) && e.column+(end-start) > bestWidth && split {
			data := "\\"
			if start < end {
				data = string(rs[start:end]) + "\\"
				start = end
			}
			e.write(data)
			e.writeIndent(indent)
			e.whitespace, e.indention = false, false
			if rs[start] == ' ' {
				e.write("\\")
			}
		}
	}
	e.indicator("\"", false, false, false)
}

// pyFloat formats a float as PyYAML does: Python's repr, lower case, with
// ".0" added to an exponent form without a dot.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	s := pyRepr(f)
	if !strings.Contains(s, ".") && strings.Contains(s, "e") {
		s = strings.Replace(s, "e", ".0e", 1)
	}
	return s
}

// pyRepr is Python's repr of a finite float: the shortest round-tripping
// digits, positional when the exponent is in [-4, 16), else scientific.
func pyRepr(f float64) string {
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expS, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expS)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	sign := ""
	if neg {
		sign = "-"
	}
	if exp >= -4 && exp < 16 {
		var s string
		switch {
		case exp < 0:
			s = "0." + strings.Repeat("0", -exp-1) + digits
		case exp+1 >= len(digits):
			s = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
		default:
			s = digits[:exp+1] + "." + digits[exp+1:]
		}
		return sign + s
	}
	m := digits[:1]
	if len(digits) > 1 {
		m += "." + digits[1:]
	}
	es := fmt.Sprintf("%+03d", exp)
	return sign + m + "e" + es
}
