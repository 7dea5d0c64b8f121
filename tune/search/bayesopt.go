package search

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/sluicehq/sluice/tune/space"
)

// MaxGPPoints bounds the observations the Gaussian process is conditioned
// on: beyond it, the best half and the most recent half are kept. Its
// hyperparameters are fitted on at most MaxGPFitPoints of them (again the
// best and the most recent halves). Fitting is O(m³) per likelihood
// evaluation, and these bounds keep one suggestion well under 100 ms with
// 1,000 completed trials.
const (
	MaxGPPoints    = 100
	MaxGPFitPoints = 40
)

// maxLies bounds the active trials given to the process as constant lies.
const maxLies = 50

// bayesOpt is Bayesian optimisation with a Gaussian process (TUNING.md
// §2.6): after n_initial_points random trials, a GP with a Matérn-5/2 ARD
// kernel is fitted by maximum likelihood on the unit cube (numbers through
// their declared distribution — log space for log ones; choices with a
// Hamming distance), and the point maximising the acquisition function is
// suggested. Active trials are given to the process at the best observed
// value ("cl_min" constant liar), so parallel suggestions spread out.
type bayesOpt struct {
	base
	initial   int
	acq       string
	optimizer string
	cat       []bool
}

func newBayesOpt(b base, set *settings) (Suggester, error) {
	o := &bayesOpt{base: b}
	if _, err := set.choice("base_estimator", "GP", "GP"); err != nil {
		return nil, space.Invalid(settingField("base_estimator"), "must be GP (the only surrogate Sluice implements)")
	}
	var err error
	if o.initial, err = set.positiveInt("n_initial_points", 10); err != nil {
		return nil, err
	}
	if o.acq, err = set.choice("acq_func", "gp_hedge", "gp_hedge", "EI", "PI", "LCB"); err != nil {
		return nil, err
	}
	if o.optimizer, err = set.choice("acq_optimizer", "auto", "auto", "sampling", "lbfgs"); err != nil {
		return nil, err
	}
	if o.seed, err = set.seed(b.seed); err != nil {
		return nil, err
	}
	if err := set.done("bayesianoptimization"); err != nil {
		return nil, err
	}
	for i := range b.sp.Len() {
		o.cat = append(o.cat, b.sp.Param(i).IsChoice())
	}
	return o, nil
}

// encode maps a point to the unit cube (choices keep their index).
func (o *bayesOpt) encode(pt space.Point) []float64 {
	x := make([]float64, len(pt))
	for i, v := range pt {
		if o.cat[i] {
			x[i] = v
		} else {
			x[i] = o.sp.Param(i).ToUnit(v)
		}
	}
	return x
}

func (o *bayesOpt) decode(x []float64) space.Point {
	pt := make(space.Point, len(x))
	for i, v := range x {
		if o.cat[i] {
			pt[i] = v
		} else {
			pt[i] = o.sp.Param(i).FromUnit(math.Min(math.Max(v, 0), 1))
		}
	}
	return pt
}

func (o *bayesOpt) Suggest(ctx context.Context, trials []Trial, n int) (Result, error) {
	if err := checkN(ctx, n); err != nil {
		return Result{}, err
	}
	h, err := o.history(trials)
	if err != nil {
		return Result{}, err
	}
	var res Result
	var model *gp
	var fitY []float64
	best := math.Inf(1)
	for _, d := range h.done {
		best = math.Min(best, d.loss)
	}
	for range n {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		r := o.rng(len(h.all))
		var pt space.Point
		if len(h.done) < max(o.initial, 2) {
			pt = o.sp.Sample(r)
		} else {
			if model == nil {
				// The points the hyperparameters are fitted on come first.
				first := fitSet(h.done, MaxGPFitPoints)
				rest := fitSet(h.done, MaxGPPoints)
				in := map[int]bool{}
				for _, f := range first {
					in[f.idx] = true
				}
				fit := first
				for _, f := range rest {
					if !in[f.idx] {
						fit = append(fit, f)
					}
				}
				x := make([][]float64, len(fit))
				fitY = make([]float64, len(fit))
				for i, f := range fit {
					x[i], fitY[i] = o.encode(f.pt), f.loss
				}
				model = fitGP(o.cat, x, fitY, len(first))
			}
			act := h.act
			if len(act) > maxLies {
				act = act[len(act)-maxLies:]
			}
			lies := make([][]float64, len(act))
			for i, a := range act {
				lies[i] = o.encode(a.pt)
			}
			pt = o.decode(o.propose(model.withLies(lies, fitY, best), best, h, r))
		}
		res.Suggestions = append(res.Suggestions, Suggestion{Assignment: o.sp.Format(pt)})
		h.pend(pt, nil)
	}
	return res, nil
}

