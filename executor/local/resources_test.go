package local

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/executor"
)

// Each test runs in every mode this machine can give: the cgroup version
// Auto picks (v1 on CI's machines), v2 and v1 when available, and Process
// (no cgroup).
func eachMode(t *testing.T, f func(t *testing.T, e *Executor)) {
	for _, m := range []Mode{Auto, Cgroup2, Cgroup1, Process} {
		t.Run(m.String(), func(t *testing.T) {
			e := &Executor{Mode: m, KillGrace: 200 * time.Millisecond}
			got, err := e.Contained()
			if err != nil {
				t.Skipf("not on this machine: %v", err)
			}
			if m == Auto {
				t.Logf("auto is %s here", got)
			}
			f(t, e)
		})
	}
}

func needPython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") != "" {
			t.Fatal("python3 is missing")
		}
		t.Skip("python3 is missing")
	}
}

func run(t *testing.T, e *Executor, job *executor.Job) (*executor.Result, string) {
	t.Helper()
	var log bytes.Buffer
	job.Log = &log
	if job.Dir == "" {
		job.Dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := e.Run(ctx, job)
	if err != nil {
		t.Fatalf("Run: %v (log %q)", err, log.String())
	}
	if res.Usage == nil {
		t.Fatal("no usage")
	}
	return res, log.String()
}

// A step that allocates 200 MB reports a peak within 10% of it.
func TestPeakMemory(t *testing.T) {
	needPython(t)
	const n = 200_000_000
	eachMode(t, func(t *testing.T, e *Executor) {
		res, log := run(t, e, &executor.Job{Argv: []string{"python3", "-c",
			"import time; b = b'x' * " + strconv.Itoa(n) + "; time.sleep(0.3)"}})
		if res.ExitCode != 0 {
			t.Fatalf("exit %d: %s", res.ExitCode, log)
		}
		peak := res.Usage.PeakMemoryBytes
		t.Logf("peak %d bytes (%s)", peak, res.Usage.Method)
		if math.Abs(float64(peak)-n)/n > 0.10 {
			t.Fatalf("peak %d bytes, want within 10%% of %d", peak, n)
		}
	})
}

// A step over its memory limit is stopped and says so.
func TestMemoryLimitStopsTheStep(t *testing.T) {
	needPython(t)
	eachMode(t, func(t *testing.T, e *Executor) {
		res, log := run(t, e, &executor.Job{Resources: executor.Resources{MemoryLimit: "100Mi"}, Argv: []string{"python3", "-c",
			"import time; b = b'x' * 300_000_000; print('allocated', flush=True); time.sleep(30); print('not reached')"}})
		if res.ExitCode == 0 || strings.Contains(log, "not reached") {
			t.Fatalf("the step went on: exit %d, log %q", res.ExitCode, log)
		}
		if !res.Usage.OOMKilled {
			t.Fatalf("not reported as killed for memory: %+v", res.Usage)
		}
		if res.Usage.MemoryLimitBytes != 100<<20 {
			t.Fatalf("limit %d", res.Usage.MemoryLimitBytes)
		}
		if res.Usage.WallSeconds > 20 {
			t.Fatalf("the step ran its course (%.1fs) instead of being stopped", res.Usage.WallSeconds)
		}
	})
}

// A CPU-bound step's CPU seconds are within 10% of what it used by its own
// account.
func TestCPUSeconds(t *testing.T) {
	needPython(t)
	eachMode(t, func(t *testing.T, e *Executor) {
		res, log := run(t, e, &executor.Job{Argv: []string{"python3", "-c", `import time
x = 0
while time.process_time() < 1.0:
    x += 1
print(time.process_time())`}})
		own, err := strconv.ParseFloat(strings.TrimSpace(log), 64)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("exit %d, log %q", res.ExitCode, log)
		}
		got := res.Usage.CPUSeconds
		// The measure also counts the interpreter's start (and a version
		// manager's shim), which the step's own count does not and which a
		// loaded machine makes dearer: measured here, in the same mode, as
		// a step that only starts.
		base, _ := run(t, e, &executor.Job{Argv: []string{"python3", "-c", "pass"}})
		start := base.Usage.CPUSeconds
		t.Logf("cpu %.3fs, the step's own count %.3fs, an empty step %.3fs (%s)", got, own, start, res.Usage.Method)
		if got < 0.97*own || got > own+2*start+0.1*own {
			t.Fatalf("cpu %.3fs, want the step's own %.3fs plus its start (%.3fs), within 10%%", got, own, start)
		}
	})
}

