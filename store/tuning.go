package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sluicehq/sluice/runstate"
)

// Tuning is the persistence of hyperparameter-tuning experiments and their
// trials (named apart from KFP's experiments: tables tuning_experiments and
// trials). The store keeps what the tuning service gives it as it is; the
// JSON columns (spec, status, assignments, observation, …) are package
// tune's shapes, which the store does not read.
type Tuning interface {
	// CreateTuningExperiment stores an experiment; names are unique per
	// namespace (ErrAlreadyExists).
	CreateTuningExperiment(ctx context.Context, e *TuningExperiment) error
	GetTuningExperiment(ctx context.Context, id string) (*TuningExperiment, error)
	GetTuningExperimentByName(ctx context.Context, namespace, name string) (*TuningExperiment, error)
	// ListTuningExperiments lists experiments without their pipeline spec
	// (filled only by the Get methods). Sort and filter keys: id, name,
	// namespace, condition, created_at, completed_at.
	ListTuningExperiments(ctx context.Context, opts ListOptions) (*Page[*TuningExperiment], error)
	// UpdateTuningExperiment reads an experiment, lets f change it and
	// writes it back in one transaction. An error from f aborts the
	// update and is returned. Its PipelineSpec, set at creation, is
	// neither read nor written: f and the result see none.
	UpdateTuningExperiment(ctx context.Context, id string, f func(e *TuningExperiment) error) (*TuningExperiment, error)
	// SetTuningStatus writes what the tuning service records of an
	// experiment's progress — condition, status, the algorithm's end or
	// failure, completion time — in one statement, leaving the rest (a
	// cancel, an edited spec) as it is.
	SetTuningStatus(ctx context.Context, id string, p TuningProgress) error
	// DeleteTuningExperiment removes an experiment and its trials (not
	// their runs).
	DeleteTuningExperiment(ctx context.Context, id string) error
	// TuningExperimentsInProgress returns the ids of the experiments a
	// tuning service must drive: not completed, or completed with trials
	// still active; oldest first.
	TuningExperimentsInProgress(ctx context.Context) ([]string, error)

	// RunStates returns the state of each of the runs named that exists,
	// with its error and times, in one query (the runs of a tuning
	// experiment's active trials, looked at after every run that ends).
	RunStates(ctx context.Context, ids []string) (map[string]RunState, error)

	// CreateTrials stores new trials of an experiment in one transaction
	// and advances its NextTrial past them; a trial name or sequence
	// number taken is ErrAlreadyExists (and nothing is stored).
	CreateTrials(ctx context.Context, experimentID string, ts []*Trial) error
	// ListTrials returns an experiment's trials in creation order.
	ListTrials(ctx context.Context, experimentID string, opts TrialListOptions) ([]*Trial, error)
	GetTrial(ctx context.Context, experimentID, name string) (*Trial, error)
	// UpdateTrial reads a trial, lets f change it and writes it back in one
	// transaction. Its experiment, name and sequence number cannot change.
	UpdateTrial(ctx context.Context, experimentID, name string, f func(t *Trial) error) (*Trial, error)
	// SaveTrial writes a trial as given, in one statement (for its one
	// writer, the tuning service).
	SaveTrial(ctx context.Context, t *Trial) error
	DeleteTrial(ctx context.Context, experimentID, name string) error
}

// Conditions of tuning experiments the store knows (package tune's names):
// an experiment in one of them has completed.
const (
	TuningSucceeded = "Succeeded"
	TuningFailed    = "Failed"
)

