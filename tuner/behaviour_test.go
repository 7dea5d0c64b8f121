package tuner_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/tune"
	"github.com/sluicehq/sluice/tuner"
)

// stepPipeline is a one-step pipeline over x whose script gets x as $0.
func stepPipeline(t *testing.T, name, script string) *spec.Pipeline {
	b, _ := json.Marshal(script)
	return pipeline(t, `
pipelineInfo: {name: `+name+`}
root:
  inputDefinitions:
    parameters:
      x: {parameterType: NUMBER_DOUBLE}
  dag:
    tasks:
      train:
        taskInfo: {name: train}
        componentRef: {name: comp-train}
        inputs: {parameters: {x: {componentInputParameter: x}}}
components:
  comp-train:
    executorLabel: exec-train
    inputDefinitions: {parameters: {x: {parameterType: NUMBER_DOUBLE}}}
deploymentSpec:
  executors:
    exec-train:
      container: {image: alpine, command: [sh, -c, `+string(b)+`, "{{$.inputs.parameters['x']}}"]}
schemaVersion: 2.1.0
`)
}

func xExperiment(extra string) string {
	return `
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: ex}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm: {algorithmName: random}
  parameters:
    - {name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}}
  trialTemplate:
    pipeline: {file: p.yaml}
` + extra
}

// The median stopping rule, as published and in Katib's mode, stops a
// late bad trial through its run's cancel: the trial is EarlyStopped, its
// run CANCELED before it printed all its reports, and it still counts
// toward maxTrialCount.
func TestEarlyStopping(t *testing.T) {
	for _, mode := range []string{"median", "katib"} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t)
			counter := filepath.Join(h.dir, "counter")
			// Trials 1 and 2 report loss=1 five times; trial 3 reports
			// loss=100, slowly.
			script := `echo x >> ` + counter + `; n=$(wc -l < ` + counter + `); v=1; [ "$n" -ge 3 ] && v=100
for k in 1 2 3 4 5; do echo "report $k loss=$v"; if [ "$v" = 100 ]; then sleep 0.4; fi; done`
			settings := `[{name: min_trials_required, value: "2"}, {name: start_step, value: "2"}]`
			if mode == "katib" {
				settings = `[{name: min_trials_required, value: "2"}, {name: start_step, value: "2"}, {name: katib_compat, value: "true"}]`
			}
			y := xExperiment(`  parallelTrialCount: 1
  maxTrialCount: 3
  earlyStopping: {algorithmName: medianstop, algorithmSettings: ` + settings + `}
`)
			rec := h.create(experiment(t, y), stepPipeline(t, "es", script))
			got, st, trials := h.wait(rec.ID)
			if got.Condition != "Succeeded" || st.Condition().Reason != tune.ReasonMaxTrialsReached || len(trials) != 3 {
				t.Fatalf("experiment %s %+v with %d trials", got.Condition, st.Condition(), len(trials))
			}
			late := trials[2]
			if late.State != "EarlyStopped" || late.Reason != "TrialEarlyStopped" || late.Stop != tuner.StopEarly {
				t.Fatalf("late trial %s %s %q", late.State, late.Reason, late.Message)
			}
			if !strings.Contains(late.Message, "100") {
				t.Fatalf("message %q does not give the trial's value", late.Message)
			}
			run, err := h.st.GetRun(context.Background(), late.RunID)
			if err != nil || run.State != runstate.Canceled {
				t.Fatalf("stopped trial's run %v %v", run, err)
			}
			tasks, err := h.st.ListTasks(context.Background(), late.RunID)
			if err != nil || len(tasks) != 1 {
				t.Fatal(tasks, err)
			}
			log, err := os.ReadFile(tasks[0].LogURI)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(log), "report 5") {
				t.Fatalf("the stopped trial ran to its end:\n%s", log)
			}
			if st.TrialsEarlyStopped != 1 || st.TrialsSucceeded != 2 || st.CurrentOptimalTrial == nil {
				t.Fatalf("status %+v", st)
			}
			if mode == "katib" && len(late.Rule) == 0 {
				t.Fatal("no rule frozen in the late trial")
			}
		})
	}
}

