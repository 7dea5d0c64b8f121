package space

import (
	"math"
	"math/rand/v2"
)

// Sample draws one coordinate from the parameter's prior:
//   - a choice, or an int or stepped value of a uniform parameter: every
//     value equally likely;
//   - uniform double: uniform on [min, max];
//   - logUniform: uniform in log space on the widened range, then snapped;
//   - normal, logNormal: the declared normal (in log space for logNormal)
//     truncated to the widened range, then snapped.
func (p *Param) Sample(r *rand.Rand) float64 {
	switch {
	case p.decl.Distribution == Normal || p.decl.Distribution == LogNormal:
		return p.Snap(TruncNormal(r, p.mu, p.sigma, p.wlo, p.whi))
	case p.n > 0 && !p.log:
		return p.GridValue(r.Int64N(p.n))
	}
	return p.Snap(p.wlo + r.Float64()*(p.whi-p.wlo))
}

// Sample draws a point from the prior of every parameter.
func (s *Space) Sample(r *rand.Rand) Point {
	pt := make(Point, len(s.params))
	for i, p := range s.params {
		pt[i] = p.Sample(r)
	}
	return pt
}

// TruncNormal draws from N(mu, sigma²) truncated to [lo, hi] by rejection;
// after 100 rejections (a normal far from the range) it falls back to a
// uniform draw on [lo, hi].
func TruncNormal(r *rand.Rand, mu, sigma, lo, hi float64) float64 {
	if sigma > 0 {
		for range 100 {
			x := mu + sigma*r.NormFloat64()
			if x >= lo && x <= hi {
				return x
			}
		}
	}
	if hi <= lo {
		return lo
	}
	return lo + r.Float64()*(hi-lo)
}

// NormalCDF is Φ(z).
func NormalCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// NormalLogPDF is log φ((x−mu)/sigma)/sigma.
func NormalLogPDF(x, mu, sigma float64) float64 {
	z := (x - mu) / sigma
	return -0.5*z*z - math.Log(sigma) - 0.5*math.Log(2*math.Pi)
}

// Quantile maps u in [0, 1] through the inverse distribution function of
// the parameter's prior: FromUnit for uniform and log-uniform parameters
// and choices, the truncated normal's quantile (then snapped) for normal
// and log-normal ones. Quasi-random algorithms use it to honour priors.
func (p *Param) Quantile(u float64) float64 {
	mu, sigma, ok := p.Normal()
	if !ok {
		return p.FromUnit(u)
	}
	a, b := NormalCDF((p.wlo-mu)/sigma), NormalCDF((p.whi-mu)/sigma)
	q := a + u*(b-a)
	q = math.Min(math.Max(q, 1e-300), 1-1e-16)
	return p.Snap(mu + sigma*math.Sqrt2*math.Erfinv(2*q-1))
}
