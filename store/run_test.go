package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/sluicehq/sluice/runstate"
)

func fullRun(expID string) *Run {
	return &Run{
		ExperimentID:      expID,
		DisplayName:       "run",
		Description:       "desc",
		PipelineID:        "p1",
		PipelineVersionID: "pv1",
		Spec:              []byte(`{"root": {"dag": {}}, "schemaVersion": "2.1.0"}`),
		Params:            []byte(`{"lr":0.1,"tags":["a"]}`),
		PipelineRoot:      "s3://b/r",
		ServiceAccount:    "sa",
		NoCache:           true,
		RecurringRunID:    "rr1",
		State:             "RUNNING",
		Error:             "",
		Outputs:           []byte(`{"parameters":{"o":1}}`),
		CreatedAt:         at(0),
		ScheduledAt:       at(-time.Minute),
		StateHistory: []StateChange{
			{State: "PENDING", Time: at(0)},
			{State: "RUNNING", Time: at(time.Second), Error: "none"},
		},
	}
}

func TestRuns(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		e := &Experiment{DisplayName: "e"}
		check(t, s.CreateExperiment(ctx, e))
		r := fullRun(e.ID)
		check(t, s.CreateRun(ctx, r))
		if r.ID == "" || r.StorageState != Available || r.CreatedAt.Nanosecond()%1000 != 0 {
			t.Fatalf("defaults: %+v", r)
		}
		got, err := s.GetRun(ctx, r.ID)
		check(t, err)
		// StateHistory times come back through JSON: compare them apart.
		for i := range got.StateHistory {
			if !got.StateHistory[i].Time.Equal(r.StateHistory[i].Time) {
				t.Fatalf("history time %v, want %v", got.StateHistory[i].Time, r.StateHistory[i].Time)
			}
			got.StateHistory[i].Time = r.StateHistory[i].Time
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("GetRun =\n%+v\nwant\n%+v", got, r)
		}
		wantErr(t, s.CreateRun(ctx, &Run{ID: r.ID}), ErrAlreadyExists)
		wantErr(t, s.CreateRun(ctx, &Run{Spec: []byte("{")}), ErrInvalid, "spec")
		_, err = s.UpdateRun(ctx, r.ID, func(x *Run) error { x.Params = []byte("nope"); return nil })
		wantErr(t, err, ErrInvalid, "params")
		_, err = s.GetRun(ctx, "nope")
		wantErr(t, err, ErrNotFound, `"nope"`)

		// Lists leave the spec out.
		page, err := s.ListRuns(ctx, ListOptions{})
		check(t, err)
		if len(page.Items) != 1 || page.Items[0].Spec != nil || string(page.Items[0].Params) != string(r.Params) {
			t.Fatalf("listed run: %+v", page.Items[0])
		}

		// Update.
		finished := at(time.Hour)
		up, err := s.UpdateRun(ctx, r.ID, func(x *Run) error {
			if x.Spec == nil {
				t.Error("UpdateRun's f sees no spec")
			}
			x.ID = "ignored"
			x.State, x.FinishedAt, x.Error = "FAILED", finished, "boom"
			x.StateHistory = append(x.StateHistory, StateChange{State: "FAILED", Time: finished})
			return nil
		})
		check(t, err)
		if up.ID != r.ID || up.State != "FAILED" {
			t.Fatalf("UpdateRun returned %+v", up)
		}
		got, _ = s.GetRun(ctx, r.ID)
		if got.State != "FAILED" || got.Error != "boom" || !got.FinishedAt.Equal(normTime(finished)) || len(got.StateHistory) != 3 || string(got.Spec) != string(r.Spec) {
			t.Fatalf("after update: %+v", got)
		}

		// An error from f aborts: nothing is written, the error comes back.
		errNo := errors.New("no thanks")
		_, err = s.UpdateRun(ctx, r.ID, func(x *Run) error {
			x.State = "SUCCEEDED"
			return errNo
		})
		if err != errNo {
			t.Fatalf("UpdateRun error %v, want f's", err)
		}
		got, _ = s.GetRun(ctx, r.ID)
		if got.State != "FAILED" {
			t.Fatalf("aborted update was written: %s", got.State)
		}
		_, err = s.UpdateRun(ctx, "nope", func(*Run) error { return nil })
		wantErr(t, err, ErrNotFound)
		_, err = s.UpdateRun(ctx, r.ID, func(x *Run) error { x.ExperimentID = "nope"; return nil })
		wantErr(t, err, ErrNotFound, "nope")

		check(t, s.DeleteRun(ctx, r.ID))
		wantErr(t, s.DeleteRun(ctx, r.ID), ErrNotFound)
	})
}

