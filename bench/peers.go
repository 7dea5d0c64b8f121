package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
)

// -peers: the no-op workloads (W3, W4, W5 at 1,000) run by `sluice run`'s
// engine, by GNU make with the same parallelism, by the shell floor and by
// Snakemake when it is installed, interleaved (one of each per repetition,
// so that all see the same load). Every tool pays one `sh -c ':'` per step:
// make runs a recipe that is the shell builtin `:` through /bin/sh -c, as
// the steps and the floor do.

// peerWorkloads are the workloads -peers measures, with their sizes.
var peerWorkloads = []struct {
	name string
	size int
}{{"W3", 1000}, {"W4", 200}, {"W5", 1000}}

// PeerRow is one workload measured by every tool.
type PeerRow struct {
	Workload string `json:"workload"`
	Steps    int    `json:"steps"`
	Par      int    `json:"parallelism"`
	Reps     int    `json:"n"`
	// Medians of the wall times, ms; Snakemake is 0 when not installed.
	Sluice    float64 `json:"sluice_ms"`
	Make      float64 `json:"make_ms"`
	Shell     float64 `json:"shell_ms"` // xargs -P (the sequential script for a chain)
	Snakemake float64 `json:"snakemake_ms,omitempty"`
	// Every repetition, in the order measured.
	SluiceRuns, MakeRuns, ShellRuns, SnakemakeRuns []float64 `json:",omitempty"`
	// Load average (1 minute) before the first and after the last
	// repetition.
	LoadBefore, LoadAfter string
}

// Makefile is w as a Makefile: one phony target per step, each a no-op
// recipe, with the workload's dependencies (W4 a chain, W3 a fan-in to its
// last step, W5 independent items); `all` depends on every step.
func Makefile(w *Workload) string {
	var b strings.Builder
	names := make([]string, w.Steps)
	for i := range names {
		names[i] = "s" + strconv.Itoa(i)
	}
	fmt.Fprintf(&b, ".PHONY: all %s\nall: %s\n", strings.Join(names, " "), strings.Join(names, " "))
	for i, n := range names {
		var deps []string
		switch {
		case w.Chain && i > 0:
			deps = names[i-1 : i]
		case w.Name == "W3" && i == len(names)-1:
			deps = names[:i]
		}
		fmt.Fprintf(&b, "%s: %s\n\t@: %s\n", n, strings.Join(deps, " "), n)
	}
	return b.String()
}

// Snakefile is w as a Snakefile: one rule per step whose output is a
// marker file, the dependencies as Makefile's.
func Snakefile(w *Workload) string {
	var b strings.Builder
	all := make([]string, w.Steps)
	for i := range all {
		all[i] = fmt.Sprintf("%q", "s"+strconv.Itoa(i))
	}
	fmt.Fprintf(&b, "rule all:\n    input: %s\n\n", strings.Join(all, ", "))
	for i := range w.Steps {
		var in []string
		switch {
		case w.Chain && i > 0:
			in = all[i-1 : i]
		case w.Name == "W3" && i == w.Steps-1:
			in = all[:i]
		}
		fmt.Fprintf(&b, "rule s%d:\n", i)
		if len(in) > 0 {
			fmt.Fprintf(&b, "    input: %s\n", strings.Join(in, ", "))
		}
		fmt.Fprintf(&b, "    output: touch(\"s%d\")\n    shell: \":\"\n\n", i)
	}
	return b.String()
}

// runMake runs w's Makefile with make -j Par in a fresh directory and
// returns its wall time (ms).
func runMake(w *Workload) (float64, error) {
	dir, err := os.MkdirTemp("", "sluice-make-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte(Makefile(w)), 0o644); err != nil {
		return 0, err
	}
	cmd := exec.Command("make", "-s", "-j", strconv.Itoa(w.Par))
	cmd.Dir = dir
	wall, _, err := timeCmd(cmd)
	return wall, err
}