// TuningExperiment is a hyperparameter-tuning experiment and its progress.
type TuningExperiment struct {
	ID        string
	Name      string // metadata.name
	Namespace string
	// Spec is the experiment (package tune's Experiment, defaults applied) as JSON.
	Spec []byte
	// PipelineSpec is the pipeline every trial runs, in the stored form
	// ({pipeline_spec, platform_spec}), taken when the experiment was
	// created. Not read by ListTuningExperiments.
	PipelineSpec      []byte
	PipelineID        string // when the experiment names a stored pipeline
	PipelineVersionID string
	PipelineRoot      string
	NoCache           bool
	// Seed seeds the search algorithm when its settings have no random_state.
	Seed uint64
	// Condition is the current condition's type (Created, Running,
	// Restarting, Succeeded, Failed); Status the whole status as JSON.
	Condition string
	Status    []byte
	// NextTrial is the number of trials created so far: the next trial's
	// sequence number (names and run ids derive from it).
	NextTrial int
	// Exhausted: the algorithm said it has nothing more to suggest.
	Exhausted bool
	// SuggestionError is why the algorithm failed, when it did.
	SuggestionError string
	// CancelRequested: the experiment was canceled; it ends Failed.
	CancelRequested bool
	CreatedAt       time.Time
	CompletedAt     time.Time
	UpdatedAt       time.Time
}

// TuningProgress is what SetTuningStatus writes.
type TuningProgress struct {
	Condition       string
	Status          []byte
	Exhausted       bool
	SuggestionError string
	CompletedAt     time.Time
}

// RunState is a run's state without the rest of the run.
type RunState struct {
	State      runstate.State
	Error      string
	CreatedAt  time.Time
	FinishedAt time.Time
}

// Completed says whether the experiment's condition is final.
func (e *TuningExperiment) Completed() bool {
	return e.Condition == TuningSucceeded || e.Condition == TuningFailed
}

// Trial is one trial of a tuning experiment: an assignment of the searched
// parameters, evaluated by one run.
type Trial struct {
	ExperimentID string
	Name         string
	Seq          int // creation order in the experiment, from 0
	State        string
	Reason       string
	Message      string
	// Assignments are the parameter values ([{name, value}]) as JSON.
	Assignments []byte
	// Labels are the search algorithm's labels of the suggestion (kept so
	// that it rebuilds its state from the trials).
	Labels map[string]string
	// Observation is the reduced metrics as JSON (nil: none yet).
	Observation []byte
	// Curve is the objective metric's reports in order, as JSON (for early
	// stopping).
	Curve []byte
	// Rule is the early-stopping rule frozen when the trial was created
	// (Katib-compatible mode), as JSON.
	Rule []byte
	// Stop records why the trial's run is being canceled (EarlyStopped,
	// Killed, Deleted) before it is, so a restart knows.
	Stop  string
	RunID string
	// Tasks are the run's step timings once it ended, as JSON (what the
	// cache saved is computed from them).
	Tasks       []byte
	CreatedAt   time.Time
	StartedAt   time.Time
	CompletedAt time.Time
}

const tuningListCols = `id, name, namespace, spec, pipeline_id, pipeline_version_id, pipeline_root, no_cache, seed,
	condition, status, next_trial, exhausted, suggestion_error, cancel_requested, created_at, completed_at, updated_at`

const tuningCols = tuningListCols + `, pipeline_spec`