// fitSet picks at most m observations, in creation order: the best half
// and the most recent half.
func fitSet(done []obs, m int) []obs {
	if len(done) <= m {
		return done
	}
	keep := map[int]bool{}
	for _, d := range sortByLoss(done)[:m/2] {
		keep[d.idx] = true
	}
	for i := len(done) - 1; i >= 0 && len(keep) < m; i-- {
		keep[done[i].idx] = true
	}
	var set []obs
	for _, d := range done {
		if keep[d.idx] {
			set = append(set, d)
		}
	}
	return set
}

// acquisition functions, to maximise.
const (
	xi    = 0.01
	kappa = 1.96
)

func acquire(kind string, mu, sd, best float64) float64 {
	switch kind {
	case "PI":
		return space.NormalCDF((best - mu - xi) / sd)
	case "LCB":
		return -(mu - kappa*sd)
	}
	imp := best - mu - xi
	z := imp / sd
	return imp*space.NormalCDF(z) + sd*math.Exp(-0.5*z*z)/math.Sqrt(2*math.Pi)
}

// propose maximises the acquisition over 500 uniform points and 50
// perturbations of each of the 5 best observations, then (auto, lbfgs)
// refines the winner by a coordinate pattern search. gp_hedge proposes
// with each of EI, PI and LCB and picks one with probability ∝ exp(−μ̂),
// μ̂ the normalised predicted objective at its proposal (a one-step
// version of the portfolio, which needs no state between calls).
func (o *bayesOpt) propose(model *gp, best float64, h *history, r *rand.Rand) []float64 {
	d := o.sp.Len()
	cands := make([][]float64, 0, 750)
	for range 500 {
		cands = append(cands, o.encode(o.sp.Sample(r)))
		for i := range d {
			if !o.cat[i] {
				cands[len(cands)-1][i] = r.Float64()
			}
		}
	}
	top := sortByLoss(h.done)
	for _, t := range top[:min(5, len(top))] {
		base := o.encode(t.pt)
		for range 50 {
			c := slices.Clone(base)
			for i := range d {
				if o.cat[i] {
					if r.Float64() < 0.2 {
						c[i] = float64(r.IntN(int(o.sp.Param(i).Size())))
					}
					continue
				}
				c[i] = math.Min(math.Max(c[i]+0.05*r.NormFloat64(), 0), 1)
			}
			cands = append(cands, c)
		}
	}
	k, dd := make([]float64, len(model.x)), make([]float64, d)
	mus, sds := make([]float64, len(cands)), make([]float64, len(cands))
	for i, c := range cands {
		mus[i], sds[i] = model.predict(c, k, dd)
	}
	kinds := []string{o.acq}
	if o.acq == "gp_hedge" {
		kinds = []string{"EI", "PI", "LCB"}
	}
	props := make([][]float64, len(kinds))
	gains := make([]float64, len(kinds))
	for j, kind := range kinds {
		bi, bv := 0, math.Inf(-1)
		for i := range cands {
			if v := acquire(kind, mus[i], sds[i], best); v > bv {
				bi, bv = i, v
			}
		}
		x := slices.Clone(cands[bi])
		if o.optimizer != "sampling" {
			x = o.refine(model, kind, best, x, k, dd)
		}
		props[j] = x
		mu, _ := model.predict(x, k, dd)
		gains[j] = -(mu - model.ymean) / model.ystd
	}
	if len(kinds) == 1 {
		return props[0]
	}
	w := make([]float64, len(gains))
	m := slices.Max(gains)
	var sum float64
	for j, g := range gains {
		w[j] = math.Exp(g - m)
		sum += w[j]
	}
	for j := range w {
		w[j] /= sum
	}
	return props[drawIndex(r, w)]
}

// refine is a coordinate pattern search on the numeric dimensions.
func (o *bayesOpt) refine(model *gp, kind string, best float64, x []float64, k, dd []float64) []float64 {
	val := func(c []float64) float64 {
		mu, sd := model.predict(c, k, dd)
		return acquire(kind, mu, sd, best)
	}
	cur := val(x)
	for step := 0.02; step > 1e-3; step /= 2 {
		improved := true
		for it := 0; improved && it < 5; it++ {
			improved = false
			for i := range x {
				if o.cat[i] {
					continue
				}
				for _, dir := range [2]float64{step, -step} {
					old := x[i]
					x[i] = math.Min(math.Max(old+dir, 0), 1)
					if v := val(x); v > cur {
						cur, improved = v, true
						break
					}
					x[i] = old
				}
			}
		}
	}
	return x
}