// The objective comes from a KFP Metrics artifact (log_metric, as the
// task's executor output writes it) of a named task; an additional metric
// from a v1 mlpipeline-metrics file.
func TestMetricsFromArtifacts(t *testing.T) {
	h := newHarness(t)
	p := pipeline(t, `
pipelineInfo: {name: arts}
root:
  inputDefinitions:
    parameters:
      x: {parameterType: NUMBER_DOUBLE}
  dag:
    tasks:
      train:
        taskInfo: {name: train}
        componentRef: {name: comp-eval}
        inputs: {parameters: {x: {componentInputParameter: x}}}
      evaluate:
        taskInfo: {name: evaluate}
        componentRef: {name: comp-eval}
        inputs: {parameters: {x: {componentInputParameter: x}}}
components:
  comp-eval:
    executorLabel: exec-eval
    inputDefinitions: {parameters: {x: {parameterType: NUMBER_DOUBLE}}}
    outputDefinitions:
      artifacts:
        metrics: {artifactType: {schemaTitle: system.Metrics, schemaVersion: 0.0.1}}
        mlpipeline-metrics: {artifactType: {schemaTitle: system.Artifact, schemaVersion: 0.0.1}}
deploymentSpec:
  executors:
    exec-eval:
      container:
        image: alpine
        command:
          - sh
          - -c
          - |
            x="$0"; out="$1"; v1="$2"; uri="$3"
            mkdir -p "$(dirname "$out")" "$(dirname "$v1")"
            # train reports r2 = 2x, evaluate r2 = x: the objective names evaluate's.
            r2=$(awk -v x="$x" -v t="$4" 'BEGIN { print (t == "train" ? 2*x : x) }')
            printf '{"artifacts": {"metrics": {"artifacts": [{"name": "metrics", "uri": "%s", "metadata": {"r2": %s, "note": "text"}}]}}}' "$uri" "$r2" > "$out"
            printf '{"metrics": [{"name": "acc", "numberValue": 0.5, "format": "RAW"}, {"name": "bad name!", "numberValue": 1}]}' > "$v1"
          - "{{$.inputs.parameters['x']}}"
          - "{{$.outputs.output_file}}"
          - "{{$.outputs.artifacts['mlpipeline-metrics'].path}}"
          - "{{$.outputs.artifacts['metrics'].uri}}"
          - "{{$.pipeline_task_name}}"
schemaVersion: 2.1.0
`)
	y := withSpec(xExperiment("  maxTrialCount: 3\n"), "objective: {type: minimize, objectiveMetricName: loss}",
		"objective: {type: maximize, objectiveMetricName: evaluate.r2, additionalMetricNames: [acc]}")
	rec := h.create(experiment(t, y), p)
	got, st, trials := h.wait(rec.ID)
	if got.Condition != "Succeeded" || st.TrialsSucceeded != 3 {
		t.Fatalf("experiment %s, status %+v, trials %+v", got.Condition, st, trials)
	}
	for _, tr := range trials {
		tt, _ := tuner.Trial(tr)
		x, _ := strconv.ParseFloat(tt.Assignments[0].Value, 64)
		r2, ok := tt.Observation.Metric("evaluate.r2")
		acc, ok2 := tt.Observation.Metric("acc")
		if !ok || !r2.Available || r2.Latest != x || !ok2 || acc.Latest != 0.5 {
			t.Fatalf("trial %s (x %v): observation %+v", tr.Name, x, tt.Observation)
		}
	}
}

