package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const taskCols = `run_id, id, parent_id, key, name, kind, state, cached, attempts, image, argv, exit_code,
	error, inputs, outputs, log_uri, created, started, finished, log_tail, resources`

// taskSummaryCols are what ListTaskSummaries reads: no argv, inputs,
// outputs, image, log URI or log tail.
const taskSummaryCols = `run_id, id, parent_id, key, name, kind, state, cached, attempts, exit_code,
	error, created, started, finished`

const (
	// putTask inserts a task, numbering it after the run's others, or
	// replaces it in place, keeping its number, and its creation time
	// unless the last argument (a creation time or NULL) is given.
	//
	// A task whose stored record is terminal (SUCCEEDED, SKIPPED, FAILED,
	// CANCELED) is never rewritten: the put leaves it as it is. (A retry
	// deletes the records of the tasks that run again; see UpdateRun.)
	putTask = `INSERT INTO tasks (` + taskCols + `, seq) VALUES
		(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		 (SELECT COALESCE(MAX(seq), 0) + 1 FROM tasks WHERE run_id = ?))
	ON CONFLICT (run_id, id) DO UPDATE SET parent_id = excluded.parent_id, key = excluded.key,
		name = excluded.name, kind = excluded.kind, state = excluded.state, cached = excluded.cached,
		attempts = excluded.attempts, image = excluded.image, argv = excluded.argv,
		exit_code = excluded.exit_code, error = excluded.error, inputs = excluded.inputs,
		outputs = excluded.outputs, log_uri = excluded.log_uri, created = COALESCE(?, tasks.created),
		started = excluded.started, finished = excluded.finished, log_tail = excluded.log_tail,
		resources = excluded.resources
	WHERE tasks.state NOT IN ` + terminalStates
	listTasks         = `SELECT ` + taskCols + ` FROM tasks WHERE run_id = ? ORDER BY created, seq, id`
	getTask           = `SELECT ` + taskCols + ` FROM tasks WHERE run_id = ? AND id = ?`
	listTaskSummaries = `SELECT ` + taskSummaryCols + ` FROM tasks WHERE run_id = ? ORDER BY created, seq, id`
	// putTasksPostgres is a batch of puts as one statement (one round
	// trip): the arguments are one array per column, a put per index, at
	// most one put per task. A put whose run does not exist is left out
	// (RETURNING says which were written); the runs read are held against
	// a concurrent delete. A new task is numbered after the run's others
	// by its place in the batch; a replaced one keeps its number, and its
	// creation time unless keep_created is given.
	//
	// As with putTask, a terminal record is left as it is (and counts as
	// written).
	putTasksPostgres = `WITH v AS (
		SELECT * FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]),
			CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS BOOLEAN[]), CAST(? AS BIGINT[]),
			CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS INTEGER[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]),
			CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TIMESTAMPTZ[]), CAST(? AS TIMESTAMPTZ[]),
			CAST(? AS TIMESTAMPTZ[]), CAST(? AS TEXT[]), CAST(? AS TIMESTAMPTZ[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[]))
		AS v (run_id, id, parent_id, key, name, kind, state, cached, attempts, image, argv, exit_code,
			error, inputs, outputs, log_uri, created, started, finished, log_tail, keep_created, pos, resources)
	), ok AS (
		SELECT v.* FROM v JOIN runs r ON r.id = v.run_id FOR KEY SHARE OF r
	), put AS (
	INSERT INTO tasks (` + taskCols + `, seq)
	SELECT ok.run_id, ok.id, ok.parent_id, ok.key, ok.name, ok.kind, ok.state, ok.cached, ok.attempts, ok.image,
		CAST(ok.argv AS JSON), ok.exit_code, ok.error, CAST(ok.inputs AS JSON), CAST(ok.outputs AS JSON), ok.log_uri,
		COALESCE(ok.keep_created, old.created, ok.created), ok.started, ok.finished, ok.log_tail, CAST(ok.resources AS JSON),
		COALESCE((SELECT MAX(t.seq) FROM tasks t WHERE t.run_id = ok.run_id), 0) + ok.pos
	FROM ok LEFT JOIN tasks old ON old.run_id = ok.run_id AND old.id = ok.id
	ON CONFLICT (run_id, id) DO UPDATE SET parent_id = excluded.parent_id, key = excluded.key,
		name = excluded.name, kind = excluded.kind, state = excluded.state, cached = excluded.cached,
		attempts = excluded.attempts, image = excluded.image, argv = excluded.argv,
		exit_code = excluded.exit_code, error = excluded.error, inputs = excluded.inputs,
		outputs = excluded.outputs, log_uri = excluded.log_uri, created = excluded.created,
		started = excluded.started, finished = excluded.finished, log_tail = excluded.log_tail,
		resources = excluded.resources
	WHERE tasks.state NOT IN ` + terminalStates + `
	RETURNING run_id, id
	)
	SELECT run_id, id FROM ok`
	// runExists reads a run's id; on PostgreSQL it holds the row against a
	// concurrent delete until the transaction ends (dialect.forKeyShare).
	runExists = `SELECT id FROM runs WHERE id = ?`
	// terminalStates are the states of a final record.
	terminalStates = `('SUCCEEDED', 'SKIPPED', 'FAILED', 'CANCELED')`
)