func TestUpdateRunSerializes(t *testing.T) {
	// Concurrent read-modify-writes of one run lose no update.
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		r := &Run{}
		check(t, s.CreateRun(ctx, r))
		const n = 20
		errs := make(chan error, n)
		for range n {
			go func() {
				_, err := s.UpdateRun(ctx, r.ID, func(x *Run) error {
					x.StateHistory = append(x.StateHistory, StateChange{State: "X"})
					return nil
				})
				errs <- err
			}()
		}
		for range n {
			check(t, <-errs)
		}
		got, _ := s.GetRun(ctx, r.ID)
		if len(got.StateHistory) != n {
			t.Fatalf("%d history entries, want %d", len(got.StateHistory), n)
		}
	})
}

func TestRunsInStateAndActive(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		var want []string
		for i, st := range []runstate.State{"PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELING", "CANCELED", "SKIPPED", "RUNNING"} {
			r := &Run{State: st, RecurringRunID: "rr", CreatedAt: at(time.Duration(i) * time.Second)}
			check(t, s.CreateRun(ctx, r))
			if st == "RUNNING" || st == "CANCELING" {
				want = append(want, r.ID)
			}
		}
		other := &Run{State: "RUNNING", RecurringRunID: "other", CreatedAt: at(time.Hour)}
		check(t, s.CreateRun(ctx, other))
		want = append(want, other.ID)
		got, err := s.RunsInState(ctx, "RUNNING", "CANCELING")
		check(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("RunsInState = %v, want %v (oldest first)", got, want)
		}
		if got, _ := s.RunsInState(ctx); len(got) != 0 {
			t.Fatalf("RunsInState(): %v", got)
		}
		n, err := s.CountActiveRuns(ctx, "rr")
		check(t, err)
		if n != 4 { // PENDING, RUNNING, CANCELING, RUNNING
			t.Fatalf("CountActiveRuns = %d, want 4", n)
		}
		if n, _ := s.CountActiveRuns(ctx, "none"); n != 0 {
			t.Fatalf("CountActiveRuns(none) = %d", n)
		}
	})
}

