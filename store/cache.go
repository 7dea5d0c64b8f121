package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const putCacheEntry = `INSERT INTO cache_entries (key, outputs, created_at) VALUES (?, ?, ?)
	ON CONFLICT (key) DO UPDATE SET outputs = excluded.outputs, created_at = excluded.created_at`

// GetCacheEntry returns the outputs stored under key, and whether there
// were any.
func (s *sqlStore) GetCacheEntry(ctx context.Context, key string) ([]byte, bool, error) {
	var out []byte
	err := s.queryRow(ctx, s.db, `SELECT outputs FROM cache_entries WHERE key = ?`, key).Scan(&out)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get cache entry %q: %w", key, err)
	}
	if out == nil {
		out = []byte{}
	}
	return out, true, nil
}

// PutCacheEntry stores outputs under key, replacing what was there.
func (s *sqlStore) PutCacheEntry(ctx context.Context, key string, outputs []byte) error {
	if outputs == nil {
		outputs = []byte{}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, putCacheEntry, key, outputs, s.d.timeArg(now())); err != nil {
			return fmt.Errorf("put cache entry %q: %w", key, err)
		}
		return nil
	})
}