// A step cannot make the service read a file outside the pipeline root by
// naming it as its mlpipeline-metrics artifact's URI.
func TestArtifactOutsideTheRootIsNotRead(t *testing.T) {
	h := newHarness(t)
	secret := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(secret, []byte(`{"metrics": [{"name": "loss", "numberValue": 42}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p := pipeline(t, `
pipelineInfo: {name: sneaky}
root:
  inputDefinitions: {parameters: {x: {parameterType: NUMBER_DOUBLE}}}
  dag: {tasks: {t: {taskInfo: {name: t}, componentRef: {name: comp-t}}}}
components:
  comp-t:
    executorLabel: exec-t
    outputDefinitions:
      artifacts:
        mlpipeline-metrics: {artifactType: {schemaTitle: system.Artifact, schemaVersion: 0.0.1}}
deploymentSpec:
  executors:
    exec-t:
      container:
        image: alpine
        command: [sh, -c, 'mkdir -p "$(dirname "$0")"; printf "{\"artifacts\": {\"mlpipeline-metrics\": {\"artifacts\": [{\"uri\": \"%s\"}]}}}" "$1" > "$0"', "{{$.outputs.output_file}}", "`+secret+`"]
schemaVersion: 2.1.0
`)
	rec := h.create(experiment(t, xExperiment("  maxTrialCount: 1\n  parallelTrialCount: 1\n")), p)
	_, _, trials := h.wait(rec.ID)
	if len(trials) != 1 || trials[0].State != "MetricsUnavailable" {
		t.Fatalf("trial %+v: the file outside the root was read", trials)
	}
}

// Trials share their upstream steps: 20 trials of a pipeline whose first
// step does not depend on the searched parameter run that step once; the
// other 19 take it from the cache, and the experiment counts the time saved.
func TestSharedStepRunsOnce(t *testing.T) {
	h := newHarness(t)
	marker := filepath.Join(h.dir, "prepared")
	p := pipeline(t, `
pipelineInfo: {name: shared}
root:
  inputDefinitions:
    parameters:
      x: {parameterType: NUMBER_DOUBLE}
  dag:
    tasks:
      prepare:
        taskInfo: {name: prepare}
        componentRef: {name: comp-prepare}
        cachingOptions: {enableCache: true}
      train:
        taskInfo: {name: train}
        componentRef: {name: comp-train}
        dependentTasks: [prepare]
        cachingOptions: {enableCache: true}
        inputs:
          parameters: {x: {componentInputParameter: x}}
          artifacts: {data: {taskOutputArtifact: {producerTask: prepare, outputArtifactKey: data}}}
components:
  comp-prepare:
    executorLabel: exec-prepare
    outputDefinitions:
      artifacts: {data: {artifactType: {schemaTitle: system.Dataset, schemaVersion: 0.0.1}}}
  comp-train:
    executorLabel: exec-train
    inputDefinitions:
      parameters: {x: {parameterType: NUMBER_DOUBLE}}
      artifacts: {data: {artifactType: {schemaTitle: system.Dataset, schemaVersion: 0.0.1}}}
deploymentSpec:
  executors:
    exec-prepare:
      container:
        image: alpine
        command: [sh, -c, 'echo ran >> `+marker+`; sleep 0.3; mkdir -p "$(dirname "$0")"; echo 7 > "$0"', "{{$.outputs.artifacts['data'].path}}"]
    exec-train:
      container:
        image: alpine
        command: [sh, -c, 'awk -v x="$1" -v d="$(cat "$0")" "BEGIN { print \"loss=\" (x - 0.5)^2 + d }"', "{{$.inputs.artifacts['data'].path}}", "{{$.inputs.parameters['x']}}"]
schemaVersion: 2.1.0
`)
	rec := h.create(experiment(t, xExperiment("  maxTrialCount: 20\n  parallelTrialCount: 4\n")), p)
	got, st, trials := h.wait(rec.ID)
	if got.Condition != "Succeeded" || st.TrialsSucceeded != 20 {
		t.Fatalf("experiment %s, status %+v", got.Condition, st)
	}
	b, err := os.ReadFile(marker)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "ran"); n != 1 {
		t.Fatalf("the shared step ran %d times in 20 trials, want once", n)
	}
	s := tuner.CacheSavings(trials)
	if s.CachedSteps != 19 || s.Steps != 40 || s.Saved <= 0 || s.Unknown != 0 {
		t.Fatalf("savings %+v", s)
	}
}

// A grid without maxTrialCount ends when the algorithm has nothing left:
// every point once, ExperimentSuggestionEndReached.
func TestGridRunsToTheEnd(t *testing.T) {
	h := newHarness(t)
	y := withSpec(xExperiment(""), `{name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}}`,
		`{name: x, parameterType: double, feasibleSpace: {min: "0", max: "1", step: "0.25"}}`)
	y = withSpec(y, "algorithmName: random", "algorithmName: grid")
	rec := h.create(experiment(t, y), stepPipeline(t, "grid", `echo "loss=$0"`))
	got, st, trials := h.wait(rec.ID)
	if got.Condition != "Succeeded" || st.Condition().Reason != tune.ReasonSuggestionEndReached || len(trials) != 5 || !got.Exhausted {
		t.Fatalf("experiment %s %+v, %d trials", got.Condition, st.Condition(), len(trials))
	}
	seen := map[string]bool{}
	for _, tr := range trials {
		tt, _ := tuner.Trial(tr)
		seen[tt.Assignments[0].Value] = true
	}
	for _, v := range []string{"0", "0.25", "0.5", "0.75", "1"} {
		if !seen[v] {
			t.Fatalf("grid point %s never tried: %v", v, seen)
		}
	}
	if st.CurrentOptimalTrial == nil || st.CurrentOptimalTrial.ParameterAssignments[0].Value != "0" {
		t.Fatalf("optimal %+v", st.CurrentOptimalTrial)
	}
}

// flakyRuns fails the first submission of a run, as a crash between a
// trial's row and its run's submission would leave it.
type flakyRuns struct {
	tuner.Runs
	mu     sync.Mutex
	failed bool
}

func (f *flakyRuns) Submit(ctx context.Context, r *store.Run) error {
	f.mu.Lock()
	first := !f.failed
	f.failed = true
	f.mu.Unlock()
	if first {
		return errors.New("the server went away")
	}
	return f.Runs.Submit(ctx, r)
}

// A trial whose row was written but whose run was not submitted gets its
// run (with the id derived from the trial) when the service resumes; the
// service stopped in the middle of an experiment and started again
// finishes it with every trial once and no run twice.
func TestResume(t *testing.T) {
	h := newHarness(t)
	h.stop()
	// The first service fails to submit the first run, then is stopped
	// while trials run.
	h.start()
	h.tun.Stop()
	flaky := &flakyRuns{Runs: h.runs}
	var err error
	h.tun, err = tuner.New(tuner.Config{Store: h.st, Runs: flaky, Artifacts: h.arts})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.tun.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	y := xExperiment("  maxTrialCount: 8\n  parallelTrialCount: 2\n")
	rec := h.create(experiment(t, y), stepPipeline(t, "slow", `sleep 0.2; echo "loss=$0"`))
	waitFor(t, func() bool {
		trials, _ := h.st.ListTrials(context.Background(), rec.ID, store.TrialListOptions{})
		done := 0
		for _, tr := range trials {
			if tr.State == "Succeeded" {
				done++
			}
		}
		return done >= 2
	})
	h.stop()
	mid, _ := h.st.ListTrials(context.Background(), rec.ID, store.TrialListOptions{})
	if len(mid) >= 8 {
		t.Fatalf("the experiment ended before the restart (%d trials)", len(mid))
	}
	h.start()
	got, st, trials := h.wait(rec.ID)
	if got.Condition != "Succeeded" || len(trials) != 8 || st.TrialsSucceeded != 8 {
		t.Fatalf("experiment %s, %d trials, status %+v", got.Condition, len(trials), st)
	}
	names := map[string]bool{}
	for _, tr := range trials {
		names[tr.Name] = true
		if tr.RunID != tuner.RunID(rec.ID, tr.Name) {
			t.Fatalf("trial %s run %s", tr.Name, tr.RunID)
		}
	}
	runs, err := h.st.ListRuns(context.Background(), store.ListOptions{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if runs.TotalSize != 8 || len(names) != 8 {
		t.Fatalf("%d runs for %d trials", runs.TotalSize, len(names))
	}
	for _, r := range runs.Items {
		if r.State != runstate.Succeeded || !names[r.Labels[tuner.LabelTrial]] {
			t.Fatalf("run %s %s %v", r.ID, r.State, r.Labels)
		}
	}
}

// Bad experiments for a pipeline are refused with the field named.
func TestCreateRefusesWhatThePipelineCannotRun(t *testing.T) {
	h := newHarness(t)
	p := quadPipeline(t, "true")
	for _, c := range []struct{ y, field, words string }{
		{withSpec(quadExperiment, `{name: y, parameterType: int`, `{name: z, parameterType: int`), "spec.parameters[1].name", `no parameter "z"`},
		{withSpec(quadExperiment, `{name: y, parameterType: int, feasibleSpace: {min: "-4", max: "2"}}`, `{name: y, parameterType: double, feasibleSpace: {min: "-4", max: "2"}}`), "spec.parameters[1].name", "NUMBER_INTEGER"},
		{withSpec(quadExperiment, "pipeline: {file: quad.yaml}", "pipeline: {file: quad.yaml}\n    arguments: {x: \"${trialParameters.x}\", y: \"${trialParameters.y}\", tag: \"${trialParameters.x}\"}"), "", ""},
	} {
		_, err := h.tun.Create(context.Background(), &tuner.Request{Experiment: experiment(t, c.y), Pipeline: p})
		if c.field == "" {
			if err != nil {
				t.Fatalf("valid experiment refused: %v", err)
			}
			continue
		}
		var fe *tune.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Msg, c.words) || !errors.Is(err, tune.ErrInvalid) {
			t.Fatalf("error %v, want %s: …%s…", err, c.field, c.words)
		}
	}
	// A required pipeline parameter nobody gives.
	req := pipeline(t, strings.Replace(string(mustJSON(t, quadPipeline(t, "true").Spec)), `"tag":{"parameterType":"STRING","defaultValue":"none","isOptional":true}`, `"tag":{"parameterType":"STRING"}`, 1))
	_, err := h.tun.Create(context.Background(), &tuner.Request{Experiment: experiment(t, withSpec(quadExperiment, "name: quad}", "name: quad2}")), Pipeline: req})
	if !errors.Is(err, tune.ErrInvalid) || !strings.Contains(err.Error(), `"tag" has no default`) {
		t.Fatalf("missing parameter: %v", err)
	}
	_, err = h.tun.Create(context.Background(), &tuner.Request{Experiment: experiment(t, quadExperiment), Pipeline: p})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("same name twice: %v", err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Editing the budget: raising maxTrialCount restarts an experiment that
// ended by reaching it; lowering parallelTrialCount deletes the newest
// active trials (their runs canceled); an invalid budget is refused.
func TestBudgetEdits(t *testing.T) {
	h := newHarness(t)
	y := xExperiment("  maxTrialCount: 3\n  parallelTrialCount: 3\n")
	rec := h.create(experiment(t, y), stepPipeline(t, "quick", `echo "loss=$0"`))
	got, st, trials := h.wait(rec.ID)
	if got.Condition != "Succeeded" || len(trials) != 3 {
		t.Fatalf("first end: %s, %d trials", got.Condition, len(trials))
	}
	five := int32(5)
	if _, err := h.tun.UpdateBudget(context.Background(), rec.ID, tuner.Budget{MaxTrialCount: &five}); err != nil {
		t.Fatal(err)
	}
	got, st, trials = h.wait(rec.ID)
	if got.Condition != "Succeeded" || st.Condition().Reason != tune.ReasonMaxTrialsReached || len(trials) != 5 || st.TrialsSucceeded != 5 {
		t.Fatalf("after raising maxTrialCount: %s %+v, %d trials", got.Condition, st.Condition(), len(trials))
	}
	zero := int32(0)
	_, err := h.tun.UpdateBudget(context.Background(), rec.ID, tuner.Budget{ParallelTrialCount: &zero})
	var fe *tune.FieldError
	if !errors.As(err, &fe) || fe.Field != "spec.parallelTrialCount" {
		t.Fatalf("parallelTrialCount 0: %v", err)
	}

	slow := h.create(experiment(t, withSpec(y, "name: ex}", "name: slow}")), stepPipeline(t, "slow", `sleep 60; echo "loss=$0"`))
	waitFor(t, func() bool {
		trials, _ := h.st.ListTrials(context.Background(), slow.ID, store.TrialListOptions{})
		n := 0
		for _, tr := range trials {
			if tr.State == "Running" {
				n++
			}
		}
		return n == 3
	})
	before, _ := h.st.ListTrials(context.Background(), slow.ID, store.TrialListOptions{})
	one := int32(1)
	if _, err := h.tun.UpdateBudget(context.Background(), slow.ID, tuner.Budget{ParallelTrialCount: &one}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		trials, _ := h.st.ListTrials(context.Background(), slow.ID, store.TrialListOptions{})
		return len(trials) == 1 && trials[0].Name == before[0].Name
	})
	for _, tr := range before[1:] {
		run, err := h.st.GetRun(context.Background(), tr.RunID)
		if err != nil || run.State != runstate.Canceled {
			t.Fatalf("deleted trial %s: run %v %v", tr.Name, run, err)
		}
	}
	if err := h.tun.Cancel(context.Background(), slow.ID); err != nil {
		t.Fatal(err)
	}
	got, st, trials = h.wait(slow.ID)
	if got.Condition != "Failed" || len(trials) != 1 || trials[0].State != "Killed" || st.Trials != 1 {
		t.Fatalf("slow: %s, %d trials, status %+v", got.Condition, len(trials), st)
	}
	// Deleting the experiment deletes every run it made, those of the
	// trials deleted above too.
	if err := h.tun.Delete(context.Background(), slow.ID); err != nil {
		t.Fatal(err)
	}
	for _, tr := range before {
		if _, err := h.st.GetRun(context.Background(), tr.RunID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("run %s of trial %s after the experiment's delete: %v", tr.RunID, tr.Name, err)
		}
	}
}

// The File collector reads the metrics file a step writes in its working
// directory (JSON lines here), not its output.
func TestFileCollector(t *testing.T) {
	h := newHarness(t)
	y := xExperiment("  maxTrialCount: 2\n  parallelTrialCount: 1\n  metricsCollectorSpec:\n    collector: {kind: File}\n    source: {fileSystemPath: {path: /out/metrics.json, format: JSON}}\n")
	rec := h.create(experiment(t, y), stepPipeline(t, "file", `echo "loss=99"; mkdir -p out; printf '{"loss": %s}\n{"loss": "0.5"}\n' "$0" > out/metrics.json`))
	got, _, trials := h.wait(rec.ID)
	if got.Condition != "Succeeded" || len(trials) != 2 {
		t.Fatalf("experiment %s with %d trials", got.Condition, len(trials))
	}
	for _, tr := range trials {
		tt, _ := tuner.Trial(tr)
		x, _ := strconv.ParseFloat(tt.Assignments[0].Value, 64)
		m, ok := tt.Observation.Metric("loss")
		if !ok || !m.Available || m.Min != min(x, 0.5) || m.Latest != 0.5 || m.Max == 99 {
			t.Fatalf("trial %s (x %v): %+v", tr.Name, x, m)
		}
	}
}

// A step controls the File collector's metrics file: a FIFO there does not
// block the collector (the trial ends without metrics instead of the
// experiment never ending), and a link to a file outside the run is not
// read, even one the step swaps in after the file was first read.
func TestFileCollectorHostileMetricsFile(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("loss=42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	y := xExperiment("  maxTrialCount: 1\n  parallelTrialCount: 1\n  metricsCollectorSpec:\n    collector: {kind: File}\n    source: {fileSystemPath: {path: /out/metrics.log, format: TEXT}}\n")
	for name, script := range map[string]string{
		"fifo":         `mkdir -p out; mkfifo out/metrics.log; sleep 2`,
		"link":         `mkdir -p out; ln -s ` + secret + ` out/metrics.log`,
		"link swapped": `mkdir -p out; echo "other=1" > out/metrics.log; sleep 2; ln -sf ` + secret + ` out/metrics.log; sleep 2`,
		"dir link":     `ln -s ` + filepath.Dir(secret) + ` out; sleep 1; ln -sf ` + secret + ` ` + filepath.Join(filepath.Dir(secret), "metrics.log"),
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			rec := h.create(experiment(t, y), stepPipeline(t, "file", script))
			_, _, trials := h.wait(rec.ID)
			if len(trials) != 1 || trials[0].State != "MetricsUnavailable" {
				t.Fatalf("trials %+v: want one without metrics", trials)
			}
		})
	}
}
