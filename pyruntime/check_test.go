package pyruntime

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCheckInstalled(t *testing.T) {
	py := pythonOrSkip(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := exec.Command(py, "-m", "pip", "--version").Run(); err != nil {
		t.Skip("pip is not installed for python3; cannot use it as the present package")
	}
	present := []Requirement{
		ParseRequirement("pip>=1"),
		ParseRequirement("PIP"),                                    // name normalisation
		ParseRequirement("kfp==2.14.2"),                            // satisfied by the shim
		ParseRequirement("kfp-pipeline-spec==0.6.0"),               // ditto
		ParseRequirement(`surely-missing-xyz; python_version<"3"`), // marker false: skipped
		ParseRequirement(`typing-extensions>=3.7.4,<5; python_version<"3.9" and os_name == "nt"`),
	}
	if err := CheckInstalled(ctx, py, present); err != nil {
		t.Fatalf("CheckInstalled(present) = %v", err)
	}

	missing := append(present,
		ParseRequirement("sluice-no-such-package-a==1.0"),
		ParseRequirement(`sluice_no_such_package_b; python_version>="3"`))
	err := CheckInstalled(ctx, py, missing)
	var mpe *MissingPackagesError
	if !errors.As(err, &mpe) {
		t.Fatalf("CheckInstalled(missing) = %v, want *MissingPackagesError", err)
	}
	if len(mpe.Missing) != 2 || mpe.Missing[0].Name != "sluice-no-such-package-a" ||
		mpe.Missing[1].Name != "sluice_no_such_package_b" {
		t.Fatalf("missing = %+v", mpe.Missing)
	}
	want := `package "sluice-no-such-package-a" is not installed and no package index is reachable; ` +
		`package "sluice_no_such_package_b" is not installed and no package index is reachable`
	if err.Error() != want {
		t.Fatalf("error text:\n %s\nwant\n %s", err, want)
	}
}

func TestCheckInstalledNoWorkForKFPOnly(t *testing.T) {
	// Only kfp requirements: nothing to check, no interpreter needed.
	reqs := []Requirement{ParseRequirement("kfp==2.14.3")}
	if err := CheckInstalled(context.Background(), "/nonexistent/python3", reqs); err != nil {
		t.Fatal(err)
	}
	err := CheckInstalled(context.Background(), "/nonexistent/python3", []Requirement{ParseRequirement("x")})
	if err == nil || errors.As(err, new(*MissingPackagesError)) {
		t.Fatalf("bad interpreter: got %v", err)
	}
}

func TestCheckInstalledTimeout(t *testing.T) {
	// A fake interpreter that never answers must not hang CheckInstalled.
	dir := t.TempDir()
	fake := filepath.Join(dir, "python3")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nexec /bin/sleep 30 || exec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := CheckInstalled(ctx, fake, []Requirement{ParseRequirement("x")})
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestInstall(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	paths := make([]string, 8)
	errs := make([]error, 8)
	for i := range paths {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			paths[i], errs[i] = Install(dir)
		}(i)
	}
	wg.Wait()
	for i := range paths {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if paths[i] != paths[0] {
			t.Fatalf("different paths %q %q", paths[i], paths[0])
		}
	}
	if filepath.Base(paths[0]) != Version() || len(Version()) != 16 {
		t.Fatalf("path %q, version %q", paths[0], Version())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("leftover temp dirs: %v", entries)
	}
	for _, f := range []string{"kfp/__init__.py", "kfp/dsl/__init__.py", "kfp/dsl/executor_main.py",
		"kfp/components/executor_main.py", "kfp/dsl/types/artifact_types.py"} {
		if _, err := os.Stat(filepath.Join(paths[0], f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	for _, f := range Files() {
		if strings.Contains(f, "__pycache__") || strings.HasSuffix(f, ".pyc") {
			t.Errorf("bytecode embedded: %s", f)
		}
	}
	init, err := os.ReadFile(filepath.Join(paths[0], "kfp", "__init__.py"))
	if err != nil || !strings.Contains(string(init), "__version__ = '"+KFPVersion+"'") {
		t.Fatalf("kfp/__init__.py does not declare version %s", KFPVersion)
	}
	// Idempotent.
	again, err := Install(dir)
	if err != nil || again != paths[0] {
		t.Fatalf("second Install = %q, %v", again, err)
	}
}

func TestPythonPathEnv(t *testing.T) {
	got := PythonPathEnv([]string{"A=1", "PYTHONPATH=/x"}, "/shim")
	if strings.Join(got, " ") != "A=1 PYTHONPATH=/shim"+string(os.PathListSeparator)+"/x" {
		t.Fatal(got)
	}
	got = PythonPathEnv([]string{"A=1"}, "/shim")
	if strings.Join(got, " ") != "A=1 PYTHONPATH=/shim" {
		t.Fatal(got)
	}
}
