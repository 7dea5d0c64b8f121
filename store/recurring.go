package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

const recurringRunCols = `id, display_name, description, experiment_id, pipeline_id, pipeline_version_id, spec,
	params, pipeline_root, service_account, max_concurrency, cron, interval_second, start_time, end_time,
	enabled, no_catchup, last_scheduled, created_at, updated_at`

const (
	insertRecurringRun = `INSERT INTO recurring_runs (` + recurringRunCols + `) VALUES
		(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	updateRecurringRun = `UPDATE recurring_runs SET display_name = ?, description = ?, experiment_id = ?,
		pipeline_id = ?, pipeline_version_id = ?, spec = ?, params = ?, pipeline_root = ?,
		service_account = ?, max_concurrency = ?, cron = ?, interval_second = ?, start_time = ?,
		end_time = ?, enabled = ?, no_catchup = ?, last_scheduled = ?, created_at = ?, updated_at = ?
		WHERE id = ?`
)

func scanRecurringRun(r rowScanner) (*RecurringRun, error) {
	var x RecurringRun
	err := r.Scan(&x.ID, &x.DisplayName, &x.Description, &x.ExperimentID, &x.PipelineID, &x.PipelineVersionID,
		jsonCol{&x.Spec}, jsonCol{&x.Params}, &x.PipelineRoot, &x.ServiceAccount, &x.MaxConcurrency, &x.Cron,
		&x.IntervalSecond, timeCol{&x.StartTime}, timeCol{&x.EndTime}, &x.Enabled, &x.NoCatchup,
		timeCol{&x.LastScheduled}, timeCol{&x.CreatedAt}, timeCol{&x.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &x, nil
}

var recurringRunLister = &lister[*RecurringRun]{
	kind:  "recurring runs",
	table: "recurring_runs",
	cols:  recurringRunCols,
	scan:  scanRecurringRun,
	id:    func(x *RecurringRun) string { return x.ID },
	size: func(x *RecurringRun) int {
		return len(x.Spec) + len(x.Params) + textBytes(x.ID, x.DisplayName, x.Description, x.ExperimentID,
			x.PipelineID, x.PipelineVersionID, x.PipelineRoot, x.ServiceAccount, x.Cron)
	},
	fields: fieldsOf([]*field[*RecurringRun]{
		strField("recurring_run_id", "id", func(x *RecurringRun) string { return x.ID }),
		strField("display_name", "display_name", func(x *RecurringRun) string { return x.DisplayName }),
		timeField("created_at", "created_at", func(x *RecurringRun) time.Time { return x.CreatedAt }),
		timeField("updated_at", "updated_at", func(x *RecurringRun) time.Time { return x.UpdatedAt }),
		strField("description", "description", func(x *RecurringRun) string { return x.Description }),
		strField("experiment_id", "experiment_id", func(x *RecurringRun) string { return x.ExperimentID }),
	}, map[string]string{"id": "recurring_run_id", "name": "display_name"}),
}

// recurringRunArgs are the arguments of updateRecurringRun without the
// trailing id, or of insertRecurringRun without the leading one.
func (s *sqlStore) recurringRunArgs(x *RecurringRun) ([]any, error) {
	if err := checkJSON(jsonField{"spec", x.Spec}, jsonField{"params", x.Params}); err != nil {
		return nil, err
	}
	d := s.d
	return []any{x.DisplayName, x.Description, x.ExperimentID, x.PipelineID, x.PipelineVersionID,
		d.jsonArg(x.Spec), d.jsonArg(x.Params), x.PipelineRoot, x.ServiceAccount, x.MaxConcurrency, x.Cron,
		x.IntervalSecond, d.timeArg(x.StartTime), d.timeArg(x.EndTime), x.Enabled, x.NoCatchup,
		d.timeArg(x.LastScheduled), d.timeArg(x.CreatedAt), d.timeArg(x.UpdatedAt)}, nil
}

func normRecurringRun(x *RecurringRun) {
	x.CreatedAt = orNow(x.CreatedAt)
	x.UpdatedAt = normTime(x.UpdatedAt)
	if x.UpdatedAt.IsZero() {
		x.UpdatedAt = x.CreatedAt
	}
	x.StartTime = normTime(x.StartTime)
	x.EndTime = normTime(x.EndTime)
	x.LastScheduled = normTime(x.LastScheduled)
}

// CreateRecurringRun stores a recurring run; its experiment, when set, must
// exist (ErrNotFound).
func (s *sqlStore) CreateRecurringRun(ctx context.Context, x *RecurringRun) error {
	if x.ID == "" {
		x.ID = newID()
	}
	normRecurringRun(x)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if x.ExperimentID != "" {
			if err := s.lockExperiment(ctx, tx, x.ExperimentID, time.Time{}); err != nil {
				return err
			}
		}
		args, err := s.recurringRunArgs(x)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, insertRecurringRun, append([]any{x.ID}, args...)...)
		return mapErr(err)
	})
	if err != nil {
		return fmt.Errorf("create recurring run %q: %w", x.ID, err)
	}
	return nil
}

func (s *sqlStore) GetRecurringRun(ctx context.Context, id string) (*RecurringRun, error) {
	x, err := scanRecurringRun(s.queryRow(ctx, s.db, `SELECT `+recurringRunCols+` FROM recurring_runs WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "get recurring run", id)
	}
	return x, nil
}

func (s *sqlStore) ListRecurringRuns(ctx context.Context, opts ListOptions) (*Page[*RecurringRun], error) {
	return list(ctx, s, recurringRunLister, opts, where{})
}

// UpdateRecurringRun reads the recurring run, lets f change it and writes it
// back in one transaction. UpdatedAt becomes the current time unless f set
// it. The ID cannot change. An error from f is returned as is. f runs
// inside the transaction: it must not call the store.
func (s *sqlStore) UpdateRecurringRun(ctx context.Context, id string, f func(rr *RecurringRun) error) (*RecurringRun, error) {
	var out *RecurringRun
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		x, err := scanRecurringRun(s.queryRow(ctx, tx,
			`SELECT `+recurringRunCols+` FROM recurring_runs WHERE id = ?`+s.d.forUpdate(), id))
		if err != nil {
			return notFound(err, "update recurring run", id)
		}
		old := *x
		if err := f(x); err != nil {
			return err
		}
		x.ID = id
		if x.UpdatedAt.Equal(old.UpdatedAt) {
			x.UpdatedAt = now()
		}
		normRecurringRun(x)
		if x.ExperimentID != old.ExperimentID && x.ExperimentID != "" {
			if err := s.lockExperiment(ctx, tx, x.ExperimentID, time.Time{}); err != nil {
				return fmt.Errorf("update recurring run %q: %w", id, err)
			}
		}
		args, err := s.recurringRunArgs(x)
		if err != nil {
			return fmt.Errorf("update recurring run %q: %w", id, err)
		}
		if _, err := s.exec(ctx, tx, updateRecurringRun, append(args, id)...); err != nil {
			return fmt.Errorf("update recurring run %q: %w", id, mapErr(err))
		}
		out = x
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *sqlStore) DeleteRecurringRun(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `DELETE FROM recurring_runs WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete recurring run %q: %w", id, err)
		}
		return affectedOne(res, "delete recurring run", id)
	})
}
