package search

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/sluicehq/sluice/tune/space"
)

// LabelGeneration is the label CMA-ES puts on each suggestion: the
// generation whose distribution it was drawn from.
const LabelGeneration = "cmaes.generation"

// cmaes is CMA-ES with active (negative) weights as goptuna implements it
// (TUNING.md §2.7), on the int and double parameters in their internal
// coordinates; choices are drawn uniformly. Its state — mean, step size,
// covariance, evolution paths, restarts — is rebuilt on every call by
// replaying the observed trials generation by generation: a generation is
// updated once λ of the trials labelled with it have an observation (the
// first λ in creation order; later ones are ignored), and new suggestions
// are drawn from the current generation. A restart strategy (ipop, bipop)
// starts a new run when a stop criterion holds, with a mean drawn from the
// seed, so restarts replay too.
type cmaes struct {
	base
	sigma0  float64
	restart string
	num     []int     // indices of the numeric parameters
	lo, hi  []float64 // their widened bounds
}

func newCMAES(b base, set *settings) (Suggester, error) {
	c := &cmaes{base: b}
	for i := range b.sp.Len() {
		if p := b.sp.Param(i); !p.IsChoice() {
			lo, hi := p.Widened()
			c.num = append(c.num, i)
			c.lo, c.hi = append(c.lo, lo), append(c.hi, hi)
		}
	}
	if len(c.num) < 2 {
		return nil, space.Invalid("parameters", fmt.Sprintf("cmaes needs at least two int or double parameters, got %d", len(c.num)))
	}
	def := math.Inf(1)
	for j := range c.num {
		def = math.Min(def, (c.hi[j]-c.lo[j])/6)
	}
	var err error
	if c.sigma0, err = set.float("sigma", def, 0, math.Inf(1)); err != nil {
		return nil, err
	}
	if c.restart, err = set.choice("restart_strategy", "none", "none", "ipop", "bipop"); err != nil {
		return nil, err
	}
	if c.seed, err = set.seed(b.seed); err != nil {
		return nil, err
	}
	if err := set.done("cmaes"); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *cmaes) Suggest(ctx context.Context, trials []Trial, n int) (Result, error) {
	if err := checkN(ctx, n); err != nil {
		return Result{}, err
	}
	h, err := c.history(trials)
	if err != nil {
		return Result{}, err
	}
	st, gen := c.replay(h)
	var res Result
	for j := range n {
		r := c.rng(len(trials) + j)
		pt := make(space.Point, c.sp.Len())
		x := st.sample(r, c.lo, c.hi)
		for k, i := range c.num {
			pt[i] = c.sp.Param(i).Snap(x[k])
		}
		for i := range pt {
			if p := c.sp.Param(i); p.IsChoice() {
				pt[i] = p.Sample(r)
			}
		}
		labels := map[string]string{LabelGeneration: strconv.Itoa(gen)}
		res.Suggestions = append(res.Suggestions, Suggestion{Assignment: c.sp.Format(pt), Labels: labels})
	}
	return res, nil
}

// replay rebuilds the state from the observed trials and returns it with
// the current generation number.
func (c *cmaes) replay(h *history) (*cmaState, int) {
	byGen := map[int][]obs{}
	for _, o := range h.done {
		if g, err := strconv.Atoi(o.labels[LabelGeneration]); err == nil && g >= 0 {
			byGen[g] = append(byGen[g], o)
		}
	}
	dim := len(c.num)
	lambda0 := 4 + int(math.Floor(3*math.Log(float64(dim))))
	mean := make([]float64, dim)
	for j := range mean {
		mean[j] = (c.lo[j] + c.hi[j]) / 2
	}
	st := newCMAState(mean, c.sigma0, lambda0)
	restarts, largeRestarts := 0, 0
	evalsSmall, evalsLarge := 0, 0
	small := false
	for gen := 0; ; gen++ {
		sol := byGen[gen]
		if len(sol) < st.lambda {
			return st, gen
		}
		sol = sortByLoss(sol[:st.lambda])
		xs := make([][]float64, len(sol))
		fs := make([]float64, len(sol))
		for i, o := range sol {
			xs[i] = make([]float64, dim)
			for k, pi := range c.num {
				xs[i][k] = o.pt[pi]
			}
			fs[i] = o.loss
		}
		st.tell(xs, fs)
		if small {
			evalsSmall += st.lambda
		} else {
			evalsLarge += st.lambda
		}
		if c.restart == "none" || !st.shouldStop(c.sigma0) {
			continue
		}
		restarts++
		r := rand.New(rand.NewPCG(c.seed^0x7f4a7c15c0ffee, uint64(restarts)))
		for j := range mean {
			mean[j] = c.lo[j] + r.Float64()*(c.hi[j]-c.lo[j])
		}
		lambda, sigma := lambda0, c.sigma0
		small = false
		switch {
		case c.restart == "bipop" && evalsSmall < evalsLarge:
			small = true
			mult := math.Pow(2, float64(largeRestarts))
			u := r.Float64()
			lambda = max(lambda0, int(math.Floor(float64(lambda0)*math.Pow(mult, u*u))))
			sigma = c.sigma0 * math.Pow(10, -2*r.Float64())
		default:
			largeRestarts++
			lambda = lambda0 << min(largeRestarts, 20)
		}
		st = newCMAState(mean, sigma, lambda)
	}
}

