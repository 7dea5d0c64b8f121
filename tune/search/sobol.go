package search

import (
	"context"
	"math/rand/v2"
	"slices"

	"github.com/sluicehq/sluice/tune/search/internal/sobol"
	"github.com/sluicehq/sluice/tune/space"
)

// sobolSearch assigns the t-th trial of the experiment (t from 0) the
// Sobol' point t+1 (the origin is skipped, so the first trial gets the
// centre), one dimension per parameter in name order, mapped through each
// parameter's prior (space.Param.Quantile). Its only state is t, the number
// of trials already created.
type sobolSearch struct {
	base
	seq   *sobol.Seq
	order []int // parameter index of each dimension
}

func newSobol(b base, set *settings) (Suggester, error) {
	if err := set.done("sobol"); err != nil {
		return nil, err
	}
	order := make([]int, b.sp.Len())
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int {
		nx, ny := b.sp.Param(x).Name(), b.sp.Param(y).Name()
		switch {
		case nx < ny:
			return -1
		case nx > ny:
			return 1
		}
		return 0
	})
	s := &sobolSearch{base: b, seq: sobol.New(len(order)), order: order}
	return &pointSuggester{base: b, next: s.next}, nil
}

func (s *sobolSearch) next(_ context.Context, h *history, _ *rand.Rand) (space.Point, error) {
	u := make([]float64, len(s.order))
	s.seq.Point(uint32(len(h.all)+1), u)
	pt := make(space.Point, len(s.order))
	for d, i := range s.order {
		pt[i] = s.sp.Param(i).Quantile(u[d])
	}
	return pt, nil
}
