package search

import (
	"slices"
	"strconv"
	"testing"

	"github.com/sluicehq/sluice/tune/space"
)

// generationSizes counts a sequential run's trials per CMA-ES generation.
func generationSizes(t *testing.T, restart string) []int {
	o := objective{params: []space.Parameter{
		{Name: "x", Type: space.Int, Min: "1", Max: "4"},
		{Name: "y", Type: space.Int, Min: "1", Max: "4"},
	}, f: func(v map[string]string) float64 { return (num(v, "x") - 2) * (num(v, "y") - 3) * (num(v, "y") - 3) }}
	_, trials := run(t, Algorithm{Name: "cmaes", Settings: []Setting{{"restart_strategy", restart}}}, o, 1000, 6, 3)
	var sizes []int
	for _, tr := range trials {
		g, err := strconv.Atoi(tr.Labels[LabelGeneration])
		if err != nil {
			t.Fatalf("trial without a generation: %v", tr.Labels)
		}
		for len(sizes) <= g {
			sizes = append(sizes, 0)
		}
		sizes[g]++
	}
	return sizes
}

// A stagnating run restarts with a larger population (IPOP), or alternates
// large and small ones (BIPOP); without a strategy λ stays 4 + ⌊3 ln 2⌋ = 6.
func TestCMAESRestarts(t *testing.T) {
	if s := generationSizes(t, "none"); slices.Max(s[:len(s)-1]) != 6 || slices.Min(s[:len(s)-1]) != 6 {
		t.Errorf("without restarts: generation sizes %v, want 6", s)
	}
	ipop := generationSizes(t, "ipop")
	if !slices.Contains(ipop, 12) || !slices.Contains(ipop, 24) {
		t.Errorf("ipop: generation sizes %v, want 6, then 12, 24 after restarts", ipop)
	}
	bipop := generationSizes(t, "bipop")
	if !slices.Contains(bipop, 12) {
		t.Errorf("bipop: generation sizes %v, want a large run of 12", bipop)
	}
}

func TestCMAESWeights(t *testing.T) {
	st := newCMAState([]float64{0, 0}, 1, 6)
	var pos, neg float64
	for i, w := range st.w {
		if i < st.mu && w <= 0 || i >= st.mu && w > 0 {
			t.Errorf("weight %d = %v has the wrong sign", i, w)
		}
		if w > 0 {
			pos += w
		} else {
			neg += w
		}
	}
	if pos < 0.999999 || pos > 1.000001 || neg >= 0 {
		t.Errorf("positive weights sum to %v (want 1), negative to %v (want < 0)", pos, neg)
	}
	if st.lambda != 6 || st.mu != 3 {
		t.Errorf("λ, μ = %d, %d; want 6, 3", st.lambda, st.mu)
	}
}
