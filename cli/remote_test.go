package cli_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sluicehq/sluice/cli"
	"github.com/sluicehq/sluice/internal/syncbuf"
	"github.com/sluicehq/sluice/server"
	"github.com/sluicehq/sluice/store"
)

// setupRemote gives each remote_*.txtar script its own Sluice server,
// running in the test process on a free port, with $SLUICE_SERVER set to
// its URL. Scripts named remote_token* get a server that requires the
// token "s3cret". Other scripts are left alone.
func setupRemote(env *testscript.Env) error {
	name := strings.TrimPrefix(filepath.Base(env.WorkDir), "script-")
	if !strings.HasPrefix(name, "remote_") {
		return nil
	}
	cfg := server.Defaults()
	cfg.Addr = "127.0.0.1:0"
	cfg.Data = filepath.Join(env.WorkDir, ".server")
	cfg.NoExamples = true
	cfg.Parallelism = 4
	if strings.HasPrefix(name, "remote_token") {
		cfg.Token = "s3cret"
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, nil)
	if err != nil {
		cancel()
		return fmt.Errorf("start the server: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	env.Defer(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				env.T().Log("server: ", err)
			}
		case <-time.After(30 * time.Second):
			env.T().Fatal("the server did not stop within 30s")
		}
	})
	env.Setenv("SLUICE_SERVER", "http://"+srv.Addr())
	env.Setenv("SLUICE_TOKEN", "")
	return nil
}

// TestFollowInterrupt interrupts `sluice run wait` and `sluice run submit
// --wait` on a run that never ends: they stop following with status 3
// (not 130, which is a canceled run) and say the run goes on.
func TestFollowInterrupt(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "nap.yaml")
	if err := os.WriteFile(spec, []byte(`pipelineInfo: {name: nap}
root: {dag: {tasks: {nap: {taskInfo: {name: nap}, componentRef: {name: c}}}}}
components: {c: {executorLabel: e}}
deploymentSpec: {executors: {e: {container: {image: alpine, command: [sleep, "600"]}}}}
schemaVersion: 2.1.0
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"run", "wait", "r1"}, {"run", "submit", spec, "--wait"}} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			polled := make(chan struct{}, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					select {
					case polled <- struct{}{}:
					default:
					}
				}
				_, _ = io.WriteString(w, `{"run_id":"r1","state":"RUNNING","run_details":{"task_details":[{"task_id":"nap","state":"RUNNING","start_time":"2026-01-01T00:00:00Z"}]}}`)
			}))
			defer srv.Close()
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr syncbuf.Buffer
			cmd := &exec.Cmd{Path: exe, Args: append(append([]string{"sluice"}, args...), "--server", srv.URL),
				Stdout: &stdout, Stderr: &stderr, Env: os.Environ()}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-polled:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("sluice never polled the run")
			}
			if !waitFor(10*time.Second, func() bool { return strings.Contains(stdout.String(), "RUNNING    nap") }) {
				t.Errorf("no RUNNING line: %q", stdout.String())
			}
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != cli.ExitDetached {
				t.Errorf("exit: %v, want status %d", err, cli.ExitDetached)
			}
			if want := "sluice: stopped following run r1; it goes on on the server (`sluice run wait r1` follows it again, `sluice run cancel r1` cancels it)\n"; stderr.String() != want {
				t.Errorf("stderr %q, want %q", stderr.String(), want)
			}
		})
	}
}

// TestShortIDAmbiguous: a short id that starts several runs names none;
// the error lists them (the server's store holds runs whose ids share
// their first 8 characters, which random ids almost never do).
func TestShortIDAmbiguous(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"f445c37d-0000-4000-8000-000000000001", "f445c37d-1000-4000-8000-000000000002"}
	for _, id := range ids {
		r := &store.Run{ID: id, DisplayName: "r", State: "SUCCEEDED", Spec: []byte(`{"root": {"dag": {}}, "schemaVersion": "2.1.0"}`), CreatedAt: time.Now()}
		if err := st.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	cfg := server.Defaults()
	cfg.Addr, cfg.Data, cfg.NoExamples = "127.0.0.1:0", dir, true
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv, err := server.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() { cancel(); <-done }()

	sluice := func(args ...string) (int, string, string) {
		var out, errb strings.Builder
		code := cli.Main(append(args, "--server", "http://"+srv.Addr()), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, _, stderr := sluice("run", "get", "f445c37d")
	if code != cli.ExitFailed || !strings.Contains(stderr, `run id "f445c37d" is ambiguous: it starts `+ids[0]+", "+ids[1]) {
		t.Errorf("ambiguous prefix: exit %d, %s", code, stderr)
	}
	for _, prefix := range []string{"f445c37d-1", "F445C37D-0"} {
		if code, stdout, stderr := sluice("run", "get", prefix, "--json"); code != 0 || !strings.Contains(stdout, `"run_id": "f445c37d-`+strings.ToLower(prefix[9:10])) {
			t.Errorf("run get %s: exit %d, %s%s", prefix, code, stdout, stderr)
		}
	}
}
