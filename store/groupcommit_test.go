package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/runstate"
)

// queueBatch puts the tasks from one goroutine each, in order, while the
// batcher is paused, then lets one leader write them as one batch. It
// returns each put's error, in the order of ts.
func queueBatch(t *testing.T, s *sqlStore, ts []*Task) []error {
	t.Helper()
	b := &s.tasks
	b.pause = make(chan struct{})
	defer func() { b.pause = nil }()
	errs := make([]error, len(ts))
	var wg sync.WaitGroup
	for i, task := range ts {
		wg.Go(func() { errs[i] = s.PutTask(context.Background(), task) })
		// Each put queued before the next starts: the queue is in ts's order.
		deadline := time.Now().Add(10 * time.Second)
		for {
			b.mu.Lock()
			n := len(b.queue)
			b.mu.Unlock()
			if n == i+1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d puts queued", n, i+1)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	close(b.pause)
	wg.Wait()
	return errs
}

func TestPutTaskGroupCommit(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		var runs []*Run
		for range 3 {
			r := &Run{State: "RUNNING"}
			check(t, s.CreateRun(ctx, r))
			runs = append(runs, r)
		}
		// One batch: 30 tasks over three runs, one of them put twice (the
		// later put wins), and one into a run that does not exist.
		var ts []*Task
		for i := range 30 {
			ts = append(ts, &Task{RunID: runs[i%3].ID, ID: fmt.Sprintf("t%02d", i), State: "RUNNING", Attempts: 1})
		}
		ts[0].Created = at(time.Hour)
		ts = append(ts, &Task{RunID: "no-such-run", ID: "lost"})
		ts = append(ts, &Task{RunID: runs[0].ID, ID: "t00", State: "RUNNING", Attempts: 1, Error: "second", LogTail: "last\nlines",
			Resources: []byte(`{"cpuSeconds":1.5,"peakMemoryBytes":2048,"wallSeconds":2}`)})
		errs := queueBatch(t, s.(*sqlStore), ts)
		for i, err := range errs {
			if ts[i].ID == "lost" {
				wantErr(t, err, ErrNotFound, "no-such-run")
				continue
			}
			check(t, err)
		}
		got, err := s.ListTasks(ctx, runs[0].ID)
		check(t, err)
		if got[0].ID != "t00" || got[0].Error != "second" || got[0].LogTail != "last\nlines" || !got[0].Created.Equal(normTime(at(time.Hour))) ||
			string(got[0].Resources) != `{"cpuSeconds":1.5,"peakMemoryBytes":2048,"wallSeconds":2}` || got[1].Resources != nil {
			t.Fatalf("task put twice in a batch: %+v", got[0])
		}
		for k, r := range runs {
			got, err := s.ListTasks(ctx, r.ID)
			check(t, err)
			if len(got) != 10 {
				t.Fatalf("run %d: %d tasks, want 10", k, len(got))
			}
			for _, task := range got {
				if task.State != "RUNNING" || task.Attempts != 1 {
					t.Fatalf("task %+v", task)
				}
			}
		}

		// Many writers at once, without pausing: every put is committed
		// when it returns (as each writer checks), and puts of one task
		// from one writer keep their order.
		var wg sync.WaitGroup
		fails := make(chan error, 8)
		for w := range 8 {
			wg.Go(func() {
				for i := range 20 {
					id := fmt.Sprintf("w%d-%d", w, i)
					r := runs[(w+i)%3]
					for _, state := range []runstate.State{"PENDING", "RUNNING", "SUCCEEDED"} {
						if err := s.PutTask(ctx, &Task{RunID: r.ID, ID: id, State: state}); err != nil {
							fails <- err
							return
						}
					}
					got, err := s.ListTaskSummaries(ctx, r.ID)
					if err != nil {
						fails <- err
						return
					}
					found := false
					for _, task := range got {
						if task.ID == id {
							found = task.State == "SUCCEEDED"
						}
					}
					if !found {
						fails <- fmt.Errorf("task %s not SUCCEEDED after its put returned", id)
						return
					}
				}
			})
		}
		wg.Wait()
		close(fails)
		for err := range fails {
			t.Fatal(err)
		}
	})
}

