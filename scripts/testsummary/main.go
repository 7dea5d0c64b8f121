package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string
}

// summary collects what a test run printed and skipped.
type summary struct {
	out     io.Writer
	outputs map[string][]string // package + test -> output lines so far
	skips   map[string][]string // reason -> package.Test
}

func newSummary(out io.Writer) *summary {
	return &summary{out: out, outputs: map[string][]string{}, skips: map[string][]string{}}
}

// add takes one event.
func (s *summary) add(e event) {
	key := e.Package + "\x00" + e.Test
	switch {
	case e.Action == "build-output":
		fmt.Fprint(s.out, e.Output)
	case e.Test == "":
		if e.Action == "output" && e.Output != "PASS\n" && !strings.HasPrefix(e.Output, "=== ") {
			fmt.Fprint(s.out, e.Output)
		}
	case e.Action == "output":
		s.outputs[key] = append(s.outputs[key], e.Output)
	case e.Action == "fail":
		fmt.Fprint(s.out, strings.Join(s.outputs[key], ""))
		delete(s.outputs, key)
	case e.Action == "skip":
		r := reason(s.outputs[key])
		s.skips[r] = append(s.skips[r], shortPkg(e.Package)+"."+e.Test)
		delete(s.outputs, key)
	case e.Action == "pass":
		delete(s.outputs, key)
	}
}

// fileLine is the "file_test.go:12: " prefix t.Log puts on a line;
// scriptSkip is a testscript's skip command as it logs it
// ("> [!tool:python3] skip 'needs python3'").
var (
	fileLine = regexp.MustCompile(`^[\w.-]+\.go:\d+: `)
	// path is an absolute or ../ path in a reason: replaced by "…" so
	// that one cause (a missing corpus) is one group, whatever file each
	// test looked for.
	path       = regexp.MustCompile(`(^|[\s(])(\.\./|/)[^\s:()]+`)
	scriptSkip = regexp.MustCompile(`^> (\[[^\]]*\] )?skip\b\s*(.*)$`)
)

// reason is why a test skipped: the last line it logged (t.Skip's
// message), without its file:line prefix and with paths left out;
// testscript's "skip" lines give their message.
func reason(lines []string) string {
	var last string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		last = fileLine.ReplaceAllString(t, "")
		if m := scriptSkip.FindStringSubmatch(last); m != nil {
			last = strings.Trim(m[2], `'"`)
			if last == "" {
				last = "testscript " + strings.TrimSpace(m[1])
			}
		}
	}
	if last == "" {
		return "(no reason given)"
	}
	return path.ReplaceAllString(last, "$1…")
}

func shortPkg(p string) string {
	return strings.TrimPrefix(p, "github.com/sluicehq/sluice/")
}

// print writes the skip summary to w: the reasons, most skips first, each
// with its count and a few of the tests.
func (s *summary) print(w io.Writer) {
	total := 0
	reasons := make([]string, 0, len(s.skips))
	for r, ts := range s.skips {
		total += len(ts)
		reasons = append(reasons, r)
	}
	if total == 0 {
		fmt.Fprintln(w, "== no test skipped")
		return
	}
	sort.Slice(reasons, func(i, j int) bool {
		a, b := len(s.skips[reasons[i]]), len(s.skips[reasons[j]])
		if a != b {
			return a > b
		}
		return reasons[i] < reasons[j]
	})
	fmt.Fprintf(w, "== %d tests skipped, by reason:\n", total)
	for _, r := range reasons {
		ts := s.skips[r]
		sort.Strings(ts)
		shown := ts
		if len(shown) > 3 {
			shown = shown[:3]
		}
		more := ""
		if len(ts) > len(shown) {
			more = fmt.Sprintf(", … %d more", len(ts)-len(shown))
		}
		fmt.Fprintf(w, "%5d  %s\n       (%s%s)\n", len(ts), r, strings.Join(shown, ", "), more)
	}
}

// run copies the test output from in to out and writes the skip summary
// to sum.
func run(in io.Reader, out, sum io.Writer) error {
	s := newSummary(out)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// Not an event (go vet or the toolchain writing to stdout):
			// pass it on.
			fmt.Fprintln(out, sc.Text())
			continue
		}
		s.add(e)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read go test -json: %w", err)
	}
	s.print(sum)
	return nil
}

func main() {
	summaryFile := flag.String("summary", "", "write the skip summary to `FILE` instead of standard output (to print it later)")
	flag.Parse()
	var sum io.Writer = os.Stdout
	if *summaryFile != "" {
		f, err := os.Create(*summaryFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testsummary:", err)
			os.Exit(1)
		}
		defer f.Close()
		sum = f
	}
	if err := run(os.Stdin, os.Stdout, sum); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(1)
	}
}
