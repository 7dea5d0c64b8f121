package store

import (
	"context"
	"errors"
	"time"

	"github.com/sluicehq/sluice/runstate"
)

// Sentinel errors.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict is an operation refused by the current state (e.g.
	// deleting a pipeline that still has versions without cascade).
	ErrConflict = errors.New("conflict")
	// ErrInvalid is a bad list option (unknown sort or filter key, bad
	// page token, bad filter value).
	ErrInvalid = errors.New("invalid argument")
)

// Storage states of runs and experiments.
const (
	Available = "AVAILABLE"
	Archived  = "ARCHIVED"
)

// Pipeline is a named pipeline; its specs live in its versions.
type Pipeline struct {
	ID          string
	Name        string
	DisplayName string
	Description string
	Namespace   string
	Tags        map[string]string
	CreatedAt   time.Time
}

// PipelineVersion is one uploaded spec of a pipeline.
type PipelineVersion struct {
	ID            string
	PipelineID    string
	Name          string
	DisplayName   string
	Description   string
	CodeSourceURL string
	PackageURL    string
	// Spec is the pipeline spec as JSON: the bare PipelineSpec, or
	// {"pipeline_spec": ..., "platform_spec": ...}.
	Spec      []byte
	Tags      map[string]string
	CreatedAt time.Time
}

// Experiment groups runs.
type Experiment struct {
	ID               string
	DisplayName      string
	Description      string
	Namespace        string
	StorageState     string
	CreatedAt        time.Time
	LastRunCreatedAt time.Time
}

// StateChange is one entry of a run's state history.
type StateChange struct {
	State runstate.State `json:"state"`
	Time  time.Time      `json:"time"`
	Error string         `json:"error,omitempty"`
}

// Run is one execution of a pipeline spec.
type Run struct {
	ID                string
	ExperimentID      string
	DisplayName       string
	Description       string
	StorageState      string
	PipelineID        string
	PipelineVersionID string
	// Spec is the pipeline spec JSON the run executes (copied at creation).
	Spec []byte
	// Params is the JSON object of runtime parameters.
	Params         []byte
	PipelineRoot   string
	ServiceAccount string
	NoCache        bool
	RecurringRunID string
	State          runstate.State
	Error          string
	// Outputs is the JSON of the root DAG's outputs once the run ends.
	Outputs      []byte
	CreatedAt    time.Time
	ScheduledAt  time.Time
	FinishedAt   time.Time
	StateHistory []StateChange
	// Labels mark what a run belongs to besides its experiment (a tuning
	// experiment's trial); filterable as labels.<key>.
	Labels map[string]string
}

// Task is one task instance of a run, keyed by (RunID, ID) where ID is the
// task's path in the run ("for-loop-2/0/train").
type Task struct {
	RunID    string
	ID       string
	ParentID string
	Key      string
	Name     string
	Kind     string
	State    runstate.State
	Cached   bool
	Attempts int
	Image    string
	Argv     []string
	ExitCode *int
	Error    string
	// Inputs and Outputs are JSON ({"parameters": {...}, "artifacts": {...}}).
	Inputs   []byte
	Outputs  []byte
	LogURI   string
	Created  time.Time
	Started  time.Time
	Finished time.Time
	// LogTail is the end of the log of a step that failed (engine.LogTail).
	LogTail string
	// Resources is what the task's last attempt used (usage.Usage as
	// JSON), nil when it was not measured.
	Resources []byte
}

