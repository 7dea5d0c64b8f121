package search

import (
	"os"
	"testing"
)

func TestTierARandom(t *testing.T) {
	checkTierA(t, Algorithm{Name: "random"}, 100, func(r struct {
		o                objective
		n, par           int
		random, tpe, cma float64
	}) float64 {
		return r.random
	})
}

func TestTierASobol(t *testing.T) {
	checkTierA(t, Algorithm{Name: "sobol"}, 100, func(r struct {
		o                objective
		n, par           int
		random, tpe, cma float64
	}) float64 {
		return r.random
	})
}

func TestTierATPE(t *testing.T) {
	checkTierA(t, Algorithm{Name: "tpe"}, 100, func(r struct {
		o                objective
		n, par           int
		random, tpe, cma float64
	}) float64 {
		return r.tpe
	})
}

func TestTierAMultivariateTPE(t *testing.T) {
	checkTierA(t, Algorithm{Name: "multivariate-tpe"}, 100, func(r struct {
		o                objective
		n, par           int
		random, tpe, cma float64
	}) float64 {
		return r.tpe
	})
}

func TestTierACMAES(t *testing.T) {
	checkTierA(t, Algorithm{Name: "cmaes"}, 100, func(r struct {
		o                objective
		n, par           int
		random, tpe, cma float64
	}) float64 {
		return r.cma
	})
}

// Bayesian optimisation meets the TPE column. Its N = 100 rows pass too
// (medians ≤ 1e-6 on quad2d, 0.398 on branin, ≥ 3.84 on hartmann3) but
// cost ~20 s of CPU, so they run only with SLUICE_TUNE_LONG=1.
func TestTierABayesOpt(t *testing.T) {
	maxN := 50
	if os.Getenv("SLUICE_TUNE_LONG") != "" {
		maxN = 100
	}
	checkTierA(t, Algorithm{Name: "bayesianoptimization"}, maxN, func(r struct {
		o                objective
		n, par           int
		random, tpe, cma float64
	}) float64 {
		return r.tpe
	})
}

// TUNING.md §7.3: TPE and CMA-ES beat random search (N = 100,
// sequential, median of 11 seeds). Random search is run on the same rows
// as the baseline and reported.
func TestTierB(t *testing.T) {
	for _, row := range []struct {
		alg       string
		o         objective
		threshold float64
	}{
		{"tpe", mixed, 0.01},
		{"tpe", quad2d, 0.12},
		{"tpe", branin, 0.7},
		{"cmaes", quad2d, 0.003},
		{"cmaes", branin, 0.5},
		{"cmaes", mixed, 0.005},
		{"cmaes", hartmann3, 3.70},
	} {
		t.Run(row.alg+"/"+row.o.name, func(t *testing.T) {
			got := medianBest(t, Algorithm{Name: row.alg}, row.o, 100, 1, 11)
			baseline := medianBest(t, Algorithm{Name: "random"}, row.o, 100, 1, 11)
			t.Logf("median of 11 seeds: %.4g (threshold %g; random search %.4g)", got, row.threshold, baseline)
			if !meets(row.o, got, row.threshold) {
				t.Errorf("median best %.4g misses the Tier B threshold %g", got, row.threshold)
			}
		})
	}
}
