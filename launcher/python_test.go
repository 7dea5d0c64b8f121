package launcher

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
)

// New does not start Python; the first step whose command mentions Python
// links the machine's interpreter, once per process however many steps
// are prepared at once; steps without Python never pay for it.
func TestPythonResolvedOnceWhenNeeded(t *testing.T) {
	real, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	// A python3 first on PATH that counts its starts, then runs the real one.
	shim := t.TempDir()
	count := filepath.Join(t.TempDir(), "starts")
	script := "#!/bin/sh\necho x >> " + count + "\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(shim, "python3"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", shim+string(os.PathListSeparator)+os.Getenv("PATH"))
	starts := func() int {
		b, _ := os.ReadFile(count)
		return strings.Count(string(b), "x")
	}

	data := t.TempDir()
	l, err := New(t.Context(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := starts(); n != 0 {
		t.Fatalf("New started python3 %d times", n)
	}
	prepare := func(argv ...string) string {
		t.Helper()
		s := &Step{Comp: &spec.ComponentSpec{}, Inputs: &plan.Inputs{}, Paths: rundir.Task{Dir: t.TempDir(), Meta: t.TempDir()},
			Exec: &spec.ExecutorSpec{Container: &spec.ContainerSpec{Image: "x", Command: argv}}}
		p, err := l.Prepare(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Env {
			if path, ok := strings.CutPrefix(e, "PATH="); ok {
				return path
			}
		}
		return ""
	}
	if path := prepare("sh", "-c", "true"); path != "" {
		t.Errorf("a shell step got PATH=%s", path)
	}
	if n := starts(); n != 0 {
		t.Fatalf("a shell step started python3 %d times", n)
	}
	bin := filepath.Join(data, "pyruntime", "bin")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			s := &Step{Comp: &spec.ComponentSpec{}, Inputs: &plan.Inputs{}, Paths: rundir.Task{Dir: t.TempDir(), Meta: t.TempDir()},
				Exec: &spec.ExecutorSpec{Container: &spec.ContainerSpec{Image: "x", Command: []string{"sh", "-ec", "python3 -m m"}}}}
			if _, err := l.Prepare(s); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if path := prepare("python3", "-c", "pass"); !strings.HasPrefix(path, bin+string(os.PathListSeparator)) {
		t.Errorf("a Python step got PATH=%s, want %s first", path, bin)
	}
	if n := starts(); n != 1 {
		t.Errorf("python3 started %d times for 9 Python steps, want 1", n)
	}
	if target, err := os.Readlink(filepath.Join(bin, "python3")); err != nil || !filepath.IsAbs(target) {
		t.Errorf("python3 link: %q %v", target, err)
	}
}
