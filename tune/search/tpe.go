package search

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/sluicehq/sluice/tune/space"
)

// tpe is the Tree-structured Parzen Estimator as hyperopt implements it
// (Bergstra et al. 2011; TUNING.md §2.4): independent per parameter, the
// √n split, adaptive Parzen bandwidths, linear forgetting, n_EI_candidates
// draws from l(x) and the draw maximising log l(x) − log g(x). Numeric
// parameters are modelled in their internal coordinates (log space for log
// distributions); ints and stepped values as continuous on their widened
// range, snapped at the end. Active trials join the "bad" set (constant
// liar), so suggestions made together differ.
type tpe struct {
	base
	gamma       float64
	priorWeight float64
	candidates  int
	startup     int
}

// forgetting is hyperopt's linear-forgetting window (LF).
const forgetting = 25

func newTPE(b base, set *settings) (Suggester, error) {
	t := &tpe{base: b}
	var err error
	if t.gamma, err = set.float("gamma", 0.25, 0, 1); err != nil {
		return nil, err
	}
	if t.priorWeight, err = set.float("prior_weight", 1.0, 0, math.Inf(1)); err != nil {
		return nil, err
	}
	if t.candidates, err = set.positiveInt("n_EI_candidates", 24); err != nil {
		return nil, err
	}
	if t.startup, err = set.positiveInt("n_startup_trials", 10); err != nil {
		return nil, err
	}
	if t.seed, err = set.seed(b.seed); err != nil {
		return nil, err
	}
	if err := set.done("tpe"); err != nil {
		return nil, err
	}
	return &pointSuggester{base: t.base, next: t.next}, nil
}

func (t *tpe) next(_ context.Context, h *history, r *rand.Rand) (space.Point, error) {
	if len(h.done) < t.startup {
		return t.sp.Sample(r), nil
	}
	below, above := splitTPE(h, min(int(math.Ceil(t.gamma*math.Sqrt(float64(len(h.done))))), forgetting))
	pt := make(space.Point, t.sp.Len())
	for i := range t.sp.Len() {
		p := t.sp.Param(i)
		bv, av := column(below, i), column(above, i)
		if p.IsChoice() {
			pt[i] = t.bestChoice(p, bv, av, r)
			continue
		}
		l := newParzen(p, bv, t.priorWeight)
		g := newParzen(p, av, t.priorWeight)
		best, bestScore := 0.0, math.Inf(-1)
		for range t.candidates {
			x := p.Snap(l.sample(r))
			if s := l.logpdf(x) - g.logpdf(x); s > bestScore {
				best, bestScore = x, s
			}
		}
		pt[i] = best
	}
	return pt, nil
}

// splitTPE puts the nBelow best observed trials in below and the other
// observed and all active trials in above, each in creation order.
func splitTPE(h *history, nBelow int) (below, above []obs) {
	sorted := sortByLoss(h.done)
	below = slices.Clone(sorted[:nBelow])
	above = append(slices.Clone(sorted[nBelow:]), h.act...)
	byIdx := func(a, b obs) int { return a.idx - b.idx }
	slices.SortFunc(below, byIdx)
	slices.SortFunc(above, byIdx)
	return below, above
}

func column(o []obs, i int) []float64 {
	c := make([]float64, len(o))
	for j, x := range o {
		c[j] = x.pt[i]
	}
	return c
}

// forgettingWeights are hyperopt's weights of n observations, oldest
// first: 1 each, except that beyond the newest 25 they ramp linearly from
// 1/n (oldest) towards 1.
func forgettingWeights(n int) []float64 {
	w := make([]float64, n)
	ramp := n - forgetting
	for i := range w {
		w[i] = 1
		if i < ramp {
			if ramp == 1 {
				w[i] = 1 / float64(n)
			} else {
				w[i] = 1/float64(n) + (1-1/float64(n))*float64(i)/float64(ramp-1)
			}
		}
	}
	return w
}

func (t *tpe) bestChoice(p *space.Param, bv, av []float64, r *rand.Rand) float64 {
	k := int(p.Size())
	pl := choiceWeights(k, bv, t.priorWeight)
	pg := choiceWeights(k, av, t.priorWeight)
	best, bestScore := 0, math.Inf(-1)
	for range t.candidates {
		c := drawIndex(r, pl)
		if s := math.Log(pl[c]) - math.Log(pg[c]); s > bestScore {
			best, bestScore = c, s
		}
	}
	return float64(best)
}

