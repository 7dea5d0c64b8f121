package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/pgtest"
	"github.com/sluicehq/sluice/runstate"
)

const (
	benchRuns        = 100_000
	benchExperiments = 100
	benchPage        = 100
)

// BenchmarkListRuns100k lists pages of 100 of 100,000 runs, newest first:
// the first page, the first page of one experiment (1,000 runs), and the
// second page through its token. Each page includes TotalSize (a COUNT).
func BenchmarkListRuns100k(b *testing.B) {
	engines := []struct {
		name string
		dsn  func(testing.TB) string
	}{
		{"sqlite", func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "bench.db") }},
		{"postgres", pgtest.DSN},
	}
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			ctx := context.Background()
			s := openStore(b, e.dsn(b))
			exps := seedRuns(b, s.(*sqlStore))

			newest := ListOptions{PageSize: benchPage, SortBy: "created_at", Desc: true}
			first, err := s.ListRuns(ctx, newest)
			check(b, err)
			if len(first.Items) != benchPage || first.TotalSize != benchRuns || first.NextPageToken == "" {
				b.Fatalf("first page: %d items, total %d", len(first.Items), first.TotalSize)
			}
			byExperiment := newest
			byExperiment.Filter = []Predicate{{Key: "experiment_id", Op: OpEquals, Value: exps[7]}}
			second := ListOptions{PageSize: benchPage, PageToken: first.NextPageToken}

			for _, v := range []struct {
				name      string
				opts      ListOptions
				wantTotal int
			}{
				{"first-page", newest, benchRuns},
				{"experiment-filter", byExperiment, benchRuns / benchExperiments},
				{"second-page", second, benchRuns},
			} {
				b.Run(v.name, func(b *testing.B) {
					b.ReportAllocs()
					var each []time.Duration
					for b.Loop() {
						t := time.Now()
						page, err := s.ListRuns(ctx, v.opts)
						each = append(each, time.Since(t))
						if err != nil {
							b.Fatal(err)
						}
						if len(page.Items) != benchPage || page.TotalSize != v.wantTotal {
							b.Fatalf("%d items, total %d", len(page.Items), page.TotalSize)
						}
					}
					// The median, and the extremes, of the pages' times.
					slices.Sort(each)
					msOf := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
					b.ReportMetric(msOf(each[len(each)/2]), "ms/page-median")
					b.ReportMetric(msOf(each[0]), "ms/page-min")
					b.ReportMetric(msOf(each[len(each)-1]), "ms/page-max")
				})
			}
		})
	}
}

