package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/store"
)

// recorder is the only code that writes the state of runs and tasks to the
// store: every transition of a run (submitted, started, canceling, ended,
// retried) and, as the engine's Recorder, of its tasks.
type recorder struct {
	st      store.Store
	metrics Metrics
	now     func() time.Time

	mu      sync.Mutex
	changed chan struct{} // closed and replaced when a run ends
}

func newRecorder(st store.Store, m Metrics, now func() time.Time) *recorder {
	return &recorder{st: st, metrics: m, now: now, changed: make(chan struct{})}
}

// ended returns a channel closed when a run next ends.
func (rc *recorder) ended() <-chan struct{} {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.changed
}

func (rc *recorder) notifyEnd() {
	rc.mu.Lock()
	close(rc.changed)
	rc.changed = make(chan struct{})
	rc.mu.Unlock()
}

// transition sets a run's state and appends it to its history.
func transition(r *store.Run, to runstate.State, at time.Time, msg string) {
	r.State = to
	r.StateHistory = append(r.StateHistory, store.StateChange{State: to, Time: at, Error: msg})
}

// submit stores a new run as PENDING.
func (rc *recorder) submit(ctx context.Context, r *store.Run) error {
	now := rc.now()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.ScheduledAt.IsZero() {
		r.ScheduledAt = r.CreatedAt
	}
	if r.StorageState == "" {
		r.StorageState = store.Available
	}
	transition(r, runstate.Pending, now, "")
	return rc.st.CreateRun(ctx, r)
}

// errCanceledBeforeStart says a run was canceled before its steps started:
// start has recorded its end.
var errCanceledBeforeStart = errors.New("the run was canceled before it started")

