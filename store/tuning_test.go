package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func newTuning(name string) *TuningExperiment {
	return &TuningExperiment{Name: name, Spec: []byte(`{"metadata":{"name":"` + name + `"}}`),
		PipelineSpec: []byte(`{"pipeline_spec":{}}`), Seed: 1<<63 + 5, Condition: "Created", CreatedAt: t0}
}

func TestTuningExperiments(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		e := newTuning("quad")
		e.NoCache, e.PipelineRoot, e.Status = true, "/tmp/root", []byte(`{"trials":0}`)
		check(t, s.CreateTuningExperiment(ctx, e))
		wantErr(t, s.CreateTuningExperiment(ctx, newTuning("quad")), ErrAlreadyExists)
		other := newTuning("quad")
		other.Namespace = "team"
		check(t, s.CreateTuningExperiment(ctx, other))
		wantErr(t, s.CreateTuningExperiment(ctx, &TuningExperiment{Name: "x"}), ErrInvalid)
		bad := newTuning("bad")
		bad.Status = []byte("{")
		wantErr(t, s.CreateTuningExperiment(ctx, bad), ErrInvalid, "status")

		got, err := s.GetTuningExperiment(ctx, e.ID)
		check(t, err)
		if got.Name != "quad" || got.Seed != 1<<63+5 || !got.NoCache || got.PipelineRoot != "/tmp/root" ||
			string(got.PipelineSpec) == "" || !got.CreatedAt.Equal(normTime(t0)) || got.Condition != "Created" {
			t.Fatalf("got %+v", got)
		}
		byName, err := s.GetTuningExperimentByName(ctx, "team", "quad")
		check(t, err)
		if byName.ID != other.ID {
			t.Fatalf("by name: %s, want %s", byName.ID, other.ID)
		}
		_, err = s.GetTuningExperiment(ctx, "nope")
		wantErr(t, err, ErrNotFound)

		up, err := s.UpdateTuningExperiment(ctx, e.ID, func(x *TuningExperiment) error {
			x.Condition, x.Exhausted, x.SuggestionError, x.CancelRequested = "Succeeded", true, "boom", true
			x.CompletedAt = at(1e9)
			return nil
		})
		check(t, err)
		if !up.Completed() || up.UpdatedAt.IsZero() || up.PipelineSpec != nil {
			t.Fatalf("updated %+v", up)
		}
		stop := errors.New("stop")
		_, err = s.UpdateTuningExperiment(ctx, e.ID, func(*TuningExperiment) error { return stop })
		if !errors.Is(err, stop) {
			t.Fatalf("err %v", err)
		}
		got, err = s.GetTuningExperiment(ctx, e.ID)
		check(t, err)
		if !got.Exhausted || got.SuggestionError != "boom" || !got.CancelRequested || !got.CompletedAt.Equal(normTime(at(1e9))) || len(got.PipelineSpec) == 0 {
			t.Fatalf("after update %+v", got)
		}

		page, err := s.ListTuningExperiments(ctx, ListOptions{Filter: []Predicate{{Key: "condition", Op: OpEquals, Value: "Created"}}})
		check(t, err)
		if len(page.Items) != 1 || page.Items[0].ID != other.ID || page.Items[0].PipelineSpec != nil || page.TotalSize != 1 {
			t.Fatalf("list %+v", page)
		}
		page, err = s.ListTuningExperiments(ctx, ListOptions{SortBy: "name", PageSize: 1})
		check(t, err)
		if len(page.Items) != 1 || page.NextPageToken == "" || page.TotalSize != 2 {
			t.Fatalf("page %+v", page)
		}

		ids, err := s.TuningExperimentsInProgress(ctx)
		check(t, err)
		if !reflect.DeepEqual(ids, []string{other.ID}) {
			t.Fatalf("in progress %v, want only %s", ids, other.ID)
		}
		// A completed experiment with an active trial is still in progress.
		check(t, s.CreateTrials(ctx, e.ID, []*Trial{{Name: "quad-a", Seq: 0, State: "Running"}}))
		ids, err = s.TuningExperimentsInProgress(ctx)
		check(t, err)
		if len(ids) != 2 {
			t.Fatalf("in progress %v, want both", ids)
		}

		check(t, s.DeleteTuningExperiment(ctx, e.ID))
		wantErr(t, s.DeleteTuningExperiment(ctx, e.ID), ErrNotFound)
		_, err = s.GetTrial(ctx, e.ID, "quad-a")
		wantErr(t, err, ErrNotFound)
	})
}