const (
	insertTuning = `INSERT INTO tuning_experiments (` + tuningCols + `) VALUES
		(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// updateTuning leaves the pipeline spec alone: it never changes.
	updateTuning = `UPDATE tuning_experiments SET name = ?, namespace = ?, spec = ?, pipeline_id = ?,
		pipeline_version_id = ?, pipeline_root = ?, no_cache = ?, seed = ?, condition = ?, status = ?,
		next_trial = ?, exhausted = ?, suggestion_error = ?, cancel_requested = ?, created_at = ?,
		completed_at = ?, updated_at = ? WHERE id = ?`
	// tuningInProgress: experiments not completed, and completed ones
	// whose trials are still being stopped.
	tuningInProgress = `SELECT id FROM tuning_experiments e WHERE condition NOT IN ('Succeeded', 'Failed')
		OR EXISTS (SELECT 1 FROM trials t WHERE t.experiment_id = e.id AND t.state IN ('', 'Created', 'Running'))
		ORDER BY created_at, id`
)

const (
	trialCols = `experiment_id, name, seq, state, reason, message, assignments, labels, observation, curve, rule,
	stop, run_id, tasks, created_at, started_at, completed_at`
	// trialColsNoCurve reads the same columns with NULL for the curve.
	trialColsNoCurve = `experiment_id, name, seq, state, reason, message, assignments, labels, observation, NULL, rule,
	stop, run_id, tasks, created_at, started_at, completed_at`
)

// TrialListOptions chooses what ListTrials reads.
type TrialListOptions struct {
	// Curves reads each trial's Curve: the objective's reports, up to
	// tune.MaxMetricLogs values a trial, which only early stopping needs.
	// Without it Curve is nil, so that a list made for people (the API's
	// views and event stream, the CLI) does not read megabytes a trial.
	Curves bool
}

const (
	insertTrial = `INSERT INTO trials (` + trialCols + `) VALUES
		(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	updateTrial = `UPDATE trials SET state = ?, reason = ?, message = ?, assignments = ?, labels = ?,
		observation = ?, curve = ?, rule = ?, stop = ?, run_id = ?, tasks = ?, created_at = ?,
		started_at = ?, completed_at = ? WHERE experiment_id = ? AND name = ?`
)

func scanTuning(r rowScanner, withPipeline bool) (*TuningExperiment, error) {
	var x TuningExperiment
	var seed int64
	dest := []any{&x.ID, &x.Name, &x.Namespace, jsonCol{&x.Spec}, &x.PipelineID, &x.PipelineVersionID,
		&x.PipelineRoot, &x.NoCache, &seed, &x.Condition, jsonCol{&x.Status}, &x.NextTrial, &x.Exhausted,
		&x.SuggestionError, &x.CancelRequested, timeCol{&x.CreatedAt}, timeCol{&x.CompletedAt}, timeCol{&x.UpdatedAt}}
	if withPipeline {
		dest = append(dest, jsonCol{&x.PipelineSpec})
	}
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	x.Seed = uint64(seed)
	return &x, nil
}

var tuningLister = &lister[*TuningExperiment]{
	kind:  "tuning experiments",
	table: "tuning_experiments",
	cols:  tuningListCols,
	scan:  func(r rowScanner) (*TuningExperiment, error) { return scanTuning(r, false) },
	id:    func(e *TuningExperiment) string { return e.ID },
	size: func(e *TuningExperiment) int {
		return len(e.Spec) + len(e.Status) + textBytes(e.ID, e.Name, e.Namespace, e.PipelineID,
			e.PipelineVersionID, e.PipelineRoot, e.Condition, e.SuggestionError)
	},
	fields: fieldsOf([]*field[*TuningExperiment]{
		strField("id", "id", func(e *TuningExperiment) string { return e.ID }),
		strField("name", "name", func(e *TuningExperiment) string { return e.Name }),
		strField("namespace", "namespace", func(e *TuningExperiment) string { return e.Namespace }),
		strField("condition", "condition", func(e *TuningExperiment) string { return e.Condition }),
		timeField("created_at", "created_at", func(e *TuningExperiment) time.Time { return e.CreatedAt }),
		timeField("completed_at", "completed_at", func(e *TuningExperiment) time.Time { return e.CompletedAt }),
	}, map[string]string{"experiment_id": "id", "display_name": "name"}),
}

// tuningArgs are the arguments of updateTuning without the trailing id, or,
// with the pipeline spec, of insertTuning without the leading one.
func (s *sqlStore) tuningArgs(x *TuningExperiment, withPipeline bool) ([]any, error) {
	if err := checkJSON(jsonField{"spec", x.Spec}, jsonField{"status", x.Status}, jsonField{"pipeline spec", x.PipelineSpec}); err != nil {
		return nil, err
	}
	if len(x.Spec) == 0 || withPipeline && len(x.PipelineSpec) == 0 {
		return nil, fmt.Errorf("a tuning experiment needs its spec and its pipeline spec: %w", ErrInvalid)
	}
	d := s.d
	args := []any{x.Name, x.Namespace, d.jsonArg(x.Spec), x.PipelineID, x.PipelineVersionID, x.PipelineRoot,
		x.NoCache, int64(x.Seed), x.Condition, d.jsonArg(x.Status), x.NextTrial, x.Exhausted, x.SuggestionError,
		x.CancelRequested, d.timeArg(x.CreatedAt), d.timeArg(x.CompletedAt), d.timeArg(x.UpdatedAt)}
	if withPipeline {
		args = append(args, d.jsonArg(x.PipelineSpec))
	}
	return args, nil
}

func (s *sqlStore) CreateTuningExperiment(ctx context.Context, e *TuningExperiment) error {
	if e.ID == "" {
		e.ID = newID()
	}
	e.CreatedAt = orNow(e.CreatedAt)
	e.CompletedAt = normTime(e.CompletedAt)
	e.UpdatedAt = orNow(e.UpdatedAt)
	args, err := s.tuningArgs(e, true)
	if err != nil {
		return fmt.Errorf("create tuning experiment %q: %w", e.Name, err)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, insertTuning, append([]any{e.ID}, args...)...); err != nil {
			return fmt.Errorf("create tuning experiment %q: %w", e.Name, mapErr(err))
		}
		return nil
	})
}

