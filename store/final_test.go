package store

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/runstate"
)

// A terminal task record is never rewritten, one put at a time or in a
// batch; a run's end is final except for a retry, which deletes the
// records of the tasks that did not succeed.
func TestFinalRecordsAreNeverRewritten(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		r := &Run{State: runstate.Running}
		check(t, s.CreateRun(ctx, r))
		code := 0
		done := &Task{RunID: r.ID, ID: "a", Key: "a", Name: "a", Kind: "container", State: runstate.Succeeded, Attempts: 2,
			Argv: []string{"sh", "-c", "x"}, ExitCode: &code, LogURI: "/l/a", Outputs: []byte(`{"parameters":{"x":1}}`),
			Created: at(time.Second), Started: at(2 * time.Second), Finished: at(3 * time.Second)}
		failed := &Task{RunID: r.ID, ID: "b", Kind: "container", State: runstate.Failed, Error: "exit 1",
			Created: at(time.Second), Started: at(2 * time.Second), Finished: at(3 * time.Second)}
		check(t, s.PutTask(ctx, done))
		check(t, s.PutTask(ctx, failed))
		before, err := s.ListTasks(ctx, r.ID)
		check(t, err)

		// What a restarted engine writes of a task it resumes.
		rewrite := func(id string, st runstate.State) *Task {
			return &Task{RunID: r.ID, ID: id, Key: id, Name: id, Kind: "container", State: st, Started: at(time.Hour), Finished: at(time.Hour)}
		}
		check(t, s.PutTask(ctx, rewrite("a", runstate.Pending)))
		check(t, s.PutTask(ctx, rewrite("b", runstate.Running)))
		var wg sync.WaitGroup // concurrent puts are written as one batch
		for _, id := range []string{"a", "b", "c", "a", "b"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				check(t, s.PutTask(ctx, rewrite(id, runstate.Succeeded)))
			}()
		}
		wg.Wait()
		after, err := s.ListTasks(ctx, r.ID)
		check(t, err)
		if len(after) != 3 || !reflect.DeepEqual(after[:2], before) {
			t.Fatalf("terminal records rewritten:\nbefore %+v\nafter  %+v", before, after)
		}

		// Before a run resumes, the records of its tasks that did not
		// succeed (a step a graceful stop recorded CANCELED) make way.
		r2 := &Run{State: runstate.Running}
		check(t, s.CreateRun(ctx, r2))
		check(t, s.PutTask(ctx, &Task{RunID: r2.ID, ID: "ok", State: runstate.Succeeded}))
		check(t, s.PutTask(ctx, &Task{RunID: r2.ID, ID: "stopped", State: runstate.Canceled}))
		check(t, s.ResetTasks(ctx, r2.ID))
		if ts, err := s.ListTasks(ctx, r2.ID); err != nil || len(ts) != 1 || ts[0].ID != "ok" {
			t.Fatalf("after ResetTasks: %v %v", ts, err)
		}

		// A run's end is final.
		_, err = s.UpdateRun(ctx, r.ID, func(x *Run) error {
			x.State, x.FinishedAt, x.Outputs = runstate.Failed, at(time.Minute), []byte(`{"parameters":{}}`)
			return nil
		})
		check(t, err)
		for name, f := range map[string]func(x *Run){
			"state":   func(x *Run) { x.State = runstate.Succeeded },
			"running": func(x *Run) { x.State = runstate.Running },
			"end":     func(x *Run) { x.FinishedAt = at(time.Hour) },
			"error":   func(x *Run) { x.Error = "other" },
			"outputs": func(x *Run) { x.Outputs = []byte(`{}`) },
		} {
			_, err := s.UpdateRun(ctx, r.ID, func(x *Run) error { f(x); return nil })
			if !errors.Is(err, ErrConflict) {
				t.Errorf("rewriting the %s of an ended run: %v, want ErrConflict", name, err)
			}
		}
		// Other fields may change.
		_, err = s.UpdateRun(ctx, r.ID, func(x *Run) error { x.StorageState = Archived; return nil })
		check(t, err)
		// A retry: the tasks that did not succeed go, the others stay.
		_, err = s.UpdateRun(ctx, r.ID, func(x *Run) error {
			x.State, x.FinishedAt, x.Error = runstate.Pending, time.Time{}, ""
			return nil
		})
		check(t, err)
		after, err = s.ListTasks(ctx, r.ID)
		check(t, err)
		if len(after) != 2 || !reflect.DeepEqual(after[0], before[0]) || after[1].ID != "c" {
			t.Fatalf("after a retry: %+v", after)
		}
	})
}