// cmaState is one run of CMA-ES.
type cmaState struct {
	n, lambda, mu                           int
	w                                       []float64
	mueff, cs, ds, cc, c1, cmu, chiN, sigma float64
	mean, pc, ps                            []float64
	C                                       *mat.SymDense
	B                                       *mat.Dense
	D                                       []float64
	g                                       int
	funHist                                 []float64 // best and worst loss of recent generations
}

func newCMAState(mean []float64, sigma float64, lambda int) *cmaState {
	n := len(mean)
	s := &cmaState{n: n, lambda: lambda, mu: lambda / 2, sigma: sigma, mean: append([]float64(nil), mean...)}
	raw := make([]float64, lambda)
	var sumPos, sumPos2, sumNeg, sumNeg2 float64
	for i := range raw {
		raw[i] = math.Log(float64(lambda+1)/2) - math.Log(float64(i+1))
		if i < s.mu {
			sumPos += raw[i]
			sumPos2 += raw[i] * raw[i]
		} else {
			sumNeg += raw[i]
			sumNeg2 += raw[i] * raw[i]
		}
	}
	s.mueff = sumPos * sumPos / sumPos2
	mueffNeg := 0.0
	if sumNeg2 > 0 {
		mueffNeg = sumNeg * sumNeg / sumNeg2
	}
	nf := float64(n)
	s.cs = (s.mueff + 2) / (nf + s.mueff + 5)
	s.ds = 1 + 2*math.Max(0, math.Sqrt((s.mueff-1)/(nf+1))-1) + s.cs
	s.cc = (4 + s.mueff/nf) / (nf + 4 + 2*s.mueff/nf)
	s.c1 = 2 / ((nf+1.3)*(nf+1.3) + s.mueff)
	s.cmu = math.Min(1-s.c1-1e-8, 2*(s.mueff-2+1/s.mueff)/((nf+2)*(nf+2)+s.mueff))
	alphaNeg := math.Min(1+s.c1/s.cmu, math.Min(1+2*mueffNeg/(s.mueff+2), (1-s.c1-s.cmu)/(nf*s.cmu)))
	var posTotal, negTotal float64
	for _, v := range raw {
		if v >= 0 {
			posTotal += v
		} else {
			negTotal -= v
		}
	}
	s.w = make([]float64, lambda)
	for i, v := range raw {
		if v >= 0 {
			s.w[i] = v / posTotal
		} else {
			s.w[i] = v * alphaNeg / negTotal
		}
	}
	s.chiN = math.Sqrt(nf) * (1 - 1/(4*nf) + 1/(21*nf*nf))
	s.pc, s.ps = make([]float64, n), make([]float64, n)
	s.C = mat.NewSymDense(n, nil)
	for i := range n {
		s.C.SetSym(i, i, 1)
	}
	s.B = mat.NewDense(n, n, nil)
	s.D = make([]float64, n)
	for i := range n {
		s.B.Set(i, i, 1)
		s.D[i] = 1
	}
	return s
}

// sample draws x = m + σ B D z, redrawing up to 100 times a point outside
// the open box (lo, hi), then clipping.
func (s *cmaState) sample(r *rand.Rand, lo, hi []float64) []float64 {
	x := make([]float64, s.n)
	z := make([]float64, s.n)
	for try := 0; ; try++ {
		for i := range z {
			z[i] = r.NormFloat64() * s.D[i]
		}
		inside := true
		for i := range x {
			var y float64
			for k := range z {
				y += s.B.At(i, k) * z[k]
			}
			x[i] = s.mean[i] + s.sigma*y
			if !(x[i] > lo[i] && x[i] < hi[i]) {
				inside = false
			}
		}
		if inside || try == 99 {
			break
		}
	}
	for i := range x {
		x[i] = math.Min(math.Max(x[i], lo[i]), hi[i])
	}
	return x
}