// seedRuns inserts benchRuns runs with 1 KB specs spread over
// benchExperiments experiments, in one transaction, and returns the
// experiment ids.
func seedRuns(b *testing.B, s *sqlStore) []string {
	ctx := context.Background()
	start := time.Now()
	var exps []string
	for i := range benchExperiments {
		e := &Experiment{DisplayName: fmt.Sprintf("exp-%d", i)}
		check(b, s.CreateExperiment(ctx, e))
		exps = append(exps, e.ID)
	}
	spec := []byte(`{"pipelineInfo":{"name":"bench"},"pad":"` + strings.Repeat("x", 1000) + `"}`)
	states := []runstate.State{"SUCCEEDED", "FAILED", "RUNNING", "PENDING"}
	check(b, s.inTx(ctx, func(tx *sql.Tx) error {
		if s.d.pg {
			// The test server commits asynchronously; VACUUM can mark
			// pages all-visible (for index-only COUNTs) only once the
			// commit is flushed, as it is in production.
			if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit = on"); err != nil {
				return err
			}
		}
		for i := range benchRuns {
			r := &Run{
				ExperimentID: exps[i%benchExperiments],
				DisplayName:  fmt.Sprintf("run-%d", i),
				State:        states[i%len(states)],
				Spec:         spec,
				Params:       []byte(`{"lr":0.1}`),
				CreatedAt:    t0.Add(time.Duration(i) * time.Second),
				StateHistory: []StateChange{{State: "PENDING", Time: t0}},
			}
			normRun(r)
			if err := s.insertRunRow(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	}))
	if s.d.pg {
		// What autovacuum does soon after a bulk insert.
		_, err := s.db.ExecContext(ctx, "VACUUM ANALYZE runs")
		check(b, err)
	}
	b.Logf("%s: inserted %d runs in %v", s.d.name, benchRuns, time.Since(start).Round(time.Millisecond))
	return exps
}

// BenchmarkPutTask is the server's write path: each op is one task state
// change (a task's PENDING, RUNNING, exit code and SUCCEEDED puts in
// turn), from one writer (the engine reports one run's changes one at a
// time) and from 8 writers at once (concurrent runs, whose puts the group
// commit coalesces).
func BenchmarkPutTask(b *testing.B) {
	engines := []struct {
		name string
		dsn  func(testing.TB) string
	}{
		{"sqlite", func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "bench.db") }},
		{"postgres", pgtest.DSN},
	}
	for _, e := range engines {
		for _, writers := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/writers-%d", e.name, writers), func(b *testing.B) {
				ctx := context.Background()
				s := openStore(b, e.dsn(b))
				run := &Run{State: "RUNNING"}
				check(b, s.CreateRun(ctx, run))
				code := 0
				inputs := []byte(`{"parameters":{"item":"7"},"artifacts":{}}`)
				outputs := []byte(`{"parameters":{},"artifacts":{}}`)
				var next atomic.Int64
				put := func() error {
					i := next.Add(1) - 1
					t := &Task{RunID: run.ID, ID: fmt.Sprintf("for-loop-1/%d/noop", i/4), Kind: "container",
						Name: "noop", Image: "alpine", Argv: []string{"sh", "-c", ":"}, Inputs: inputs, Attempts: 1}
					switch i % 4 {
					case 0:
						t.State = "PENDING"
					case 1:
						t.State = "RUNNING"
					case 2:
						t.State, t.ExitCode = "RUNNING", &code
					case 3:
						t.State, t.ExitCode, t.Outputs = "SUCCEEDED", &code, outputs
					}
					return s.PutTask(ctx, t)
				}
				batches := &s.(*sqlStore).tasks.batches
				defer func() {
					if n := batches.Load(); n > 0 {
						b.ReportMetric(float64(next.Load())/float64(n), "puts/commit")
					}
				}()
				b.ResetTimer()
				batches.Store(0)
				if writers == 1 {
					for b.Loop() {
						if err := put(); err != nil {
							b.Fatal(err)
						}
					}
					return
				}
				b.SetParallelism(writers) // × GOMAXPROCS goroutines
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := put(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// BenchmarkListTasks1000 reads a finished run's 1,000 tasks as GET run
// does on every poll: all columns (ListTasks, what it read before) and the
// summaries task_details needs (ListTaskSummaries).
func BenchmarkListTasks1000(b *testing.B) {
	engines := []struct {
		name string
		dsn  func(testing.TB) string
	}{
		{"sqlite", func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "bench.db") }},
		{"postgres", pgtest.DSN},
	}
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			ctx := context.Background()
			s := openStore(b, e.dsn(b))
			run := &Run{State: "SUCCEEDED"}
			check(b, s.CreateRun(ctx, run))
			code := 0
			for i := range 1000 {
				check(b, s.PutTask(ctx, &Task{RunID: run.ID, ID: fmt.Sprintf("for-loop-1/%d/noop", i), ParentID: "for-loop-1",
					Key: "noop", Name: "noop", Kind: "container", State: "SUCCEEDED", Attempts: 1, Image: "alpine",
					Argv: []string{"sh", "-c", "printf '%s' \"$0\" > /dev/null", fmt.Sprint(i)}, ExitCode: &code,
					Inputs:  []byte(fmt.Sprintf(`{"parameters":{"item":"%d"},"artifacts":{}}`, i)),
					Outputs: []byte(`{"parameters":{},"artifacts":{}}`), LogURI: "/data/artifacts/x/.sluice/tasks/log.txt",
					Started: at(time.Duration(i) * time.Millisecond), Finished: at(time.Duration(i+1) * time.Millisecond)}))
			}
			for _, v := range []struct {
				name string
				list func(context.Context, string) ([]*Task, error)
			}{{"all-columns", s.ListTasks}, {"summaries", s.ListTaskSummaries}} {
				b.Run(v.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						ts, err := v.list(ctx, run.ID)
						if err != nil || len(ts) != 1000 {
							b.Fatalf("%d tasks, %v", len(ts), err)
						}
					}
				})
			}
		})
	}
}