// choiceWeights is p(k) ∝ prior_weight + Σ forgetting weights of the
// observations equal to k.
func choiceWeights(k int, vals []float64, prior float64) []float64 {
	p := make([]float64, k)
	for i := range p {
		p[i] = prior
	}
	for j, w := range forgettingWeights(len(vals)) {
		p[int(vals[j])] += w
	}
	var sum float64
	for _, v := range p {
		sum += v
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

func drawIndex(r *rand.Rand, w []float64) int {
	u := r.Float64()
	for i, p := range w {
		if u < p {
			return i
		}
		u -= p
	}
	return len(w) - 1
}

// parzen is hyperopt's adaptive Parzen estimator: a mixture of Gaussians
// truncated to [lo, hi], one per observation plus the prior.
type parzen struct {
	mu, sigma, w []float64
	lo, hi       float64
	logZ         float64 // log Σ wᵢ (Φ((hi−μᵢ)/σᵢ) − Φ((lo−μᵢ)/σᵢ))
}

func newParzen(p *space.Param, vals []float64, priorWeight float64) *parzen {
	lo, hi := p.Widened()
	pmu, psigma := (lo+hi)/2, hi-lo
	if mu, sigma, ok := p.Normal(); ok {
		pmu, psigma = mu, sigma
	}
	n := len(vals)
	type comp struct{ mu, w float64 }
	comps := make([]comp, 0, n+1)
	fw := forgettingWeights(n)
	for j, v := range vals {
		comps = append(comps, comp{v, fw[j]})
	}
	slices.SortStableFunc(comps, func(a, b comp) int {
		switch {
		case a.mu < b.mu:
			return -1
		case a.mu > b.mu:
			return 1
		}
		return 0
	})
	// Insert the prior where numpy's searchsorted (left) would.
	pos, _ := slices.BinarySearchFunc(comps, pmu, func(c comp, t float64) int {
		switch {
		case c.mu < t:
			return -1
		case c.mu > t:
			return 1
		}
		return 0
	})
	comps = slices.Insert(comps, pos, comp{pmu, priorWeight})
	m := len(comps)
	pz := &parzen{mu: make([]float64, m), sigma: make([]float64, m), w: make([]float64, m), lo: lo, hi: hi}
	for i, c := range comps {
		pz.mu[i], pz.w[i] = c.mu, c.w
	}
	switch {
	case m == 1:
		pz.sigma[0] = psigma
	case m == 2:
		pz.sigma[0], pz.sigma[1] = psigma, psigma
		pz.sigma[1-pos] = psigma * 0.5
	default:
		for i := range m {
			switch i {
			case 0:
				pz.sigma[i] = pz.mu[1] - pz.mu[0]
			case m - 1:
				pz.sigma[i] = pz.mu[m-1] - pz.mu[m-2]
			default:
				pz.sigma[i] = math.Max(pz.mu[i]-pz.mu[i-1], pz.mu[i+1]-pz.mu[i])
			}
		}
		minSigma := psigma / math.Min(100, 1+float64(m))
		for i := range pz.sigma {
			pz.sigma[i] = math.Min(math.Max(pz.sigma[i], minSigma), psigma)
		}
		pz.sigma[pos] = psigma
	}
	var sum float64
	for _, w := range pz.w {
		sum += w
	}
	var z float64
	for i := range pz.w {
		pz.w[i] /= sum
		z += pz.w[i] * (space.NormalCDF((hi-pz.mu[i])/pz.sigma[i]) - space.NormalCDF((lo-pz.mu[i])/pz.sigma[i]))
	}
	pz.logZ = math.Log(z)
	return pz
}

// sample draws a component by weight and a value from it inside [lo, hi].
func (pz *parzen) sample(r *rand.Rand) float64 {
	c := drawIndex(r, pz.w)
	return space.TruncNormal(r, pz.mu[c], pz.sigma[c], pz.lo, pz.hi)
}

func (pz *parzen) logpdf(x float64) float64 {
	lse := newLogSumExp(len(pz.w))
	for i, w := range pz.w {
		lse.add(math.Log(w) + space.NormalLogPDF(x, pz.mu[i], pz.sigma[i]))
	}
	return lse.value() - pz.logZ
}

// logSumExp accumulates log Σ exp(termᵢ) without overflow.
type logSumExp struct{ terms []float64 }

func newLogSumExp(n int) *logSumExp { return &logSumExp{terms: make([]float64, 0, n)} }

func (l *logSumExp) add(t float64) { l.terms = append(l.terms, t) }

func (l *logSumExp) value() float64 {
	m := math.Inf(-1)
	for _, t := range l.terms {
		m = math.Max(m, t)
	}
	if math.IsInf(m, -1) {
		return m
	}
	var s float64
	for _, t := range l.terms {
		s += math.Exp(t - m)
	}
	return m + math.Log(s)
}