// RecurringRun starts runs on a schedule.
type RecurringRun struct {
	ID                string
	DisplayName       string
	Description       string
	ExperimentID      string
	PipelineID        string
	PipelineVersionID string
	Spec              []byte
	Params            []byte
	PipelineRoot      string
	ServiceAccount    string
	MaxConcurrency    int64
	// Exactly one of Cron and IntervalSecond is set.
	Cron           string
	IntervalSecond int64
	StartTime      time.Time
	EndTime        time.Time
	Enabled        bool
	NoCatchup      bool
	// LastScheduled is the schedule time of the last run started.
	LastScheduled time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Filter operations (KFP's names).
const (
	OpEquals        = "EQUALS"
	OpNotEquals     = "NOT_EQUALS"
	OpGreater       = "GREATER_THAN"
	OpGreaterEquals = "GREATER_THAN_EQUALS"
	OpLess          = "LESS_THAN"
	OpLessEquals    = "LESS_THAN_EQUALS"
	OpIn            = "IN"
	OpSubstring     = "IS_SUBSTRING"
)

// Predicate is one filter condition. Key is a domain field name as the
// API names it (display_name, created_at, state, experiment_id, tags.<k>,
// ...). Value is a string, an int64, a time.Time, or a slice of those for IN.
type Predicate struct {
	Key   string
	Op    string
	Value any
}

// ListOptions selects a page of a list. SortBy is an API field name
// (default created_at); a PageToken from a previous page carries the sort
// and filter with it and wins over them.
type ListOptions struct {
	PageSize  int
	PageToken string
	SortBy    string
	Desc      bool
	Filter    []Predicate
}

// Page is one page of a list. TotalSize counts every item matching the
// filter.
type Page[T any] struct {
	Items         []T
	NextPageToken string
	TotalSize     int
	// after is TokenAfter's token (nil for a page not made by a list).
	after func(i int) string
}

// TokenAfter is the page token of the items after Items[i], in the
// page's order and with its filter: a caller that answers with only
// Items[:i+1] (its own byte bound) gives it as the next page token. For
// the last item it is NextPageToken.
func (p *Page[T]) TokenAfter(i int) string {
	if p.after == nil || i < 0 || i >= len(p.Items) {
		return p.NextPageToken
	}
	return p.after(i)
}

// Store is the persistence the server needs. Every method is safe for
// concurrent use. Lookups of missing rows return ErrNotFound (wrapped).
type Store interface {
	// CreatePipeline stores a pipeline and, when v is not nil, its first
	// version, in one transaction. Names are unique per namespace
	// (ErrAlreadyExists).
	CreatePipeline(ctx context.Context, p *Pipeline, v *PipelineVersion) error
	GetPipeline(ctx context.Context, id string) (*Pipeline, error)
	GetPipelineByName(ctx context.Context, namespace, name string) (*Pipeline, error)
	ListPipelines(ctx context.Context, opts ListOptions) (*Page[*Pipeline], error)
	UpdatePipeline(ctx context.Context, p *Pipeline) error
	// DeletePipeline removes a pipeline; with versions it needs cascade
	// (ErrConflict otherwise), which removes them too.
	DeletePipeline(ctx context.Context, id string, cascade bool) error

	// CreatePipelineVersion stores a version; names are unique per pipeline.
	CreatePipelineVersion(ctx context.Context, v *PipelineVersion) error
	GetPipelineVersion(ctx context.Context, id string) (*PipelineVersion, error)
	// LatestPipelineVersion returns the most recently created version.
	LatestPipelineVersion(ctx context.Context, pipelineID string) (*PipelineVersion, error)
	ListPipelineVersions(ctx context.Context, pipelineID string, opts ListOptions) (*Page[*PipelineVersion], error)
	UpdatePipelineVersion(ctx context.Context, v *PipelineVersion) error
	DeletePipelineVersion(ctx context.Context, id string) error

	// CreateExperiment stores an experiment; display names are unique per
	// namespace.
	CreateExperiment(ctx context.Context, e *Experiment) error
	GetExperiment(ctx context.Context, id string) (*Experiment, error)
	GetExperimentByName(ctx context.Context, namespace, name string) (*Experiment, error)
	ListExperiments(ctx context.Context, opts ListOptions) (*Page[*Experiment], error)
	// SetExperimentStorageState archives or unarchives an experiment;
	// archiving also archives its runs and disables its recurring runs.
	SetExperimentStorageState(ctx context.Context, id, state string) error
	DeleteExperiment(ctx context.Context, id string) error

	// CreateRun stores a run (and bumps its experiment's LastRunCreatedAt).
	CreateRun(ctx context.Context, r *Run) error
	// CreateRuns stores many runs in one transaction, as CreateRun each
	// (imports, benchmarks).
	CreateRuns(ctx context.Context, rs []*Run) error
	GetRun(ctx context.Context, id string) (*Run, error)
	// ListRuns lists runs without their Spec (filled only by GetRun).
	ListRuns(ctx context.Context, opts ListOptions) (*Page[*Run], error)
	// UpdateRun reads a run, lets f change it, and writes it back in one
	// transaction. An error from f aborts the update and is returned. The
	// end of a run that ended (state, end time, error, outputs) is final:
	// rewriting it is an ErrConflict, except a retry (FAILED or CANCELED
	// to PENDING), which also deletes the records of the run's tasks that
	// did not succeed.
	UpdateRun(ctx context.Context, id string, f func(r *Run) error) (*Run, error)
	DeleteRun(ctx context.Context, id string) error
	// RunsInState returns the ids of runs in any of the states.
	RunsInState(ctx context.Context, states ...runstate.State) ([]string, error)
	// CountActiveRuns counts runs of a recurring run that are not finished.
	CountActiveRuns(ctx context.Context, recurringRunID string) (int, error)

	// PutTask inserts or replaces a task of a run; a task whose record is
	// terminal is left as it is (a final record is never rewritten). Concurrent calls are
	// committed in one transaction; each returns once its row is committed.
	PutTask(ctx context.Context, t *Task) error
	// ListTasks returns a run's tasks in creation order.
	ListTasks(ctx context.Context, runID string) ([]*Task, error)
	// GetTask returns one task of a run (ErrNotFound if there is none).
	GetTask(ctx context.Context, runID, id string) (*Task, error)
	// ListTaskSummaries is ListTasks without the tasks' Argv, Inputs,
	// Outputs, Image and LogURI (a run's task list as the API shows it).
	ListTaskSummaries(ctx context.Context, runID string) ([]*Task, error)
	// DeleteTasks removes a run's tasks (retry starts afresh).
	DeleteTasks(ctx context.Context, runID string) error
	// ResetTasks removes the records of a run's tasks that did not
	// succeed, before the run resumes: those tasks run again and are
	// recorded afresh (a final record is otherwise never rewritten).
	ResetTasks(ctx context.Context, runID string) error

	CreateRecurringRun(ctx context.Context, rr *RecurringRun) error
	GetRecurringRun(ctx context.Context, id string) (*RecurringRun, error)
	ListRecurringRuns(ctx context.Context, opts ListOptions) (*Page[*RecurringRun], error)
	UpdateRecurringRun(ctx context.Context, id string, f func(rr *RecurringRun) error) (*RecurringRun, error)
	DeleteRecurringRun(ctx context.Context, id string) error

	// Cache entries: step outputs by cache key.
	GetCacheEntry(ctx context.Context, key string) ([]byte, bool, error)
	PutCacheEntry(ctx context.Context, key string, outputs []byte) error

	// Tuning experiments and their trials (tuning.go).
	Tuning

	// IDsWithPrefix returns up to limit ids of kind that start with
	// prefix, in order (prefix.go); ErrInvalid for an unknown kind or a
	// prefix that cannot start an id.
	IDsWithPrefix(ctx context.Context, kind Kind, prefix string, limit int) ([]string, error)

	Close() error
}
