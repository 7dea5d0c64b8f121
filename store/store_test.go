package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// forEachDSN runs fn on a fresh database of each engine: a SQLite file in
// a temporary directory and a PostgreSQL database.
func forEachDSN(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "sluice.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.DSN(t)) })
}

// forEachStore runs fn on a fresh store of each engine. Every test of the
// store suite goes through here, so both engines pass the same tests.
func forEachStore(t *testing.T, fn func(t *testing.T, s Store)) {
	forEachDSN(t, func(t *testing.T, dsn string) { fn(t, openStore(t, dsn)) })
}

func openStore(tb testing.TB, dsn string) Store {
	tb.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("Open(%q): %v", dsn, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func check(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// wantErr fails unless err is target; with words, the message must also
// contain each of them.
func wantErr(tb testing.TB, err, target error, words ...string) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Fatalf("error %v, want %v", err, target)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			tb.Fatalf("error %q does not name %q", err, w)
		}
	}
}

// t0 is the tests' epoch; times carry nanoseconds the store truncates.
var t0 = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func TestOpenMigratesIdempotently(t *testing.T) {
	forEachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s1 := openStore(t, dsn)
		check(t, s1.CreateExperiment(ctx, &Experiment{DisplayName: "kept"}))
		check(t, s1.Close())

		// Again, several at once: later Opens find the schema current.
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				s, err := Open(ctx, dsn)
				if err == nil {
					_, err = s.GetExperimentByName(ctx, "", "kept")
					s.Close()
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			check(t, err)
		}
		s := openStore(t, dsn)
		var n int
		check(t, s.(*sqlStore).db.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n))
		ms, err := migrations(s.(*sqlStore).d.name)
		check(t, err)
		if n != len(ms) {
			t.Fatalf("schema_migrations has %d rows, want %d", n, len(ms))
		}
	})
}

func TestOpenConcurrentFreshPostgres(t *testing.T) {
	// Two processes starting against an empty database both migrate: the
	// advisory lock makes one wait for the other.
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Go(func() {
			s, err := Open(ctx, dsn)
			if err == nil {
				s.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		check(t, err)
	}
}

func TestOpenNewerSchemaRefused(t *testing.T) {
	forEachDSN(t, func(t *testing.T, dsn string) {
		s := openStore(t, dsn).(*sqlStore)
		_, err := s.exec(context.Background(), s.db,
			"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", 9999, "future", "x")
		check(t, err)
		if _, err := Open(context.Background(), dsn); err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("Open of a newer schema: %v", err)
		}
	})
}

func TestSQLitePath(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"sluice.db", "sluice.db"},
		{"/var/lib/sluice/sluice.db", "/var/lib/sluice/sluice.db"},
		{"sqlite:///var/lib/x.db", "/var/lib/x.db"},
		{"sqlite://rel/x.db", "rel/x.db"},
		{"sqlite:x.db", "x.db"},
		{"file:/tmp/a%20b.db?mode=rwc", "/tmp/a b.db"},
		{"file:x.db", "x.db"},
		{":memory:", ":memory:"},
	} {
		got, err := sqlitePath(tc.dsn)
		if err != nil || got != tc.want {
			t.Errorf("sqlitePath(%q) = %q, %v; want %q", tc.dsn, got, err, tc.want)
		}
	}
	for _, dsn := range []string{"", "sqlite://", "file:", "a?b.db"} {
		if _, err := sqlitePath(dsn); !errors.Is(err, ErrInvalid) {
			t.Errorf("sqlitePath(%q): %v, want ErrInvalid", dsn, err)
		}
	}
}

