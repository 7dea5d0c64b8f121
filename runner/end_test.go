package runner_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/store"
)

// failingEnds is a real store whose first n writes of a run's end fail, as
// on a full disk or with the database down.
type failingEnds struct {
	store.Store
	mu    sync.Mutex
	left  int
	tries int
}

func (f *failingEnds) UpdateRun(ctx context.Context, id string, fn func(*store.Run) error) (*store.Run, error) {
	r, err := f.Store.GetRun(ctx, id)
	if err == nil {
		probe := *r
		if fn(&probe) == nil && probe.State.Terminal() {
			f.mu.Lock()
			f.tries++
			fail := f.left > 0
			if fail {
				f.left--
			}
			f.mu.Unlock()
			if fail {
				return nil, errors.New("disk I/O error: database or disk is full")
			}
		}
	}
	return f.Store.UpdateRun(ctx, id, fn)
}

// A run's end that cannot be written is written again until it lands: the
// run ends SUCCEEDED, its step ran once, StoreError reports the failure
// meanwhile and nothing once the write landed; a restarted service does
// not run it again.
func TestRunEndRetriedUntilRecorded(t *testing.T) {
	fe := &failingEnds{left: 4}
	svc, st := newStoppedService(t, func(s store.Store) store.Store { fe.Store = s; return fe })
	marker := filepath.Join(t.TempDir(), "ran")
	r := &store.Run{DisplayName: "touch", Spec: touch(t, "echo x >> "+marker)}
	if err := svc.Submit(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	sawFailing := false
	deadline := time.Now().Add(time.Minute)
	for {
		if time.Now().After(deadline) {
			t.Fatal("the run's end was never recorded")
		}
		if err := svc.StoreError(); err != nil {
			sawFailing = strings.Contains(err.Error(), "disk is full")
		}
		got, err := st.GetRun(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State.Terminal() {
			if got.State != runstate.Succeeded {
				t.Fatalf("run %s %q", got.State, got.Error)
			}
			break
		}
	}
	if !sawFailing {
		t.Error("StoreError never reported the failing writes")
	}
	if err := svc.StoreError(); err != nil {
		t.Errorf("StoreError after the write landed: %v", err)
	}
	if fe.tries != 5 {
		t.Errorf("%d tries of the end, want 5", fe.tries)
	}
	svc.Stop()
	// A new service on the same store: nothing to resume.
	again := newStoppedServiceOn(t, st)
	if err := again.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	again.Stop()
	if b, _ := os.ReadFile(marker); string(b) != "x\n" {
		t.Fatalf("the step ran %d times", strings.Count(string(b), "x"))
	}
}
