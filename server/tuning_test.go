package server_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/pgtest"
	"github.com/sluicehq/sluice/server"
	"github.com/sluicehq/sluice/tuner"
	"github.com/sluicehq/sluice/wire"
)

const tuningRoute = "/apis/sluice/v1/tuning/experiments"

// waitExperiment polls an experiment until it has completed with no trial
// active.
func (c *client) waitExperiment(id string, timeout time.Duration) (wire.TuningExperiment, []wire.TuningTrial) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var e wire.TuningExperiment
		var trials wire.ListTuningTrialsResponse
		if c.do("GET", tuningRoute+"/"+id, nil, &e) == 200 && c.do("GET", tuningRoute+"/"+id+"/trials", nil, &trials) == 200 &&
			(e.Condition == "Succeeded" || e.Condition == "Failed") {
			active := false
			for _, t := range trials.Trials {
				if t.State == "Created" || t.State == "Running" {
					active = true
				}
			}
			if !active {
				return e, trials.Trials
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("tuning experiment %s not finished after %s", id, timeout)
	return wire.TuningExperiment{}, nil
}

// The example experiment, created by the server's first start, tunes the
// real-world pipeline through the run service: 12 trials, the upstream
// steps from the cache after the first trial, r2 above 0.9, Prometheus
// counters of its trials.
func TestTuningExampleThroughTheServer(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
			t.Fatal("python3 is required")
		}
		t.Skip("python3 not found (the real-world components are Python)")
	}
	// The examples are loaded (inProcess leaves them out by default).
	c := &client{t: t, base: inProcess(t, func(cfg *server.Config) { cfg.NoExamples, cfg.Parallelism = false, 4 })}
	var list wire.ListTuningExperimentsResponse
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c.do("GET", tuningRoute, nil, &list) == 200 && len(list.Experiments) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no example experiment: %+v", list)
		}
	}
	x := list.Experiments[0]
	if x.Name != "realworld-ridge" || x.PipelineID == "" {
		t.Fatalf("example experiment %+v", x)
	}
	e, trials := c.waitExperiment(x.ID, 5*time.Minute)
	if e.Condition != "Succeeded" || e.Reason != "ExperimentMaxTrialsReached" || len(trials) != 12 {
		t.Fatalf("experiment %s %s with %d trials", e.Condition, e.Reason, len(trials))
	}
	for _, tr := range trials {
		if tr.State != "Succeeded" || tr.Objective == nil || tr.Parameters["l2"] == nil {
			t.Fatalf("trial %+v", tr)
		}
		r := c.run(tr.RunID)
		if r.State != "SUCCEEDED" {
			t.Fatalf("trial %s: run %s", tr.Name, r.State)
		}
	}
	if b := e.BestTrial; b == nil || *b.Objective < 0.9 {
		t.Fatalf("best trial %+v", e.BestTrial)
	}
	// read_data, preprocess and train_test_split ran once.
	if ch := e.Cache; ch == nil || ch.CachedSteps != 33 || ch.Steps != 60 || ch.SavedSeconds <= 0 {
		t.Fatalf("cache %+v", e.Cache)
	}
	metrics := get(t, c.base+"/metrics")
	if !strings.Contains(metrics, `sluice_tuning_trials_finished_total{state="Succeeded"} 12`) ||
		!strings.Contains(metrics, `sluice_tuning_experiments_finished_total{condition="Succeeded",reason="ExperimentMaxTrialsReached"} 1`) {
		t.Fatalf("metrics:\n%s", metrics)
	}
}

// markerPipeline: one step that appends its trial's name to a marker file,
// takes a moment, and reports loss = (x - 0.3)^2.
func markerPipeline() map[string]any {
	var m map[string]any
	_ = json.Unmarshal([]byte(`{
 "pipelineInfo": {"name": "marker"}, "schemaVersion": "2.1.0",
 "root": {
  "inputDefinitions": {"parameters": {"x": {"parameterType": "NUMBER_DOUBLE"}, "trial": {"parameterType": "STRING"}, "marker": {"parameterType": "STRING"}}},
  "dag": {"tasks": {"train": {"taskInfo": {"name": "train"}, "componentRef": {"name": "comp-train"},
    "inputs": {"parameters": {"x": {"componentInputParameter": "x"}, "trial": {"componentInputParameter": "trial"}, "marker": {"componentInputParameter": "marker"}}}}}}},
 "components": {"comp-train": {"executorLabel": "exec-train",
   "inputDefinitions": {"parameters": {"x": {"parameterType": "NUMBER_DOUBLE"}, "trial": {"parameterType": "STRING"}, "marker": {"parameterType": "STRING"}}}}},
 "deploymentSpec": {"executors": {"exec-train": {"container": {"image": "alpine", "command": ["sh", "-c",
   "echo \"$1\" >> \"$2\"; sleep 0.3; awk -v x=\"$0\" 'BEGIN { print \"loss=\" (x - 0.3)^2 }'",
   "{{$.inputs.parameters['x']}}", "{{$.inputs.parameters['trial']}}", "{{$.inputs.parameters['marker']}}"]}}}}
}`), &m)
	return m
}