func TestOpenSQLiteForms(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, dsn := range []string{
		"sqlite://" + filepath.Join(dir, "a", "nested", "x.db"),
		"file:" + filepath.Join(dir, "y.db"),
		":memory:",
	} {
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("Open(%q): %v", dsn, err)
		}
		check(t, s.CreateExperiment(ctx, &Experiment{DisplayName: "e"}))
		if _, err := s.GetExperimentByName(ctx, "", "e"); err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		if st := s.(*sqlStore); dsn != ":memory:" {
			var mode string
			check(t, st.db.QueryRow("PRAGMA journal_mode").Scan(&mode))
			var fk int
			check(t, st.db.QueryRow("PRAGMA foreign_keys").Scan(&fk))
			if mode != "wal" || fk != 1 {
				t.Errorf("%s: journal_mode %s, foreign_keys %d", dsn, mode, fk)
			}
		}
		s.Close()
	}
}

func TestConcurrentWriters(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		exp := &Experiment{DisplayName: "busy"}
		check(t, s.CreateExperiment(ctx, exp))
		const workers, runs, tasks = 8, 10, 4
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				errs <- func() error {
					for i := range runs {
						r := &Run{ExperimentID: exp.ID, DisplayName: fmt.Sprintf("w%d-r%d", w, i), State: "PENDING"}
						if err := s.CreateRun(ctx, r); err != nil {
							return err
						}
						for k := range tasks {
							if err := s.PutTask(ctx, &Task{RunID: r.ID, ID: fmt.Sprintf("t%d", k), State: "RUNNING"}); err != nil {
								return err
							}
						}
						if _, err := s.UpdateRun(ctx, r.ID, func(r *Run) error { r.State = "SUCCEEDED"; return nil }); err != nil {
							return err
						}
						if _, err := s.ListRuns(ctx, ListOptions{PageSize: 5}); err != nil {
							return err
						}
					}
					return nil
				}()
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			check(t, err)
		}
		page, err := s.ListRuns(ctx, ListOptions{Filter: []Predicate{{Key: "state", Op: OpEquals, Value: "SUCCEEDED"}}})
		check(t, err)
		if page.TotalSize != workers*runs {
			t.Fatalf("%d succeeded runs, want %d", page.TotalSize, workers*runs)
		}
		for _, r := range page.Items {
			ts, err := s.ListTasks(ctx, r.ID)
			check(t, err)
			if len(ts) != tasks {
				t.Fatalf("run %s has %d tasks, want %d", r.ID, len(ts), tasks)
			}
		}
	})
}

func TestCacheEntries(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		if _, ok, err := s.GetCacheEntry(ctx, "k"); ok || err != nil {
			t.Fatalf("missing entry: ok %v, err %v", ok, err)
		}
		check(t, s.PutCacheEntry(ctx, "k", []byte(`{"parameters":{"x":1}}`)))
		check(t, s.PutCacheEntry(ctx, "other", []byte{0, 1, 2}))
		got, ok, err := s.GetCacheEntry(ctx, "k")
		check(t, err)
		if !ok || string(got) != `{"parameters":{"x":1}}` {
			t.Fatalf("got %q, %v", got, ok)
		}
		check(t, s.PutCacheEntry(ctx, "k", []byte(`{}`)))
		got, _, _ = s.GetCacheEntry(ctx, "k")
		if string(got) != `{}` {
			t.Fatalf("replaced entry: %q", got)
		}
		got, _, _ = s.GetCacheEntry(ctx, "other")
		if string(got) != "\x00\x01\x02" {
			t.Fatalf("binary entry: %q", got)
		}
	})
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newID()
		if len(id) != 36 || id[14] != '4' || !strings.ContainsRune("89ab", rune(id[19])) || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}

func TestRebind(t *testing.T) {
	got := postgresDialect.rebind(`SELECT '?', "a?" FROM t WHERE a = ? AND b IN (?, ?)`)
	want := `SELECT '?', "a?" FROM t WHERE a = $1 AND b IN ($2, $3)`
	if got != want {
		t.Fatalf("rebind: %s", got)
	}
	if q := "a = ?"; sqliteDialect.rebind(q) != q {
		t.Fatal("sqlite rebind changed the query")
	}
}
