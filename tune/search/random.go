package search

import (
	"context"
	"math/rand/v2"

	"github.com/sluicehq/sluice/tune/space"
)

// maxDedupSpace is the largest all-discrete space in which random search
// rejects points already assigned, and dedupTries how often it redraws.
const (
	maxDedupSpace = 1_000_000
	dedupTries    = 100
)

func newRandom(b base, set *settings) (Suggester, error) {
	var err error
	if b.seed, err = set.seed(b.seed); err != nil {
		return nil, err
	}
	if err := set.done("random"); err != nil {
		return nil, err
	}
	size, finite := b.sp.Size()
	dedup := finite && size <= maxDedupSpace
	return &pointSuggester{base: b, next: func(_ context.Context, h *history, r *rand.Rand) (space.Point, error) {
		return sampleNew(b.sp, h, r, dedup), nil
	}}, nil
}

// sampleNew draws from the prior; with dedup it redraws (up to dedupTries
// times) a point some trial already has.
func sampleNew(sp *space.Space, h *history, r *rand.Rand, dedup bool) space.Point {
	pt := sp.Sample(r)
	if !dedup {
		return pt
	}
	used := make(map[string]bool, len(h.all))
	for _, o := range h.all {
		used[sp.Key(o.pt)] = true
	}
	for i := 0; i < dedupTries && used[sp.Key(pt)]; i++ {
		pt = sp.Sample(r)
	}
	return pt
}