// With a CPU limit of half a core, a busy step gets no more than that
// (the share of its own wall time; load can only lower it).
func TestCPULimit(t *testing.T) {
	needPython(t)
	for _, m := range []Mode{Cgroup2, Cgroup1} {
		t.Run(m.String(), func(t *testing.T) {
			e := &Executor{Mode: m}
			if _, err := e.Contained(); err != nil {
				t.Skipf("not on this machine: %v", err)
			}
			res, _ := run(t, e, &executor.Job{Resources: executor.Resources{CPULimit: "500m"}, Argv: []string{"python3", "-c",
				"import time\nt = time.monotonic()\nwhile time.monotonic() - t < 1.5: pass"}})
			u := res.Usage
			if u.CPULimit != 0.5 {
				t.Fatalf("limit %v not applied", u.CPULimit)
			}
			if share := u.CPUSeconds / u.WallSeconds; share > 0.6 {
				t.Fatalf("used %.2f of a core under a limit of 0.5", share)
			}
		})
	}
}

// A step's setsid child, which leaves its process group and session, does
// not outlive the step.
func TestSetsidChildDiesWithTheStep(t *testing.T) {
	eachMode(t, func(t *testing.T, e *Executor) {
		dir := t.TempDir()
		pidFile := filepath.Join(dir, "pid")
		res, _ := run(t, e, &executor.Job{Dir: dir, Argv: []string{"sh", "-c",
			`setsid sh -c 'sleep 60; echo survived > survived' > /dev/null 2>&1 < /dev/null & echo $! > "$0"; sleep 0.2`, pidFile}})
		if res.ExitCode != 0 {
			t.Fatalf("exit %d", res.ExitCode)
		}
		pid := readPid(t, pidFile)
		if !dies(pid) {
			t.Fatalf("the setsid child %d outlived its step", pid)
		}
	})
}

// A child that holds the step's output open does not hold the step.
func TestBackgroundChildDoesNotHoldTheStep(t *testing.T) {
	eachMode(t, func(t *testing.T, e *Executor) {
		start := time.Now()
		res, log := run(t, e, &executor.Job{Argv: []string{"sh", "-c", `sleep 60 & echo started`}})
		if res.ExitCode != 0 || !strings.Contains(log, "started") {
			t.Fatalf("exit %d, log %q", res.ExitCode, log)
		}
		if time.Since(start) > 30*time.Second {
			t.Fatal("Run waited for the background child")
		}
	})
}

// A step longer than a few samples gets a series.
func TestSeries(t *testing.T) {
	eachMode(t, func(t *testing.T, e *Executor) {
		e.SampleEvery = 50 * time.Millisecond
		res, _ := run(t, e, &executor.Job{Argv: []string{"sh", "-c", "sleep 0.6"}})
		s := res.Usage.Samples
		if s == nil || len(s.CPUPercent) < 3 || len(s.CPUPercent) != len(s.MemoryBytes) || s.IntervalSeconds != 0.05 {
			t.Fatalf("series %+v", s)
		}
		res, _ = run(t, &Executor{Mode: e.Mode}, &executor.Job{Argv: []string{"true"}})
		if res.Usage.Samples != nil {
			t.Fatalf("a short step got a series: %+v", res.Usage.Samples)
		}
	})
}
