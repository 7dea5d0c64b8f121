package search

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/sluicehq/sluice/tune/space"
)

// objective is one of TUNING.md §7's synthetic functions.
type objective struct {
	name   string
	params []space.Parameter
	dir    Direction
	f      func(v map[string]string) float64 // noise-free value
	noise  float64                           // σ of the per-trial noise added to observations
}

func num(v map[string]string, k string) float64 {
	f, err := strconv.ParseFloat(v[k], 64)
	if err != nil {
		panic(fmt.Sprintf("%s = %q: %v", k, v[k], err))
	}
	return f
}

var (
	quad2d = objective{
		name: "quad2d",
		params: []space.Parameter{
			{Name: "x", Type: space.Double, Min: "-5", Max: "5"},
			{Name: "y", Type: space.Double, Min: "-5", Max: "5"},
		},
		f: func(v map[string]string) float64 {
			x, y := num(v, "x"), num(v, "y")
			return (x-1)*(x-1) + (y+2)*(y+2)
		},
	}
	branin = objective{
		name: "branin",
		params: []space.Parameter{
			{Name: "x1", Type: space.Double, Min: "-5", Max: "10"},
			{Name: "x2", Type: space.Double, Min: "0", Max: "15"},
		},
		f: func(v map[string]string) float64 {
			x1, x2 := num(v, "x1"), num(v, "x2")
			a := x2 - 5.1*x1*x1/(4*math.Pi*math.Pi) + 5*x1/math.Pi - 6
			return a*a + 10*(1-1/(8*math.Pi))*math.Cos(x1) + 10
		},
	}
	mixed = objective{
		name: "mixed",
		params: []space.Parameter{
			{Name: "opt", Type: space.Categorical, List: []string{"sgd", "adam", "rmsprop"}},
			{Name: "layers", Type: space.Int, Min: "1", Max: "8"},
			{Name: "lr", Type: space.Double, Min: "1e-4", Max: "1e-1", Distribution: space.LogUniform},
		},
		f: func(v map[string]string) float64 {
			c := map[string]float64{"sgd": 0.5, "adam": 0, "rmsprop": 0.2}[v["opt"]]
			l := num(v, "layers") - 5
			g := math.Log10(num(v, "lr")) + 3
			return c + 0.05*l*l + g*g
		},
	}
	hartmann3 = objective{
		name: "hartmann3-noisy",
		params: []space.Parameter{
			{Name: "x1", Type: space.Double, Min: "0", Max: "1"},
			{Name: "x2", Type: space.Double, Min: "0", Max: "1"},
			{Name: "x3", Type: space.Double, Min: "0", Max: "1"},
		},
		dir:   Maximize,
		noise: 0.1,
		f: func(v map[string]string) float64 {
			x := []float64{num(v, "x1"), num(v, "x2"), num(v, "x3")}
			return -hartmannH3(x)
		},
	}
)

func hartmannH3(x []float64) float64 {
	alpha := []float64{1.0, 1.2, 3.0, 3.2}
	A := [4][3]float64{{3, 10, 30}, {0.1, 10, 35}, {3, 10, 30}, {0.1, 10, 35}}
	P := [4][3]float64{{3689, 1170, 2673}, {4699, 4387, 7470}, {1091, 8732, 5547}, {381, 5743, 8828}}
	var h float64
	for i := range 4 {
		var s float64
		for j := range 3 {
			d := x[j] - P[i][j]*1e-4
			s += A[i][j] * d * d
		}
		h -= alpha[i] * math.Exp(-s)
	}
	return h
}

func asMap(a space.Assignment) map[string]string {
	m := map[string]string{}
	for _, v := range a {
		m[v.Name] = v.Value
	}
	return m
}

// run is a sequential (par 1) or batched experiment of n trials: par
// suggestions at a time, evaluated together, no feedback between them. It
// returns the noise-free objective at the trial the tuner reports as best
// (the best observed value) and the trials.
func run(t testing.TB, alg Algorithm, o objective, n, par int, seed uint64) (float64, []Trial) {
	t.Helper()
	sp, err := space.New(o.params)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(sp, alg, Options{Direction: o.dir, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	noise := rand.New(rand.NewPCG(seed, 0xbad))
	var trials []Trial
	for len(trials) < n {
		res, err := s.Suggest(context.Background(), trials, min(par, n-len(trials)))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Suggestions) == 0 {
			break
		}
		start := len(trials)
		for _, sg := range res.Suggestions {
			trials = append(trials, Trial{Name: fmt.Sprintf("t%d", len(trials)), Assignment: sg.Assignment, State: Running, Labels: sg.Labels})
		}
		for i := start; i < len(trials); i++ {
			trials[i].Value = o.f(asMap(trials[i].Assignment)) + o.noise*noise.NormFloat64()
			trials[i].HasValue = true
			trials[i].State = Succeeded
		}
	}
	best := 0
	for i, tr := range trials {
		if (o.dir == Minimize && tr.Value < trials[best].Value) || (o.dir == Maximize && tr.Value > trials[best].Value) {
			best = i
		}
	}
	return o.f(asMap(trials[best].Assignment)), trials
}

// medianBest is the median over seeds 1..k of run's result.
func medianBest(t testing.TB, alg Algorithm, o objective, n, par, k int) float64 {
	t.Helper()
	v := make([]float64, k)
	for s := range k {
		v[s], _ = run(t, alg, o, n, par, uint64(s+1))
	}
	slices.Sort(v)
	return v[k/2]
}

// tierA is TUNING.md §7.2: per objective and budget, the thresholds of the
// random, TPE and CMA-ES columns.
var tierA = []struct {
	o                objective
	n, par           int
	random, tpe, cma float64
}{
	{quad2d, 50, 1, 1.8, 0.7, 0.12},
	{quad2d, 100, 1, 0.75, 0.2, 0.01},
	{quad2d, 100, 4, 0.75, 0.35, 0.03},
	{branin, 50, 1, 3.5, 2.2, 3.5},
	{branin, 100, 1, 2.0, 1.1, 1.0},
	{branin, 100, 4, 2.0, 1.4, 1.0},
	{mixed, 50, 1, 0.25, 0.1, 0.07},
	{mixed, 100, 1, 0.12, 0.06, 0.03},
	{hartmann3, 50, 1, 2.9, 3.25, 3.3},
	{hartmann3, 100, 1, 3.3, 3.5, 3.55},
}

func meets(o objective, got, threshold float64) bool {
	if o.dir == Maximize {
		return got >= threshold
	}
	return got <= threshold
}

// checkTierA runs the rows with budget at most maxN against the column
// col picks.
func checkTierA(t *testing.T, alg Algorithm, maxN int, col func(r struct {
	o                objective
	n, par           int
	random, tpe, cma float64
}) float64) {
	for _, row := range tierA {
		if row.n > maxN {
			continue
		}
		t.Run(fmt.Sprintf("%s/N=%d/par=%d", row.o.name, row.n, row.par), func(t *testing.T) {
			got := medianBest(t, alg, row.o, row.n, row.par, 5)
			th := col(row)
			t.Logf("median of 5 seeds: %.4g (threshold %g)", got, th)
			if !meets(row.o, got, th) {
				t.Errorf("median best %.4g misses the Tier A threshold %g", got, th)
			}
		})
	}
}
