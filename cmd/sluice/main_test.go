package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain lets the tests run this binary's main: with SLUICE_TEST_MAIN=1
// the test binary is sluice.
func TestMain(m *testing.M) {
	if os.Getenv("SLUICE_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// Graph layout must cost nothing to commands that draw no graph, and
// nothing may run code from a shared temporary directory: the layout is
// pure Go (package layout), with no WebAssembly runtime linked.
func TestNoLayoutRuntimeLinked(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, d := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/tetratelabs/wazero", "github.com/goccy/go-graphviz"} {
			if d == banned || strings.HasPrefix(d, banned+"/") {
				t.Errorf("sluice links %s", d)
			}
		}
	}
}

// TestHelpDoesNoLayoutWork runs `sluice --help` with GODEBUG=inittrace=1
// and an empty TMPDIR: no layout package may do work at initialisation,
// and nothing may be written to the temporary directory.
func TestHelpDoesNoLayoutWork(t *testing.T) {
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "--help")
	cmd.Env = append(os.Environ(), "SLUICE_TEST_MAIN=1", "GODEBUG=inittrace=1", "TMPDIR="+tmp)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sluice --help: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Usage:") {
		t.Fatalf("sluice --help printed no usage:\n%s", stdout.String())
	}
	inits := 0
	for _, line := range strings.Split(stderr.String(), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "init" {
			continue
		}
		inits++
		for _, banned := range []string{"github.com/sluicehq/sluice/layout", "github.com/tetratelabs/wazero", "github.com/goccy/go-graphviz"} {
			if f[1] == banned || strings.HasPrefix(f[1], banned+"/") {
				t.Errorf("sluice --help initialises %s: %s", f[1], line)
			}
		}
	}
	if inits == 0 {
		t.Fatalf("no init trace from GODEBUG=inittrace=1:\n%s", stderr.String())
	}
	if ents, err := os.ReadDir(tmp); err != nil || len(ents) > 0 {
		t.Errorf("sluice --help wrote to TMPDIR: %v %v", ents, err)
	}
}
