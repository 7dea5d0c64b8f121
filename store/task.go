package store

import (
	"context"
	"database/sql"
	"fmt"
)

const taskCols = `run_id, id, parent_id, key, name, kind, state, cached, attempts, image, argv, exit_code,
	error, inputs, outputs, log_uri, created, started, finished`

const (
	// putTask inserts a task, numbering it after the run's others, or
	// replaces it in place, keeping its number.
	putTask = `INSERT INTO tasks (` + taskCols + `, seq) VALUES
		(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		 (SELECT COALESCE(MAX(seq), 0) + 1 FROM tasks WHERE run_id = ?))
	ON CONFLICT (run_id, id) DO UPDATE SET parent_id = excluded.parent_id, key = excluded.key,
		name = excluded.name, kind = excluded.kind, state = excluded.state, cached = excluded.cached,
		attempts = excluded.attempts, image = excluded.image, argv = excluded.argv,
		exit_code = excluded.exit_code, error = excluded.error, inputs = excluded.inputs,
		outputs = excluded.outputs, log_uri = excluded.log_uri, created = excluded.created,
		started = excluded.started, finished = excluded.finished`
	listTasks = `SELECT ` + taskCols + ` FROM tasks WHERE run_id = ? ORDER BY created, seq, id`
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

// PutTask inserts or replaces a task; a new task without Created gets the
// current time. The run must exist (ErrNotFound).
func (s *sqlStore) PutTask(ctx context.Context, t *Task) error {
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
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, putTask, t.RunID, t.ID, t.ParentID, t.Key, t.Name, t.Kind, t.State, t.Cached,
			int64(t.Attempts), t.Image, argv, intArg(t.ExitCode), t.Error, d.jsonArg(t.Inputs),
			d.jsonArg(t.Outputs), t.LogURI, d.timeArg(t.Created), d.timeArg(t.Started), d.timeArg(t.Finished),
			t.RunID)
		if err != nil {
			return fmt.Errorf("put task %q of run %q: %w", t.ID, t.RunID, mapErr(err))
		}
		return nil
	})
}

// ListTasks returns a run's tasks in creation order (by Created, then in
// the order they were first put).
func (s *sqlStore) ListTasks(ctx context.Context, runID string) ([]*Task, error) {
	rows, err := s.query(ctx, s.db, listTasks, runID)
	if err != nil {
		return nil, fmt.Errorf("list tasks of run %q: %w", runID, err)
	}
	defer rows.Close()
	var ts []*Task
	for rows.Next() {
		t, err := scanTask(rows)
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
