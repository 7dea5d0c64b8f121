package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sluicehq/sluice/runstate"
)

// runListCols are the columns ListRuns reads: all but the spec.
const runListCols = `id, experiment_id, display_name, description, storage_state, pipeline_id, pipeline_version_id,
	params, pipeline_root, service_account, no_cache, recurring_run_id, state, error, outputs,
	created_at, scheduled_at, finished_at, state_history, labels`

const runCols = runListCols + `, spec`

const (
	insertRun = `INSERT INTO runs (` + runCols + `) VALUES
		(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	updateRun = `UPDATE runs SET experiment_id = ?, display_name = ?, description = ?, storage_state = ?,
		pipeline_id = ?, pipeline_version_id = ?, params = ?, pipeline_root = ?, service_account = ?,
		no_cache = ?, recurring_run_id = ?, state = ?, error = ?, outputs = ?, created_at = ?,
		scheduled_at = ?, finished_at = ?, state_history = ?, labels = ?, spec = ? WHERE id = ?`
	// countActiveRuns counts the runs of a recurring run not in a final state.
	countActiveRuns = `SELECT COUNT(*) FROM runs WHERE recurring_run_id = ?
		AND state NOT IN ('SUCCEEDED', 'SKIPPED', 'FAILED', 'CANCELED')`
)

// scanRun reads runListCols, and the spec too when withSpec.
func scanRun(r rowScanner, withSpec bool) (*Run, error) {
	var x Run
	dest := []any{&x.ID, &x.ExperimentID, &x.DisplayName, &x.Description, &x.StorageState, &x.PipelineID,
		&x.PipelineVersionID, jsonCol{&x.Params}, &x.PipelineRoot, &x.ServiceAccount, &x.NoCache,
		&x.RecurringRunID, &x.State, &x.Error, jsonCol{&x.Outputs},
		timeCol{&x.CreatedAt}, timeCol{&x.ScheduledAt}, timeCol{&x.FinishedAt},
		decodeCol[[]StateChange]{&x.StateHistory}, decodeCol[map[string]string]{&x.Labels}}
	if withSpec {
		dest = append(dest, jsonCol{&x.Spec})
	}
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	return &x, nil
}

var runLister = &lister[*Run]{
	kind:  "runs",
	table: "runs",
	cols:  runListCols,
	scan:  func(r rowScanner) (*Run, error) { return scanRun(r, false) },
	id:    func(r *Run) string { return r.ID },
	size:  runSize,
	fields: fieldsOf([]*field[*Run]{
		strField("run_id", "id", func(r *Run) string { return r.ID }),
		strField("display_name", "display_name", func(r *Run) string { return r.DisplayName }),
		timeField("created_at", "created_at", func(r *Run) time.Time { return r.CreatedAt }),
		timeField("finished_at", "finished_at", func(r *Run) time.Time { return r.FinishedAt }),
		timeField("scheduled_at", "scheduled_at", func(r *Run) time.Time { return r.ScheduledAt }),
		strField("description", "description", func(r *Run) string { return r.Description }),
		strField("storage_state", "storage_state", func(r *Run) string { return r.StorageState }),
		// Runs have no namespace of their own: it is always empty.
		strField("namespace", "CAST('' AS TEXT)", func(*Run) string { return "" }),
		strField("experiment_id", "experiment_id", func(r *Run) string { return r.ExperimentID }),
		strField("state", "state", func(r *Run) string { return string(r.State) }),
		strField("recurring_run_id", "recurring_run_id", func(r *Run) string { return r.RecurringRunID }),
		strField("pipeline_version_id", "pipeline_version_id", func(r *Run) string { return r.PipelineVersionID }),
		strField("pipeline_id", "pipeline_id", func(r *Run) string { return r.PipelineID }),
	}, map[string]string{"id": "run_id", "name": "display_name"}),
	labels: "labels",
	// migrations/*/0003_run_counts: runs by experiment and storage state
	// (namespace is a constant).
	counts:    "run_counts",
	countCols: map[string]bool{"experiment_id": true, "storage_state": true, "CAST('' AS TEXT)": true},
}

// runSize is the bytes of a run as ListRuns reads it (no spec).
func runSize(r *Run) int {
	n := len(r.Params) + len(r.Outputs) + textBytes(r.ID, r.ExperimentID, r.DisplayName, r.Description,
		r.StorageState, r.PipelineID, r.PipelineVersionID, r.PipelineRoot, r.ServiceAccount,
		r.RecurringRunID, string(r.State), r.Error) + mapBytes(r.Labels)
	for _, h := range r.StateHistory {
		n += len(h.State) + len(h.Error) + 32 // and its time
	}
	return n
}

// runArgs are the arguments of insertRun in order, or of updateRun
// without the trailing id.
func (s *sqlStore) runArgs(r *Run) ([]any, error) {
	if err := checkJSON(jsonField{"spec", r.Spec}, jsonField{"params", r.Params}, jsonField{"outputs", r.Outputs}); err != nil {
		return nil, err
	}
	history, err := s.d.marshalArg(r.StateHistory)
	if err != nil {
		return nil, err
	}
	labels, err := s.d.marshalArg(r.Labels)
	if err != nil {
		return nil, err
	}
	d := s.d
	return []any{r.ExperimentID, r.DisplayName, r.Description, r.StorageState, r.PipelineID,
		r.PipelineVersionID, d.jsonArg(r.Params), r.PipelineRoot, r.ServiceAccount, r.NoCache,
		r.RecurringRunID, string(r.State), r.Error, d.jsonArg(r.Outputs),
		d.timeArg(r.CreatedAt), d.timeArg(r.ScheduledAt), d.timeArg(r.FinishedAt), history, labels,
		d.jsonArg(r.Spec)}, nil
}

// normRun fills a new run's defaults and normalizes its times.
func normRun(r *Run) {
	if r.ID == "" {
		r.ID = newID()
	}
	if r.StorageState == "" {
		r.StorageState = Available
	}
	r.CreatedAt = orNow(r.CreatedAt)
	r.ScheduledAt = normTime(r.ScheduledAt)
	r.FinishedAt = normTime(r.FinishedAt)
}

// insertRun inserts a normalized run, bumping its experiment.
func (s *sqlStore) insertRun(ctx context.Context, tx *sql.Tx, r *Run) error {
	if r.ExperimentID != "" {
		if err := s.lockExperiment(ctx, tx, r.ExperimentID, r.CreatedAt); err != nil {
			return err
		}
	}
	return s.insertRunRow(ctx, tx, r)
}

// insertRunRow inserts a normalized run's row and nothing else.
func (s *sqlStore) insertRunRow(ctx context.Context, tx *sql.Tx, r *Run) error {
	args, err := s.runArgs(r)
	if err != nil {
		return err
	}
	if _, err := s.exec(ctx, tx, insertRun, append([]any{r.ID}, args...)...); err != nil {
		return mapErr(err)
	}
	return nil
}

func (s *sqlStore) CreateRun(ctx context.Context, r *Run) error {
	normRun(r)
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return s.insertRun(ctx, tx, r) }); err != nil {
		return fmt.Errorf("create run %q: %w", r.ID, err)
	}
	return nil
}

// CreateRuns stores runs in one transaction with one prepared insert; each
// experiment is bumped once, to its newest run.
func (s *sqlStore) CreateRuns(ctx context.Context, rs []*Run) error {
	newest := map[string]time.Time{}
	for _, r := range rs {
		normRun(r)
		if r.ExperimentID != "" && r.CreatedAt.After(newest[r.ExperimentID]) {
			newest[r.ExperimentID] = r.CreatedAt
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for id, t := range newest {
			if err := s.lockExperiment(ctx, tx, id, t); err != nil {
				return err
			}
		}
		ins, err := tx.PrepareContext(ctx, s.d.rebind(insertRun))
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, r := range rs {
			args, err := s.runArgs(r)
			if err != nil {
				return fmt.Errorf("run %q: %w", r.ID, err)
			}
			if _, err := ins.ExecContext(ctx, append([]any{r.ID}, args...)...); err != nil {
				return fmt.Errorf("run %q: %w", r.ID, mapErr(err))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create %d runs: %w", len(rs), err)
	}
	return nil
}

func (s *sqlStore) GetRun(ctx context.Context, id string) (*Run, error) {
	r, err := scanRun(s.queryRow(ctx, s.db, `SELECT `+runCols+` FROM runs WHERE id = ?`, id), true)
	if err != nil {
		return nil, notFound(err, "get run", id)
	}
	return r, nil
}

func (s *sqlStore) ListRuns(ctx context.Context, opts ListOptions) (*Page[*Run], error) {
	return list(ctx, s, runLister, opts, where{})
}

// UpdateRun reads the run, lets f change it and writes it back, in one
// transaction that holds the row (FOR UPDATE on PostgreSQL, the write lock
// on SQLite). The run's ID cannot change. An error from f is returned as is.
// f runs inside the transaction: it must not call the store.
func (s *sqlStore) UpdateRun(ctx context.Context, id string, f func(r *Run) error) (*Run, error) {
	var out *Run
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := scanRun(s.queryRow(ctx, tx, `SELECT `+runCols+` FROM runs WHERE id = ?`+s.d.forUpdate(), id), true)
		if err != nil {
			return notFound(err, "update run", id)
		}
		oldExperiment := r.ExperimentID
		old := *r
		if err := f(r); err != nil {
			return err
		}
		r.ID = id
		normRun(r)
		if err := checkEnd(&old, r); err != nil {
			return fmt.Errorf("update run %q: %w", id, err)
		}
		if retried(&old, r) {
			// The tasks that did not succeed run again: their final
			// records make way for new ones.
			if _, err := s.exec(ctx, tx, resetTasks, id); err != nil {
				return fmt.Errorf("update run %q: %w", id, mapErr(err))
			}
		}
		if r.ExperimentID != oldExperiment && r.ExperimentID != "" {
			if err := s.lockExperiment(ctx, tx, r.ExperimentID, r.CreatedAt); err != nil {
				return fmt.Errorf("update run %q: %w", id, err)
			}
		}
		args, err := s.runArgs(r)
		if err != nil {
			return fmt.Errorf("update run %q: %w", id, err)
		}
		if _, err := s.exec(ctx, tx, updateRun, append(args, id)...); err != nil {
			return fmt.Errorf("update run %q: %w", id, mapErr(err))
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteRun deletes a run and its tasks.
func (s *sqlStore) DeleteRun(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `DELETE FROM runs WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete run %q: %w", id, err)
		}
		return affectedOne(res, "delete run", id)
	})
}

