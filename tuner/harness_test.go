package tuner_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/runner"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/tune"
	"github.com/sluicehq/sluice/tuner"
)

// harness is a tuning service over a real SQLite store and a real run
// service whose steps are local processes.
type harness struct {
	t       *testing.T
	dir     string
	st      store.Store
	runs    *runner.Service
	tun     *tuner.Service
	arts    artifact.Store
	running bool
	mu      sync.Mutex
	ended   []tune.Trial // as OnTrial saw them end
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: dir, st: st}
	t.Cleanup(func() {
		if h.running {
			h.stop()
		}
		st.Close()
	})
	h.start()
	return h
}

// start starts the run service and the tuning service (again, after stop).
func (h *harness) start() {
	t := h.t
	root := filepath.Join(h.dir, "artifacts")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	arts, err := artifact.Open(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	h.arts = arts
	eng := &engine.Engine{
		Launcher:    &launcher.Launcher{Executor: &local.Executor{KillGrace: 200 * time.Millisecond}, PythonPath: h.dir},
		DefaultRoot: root,
		Cache:       runner.Cache{Store: h.st},
		Artifacts:   arts,
	}
	h.runs, err = runner.New(runner.Config{Store: h.st, Engine: eng, MaxConcurrent: 8})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.runs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.tun, err = tuner.New(tuner.Config{Store: h.st, Runs: h.runs, Artifacts: arts, Poll: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnTrial: func(_ string, tr tune.Trial) {
			if tr.State.Completed() {
				h.mu.Lock()
				h.ended = append(h.ended, tr)
				h.mu.Unlock()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.tun.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.running = true
}

func (h *harness) stop() {
	h.running = false
	h.tun.Stop()
	h.runs.Stop()
	h.arts.Close()
}

// experiment reads an experiment from YAML, with the pipeline given.
func experiment(t *testing.T, y string) *tune.Experiment {
	t.Helper()
	e, err := tune.Load([]byte(y))
	if err != nil {
		t.Fatalf("load experiment: %v", err)
	}
	return e
}

func pipeline(t *testing.T, y string) *spec.Pipeline {
	t.Helper()
	p, err := spec.Load([]byte(y))
	if err != nil {
		t.Fatalf("load pipeline: %v", err)
	}
	return p
}

func (h *harness) create(e *tune.Experiment, p *spec.Pipeline) *store.TuningExperiment {
	h.t.Helper()
	rec, err := h.tun.Create(context.Background(), &tuner.Request{Experiment: e, Pipeline: p, Seed: 7})
	if err != nil {
		h.t.Fatalf("create: %v", err)
	}
	return rec
}

func (h *harness) wait(id string) (*store.TuningExperiment, tune.ExperimentStatus, []*store.Trial) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rec, err := h.tun.Wait(ctx, id)
	if err != nil {
		h.t.Fatalf("wait for the experiment: %v", err)
	}
	st, err := tuner.Status(rec)
	if err != nil {
		h.t.Fatal(err)
	}
	trials, err := h.st.ListTrials(context.Background(), id, store.TrialListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return rec, st, trials
}

// quadPipeline: one step reads x (a double) and y (an integer) and prints
// step=k loss=v for k = 1..5, v decreasing to f = (x-1)^2 + (y+2)^2; its
// script is given the two values after EXTRA (a shell snippet run first).
func quadPipeline(t *testing.T, extra string) *spec.Pipeline {
	script := extra + `; awk -v x="$0" -v y="$1" 'BEGIN { f = (x-1)^2 + (y+2)^2; for (k = 1; k <= 5; k++) printf "step=%d loss=%.6f\n", k, f + (5-k) }'`
	b, _ := json.Marshal(script)
	return pipeline(t, `
pipelineInfo: {name: quad}
root:
  inputDefinitions:
    parameters:
      x: {parameterType: NUMBER_DOUBLE}
      y: {parameterType: NUMBER_INTEGER}
      tag: {parameterType: STRING, defaultValue: none, isOptional: true}
  dag:
    tasks:
      train:
        taskInfo: {name: train}
        componentRef: {name: comp-train}
        inputs:
          parameters:
            x: {componentInputParameter: x}
            y: {componentInputParameter: y}
components:
  comp-train:
    executorLabel: exec-train
    inputDefinitions:
      parameters:
        x: {parameterType: NUMBER_DOUBLE}
        y: {parameterType: NUMBER_INTEGER}
deploymentSpec:
  executors:
    exec-train:
      container:
        image: alpine
        command: [sh, -c, `+string(b)+`, "{{$.inputs.parameters['x']}}", "{{$.inputs.parameters['y']}}"]
schemaVersion: 2.1.0
`)
}

const quadExperiment = `
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: quad}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm: {algorithmName: tpe}
  parallelTrialCount: 3
  maxTrialCount: 12
  maxFailedTrialCount: 2
  parameters:
    - {name: x, parameterType: double, feasibleSpace: {min: "-3", max: "3"}}
    - {name: y, parameterType: int, feasibleSpace: {min: "-4", max: "2"}}
  trialTemplate:
    pipeline: {file: quad.yaml}
`

// withSpec replaces a line of an experiment's YAML.
func withSpec(y, old, new string) string {
	if !strings.Contains(y, old) {
		panic("no " + old)
	}
	return strings.Replace(y, old, new, 1)
}

// tlog writes a logger's lines to the test's log.
type tlog struct{ t *testing.T }

func (l tlog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
