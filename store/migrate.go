package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one numbered schema change, migrations/<engine>/NNNN_name.up.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the engine's migrations in version order.
func migrations(engine string) ([]migration, error) {
	dir := path.Join("migrations", engine)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".up.sql")
		if !ok {
			continue
		}
		num, rest, _ := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad version: %w", e.Name(), err)
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: rest, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s: version %d twice", engine, ms[i].version)
		}
	}
	return ms, nil
}

// migrationLockKey is the PostgreSQL advisory lock that serializes
// migrations of processes opening the same database ("sluice" in ASCII).
const migrationLockKey = 0x736c75696365

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at TEXT    NOT NULL
)`

// migrate applies the migrations the database lacks, all in one
// transaction: a failed migration leaves the schema as it was. Two
// processes migrating at once take turns: on PostgreSQL through an
// advisory lock held until commit, on SQLite through the write lock
// BEGIN IMMEDIATE takes.
func (s *sqlStore) migrate(ctx context.Context) error {
	ms, err := migrations(s.d.name)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if s.d.pg {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
				return err
			}
		}
		if s.d.pg {
			// Never add tables to another application's database.
			var tables, ours int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE table_name = 'schema_migrations')
				FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`).Scan(&tables, &ours); err != nil {
				return err
			}
			if tables > 0 && ours == 0 {
				return fmt.Errorf("the database holds %d tables of another application and no Sluice schema; left as it is: %w", tables, ErrUnusable)
			}
		}
		if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
			return err
		}
		applied := map[int]bool{}
		latest := 0
		rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				return err
			}
			applied[v] = true
			latest = max(latest, v)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if known := ms[len(ms)-1].version; latest > known {
			return fmt.Errorf("database schema version %d is newer than this binary's %d", latest, known)
		}
		for _, m := range ms {
			if applied[m.version] {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("%04d_%s: %w", m.version, m.name, err)
			}
			if _, err := s.exec(ctx, tx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, now().Format("2006-01-02T15:04:05.000000Z")); err != nil {
				return fmt.Errorf("%04d_%s: %w", m.version, m.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.d.name, err)
	}
	return nil
}
