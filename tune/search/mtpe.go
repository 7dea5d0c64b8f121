package search

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/sluicehq/sluice/tune/space"
)

// mtpe is Optuna's multivariate TPE with constant liar (TUNING.md §2.5):
// one kernel per observation over all parameters (products of truncated
// Gaussians and categorical kernels) plus the prior, Scott-like bandwidths
// with the "magic clip", the ⌈0.1 n⌉ split (at most 25), Optuna's weights,
// candidates drawn and scored jointly, and active trials in the bad set.
type mtpe struct {
	base
	startup    int
	candidates int
}

func newMTPE(b base, set *settings) (Suggester, error) {
	t := &mtpe{base: b}
	var err error
	if t.startup, err = set.positiveInt("n_startup_trials", 10); err != nil {
		return nil, err
	}
	if t.candidates, err = set.positiveInt("n_ei_candidates", 24); err != nil {
		return nil, err
	}
	if t.seed, err = set.seed(b.seed); err != nil {
		return nil, err
	}
	if err := set.done("multivariate-tpe"); err != nil {
		return nil, err
	}
	return &pointSuggester{base: t.base, next: t.next}, nil
}

func (t *mtpe) next(_ context.Context, h *history, r *rand.Rand) (space.Point, error) {
	if len(h.done) < t.startup {
		return t.sp.Sample(r), nil
	}
	below, above := splitTPE(h, min(int(math.Ceil(0.1*float64(len(h.done)))), forgetting))
	l, g := t.estimator(below), t.estimator(above)
	var best space.Point
	bestScore := math.Inf(-1)
	for range t.candidates {
		x := l.sample(r)
		if s := l.logpdf(x) - g.logpdf(x); s > bestScore || best == nil {
			best, bestScore = x, s
		}
	}
	return best, nil
}

// kde is a weighted mixture of product kernels; kernel 0 is the prior.
type kde struct {
	sp    *space.Space
	pts   []space.Point // kernel centres; pts[0] is unused (prior)
	w     []float64     // normalised weights
	sigma []float64     // per parameter, observation kernels (numeric)
	cat   []float64     // per parameter, the weight an observation kernel puts on other choices
	logZ  [][]float64   // per kernel and numeric parameter, log of its mass inside the range
}

func (t *mtpe) estimator(o []obs) *kde {
	d := t.sp.Len()
	n := len(o)
	k := &kde{sp: t.sp, pts: make([]space.Point, n+1), w: make([]float64, n+1), sigma: make([]float64, d), cat: make([]float64, d)}
	k.w[0] = 1 // prior weight
	fw := optunaWeights(n)
	sum := 1.0
	for j, x := range o {
		k.pts[j+1] = x.pt
		k.w[j+1] = fw[j]
		sum += fw[j]
	}
	for j := range k.w {
		k.w[j] /= sum
	}
	for i := range d {
		p := t.sp.Param(i)
		if p.IsChoice() {
			k.cat[i] = 1 / float64(n+1) // prior_weight / (n+1) on each choice, plus 1 on the observed one
			continue
		}
		lo, hi := p.Widened()
		s := 0.2 * math.Pow(math.Max(float64(n), 1), -1/float64(d+4)) * (hi - lo)
		k.sigma[i] = math.Max(s, (hi-lo)/math.Min(100, float64(n+2)))
	}
	k.logZ = make([][]float64, n+1)
	for j := range k.logZ {
		k.logZ[j] = make([]float64, d)
		for i := range d {
			p := t.sp.Param(i)
			if p.IsChoice() {
				continue
			}
			mu, sigma := k.kernel(j, i)
			lo, hi := p.Widened()
			k.logZ[j][i] = math.Log(space.NormalCDF((hi-mu)/sigma) - space.NormalCDF((lo-mu)/sigma))
		}
	}
	return k
}

// kernel returns the centre and bandwidth of kernel j on numeric parameter i.
func (k *kde) kernel(j, i int) (mu, sigma float64) {
	lo, hi := k.sp.Param(i).Widened()
	if j == 0 {
		if mu, sigma, ok := k.sp.Param(i).Normal(); ok {
			return mu, sigma
		}
		return (lo + hi) / 2, hi - lo
	}
	return k.pts[j][i], k.sigma[i]
}

// choiceProb is kernel j's probability of choice c of parameter i.
func (k *kde) choiceProb(j, i, c int) float64 {
	size := float64(k.sp.Param(i).Size())
	if j == 0 {
		return 1 / size
	}
	p := k.cat[i]
	if int(k.pts[j][i]) == c {
		p++
	}
	return p / (1 + k.cat[i]*size)
}

func (k *kde) sample(r *rand.Rand) space.Point {
	j := drawIndex(r, k.w)
	pt := make(space.Point, k.sp.Len())
	for i := range pt {
		p := k.sp.Param(i)
		if p.IsChoice() {
			size := int(p.Size())
			probs := make([]float64, size)
			for c := range probs {
				probs[c] = k.choiceProb(j, i, c)
			}
			pt[i] = float64(drawIndex(r, probs))
			continue
		}
		lo, hi := p.Widened()
		mu, sigma := k.kernel(j, i)
		pt[i] = p.Snap(space.TruncNormal(r, mu, sigma, lo, hi))
	}
	return pt
}

func (k *kde) logpdf(x space.Point) float64 {
	lse := newLogSumExp(len(k.w))
	for j, w := range k.w {
		s := math.Log(w)
		for i, v := range x {
			if k.sp.Param(i).IsChoice() {
				s += math.Log(k.choiceProb(j, i, int(v)))
				continue
			}
			mu, sigma := k.kernel(j, i)
			s += space.NormalLogPDF(v, mu, sigma) - k.logZ[j][i]
		}
		lse.add(s)
	}
	return lse.value()
}

// optunaWeights are Optuna's default weights of n observations, oldest
// first: 1 each below 25, else a ramp from 1/n to 1 then 25 ones.
func optunaWeights(n int) []float64 {
	if n < forgetting {
		w := make([]float64, n)
		for i := range w {
			w[i] = 1
		}
		return w
	}
	return forgettingWeights(n)
}
