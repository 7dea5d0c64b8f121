package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A value PostgreSQL cannot store (a NUL in text) is ErrInvalid, which the
// API answers 400, not an engine error answered 500; SQLite stores it.
func TestUnstorableTextIsInvalid(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		err := s.CreateExperiment(context.Background(), &Experiment{DisplayName: "a\x00b"})
		if err != nil && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "cannot store (NUL)")) {
			t.Fatalf("a NUL in a name: %v, want ErrInvalid", err)
		}
	})
}
