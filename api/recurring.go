package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/schedule"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

// Recurring-run limits (KFP's).
const (
	defaultMaxConcurrency = 1
	maxMaxConcurrency     = 10
)

func toWireRecurringRun(rr *store.RecurringRun) wire.RecurringRun {
	w := wire.RecurringRun{
		RecurringRunID: rr.ID,
		DisplayName:    rr.DisplayName,
		Description:    rr.Description,
		ServiceAccount: rr.ServiceAccount,
		MaxConcurrency: wire.Int64(rr.MaxConcurrency),
		CreatedAt:      ts(rr.CreatedAt),
		UpdatedAt:      ts(rr.UpdatedAt),
		NoCatchup:      rr.NoCatchup,
		ExperimentID:   rr.ExperimentID,
		Status:         "DISABLED",
		Mode:           "DISABLE",
	}
	if rr.Enabled {
		w.Status, w.Mode = "ENABLED", "ENABLE"
	}
	if rr.PipelineVersionID != "" || rr.PipelineID != "" {
		w.PipelineVersionReference = &wire.PipelineVersionReference{PipelineID: rr.PipelineID, PipelineVersionID: rr.PipelineVersionID}
	} else {
		w.PipelineSpec = rawOrNil(rr.Spec)
	}
	if rawOrNil(rr.Params) != nil || rr.PipelineRoot != "" {
		w.RuntimeConfig = &wire.RuntimeConfig{Parameters: rawOrNil(rr.Params), PipelineRoot: rr.PipelineRoot}
	}
	switch {
	case rr.Cron != "":
		w.Trigger = &wire.Trigger{CronSchedule: &wire.CronSchedule{StartTime: ts(rr.StartTime), EndTime: ts(rr.EndTime), Cron: rr.Cron}}
	case rr.IntervalSecond != 0:
		w.Trigger = &wire.Trigger{PeriodicSchedule: &wire.PeriodicSchedule{StartTime: ts(rr.StartTime), EndTime: ts(rr.EndTime), IntervalSecond: wire.Int64(rr.IntervalSecond)}}
	}
	return w
}

// checkTrigger validates a trigger and fills the schedule of rr.
func checkTrigger(t *wire.Trigger, rr *store.RecurringRun) error {
	if t == nil || (t.CronSchedule == nil && t.PeriodicSchedule == nil) {
		return invalidf("trigger is required: set trigger.cron_schedule or trigger.periodic_schedule")
	}
	if t.CronSchedule != nil && t.PeriodicSchedule != nil {
		return invalidf("trigger: set only one of cron_schedule and periodic_schedule")
	}
	var start, end wire.Timestamp
	if c := t.CronSchedule; c != nil {
		cron := strings.TrimSpace(c.Cron)
		if err := checkCron(cron); err != nil {
			return err
		}
		rr.Cron, start, end = cron, c.StartTime, c.EndTime
	} else {
		p := t.PeriodicSchedule
		if p.IntervalSecond < 1 {
			return invalidf("trigger.periodic_schedule.interval_second must be at least 1, got %d", p.IntervalSecond)
		}
		rr.IntervalSecond, start, end = int64(p.IntervalSecond), p.StartTime, p.EndTime
	}
	if !start.IsZero() && !end.IsZero() && !end.After(start.Time) {
		return invalidf("trigger: end_time must be after start_time")
	}
	rr.StartTime, rr.EndTime = start.Time, end.Time
	return nil
}

// checkCron accepts what the scheduler runs: 5 fields, 6 fields (seconds
// first, as the KFP SDK documents) or a descriptor such as "@hourly" or
// "@every 1h30m".
func checkCron(cron string) error {
	if cron == "" {
		return invalidf("trigger.cron_schedule.cron is required")
	}
	if _, err := schedule.ParseCron(cron); err != nil {
		return invalidf("trigger.cron_schedule.%v (expected 6 fields: second minute hour day-of-month month day-of-week, 5 fields, or a descriptor such as @hourly)", err)
	}
	return nil
}