func (s *sqlStore) GetTuningExperiment(ctx context.Context, id string) (*TuningExperiment, error) {
	e, err := scanTuning(s.queryRow(ctx, s.db, `SELECT `+tuningCols+` FROM tuning_experiments WHERE id = ?`, id), true)
	if err != nil {
		return nil, notFound(err, "get tuning experiment", id)
	}
	return e, nil
}

func (s *sqlStore) GetTuningExperimentByName(ctx context.Context, namespace, name string) (*TuningExperiment, error) {
	e, err := scanTuning(s.queryRow(ctx, s.db, `SELECT `+tuningCols+` FROM tuning_experiments WHERE namespace = ? AND name = ?`,
		namespace, name), true)
	if err != nil {
		return nil, notFound(err, "get tuning experiment by name", namespace+"/"+name)
	}
	return e, nil
}

func (s *sqlStore) ListTuningExperiments(ctx context.Context, opts ListOptions) (*Page[*TuningExperiment], error) {
	return list(ctx, s, tuningLister, opts, where{})
}

func (s *sqlStore) UpdateTuningExperiment(ctx context.Context, id string, f func(e *TuningExperiment) error) (*TuningExperiment, error) {
	var out *TuningExperiment
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		e, err := scanTuning(s.queryRow(ctx, tx, `SELECT `+tuningListCols+` FROM tuning_experiments WHERE id = ?`+s.d.forUpdate(), id), false)
		if err != nil {
			return notFound(err, "update tuning experiment", id)
		}
		if err := f(e); err != nil {
			return err
		}
		e.ID = id
		e.CreatedAt = normTime(e.CreatedAt)
		e.CompletedAt = normTime(e.CompletedAt)
		e.UpdatedAt = now()
		e.PipelineSpec = nil
		args, err := s.tuningArgs(e, false)
		if err != nil {
			return fmt.Errorf("update tuning experiment %q: %w", id, err)
		}
		if _, err := s.exec(ctx, tx, updateTuning, append(args, id)...); err != nil {
			return fmt.Errorf("update tuning experiment %q: %w", id, mapErr(err))
		}
		out = e
		return nil
	})
	return out, err
}