func scanTask(r rowScanner) (*Task, error) {
	var t Task
	var attempts int64
	err := r.Scan(&t.RunID, &t.ID, &t.ParentID, &t.Key, &t.Name, &t.Kind, &t.State, &t.Cached, &attempts,
		&t.Image, decodeCol[[]string]{&t.Argv}, nullInt{&t.ExitCode}, &t.Error, jsonCol{&t.Inputs},
		jsonCol{&t.Outputs}, &t.LogURI, timeCol{&t.Created}, timeCol{&t.Started}, timeCol{&t.Finished}, &t.LogTail, jsonCol{&t.Resources})
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
	if err := checkJSON(jsonField{"inputs", t.Inputs}, jsonField{"outputs", t.Outputs}, jsonField{"resources", t.Resources}); err != nil {
		return fmt.Errorf("put task %q of run %q: %w", t.ID, t.RunID, err)
	}
	argv, err := s.d.marshalArg(t.Argv)
	if err != nil {
		return fmt.Errorf("put task %q of run %q: %w", t.ID, t.RunID, err)
	}
	d := s.d
	p := &taskPut{
		runID: t.RunID, id: t.ID, task: *t, argv: argv, keepCreated: keepCreated,
		args: []any{t.RunID, t.ID, t.ParentID, t.Key, t.Name, t.Kind, string(t.State), t.Cached,
			int64(t.Attempts), t.Image, argv, intArg(t.ExitCode), t.Error, d.jsonArg(t.Inputs),
			d.jsonArg(t.Outputs), t.LogURI, d.timeArg(t.Created), d.timeArg(t.Started), d.timeArg(t.Finished),
			t.LogTail, d.jsonArg(t.Resources), t.RunID, keepCreated},
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
	if len(batch) > 1 && s.d.pg {
		return s.writeTasksPostgres(ctx, batch)
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

// writeTasksPostgres writes a batch as one statement (putTasksPostgres).
// Puts of one task are merged first, the last one winning, as if they had
// been written in turn.
func (s *sqlStore) writeTasksPostgres(ctx context.Context, batch []*taskPut) []error {
	type key struct{ run, id string }
	merged := map[key]*taskPut{}
	var order []key
	for _, p := range batch {
		k := key{p.runID, p.id}
		first, seen := merged[k]
		if !seen {
			merged[k] = p
			order = append(order, k)
			continue
		}
		m := *p
		m.task.Created = first.task.Created // a new task's creation time is its first put's
		if m.keepCreated == nil {
			m.keepCreated = first.keepCreated
		}
		merged[k] = &m
	}
	n := len(order)
	var (
		runIDs, ids, parents, keys, names, kinds, states = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		images, errors, logs, tails                      = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		argvs, inputs, outputs, resources                = make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
		cached                                           = make([]bool, n)
		attempts, pos                                    = make([]int64, n), make([]int64, n)
		exitCodes                                        = make([]*int32, n)
		created, started, finished                       = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		keepCreated                                      = make([]*time.Time, n)
	)
	text := func(v any) *string {
		switch x := v.(type) {
		case []byte:
			s := string(x)
			return &s
		case string:
			return &x
		}
		return nil
	}
	for i, k := range order {
		p := merged[k]
		t := &p.task
		runIDs[i], ids[i], parents[i], keys[i], names[i], kinds[i], states[i] = t.RunID, t.ID, t.ParentID, t.Key, t.Name, t.Kind, string(t.State)
		images[i], errors[i], logs[i], tails[i] = t.Image, t.Error, t.LogURI, t.LogTail
		argvs[i], inputs[i], outputs[i] = text(p.argv), text(s.d.jsonArg(t.Inputs)), text(s.d.jsonArg(t.Outputs))
		resources[i] = text(s.d.jsonArg(t.Resources))
		cached[i], attempts[i], pos[i] = t.Cached, int64(t.Attempts), int64(i+1)
		if t.ExitCode != nil {
			c := int32(*t.ExitCode)
			exitCodes[i] = &c
		}
		created[i], started[i], finished[i] = t.Created, t.Started, t.Finished
		if kc, ok := p.keepCreated.(time.Time); ok {
			keepCreated[i] = &kc
		}
	}
	errs := make([]error, len(batch))
	rows, err := s.query(ctx, s.db, putTasksPostgres, runIDs, ids, parents, keys, names, kinds, states, cached,
		attempts, images, argvs, exitCodes, errors, inputs, outputs, logs, created, started, finished, tails, keepCreated, pos, resources)
	if err == nil {
		written := map[key]bool{}
		for rows.Next() {
			var k key
			if err = rows.Scan(&k.run, &k.id); err != nil {
				break
			}
			written[k] = true
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err == nil {
			for i, p := range batch {
				if !written[key{p.runID, p.id}] {
					errs[i] = fmt.Errorf("run %q: %w", p.runID, ErrNotFound)
				}
			}
			return errs
		}
	}
	err = fmt.Errorf("in a batch of %d: %w", len(batch), mapErr(err))
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// ListTasks returns a run's tasks in creation order (by Created, then in
// the order they were first put).
func (s *sqlStore) ListTasks(ctx context.Context, runID string) ([]*Task, error) {
	return s.listTasks(ctx, listTasks, scanTask, runID)
}

// GetTask returns one task of a run.
func (s *sqlStore) GetTask(ctx context.Context, runID, id string) (*Task, error) {
	t, err := scanTask(s.queryRow(ctx, s.db, getTask, runID, id))
	if err != nil {
		return nil, notFound(err, "get task", runID+"/"+id)
	}
	return t, nil
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

func (s *sqlStore) ResetTasks(ctx context.Context, runID string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, resetTasks, runID); err != nil {
			return fmt.Errorf("reset tasks of run %q: %w", runID, mapErr(err))
		}
		return nil
	})
}

// resetTasks deletes the records of a run's tasks that did not succeed.
const resetTasks = `DELETE FROM tasks WHERE run_id = ? AND state <> 'SUCCEEDED'`

func (s *sqlStore) DeleteTasks(ctx context.Context, runID string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `DELETE FROM tasks WHERE run_id = ?`, runID); err != nil {
			return fmt.Errorf("delete tasks of run %q: %w", runID, err)
		}
		return nil
	})
}
