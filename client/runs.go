package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// CreateRunRequest describes a run to start. Set either PipelineSpec (a
// bare PipelineSpec object, or {"pipeline_spec": ..., "platform_spec":
// ...}) or PipelineID, with PipelineVersionID or without it for the
// latest version. An empty ExperimentID puts the run in the default
// experiment.
type CreateRunRequest struct {
	ExperimentID      string
	DisplayName       string
	Description       string
	PipelineSpec      json.RawMessage
	PipelineID        string
	PipelineVersionID string
	Parameters        map[string]any
	PipelineRoot      string
	ServiceAccount    string
}

func runtimeConfig(params map[string]any, root string) (*wire.RuntimeConfig, error) {
	if len(params) == 0 && root == "" {
		return nil, nil
	}
	rc := &wire.RuntimeConfig{PipelineRoot: root}
	if len(params) > 0 {
		b, err := json.Marshal(params)
		if err != nil {
			return nil, fmt.Errorf("parameters: %w", err)
		}
		rc.Parameters = b
	}
	return rc, nil
}

func versionRef(pipelineID, versionID string) *wire.PipelineVersionReference {
	if pipelineID == "" && versionID == "" {
		return nil
	}
	return &wire.PipelineVersionReference{PipelineID: pipelineID, PipelineVersionID: versionID}
}

var errNoSource = errors.New("set either a pipeline spec or a pipeline id, not both")

// CreateRun starts a run.
func (c *Client) CreateRun(ctx context.Context, req CreateRunRequest) (*wire.Run, error) {
	if len(req.PipelineSpec) > 0 && req.PipelineID != "" {
		return nil, errNoSource
	}
	rc, err := runtimeConfig(req.Parameters, req.PipelineRoot)
	if err != nil {
		return nil, err
	}
	in := wire.Run{
		ExperimentID:             req.ExperimentID,
		DisplayName:              req.DisplayName,
		Description:              req.Description,
		PipelineSpec:             req.PipelineSpec,
		PipelineVersionReference: versionRef(req.PipelineID, req.PipelineVersionID),
		RuntimeConfig:            rc,
		ServiceAccount:           req.ServiceAccount,
	}
	return call[wire.Run](ctx, c, http.MethodPost, "/runs", nil, in)
}

// GetRun gets a run with its tasks (run_details.task_details).
func (c *Client) GetRun(ctx context.Context, id string) (*wire.Run, error) {
	return call[wire.Run](ctx, c, http.MethodGet, "/runs/"+esc(id), nil, nil)
}

// ListRuns lists runs, those of one experiment when experimentID is set.
func (c *Client) ListRuns(ctx context.Context, experimentID string, opts ListOptions) (*wire.ListRunsResponse, error) {
	q := opts.query()
	set(q, "experiment_id", experimentID)
	return call[wire.ListRunsResponse](ctx, c, http.MethodGet, "/runs", q, nil)
}

func (c *Client) runAction(ctx context.Context, id, verb string) error {
	return c.do(ctx, http.MethodPost, "/runs/"+esc(id)+":"+verb, nil, nil, nil)
}

// TerminateRun cancels a run: it goes CANCELING, then CANCELED.
func (c *Client) TerminateRun(ctx context.Context, id string) error {
	return c.runAction(ctx, id, "terminate")
}

// RetryRun starts a failed or canceled run again, in place.
func (c *Client) RetryRun(ctx context.Context, id string) error {
	return c.runAction(ctx, id, "retry")
}

// ArchiveRun archives a run.
func (c *Client) ArchiveRun(ctx context.Context, id string) error {
	return c.runAction(ctx, id, "archive")
}

// UnarchiveRun restores an archived run.
func (c *Client) UnarchiveRun(ctx context.Context, id string) error {
	return c.runAction(ctx, id, "unarchive")
}

// DeleteRun deletes a run.
func (c *Client) DeleteRun(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/runs/"+esc(id), nil, nil, nil)
}

