package tuner_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/tune"
	"github.com/sluicehq/sluice/tuner"
)

func quad(x float64, y int) float64 { return (x-1)*(x-1) + float64((y+2)*(y+2)) }

// maxOverlap is the most trials active at once: each is active from its
// creation to its completion.
func maxOverlap(trials []*store.Trial) int {
	type ev struct {
		at   time.Time
		step int
	}
	var evs []ev
	for _, t := range trials {
		evs = append(evs, ev{t.CreatedAt, 1}, ev{t.CompletedAt, -1})
	}
	slices.SortStableFunc(evs, func(a, b ev) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.step - b.step // an end before a start at the same instant
	})
	n, most := 0, 0
	for _, e := range evs {
		n += e.step
		most = max(most, n)
	}
	return most
}

// The bookkeeping experiment of the Katib notes (§7.4): TPE, 12 trials, 3
// at a time; every run's parameters within bounds and typed by the
// pipeline's inputs; each observation matches what its step printed; the
// best trial is the argmin.
func TestExperimentBookkeeping(t *testing.T) {
	h := newHarness(t)
	rec := h.create(experiment(t, quadExperiment), quadPipeline(t, "true"))
	got, st, trials := h.wait(rec.ID)
	if got.Condition != "Succeeded" || st.Condition().Reason != tune.ReasonMaxTrialsReached {
		t.Fatalf("experiment %s %+v", got.Condition, st.Condition())
	}
	if len(trials) != 12 || st.Trials != 12 || st.TrialsSucceeded != 12 {
		t.Fatalf("%d trials, status %+v", len(trials), st)
	}
	if n := maxOverlap(trials); n > 3 {
		t.Fatalf("%d trials active at once, want at most 3", n)
	}
	bestName, bestV := "", math.Inf(1)
	runIDs := map[string]bool{}
	for _, tr := range trials {
		if tr.State != "Succeeded" || tr.RunID != tuner.RunID(rec.ID, tr.Name) || !strings.HasPrefix(tr.Name, "quad-") {
			t.Fatalf("trial %+v", tr)
		}
		runIDs[tr.RunID] = true
		run, err := h.st.GetRun(context.Background(), tr.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if run.State != runstate.Succeeded || run.Labels[tuner.LabelExperiment] != rec.ID || run.Labels[tuner.LabelTrial] != tr.Name {
			t.Fatalf("run %s %v", run.State, run.Labels)
		}
		// Parameters typed by the pipeline: y an integer, x a float.
		var params map[string]json.RawMessage
		if err := json.Unmarshal(run.Params, &params); err != nil {
			t.Fatal(err)
		}
		x, err := strconv.ParseFloat(string(params["x"]), 64)
		if err != nil || x < -3 || x > 3 {
			t.Fatalf("x = %s", params["x"])
		}
		y, err := strconv.Atoi(string(params["y"]))
		if err != nil || y < -4 || y > 2 {
			t.Fatalf("y = %s (want an integer in [-4, 2])", params["y"])
		}
		tt, err := tuner.Trial(tr)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := tt.Observation.Metric("loss")
		f := quad(x, y)
		if !ok || !m.Available || math.Abs(m.Min-f) > 1e-5 || math.Abs(m.Max-(f+4)) > 1e-5 || math.Abs(m.Latest-f) > 1e-5 {
			t.Fatalf("trial %s (x %v, y %d): observation %+v, want min %v max %v latest %v", tr.Name, x, y, m, f, f+4, f)
		}
		if m.Min < bestV {
			bestName, bestV = tr.Name, m.Min
		}
	}
	if len(runIDs) != 12 {
		t.Fatalf("%d distinct runs", len(runIDs))
	}
	if ot := st.CurrentOptimalTrial; ot == nil || ot.BestTrialName != bestName {
		t.Fatalf("optimal trial %+v, want %s", st.CurrentOptimalTrial, bestName)
	}
	all, err := h.st.ListRuns(context.Background(), store.ListOptions{PageSize: 100,
		Filter: []store.Predicate{{Key: "labels." + tuner.LabelExperiment, Op: store.OpEquals, Value: rec.ID}}})
	if err != nil || all.TotalSize != 12 {
		t.Fatalf("runs of the experiment: %v %v", all, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.ended) != 12 {
		t.Fatalf("OnTrial saw %d trials end", len(h.ended))
	}
}

// goalScript: the first step to run finishes at once; the others sleep
// until they are canceled.
func goalScript(lock string) string {
	return `mkdir "` + lock + `" 2>/dev/null || sleep 60`
}

// A goal met ends the experiment after the trial that met it, and the
// trials still active are killed through their runs' cancel.
func TestGoalReached(t *testing.T) {
	h := newHarness(t)
	y := withSpec(quadExperiment, "objectiveMetricName: loss}", "objectiveMetricName: loss, goal: 100}")
	rec := h.create(experiment(t, y), quadPipeline(t, goalScript(h.dir+"/first")))
	got, st, trials := h.wait(rec.ID)
	if got.Condition != "Succeeded" || st.Condition().Reason != tune.ReasonGoalReached {
		t.Fatalf("experiment %s %+v", got.Condition, st.Condition())
	}
	if len(trials) != 3 {
		t.Fatalf("%d trials, want the 3 started together", len(trials))
	}
	var killed, succeeded int
	for _, tr := range trials {
		switch tr.State {
		case "Succeeded":
			succeeded++
		case "Killed":
			killed++
			run, err := h.st.GetRun(context.Background(), tr.RunID)
			if err != nil || run.State != runstate.Canceled {
				t.Fatalf("killed trial's run %v %v", run, err)
			}
		}
	}
	if succeeded != 1 || killed != 2 || st.TrialsKilled != 2 {
		t.Fatalf("succeeded %d killed %d, status %+v", succeeded, killed, st)
	}
}

// Failures end the experiment once maxFailedTrialCount trials failed.
func TestMaxFailedTrials(t *testing.T) {
	h := newHarness(t)
	rec := h.create(experiment(t, quadExperiment), quadPipeline(t, `case "$0" in -*) ;; *) exit 1;; esac`))
	got, st, trials := h.wait(rec.ID)
	if got.Condition != "Failed" || st.Condition().Reason != tune.ReasonFailed || !strings.Contains(st.Condition().Message, "max failed count") {
		t.Fatalf("experiment %s %+v", got.Condition, st.Condition())
	}
	if st.TrialsFailed < 2 {
		t.Fatalf("status %+v", st)
	}
	for _, tr := range trials {
		if tr.State == "Failed" && !strings.Contains(tr.Message, "exited with code 1") {
			t.Fatalf("failed trial's message %q", tr.Message)
		}
		if tr.State == "" || tr.State == "Created" || tr.State == "Running" {
			t.Fatalf("trial %s still %s", tr.Name, tr.State)
		}
	}
}

// A run that succeeds without the objective makes a MetricsUnavailable
// trial, which counts as a failure.
func TestMetricsUnavailable(t *testing.T) {
	h := newHarness(t)
	y := withSpec(quadExperiment, "objectiveMetricName: loss", "objectiveMetricName: accuracy")
	rec := h.create(experiment(t, y), quadPipeline(t, "true"))
	got, st, trials := h.wait(rec.ID)
	if got.Condition != "Failed" || st.TrialMetricsUnavailable < 2 {
		t.Fatalf("experiment %s, status %+v", got.Condition, st)
	}
	for _, tr := range trials {
		if tr.State == "MetricsUnavailable" && !strings.Contains(tr.Message, `without reporting the objective metric "accuracy"`) {
			t.Fatalf("message %q", tr.Message)
		}
	}
	if st.CurrentOptimalTrial != nil {
		t.Fatalf("optimal trial %+v", st.CurrentOptimalTrial)
	}
}

// Canceling an experiment ends it Failed (ExperimentCanceled) and kills its
// running trials; canceling it again is a conflict; deleting it deletes its
// trials and their runs.
func TestCancelAndDelete(t *testing.T) {
	h := newHarness(t)
	rec := h.create(experiment(t, quadExperiment), quadPipeline(t, "sleep 60"))
	waitFor(t, func() bool {
		trials, _ := h.st.ListTrials(context.Background(), rec.ID, store.TrialListOptions{})
		running := 0
		for _, tr := range trials {
			if tr.State == "Running" {
				running++
			}
		}
		return running == 3
	})
	if err := h.tun.Cancel(context.Background(), rec.ID); err != nil {
		t.Fatal(err)
	}
	got, st, trials := h.wait(rec.ID)
	if got.Condition != "Failed" || st.Condition().Reason != "ExperimentCanceled" || st.TrialsKilled != 3 || len(trials) != 3 {
		for _, tr := range trials {
			t.Logf("trial %s %s %s", tr.Name, tr.State, tr.Stop)
		}
		t.Fatalf("experiment %s %+v, status %+v", got.Condition, st.Condition(), st)
	}
	if err := h.tun.Cancel(context.Background(), rec.ID); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second cancel: %v", err)
	}
	if err := h.tun.Delete(context.Background(), rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.GetTuningExperiment(context.Background(), rec.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	for _, tr := range trials {
		if _, err := h.st.GetRun(context.Background(), tr.RunID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("run of %s after delete: %v", tr.Name, err)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