// RunsInState returns the ids of the runs in any of the states, oldest
// first.
func (s *sqlStore) RunsInState(ctx context.Context, states ...runstate.State) ([]string, error) {
	if len(states) == 0 {
		return nil, nil
	}
	args := make([]any, len(states))
	for i, st := range states {
		args[i] = string(st)
	}
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ")
	rows, err := s.query(ctx, s.db, `SELECT id FROM runs WHERE state IN (`+ph+`) ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("runs in state %v: %w", states, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("runs in state %v: %w", states, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("runs in state %v: %w", states, err)
	}
	return ids, nil
}

func (s *sqlStore) CountActiveRuns(ctx context.Context, recurringRunID string) (int, error) {
	var n int
	if err := s.queryRow(ctx, s.db, countActiveRuns, recurringRunID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count active runs of %q: %w", recurringRunID, err)
	}
	return n, nil
}

// retried reports whether an update is a retry: a FAILED or CANCELED run
// back to PENDING.
func retried(old, r *Run) bool {
	return (old.State == runstate.Failed || old.State == runstate.Canceled) && r.State == runstate.Pending
}

// checkEnd refuses an update that rewrites how a run ended (its state,
// end time, error or outputs) other than a retry: a terminal record is
// final.
func checkEnd(old, r *Run) error {
	if !old.State.Terminal() || retried(old, r) {
		return nil
	}
	if r.State != old.State || !r.FinishedAt.Equal(old.FinishedAt) || r.Error != old.Error || !bytes.Equal(r.Outputs, old.Outputs) {
		return fmt.Errorf("the run ended %s: its end is final: %w", old.State, ErrConflict)
	}
	return nil
}
