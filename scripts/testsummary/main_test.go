package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestSummary(t *testing.T) {
	var in strings.Builder
	ev := func(action, pkg, test, output string) {
		b, _ := json.Marshal(event{Action: action, Package: pkg, Test: test, Output: output})
		in.Write(b)
		in.WriteByte('\n')
	}
	const p, q = "github.com/sluicehq/sluice/spec", "github.com/sluicehq/sluice/cli"
	ev("run", p, "TestOK", "")
	ev("output", p, "TestOK", "=== RUN   TestOK\n")
	ev("output", p, "TestOK", "    ok_test.go:3: chatter\n")
	ev("pass", p, "TestOK", "")
	for i, name := range []string{"TestCorpusA", "TestCorpusB"} {
		ev("output", p, name, "=== RUN   "+name+"\n")
		ev("output", p, name, fmt.Sprintf("    load_test.go:46: conformance corpus not found: open ../../shared/conformance/%d.yaml: no such file or directory (see docs/CONFORMANCE.md)\n", i))
		ev("output", p, name, "--- SKIP: "+name+" (0.00s)\n")
		ev("skip", p, name, "")
	}
	ev("output", p, "TestBroken", "=== RUN   TestBroken\n")
	ev("output", p, "TestBroken", "    broken_test.go:9: got 1, want 2\n")
	ev("output", p, "TestBroken", "--- FAIL: TestBroken (0.00s)\n")
	ev("fail", p, "TestBroken", "")
	ev("output", p, "", "FAIL\n")
	ev("output", p, "", "FAIL\tgithub.com/sluicehq/sluice/spec\t0.1s\n")
	ev("fail", p, "", "")
	ev("output", q, "TestScripts/py", "        > [!tool:python3] skip 'needs python3'\n")
	ev("output", q, "TestScripts/py", "        \n")
	ev("skip", q, "TestScripts/py", "")
	ev("output", q, "TestQuiet", "--- SKIP: TestQuiet (0.00s)\n")
	ev("skip", q, "TestQuiet", "")
	ev("output", q, "", "PASS\n")
	ev("output", q, "", "ok  \tgithub.com/sluicehq/sluice/cli\t0.2s\n")
	ev("build-output", "", "", "# github.com/sluicehq/sluice/x\nx.go:1: syntax error\n")
	in.WriteString("not json from the toolchain\n")

	var out, sum strings.Builder
	if err := run(strings.NewReader(in.String()), &out, &sum); err != nil {
		t.Fatal(err)
	}
	wantOut := "    broken_test.go:9: got 1, want 2\n--- FAIL: TestBroken (0.00s)\n" +
		"FAIL\nFAIL\tgithub.com/sluicehq/sluice/spec\t0.1s\n" +
		"ok  \tgithub.com/sluicehq/sluice/cli\t0.2s\n" +
		"# github.com/sluicehq/sluice/x\nx.go:1: syntax error\n" +
		"not json from the toolchain\n"
	if got := strings.ReplaceAll(out.String(), "=== RUN   TestBroken\n", ""); got != wantOut {
		t.Errorf("output:\n%s\nwant:\n%s", got, wantOut)
	}
	wantSum := `== 4 tests skipped, by reason:
    2  conformance corpus not found: open …: no such file or directory (see docs/CONFORMANCE.md)
       (spec.TestCorpusA, spec.TestCorpusB)
    1  (no reason given)
       (cli.TestQuiet)
    1  needs python3
       (cli.TestScripts/py)
`
	if sum.String() != wantSum {
		t.Errorf("summary:\n%s\nwant:\n%s", sum.String(), wantSum)
	}

	var none strings.Builder
	if err := run(strings.NewReader(""), &out, &none); err != nil || none.String() != "== no test skipped\n" {
		t.Errorf("no skips: %q %v", none.String(), err)
	}
}
