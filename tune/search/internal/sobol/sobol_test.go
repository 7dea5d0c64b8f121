package sobol

import (
	"math/rand/v2"
	"testing"
)

func TestPrimitivePolynomials(t *testing.T) {
	// Degree and coefficients of the first primitive polynomials, in the
	// order of Joe and Kuo's tables (dimensions 2..13).
	want := []poly{{1, 0}, {2, 1}, {3, 1}, {3, 2}, {4, 1}, {4, 4}, {5, 2}, {5, 4}, {5, 7}, {5, 11}, {5, 13}, {5, 14}}
	got := primitivePolys(len(want))
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("polynomial %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// There are φ(2^s−1)/s primitive polynomials of degree s: 1,1,2,2,6,6,18,16 for s = 1..8.
	counts := map[int]int{}
	for _, p := range primitivePolys(52) {
		counts[p.deg]++
	}
	for s, n := range []int{0, 1, 1, 2, 2, 6, 6, 18, 16} {
		if s > 0 && counts[s] != n {
			t.Errorf("%d primitive polynomials of degree %d, want %d", counts[s], s, n)
		}
	}
}

func TestFirstPoints(t *testing.T) {
	s := New(2)
	want := [][2]float64{{0, 0}, {0.5, 0.5}, {0.75, 0.25}, {0.25, 0.75}, {0.375, 0.375}, {0.875, 0.875}}
	p := make([]float64, 2)
	for n, w := range want {
		s.Point(uint32(n), p)
		if p[0] != w[0] || p[1] != w[1] {
			t.Errorf("point %d = %v, want %v", n, p, w)
		}
	}
}

// The first 2^k points put exactly one point in each interval of width
// 2^-k of every coordinate, and two-dimensional projections are far more
// even than random points.
func TestStratification(t *testing.T) {
	const d = 40
	s := New(d)
	p := make([]float64, d)
	for _, k := range []int{4, 8, 10} {
		n := 1 << k
		seen := make([][]bool, d)
		for j := range seen {
			seen[j] = make([]bool, n)
		}
		for i := range n {
			s.Point(uint32(i), p)
			for j, x := range p {
				c := int(x * float64(n))
				if seen[j][c] {
					t.Fatalf("k=%d: dimension %d has two points in cell %d", k, j, c)
				}
				seen[j][c] = true
			}
		}
	}
	// Empty cells of an 8×8 grid under 64 points: random points leave ≈ 23.4.
	r := rand.New(rand.NewPCG(1, 1))
	meanRandom := 0.0
	for range 20 {
		var cells [64]bool
		for range 64 {
			cells[r.IntN(64)] = true
		}
		empty := 0
		for _, c := range cells {
			if !c {
				empty++
			}
		}
		meanRandom += float64(empty) / 20
	}
	const d2 = 10
	pts := make([][]float64, 64)
	for i := range pts {
		pts[i] = make([]float64, d)
		s.Point(uint32(i), pts[i])
	}
	sum, pairs := 0, 0
	for a := range d2 {
		for b := a + 1; b < d2; b++ {
			var cells [64]bool
			for _, q := range pts {
				cells[int(q[a]*8)*8+int(q[b]*8)] = true
			}
			empty := 0
			for _, c := range cells {
				if !c {
					empty++
				}
			}
			if empty > 32 {
				t.Errorf("dimensions %d, %d leave %d of 64 cells empty, want ≤ 32 (a (1,6,2)-net leaves 32)", a, b, empty)
			}
			sum += empty
			pairs++
		}
	}
	mean := float64(sum) / float64(pairs)
	t.Logf("mean empty cells over %d pairs: %.1f (random points: %.1f)", pairs, mean, meanRandom)
	if mean > 0.6*meanRandom {
		t.Errorf("two-dimensional projections leave %.1f of 64 cells empty on average, want at most 0.6 × random's %.1f", mean, meanRandom)
	}
}