func TestTrials(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		e := newTuning("quad")
		check(t, s.CreateTuningExperiment(ctx, e))
		var ts []*Trial
		for i := range 3 {
			ts = append(ts, &Trial{Name: fmt.Sprintf("quad-%d", i), Seq: i, State: "Created",
				Assignments: []byte(`[{"name":"x","value":"` + fmt.Sprint(i) + `"}]`),
				Labels:      map[string]string{"cmaes/generation": fmt.Sprint(i)}, RunID: fmt.Sprint("run-", i)})
		}
		check(t, s.CreateTrials(ctx, e.ID, ts))
		// Reverse insertion order still lists by seq.
		check(t, s.CreateTrials(ctx, e.ID, []*Trial{{Name: "quad-4", Seq: 4}, {Name: "quad-3", Seq: 3}}))
		got, err := s.GetTuningExperiment(ctx, e.ID)
		check(t, err)
		if got.NextTrial != 5 {
			t.Fatalf("next trial %d, want 5", got.NextTrial)
		}
		// A taken name or number stores nothing of the batch.
		wantErr(t, s.CreateTrials(ctx, e.ID, []*Trial{{Name: "quad-5", Seq: 5}, {Name: "quad-0", Seq: 6}}), ErrAlreadyExists)
		wantErr(t, s.CreateTrials(ctx, e.ID, []*Trial{{Name: "other", Seq: 1}}), ErrAlreadyExists)
		wantErr(t, s.CreateTrials(ctx, "nope", []*Trial{{Name: "x"}}), ErrNotFound)
		wantErr(t, s.CreateTrials(ctx, e.ID, []*Trial{{Name: "j", Seq: 9, Observation: []byte("nope")}}), ErrInvalid, "observation")

		list, err := s.ListTrials(ctx, e.ID, TrialListOptions{})
		check(t, err)
		var names []string
		for _, tr := range list {
			names = append(names, tr.Name)
		}
		if !reflect.DeepEqual(names, []string{"quad-0", "quad-1", "quad-2", "quad-3", "quad-4"}) {
			t.Fatalf("trials %v", names)
		}
		if l := list[1]; l.Labels["cmaes/generation"] != "1" || string(l.Assignments) == "" || l.RunID != "run-1" || l.CreatedAt.IsZero() {
			t.Fatalf("trial %+v", l)
		}

		up, err := s.UpdateTrial(ctx, e.ID, "quad-1", func(tr *Trial) error {
			tr.State, tr.Reason, tr.Stop = "EarlyStopped", "TrialEarlyStopped", "EarlyStopped"
			tr.Observation = []byte(`{"metrics":[{"name":"loss","min":"1","max":"2","latest":"1"}]}`)
			tr.Curve, tr.Rule, tr.Tasks = []byte(`[2,1]`), []byte(`{"value":1}`), []byte(`[{"id":"a","seconds":1}]`)
			tr.Seq, tr.Name = 99, "renamed" // ignored
			tr.CompletedAt = at(3e9)
			return nil
		})
		check(t, err)
		if up.Seq != 1 || up.Name != "quad-1" {
			t.Fatalf("keys changed: %+v", up)
		}
		got1, err := s.GetTrial(ctx, e.ID, "quad-1")
		check(t, err)
		if got1.State != "EarlyStopped" || got1.Stop != "EarlyStopped" || string(got1.Curve) != "[2,1]" ||
			!got1.CompletedAt.Equal(normTime(at(3e9))) || got1.Labels["cmaes/generation"] != "1" {
			t.Fatalf("updated trial %+v", got1)
		}
		// Curves are read only when asked for (early stopping); a list for
		// people leaves them out and keeps everything else.
		full, err := s.ListTrials(ctx, e.ID, TrialListOptions{Curves: true})
		check(t, err)
		if string(full[1].Curve) != "[2,1]" {
			t.Fatalf("list with curves: curve %q", full[1].Curve)
		}
		bare, err := s.ListTrials(ctx, e.ID, TrialListOptions{})
		check(t, err)
		if b := bare[1]; b.Curve != nil || b.State != "EarlyStopped" || string(b.Rule) != `{"value":1}` || string(b.Tasks) == "" ||
			string(b.Observation) == "" || !b.CompletedAt.Equal(normTime(at(3e9))) {
			t.Fatalf("list without curves: %+v", b)
		}
		_, err = s.UpdateTrial(ctx, e.ID, "nope", func(*Trial) error { return nil })
		wantErr(t, err, ErrNotFound)

		check(t, s.DeleteTrial(ctx, e.ID, "quad-4"))
		wantErr(t, s.DeleteTrial(ctx, e.ID, "quad-4"), ErrNotFound)
		list, err = s.ListTrials(ctx, e.ID, TrialListOptions{})
		check(t, err)
		if len(list) != 4 {
			t.Fatalf("%d trials after delete", len(list))
		}
	})
}

