package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sluicehq/sluice/cli"
	"github.com/sluicehq/sluice/internal/syncbuf"
)

// TestMain lets the test binary act as the sluice command: testscript puts
// a copy named "sluice" on PATH, and TestInterrupt re-executes the test
// binary with argv[0] "sluice".
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"sluice": func() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// requireTools reports whether a missing external tool (python3) must fail
// the scripts that need it instead of skipping them.
func requireTools() bool { return os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" }

// TestScripts runs testdata/*.txtar. Each script gets its own SLUICE_HOME and
// HOME, plus:
//
//	$REPO         the repository root (for examples/)
//	$CONFORMANCE  ../shared/conformance next to the repository root
//
// Custom commands:
//
//	exits N prog [args...]       run prog; its exit status must be N
//	checkjson [-in FILE] PATH [WANT]
//	                             the JSON in stdout (or FILE) has WANT at PATH
//	setjson VAR [-in FILE] PATH  set $VAR to the string at PATH in stdout (or FILE)
//	lines N FILE                 FILE (or stdout/stderr) has exactly N lines
//	setprefix VAR N STRING       set $VAR to the first N characters of STRING
//
// Custom conditions:
//
//	[tool:NAME]      NAME is on PATH; when it is not and SLUICE_REQUIRE_TOOLS=1,
//	                 the script fails instead of skipping
//	[conformance]    ../shared/conformance exists (scripts skip without it)
func TestScripts(t *testing.T) {
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	conformance := filepath.Join(repo, "..", "shared", "conformance")
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, ".home")
			if err := os.MkdirAll(home, 0o755); err != nil {
				return err
			}
			env.Setenv("HOME", home)
			env.Setenv("SLUICE_HOME", filepath.Join(env.WorkDir, ".sluice"))
			env.Setenv("REPO", repo)
			// The scripts' steps leave markers in $WORK: hand it to them
			// (steps get a clean environment).
			env.Setenv("SLUICE_STEP_ENV", "WORK")
			env.Setenv("CONFORMANCE", conformance)
			return setupRemote(env) // remote_*.txtar: an in-process server at $SLUICE_SERVER
		},
		Condition: func(cond string) (bool, error) {
			switch {
			case strings.HasPrefix(cond, "tool:"):
				name := strings.TrimPrefix(cond, "tool:")
				if _, err := exec.LookPath(name); err != nil {
					if requireTools() {
						return false, fmt.Errorf("%s is required (SLUICE_REQUIRE_TOOLS=1) but not found: %v", name, err)
					}
					return false, nil
				}
				return true, nil
			case cond == "conformance":
				_, err := os.Stat(conformance)
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":     cmdExits,
			"checkjson": cmdCheckJSON,
			"setjson":   cmdSetJSON,
			"lines":     cmdLines,
			"setprefix": cmdSetPrefix,
		},
	})
}

// cmdSetPrefix sets a variable to the start of a string (a short id).
func cmdSetPrefix(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: setprefix VAR N STRING")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 0 || n > len(args[2]) {
		ts.Fatalf("setprefix: bad length %q for %q", args[1], args[2])
	}
	ts.Setenv(args[0], args[2][:n])
}

// cmdExits runs a program and checks its exit status. Its stdout and stderr
// become the script's stdout and stderr, as with exec.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exits")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exits N prog [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad status %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d (%v)", got, want, err)
	}
}

// cmdLines checks the number of lines in a file, stdout or stderr.
func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: lines N file")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("lines: bad count %q", args[0])
	}
	text := ts.ReadFile(args[1])
	got := strings.Count(text, "\n")
	if text != "" && !strings.HasSuffix(text, "\n") {
		got++
	}
	if (got == want) == neg {
		ts.Fatalf("%s has %d lines, want %s%d:\n%s", args[1], got, map[bool]string{true: "not ", false: ""}[neg], want, text)
	}
}

