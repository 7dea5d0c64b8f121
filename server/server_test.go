package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/cli"
	"github.com/sluicehq/sluice/internal/pgtest"
	"github.com/sluicehq/sluice/server"
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

// fanout: a ParallelFor of n sleeping steps whose outputs a final step sums.
func fanout(n int, sleep string) map[string]any {
	items := make([]any, n)
	for i := range items {
		items[i] = float64(i + 1)
	}
	raw, _ := json.Marshal(items)
	y := fmt.Sprintf(`{
 "pipelineInfo": {"name": "fanout"},
 "schemaVersion": "2.1.0",
 "root": {"dag": {
   "outputs": {"parameters": {"total": {"valueFromParameter": {"producerSubtask": "sum", "outputParameterKey": "total"}}}},
   "tasks": {
    "for-loop-1": {"taskInfo": {"name": "for-loop-1"}, "componentRef": {"name": "comp-for-loop-1"},
      "parameterIterator": {"itemInput": "pipelinechannel--loop-item-param-1", "items": {"raw": %q}},
      "iteratorPolicy": {"parallelismLimit": 3}},
    "sum": {"taskInfo": {"name": "sum"}, "componentRef": {"name": "comp-sum"}, "dependentTasks": ["for-loop-1"],
      "inputs": {"parameters": {"nums": {"taskOutputParameter": {"producerTask": "for-loop-1", "outputParameterKey": "pipelinechannel--square-y"}}}}}}},
   "outputDefinitions": {"parameters": {"total": {"parameterType": "NUMBER_INTEGER"}}}},
 "components": {
  "comp-for-loop-1": {"inputDefinitions": {"parameters": {"pipelinechannel--loop-item-param-1": {"parameterType": "NUMBER_INTEGER"}}},
    "outputDefinitions": {"parameters": {"pipelinechannel--square-y": {"parameterType": "LIST"}}},
    "dag": {"outputs": {"parameters": {"pipelinechannel--square-y": {"valueFromParameter": {"producerSubtask": "square", "outputParameterKey": "y"}}}},
      "tasks": {"square": {"taskInfo": {"name": "square"}, "componentRef": {"name": "comp-square"},
        "inputs": {"parameters": {"x": {"componentInputParameter": "pipelinechannel--loop-item-param-1"}}}}}}},
  "comp-square": {"executorLabel": "exec-square", "inputDefinitions": {"parameters": {"x": {"parameterType": "NUMBER_INTEGER"}}},
    "outputDefinitions": {"parameters": {"y": {"parameterType": "NUMBER_INTEGER"}}}},
  "comp-sum": {"executorLabel": "exec-sum", "inputDefinitions": {"parameters": {"nums": {"parameterType": "LIST"}}},
    "outputDefinitions": {"parameters": {"total": {"parameterType": "NUMBER_INTEGER"}}}}},
 "deploymentSpec": {"executors": {
  "exec-square": {"container": {"image": "alpine", "command": ["sh", "-c", "sleep %s; mkdir -p \"$(dirname \"$1\")\"; echo $(($0 * $0)) > \"$1\"", "{{$.inputs.parameters['x']}}", "{{$.outputs.parameters['y'].output_file}}"]}},
  "exec-sum": {"container": {"image": "alpine", "command": ["sh", "-c", "mkdir -p \"$(dirname \"$1\")\"; echo \"$0\" | tr -d '[]' | tr ',' '\\n' | awk '{s+=$1} END {print s}' > \"$1\"", "{{$.inputs.parameters['nums']}}", "{{$.outputs.parameters['total'].output_file}}"]}}}}
}`, string(raw), sleep)
	var m map[string]any
	if err := json.Unmarshal([]byte(y), &m); err != nil {
		panic(err)
	}
	return m
}

type client struct {
	t    *testing.T
	base string
}