func (s *sqlStore) DeleteTuningExperiment(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `DELETE FROM trials WHERE experiment_id = ?`, id); err != nil {
			return fmt.Errorf("delete tuning experiment %q: %w", id, err)
		}
		res, err := s.exec(ctx, tx, `DELETE FROM tuning_experiments WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete tuning experiment %q: %w", id, err)
		}
		return affectedOne(res, "delete tuning experiment", id)
	})
}

func (s *sqlStore) TuningExperimentsInProgress(ctx context.Context) ([]string, error) {
	rows, err := s.query(ctx, s.db, tuningInProgress)
	if err != nil {
		return nil, fmt.Errorf("tuning experiments in progress: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func scanTrial(r rowScanner) (*Trial, error) {
	var t Trial
	err := r.Scan(&t.ExperimentID, &t.Name, &t.Seq, &t.State, &t.Reason, &t.Message, jsonCol{&t.Assignments},
		decodeCol[map[string]string]{&t.Labels}, jsonCol{&t.Observation}, jsonCol{&t.Curve}, jsonCol{&t.Rule},
		&t.Stop, &t.RunID, jsonCol{&t.Tasks}, timeCol{&t.CreatedAt}, timeCol{&t.StartedAt}, timeCol{&t.CompletedAt})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// trialArgs are the arguments of updateTrial without the trailing keys.
func (s *sqlStore) trialArgs(t *Trial) ([]any, error) {
	if err := checkJSON(jsonField{"assignments", t.Assignments}, jsonField{"observation", t.Observation},
		jsonField{"curve", t.Curve}, jsonField{"rule", t.Rule}, jsonField{"tasks", t.Tasks}); err != nil {
		return nil, err
	}
	labels, err := s.d.marshalArg(t.Labels)
	if err != nil {
		return nil, err
	}
	d := s.d
	return []any{t.State, t.Reason, t.Message, d.jsonArg(t.Assignments), labels, d.jsonArg(t.Observation),
		d.jsonArg(t.Curve), d.jsonArg(t.Rule), t.Stop, t.RunID, d.jsonArg(t.Tasks), d.timeArg(t.CreatedAt),
		d.timeArg(t.StartedAt), d.timeArg(t.CompletedAt)}, nil
}

func (s *sqlStore) CreateTrials(ctx context.Context, experimentID string, ts []*Trial) error {
	if len(ts) == 0 {
		return nil
	}
	next := 0
	for _, t := range ts {
		next = max(next, t.Seq+1)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// The experiment's row first: it must exist, and stays locked.
		res, err := s.exec(ctx, tx, `UPDATE tuning_experiments SET next_trial = CASE WHEN next_trial < ? THEN ? ELSE next_trial END,
			updated_at = ? WHERE id = ?`, next, next, s.d.timeArg(now()), experimentID)
		if err != nil {
			return err
		}
		if err := affectedOne(res, "tuning experiment", experimentID); err != nil {
			return err
		}
		for _, t := range ts {
			t.ExperimentID = experimentID
			t.CreatedAt = orNow(t.CreatedAt)
			t.StartedAt, t.CompletedAt = normTime(t.StartedAt), normTime(t.CompletedAt)
			args, err := s.trialArgs(t)
			if err != nil {
				return fmt.Errorf("trial %q: %w", t.Name, err)
			}
			// trialArgs puts the states first; the insert wants the keys first.
			if _, err := s.exec(ctx, tx, insertTrial, append([]any{experimentID, t.Name, t.Seq}, args...)...); err != nil {
				return fmt.Errorf("trial %q: %w", t.Name, mapErr(err))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create %d trials of %q: %w", len(ts), experimentID, err)
	}
	return nil
}

func (s *sqlStore) ListTrials(ctx context.Context, experimentID string, opts TrialListOptions) ([]*Trial, error) {
	cols := trialCols
	if !opts.Curves {
		cols = trialColsNoCurve
	}
	rows, err := s.query(ctx, s.db, `SELECT `+cols+` FROM trials WHERE experiment_id = ? ORDER BY seq`, experimentID)
	if err != nil {
		return nil, fmt.Errorf("list trials of %q: %w", experimentID, err)
	}
	defer rows.Close()
	var out []*Trial
	for rows.Next() {
		t, err := scanTrial(rows)
		if err != nil {
			return nil, fmt.Errorf("list trials of %q: %w", experimentID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *sqlStore) GetTrial(ctx context.Context, experimentID, name string) (*Trial, error) {
	t, err := scanTrial(s.queryRow(ctx, s.db, `SELECT `+trialCols+` FROM trials WHERE experiment_id = ? AND name = ?`, experimentID, name))
	if err != nil {
		return nil, notFound(err, "get trial", experimentID+"/"+name)
	}
	return t, nil
}

func (s *sqlStore) UpdateTrial(ctx context.Context, experimentID, name string, f func(t *Trial) error) (*Trial, error) {
	var out *Trial
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		t, err := scanTrial(s.queryRow(ctx, tx, `SELECT `+trialCols+` FROM trials WHERE experiment_id = ? AND name = ?`+s.d.forUpdate(), experimentID, name))
		if err != nil {
			return notFound(err, "update trial", experimentID+"/"+name)
		}
		seq := t.Seq
		if err := f(t); err != nil {
			return err
		}
		t.ExperimentID, t.Name, t.Seq = experimentID, name, seq
		t.CreatedAt, t.StartedAt, t.CompletedAt = normTime(t.CreatedAt), normTime(t.StartedAt), normTime(t.CompletedAt)
		args, err := s.trialArgs(t)
		if err != nil {
			return fmt.Errorf("update trial %q: %w", name, err)
		}
		if _, err := s.exec(ctx, tx, updateTrial, append(args, experimentID, name)...); err != nil {
			return fmt.Errorf("update trial %q: %w", name, mapErr(err))
		}
		out = t
		return nil
	})
	return out, err
}

func (s *sqlStore) DeleteTrial(ctx context.Context, experimentID, name string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `DELETE FROM trials WHERE experiment_id = ? AND name = ?`, experimentID, name)
		if err != nil {
			return fmt.Errorf("delete trial %q: %w", name, err)
		}
		return affectedOne(res, "delete trial", experimentID+"/"+name)
	})
}

func (s *sqlStore) RunStates(ctx context.Context, ids []string) (map[string]RunState, error) {
	out := make(map[string]RunState, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		ph := strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
		rows, err := s.query(ctx, s.db, `SELECT id, state, error, created_at, finished_at FROM runs WHERE id IN (`+ph+`)`, anys(ids[:n])...)
		if err != nil {
			return nil, fmt.Errorf("run states: %w", err)
		}
		for rows.Next() {
			var id string
			var st RunState
			if err := rows.Scan(&id, &st.State, &st.Error, timeCol{&st.CreatedAt}, timeCol{&st.FinishedAt}); err != nil {
				rows.Close()
				return nil, fmt.Errorf("run states: %w", err)
			}
			out[id] = st
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("run states: %w", err)
		}
		ids = ids[n:]
	}
	return out, nil
}

func (s *sqlStore) SetTuningStatus(ctx context.Context, id string, p TuningProgress) error {
	if err := checkJSON(jsonField{"status", p.Status}); err != nil {
		return err
	}
	unlock := s.lockWriter()
	defer unlock()
	res, err := s.exec(ctx, s.db, `UPDATE tuning_experiments SET condition = ?, status = ?, exhausted = ?,
		suggestion_error = ?, completed_at = ?, updated_at = ? WHERE id = ?`,
		p.Condition, s.d.jsonArg(p.Status), p.Exhausted, p.SuggestionError, s.d.timeArg(p.CompletedAt), s.d.timeArg(now()), id)
	if err != nil {
		return fmt.Errorf("set the status of tuning experiment %q: %w", id, err)
	}
	return affectedOne(res, "set the status of tuning experiment", id)
}

func (s *sqlStore) SaveTrial(ctx context.Context, t *Trial) error {
	t.CreatedAt, t.StartedAt, t.CompletedAt = normTime(t.CreatedAt), normTime(t.StartedAt), normTime(t.CompletedAt)
	args, err := s.trialArgs(t)
	if err != nil {
		return fmt.Errorf("save trial %q: %w", t.Name, err)
	}
	unlock := s.lockWriter()
	defer unlock()
	res, err := s.exec(ctx, s.db, updateTrial, append(args, t.ExperimentID, t.Name)...)
	if err != nil {
		return fmt.Errorf("save trial %q: %w", t.Name, mapErr(err))
	}
	return affectedOne(res, "save trial", t.ExperimentID+"/"+t.Name)
}
