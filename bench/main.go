// Command bench measures Sluice's overhead on generated workloads against a
// shell floor measured in the same run. See docs/PERFORMANCE.md.
//
//	go run ./bench [-w W1,W2,W3,W4,W5,W6,TUNE,API] [-n 3] [-json out.json] [-python] [-large] [-pg auto|off|DSN]
//
// Each measurement runs in a fresh child process (this binary re-executed
// with -child), so that peak RSS is the workload's own; each workload is
// measured -n times (-n-large for the large ones) and the medians are
// reported, with the wall time's min and max.
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
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/pyruntime"
	"github.com/sluicehq/sluice/spec"
)

// Row is one line of the report: the medians of Reps measurements.
type Row struct {
	Workload string  `json:"workload"`
	Mode     string  `json:"mode"` // run, server-sqlite, server-postgres, api-sqlite, api-postgres
	Size     int     `json:"size"`
	Steps    int     `json:"steps"`
	Par      int     `json:"parallelism"`
	Reps     int     `json:"reps"`
	WallMS   float64 `json:"wall_ms"` // median
	WallMin  float64 `json:"wall_min_ms"`
	WallMax  float64 `json:"wall_max_ms"`
	FloorSeq float64 `json:"floor_seq_ms"` // median of the floors measured beside each repetition
	FloorPar float64 `json:"floor_par_ms"`
	// OverheadMS is (wall - parallel floor) / steps, of the medians.
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
	// TUNE: the plain runs' median wall time, their overhead per run
	// ((wall - parallel floor) / runs) and the trials' overhead per trial
	// over it.
	BaselineMS float64 `json:"baseline_wall_ms,omitempty"`
	BaseOverMS float64 `json:"baseline_overhead_per_run_ms,omitempty"`
	TuneRatio  float64 `json:"trial_over_run_overhead,omitempty"`
	// Each repetition as measured.
	Runs []childResult `json:"runs"`
}

// childResult is what a -child process prints.
type childResult struct {
	WallMS    float64 `json:"wall_ms"`
	CPUSelfMS float64 `json:"cpu_self_ms"`
	CPUKidsMS float64 `json:"cpu_children_ms"`
	RSSMB     float64 `json:"rss_mb"`
	KidRSSMB  float64 `json:"children_rss_mb"`
	FloorSeq  float64 `json:"floor_seq_ms,omitempty"`
	FloorPar  float64 `json:"floor_par_ms,omitempty"`
	FloorCPU  float64 `json:"floor_cpu_ms,omitempty"`
	Note      string  `json:"note,omitempty"`
	// API: the list-runs page latencies, ms.
	ListMS []float64 `json:"list_ms,omitempty"`
	// TUNE: the plain runs' wall time, ms (WallMS is the experiment's).
	BaselineMS float64 `json:"baseline_ms,omitempty"`
}