// invSqrt applies C^(−1/2) = B D⁻¹ Bᵀ to v.
func (s *cmaState) invSqrt(v []float64) []float64 {
	t := make([]float64, s.n)
	for k := range s.n {
		for i := range s.n {
			t[k] += s.B.At(i, k) * v[i]
		}
		t[k] /= s.D[k]
	}
	out := make([]float64, s.n)
	for i := range s.n {
		for k := range s.n {
			out[i] += s.B.At(i, k) * t[k]
		}
	}
	return out
}

// tell updates the state with one generation's solutions, sorted by loss.
func (s *cmaState) tell(xs [][]float64, fs []float64) {
	s.g++
	n := s.n
	ys := make([][]float64, len(xs))
	yw := make([]float64, n)
	for i, x := range xs {
		ys[i] = make([]float64, n)
		for k := range n {
			ys[i][k] = (x[k] - s.mean[k]) / s.sigma
			if i < s.mu {
				yw[k] += s.w[i] * ys[i][k]
			}
		}
	}
	for k := range n {
		s.mean[k] += s.sigma * yw[k]
	}
	cy := s.invSqrt(yw)
	a := math.Sqrt(s.cs * (2 - s.cs) * s.mueff)
	var psNorm float64
	for k := range n {
		s.ps[k] = (1-s.cs)*s.ps[k] + a*cy[k]
		psNorm += s.ps[k] * s.ps[k]
	}
	psNorm = math.Sqrt(psNorm)
	s.sigma *= math.Exp((s.cs / s.ds) * (psNorm/s.chiN - 1))
	s.sigma = math.Min(s.sigma, 1e32)
	hs := 0.0
	if psNorm/math.Sqrt(1-math.Pow(1-s.cs, float64(2*(s.g+1)))) < (1.4+2/float64(n+1))*s.chiN {
		hs = 1
	}
	b := hs * math.Sqrt(s.cc*(2-s.cc)*s.mueff)
	for k := range n {
		s.pc[k] = (1-s.cc)*s.pc[k] + b*yw[k]
	}
	var wsum float64
	wio := make([]float64, len(ys))
	for i, y := range ys {
		wsum += s.w[i]
		wio[i] = s.w[i]
		if s.w[i] < 0 {
			cyi := s.invSqrt(y)
			var nn float64
			for _, v := range cyi {
				nn += v * v
			}
			wio[i] = s.w[i] * float64(n) / (nn + 1e-8)
		}
	}
	dh := (1 - hs) * s.cc * (2 - s.cc)
	decay := 1 + s.c1*dh - s.c1 - s.cmu*wsum
	for p := range n {
		for q := p; q < n; q++ {
			v := decay*s.C.At(p, q) + s.c1*s.pc[p]*s.pc[q]
			for i, y := range ys {
				v += s.cmu * wio[i] * y[p] * y[q]
			}
			s.C.SetSym(p, q, v)
		}
	}
	s.decompose()
	s.funHist = append(s.funHist, fs[0], fs[len(fs)-1])
	if keep := 2 * (10 + int(math.Ceil(30*float64(n)/float64(s.lambda)))); len(s.funHist) > keep {
		s.funHist = s.funHist[len(s.funHist)-keep:]
	}
}

// decompose refreshes B and D from C = B D² Bᵀ.
func (s *cmaState) decompose() {
	for i := range s.n {
		if s.C.At(i, i) <= 0 {
			s.C.SetSym(i, i, s.C.At(i, i)+1e-8)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(s.C, true) {
		return // keep the previous basis
	}
	vals := eig.Values(nil)
	eig.VectorsTo(s.B)
	for i, v := range vals {
		s.D[i] = math.Sqrt(math.Max(v, 1e-20))
	}
}

// shouldStop reports a stop criterion of the restart strategies.
func (s *cmaState) shouldStop(sigma0 float64) bool {
	window := 2 * (10 + int(math.Ceil(30*float64(s.n)/float64(s.lambda))))
	if len(s.funHist) >= window {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, f := range s.funHist {
			lo, hi = math.Min(lo, f), math.Max(hi, f)
		}
		if hi-lo < 1e-12 {
			return true
		}
	}
	tolx := 1e-12 * sigma0
	small := true
	dmax, dmin := 0.0, math.Inf(1)
	for i := range s.n {
		if s.sigma*s.pc[i] >= tolx || s.sigma*math.Sqrt(s.C.At(i, i)) >= tolx {
			small = false
		}
		dmax, dmin = math.Max(dmax, s.D[i]), math.Min(dmin, s.D[i])
	}
	return small || s.sigma*dmax > 1e4 || dmax > 1e7*dmin
}