func markerExperiment(marker string) string {
	return fmt.Sprintf(`apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: killed}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm: {algorithmName: random}
  parallelTrialCount: 3
  maxTrialCount: 12
  parameters:
    - {name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}}
  trialTemplate:
    pipeline: {file: marker.yaml}
    trialParameters:
      - {name: x, reference: x}
      - {name: trial, reference: "${trialSpec.Name}"}
    arguments: {x: "${trialParameters.x}", trial: "${trialParameters.trial}", marker: %q}
`, marker)
}

// TestKill9InTheMiddleOfAnExperiment kills a real `sluice server` with
// SIGKILL while an experiment's trials run, starts it again, and checks
// that the experiment completes with every trial once: no trial lost, no
// trial with a second run, the algorithm going on from the stored trials.
func TestKill9InTheMiddleOfAnExperiment(t *testing.T) {
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
			marker := filepath.Join(t.TempDir(), "trials")
			var x wire.TuningExperiment
			if code := c.do("POST", tuningRoute, map[string]any{"experiment": markerExperiment(marker), "pipeline_spec": markerPipeline()}, &x); code != 200 {
				t.Fatalf("create: %d", code)
			}
			// Kill it once some trials are done and others run.
			for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				var trials wire.ListTuningTrialsResponse
				c.do("GET", tuningRoute+"/"+x.ID+"/trials", nil, &trials)
				done := 0
				for _, tr := range trials.Trials {
					if tr.State == "Succeeded" {
						done++
					}
				}
				if done >= 4 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no progress before the kill")
				}
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			startServer(t, addr, data, extra...)
			e, trials := c.waitExperiment(x.ID, 3*time.Minute)
			if e.Condition != "Succeeded" || e.Reason != "ExperimentMaxTrialsReached" || len(trials) != 12 {
				t.Fatalf("experiment %s %s with %d trials", e.Condition, e.Reason, len(trials))
			}
			names := map[string]bool{}
			for _, tr := range trials {
				if tr.State != "Succeeded" || tr.RunID != tuner.RunID(x.ID, tr.Name) {
					t.Fatalf("trial %+v", tr)
				}
				names[tr.Name] = true
			}
			// One run per trial, each labelled with it.
			var runs struct {
				Runs []struct {
					RunID  string            `json:"run_id"`
					State  string            `json:"state"`
					Labels map[string]string `json:"labels"`
				} `json:"runs"`
				TotalSize int `json:"total_size"`
			}
			filter := `{"predicates":[{"key":"labels.sluice/tuning-experiment","operation":"EQUALS","string_value":"` + x.ID + `"}]}`
			c.do("GET", "/apis/v2beta1/runs?page_size=100&filter="+strings.ReplaceAll(filter, " ", ""), nil, &runs)
			if runs.TotalSize != 12 || len(runs.Runs) != 12 {
				t.Fatalf("%d runs for 12 trials", runs.TotalSize)
			}
			for _, r := range runs.Runs {
				if r.State != "SUCCEEDED" || !names[r.Labels["sluice/trial"]] {
					t.Fatalf("run %+v", r)
				}
			}
			// Every trial's step ran (a step killed midway ran again in
			// the same run), and no other trial ran.
			b, err := os.ReadFile(marker)
			if err != nil {
				t.Fatal(err)
			}
			ran := map[string]bool{}
			for _, line := range strings.Fields(string(b)) {
				if !names[line] {
					t.Fatalf("a step of an unknown trial %q ran", line)
				}
				ran[line] = true
			}
			if len(ran) != 12 {
				t.Fatalf("%d trials' steps ran, want 12", len(ran))
			}
		})
	}
}
