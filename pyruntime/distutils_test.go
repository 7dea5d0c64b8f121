package pyruntime

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDistutilsShim: kfp 1.8's generated programs run
// `from distutils.util import strtobool`. With the runtime on PYTHONPATH
// that works whether or not the interpreter has distutils: where it has,
// the standard library's module is the one imported; where it has not
// (Python 3.12+), the runtime's strtobool behaves the same.
func TestDistutilsShim(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not found")
	}
	pp, err := Install(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run := func(code string) string {
		t.Helper()
		cmd := exec.Command("python3", "-c", code)
		cmd.Env = append(cmd.Environ(), "PYTHONPATH="+pp)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	got := run(`
import os, sys, warnings
warnings.simplefilter('ignore')
std = os.path.isfile(os.path.join(os.path.dirname(os.__file__), 'distutils', 'util.py'))
from distutils.util import strtobool
import distutils.util
print(std, distutils.util.__file__)
print([strtobool(v) for v in ('y', 'Yes', 'T', 'true', 'ON', '1', 'n', 'No', 'f', 'FALSE', 'off', '0')])
try:
    strtobool('maybe')
except ValueError as e:
    print(e)
`)
	lines := strings.Split(got, "\n")
	if len(lines) != 3 {
		t.Fatalf("output:\n%s", got)
	}
	std, file, _ := strings.Cut(lines[0], " ")
	ours := strings.HasPrefix(file, pp)
	if (std == "True") == ours {
		t.Errorf("stdlib distutils present: %s; distutils.util from %s", std, file)
	}
	if want := "[1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]"; lines[1] != want {
		t.Errorf("strtobool: %s, want %s", lines[1], want)
	}
	if want := "invalid truth value 'maybe'"; lines[2] != want {
		t.Errorf("error: %q, want %q", lines[2], want)
	}

	// The stand-in itself, as a Python without distutils imports it.
	got = run(`
import importlib.util
spec = importlib.util.spec_from_file_location('u', ` + "'" + filepath.Join(pp, "distutils", "util.py") + "'" + `)
u = importlib.util.module_from_spec(spec)
spec.loader.exec_module(u)
print([u.strtobool(v) for v in ('Y', 'on', 'F', '0')])
try:
    u.strtobool('2')
except ValueError as e:
    print(e)
`)
	if want := "[1, 1, 0, 0]\ninvalid truth value '2'"; got != want {
		t.Errorf("stand-in: %q, want %q", got, want)
	}
}
