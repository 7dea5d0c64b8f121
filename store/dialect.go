package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds what differs between SQLite and PostgreSQL. Queries are
// written once with ? placeholders; the few expressions that differ come
// from here.
//
// Stored representations:
//
//	           SQLite                      PostgreSQL
//	time       INTEGER (Unix microseconds) TIMESTAMPTZ
//	JSON       TEXT                        JSON (tags: JSONB)
//	bool       INTEGER 0/1                 BOOLEAN
//
// The zero time.Time is stored as itself (0001-01-01), so it sorts first
// and no column needs NULL handling.
type dialect struct {
	name string
	pg   bool
}

var (
	sqliteDialect   = dialect{name: "sqlite"}
	postgresDialect = dialect{name: "postgres", pg: true}
)

// rebind rewrites ? placeholders to $1, $2, … for PostgreSQL, leaving
// quoted literals and identifiers alone.
func (d dialect) rebind(q string) string {
	if !d.pg || strings.IndexByte(q, '?') < 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// timeArg is the query argument for a time column.
func (d dialect) timeArg(t time.Time) any {
	t = normTime(t)
	if d.pg {
		return t
	}
	return t.UnixMicro()
}

// jsonArg is the query argument for a JSON column; empty is NULL.
// SQLite gets text: it would read a BLOB as its binary JSONB format.
func (d dialect) jsonArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	if d.pg {
		return b
	}
	return string(b)
}

// jsonField is a JSON column's value, named for checkJSON's error.
type jsonField struct {
	name  string
	value []byte
}

// checkJSON refuses values that are not JSON with ErrInvalid, on both
// engines alike (PostgreSQL's JSON columns would refuse them anyway).
func checkJSON(fs ...jsonField) error {
	for _, f := range fs {
		if len(f.value) > 0 && !json.Valid(f.value) {
			return fmt.Errorf("%s is not valid JSON: %w", f.name, ErrInvalid)
		}
	}
	return nil
}

// marshalArg is jsonArg of v encoded; nil, empty maps and empty slices
// are NULL.
func (d dialect) marshalArg(v any) (any, error) {
	switch x := v.(type) {
	case map[string]string:
		if len(x) == 0 {
			return nil, nil
		}
	case []string:
		if x == nil {
			return nil, nil
		}
	case []StateChange:
		if len(x) == 0 {
			return nil, nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return d.jsonArg(b), nil
}

// substring is the condition "expr contains the placeholder's value",
// case-insensitively as KFP on MySQL does.
func (d dialect) substring(expr string) string {
	if d.pg {
		return "strpos(lower(" + expr + "), lower(?)) > 0"
	}
	return "instr(lower(" + expr + "), lower(?)) > 0"
}

// tagExpr is the value of one tag of a JSON tags column (empty when absent),
// and the argument its placeholder takes.
func (d dialect) tagExpr(col, key string) (string, any) {
	if d.pg {
		return "(COALESCE(" + col + " ->> ?, '') COLLATE \"C\")", key
	}
	return "COALESCE(json_extract(" + col + ", ?), '')", `$."` + key + `"`
}

// forUpdate locks the rows a SELECT reads until the transaction ends.
// SQLite needs nothing: a transaction holds the database's write lock
// from BEGIN IMMEDIATE.
func (d dialect) forUpdate() string {
	if d.pg {
		return " FOR UPDATE"
	}
	return ""
}

// forKeyShare holds the rows a SELECT reads against deletion (and key
// changes) until the transaction ends, as a foreign key check does.
func (d dialect) forKeyShare() string {
	if d.pg {
		return " FOR KEY SHARE"
	}
	return ""
}

// mapErr maps engine errors to the package's sentinel errors, keeping the
// original message.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w (%s)", ErrAlreadyExists, pgErr.ConstraintName)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%w: %s", ErrNotFound, pgErr.Detail)
		case "22021", "22P05": // character_not_in_repertoire, untranslatable_character
			// A NUL (which SQLite stores) in text or JSON.
			return fmt.Errorf("%w: a value holds a character PostgreSQL cannot store (NUL)", ErrInvalid)
		case "54000": // program_limit_exceeded: a value too large for its index
			return fmt.Errorf("%w: a value is too large to store: %s", ErrInvalid, pgErr.Message)
		}
		return err
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w (%s)", ErrAlreadyExists, sqErr.Error())
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: referenced row", ErrNotFound)
		}
	}
	return err
}

// timeCol scans a time column of either engine into *t.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = normTime(time.UnixMicro(v))
	case time.Time:
		*c.t = normTime(v)
	default:
		return fmt.Errorf("scan time: unexpected %T", src)
	}
	return nil
}

// jsonCol scans a JSON column into *b as raw bytes (nil for NULL).
type jsonCol struct{ b *[]byte }

func (c jsonCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.b = nil
	case string:
		*c.b = []byte(v)
	case []byte:
		*c.b = append([]byte(nil), v...)
	default:
		return fmt.Errorf("scan json: unexpected %T", src)
	}
	return nil
}

// decodeCol scans a JSON column and decodes it into *p (left zero for NULL).
type decodeCol[T any] struct{ p *T }

func (c decodeCol[T]) Scan(src any) error {
	var b []byte
	if err := (jsonCol{&b}).Scan(src); err != nil {
		return err
	}
	var zero T
	*c.p = zero
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, c.p)
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// nullInt scans an optional int column (Task.ExitCode).
type nullInt struct{ p **int }

func (n nullInt) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n.p = nil
	case int64:
		i := int(v)
		*n.p = &i
	default:
		return fmt.Errorf("scan int: unexpected %T", src)
	}
	return nil
}

// intArg is the query argument for an optional int column.
func intArg(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}
