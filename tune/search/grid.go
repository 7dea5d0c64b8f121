package search

import (
	"context"
	"fmt"
	"math/bits"

	"github.com/sluicehq/sluice/tune/space"
)

// grid visits the Cartesian product of every parameter's values (ints from
// min by step, doubles from min by their required step in exact decimals,
// choices in list order) in an order shuffled by the seed, never assigning a
// point twice: points any trial already has, whatever its state, are
// skipped. The order is a keyed bijection of the point indices, so nothing
// is materialised and the next point depends only on the seed and the
// points already assigned.
type grid struct {
	base
	size int64
	perm permutation
}

func newGrid(b base, set *settings, maxTrials int) (Suggester, error) {
	var err error
	if b.seed, err = set.seed(b.seed); err != nil {
		return nil, err
	}
	if err := set.done("grid"); err != nil {
		return nil, err
	}
	for i := range b.sp.Len() {
		p := b.sp.Param(i)
		if p.Size() == 0 {
			return nil, space.Invalid(p.Field()+".feasibleSpace.step", fmt.Sprintf("is required by the grid algorithm for double parameter %q", p.Name()))
		}
	}
	size, ok := b.sp.Size()
	if !ok {
		return nil, space.Invalid("parameters", "the grid has more than 2^62 points")
	}
	if maxTrials > 0 && int64(maxTrials) > size {
		return nil, space.Invalid("maxTrialCount", fmt.Sprintf("must not exceed the grid's %d points, got %d", size, maxTrials))
	}
	return &grid{base: b, size: size, perm: newPermutation(uint64(size), b.seed)}, nil
}

// GridSize is the number of points the grid algorithm visits in sp; ok is
// false when a double has no step or the product exceeds 2^62.
func GridSize(sp *space.Space) (n int64, ok bool) { return sp.Size() }

func (g *grid) Suggest(ctx context.Context, trials []Trial, n int) (Result, error) {
	if err := checkN(ctx, n); err != nil {
		return Result{}, err
	}
	h, err := g.history(trials)
	if err != nil {
		return Result{}, err
	}
	used := make(map[int64]bool, len(h.all)+n)
	for _, o := range h.all {
		used[g.index(o.pt)] = true
	}
	var res Result
	for pos := uint64(0); len(res.Suggestions) < n && int64(len(used)) < g.size; pos++ {
		if pos%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return Result{}, err
			}
		}
		k := int64(g.perm.at(pos))
		if used[k] {
			continue
		}
		used[k] = true
		res.Suggestions = append(res.Suggestions, Suggestion{Assignment: g.sp.Format(g.point(k))})
	}
	res.Exhausted = int64(len(used)) >= g.size
	return res, nil
}

// index is the point's position in the product (first parameter most
// significant); point is its inverse.
func (g *grid) index(pt space.Point) int64 {
	var k int64
	for i := range g.sp.Len() {
		p := g.sp.Param(i)
		k = k*p.Size() + p.GridIndex(pt[i])
	}
	return k
}

func (g *grid) point(k int64) space.Point {
	pt := make(space.Point, g.sp.Len())
	for i := g.sp.Len() - 1; i >= 0; i-- {
		p := g.sp.Param(i)
		pt[i] = p.GridValue(k % p.Size())
		k /= p.Size()
	}
	return pt
}

// permutation is a keyed bijection of [0, n): a balanced Feistel network
// on the smallest even number of bits covering n, cycle-walked into range.
type permutation struct {
	n     uint64
	half  uint
	mask  uint64
	keys  [6]uint64
	ident bool
}

func newPermutation(n, seed uint64) permutation {
	p := permutation{n: n}
	if n <= 2 {
		p.ident = true
		return p
	}
	b := uint(bits.Len64(n - 1))
	p.half = (b + 1) / 2
	p.mask = 1<<p.half - 1
	for i := range p.keys {
		seed += 0x9e3779b97f4a7c15
		p.keys[i] = mix64(seed)
	}
	return p
}

func (p permutation) at(i uint64) uint64 {
	if p.ident {
		return i
	}
	x := i
	for {
		l, r := x>>p.half, x&p.mask
		for _, k := range p.keys {
			l, r = r, l^(mix64(r^k)&p.mask)
		}
		x = l<<p.half | r
		if x < p.n {
			return x
		}
	}
}

// mix64 is SplitMix64's finaliser.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
