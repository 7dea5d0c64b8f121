package store

import (
	"context"
	"fmt"
)

// Kind is a kind of record that has an id users type.
type Kind string

// The kinds whose ids IDsWithPrefix finds.
const (
	KindRun              Kind = "run"
	KindPipeline         Kind = "pipeline"
	KindExperiment       Kind = "experiment"
	KindRecurringRun     Kind = "recurring_run"
	KindTuningExperiment Kind = "tuning_experiment"
)

// MinIDPrefix and MaxIDPrefix bound the length of an id prefix: shorter
// ones match too much to be typed on purpose; no id is longer than a UUID.
const (
	MinIDPrefix = 8
	MaxIDPrefix = 36
)

// table is the table holding kind's records.
func (k Kind) table() (string, bool) {
	switch k {
	case KindRun:
		return "runs", true
	case KindPipeline:
		return "pipelines", true
	case KindExperiment:
		return "experiments", true
	case KindRecurringRun:
		return "recurring_runs", true
	case KindTuningExperiment:
		return "tuning_experiments", true
	}
	return "", false
}

// CheckIDPrefix says whether prefix can start an id: MinIDPrefix to
// MaxIDPrefix characters of a UUID's alphabet (hex digits, any case, and
// hyphens).
func CheckIDPrefix(prefix string) error {
	if n := len(prefix); n < MinIDPrefix || n > MaxIDPrefix {
		return fmt.Errorf("prefix: an id prefix has %d to %d characters, not %d: %w", MinIDPrefix, MaxIDPrefix, n, ErrInvalid)
	}
	for _, c := range prefix {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == '-') {
			return fmt.Errorf("prefix: an id prefix has hex digits and hyphens only, not %q: %w", c, ErrInvalid)
		}
	}
	return nil
}

// IDsWithPrefix finds ids by their start with a range scan of the
// primary key (ids compare byte by byte: SQLite's BINARY collation,
// PostgreSQL's "C"): prefix <= id < prefix+"~", '~' sorting after every
// character of an id.
func (s *sqlStore) IDsWithPrefix(ctx context.Context, kind Kind, prefix string, limit int) ([]string, error) {
	table, ok := kind.table()
	if !ok {
		return nil, fmt.Errorf("kind: %q is none of run, pipeline, experiment, recurring_run, tuning_experiment: %w", kind, ErrInvalid)
	}
	if err := CheckIDPrefix(prefix); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 1
	}
	p := lowerASCII(prefix)
	rows, err := s.query(ctx, s.db, `SELECT id FROM `+table+` WHERE id >= ? AND id < ? ORDER BY id LIMIT ?`, p, p+"~", limit)
	if err != nil {
		return nil, fmt.Errorf("ids of %s with prefix %s: %w", kind, prefix, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("ids of %s with prefix %s: %w", kind, prefix, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ids of %s with prefix %s: %w", kind, prefix, err)
	}
	return ids, nil
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'F' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
