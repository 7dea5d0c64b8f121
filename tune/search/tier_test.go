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
