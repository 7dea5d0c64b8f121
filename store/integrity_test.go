package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/pgtest"
)

// sluiceDB makes a Sluice database with enough rows to span many pages,
// closed (checkpointed), and returns its path.
func sluiceDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sluice.db")
	s := openStore(t, path)
	ctx := context.Background()
	for i := 0; i < 300; i++ {
		check(t, s.CreateRun(ctx, &Run{DisplayName: strings.Repeat(fmt.Sprint(i), 100)}))
	}
	check(t, s.Close())
	return path
}

// A damaged, truncated, read-only, foreign or non-SQLite database file is
// refused with ErrUnusable and a message saying why, and a foreign file is
// left byte for byte as it was; a Sluice database and a new file open.
func TestOpenRefusesUnusableDatabases(t *testing.T) {
	ctx := context.Background()
	refused := func(t *testing.T, path string, words ...string) {
		t.Helper()
		before, _ := os.ReadFile(path)
		s, err := Open(ctx, path)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%s) succeeded", path)
		}
		wantErr(t, err, ErrUnusable, words...)
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Fatalf("the refused file changed")
		}
	}
	t.Run("damaged page", func(t *testing.T) {
		path := sluiceDB(t)
		b, _ := os.ReadFile(path)
		if len(b) < 8*4096 {
			t.Fatalf("database of %d bytes", len(b))
		}
		for i := 4 * 4096; i < 6*4096; i++ {
			b[i] = byte(i * 7)
		}
		check(t, os.WriteFile(path, b, 0o644))
		refused(t, path, "damaged")
	})
	t.Run("truncated", func(t *testing.T) {
		path := sluiceDB(t)
		info, _ := os.Stat(path)
		check(t, os.Truncate(path, info.Size()/2))
		refused(t, path, "damaged")
	})
	t.Run("read-only", func(t *testing.T) {
		path := sluiceDB(t)
		check(t, os.Chmod(path, 0o444))
		refused(t, path, "read-only")
	})
	t.Run("foreign sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "app.db")
		db, err := sql.Open("sqlite", path)
		check(t, err)
		_, err = db.Exec(`CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada')`)
		check(t, err)
		check(t, db.Close())
		refused(t, path, "not a Sluice database")
		entries, _ := os.ReadDir(filepath.Dir(path))
		if len(entries) != 1 {
			t.Fatalf("files beside the foreign database: %v", entries)
		}
	})
	t.Run("foreign application id", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "app.db")
		db, err := sql.Open("sqlite", path)
		check(t, err)
		_, err = db.Exec(`PRAGMA application_id = 42`)
		check(t, err)
		check(t, db.Close())
		refused(t, path, "another application")
	})
	t.Run("not sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "notes.txt")
		check(t, os.WriteFile(path, []byte("my notes, not a database\n"), 0o644))
		refused(t, path, "not a SQLite database")
	})
	t.Run("sluice and new", func(t *testing.T) {
		path := sluiceDB(t)
		s, err := Open(ctx, path)
		check(t, err)
		s.Close()
		empty := filepath.Join(t.TempDir(), "empty.db")
		check(t, os.WriteFile(empty, nil, 0o644))
		s, err = Open(ctx, empty)
		check(t, err)
		s.Close()
		// A Sluice database made before the application id was set
		// (its migrations table says whose it is) opens and is marked.
		db, err := sql.Open("sqlite", path)
		check(t, err)
		_, err = db.Exec(`PRAGMA application_id = 0`)
		check(t, err)
		check(t, db.Close())
		s, err = Open(ctx, path)
		check(t, err)
		s.Close()
		db, _ = sql.Open("sqlite", path)
		defer db.Close()
		var id int64
		check(t, db.QueryRow(`PRAGMA application_id`).Scan(&id))
		if id != applicationID {
			t.Fatalf("application_id %#x", id)
		}
	})
	if errors.Is(nil, ErrUnusable) {
		t.Fatal()
	}
}

// A PostgreSQL database holding another application's tables is refused
// and gets none of Sluice's.
func TestOpenRefusesForeignPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	db, err := sql.Open("pgx", dsn)
	check(t, err)
	defer db.Close()
	_, err = db.Exec(`CREATE TABLE people (name TEXT)`)
	check(t, err)
	s, err := Open(context.Background(), dsn)
	if err == nil {
		s.Close()
		t.Fatal("Open of a foreign database succeeded")
	}
	wantErr(t, err, ErrUnusable, "another application")
	var n int
	check(t, db.QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&n))
	if n != 1 {
		t.Fatalf("%d tables in the foreign database, want its 1", n)
	}
}
