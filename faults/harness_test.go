package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/cli"
	"github.com/sluicehq/sluice/internal/pgtest"
	"github.com/sluicehq/sluice/internal/syncbuf"
	"github.com/sluicehq/sluice/store"
)

func TestMain(m *testing.M) {
	if os.Getenv("SLUICE_TEST_MAIN") == "1" {
		os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// seeded returns the test's random source, seeded from SLUICE_FAULT_SEED
// or the clock; the seed is printed when the test fails.
func seeded(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SLUICE_FAULT_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SLUICE_FAULT_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with SLUICE_FAULT_SEED=%d", seed)
		}
	})
	return rand.New(rand.NewPCG(seed, seed^0x5eed))
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// server is a `sluice server` process.
type server struct {
	t    *testing.T
	addr string
	args []string
	cmd  *exec.Cmd
	logs *syncbuf.Buffer
}

// start starts `sluice server` with args and waits until it answers.
func start(t *testing.T, addr string, args ...string) *server {
	t.Helper()
	s := &server{t: t, addr: addr, args: args}
	s.restart()
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			t.Logf("server output:\n%s", s.logs.String())
		}
	})
	return s
}

// restart starts the server process again (after kill).
func (s *server) restart() {
	s.t.Helper()
	args := append([]string{"server", "--addr", s.addr, "--no-examples", "--max-concurrent-runs", "8", "--parallelism", "4"}, s.args...)
	s.cmd = exec.Command(os.Args[0], args...)
	s.cmd.Env = append(os.Environ(), "SLUICE_TEST_MAIN=1")
	if s.logs == nil {
		s.logs = &syncbuf.Buffer{}
	}
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i < 600; i++ {
		if code, _ := s.get("/apis/v2beta1/healthz"); code == 200 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("server did not come up:\n%s", s.logs.String())
}

// kill kills the server with SIGKILL and reaps it.
func (s *server) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

func (s *server) get(path string) (int, []byte) {
	resp, err := http.Get("http://" + s.addr + path)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// submit creates a run of spec with parameters and returns its id.
func (s *server) submit(spec map[string]any, params map[string]any) string {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"display_name": "fault", "pipeline_spec": spec, "runtime_config": map[string]any{"parameters": params}})
	resp, err := http.Post("http://"+s.addr+"/apis/v2beta1/runs", "application/json", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r struct {
		RunID string `json:"run_id"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &r) != nil {
		s.t.Fatalf("create run: %d %s", resp.StatusCode, b)
	}
	return r.RunID
}

// state is a run's state as the API gives it ("" when it cannot be read).
func (s *server) state(id string) string {
	code, b := s.get("/apis/v2beta1/runs/" + id)
	if code != 200 {
		return ""
	}
	var r struct{ State string }
	_ = json.Unmarshal(b, &r)
	return r.State
}

// waitAll waits until every run has ended and returns their states.
func (s *server) waitAll(ids []string, timeout time.Duration) map[string]string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	out := map[string]string{}
	for len(out) < len(ids) {
		if time.Now().After(deadline) {
			s.t.Fatalf("%d of %d runs ended after %s", len(out), len(ids), timeout)
		}
		for _, id := range ids {
			if _, done := out[id]; done {
				continue
			}
			switch st := s.state(id); st {
			case "SUCCEEDED", "FAILED", "CANCELED", "SKIPPED":
				out[id] = st
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return out
}

// secondServerRefused starts another server on the same store and checks
// that it refuses to start (exit 2) naming the first.
func secondServerRefused(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"server", "--addr", freeAddr(t), "--no-examples"}, args...)...)
	cmd.Env = append(os.Environ(), "SLUICE_TEST_MAIN=1")
	var out syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errorsAs(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(out.String(), "held by sluice server pid") {
			t.Fatalf("second server: %v, want exit 2 naming the first; output:\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("a second server started on the same store:\n%s", out.String())
	}
}

// loop is a pipeline whose ParallelFor runs n steps; each step sleeps a
// little and then appends "<tag> <item>" to marker, tag being the run's
// parameter.
func loop(n int, marker string) map[string]any {
	items := make([]any, n)
	for i := range items {
		items[i] = float64(i + 1)
	}
	raw, _ := json.Marshal(items)
	doc := fmt.Sprintf(`{
 "pipelineInfo": {"name": "faults"},
 "schemaVersion": "2.1.0",
 "root": {
  "inputDefinitions": {"parameters": {"tag": {"parameterType": "STRING"}}},
  "dag": {"tasks": {
   "for-loop-1": {"taskInfo": {"name": "for-loop-1"}, "componentRef": {"name": "comp-for-loop-1"},
     "inputs": {"parameters": {"pipelinechannel--tag": {"componentInputParameter": "tag"}}},
     "parameterIterator": {"itemInput": "pipelinechannel--loop-item-param-1", "items": {"raw": %q}}}}}},
 "components": {
  "comp-for-loop-1": {"inputDefinitions": {"parameters": {"pipelinechannel--loop-item-param-1": {"parameterType": "NUMBER_INTEGER"}, "pipelinechannel--tag": {"parameterType": "STRING"}}},
    "dag": {"tasks": {"step": {"taskInfo": {"name": "step"}, "componentRef": {"name": "comp-step"},
      "inputs": {"parameters": {"x": {"componentInputParameter": "pipelinechannel--loop-item-param-1"}, "tag": {"componentInputParameter": "pipelinechannel--tag"}}}}}}},
  "comp-step": {"executorLabel": "exec-step", "inputDefinitions": {"parameters": {"x": {"parameterType": "NUMBER_INTEGER"}, "tag": {"parameterType": "STRING"}}}}},
 "deploymentSpec": {"executors": {
  "exec-step": {"container": {"image": "alpine", "command": ["sh", "-c", "sleep 0.$(( $1 %% 4 + 1 )); echo \"$0 $1\" >> %s", "{{$.inputs.parameters['tag']}}", "{{$.inputs.parameters['x']}}"]}}}}
}`, string(raw), marker)
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		panic(err)
	}
	return m
}

// markers counts the lines of the marker file.
func markers(t *testing.T, path string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" {
			out[l]++
		}
	}
	return out
}

// records reads every task record of the runs, by run and task id.
func records(t *testing.T, dsn string, ids []string) map[string]store.Task {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]store.Task{}
	for _, id := range ids {
		tasks, err := st.ListTasks(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range tasks {
			out[id+"/"+tk.ID] = *tk
		}
	}
	return out
}

type storeTask = store.Task