func TestRunLabels(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		check(t, s.CreateRun(ctx, &Run{ID: "a", Labels: map[string]string{"sluice/tuning-experiment": "e1", "sluice/trial": "quad-0"}}))
		check(t, s.CreateRun(ctx, &Run{ID: "b", Labels: map[string]string{"sluice/tuning-experiment": "e2"}}))
		check(t, s.CreateRun(ctx, &Run{ID: "c"}))
		r, err := s.GetRun(ctx, "a")
		check(t, err)
		if r.Labels["sluice/trial"] != "quad-0" {
			t.Fatalf("labels %v", r.Labels)
		}
		_, err = s.UpdateRun(ctx, "c", func(r *Run) error { r.Labels = map[string]string{"sluice/tuning-experiment": "e1"}; return nil })
		check(t, err)
		page, err := s.ListRuns(ctx, ListOptions{Filter: []Predicate{{Key: "labels.sluice/tuning-experiment", Op: OpEquals, Value: "e1"}}})
		check(t, err)
		if len(page.Items) != 2 || page.Items[0].ID != "a" || page.Items[1].ID != "c" || page.Items[0].Labels["sluice/trial"] != "quad-0" {
			t.Fatalf("by label: %+v", page.Items)
		}
		_, err = s.ListRuns(ctx, ListOptions{Filter: []Predicate{{Key: `labels.a"b`, Op: OpEquals, Value: "x"}}})
		wantErr(t, err, ErrInvalid, "label")
	})
}

func TestRunStates(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		check(t, s.CreateRun(ctx, &Run{ID: "a", State: "RUNNING", CreatedAt: at(0)}))
		check(t, s.CreateRun(ctx, &Run{ID: "b", State: "FAILED", Error: "boom", CreatedAt: at(1e9), FinishedAt: at(2e9)}))
		got, err := s.RunStates(ctx, []string{"a", "b", "nope"})
		check(t, err)
		if len(got) != 2 || got["a"].State != "RUNNING" || got["b"].State != "FAILED" || got["b"].Error != "boom" ||
			!got["b"].FinishedAt.Equal(normTime(at(2e9))) || !got["a"].CreatedAt.Equal(normTime(at(0))) {
			t.Fatalf("states %+v", got)
		}
		// More ids than one query takes.
		ids := make([]string, 1201)
		for i := range ids {
			ids[i] = fmt.Sprint("x", i)
		}
		ids[1200] = "b"
		got, err = s.RunStates(ctx, ids)
		check(t, err)
		if len(got) != 1 || got["b"].State != "FAILED" {
			t.Fatalf("states %+v", got)
		}
		got, err = s.RunStates(ctx, nil)
		check(t, err)
		if len(got) != 0 {
			t.Fatalf("no ids: %+v", got)
		}
	})
}

// The tuning service's one-statement writes: a trial as given, and the
// experiment's progress without touching a cancel or the spec.
func TestSaveTrialAndSetTuningStatus(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		e := newTuning("quad")
		check(t, s.CreateTuningExperiment(ctx, e))
		check(t, s.CreateTrials(ctx, e.ID, []*Trial{{Name: "quad-0", Seq: 0, State: "Created"}}))
		tr, err := s.GetTrial(ctx, e.ID, "quad-0")
		check(t, err)
		tr.State, tr.Observation, tr.CompletedAt = "Succeeded", []byte(`{"metrics":[]}`), at(5e9)
		check(t, s.SaveTrial(ctx, tr))
		got, err := s.GetTrial(ctx, e.ID, "quad-0")
		check(t, err)
		if got.State != "Succeeded" || string(got.Observation) != `{"metrics":[]}` || !got.CompletedAt.Equal(normTime(at(5e9))) {
			t.Fatalf("saved %+v", got)
		}
		wantErr(t, s.SaveTrial(ctx, &Trial{ExperimentID: e.ID, Name: "nope"}), ErrNotFound)
		wantErr(t, s.SaveTrial(ctx, &Trial{ExperimentID: e.ID, Name: "quad-0", Curve: []byte("[")}), ErrInvalid, "curve")

		_, err = s.UpdateTuningExperiment(ctx, e.ID, func(x *TuningExperiment) error { x.CancelRequested = true; return nil })
		check(t, err)
		check(t, s.SetTuningStatus(ctx, e.ID, TuningProgress{Condition: "Failed", Status: []byte(`{"trials":1}`), Exhausted: true,
			SuggestionError: "x", CompletedAt: at(6e9)}))
		x, err := s.GetTuningExperiment(ctx, e.ID)
		check(t, err)
		if x.Condition != "Failed" || string(x.Status) != `{"trials":1}` || !x.Exhausted || x.SuggestionError != "x" ||
			!x.CompletedAt.Equal(normTime(at(6e9))) || !x.CancelRequested || len(x.Spec) == 0 {
			t.Fatalf("progress %+v", x)
		}
		wantErr(t, s.SetTuningStatus(ctx, "nope", TuningProgress{Condition: "Running"}), ErrNotFound)
		wantErr(t, s.SetTuningStatus(ctx, e.ID, TuningProgress{Status: []byte("{")}), ErrInvalid)
	})
}
