package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestExperiments(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		e := &Experiment{DisplayName: "exp", Description: "d", Namespace: "ns"}
		check(t, s.CreateExperiment(ctx, e))
		if e.ID == "" || e.StorageState != Available || e.CreatedAt.IsZero() || !e.LastRunCreatedAt.IsZero() {
			t.Fatalf("defaults not filled: %+v", e)
		}
		got, err := s.GetExperiment(ctx, e.ID)
		check(t, err)
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("GetExperiment = %+v, want %+v", got, e)
		}
		got, err = s.GetExperimentByName(ctx, "ns", "exp")
		check(t, err)
		if got.ID != e.ID {
			t.Fatalf("by name: %+v", got)
		}
		_, err = s.GetExperimentByName(ctx, "", "exp")
		wantErr(t, err, ErrNotFound)
		_, err = s.GetExperiment(ctx, "nope")
		wantErr(t, err, ErrNotFound, `"nope"`)

		wantErr(t, s.CreateExperiment(ctx, &Experiment{DisplayName: "exp", Namespace: "ns"}), ErrAlreadyExists)
		check(t, s.CreateExperiment(ctx, &Experiment{DisplayName: "exp"}))
		wantErr(t, s.CreateExperiment(ctx, &Experiment{ID: e.ID, DisplayName: "x"}), ErrAlreadyExists)

		// A run bumps LastRunCreatedAt, never backwards.
		r1 := &Run{ExperimentID: e.ID, CreatedAt: at(time.Hour)}
		check(t, s.CreateRun(ctx, r1))
		check(t, s.CreateRun(ctx, &Run{ExperimentID: e.ID, CreatedAt: at(time.Minute)}))
		got, _ = s.GetExperiment(ctx, e.ID)
		if !got.LastRunCreatedAt.Equal(r1.CreatedAt) {
			t.Fatalf("LastRunCreatedAt %v, want %v", got.LastRunCreatedAt, r1.CreatedAt)
		}
		wantErr(t, s.CreateRun(ctx, &Run{ExperimentID: "nope"}), ErrNotFound, "nope")

		check(t, s.DeleteExperiment(ctx, e.ID))
		wantErr(t, s.DeleteExperiment(ctx, e.ID), ErrNotFound)
	})
}

func TestExperimentArchiveCascades(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		e := &Experiment{DisplayName: "e"}
		other := &Experiment{DisplayName: "other"}
		check(t, s.CreateExperiment(ctx, e))
		check(t, s.CreateExperiment(ctx, other))
		run := &Run{ExperimentID: e.ID}
		otherRun := &Run{ExperimentID: other.ID}
		check(t, s.CreateRun(ctx, run))
		check(t, s.CreateRun(ctx, otherRun))
		rr := &RecurringRun{ExperimentID: e.ID, Enabled: true, Cron: "0 * * * * *", UpdatedAt: at(0)}
		otherRR := &RecurringRun{ExperimentID: other.ID, Enabled: true, IntervalSecond: 60}
		check(t, s.CreateRecurringRun(ctx, rr))
		check(t, s.CreateRecurringRun(ctx, otherRR))

		wantErr(t, s.SetExperimentStorageState(ctx, e.ID, "GONE"), ErrInvalid, "GONE")
		wantErr(t, s.SetExperimentStorageState(ctx, "nope", Archived), ErrNotFound)
		check(t, s.SetExperimentStorageState(ctx, e.ID, Archived))

		ge, _ := s.GetExperiment(ctx, e.ID)
		gr, _ := s.GetRun(ctx, run.ID)
		grr, _ := s.GetRecurringRun(ctx, rr.ID)
		if ge.StorageState != Archived || gr.StorageState != Archived || grr.Enabled {
			t.Fatalf("archive: experiment %s, run %s, recurring run enabled %v", ge.StorageState, gr.StorageState, grr.Enabled)
		}
		if !grr.UpdatedAt.After(rr.UpdatedAt) {
			t.Fatalf("disabled recurring run's UpdatedAt not bumped: %v", grr.UpdatedAt)
		}
		// Other experiments' runs are untouched.
		gr, _ = s.GetRun(ctx, otherRun.ID)
		grr, _ = s.GetRecurringRun(ctx, otherRR.ID)
		if gr.StorageState != Available || !grr.Enabled {
			t.Fatalf("other experiment touched: run %s, enabled %v", gr.StorageState, grr.Enabled)
		}

		// Unarchiving restores the experiment only, as in KFP.
		check(t, s.SetExperimentStorageState(ctx, e.ID, Available))
		ge, _ = s.GetExperiment(ctx, e.ID)
		gr, _ = s.GetRun(ctx, run.ID)
		grr, _ = s.GetRecurringRun(ctx, rr.ID)
		if ge.StorageState != Available || gr.StorageState != Archived || grr.Enabled {
			t.Fatalf("unarchive: experiment %s, run %s, enabled %v", ge.StorageState, gr.StorageState, grr.Enabled)
		}
	})
}

func TestExperimentDeleteCascades(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		e := &Experiment{DisplayName: "e"}
		other := &Experiment{DisplayName: "other"}
		check(t, s.CreateExperiment(ctx, e))
		check(t, s.CreateExperiment(ctx, other))
		run := &Run{ExperimentID: e.ID}
		otherRun := &Run{ExperimentID: other.ID}
		check(t, s.CreateRun(ctx, run))
		check(t, s.CreateRun(ctx, otherRun))
		check(t, s.PutTask(ctx, &Task{RunID: run.ID, ID: "a"}))
		check(t, s.PutTask(ctx, &Task{RunID: otherRun.ID, ID: "a"}))
		rr := &RecurringRun{ExperimentID: e.ID}
		check(t, s.CreateRecurringRun(ctx, rr))
		wantErr(t, s.CreateRecurringRun(ctx, &RecurringRun{ExperimentID: "nope"}), ErrNotFound, "nope")

		check(t, s.DeleteExperiment(ctx, e.ID))
		_, err := s.GetRun(ctx, run.ID)
		wantErr(t, err, ErrNotFound)
		_, err = s.GetRecurringRun(ctx, rr.ID)
		wantErr(t, err, ErrNotFound)
		ts, err := s.ListTasks(ctx, run.ID)
		check(t, err)
		if len(ts) != 0 {
			t.Fatalf("tasks of a deleted run remain: %d", len(ts))
		}
		if _, err := s.GetRun(ctx, otherRun.ID); err != nil {
			t.Fatalf("other experiment's run: %v", err)
		}
		if ts, _ := s.ListTasks(ctx, otherRun.ID); len(ts) != 1 {
			t.Fatalf("other run's tasks: %d", len(ts))
		}
	})
}
