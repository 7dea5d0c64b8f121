package search

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The likelihood's analytic gradient matches central differences.
func TestGPGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cat := []bool{false, false, true}
	var x [][]float64
	var y []float64
	for range 15 {
		p := []float64{r.Float64(), r.Float64(), float64(r.IntN(3))}
		x = append(x, p)
		y = append(y, math.Sin(4*p[0])+p[1]*p[1]+0.3*p[2])
	}
	g := &gp{cat: cat, theta: make([]float64, 5)}
	f := g.likelihood(x, y)
	theta := []float64{0.3, math.Log(0.4), math.Log(0.7), math.Log(1.5), math.Log(0.01)}
	grad := make([]float64, len(theta))
	f(theta, grad)
	scratch := make([]float64, len(theta))
	for k := range theta {
		const h = 1e-5
		up, down := append([]float64(nil), theta...), append([]float64(nil), theta...)
		up[k] += h
		down[k] -= h
		num := (f(up, scratch) - f(down, scratch)) / (2 * h)
		if math.Abs(num-grad[k]) > 1e-4*math.Max(1, math.Abs(num)) {
			t.Errorf("∂/∂θ%d: analytic %.6g, numeric %.6g", k, grad[k], num)
		}
	}
}

// The fitted process interpolates what it saw and is uncertain far away.
func TestGPPredicts(t *testing.T) {
	cat := []bool{false}
	var x [][]float64
	var y []float64
	for i := range 12 {
		v := float64(i) / 22 // [0, 0.5]
		x = append(x, []float64{v})
		y = append(y, math.Sin(6*v))
	}
	g := fitGP(cat, x, y, len(x))
	k, dd := make([]float64, len(x)), make([]float64, 1)
	mu, sd := g.predict([]float64{5.0 / 22}, k, dd)
	if math.Abs(mu-math.Sin(30.0/22)) > 0.01 || sd > 0.05 {
		t.Errorf("at an observed point: μ = %v (want %v), σ = %v", mu, math.Sin(30.0/22), sd)
	}
	_, far := g.predict([]float64{1}, k, dd)
	if far < 5*sd {
		t.Errorf("far away σ = %v, not larger than near σ = %v", far, sd)
	}
}