// CreateRecurringRunRequest describes a recurring run. Set Cron (5 or 6
// fields, or a descriptor such as @hourly) or Interval (whole seconds).
// Enabled false creates it disabled. MaxConcurrency 0 leaves the server's
// default (1). The pipeline is chosen as in CreateRunRequest.
type CreateRecurringRunRequest struct {
	ExperimentID      string
	DisplayName       string
	Description       string
	PipelineSpec      json.RawMessage
	PipelineID        string
	PipelineVersionID string
	Parameters        map[string]any
	PipelineRoot      string
	ServiceAccount    string
	Cron              string
	Interval          time.Duration
	StartTime         time.Time
	EndTime           time.Time
	MaxConcurrency    int64
	NoCatchup         bool
	Enabled           bool
}

// CreateRecurringRun creates a recurring run.
func (c *Client) CreateRecurringRun(ctx context.Context, req CreateRecurringRunRequest) (*wire.RecurringRun, error) {
	if len(req.PipelineSpec) > 0 && req.PipelineID != "" {
		return nil, errNoSource
	}
	if (req.Cron == "") == (req.Interval == 0) {
		return nil, errors.New("set either a cron expression or an interval")
	}
	if req.Interval != 0 && (req.Interval < time.Second || req.Interval%time.Second != 0) {
		return nil, errors.New("the interval must be a whole number of seconds")
	}
	t := &wire.Trigger{}
	if req.Cron != "" {
		t.CronSchedule = &wire.CronSchedule{Cron: req.Cron, StartTime: wire.Time(req.StartTime), EndTime: wire.Time(req.EndTime)}
	} else {
		t.PeriodicSchedule = &wire.PeriodicSchedule{IntervalSecond: wire.Int64(req.Interval / time.Second), StartTime: wire.Time(req.StartTime), EndTime: wire.Time(req.EndTime)}
	}
	mode := "DISABLE"
	if req.Enabled {
		mode = "ENABLE"
	}
	rc, err := runtimeConfig(req.Parameters, req.PipelineRoot)
	if err != nil {
		return nil, err
	}
	in := wire.RecurringRun{
		ExperimentID:             req.ExperimentID,
		DisplayName:              req.DisplayName,
		Description:              req.Description,
		PipelineSpec:             req.PipelineSpec,
		PipelineVersionReference: versionRef(req.PipelineID, req.PipelineVersionID),
		RuntimeConfig:            rc,
		ServiceAccount:           req.ServiceAccount,
		MaxConcurrency:           wire.Int64(req.MaxConcurrency),
		Trigger:                  t,
		Mode:                     wire.Enum(mode),
		NoCatchup:                req.NoCatchup,
	}
	return call[wire.RecurringRun](ctx, c, http.MethodPost, "/recurringruns", nil, in)
}

// GetRecurringRun gets a recurring run.
func (c *Client) GetRecurringRun(ctx context.Context, id string) (*wire.RecurringRun, error) {
	return call[wire.RecurringRun](ctx, c, http.MethodGet, "/recurringruns/"+esc(id), nil, nil)
}

// ListRecurringRuns lists recurring runs, those of one experiment when
// experimentID is set.
func (c *Client) ListRecurringRuns(ctx context.Context, experimentID string, opts ListOptions) (*wire.ListRecurringRunsResponse, error) {
	q := opts.query()
	set(q, "experiment_id", experimentID)
	return call[wire.ListRecurringRunsResponse](ctx, c, http.MethodGet, "/recurringruns", q, nil)
}

// EnableRecurringRun lets a recurring run start runs again.
func (c *Client) EnableRecurringRun(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPost, "/recurringruns/"+esc(id)+":enable", nil, nil, nil)
}

// DisableRecurringRun stops a recurring run from starting runs.
func (c *Client) DisableRecurringRun(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPost, "/recurringruns/"+esc(id)+":disable", nil, nil, nil)
}

// DeleteRecurringRun deletes a recurring run (not the runs it started).
func (c *Client) DeleteRecurringRun(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/recurringruns/"+esc(id), nil, nil, nil)
}
