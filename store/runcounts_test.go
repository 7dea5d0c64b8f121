package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// The run counts the triggers keep give the same totals as counting rows,
// through every way runs are created, moved and deleted.
func TestRunCountsTotals(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		st := s.(*sqlStore)
		e1, e2, e3 := &Experiment{DisplayName: "e1"}, &Experiment{DisplayName: "e2"}, &Experiment{DisplayName: "e3"}
		for _, e := range []*Experiment{e1, e2, e3} {
			check(t, s.CreateExperiment(ctx, e))
		}
		var ids []string
		for i := range 12 {
			r := &Run{ExperimentID: []string{e1.ID, e2.ID, e3.ID, ""}[i%4], State: "PENDING"}
			check(t, s.CreateRun(ctx, r))
			ids = append(ids, r.ID)
		}
		var bulk []*Run
		for range 5 {
			bulk = append(bulk, &Run{ExperimentID: e2.ID})
		}
		check(t, s.CreateRuns(ctx, bulk))
		// Archive one, move one to another experiment, change states (not
		// counted), delete one, archive and delete whole experiments.
		_, err := s.UpdateRun(ctx, ids[0], func(r *Run) error { r.StorageState = Archived; return nil })
		check(t, err)
		_, err = s.UpdateRun(ctx, ids[1], func(r *Run) error { r.ExperimentID = e1.ID; r.State = "RUNNING"; return nil })
		check(t, err)
		_, err = s.UpdateRun(ctx, ids[2], func(r *Run) error { r.State = "SUCCEEDED"; return nil })
		check(t, err)
		check(t, s.DeleteRun(ctx, ids[3]))
		check(t, s.SetExperimentStorageState(ctx, e2.ID, Archived))

		assertTotals := func(when string) {
			t.Helper()
			for _, f := range [][]Predicate{
				nil,
				{{Key: "experiment_id", Op: OpEquals, Value: e1.ID}},
				{{Key: "experiment_id", Op: OpEquals, Value: e2.ID}},
				{{Key: "storage_state", Op: OpEquals, Value: Archived}},
				{{Key: "storage_state", Op: OpNotEquals, Value: Archived}},
				{{Key: "experiment_id", Op: OpIn, Value: []string{e1.ID, e3.ID}}, {Key: "storage_state", Op: OpEquals, Value: Available}},
				{{Key: "namespace", Op: OpEquals, Value: ""}},
				{{Key: "state", Op: OpEquals, Value: "PENDING"}}, // not countable: counted rows
			} {
				page, err := s.ListRuns(ctx, ListOptions{Filter: f, PageSize: 200})
				check(t, err)
				if page.TotalSize != len(page.Items) {
					t.Fatalf("%s: filter %v: total %d, %d runs listed", when, f, page.TotalSize, len(page.Items))
				}
			}
		}
		assertTotals("after the changes")
		check(t, s.SetExperimentStorageState(ctx, e2.ID, Available))
		check(t, s.DeleteExperiment(ctx, e3.ID))
		assertTotals("after unarchive and delete")
		var n int
		check(t, st.queryRow(ctx, st.db, `SELECT COUNT(*) FROM runs`).Scan(&n))
		if n != 12+5-1-3 {
			t.Fatalf("%d runs", n)
		}
	})
}

// Runs archived and unarchived at once (moves between two counts in
// opposite directions) all succeed: the counts are locked in one order.
func TestRunCountsConcurrentMoves(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		e := &Experiment{DisplayName: "busy"}
		check(t, s.CreateExperiment(ctx, e))
		var ids []string
		for i := range 8 {
			r := &Run{ExperimentID: e.ID}
			if i%2 == 1 {
				r.StorageState = Archived
			}
			check(t, s.CreateRun(ctx, r))
			ids = append(ids, r.ID)
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(ids))
		for _, id := range ids {
			wg.Go(func() {
				for range 15 {
					_, err := s.UpdateRun(ctx, id, func(r *Run) error {
						r.StorageState = map[string]string{Available: Archived, Archived: Available}[r.StorageState]
						return nil
					})
					if err != nil {
						errs <- fmt.Errorf("run %s: %w", id, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for _, state := range []string{Available, Archived} {
			page, err := s.ListRuns(ctx, ListOptions{Filter: []Predicate{{Key: "storage_state", Op: OpEquals, Value: state}}})
			check(t, err)
			if page.TotalSize != 4 || len(page.Items) != 4 {
				t.Fatalf("%s: total %d, %d listed", state, page.TotalSize, len(page.Items))
			}
		}
	})
}