// cmdCheckJSON checks one value in a JSON document (stdout by default).
//
// PATH is a dot-separated list of steps: an object key, an array index, "@len"
// for the length of an array or object, or "KEY=VALUE" to pick the first
// array element whose field KEY is the string VALUE ("tasks.name=producer.cached").
// "." alone is the whole document.
//
// WANT is a JSON literal; anything that does not parse as JSON is taken as a
// string. Numbers compare by their text, so 4 does not match 4.0 and a
// large integer must come back with all its digits. Without WANT the value
// must exist and not be null. With "!", the value must differ (or be absent).
func cmdCheckJSON(ts *testscript.TestScript, neg bool, args []string) {
	src := "stdout"
	if len(args) >= 2 && args[0] == "-in" {
		src, args = args[1], args[2:]
	}
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: checkjson [-in file] path [want]")
	}
	doc, err := decodeJSON([]byte(ts.ReadFile(src)))
	if err != nil {
		ts.Fatalf("checkjson: %s is not one JSON value: %v", src, err)
	}
	got, err := jsonAt(doc, args[0])
	if len(args) == 1 {
		ok := err == nil && got != nil
		if ok == neg {
			ts.Fatalf("checkjson %s: got %s (%v), want %snon-null", args[0], show(got), err, map[bool]string{true: "missing or ", false: ""}[neg])
		}
		return
	}
	want, werr := decodeJSON([]byte(args[1]))
	if werr != nil {
		want = args[1]
	}
	ok := err == nil && reflect.DeepEqual(got, want)
	if ok == neg {
		if err != nil {
			ts.Fatalf("checkjson %s: %v", args[0], err)
		}
		ts.Fatalf("checkjson %s: got %s, want %s%s", args[0], show(got), map[bool]string{true: "anything but ", false: ""}[neg], show(want))
	}
}

// cmdSetJSON sets an environment variable to a string in a JSON document
// (stdout by default), e.g. the path of an output artifact.
func cmdSetJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! setjson")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: setjson VAR [-in file] path")
	}
	name, args := args[0], args[1:]
	src := "stdout"
	if len(args) == 3 && args[0] == "-in" {
		src, args = args[1], args[2:]
	}
	if len(args) != 1 {
		ts.Fatalf("usage: setjson VAR [-in file] path")
	}
	doc, err := decodeJSON([]byte(ts.ReadFile(src)))
	if err != nil {
		ts.Fatalf("setjson: %s is not one JSON value: %v", src, err)
	}
	v, err := jsonAt(doc, args[0])
	if err != nil {
		ts.Fatalf("setjson %s: %v", args[0], err)
	}
	s, ok := v.(string)
	if !ok {
		ts.Fatalf("setjson %s: %s is not a string", args[0], show(v))
	}
	ts.Setenv(name, s)
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	// Anything but white space after the value (a second value, or the
	// rest of "5d72..." after the number 5) means b is not one value.
	if rest := bytes.TrimSpace(b[dec.InputOffset():]); len(rest) > 0 {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func jsonAt(v any, path string) (any, error) {
	if path == "." {
		return v, nil
	}
	for _, step := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			if step == "@len" {
				v = json.Number(strconv.Itoa(len(x)))
				continue
			}
			next, ok := x[step]
			if !ok {
				return nil, fmt.Errorf("no key %q in %s", step, show(x))
			}
			v = next
		case []any:
			if step == "@len" {
				v = json.Number(strconv.Itoa(len(x)))
				continue
			}
			if key, val, ok := strings.Cut(step, "="); ok {
				found := false
				for _, el := range x {
					if m, ok := el.(map[string]any); ok && m[key] == val {
						v, found = el, true
						break
					}
				}
				if !found {
					return nil, fmt.Errorf("no element with %s in %s", step, show(x))
				}
				continue
			}
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("bad index %q for a list of %d", step, len(x))
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("step %q into %s", step, show(v))
		}
	}
	return v, nil
}

