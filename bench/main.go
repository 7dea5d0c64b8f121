// Command bench measures Sluice's overhead on generated workloads against a
// shell floor measured in the same run. See docs/PERFORMANCE.md.
//
//	go run ./bench [-w W1,W2,W3,W4,W5,W6,API] [-json out.json] [-python] [-large] [-pg DSN]
//
// Each measurement runs in a fresh child process (this binary re-executed
// with -child), so that peak RSS is the workload's own.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/pyruntime"
	"github.com/sluicehq/sluice/spec"
)

// Row is one line of the report.
type Row struct {
	Workload string  `json:"workload"`
	Mode     string  `json:"mode"` // run, server-sqlite, server-postgres
	Size     int     `json:"size"`
	Steps    int     `json:"steps"`
	Par      int     `json:"parallelism"`
	WallMS   float64 `json:"wall_ms"`
	FloorSeq float64 `json:"floor_seq_ms"`
	FloorPar float64 `json:"floor_par_ms"`
	// OverheadMS is (wall - parallel floor) / steps.
	OverheadMS float64 `json:"overhead_per_step_ms"`
	// PerItemMS is wall / steps (W5).
	PerItemMS float64 `json:"per_step_ms"`
	CPUSelfMS float64 `json:"cpu_sluice_ms"`
	CPUKidsMS float64 `json:"cpu_steps_ms"`
	CPUFloor  float64 `json:"cpu_floor_ms"`
	RSSMB     float64 `json:"peak_rss_mb"`
	// KidRSSMB is RUSAGE_CHILDREN's maxrss: with Go's vfork-style spawn
	// it mostly reflects the parent's image, not the steps.
	KidRSSMB float64 `json:"peak_step_rss_mb"`
	Note     string  `json:"note,omitempty"`
}

// childResult is what a -child process prints.
type childResult struct {
	WallMS    float64 `json:"wall_ms"`
	CPUSelfMS float64 `json:"cpu_self_ms"`
	CPUKidsMS float64 `json:"cpu_children_ms"`
	RSSMB     float64 `json:"rss_mb"`
	KidRSSMB  float64 `json:"children_rss_mb"`
	Note      string  `json:"note,omitempty"`
}