func TestTasks(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		r := &Run{}
		check(t, s.CreateRun(ctx, r))
		code := 3
		full := &Task{RunID: r.ID, ID: "for-loop-2/0/train", ParentID: "for-loop-2/0", Key: "k", Name: "train",
			Kind: "container", State: "FAILED", Cached: true, Attempts: 2, Image: "python:3.12",
			Argv: []string{"python", "-c", "x"}, ExitCode: &code, Error: "exit 3",
			Inputs: []byte(`{"parameters":{"a":1}}`), Outputs: []byte(`{"artifacts":{}}`), LogURI: "file:///l",
			LogTail: "Traceback (most recent call last):\n\tValueError: é",
			Created: at(time.Second), Started: at(2 * time.Second), Finished: at(3 * time.Second),
			Resources: []byte(`{"cpuSeconds":1.52,"peakMemoryBytes":214958080,"wallSeconds":1.61}`)}
		check(t, s.PutTask(ctx, full))
		// Same creation time as full but put later: after it.
		check(t, s.PutTask(ctx, &Task{RunID: r.ID, ID: "b", Created: at(time.Second)}))
		check(t, s.PutTask(ctx, &Task{RunID: r.ID, ID: "first", Created: at(0)}))
		check(t, s.PutTask(ctx, &Task{RunID: r.ID, ID: "c", Created: at(time.Minute)}))
		ts, err := s.ListTasks(ctx, r.ID)
		check(t, err)
		if order := taskIDs(ts); !reflect.DeepEqual(order, []string{"first", "for-loop-2/0/train", "b", "c"}) {
			t.Fatalf("order %v", order)
		}
		if !reflect.DeepEqual(ts[1], full) {
			t.Fatalf("task =\n%+v\nwant\n%+v", ts[1], full)
		}
		if ts[0].ExitCode != nil || ts[0].Argv != nil || ts[0].Inputs != nil || ts[0].Resources != nil {
			t.Fatalf("empty task: %+v", ts[0])
		}

		// Replacing keeps the task's place.
		check(t, s.PutTask(ctx, &Task{RunID: r.ID, ID: "b", State: "SUCCEEDED", Created: at(time.Second)}))
		ts, _ = s.ListTasks(ctx, r.ID)
		if order := taskIDs(ts); !reflect.DeepEqual(order, []string{"first", "for-loop-2/0/train", "b", "c"}) || ts[2].State != "SUCCEEDED" {
			t.Fatalf("after replace: %v %+v", order, ts[2])
		}

		wantErr(t, s.PutTask(ctx, &Task{RunID: "nope", ID: "a"}), ErrNotFound)
		wantErr(t, s.PutTask(ctx, &Task{RunID: r.ID, ID: "a", Outputs: []byte("{")}), ErrInvalid, "outputs")
		wantErr(t, s.PutTask(ctx, &Task{RunID: r.ID, ID: "a", Resources: []byte("{")}), ErrInvalid, "resources")
		other := &Run{}
		check(t, s.CreateRun(ctx, other))
		check(t, s.PutTask(ctx, &Task{RunID: other.ID, ID: "b"}))

		check(t, s.DeleteTasks(ctx, r.ID))
		if ts, _ := s.ListTasks(ctx, r.ID); len(ts) != 0 {
			t.Fatalf("tasks after DeleteTasks: %d", len(ts))
		}
		if ts, _ := s.ListTasks(ctx, other.ID); len(ts) != 1 {
			t.Fatalf("other run's tasks: %d", len(ts))
		}
		// Deleting a run deletes its tasks.
		check(t, s.DeleteRun(ctx, other.ID))
		if ts, _ := s.ListTasks(ctx, other.ID); len(ts) != 0 {
			t.Fatalf("tasks of a deleted run: %d", len(ts))
		}
	})
}

func taskIDs(ts []*Task) []string {
	var ids []string
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	return ids
}

