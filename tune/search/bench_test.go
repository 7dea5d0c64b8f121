package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/sluicehq/sluice/tune/space"
)

// historyOf makes n completed trials of o: drawn by the algorithm itself
// when self is set (so labels and generations are real), else at random.
func historyOf(b testing.TB, alg Algorithm, o objective, n int, self bool) (Suggester, []Trial) {
	b.Helper()
	sp, err := space.New(o.params)
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(sp, alg, Options{Direction: o.dir, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if self {
		_, trials := run(b, alg, o, n, 10, 1)
		return s, trials
	}
	r := rand.New(rand.NewPCG(3, 3))
	trials := make([]Trial, n)
	for i := range trials {
		a := sp.Format(sp.Sample(r))
		trials[i] = Trial{Name: fmt.Sprint(i), Assignment: a, State: Succeeded, HasValue: true, Value: o.f(asMap(a))}
	}
	return s, trials
}

// gridQuad is quad2d on a 0.01 grid (1,001² points), so a grid experiment
// can have 1,000 trials.
var gridQuad = objective{
	name: "quad2d-grid",
	params: []space.Parameter{
		{Name: "x", Type: space.Double, Min: "-5", Max: "5", Step: "0.01"},
		{Name: "y", Type: space.Double, Min: "-5", Max: "5", Step: "0.01"},
	},
	f: quad2d.f,
}

// BenchmarkSuggest is the time of one suggestion with 1,000 completed
// trials (TUNING.md targets: < 10 ms for random, grid and sobol; < 100 ms
// for tpe, cmaes and bayesianoptimization). "random" on the same history
// is the baseline of the run.
func BenchmarkSuggest(b *testing.B) {
	hb := Algorithm{Name: "hyperband", Settings: []Setting{{"resource_name", "layers"}, {"r_l", "729"}}}
	for _, c := range []struct {
		alg  Algorithm
		o    objective
		self bool
	}{
		{Algorithm{Name: "random"}, mixed, false},
		{Algorithm{Name: "grid"}, gridQuad, true},
		{Algorithm{Name: "sobol"}, mixed, true},
		{Algorithm{Name: "tpe"}, mixed, false},
		{Algorithm{Name: "multivariate-tpe"}, mixed, false},
		{Algorithm{Name: "cmaes"}, mixed, true},
		{hb, mixed, true},
		{Algorithm{Name: "bayesianoptimization"}, mixed, false},
	} {
		b.Run(c.alg.Name, func(b *testing.B) {
			s, trials := historyOf(b, c.alg, c.o, 1000, c.self)
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Suggest(context.Background(), trials, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
