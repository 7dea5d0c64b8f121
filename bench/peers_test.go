package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The Makefile of each peer workload, run by GNU make: one no-op recipe
// per step, in an order its dependencies allow (the chain in order, W3's
// fan-in last). No timing is checked.
func TestPeerMakefiles(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	for _, pw := range peerWorkloads {
		t.Run(pw.name, func(t *testing.T) {
			w, err := Generate(pw.name, 5, false)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte(Makefile(w)), 0o644); err != nil {
				t.Fatal(err)
			}
			// -n prints the recipes make would run, in an order it may.
			cmd := exec.Command("make", "-n", "-j1")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make -n: %v\n%s", err, out)
			}
			var ran []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				name, ok := strings.CutPrefix(l, ": ")
				if !ok {
					t.Fatalf("recipe %q is not the no-op builtin", l)
				}
				ran = append(ran, name)
			}
			if len(ran) != w.Steps {
				t.Fatalf("%d recipes for %d steps: %v", len(ran), w.Steps, ran)
			}
			last := "s" + strconv.Itoa(w.Steps-1)
			if (w.Chain || pw.name == "W3") && ran[len(ran)-1] != last {
				t.Errorf("%s ran before its dependencies: %v", last, ran)
			}
			if w.Chain && !slices.IsSorted(ran) {
				t.Errorf("the chain ran out of order: %v", ran)
			}
			if _, err := runMake(w); err != nil {
				t.Fatal(err)
			}
			if _, err := exec.LookPath("snakemake"); err == nil {
				if _, err := runSnakemake(w); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