func main() {
	ws := flag.String("w", "W1,W2,W3,W4,W5,W6", "workloads to run (W1..W6, API)")
	jsonOut := flag.String("json", "", "also write the rows as JSON to this file")
	python := flag.Bool("python", false, "no-op steps of W3, W4, W5 are lightweight Python components")
	large := flag.Bool("large", false, "W5 also at 10,000 items")
	pg := flag.String("pg", "", "PostgreSQL DSN: W6 also through a server on PostgreSQL")
	child := flag.String("child", "", "internal: run one measurement (MODE:W:SIZE) and print it as JSON")
	cpuprofile := flag.String("cpuprofile", "", "with -child: write a CPU profile of the measured part")
	apiN := flag.Int("api-runs", 200, "API: number of runs to create")
	flag.Parse()

	if *child != "" {
		if err := runChild(*child, *python, *pg, *cpuprofile, *apiN); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := runAll(strings.Split(*ws, ","), *python, *large, *pg, *jsonOut, *apiN); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type plannedRun struct {
	mode, w string
	size    int
}

func runAll(ws []string, python, large bool, pg, jsonOut string, apiN int) error {
	var plan []plannedRun
	for _, w := range ws {
		switch w = strings.ToUpper(strings.TrimSpace(w)); w {
		case "W1", "W2", "W3", "W4":
			plan = append(plan, plannedRun{"run", w, DefaultSize[w]})
		case "W5":
			sizes := []int{100, 1000}
			if large {
				sizes = append(sizes, 10000)
			}
			for _, n := range sizes {
				plan = append(plan, plannedRun{"run", w, n})
			}
		case "W6":
			modes := []string{"server-sqlite"}
			if pg != "" {
				modes = append(modes, "server-postgres")
			}
			for _, mode := range modes {
				for _, x := range []string{"W1", "W3", "W4"} {
					plan = append(plan, plannedRun{mode, x, DefaultSize[x]})
				}
				plan = append(plan, plannedRun{mode, "W5", 1000})
				if large {
					plan = append(plan, plannedRun{mode, "W5", 10000})
				}
			}
		case "API":
			plan = append(plan, plannedRun{"api-sqlite", "API", apiN})
			if pg != "" {
				plan = append(plan, plannedRun{"api-postgres", "API", apiN})
			}
		case "":
		default:
			return fmt.Errorf("unknown workload %q", w)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("# %s\n", machine())
	var rows []Row
	floors := map[string][3]float64{}
	for _, p := range plan {
		row := Row{Workload: p.w, Mode: p.mode, Size: p.size}
		if p.w != "API" {
			w, err := Generate(p.w, p.size, python)
			if err != nil {
				return err
			}
			row.Steps, row.Par = w.Steps, w.Par
			key := fmt.Sprint(p.w, p.size)
			fl, ok := floors[key]
			if !ok {
				seq, par, cpu, err := measureFloor(w)
				if err != nil {
					return fmt.Errorf("%s floor: %w", p.w, err)
				}
				fl = [3]float64{seq, par, cpu}
				floors[key] = fl
			}
			row.FloorSeq, row.FloorPar, row.CPUFloor = fl[0], fl[1], fl[2]
		}
		args := []string{"-child", fmt.Sprintf("%s:%s:%d", p.mode, p.w, p.size), "-api-runs", strconv.Itoa(p.size)}
		if python {
			args = append(args, "-python")
		}
		if pg != "" {
			args = append(args, "-pg", pg)
		}
		cmd := exec.Command(self, args...)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("%s %s:%d: %w", p.mode, p.w, p.size, err)
		}
		var cr childResult
		if err := json.Unmarshal(out, &cr); err != nil {
			return fmt.Errorf("%s %s: %w: %s", p.mode, p.w, err, out)
		}
		row.WallMS, row.CPUSelfMS, row.CPUKidsMS, row.RSSMB, row.KidRSSMB, row.Note = cr.WallMS, cr.CPUSelfMS, cr.CPUKidsMS, cr.RSSMB, cr.KidRSSMB, cr.Note
		if row.Steps > 0 {
			row.OverheadMS = (row.WallMS - row.FloorPar) / float64(row.Steps)
			row.PerItemMS = row.WallMS / float64(row.Steps)
		}
		rows = append(rows, row)
		fmt.Fprintf(os.Stderr, "done %s %s:%d wall %.0f ms\n", p.mode, p.w, p.size, row.WallMS)
	}
	printTable(os.Stdout, rows)
	if jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"machine": machine(), "python": python, "rows": rows}, "", "  ")
		if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func printTable(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tmode\tsteps\tpar\twall ms\tfloor seq ms\tfloor par ms\toverhead/step ms\twall/step ms\tCPU sluice ms\tCPU steps ms\tCPU floor ms\tRSS MB\t")
	for _, r := range rows {
		name := r.Workload
		if r.Workload == "W5" || r.Workload == "API" {
			name = fmt.Sprintf("%s(%d)", r.Workload, r.Size)
		}
		if r.Workload == "API" {
			fmt.Fprintf(tw, "%s\t%s\t\t\t%.0f\t\t\t\t\t%.0f\t%.0f\t\t%.0f\t  %s\n", name, r.Mode, r.WallMS, r.CPUSelfMS, r.CPUKidsMS, r.RSSMB, r.Note)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\t%.0f\t\n",
			name, r.Mode, r.Steps, r.Par, r.WallMS, r.FloorSeq, r.FloorPar, r.OverheadMS, r.PerItemMS, r.CPUSelfMS, r.CPUKidsMS, r.CPUFloor, r.RSSMB)
	}
	tw.Flush()
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s %s/%s", runtime.NumCPU(), cpu, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// measureFloor runs the workload's step command Steps times from a plain
// shell script, sequentially, then with xargs -P Par (the sequential time
// again for chains). It returns wall times and the CPU of the sequential
// script, in ms.
func measureFloor(w *Workload) (seq, par, cpu float64, err error) {
	dir, err := os.MkdirTemp("", "sluice-floor-")
	if err != nil {
		return 0, 0, 0, err
	}
	defer os.RemoveAll(dir)
	fc := w.FloorCmd()
	if w.Python {
		// The interpreter the steps get (no pyenv-style shim).
		bin, err := pyruntime.LinkInterpreter(context.Background(), dir)
		if err != nil || bin == "" {
			return 0, 0, 0, fmt.Errorf("no python3: %v", err)
		}
		fc[0] = filepath.Join(bin, "python3")
	}
	line := fc[0] + " " + fc[1] + " '" + fc[2] + "'\n"
	script := filepath.Join(dir, "seq.sh")
	if err := os.WriteFile(script, []byte(strings.Repeat(line, w.Steps)), 0o644); err != nil {
		return 0, 0, 0, err
	}
	seq, cpu, err = timeCmd(exec.Command("sh", script))
	if err != nil || w.Chain {
		return seq, seq, cpu, err
	}
	lines := filepath.Join(dir, "lines")
	if err := os.WriteFile(lines, []byte(strings.Repeat(fc[2]+"\n", w.Steps)), 0o644); err != nil {
		return 0, 0, 0, err
	}
	in, err := os.Open(lines)
	if err != nil {
		return 0, 0, 0, err
	}
	defer in.Close()
	xargs := exec.Command("xargs", "-d", "\n", "-P", strconv.Itoa(w.Par), "-n", "1", fc[0], fc[1])
	xargs.Stdin = in
	par, _, err = timeCmd(xargs)
	return seq, par, cpu, err
}

func timeCmd(cmd *exec.Cmd) (wallMS, cpuMS float64, err error) {
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("%v: %w: %s", cmd.Args, err, out)
	}
	wallMS = ms(time.Since(start))
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpuMS = tvMS(ru.Utime) + tvMS(ru.Stime)
	}
	return wallMS, cpuMS, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func tvMS(tv syscall.Timeval) float64 { return float64(tv.Sec)*1000 + float64(tv.Usec)/1000 }

func rusage(who int) syscall.Rusage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(who, &ru)
	return ru
}

// measure times f and reports this process's CPU and peak RSS, and its
// children's (the steps).
func measure(cpuprofile string, f func() (string, error)) (*childResult, error) {
	if cpuprofile != "" {
		pf, err := os.Create(cpuprofile)
		if err != nil {
			return nil, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	s0, c0 := rusage(syscall.RUSAGE_SELF), rusage(syscall.RUSAGE_CHILDREN)
	start := time.Now()
	note, err := f()
	wall := time.Since(start)
	s1, c1 := rusage(syscall.RUSAGE_SELF), rusage(syscall.RUSAGE_CHILDREN)
	if err != nil {
		return nil, err
	}
	cpu := func(a, b syscall.Rusage) float64 {
		return tvMS(b.Utime) + tvMS(b.Stime) - tvMS(a.Utime) - tvMS(a.Stime)
	}
	return &childResult{
		WallMS: ms(wall), CPUSelfMS: cpu(s0, s1), CPUKidsMS: cpu(c0, c1),
		RSSMB: float64(s1.Maxrss) / 1024, KidRSSMB: float64(c1.Maxrss) / 1024, Note: note,
	}, nil
}

func runChild(arg string, python bool, pg, cpuprofile string, apiN int) error {
	parts := strings.Split(arg, ":")
	if len(parts) != 3 {
		return fmt.Errorf("-child %q: want MODE:W:SIZE", arg)
	}
	mode, name := parts[0], parts[1]
	size, err := strconv.Atoi(parts[2])
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "sluice-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var res *childResult
	switch {
	case mode == "run":
		w, err := Generate(name, size, python)
		if err != nil {
			return err
		}
		p, err := spec.Load(w.JSON())
		if err != nil {
			return err
		}
		e, err := NewEngine(dir, w.Par)
		if err != nil {
			return err
		}
		res, err = measure(cpuprofile, func() (string, error) {
			r, err := e.Run(context.Background(), &engine.Request{Pipeline: p, NoCache: true})
			if err != nil {
				return "", err
			}
			return "", w.Check(r)
		})
		if err != nil {
			return err
		}
	case strings.HasPrefix(mode, "server-"):
		res, err = serverChild(dir, mode, name, size, python, pg, cpuprofile)
	case strings.HasPrefix(mode, "api-"):
		res, err = apiChild(dir, mode, apiN, pg)
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// NewEngine builds the engine like `sluice run --no-cache` does (local
// executor, the embedded Python runtime), under dir.
func NewEngine(dir string, parallelism int) (*engine.Engine, error) {
	pp, err := pyruntime.Install(filepath.Join(dir, "pyruntime"))
	if err != nil {
		return nil, fmt.Errorf("install the Python runtime: %w", err)
	}
	bin, err := pyruntime.LinkInterpreter(context.Background(), filepath.Join(dir, "pyruntime"))
	if err != nil {
		return nil, err
	}
	return &engine.Engine{
		Launcher:    &launcher.Launcher{Executor: &local.Executor{}, PythonPath: pp, BinDir: bin},
		Parallelism: parallelism,
		DefaultRoot: filepath.Join(dir, "artifacts"),
	}, nil
}