func (c *client) do(method, path string, body any, out any) int {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		c.t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// expect400 POSTs body to path and fails the test (naming what) unless
// the answer is 400 with a message that contains every one of wants.
func (c *client) expect400(what, path string, body any, wants ...string) {
	c.t.Helper()
	req, _ := json.Marshal(body)
	resp, err := http.Post(c.base+path, "application/json", bytes.NewReader(req))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	missing := resp.StatusCode != 400
	for _, w := range wants {
		missing = missing || !strings.Contains(string(b), w)
	}
	if missing {
		c.t.Errorf("%s: %d %s, want 400 naming %q", what, resp.StatusCode, b, wants)
	}
}

type wireRun struct {
	RunID      string                    `json:"run_id"`
	State      string                    `json:"state"`
	Error      *struct{ Message string } `json:"error"`
	RunDetails struct {
		TaskDetails []struct {
			TaskID string `json:"task_id"`
			State  string `json:"state"`
		} `json:"task_details"`
	} `json:"run_details"`
}

func (c *client) submit(spec map[string]any) string {
	c.t.Helper()
	var r wireRun
	if code := c.do("POST", "/apis/v2beta1/runs", map[string]any{"display_name": "fanout", "pipeline_spec": spec}, &r); code != 200 {
		c.t.Fatalf("create run: %d", code)
	}
	return r.RunID
}

func (c *client) run(id string) wireRun {
	c.t.Helper()
	var r wireRun
	c.do("GET", "/apis/v2beta1/runs/"+id, nil, &r)
	return r
}

func (c *client) waitTerminal(id string, timeout time.Duration) wireRun {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		r := c.run(id)
		switch r.State {
		case "SUCCEEDED", "FAILED", "CANCELED", "SKIPPED":
			return r
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("run %s not finished after %s: %+v", id, timeout, c.run(id))
	return wireRun{}
}

func TestServerRunsAPipelineInProcess(t *testing.T) {
	cfg := server.Defaults()
	cfg.Addr, cfg.Data, cfg.NoExamples, cfg.Parallelism = "127.0.0.1:0", t.TempDir(), true, 4
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	c := &client{t: t, base: "http://" + srv.Addr()}
	id := c.submit(fanout(5, "0"))
	r := c.waitTerminal(id, 60*time.Second)
	if r.State != "SUCCEEDED" {
		t.Fatalf("run %+v", r)
	}
	// 1 loop + 5 iterations + 5 squares + sum
	if n := len(r.RunDetails.TaskDetails); n != 12 {
		t.Fatalf("%d task details: %+v", n, r.RunDetails.TaskDetails)
	}

	// Sluice's own routes: full task records, logs (plain and followed),
	// the event stream, artifacts, metrics.
	var tasks struct {
		Tasks []struct {
			TaskID    string          `json:"task_id"`
			State     string          `json:"state"`
			Kind      string          `json:"kind"`
			Outputs   json.RawMessage `json:"outputs"`
			HasLog    bool            `json:"has_log"`
			Resources map[string]any  `json:"resources"`
		} `json:"tasks"`
	}
	if code := c.do("GET", "/apis/sluice/v1/runs/"+id+"/tasks", nil, &tasks); code != 200 {
		t.Fatalf("tasks: %d", code)
	}
	var sumOut string
	for _, tk := range tasks.Tasks {
		if tk.TaskID == "sum" {
			sumOut = string(tk.Outputs)
		}
		// The Contract: every step's record carries what it used.
		if tk.Kind == "container" {
			r := tk.Resources
			if r["cpuSeconds"] == nil || r["wallSeconds"].(float64) <= 0 || r["peakMemoryBytes"].(float64) <= 0 {
				t.Errorf("task %s: resources %v", tk.TaskID, r)
			}
		}
	}
	if !strings.Contains(sumOut, `"total":55`) {
		t.Fatalf("sum outputs %q, want total 55", sumOut)
	}
	body := get(t, c.base+"/apis/sluice/v1/runs/"+id+"/logs/for-loop-1/2/square")
	if body != "" {
		t.Fatalf("square writes nothing to its log, got %q", body)
	}
	stream := get(t, c.base+"/apis/sluice/v1/runs/"+id+"/logs/sum?follow=true")
	if !strings.HasSuffix(stream, "event: end\ndata: SUCCEEDED\n\n") {
		t.Fatalf("followed log %q", stream)
	}
	events := get(t, c.base+"/apis/sluice/v1/runs/"+id+"/events")
	if strings.Count(events, "event: task\n") != 12 || !strings.Contains(events, "event: end\ndata: SUCCEEDED") {
		t.Fatalf("event stream:\n%s", events)
	}
	if code := c.do("GET", "/apis/sluice/v1/artifacts?uri=/etc/passwd", nil, nil); code != 403 {
		t.Fatalf("artifact outside the root: %d, want 403", code)
	}
	if code := c.do("GET", "/apis/sluice/v1/runs/"+id+"/logs/nope", nil, nil); code != 404 {
		t.Fatalf("log of an unknown task: %d, want 404", code)
	}
	m := get(t, c.base+"/metrics")
	for _, want := range []string{`sluice_runs_finished_total{state="SUCCEEDED"} 1`, `sluice_tasks_finished_total{cached="false",kind="container",state="SUCCEEDED"} 6`, "sluice_step_duration_seconds_bucket",
		`sluice_step_cpu_seconds_count{component="comp-square"} 5`, `sluice_step_peak_memory_bytes_count{component="comp-sum"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startServer(t *testing.T, addr, data string, extra ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"server", "--addr", addr, "--data", data, "--no-examples", "--max-concurrent-runs", "4", "--parallelism", "2"}, extra...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SLUICE_TEST_MAIN=1")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("server output:\n%s", logs.String())
		}
	})
	c := &client{t: t, base: "http://" + addr}
	for i := 0; i < 200; i++ {
		if c.do("GET", "/apis/v2beta1/healthz", nil, nil) == 200 {
			return cmd
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server did not come up")
	return nil
}

// runProcesses counts live processes whose environment tags them with one
// of the runs.
func runProcesses(ids []string) int {
	n := 0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if strings.Contains(string(stat), ") Z ") {
			continue
		}
		for _, id := range ids {
			if bytes.Contains(env, []byte("SLUICE_RUN_ID="+id+"\x00")) {
				n++
			}
		}
	}
	return n
}

// TestKill9ResumesEveryRun kills the server with SIGKILL while runs with
// many tasks are executing, restarts it, and checks that every run
// finishes with the right result, no task is duplicated, and no step of
// the killed server keeps running.
func TestKill9ResumesEveryRun(t *testing.T) {
	for _, db := range databases(t) {
		t.Run(db.name, func(t *testing.T) {
			if db.dsn == "postgres" {
				db.dsn = pgtest.DSN(t)
			}
			addr, data := freeAddr(t), t.TempDir()
			extra := []string{}
			if db.dsn != "" {
				extra = append(extra, "--db", db.dsn)
			}
			cmd := startServer(t, addr, data, extra...)
			c := &client{t: t, base: "http://" + addr}
			var ids []string
			for i := 0; i < 3; i++ {
				ids = append(ids, c.submit(fanout(12, "0.2")))
			}
			// Wait until some steps are done and others are running.
			deadline := time.Now().Add(30 * time.Second)
			for {
				done := 0
				for _, td := range c.run(ids[0]).RunDetails.TaskDetails {
					if td.State == "SUCCEEDED" {
						done++
					}
				}
				if done >= 4 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no progress before the kill")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			dsn := db.dsn
			if dsn == "" {
				dsn = filepath.Join(data, "sluice.db")
			}
			// The records of the tasks that had ended when the server was
			// killed: the restarted server must not rewrite any of them.
			final := terminalTasks(t, dsn, ids)
			if len(final) < 4 {
				t.Fatalf("%d tasks ended before the kill", len(final))
			}
			startServer(t, addr, data, extra...)
			for _, id := range ids {
				r := c.waitTerminal(id, 90*time.Second)
				if r.State != "SUCCEEDED" {
					t.Fatalf("run %s: %s %+v", id, r.State, r.Error)
				}
				seen := map[string]bool{}
				for _, td := range r.RunDetails.TaskDetails {
					if seen[td.TaskID] {
						t.Fatalf("task %s listed twice", td.TaskID)
					}
					seen[td.TaskID] = true
					if td.State != "SUCCEEDED" {
						t.Fatalf("task %s %s", td.TaskID, td.State)
					}
				}
				// 1 loop + 12 iterations + 12 squares + sum
				if len(seen) != 26 {
					t.Fatalf("run %s has %d tasks, want 26", id, len(seen))
				}
			}
			if n := runProcesses(ids); n != 0 {
				t.Fatalf("%d processes of the runs still alive", n)
			}
			after := terminalTasks(t, dsn, ids)
			for k, was := range final {
				if now := after[k]; !reflect.DeepEqual(now, was) {
					t.Errorf("task %s rewritten after the restart:\nbefore %+v\nafter  %+v", k, was, now)
				}
			}
			// Every run's result is whole: the sum of the 12 squares.
			st, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			for _, id := range ids {
				r, err := st.GetRun(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(r.Outputs), `"total":650`) {
					t.Fatalf("run %s outputs %s, want total 650", id, r.Outputs)
				}
			}
		})
	}
}

type database struct{ name, dsn string }

func databases(t *testing.T) []database {
	return []database{{name: "sqlite"}, {name: "postgres", dsn: "postgres"}}
}

// terminalTasks reads the records of the runs' tasks that have ended, by
// run and task id.
func terminalTasks(t *testing.T, dsn string, ids []string) map[string]store.Task {
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
			if tk.State.Terminal() {
				out[id+"/"+tk.ID] = *tk
			}
		}
	}
	return out
}
