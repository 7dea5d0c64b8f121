package pyruntime

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// This file holds a tiny reader for the `command:` lists of compiled KFP
// YAML files (as emitted by PyYAML), so the tests need no YAML dependency.
// It understands plain, single-quoted and double-quoted scalars, including
// multi-line folding; that is all KFP's compiler emits for commands.

// executorCommands returns executor label -> command for a compiled file.
func executorCommands(file string) (map[string][]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	label := ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		ind := indentOf(l)
		t := strings.TrimSpace(l)
		if t != "" && ind < 4 {
			label = "" // left deploymentSpec.executors
		}
		if ind == 4 && strings.HasPrefix(t, "exec-") && strings.HasSuffix(t, ":") {
			label = strings.TrimSuffix(t, ":")
			continue
		}
		// deploymentSpec.executors.<label>.container.command
		if t != "command:" || ind != 8 || label == "" {
			continue
		}
		var items []string
		j := i + 1
		for j < len(lines) {
			li := lines[j]
			if strings.TrimSpace(li) == "" {
				j++
				continue
			}
			itemInd := indentOf(li)
			if itemInd < ind || !strings.HasPrefix(strings.TrimSpace(li), "- ") {
				break
			}
			raw := []string{strings.TrimSpace(li)[2:]}
			j++
			// Continuation lines are indented past the key; hand-written
			// files put them at the item's own indentation.
			for j < len(lines) && (strings.TrimSpace(lines[j]) == "" || indentOf(lines[j]) > itemInd ||
				(indentOf(lines[j]) == itemInd && itemInd > ind && !strings.HasPrefix(strings.TrimSpace(lines[j]), "- "))) {
				raw = append(raw, lines[j])
				j++
			}
			v, err := yamlScalar(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", file, label, err)
			}
			items = append(items, v)
		}
		out[label] = items
		i = j - 1
	}
	return out, nil
}

func indentOf(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

// yamlScalar decodes a flow scalar whose first line is raw[0] (text after
// "- ") and whose continuation lines follow.
func yamlScalar(raw []string) (string, error) {
	text := strings.Join(raw, "\n")
	switch {
	case strings.HasPrefix(text, `"`):
		return foldQuoted(text[1:], '"')
	case strings.HasPrefix(text, `'`):
		return foldQuoted(text[1:], '\'')
	case strings.HasPrefix(text, "|"), strings.HasPrefix(text, ">"):
		return "", fmt.Errorf("block scalars are not supported")
	}
	// Plain scalar: lines folded with single spaces, empty lines are \n.
	var b strings.Builder
	for i, l := range raw {
		l = strings.TrimSpace(l)
		switch {
		case i == 0:
			b.WriteString(l)
		case l == "":
			b.WriteByte('\n')
		default:
			if s := b.String(); !strings.HasSuffix(s, "\n") {
				b.WriteByte(' ')
			}
			b.WriteString(l)
		}
	}
	return b.String(), nil
}

var yamlEscapes = map[byte]string{
	'0': "\x00", 'a': "\a", 'b': "\b", 't': "\t", '\t': "\t", 'n': "\n", 'v': "\v",
	'f': "\f", 'r': "\r", 'e': "\x1b", ' ': " ", '"': `"`, '/': "/", '\\': `\`,
	'N': "\u0085", '_': "\u00a0", 'L': "\u2028", 'P': "\u2029",
}

// foldQuoted decodes the body of a quoted scalar (after the opening quote)
// up to its closing quote, applying YAML line folding.
func foldQuoted(s string, q byte) (string, error) {
	var out []byte
	keep := 0 // out[:keep] may not be trimmed as trailing white space
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			out = append(out, '\'')
			keep = len(out)
			i++
		case c == q:
			return string(out), nil
		case c == '\\' && q == '"':
			if i+1 >= len(s) {
				return "", fmt.Errorf("dangling escape")
			}
			i++
			e := s[i]
			switch {
			case e == '\n':
				for i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t') {
					i++
				}
			case e == 'x' || e == 'u' || e == 'U':
				n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
				if i+n >= len(s) {
					return "", fmt.Errorf("short escape")
				}
				r, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
				if err != nil {
					return "", err
				}
				out = append(out, string(rune(r))...)
				i += n
			default:
				rep, ok := yamlEscapes[e]
				if !ok {
					return "", fmt.Errorf("unknown escape \\%c", e)
				}
				out = append(out, rep...)
			}
			keep = len(out)
		case c == '\n':
			for len(out) > keep && (out[len(out)-1] == ' ' || out[len(out)-1] == '\t') {
				out = out[:len(out)-1]
			}
			breaks := 0
			for i < len(s) && s[i] == '\n' {
				breaks++
				i++
				for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
					i++
				}
			}
			i--
			if breaks == 1 {
				out = append(out, ' ')
			} else {
				for k := 1; k < breaks; k++ {
					out = append(out, '\n')
				}
			}
			keep = len(out)
		default:
			out = append(out, c)
			if c != ' ' && c != '\t' {
				keep = len(out)
			}
		}
	}
	return "", fmt.Errorf("unterminated quoted scalar")
}
