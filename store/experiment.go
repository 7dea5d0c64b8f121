package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

const experimentCols = `id, display_name, description, namespace, storage_state, created_at, last_run_created_at`

const (
	insertExperiment = `INSERT INTO experiments (` + experimentCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)`
	// bumpExperiment records a new run's creation time; it touches the row
	// (and so locks it) even when the time is not newer.
	bumpExperiment = `UPDATE experiments SET last_run_created_at =
		CASE WHEN last_run_created_at < ? THEN ? ELSE last_run_created_at END WHERE id = ?`
)

func scanExperiment(r rowScanner) (*Experiment, error) {
	var e Experiment
	err := r.Scan(&e.ID, &e.DisplayName, &e.Description, &e.Namespace, &e.StorageState,
		timeCol{&e.CreatedAt}, timeCol{&e.LastRunCreatedAt})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

var experimentLister = &lister[*Experiment]{
	kind:  "experiments",
	table: "experiments",
	cols:  experimentCols,
	scan:  scanExperiment,
	id:    func(e *Experiment) string { return e.ID },
	size: func(e *Experiment) int {
		return textBytes(e.ID, e.DisplayName, e.Description, e.Namespace, e.StorageState)
	},
	fields: fieldsOf([]*field[*Experiment]{
		strField("experiment_id", "id", func(e *Experiment) string { return e.ID }),
		strField("display_name", "display_name", func(e *Experiment) string { return e.DisplayName }),
		timeField("created_at", "created_at", func(e *Experiment) time.Time { return e.CreatedAt }),
		timeField("last_run_created_at", "last_run_created_at", func(e *Experiment) time.Time { return e.LastRunCreatedAt }),
		strField("description", "description", func(e *Experiment) string { return e.Description }),
		strField("namespace", "namespace", func(e *Experiment) string { return e.Namespace }),
		strField("storage_state", "storage_state", func(e *Experiment) string { return e.StorageState }),
	}, map[string]string{"id": "experiment_id", "name": "display_name"}),
}

func (s *sqlStore) CreateExperiment(ctx context.Context, e *Experiment) error {
	if e.ID == "" {
		e.ID = newID()
	}
	if e.StorageState == "" {
		e.StorageState = Available
	}
	e.CreatedAt = orNow(e.CreatedAt)
	e.LastRunCreatedAt = normTime(e.LastRunCreatedAt)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, insertExperiment, e.ID, e.DisplayName, e.Description, e.Namespace, e.StorageState,
			s.d.timeArg(e.CreatedAt), s.d.timeArg(e.LastRunCreatedAt))
		if err != nil {
			return fmt.Errorf("create experiment %q: %w", e.DisplayName, mapErr(err))
		}
		return nil
	})
}

func (s *sqlStore) GetExperiment(ctx context.Context, id string) (*Experiment, error) {
	e, err := scanExperiment(s.queryRow(ctx, s.db, `SELECT `+experimentCols+` FROM experiments WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "get experiment", id)
	}
	return e, nil
}

func (s *sqlStore) GetExperimentByName(ctx context.Context, namespace, name string) (*Experiment, error) {
	e, err := scanExperiment(s.queryRow(ctx, s.db,
		`SELECT `+experimentCols+` FROM experiments WHERE namespace = ? AND display_name = ?`, namespace, name))
	if err != nil {
		return nil, notFound(err, "get experiment by name", namespace+"/"+name)
	}
	return e, nil
}

func (s *sqlStore) ListExperiments(ctx context.Context, opts ListOptions) (*Page[*Experiment], error) {
	return list(ctx, s, experimentLister, opts, where{})
}

// SetExperimentStorageState archives or unarchives an experiment. Archiving
// archives its runs and disables its recurring runs; unarchiving restores
// only the experiment, as KFP does.
func (s *sqlStore) SetExperimentStorageState(ctx context.Context, id, state string) error {
	if state != Available && state != Archived {
		return fmt.Errorf("set experiment %q storage state: bad state %q: %w", id, state, ErrInvalid)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `UPDATE experiments SET storage_state = ? WHERE id = ?`, state, id)
		if err != nil {
			return fmt.Errorf("set experiment %q storage state: %w", id, err)
		}
		if err := affectedOne(res, "set storage state of experiment", id); err != nil {
			return err
		}
		if state != Archived {
			return nil
		}
		if _, err := s.exec(ctx, tx, `UPDATE runs SET storage_state = ? WHERE experiment_id = ? AND storage_state <> ?`,
			Archived, id, Archived); err != nil {
			return fmt.Errorf("archive runs of experiment %q: %w", id, err)
		}
		if _, err := s.exec(ctx, tx, `UPDATE recurring_runs SET enabled = ?, updated_at = ? WHERE experiment_id = ? AND enabled = ?`,
			false, s.d.timeArg(now()), id, true); err != nil {
			return fmt.Errorf("disable recurring runs of experiment %q: %w", id, err)
		}
		return nil
	})
}

// DeleteExperiment deletes an experiment with its runs (and their tasks)
// and its recurring runs.
func (s *sqlStore) DeleteExperiment(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// The experiment first: on PostgreSQL this locks its row, so a
		// concurrent CreateRun into it waits, then finds it gone.
		res, err := s.exec(ctx, tx, `DELETE FROM experiments WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete experiment %q: %w", id, err)
		}
		if err := affectedOne(res, "delete experiment", id); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM runs WHERE experiment_id = ?`, id); err != nil {
			return fmt.Errorf("delete runs of experiment %q: %w", id, err)
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM recurring_runs WHERE experiment_id = ?`, id); err != nil {
			return fmt.Errorf("delete recurring runs of experiment %q: %w", id, err)
		}
		return nil
	})
}

// lockExperiment checks that experiment id exists and, when t is not zero,
// records t as its latest run creation time. On PostgreSQL the row stays
// locked until tx ends.
func (s *sqlStore) lockExperiment(ctx context.Context, tx *sql.Tx, id string, t time.Time) error {
	if t.IsZero() {
		var got string
		err := s.queryRow(ctx, tx, `SELECT id FROM experiments WHERE id = ?`+s.d.forUpdate(), id).Scan(&got)
		if err != nil {
			return notFound(err, "experiment", id)
		}
		return nil
	}
	ta := s.d.timeArg(t)
	res, err := s.exec(ctx, tx, bumpExperiment, ta, ta, id)
	if err != nil {
		return err
	}
	return affectedOne(res, "experiment", id)
}
