package schedule

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicehq/sluice/archetype"
	"github.com/sluicehq/sluice/store"
)

// storeSubmitter stores runs as PENDING, as the server's run queue does.
type storeSubmitter struct{ st store.Store }

func (s storeSubmitter) Submit(ctx context.Context, r *store.Run) error {
	r.State, r.StorageState = "PENDING", store.Available
	return s.st.CreateRun(ctx, r)
}

func setup(t *testing.T) (store.Store, *Scheduler, *time.Time) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &Scheduler{Store: st, Runs: storeSubmitter{st}, Archetype: archetype.Archetype{Clock: func() time.Time { return now }}}
	return st, s, &now
}

func runsOf(t *testing.T, st store.Store, rrID string) []*store.Run {
	t.Helper()
	page, err := st.ListRuns(context.Background(), store.ListOptions{PageSize: 200,
		Filter: []store.Predicate{{Key: "recurring_run_id", Op: store.OpEquals, Value: rrID}}})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func newRR(t *testing.T, st store.Store, rr *store.RecurringRun) *store.RecurringRun {
	t.Helper()
	e := &store.Experiment{DisplayName: "e-" + rr.DisplayName, StorageState: store.Available, CreatedAt: rr.CreatedAt}
	if err := st.CreateExperiment(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	rr.ExperimentID, rr.Spec, rr.Enabled = e.ID, []byte(`{}`), true
	if rr.MaxConcurrency == 0 {
		rr.MaxConcurrency = 10
	}
	if err := st.CreateRecurringRun(context.Background(), rr); err != nil {
		t.Fatal(err)
	}
	return rr
}

func TestIntervalCatchUpAndIdempotence(t *testing.T) {
	st, s, now := setup(t)
	rr := newRR(t, st, &store.RecurringRun{DisplayName: "every-minute", IntervalSecond: 60, CreatedAt: *now})
	*now = now.Add(150 * time.Second)
	for i := 0; i < 2; i++ {
		if err := s.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	runs := runsOf(t, st, rr.ID)
	if len(runs) != 2 {
		t.Fatalf("%d runs, want 2 (at +60s and +120s)", len(runs))
	}
	got, _ := st.GetRecurringRun(context.Background(), rr.ID)
	if want := rr.CreatedAt.Add(120 * time.Second); !got.LastScheduled.Equal(want) {
		t.Fatalf("last scheduled %v, want %v", got.LastScheduled, want)
	}
}

func TestNoCatchupRunsOnlyTheLatest(t *testing.T) {
	st, s, now := setup(t)
	rr := newRR(t, st, &store.RecurringRun{DisplayName: "nc", IntervalSecond: 60, NoCatchup: true, CreatedAt: *now})
	*now = now.Add(10 * time.Minute)
	if err := s.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	runs := runsOf(t, st, rr.ID)
	if len(runs) != 1 || !runs[0].ScheduledAt.Equal(rr.CreatedAt.Add(10*time.Minute)) {
		t.Fatalf("runs %v", runs)
	}
}

func TestMaxConcurrencyWaitsForRunsToFinish(t *testing.T) {
	st, s, now := setup(t)
	rr := newRR(t, st, &store.RecurringRun{DisplayName: "mc", IntervalSecond: 60, MaxConcurrency: 1, CreatedAt: *now})
	*now = now.Add(5 * time.Minute)
	_ = s.Tick(context.Background())
	runs := runsOf(t, st, rr.ID)
	if len(runs) != 1 {
		t.Fatalf("%d runs with max_concurrency 1", len(runs))
	}
	if _, err := st.UpdateRun(context.Background(), runs[0].ID, func(r *store.Run) error { r.State = "SUCCEEDED"; return nil }); err != nil {
		t.Fatal(err)
	}
	_ = s.Tick(context.Background())
	if n := len(runsOf(t, st, rr.ID)); n != 2 {
		t.Fatalf("%d runs after the first finished, want 2", n)
	}
}

func TestCronStartEndAndDisabled(t *testing.T) {
	st, s, now := setup(t)
	start := now.Add(time.Hour)
	rr := newRR(t, st, &store.RecurringRun{DisplayName: "cron", Cron: "0 0 * * * *", StartTime: start, EndTime: start.Add(2 * time.Hour), CreatedAt: *now})
	off := newRR(t, st, &store.RecurringRun{DisplayName: "off", Cron: "@every 1m", CreatedAt: *now})
	if _, err := st.UpdateRecurringRun(context.Background(), off.ID, func(x *store.RecurringRun) error { x.Enabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(30 * time.Minute)
	_ = s.Tick(context.Background())
	if n := len(runsOf(t, st, rr.ID)); n != 0 {
		t.Fatalf("%d runs before start_time", n)
	}
	*now = now.Add(10 * time.Hour)
	_ = s.Tick(context.Background())
	runs := runsOf(t, st, rr.ID)
	if len(runs) != 3 { // 01:00, 02:00, 03:00 (end_time inclusive)
		t.Fatalf("%d runs between start and end, want 3", len(runs))
	}
	if n := len(runsOf(t, st, off.ID)); n != 0 {
		t.Fatalf("disabled recurring run started %d runs", n)
	}
}

func TestParseCron(t *testing.T) {
	for _, ok := range []string{"0 0 9 ? * 2-6", "*/5 * * * *", "@hourly", "@every 1h30m"} {
		if _, err := ParseCron(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "61 * * * *", "* * *", "@sometimes"} {
		if _, err := ParseCron(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
