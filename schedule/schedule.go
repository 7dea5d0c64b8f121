package schedule

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/sluicehq/sluice/archetype"
	"github.com/sluicehq/sluice/store"
)

var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses a cron expression: 6 fields with seconds first
// ("0 0 9 ? * 2-6"), 5 fields, or a descriptor ("@hourly", "@every 90m").
func ParseCron(expr string) (cron.Schedule, error) {
	s, err := parser.Parse(strings.TrimSpace(expr))
	if err != nil {
		return nil, fmt.Errorf("cron %q: %v", expr, err)
	}
	return s, nil
}

// Next returns the first schedule time of rr strictly after t.
func Next(rr *store.RecurringRun, t time.Time) (time.Time, error) {
	if rr.Cron != "" {
		s, err := ParseCron(rr.Cron)
		if err != nil {
			return time.Time{}, err
		}
		return s.Next(t), nil
	}
	if rr.IntervalSecond <= 0 {
		return time.Time{}, errors.New("recurring run has neither a cron schedule nor an interval")
	}
	return t.Add(time.Duration(rr.IntervalSecond) * time.Second), nil
}

// Submitter starts a run.
type Submitter interface {
	Submit(ctx context.Context, r *store.Run) error
}

// Scheduler starts due runs of enabled recurring runs.
type Scheduler struct {
	archetype.Archetype
	Store store.Store
	Runs  Submitter
	Every time.Duration // how often to look (default 1s)

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// Start looks for due runs every Every until Stop.
func (s *Scheduler) Start(ctx context.Context) {
	ctx, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	every := s.Every
	if every <= 0 {
		every = time.Second
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
				s.Log().Error("schedule recurring runs", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Stop ends the loop and waits for it.
func (s *Scheduler) Stop() {
	if s.stop != nil {
		s.stop()
	}
	s.wg.Wait()
}

// Tick starts every run that is due now.
func (s *Scheduler) Tick(ctx context.Context) error {
	opts := store.ListOptions{PageSize: 200}
	for {
		page, err := s.Store.ListRecurringRuns(ctx, opts)
		if err != nil {
			return err
		}
		for _, rr := range page.Items {
			if !rr.Enabled {
				continue
			}
			if err := s.due(ctx, rr); err != nil {
				s.Log().Error("recurring run", "id", rr.ID, "err", err)
			}
		}
		if page.NextPageToken == "" {
			return nil
		}
		opts.PageToken = page.NextPageToken
	}
}

// due starts the runs of one recurring run whose time has come, at most
// MaxConcurrency unfinished at once. Without catch-up only the latest
// missed time is run.
func (s *Scheduler) due(ctx context.Context, rr *store.RecurringRun) error {
	now := s.Now()
	base := rr.LastScheduled
	if base.IsZero() {
		base = rr.CreatedAt
		if !rr.StartTime.IsZero() {
			base = rr.StartTime.Add(-time.Nanosecond)
		}
	}
	for {
		next, err := Next(rr, base)
		if err != nil {
			return err
		}
		if next.After(now) || next.IsZero() {
			return nil
		}
		if !rr.EndTime.IsZero() && next.After(rr.EndTime) {
			return nil
		}
		if rr.NoCatchup {
			// Skip to the last due time.
			for {
				after, err := Next(rr, next)
				if err != nil {
					return err
				}
				if after.After(now) || (!rr.EndTime.IsZero() && after.After(rr.EndTime)) {
					break
				}
				next = after
			}
		}
		maxc := rr.MaxConcurrency
		if maxc <= 0 {
			maxc = 1
		}
		active, err := s.Store.CountActiveRuns(ctx, rr.ID)
		if err != nil {
			return err
		}
		if int64(active) >= maxc {
			return nil // wait for one to finish
		}
		run := &store.Run{
			ID:                runID(rr.ID, next),
			ExperimentID:      rr.ExperimentID,
			DisplayName:       fmt.Sprintf("%s-%s", rr.DisplayName, next.UTC().Format("20060102150405")),
			PipelineID:        rr.PipelineID,
			PipelineVersionID: rr.PipelineVersionID,
			Spec:              rr.Spec,
			Params:            rr.Params,
			PipelineRoot:      rr.PipelineRoot,
			ServiceAccount:    rr.ServiceAccount,
			RecurringRunID:    rr.ID,
			CreatedAt:         now,
			ScheduledAt:       next,
		}
		// The run id is derived from the schedule time, so a crash between
		// starting the run and recording it starts no duplicate.
		if err := s.Runs.Submit(ctx, run); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return err
		}
		updated, err := s.Store.UpdateRecurringRun(ctx, rr.ID, func(x *store.RecurringRun) error {
			if next.After(x.LastScheduled) {
				x.LastScheduled = next
			}
			return nil
		})
		if err != nil {
			return err
		}
		rr = updated
		base = next
		if rr.NoCatchup || !rr.Enabled {
			return nil
		}
	}
}

// runID is a UUID-shaped id derived from the recurring run and the
// schedule time.
func runID(recurringID string, at time.Time) string {
	h := sha256.Sum256([]byte(recurringID + "@" + at.UTC().Format(time.RFC3339Nano)))
	b := h[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