func main() {
	ws := flag.String("w", "W1,W2,W3,W4,W5,W6,TUNE", "workloads to run (W1..W6, TUNE, API, MEASURE)")
	jsonOut := flag.String("json", "", "also write the rows as JSON to this file")
	python := flag.Bool("python", false, "no-op steps of W3, W4, W5 are lightweight Python components")
	large := flag.Bool("large", false, "W5 also at 10,000 items")
	pg := flag.String("pg", "auto", "PostgreSQL for W6 and API: a DSN, \"auto\" (a throwaway server from the machine's binaries, if any) or \"off\"")
	n := flag.Int("n", 3, "measurements of each small workload (the median is reported)")
	nLarge := flag.Int("n-large", 1, "measurements of each large workload (W5 at 10,000, API)")
	child := flag.String("child", "", "internal: run one measurement (MODE:W:SIZE) and print it as JSON")
	cpuprofile := flag.String("cpuprofile", "", "with -child: write a CPU profile of the measured part")
	memprofile := flag.String("memprofile", "", "with -child: write a heap profile taken when the live heap was largest")
	apiN := flag.Int("api-runs", 200, "API: number of runs to create through the API")
	apiSeed := flag.Int("api-seed", 100_000, "API: runs stored before the server starts (list-runs latency is measured over them)")
	apiLists := flag.Int("api-lists", 60, "API: list-runs page fetches (the median is reported)")
	tuneN := flag.Int("tune-trials", 1000, "TUNE: trials of the experiment (and plain runs beside it)")
	peers := flag.Bool("peers", false, "compare with GNU make, the shell floor and Snakemake (when installed) on W3, W4, W5(1,000), interleaved; -w picks among them, -n repetitions")
	peerSize := flag.Int("peers-size", 0, "with -peers: every workload at this size instead of its own (for a quick look)")
	flag.Parse()
	wsSet := false
	flag.Visit(func(f *flag.Flag) { wsSet = wsSet || f.Name == "w" })

	if *child != "" {
		if err := runChild(*child, *python, *pg, profiles{cpu: *cpuprofile, mem: *memprofile}, *apiN, *apiSeed, *apiLists); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *peers {
		var only []string
		if wsSet {
			only = strings.Split(*ws, ",")
		}
		if err := peersMain(only, max(*n, 1), *peerSize, *jsonOut); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	err := runAll(options{ws: strings.Split(*ws, ","), python: *python, large: *large, pg: *pg, jsonOut: *jsonOut,
		n: max(*n, 1), nLarge: max(*nLarge, 1), apiN: *apiN, apiSeed: *apiSeed, apiLists: *apiLists, tuneN: *tuneN})
	stopPostgres()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	ws                      []string
	python, large           bool
	pg, jsonOut             string
	n, nLarge               int
	apiN, apiSeed, apiLists int
	tuneN                   int
}

type plannedRun struct {
	mode, w string
	size    int
	large   bool
}

func (o options) plan() ([]plannedRun, error) {
	var plan []plannedRun
	pg := o.pg != "" && o.pg != "off"
	for _, w := range o.ws {
		switch w = strings.ToUpper(strings.TrimSpace(w)); w {
		case "W1", "W2", "W3", "W4":
			plan = append(plan, plannedRun{"run", w, DefaultSize[w], false})
		case "W5":
			sizes := []int{100, 1000}
			if o.large {
				sizes = append(sizes, 10000)
			}
			for _, n := range sizes {
				plan = append(plan, plannedRun{"run", w, n, n >= 10000})
			}
		case "W6":
			modes := []string{"server-sqlite"}
			if pg {
				modes = append(modes, "server-postgres")
			}
			// SQLite and PostgreSQL rows of a workload side by side.
			var sizes []plannedRun
			for _, x := range []string{"W1", "W3", "W4"} {
				sizes = append(sizes, plannedRun{w: x, size: DefaultSize[x]})
			}
			sizes = append(sizes, plannedRun{w: "W5", size: 1000})
			if o.large {
				sizes = append(sizes, plannedRun{w: "W5", size: 10000, large: true})
			}
			for _, sz := range sizes {
				for _, mode := range modes {
					sz.mode = mode
					plan = append(plan, sz)
				}
			}
		case "MEASURE":
			// The cost of measuring steps: W3 and W4 with steps run as
			// before measurement (run-plain: a process group, wait4), in
			// a cgroup each (run: what Auto picks here) and followed
			// through /proc (run-process).
			for _, x := range []string{"W3", "W4"} {
				for _, m := range []string{"run-plain", "run", "run-process"} {
					plan = append(plan, plannedRun{m, x, DefaultSize[x], false})
				}
			}
		case "TUNE":
			plan = append(plan, plannedRun{"tune-sqlite", "TUNE", o.tuneN, true})
			if pg {
				plan = append(plan, plannedRun{"tune-postgres", "TUNE", o.tuneN, true})
			}
		case "API":
			plan = append(plan, plannedRun{"api-sqlite", "API", o.apiN, true})
			if pg {
				plan = append(plan, plannedRun{"api-postgres", "API", o.apiN, true})
			}
		case "":
		default:
			return nil, fmt.Errorf("unknown workload %q", w)
		}
	}
	return plan, nil
}

func runAll(o options) error {
	plan, err := o.plan()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("# %s\n", machine())
	var rows []Row
	for _, p := range plan {
		reps := o.n
		if p.large {
			reps = o.nLarge
		}
		row := Row{Workload: p.w, Mode: p.mode, Size: p.size, Reps: reps}
		var w *Workload
		switch p.w {
		case "API":
		case "TUNE":
			w = tuneWorkload(p.size)
			row.Steps, row.Par = w.Steps, w.Par
		default:
			if w, err = Generate(p.w, p.size, o.python); err != nil {
				return err
			}
			row.Steps, row.Par = w.Steps, w.Par
		}
		skipped := ""
		for rep := range reps {
			var cr childResult
			if w != nil {
				// The floor beside each measurement, so that both see the
				// same load.
				if cr.FloorSeq, cr.FloorPar, cr.FloorCPU, err = measureFloor(w); err != nil {
					return fmt.Errorf("%s floor: %w", p.w, err)
				}
			}
			args := []string{"-child", fmt.Sprintf("%s:%s:%d", p.mode, p.w, p.size),
				"-api-runs", strconv.Itoa(o.apiN), "-api-seed", strconv.Itoa(o.apiSeed), "-api-lists", strconv.Itoa(o.apiLists)}
			if o.python {
				args = append(args, "-python")
			}
			drop := func() {}
			if strings.HasSuffix(p.mode, "-postgres") {
				dsn, d, ok, why, err := postgresFor(o.pg)
				if err != nil {
					return err
				}
				if !ok {
					skipped = why
					break
				}
				drop = d
				args = append(args, "-pg", dsn)
			}
			cmd := exec.Command(self, args...)
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			drop()
			if err != nil {
				return fmt.Errorf("%s %s:%d: %w", p.mode, p.w, p.size, err)
			}
			floors := cr
			if err := json.Unmarshal(out, &cr); err != nil {
				return fmt.Errorf("%s %s: %w: %s", p.mode, p.w, err, out)
			}
			cr.FloorSeq, cr.FloorPar, cr.FloorCPU = floors.FloorSeq, floors.FloorPar, floors.FloorCPU
			row.Runs = append(row.Runs, cr)
			fmt.Fprintf(os.Stderr, "done %s %s:%d (%d/%d) wall %.0f ms\n", p.mode, p.w, p.size, rep+1, reps, cr.WallMS)
		}
		if skipped != "" {
			fmt.Fprintf(os.Stderr, "skipped %s %s:%d: %s\n", p.mode, p.w, p.size, skipped)
			continue
		}
		row.summarize()
		rows = append(rows, row)
	}
	measuringCost(rows)
	printTable(os.Stdout, rows)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"machine": machine(), "python": o.python, "rows": rows}, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// postgresFor returns the DSN a PostgreSQL measurement uses: a fresh
// database with -pg auto, else the DSN given (shared by the measurements:
// use a scratch database).
func postgresFor(pg string) (dsn string, drop func(), ok bool, why string, err error) {
	if pg != "auto" {
		return pg, func() {}, true, "", nil
	}
	return pgDatabase()
}

// measuringCost notes on each measured run-* row what measuring cost per
// step over the run-plain row of its workload, in the same run: wall time
// and Sluice's own CPU time.
func measuringCost(rows []Row) {
	plain := map[string]Row{}
	for _, r := range rows {
		if r.Mode == "run-plain" {
			plain[r.Workload] = r
		}
	}
	for i, r := range rows {
		p, ok := plain[r.Workload]
		if !ok || r.Mode == "run-plain" || !strings.HasPrefix(r.Mode, "run") || r.Steps == 0 {
			continue
		}
		rows[i].Note = fmt.Sprintf("measuring: %+.2f ms wall, %+.2f ms Sluice CPU per step over run-plain",
			(r.WallMS-p.WallMS)/float64(r.Steps), (r.CPUSelfMS-p.CPUSelfMS)/float64(r.Steps))
	}
}

// summarize fills the row's medians from its runs.
func (r *Row) summarize() {
	get := func(f func(c childResult) float64) []float64 {
		var xs []float64
		for _, c := range r.Runs {
			xs = append(xs, f(c))
		}
		return xs
	}
	walls := get(func(c childResult) float64 { return c.WallMS })
	r.WallMS, r.WallMin, r.WallMax = median(walls), slices.Min(walls), slices.Max(walls)
	r.CPUSelfMS = median(get(func(c childResult) float64 { return c.CPUSelfMS }))
	r.CPUKidsMS = median(get(func(c childResult) float64 { return c.CPUKidsMS }))
	r.RSSMB = median(get(func(c childResult) float64 { return c.RSSMB }))
	r.KidRSSMB = median(get(func(c childResult) float64 { return c.KidRSSMB }))
	r.FloorSeq = median(get(func(c childResult) float64 { return c.FloorSeq }))
	r.FloorPar = median(get(func(c childResult) float64 { return c.FloorPar }))
	r.CPUFloor = median(get(func(c childResult) float64 { return c.FloorCPU }))
	if r.Steps > 0 {
		r.OverheadMS = (r.WallMS - r.FloorPar) / float64(r.Steps)
		r.PerItemMS = r.WallMS / float64(r.Steps)
	}
	if r.Workload == "TUNE" {
		r.BaselineMS = median(get(func(c childResult) float64 { return c.BaselineMS }))
		r.BaseOverMS = (r.BaselineMS - r.FloorPar) / float64(r.Steps)
		if r.BaseOverMS > 0 {
			r.TuneRatio = r.OverheadMS / r.BaseOverMS
		}
		r.Note = fmt.Sprintf("plain runs: wall %.0f ms, overhead %.2f ms/run; trials: overhead %.2f ms/trial, %.2fx a run's",
			r.BaselineMS, r.BaseOverMS, r.OverheadMS, r.TuneRatio)
	}
	if r.Workload == "API" {
		// The list latencies of all repetitions together.
		var list []float64
		for _, c := range r.Runs {
			list = append(list, c.ListMS...)
		}
		r.Note = r.Runs[len(r.Runs)/2].Note + fmt.Sprintf("; list runs, page of 100 newest: median %s (min %s, max %s, %d fetches)",
			fmtMS(median(list)), fmtMS(slices.Min(list)), fmtMS(slices.Max(list)), len(list))
	}
}

// median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func printTable(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tmode\tsteps\tpar\tn\twall ms\twall min-max\tfloor seq ms\tfloor par ms\toverhead/step ms\twall/step ms\tCPU sluice ms\tCPU steps ms\tCPU floor ms\tRSS MB\t")
	for _, r := range rows {
		name := r.Workload
		if r.Workload == "W5" || r.Workload == "API" || r.Workload == "TUNE" {
			name = fmt.Sprintf("%s(%d)", r.Workload, r.Size)
		}
		minMax := fmt.Sprintf("%.0f-%.0f", r.WallMin, r.WallMax)
		if r.Workload == "API" {
			fmt.Fprintf(tw, "%s\t%s\t\t\t%d\t%.0f\t%s\t\t\t\t\t%.0f\t%.0f\t\t%.0f\t  %s\n", name, r.Mode, r.Reps, r.WallMS, minMax, r.CPUSelfMS, r.CPUKidsMS, r.RSSMB, r.Note)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.0f\t%s\t%.0f\t%.0f\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\t%.0f\t%s\n",
			name, r.Mode, r.Steps, r.Par, r.Reps, r.WallMS, minMax, r.FloorSeq, r.FloorPar, r.OverheadMS, r.PerItemMS, r.CPUSelfMS, r.CPUKidsMS, r.CPUFloor, r.RSSMB, noteCol(r))
	}
	tw.Flush()
}

func noteCol(r Row) string {
	if r.Workload == "TUNE" || strings.HasPrefix(r.Note, "measuring:") {
		return "  " + r.Note
	}
	return ""
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

// profiles are the profiles a child writes of its measured part: a CPU
// profile, and a heap profile taken at the largest live heap seen.
type profiles struct{ cpu, mem string }

// measure times f and reports this process's CPU and peak RSS, and its
// children's (the steps).
func measure(prof profiles, f func() (string, error)) (*childResult, error) {
	if prof.cpu != "" {
		pf, err := os.Create(prof.cpu)
		if err != nil {
			return nil, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	if prof.mem != "" {
		stop, err := heapAtPeak(prof.mem)
		if err != nil {
			return nil, err
		}
		defer stop()
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
		RSSMB: peakRSS(s1), KidRSSMB: float64(c1.Maxrss) / 1024, Note: note,
	}, nil
}

// heapAtPeak samples the live heap every 100 ms and, whenever it is
// larger than any sample before, writes a heap profile to path (replacing
// the last one): what held the memory at the peak (as of the collection
// before it). Each new peak of the RSS is reported on stderr with the Go
// runtime's share of it. stop ends the sampling.
func heapAtPeak(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		defer f.Close()
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/goal:bytes"},
			{Name: "/memory/classes/heap/stacks:bytes"}, {Name: "/memory/classes/total:bytes"}, {Name: "/sched/goroutines:goroutines"}}
		var peak, peakRSS uint64
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(sample)
			if rss := vmRSS(); rss > peakRSS {
				// What the process held at its largest: the Go runtime's
				// share of it (the rest is the mapped binary and memory
				// outside Go's heap).
				peakRSS = rss
				fmt.Fprintf(os.Stderr, "bench: RSS %.1f MB: heap objects %.1f MB, heap goal %.1f MB, stacks %.1f MB, Go runtime total %.1f MB, %d goroutines\n",
					mb(rss), mb(sample[0].Value.Uint64()), mb(sample[1].Value.Uint64()), mb(sample[2].Value.Uint64()),
					mb(sample[3].Value.Uint64()), sample[4].Value.Uint64())
			}
			if v := sample[0].Value.Uint64(); v > peak+peak/50 {
				peak = v
				_ = f.Truncate(0)
				_, _ = f.Seek(0, io.SeekStart)
				_ = pprof.Lookup("heap").WriteTo(f, 0)
			}
		}
	}()
	return func() { close(done); <-stopped }, nil
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// vmRSS is this process's resident set now, in bytes.
func vmRSS() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// peakRSS is this process's peak RSS in MB: VmHWM, the high-water mark of
// its own address space. ru_maxrss is the fallback: it also counts the
// address space before exec, which for a child that Go started with its
// vfork-style clone is the parent's.
func peakRSS(ru syscall.Rusage) float64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				if kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))); err == nil {
					return float64(kb) / 1024
				}
			}
		}
	}
	return float64(ru.Maxrss) / 1024
}

