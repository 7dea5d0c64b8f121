package store

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestIDsWithPrefix(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		// Runs with chosen ids: two share their first 9 characters.
		ids := []string{
			"f445c37d-0000-4000-8000-000000000001",
			"f445c37d-1000-4000-8000-000000000002",
			"f445c38d-0000-4000-8000-000000000003",
			"0a000000-0000-4000-8000-000000000004",
		}
		for _, id := range ids {
			r := fullRun("")
			r.ID = id
			check(t, s.CreateRun(ctx, r))
		}
		e := &Experiment{DisplayName: "exp"}
		check(t, s.CreateExperiment(ctx, e))
		tx := newTuning("quad")
		check(t, s.CreateTuningExperiment(ctx, tx))

		for _, tc := range []struct {
			kind   Kind
			prefix string
			want   []string
		}{
			{KindRun, "f445c37d", ids[:2]},
			{KindRun, "F445C37D-1", ids[1:2]},
			{KindRun, "f445c38d", ids[2:3]},
			{KindRun, ids[3], ids[3:]},
			{KindRun, "0a0000000", nil}, // the hyphen is not a zero
			{KindRun, "dddddddd", nil},
			{KindPipeline, "f445c37d", nil},
			{KindExperiment, e.ID[:8], []string{e.ID}},
			{KindTuningExperiment, tx.ID[:8], []string{tx.ID}},
			{KindRecurringRun, "f445c37d", nil},
		} {
			got, err := s.IDsWithPrefix(ctx, tc.kind, tc.prefix, 10)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("IDsWithPrefix(%s, %q) = %v, %v; want %v", tc.kind, tc.prefix, got, err, tc.want)
			}
		}
		// The limit bounds an ambiguous prefix's matches.
		if got, err := s.IDsWithPrefix(ctx, KindRun, "f445c3", 1); err == nil {
			t.Errorf("a 6-character prefix: %v", got)
		}
		if got, err := s.IDsWithPrefix(ctx, KindRun, "f445c37d", 1); err != nil || !slices.Equal(got, ids[:1]) {
			t.Errorf("limit 1: %v %v", got, err)
		}

		// Hostile prefixes are refused before any SQL: LIKE's and
		// SQL's special characters, too short, too long, unknown kinds.
		for _, bad := range []string{"f445c37%", "f445c37_", "f445c37d' OR 1=1 --", "f445c37", strings.Repeat("a", 37), "zzzzzzzz"} {
			wantErr(t, func() error { _, err := s.IDsWithPrefix(ctx, KindRun, bad, 10); return err }(), ErrInvalid, "prefix")
		}
		_, err := s.IDsWithPrefix(ctx, Kind("runs; DROP TABLE runs"), "f445c37d", 10)
		wantErr(t, err, ErrInvalid, "kind")
	})
}