func TestRecurringRuns(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		e := &Experiment{DisplayName: "e"}
		check(t, s.CreateExperiment(ctx, e))
		rr := &RecurringRun{DisplayName: "nightly", Description: "d", ExperimentID: e.ID, PipelineID: "p",
			PipelineVersionID: "pv", Spec: []byte(`{"a":1}`), Params: []byte(`{"x":2}`), PipelineRoot: "/r",
			ServiceAccount: "sa", MaxConcurrency: 3, Cron: "0 0 9 ? * 2-6", StartTime: at(0), EndTime: at(time.Hour),
			Enabled: true, NoCatchup: true, LastScheduled: at(time.Minute)}
		check(t, s.CreateRecurringRun(ctx, rr))
		if rr.ID == "" || rr.CreatedAt.IsZero() || !rr.UpdatedAt.Equal(rr.CreatedAt) {
			t.Fatalf("defaults: %+v", rr)
		}
		got, err := s.GetRecurringRun(ctx, rr.ID)
		check(t, err)
		if !reflect.DeepEqual(got, rr) {
			t.Fatalf("GetRecurringRun =\n%+v\nwant\n%+v", got, rr)
		}
		wantErr(t, s.CreateRecurringRun(ctx, &RecurringRun{ID: rr.ID}), ErrAlreadyExists)
		wantErr(t, s.CreateRecurringRun(ctx, &RecurringRun{Params: []byte("[")}), ErrInvalid, "params")
		_, err = s.GetRecurringRun(ctx, "nope")
		wantErr(t, err, ErrNotFound)

		up, err := s.UpdateRecurringRun(ctx, rr.ID, func(x *RecurringRun) error {
			x.Enabled, x.LastScheduled = false, at(2*time.Minute)
			return nil
		})
		check(t, err)
		if up.Enabled || !up.LastScheduled.Equal(normTime(at(2*time.Minute))) || !up.UpdatedAt.After(rr.UpdatedAt) {
			t.Fatalf("updated: %+v", up)
		}
		got, _ = s.GetRecurringRun(ctx, rr.ID)
		if !reflect.DeepEqual(got, up) {
			t.Fatalf("stored %+v\nreturned %+v", got, up)
		}
		errNo := errors.New("no")
		if _, err := s.UpdateRecurringRun(ctx, rr.ID, func(x *RecurringRun) error { x.Cron = "x"; return errNo }); err != errNo {
			t.Fatalf("f's error: %v", err)
		}
		if got, _ := s.GetRecurringRun(ctx, rr.ID); got.Cron != rr.Cron {
			t.Fatal("aborted update written")
		}
		_, err = s.UpdateRecurringRun(ctx, "nope", func(*RecurringRun) error { return nil })
		wantErr(t, err, ErrNotFound)

		check(t, s.CreateRecurringRun(ctx, &RecurringRun{DisplayName: "other", IntervalSecond: 60}))
		page, err := s.ListRecurringRuns(ctx, ListOptions{Filter: []Predicate{{Key: "experiment_id", Op: OpEquals, Value: e.ID}}})
		check(t, err)
		if page.TotalSize != 1 || page.Items[0].ID != rr.ID {
			t.Fatalf("by experiment: %+v", page)
		}
		page, err = s.ListRecurringRuns(ctx, ListOptions{SortBy: "name desc"})
		check(t, err)
		if page.TotalSize != 2 || page.Items[0].DisplayName != "other" {
			t.Fatalf("sorted by name desc: %v", page.Items)
		}

		check(t, s.DeleteRecurringRun(ctx, rr.ID))
		wantErr(t, s.DeleteRecurringRun(ctx, rr.ID), ErrNotFound)
	})
}

// sortedIDs returns ids sorted, for set comparisons.
func sortedIDs(ids []string) []string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	return out
}

func TestCreateRuns(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		e := &Experiment{DisplayName: "bulk"}
		check(t, s.CreateExperiment(ctx, e))
		var rs []*Run
		for i := range 50 {
			rs = append(rs, &Run{ExperimentID: e.ID, DisplayName: fmt.Sprintf("r%d", i), CreatedAt: at(time.Duration(i) * time.Second)})
		}
		rs = append(rs, &Run{DisplayName: "no experiment"})
		check(t, s.CreateRuns(ctx, rs))
		page, err := s.ListRuns(ctx, ListOptions{PageSize: 100})
		check(t, err)
		if page.TotalSize != 51 {
			t.Fatalf("%d runs", page.TotalSize)
		}
		got, err := s.GetExperiment(ctx, e.ID)
		check(t, err)
		if !got.LastRunCreatedAt.Equal(normTime(at(49 * time.Second))) {
			t.Fatalf("last run created at %v", got.LastRunCreatedAt)
		}
		// All or nothing: a duplicate id fails the lot.
		dup := []*Run{{DisplayName: "new"}, {ID: rs[0].ID}}
		wantErr(t, s.CreateRuns(ctx, dup), ErrAlreadyExists)
		if page, _ := s.ListRuns(ctx, ListOptions{}); page.TotalSize != 51 {
			t.Fatalf("%d runs after a failed CreateRuns", page.TotalSize)
		}
	})
}