func runChild(arg string, python bool, pg string, prof profiles, apiN, apiSeed, apiLists int) error {
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
	case mode == "run" || strings.HasPrefix(mode, "run-"):
		w, err := Generate(name, size, python)
		if err != nil {
			return err
		}
		p, err := spec.Load(w.JSON())
		if err != nil {
			return err
		}
		ex := &local.Executor{Mode: map[string]local.Mode{"run": local.Auto, "run-plain": local.Plain, "run-process": local.Process}[mode]}
		if got, err := ex.Contained(); err != nil {
			return err
		} else if mode == "run" {
			fmt.Fprintf(os.Stderr, "steps are contained by %s\n", got)
		}
		e, err := newEngineWith(dir, w.Par, ex)
		if err != nil {
			return err
		}
		res, err = measure(prof, func() (string, error) {
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
		res, err = serverChild(dir, mode, name, size, python, pg, prof)
	case strings.HasPrefix(mode, "api-"):
		res, err = apiChild(dir, mode, apiN, apiSeed, apiLists, pg, prof)
	case strings.HasPrefix(mode, "tune-"):
		res, err = tuneChild(dir, mode, size, pg, prof)
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
	return newEngineWith(dir, parallelism, nil)
}

// newEngineWith is NewEngine with the steps run by ex (the default local
// executor when nil).
func newEngineWith(dir string, parallelism int, ex executor.Executor) (*engine.Engine, error) {
	l, err := launcher.New(context.Background(), dir, ex)
	if err != nil {
		return nil, err
	}
	return &engine.Engine{
		Launcher:    l,
		Parallelism: parallelism,
		DefaultRoot: filepath.Join(dir, "artifacts"),
	}, nil
}