// runSnakemake runs w's Snakefile with --cores Par in a fresh directory.
func runSnakemake(w *Workload) (float64, error) {
	dir, err := os.MkdirTemp("", "sluice-snakemake-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "Snakefile"), []byte(Snakefile(w)), 0o644); err != nil {
		return 0, err
	}
	cmd := exec.Command("snakemake", "--quiet", "--cores", strconv.Itoa(w.Par))
	cmd.Dir = dir
	wall, _, err := timeCmd(cmd)
	return wall, err
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// runPeers measures peerWorkloads (only those named in ws, when given) n
// times each, every tool once per repetition.
func runPeers(self string, ws []string, n int, size int) ([]PeerRow, error) {
	_, errSnake := exec.LookPath("snakemake")
	if _, err := exec.LookPath("make"); err != nil {
		return nil, fmt.Errorf("-peers needs GNU make: %w", err)
	}
	var rows []PeerRow
	for _, pw := range peerWorkloads {
		if len(ws) > 0 && !containsFold(ws, pw.name) {
			continue
		}
		sz := pw.size
		if size > 0 {
			sz = size
		}
		w, err := Generate(pw.name, sz, false)
		if err != nil {
			return nil, err
		}
		row := PeerRow{Workload: fmt.Sprintf("%s(%d)", pw.name, sz), Steps: w.Steps, Par: w.Par, Reps: n, LoadBefore: loadAvg()}
		for rep := range n {
			out, err := exec.Command(self, "-child", fmt.Sprintf("run:%s:%d", pw.name, sz)).Output()
			if err != nil {
				return nil, fmt.Errorf("sluice %s: %w", pw.name, err)
			}
			var cr childResult
			if err := json.Unmarshal(out, &cr); err != nil {
				return nil, fmt.Errorf("sluice %s: %w: %s", pw.name, err, out)
			}
			row.SluiceRuns = append(row.SluiceRuns, cr.WallMS)
			m, err := runMake(w)
			if err != nil {
				return nil, fmt.Errorf("make %s: %w", pw.name, err)
			}
			row.MakeRuns = append(row.MakeRuns, m)
			seq, par, _, err := measureFloor(w)
			if err != nil {
				return nil, fmt.Errorf("shell %s: %w", pw.name, err)
			}
			if w.Chain {
				par = seq
			}
			row.ShellRuns = append(row.ShellRuns, par)
			if errSnake == nil {
				s, err := runSnakemake(w)
				if err != nil {
					return nil, fmt.Errorf("snakemake %s: %w", pw.name, err)
				}
				row.SnakemakeRuns = append(row.SnakemakeRuns, s)
			}
			fmt.Fprintf(os.Stderr, "done peers %s (%d/%d)\n", row.Workload, rep+1, n)
		}
		row.LoadAfter = loadAvg()
		row.Sluice, row.Make, row.Shell = median(row.SluiceRuns), median(row.MakeRuns), median(row.ShellRuns)
		if len(row.SnakemakeRuns) > 0 {
			row.Snakemake = median(row.SnakemakeRuns)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), s) {
			return true
		}
	}
	return false
}

// printPeers writes the table: medians, the ratios to make and to the
// shell, Sluice's overhead per step over make, and each tool's over the
// shell floor.
func printPeers(w io.Writer, rows []PeerRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tsteps\tpar\tn\tsluice ms\tmake ms\tshell ms\tsnakemake ms\tsluice/make\tsluice/shell\tmake/shell\tsluice over make ms/step\tsluice over shell ms/step\tmake over shell ms/step\tload\t")
	for _, r := range rows {
		snake := "-"
		if r.Snakemake > 0 {
			snake = fmt.Sprintf("%.0f", r.Snakemake)
		}
		per := func(x, base float64) string { return fmt.Sprintf("%.3f", (x-base)/float64(r.Steps)) }
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.0f\t%.0f\t%.0f\t%s\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\t%s→%s\t\n",
			r.Workload, r.Steps, r.Par, r.Reps, r.Sluice, r.Make, r.Shell, snake,
			r.Sluice/r.Make, r.Sluice/r.Shell, r.Make/r.Shell, per(r.Sluice, r.Make), per(r.Sluice, r.Shell), per(r.Make, r.Shell),
			r.LoadBefore, r.LoadAfter)
	}
	tw.Flush()
}

func peersMain(ws []string, n, size int, jsonOut string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("# %s, load average %s\n", machine(), loadAvg())
	rows, err := runPeers(self, ws, n, size)
	if err != nil {
		return err
	}
	printPeers(os.Stdout, rows)
	if jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"machine": machine(), "peers": rows}, "", "  ")
		return os.WriteFile(jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}