// start moves a PENDING run to RUNNING (a resumed run is RUNNING already).
// A run canceled while it was being picked up (or before a crash) is
// CANCELING with nothing executing it: start ends it CANCELED and returns
// errCanceledBeforeStart.
func (rc *recorder) start(ctx context.Context, id string) error {
	canceled := false
	_, err := rc.st.UpdateRun(ctx, id, func(r *store.Run) error {
		switch r.State {
		case runstate.Pending:
			transition(r, runstate.Running, rc.now(), "")
		case runstate.Running:
		case runstate.Canceling:
			r.FinishedAt = rc.now()
			transition(r, runstate.Canceled, r.FinishedAt, "")
			canceled = true
		default:
			return fmt.Errorf("run is %s", r.State)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if canceled {
		rc.notifyEnd()
		if rc.metrics != nil {
			rc.metrics.RunEnded(runstate.Canceled)
		}
		return errCanceledBeforeStart
	}
	return nil
}

// terminate moves a run that has not ended to CANCELING when executing()
// says it executes (its end is recorded when its steps have stopped), else
// to CANCELED.
func (rc *recorder) terminate(ctx context.Context, id string, executing func() bool) error {
	ended := false
	_, err := rc.st.UpdateRun(ctx, id, func(r *store.Run) error {
		if r.State.Terminal() {
			return fmt.Errorf("run %s is already %s: %w", id, r.State, store.ErrConflict)
		}
		if executing() {
			transition(r, runstate.Canceling, rc.now(), "")
			return nil
		}
		r.FinishedAt = rc.now()
		transition(r, runstate.Canceled, r.FinishedAt, "")
		ended = true
		return nil
	})
	if err == nil && ended {
		rc.notifyEnd()
	}
	return err
}

// retry moves a FAILED or CANCELED run back to PENDING.
func (rc *recorder) retry(ctx context.Context, id string) error {
	_, err := rc.st.UpdateRun(ctx, id, func(r *store.Run) error {
		switch r.State {
		case runstate.Failed, runstate.Canceled:
		default:
			return fmt.Errorf("run %s is %s: only FAILED or CANCELED runs can be retried: %w", id, r.State, store.ErrConflict)
		}
		r.Error, r.FinishedAt = "", time.Time{}
		transition(r, runstate.Pending, rc.now(), "")
		return nil
	})
	return err
}

// end records how a run ended: a run being canceled ends CANCELED unless
// it failed.
func (rc *recorder) end(ctx context.Context, id string, state runstate.State, msg string, outputs *plan.Outputs) error {
	var out []byte
	if outputs != nil {
		b, err := json.Marshal(outputs)
		if err != nil {
			return fmt.Errorf("encode the outputs of run %s: %w", id, err)
		}
		out = b
	}
	_, err := rc.st.UpdateRun(ctx, id, func(r *store.Run) error {
		if r.State == runstate.Canceling && state != runstate.Failed {
			state = runstate.Canceled
		}
		r.Error, r.FinishedAt = msg, rc.now()
		if out != nil {
			r.Outputs = out
		}
		transition(r, state, r.FinishedAt, msg)
		return nil
	})
	if err != nil {
		return err
	}
	rc.notifyEnd()
	if rc.metrics != nil {
		rc.metrics.RunEnded(state)
	}
	return nil
}

// outputs returns the outputs of the run's tasks that succeeded, by task
// id; steps only (container and importer tasks) when steps is set.
func (rc *recorder) outputs(ctx context.Context, id string, steps bool) (map[string]*plan.Outputs, error) {
	tasks, err := rc.st.ListTasks(ctx, id)
	if err != nil {
		return nil, err
	}
	out := map[string]*plan.Outputs{}
	for _, t := range tasks {
		if t.State != runstate.Succeeded || len(t.Outputs) == 0 {
			continue
		}
		if steps && t.Kind != engine.KindContainer && t.Kind != engine.KindImporter {
			continue
		}
		var o plan.Outputs
		if err := json.Unmarshal(t.Outputs, &o); err != nil {
			continue // a resumed run runs it again
		}
		out[t.ID] = &o
	}
	return out, nil
}

// tasks is the engine's Recorder of one run's tasks.
func (rc *recorder) tasks(runID string) engine.Recorder {
	return engine.RecorderFunc(func(ctx context.Context, t engine.Task) error {
		row, err := taskRow(runID, t)
		if err != nil {
			return err
		}
		if err := rc.st.PutTask(ctx, row); err != nil {
			return err
		}
		if rc.metrics != nil && t.State.Terminal() {
			rc.metrics.TaskEnded(t)
		}
		return nil
	})
}

// taskRow is the store's row of an engine task record.
func taskRow(runID string, t engine.Task) (*store.Task, error) {
	row := &store.Task{
		RunID: runID, ID: t.ID, ParentID: t.ParentID, Key: t.Key, Name: t.Name, Kind: t.Kind,
		State: t.State, Cached: t.Cached, Attempts: t.Attempts, Image: t.Image, Argv: t.Argv,
		ExitCode: t.ExitCode, Error: t.Error, LogURI: t.LogURI, LogTail: t.LogTail, Started: t.Started, Finished: t.Finished,
	}
	var err error
	if t.Inputs != nil {
		if row.Inputs, err = json.Marshal(t.Inputs); err != nil {
			return nil, fmt.Errorf("encode the inputs of task %s: %w", t.ID, err)
		}
	}
	if t.Outputs != nil {
		if row.Outputs, err = json.Marshal(t.Outputs); err != nil {
			return nil, fmt.Errorf("encode the outputs of task %s: %w", t.ID, err)
		}
	}
	if t.Resources != nil {
		if row.Resources, err = json.Marshal(t.Resources); err != nil {
			return nil, fmt.Errorf("encode the resources of task %s: %w", t.ID, err)
		}
	}
	return row, nil
}

// runParams reads a stored run's parameters.
func runParams(r *store.Run) (map[string]any, error) {
	params := map[string]any{}
	if len(r.Params) > 0 {
		if err := json.Unmarshal(r.Params, &params); err != nil {
			return nil, err
		}
	}
	return params, nil
}