// napper's first step starts a background sleep, records its pid in the
// file named by the pidfile parameter, and waits; "after" must never run.
const napper = `
pipelineInfo: {name: napper}
root:
  inputDefinitions:
    parameters:
      pidfile: {parameterType: STRING}
      marker: {parameterType: STRING}
  dag:
    tasks:
      nap:
        taskInfo: {name: nap}
        componentRef: {name: comp-nap}
        inputs:
          parameters:
            pidfile: {componentInputParameter: pidfile}
      after:
        taskInfo: {name: after}
        componentRef: {name: comp-after}
        dependentTasks: [nap]
        inputs:
          parameters:
            marker: {componentInputParameter: marker}
components:
  comp-nap:
    executorLabel: exec-nap
    inputDefinitions:
      parameters: {pidfile: {parameterType: STRING}}
  comp-after:
    executorLabel: exec-after
    inputDefinitions:
      parameters: {marker: {parameterType: STRING}}
deploymentSpec:
  executors:
    exec-nap:
      container:
        image: alpine
        command: [sh, -c, 'sleep 60 & echo $! > "$0.tmp"; mv "$0.tmp" "$0"; wait', "{{$.inputs.parameters['pidfile']}}"]
    exec-after:
      container:
        image: alpine
        command: [sh, -c, 'touch "$0"', "{{$.inputs.parameters['marker']}}"]
schemaVersion: 2.1.0
`

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// pid (comm) STATE ...; comm may hold spaces and parentheses.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestInterrupt sends SIGINT to a running `sluice run` once its first step
// is RUNNING, and checks that the run ends CANCELED with exit status 130,
// that the step's processes are gone and that the next step never starts.
func TestInterrupt(t *testing.T) {
	t.Run("text", func(t *testing.T) {
		out := interrupt(t)
		if !strings.Contains(out, "RUNNING    nap\n") {
			t.Errorf("no RUNNING line for nap:\n%s", out)
		}
		if !regexp.MustCompile(`(?m)^CANCELED +nap\b`).MatchString(out) {
			t.Errorf("no CANCELED line for nap:\n%s", out)
		}
		if !regexp.MustCompile(`(?m)^Run \S+ CANCELED in `).MatchString(out) {
			t.Errorf("no \"Run ID CANCELED\" line:\n%s", out)
		}
		if strings.Contains(out, "RUNNING    after") {
			t.Errorf("after started:\n%s", out)
		}
	})
	t.Run("json", func(t *testing.T) {
		out := interrupt(t, "--json")
		var res struct {
			State string `json:"state"`
			Tasks []struct {
				Name  string `json:"name"`
				State string `json:"state"`
			} `json:"tasks"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
		}
		if res.State != "CANCELED" {
			t.Errorf("state %q, want CANCELED", res.State)
		}
		states := map[string]string{}
		for _, tk := range res.Tasks {
			states[tk.Name] = tk.State
		}
		if states["nap"] != "CANCELED" || states["after"] == "SUCCEEDED" || states["after"] == "RUNNING" {
			t.Errorf("task states %v", states)
		}
	})
}

// interrupt runs the napper pipeline with extra flags, interrupts it while
// its first step runs, checks the exit status and that the step's background
// process and the next step are gone, and returns stdout.
func interrupt(t *testing.T, flags ...string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "napper.yaml")
	if err := os.WriteFile(file, []byte(napper), 0o644); err != nil {
		t.Fatal(err)
	}
	pidfile := filepath.Join(dir, "sleep.pid")
	marker := filepath.Join(dir, "after-ran")

	var stdout, stderr syncbuf.Buffer
	cmd := &exec.Cmd{
		Path:   exe,
		Args:   append([]string{"sluice", "run", file, "-p", "pidfile=" + pidfile, "-p", "marker=" + marker}, flags...),
		Dir:    dir,
		Stdout: &stdout,
		Stderr: &stderr,
		Env: append(os.Environ(),
			"SLUICE_HOME="+filepath.Join(dir, "sluice-home"),
			"HOME="+dir),
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	done := false
	defer func() {
		if !done {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	var pid int
	if !waitFor(30*time.Second, func() bool {
		b, err := os.ReadFile(pidfile)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	}) {
		t.Fatalf("the step did not write its pid file\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	if !alive(pid) {
		t.Fatalf("sleep %d is not running before the interrupt", pid)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}

	select {
	case err = <-exited:
		done = true
	case <-time.After(30 * time.Second):
		t.Fatalf("sluice still running 30s after SIGINT\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	out := stdout.String()
	t.Logf("stdout:\n%s", out)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != cli.ExitCanceled {
		t.Errorf("exit: %v, want status %d", err, cli.ExitCanceled)
	}
	if !strings.Contains(out, "CANCELED") {
		t.Errorf("output does not say CANCELED:\n%s", out)
	}
	if s := stderr.String(); strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
		t.Errorf("stderr:\n%s", s)
	}
	if !waitFor(10*time.Second, func() bool { return !alive(pid) }) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("sleep %d still alive 10s after sluice exited", pid)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the step after the canceled one ran")
	}
	return out
}
