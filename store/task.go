package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const taskCols = `run_id, id, parent_id, key, name, kind, state, cached, attempts, image, argv, exit_code,
	error, inputs, outputs, log_uri, created, started, finished`

// taskSummaryCols are what ListTaskSummaries reads: no argv, inputs,
// outputs, image or log URI.
const taskSummaryCols = `run_id, id, parent_id, key, name, kind, state, cached, attempts, exit_code,
	error, created, started, finished`

const (
	// putTask inserts a task, numbering it after the run's others, or
	// replaces it in place, keeping its number, and its creation time
	// unless the last argument (a creation time or NULL) is given.
	putTask = `INSERT INTO tasks (` + taskCols + `, seq) VALUES
		(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		 (SELECT COALESCE(MAX(seq), 0) + 1 FROM tasks WHERE run_id = ?))
	ON CONFLICT (run_id, id) DO UPDATE SET parent_id = excluded.parent_id, key = excluded.key,
		name = excluded.name, kind = excluded.kind, state = excluded.state, cached = excluded.cached,
		attempts = excluded.attempts, image = excluded.image, argv = excluded.argv,
		exit_code = excluded.exit_code, error = excluded.error, inputs = excluded.inputs,
		outputs = excluded.outputs, log_uri = excluded.log_uri, created = COALESCE(?, tasks.created),
		started = excluded.started, finished = excluded.finished`
	listTasks         = `SELECT ` + taskCols + ` FROM tasks WHERE run_id = ? ORDER BY created, seq, id`
	listTaskSummaries = `SELECT ` + taskSummaryCols + ` FROM tasks WHERE run_id = ? ORDER BY created, seq, id`
	// runExists reads a run's id; on PostgreSQL it holds the row against a
	// concurrent delete until the transaction ends (dialect.forKeyShare).
	runExists = `SELECT id FROM runs WHERE id = ?`
)

func scanTask(r rowScanner) (*Task, error) {
	var t Task
	var attempts int64
	err := r.Scan(&t.RunID, &t.ID, &t.ParentID, &t.Key, &t.Name, &t.Kind, &t.State, &t.Cached, &attempts,
		&t.Image, decodeCol[[]string]{&t.Argv}, nullInt{&t.ExitCode}, &t.Error, jsonCol{&t.Inputs},
		jsonCol{&t.Outputs}, &t.LogURI, timeCol{&t.Created}, timeCol{&t.Started}, timeCol{&t.Finished})
	if err != nil {
		return nil, err
	}
	t.Attempts = int(attempts)
	return &t, nil
}

func scanTaskSummary(r rowScanner) (*Task, error) {
	var t Task
	var attempts int64
	err := r.Scan(&t.RunID, &t.ID, &t.ParentID, &t.Key, &t.Name, &t.Kind, &t.State, &t.Cached, &attempts,
		nullInt{&t.ExitCode}, &t.Error, timeCol{&t.Created}, timeCol{&t.Started}, timeCol{&t.Finished})
	if err != nil {
		return nil, err
	}
	t.Attempts = int(attempts)
	return &t, nil
}

