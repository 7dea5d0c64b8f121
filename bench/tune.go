package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/runner"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/tune"
	"github.com/sluicehq/sluice/tuner"
)

// TuneParallel is how many trials (and plain runs) of TUNE run at once.
const TuneParallel = 4

// tuneWorkload is TUNE: a one-step pipeline whose step prints loss=x, run
// as n plain runs and as an experiment of n trials, TuneParallel at a time.
func tuneWorkload(n int) *Workload {
	g := &gen{comps: map[string]any{}, execs: map[string]any{}}
	g.sh("train", m{"parameters": params("x", "NUMBER_DOUBLE")}, nil, `echo "loss=$0"`, "{{$.inputs.parameters['x']}}")
	dag := m{"tasks": m{"train": task("train", nil, m{"parameters": m{"x": m{"componentInputParameter": "x"}}})}}
	spec := pipeline("bench-tune", dag, nil)
	spec["root"].(m)["inputDefinitions"] = m{"parameters": m{"x": m{"parameterType": "NUMBER_DOUBLE"}}}
	spec["schemaVersion"] = "2.1.0"
	spec["components"] = g.comps
	spec["deploymentSpec"] = map[string]any{"executors": g.execs}
	return &Workload{Name: "TUNE", Size: n, Steps: n, Par: TuneParallel, Spec: spec}
}

// tuneChild measures, in one process over one store, n plain runs of the
// one-step pipeline submitted to the run service (TuneParallel at a time)
// and then an experiment of n trials of it (random search, TuneParallel
// trials at a time): the run service's and the tuning service's costs per
// run, measured the same way beside each other. WallMS is the experiment's
// wall time, BaselineMS the plain runs'.
func tuneChild(dir, mode string, n int, pg string, prof profiles) (*childResult, error) {
	w := tuneWorkload(n)
	p, err := spec.Load(w.JSON())
	if err != nil {
		return nil, err
	}
	stored, err := spec.MarshalStored(p)
	if err != nil {
		return nil, err
	}
	dsn := filepath.Join(dir, "sluice.db")
	if mode == "tune-postgres" {
		dsn = pg
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	eng, err := NewEngine(dir, 2*TuneParallel)
	if err != nil {
		return nil, err
	}
	arts, err := artifact.Open(ctx, eng.DefaultRoot)
	if err != nil {
		return nil, err
	}
	defer arts.Close()
	runs, err := runner.New(runner.Config{Store: st, Engine: eng, MaxConcurrent: TuneParallel})
	if err != nil {
		return nil, err
	}
	if err := runs.Start(ctx); err != nil {
		return nil, err
	}
	defer runs.Stop()
	tun, err := tuner.New(tuner.Config{Store: st, Runs: runs, Artifacts: arts})
	if err != nil {
		return nil, err
	}
	if err := tun.Start(ctx); err != nil {
		return nil, err
	}
	defer tun.Stop()
	e, err := tune.Load([]byte(fmt.Sprintf(`apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: bench}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm: {algorithmName: random}
  parallelTrialCount: %d
  maxTrialCount: %d
  parameters:
    - {name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}}
  trialTemplate:
    pipeline: {file: bench.yaml}
`, TuneParallel, n)))
	if err != nil {
		return nil, err
	}
	var plain, trials time.Duration
	res, err := measure(prof, func() (string, error) {
		start := time.Now()
		ids := make([]string, n)
		for i := range ids {
			params, _ := json.Marshal(map[string]any{"x": float64(i) / float64(n)})
			r := &store.Run{DisplayName: "plain", Spec: stored, Params: params, NoCache: true}
			if err := runs.Submit(ctx, r); err != nil {
				return "", err
			}
			ids[i] = r.ID
		}
		for _, id := range ids {
			r, err := runs.Wait(ctx, id)
			if err != nil {
				return "", err
			}
			if r.State != runstate.Succeeded {
				return "", fmt.Errorf("plain run %s %s: %s", id, r.State, r.Error)
			}
		}
		plain = time.Since(start)
		start = time.Now()
		rec, err := tun.Create(ctx, &tuner.Request{Experiment: e, Pipeline: p, NoCache: true, Seed: 1})
		if err != nil {
			return "", err
		}
		done, err := tun.Wait(ctx, rec.ID)
		if err != nil {
			return "", err
		}
		trials = time.Since(start)
		status, err := tuner.Status(done)
		if err != nil {
			return "", err
		}
		if status.Condition().Reason != tune.ReasonMaxTrialsReached || status.TrialsSucceeded != n {
			return "", fmt.Errorf("experiment %+v with %d of %d trials succeeded", status.Condition(), status.TrialsSucceeded, n)
		}
		return "", nil
	})
	if err != nil {
		return nil, err
	}
	res.WallMS, res.BaselineMS = ms(trials), ms(plain)
	return res, nil
}