// An error in a batch's transaction fails every put of the batch, and
// none of its rows is kept.
func TestPutTaskBatchErrorFailsAll(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		st := s.(*sqlStore)
		r := &Run{}
		check(t, s.CreateRun(ctx, r))
		poison := []string{
			`CREATE TRIGGER poison BEFORE INSERT ON tasks WHEN NEW.id = 'poison'
			 BEGIN SELECT RAISE(ABORT, 'poisoned task'); END`,
		}
		if st.d.pg {
			poison = []string{
				`CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
				 BEGIN IF NEW.id = 'poison' THEN RAISE EXCEPTION 'poisoned task'; END IF; RETURN NEW; END $$`,
				`CREATE TRIGGER poison BEFORE INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION poison()`,
			}
		}
		for _, q := range poison {
			_, err := st.db.ExecContext(ctx, q)
			check(t, err)
		}
		var ts []*Task
		for i := range 10 {
			ts = append(ts, &Task{RunID: r.ID, ID: fmt.Sprintf("t%d", i)})
		}
		ts = append(ts[:5], append([]*Task{{RunID: r.ID, ID: "poison"}}, ts[5:]...)...)
		for i, err := range queueBatch(t, st, ts) {
			if err == nil {
				t.Fatalf("put %d (%s) succeeded in a failed batch", i, ts[i].ID)
			}
			if want := "poisoned task"; !containsAll(err.Error(), want, ts[i].ID) {
				t.Fatalf("put %s: error %q does not name %q and the task", ts[i].ID, err, want)
			}
		}
		got, err := s.ListTasks(ctx, r.ID)
		check(t, err)
		if len(got) != 0 {
			t.Fatalf("%d rows kept from a failed batch", len(got))
		}
		// A put alone is one statement: its error is its own.
		wantErr(t, s.PutTask(ctx, &Task{RunID: "no-such-run", ID: "x"}), ErrNotFound)
		check(t, s.PutTask(ctx, &Task{RunID: r.ID, ID: "fine"}))
		if err := s.PutTask(ctx, &Task{RunID: r.ID, ID: "poison"}); err == nil {
			t.Fatal("poison put alone succeeded")
		}
	})
}

func containsAll(s string, words ...string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// A task replaced without a creation time keeps its own; the summaries
// are the tasks without their heavy fields.
func TestTaskCreatedKeptAndSummaries(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		r := &Run{}
		check(t, s.CreateRun(ctx, r))
		check(t, s.PutTask(ctx, &Task{RunID: r.ID, ID: "a", State: "PENDING"}))
		check(t, s.PutTask(ctx, &Task{RunID: r.ID, ID: "b", State: "PENDING"}))
		first, err := s.ListTasks(ctx, r.ID)
		check(t, err)
		time.Sleep(2 * time.Millisecond)
		code := 0
		full := &Task{RunID: r.ID, ID: "a", ParentID: "p", Key: "k", Name: "n", Kind: "container", State: "SUCCEEDED",
			Attempts: 1, Image: "img", Argv: []string{"sh"}, ExitCode: &code, Error: "e",
			Inputs: []byte(`{"parameters":{}}`), Outputs: []byte(`{"parameters":{"x":1}}`), LogURI: "/l", LogTail: "tail",
			Started: at(time.Second), Finished: at(2 * time.Second)}
		check(t, s.PutTask(ctx, full))
		got, err := s.ListTasks(ctx, r.ID)
		check(t, err)
		if order := taskIDs(got); !reflect.DeepEqual(order, []string{"a", "b"}) || !got[0].Created.Equal(first[0].Created) {
			t.Fatalf("after replace: %v, created %v, was %v", order, got[0].Created, first[0].Created)
		}
		sums, err := s.ListTaskSummaries(ctx, r.ID)
		check(t, err)
		want := *got[0]
		want.Image, want.Argv, want.Inputs, want.Outputs, want.LogURI, want.LogTail = "", nil, nil, nil, "", ""
		if len(sums) != 2 || !reflect.DeepEqual(*sums[0], want) {
			t.Fatalf("summary\n%+v\nwant\n%+v", sums[0], want)
		}
		one, err := s.GetTask(ctx, r.ID, "a")
		check(t, err)
		if !reflect.DeepEqual(one, got[0]) {
			t.Fatalf("GetTask\n%+v\nwant\n%+v", one, got[0])
		}
		if _, err := s.GetTask(ctx, r.ID, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetTask of a missing task: %v", err)
		}
	})
}