// PutTask inserts or replaces a task. A new task without Created gets the
// current time; a replaced one without Created keeps its own. The run must
// exist (ErrNotFound).
//
// Concurrent calls are committed together (see taskBatcher): each returns
// once its row is committed, or with the error that failed its batch.
func (s *sqlStore) PutTask(ctx context.Context, t *Task) error {
	var keepCreated any
	if !t.Created.IsZero() {
		keepCreated = s.d.timeArg(t.Created)
	}
	t.Created = orNow(t.Created)
	t.Started = normTime(t.Started)
	t.Finished = normTime(t.Finished)
	if err := checkJSON(jsonField{"inputs", t.Inputs}, jsonField{"outputs", t.Outputs}); err != nil {
		return fmt.Errorf("put task %q of run %q: %w", t.ID, t.RunID, err)
	}
	argv, err := s.d.marshalArg(t.Argv)
	if err != nil {
		return fmt.Errorf("put task %q of run %q: %w", t.ID, t.RunID, err)
	}
	d := s.d
	p := &taskPut{
		runID: t.RunID, id: t.ID,
		args: []any{t.RunID, t.ID, t.ParentID, t.Key, t.Name, t.Kind, t.State, t.Cached,
			int64(t.Attempts), t.Image, argv, intArg(t.ExitCode), t.Error, d.jsonArg(t.Inputs),
			d.jsonArg(t.Outputs), t.LogURI, d.timeArg(t.Created), d.timeArg(t.Started), d.timeArg(t.Finished),
			t.RunID, keepCreated},
	}
	if err := s.tasks.put(ctx, s, p); err != nil {
		return fmt.Errorf("put task %q of run %q: %w", t.ID, t.RunID, err)
	}
	return nil
}

// writeTasks writes a batch of task puts and returns each one's outcome
// (nil when committed). One put is one statement. Several are one
// transaction: the runs they name are looked up first (and held on
// PostgreSQL), so that a put into a missing run fails alone with
// ErrNotFound instead of aborting the others; any other error fails them
// all.
func (s *sqlStore) writeTasks(ctx context.Context, batch []*taskPut) []error {
	errs := make([]error, len(batch))
	fail := func(err error) []error {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	if len(batch) == 1 {
		if _, err := s.putTaskStmt.ExecContext(ctx, batch[0].args...); err != nil {
			errs[0] = mapErr(err)
		}
		return errs
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(fmt.Errorf("begin: %w", err))
	}
	exists := map[string]bool{}
	check := tx.StmtContext(ctx, s.runExistsStmt)
	put := tx.StmtContext(ctx, s.putTaskStmt)
	for i, p := range batch {
		ok, seen := exists[p.runID]
		if !seen {
			var id string
			err := check.QueryRowContext(ctx, p.runID).Scan(&id)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				tx.Rollback()
				return fail(fmt.Errorf("look up run: %w", err))
			}
			ok = err == nil
			exists[p.runID] = ok
		}
		if !ok {
			errs[i] = fmt.Errorf("run %q: %w", p.runID, ErrNotFound)
			continue
		}
		if _, err := put.ExecContext(ctx, p.args...); err != nil {
			tx.Rollback()
			return fail(fmt.Errorf("in a batch of %d, task %q of run %q: %w", len(batch), p.id, p.runID, mapErr(err)))
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(fmt.Errorf("commit a batch of %d: %w", len(batch), mapErr(err)))
	}
	return errs
}

// ListTasks returns a run's tasks in creation order (by Created, then in
// the order they were first put).
func (s *sqlStore) ListTasks(ctx context.Context, runID string) ([]*Task, error) {
	return s.listTasks(ctx, listTasks, scanTask, runID)
}

// ListTaskSummaries is ListTasks without each task's Argv, Inputs,
// Outputs, Image and LogURI.
func (s *sqlStore) ListTaskSummaries(ctx context.Context, runID string) ([]*Task, error) {
	return s.listTasks(ctx, listTaskSummaries, scanTaskSummary, runID)
}

func (s *sqlStore) listTasks(ctx context.Context, query string, scan func(rowScanner) (*Task, error), runID string) ([]*Task, error) {
	rows, err := s.query(ctx, s.db, query, runID)
	if err != nil {
		return nil, fmt.Errorf("list tasks of run %q: %w", runID, err)
	}
	defer rows.Close()
	var ts []*Task
	for rows.Next() {
		t, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list tasks of run %q: %w", runID, err)
		}
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tasks of run %q: %w", runID, err)
	}
	return ts, nil
}

func (s *sqlStore) DeleteTasks(ctx context.Context, runID string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `DELETE FROM tasks WHERE run_id = ?`, runID); err != nil {
			return fmt.Errorf("delete tasks of run %q: %w", runID, err)
		}
		return nil
	})
}