func (s *server) createRecurringRun(r *http.Request) (any, error) {
	var in wire.RecurringRun
	if err := s.decodeBody(r, "RecurringRun", &in); err != nil {
		return nil, err
	}
	ctx := r.Context()
	mode, err := enumName(in.Mode, "mode", wire.ModeNames)
	if err != nil {
		return nil, err
	}
	rr, err := s.newRecurringRun(int64(in.MaxConcurrency), in.Trigger)
	if err != nil {
		return nil, err
	}
	rr.Description, rr.ServiceAccount, rr.Enabled, rr.NoCatchup = in.Description, in.ServiceAccount, mode == "ENABLE", in.NoCatchup
	src, err := s.resolveSource(ctx, "recurring run", in.PipelineSpec, in.PipelineVersionReference, in.PipelineVersionID)
	if err != nil {
		return nil, err
	}
	rc := in.RuntimeConfig
	if rc == nil {
		rc = &wire.RuntimeConfig{}
	}
	if rr.Params, err = checkParams(src.pipeline, rc.Parameters); err != nil {
		return nil, err
	}
	if err := s.checkRoot(src, strings.TrimSpace(rc.PipelineRoot)); err != nil {
		return nil, err
	}
	exp, err := s.experimentFor(ctx, in.ExperimentID)
	if err != nil {
		return nil, err
	}
	rr.PipelineRoot = strings.TrimSpace(rc.PipelineRoot)
	rr.DisplayName = strings.TrimSpace(in.DisplayName)
	if rr.DisplayName == "" {
		rr.DisplayName = src.pipeline.Spec.PipelineInfo.Name
	}
	if err := s.storeRecurringRun(ctx, rr, src, exp.ID); err != nil {
		return nil, err
	}
	return toWireRecurringRun(rr), nil
}

// newRecurringRun starts the store.RecurringRun a request to create one
// asks for, in either API version: its maximum concurrency and trigger
// checked, its times set; the caller fills in the rest from its request.
func (s *server) newRecurringRun(maxConc int64, trig *wire.Trigger) (*store.RecurringRun, error) {
	mc, err := maxConcurrency(maxConc)
	if err != nil {
		return nil, err
	}
	now := s.now()
	rr := &store.RecurringRun{MaxConcurrency: mc, CreatedAt: now, UpdatedAt: now}
	if err := checkTrigger(trig, rr); err != nil {
		return nil, err
	}
	return rr, nil
}

// storeRecurringRun stores a checked recurring run, of the pipeline src
// in the experiment expID.
func (s *server) storeRecurringRun(ctx context.Context, rr *store.RecurringRun, src *source, expID string) error {
	rr.ExperimentID = expID
	rr.PipelineID, rr.PipelineVersionID, rr.Spec = src.pipelineID, src.versionID, src.spec
	return s.st.CreateRecurringRun(ctx, rr)
}

func (s *server) getRecurringRun(r *http.Request) (any, error) {
	id := r.PathValue("recurring_run_id")
	rr, err := s.st.GetRecurringRun(r.Context(), id)
	if err != nil {
		return nil, notFound(err, "recurring run", id)
	}
	return toWireRecurringRun(rr), nil
}

func (s *server) listRecurringRuns(r *http.Request) (any, error) {
	q := r.URL.Query()
	opts, err := listOptions(q, recurringKeys)
	if err != nil {
		return nil, err
	}
	if e := q.Get("experiment_id"); e != "" {
		opts.Filter = append(opts.Filter, store.Predicate{Key: "experiment_id", Op: store.OpEquals, Value: e})
	}
	page, err := s.st.ListRecurringRuns(r.Context(), opts)
	if err != nil {
		return nil, err
	}
	out := wire.ListRecurringRunsResponse{TotalSize: page.TotalSize}
	out.RecurringRuns, out.NextPageToken, err = pageItems(page, plain(toWireRecurringRun))
	return out, err
}

func (s *server) deleteRecurringRun(r *http.Request) (any, error) {
	id := r.PathValue("recurring_run_id")
	if err := s.st.DeleteRecurringRun(r.Context(), id); err != nil {
		return nil, notFound(err, "recurring run", id)
	}
	return empty{}, nil
}

// recurringRunAction serves POST /recurringruns/{id}:enable and :disable.
func (s *server) recurringRunAction(r *http.Request) (any, error) {
	id, verb := splitAction(r)
	var enabled bool
	switch verb {
	case "enable":
		enabled = true
	case "disable":
	default:
		return nil, methodNotAllowed(r, "GET, DELETE")
	}
	now := s.now()
	_, err := s.st.UpdateRecurringRun(r.Context(), id, func(rr *store.RecurringRun) error {
		rr.Enabled = enabled
		rr.UpdatedAt = now
		return nil
	})
	if err != nil {
		return nil, notFound(err, "recurring run", id)
	}
	return empty{}, nil
}

// maxConcurrency checks a recurring run's max_concurrency (0: the
// default), the same for the v2beta1 and v1beta1 APIs.
func maxConcurrency(n int64) (int64, error) {
	if n == 0 {
		n = defaultMaxConcurrency
	}
	if n < 1 || n > maxMaxConcurrency {
		return 0, invalidf("max_concurrency must be between 1 and %d, got %d", maxMaxConcurrency, n)
	}
	return n, nil
}
