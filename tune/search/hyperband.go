package search

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/sluicehq/sluice/tune/space"
)

// Labels Hyperband puts on each suggestion.
const (
	LabelBracket = "hyperband.bracket" // s, from s_max down to 0
	LabelRung    = "hyperband.rung"    // i, from 0 up to s
	LabelParent  = "hyperband.parent"  // the trial whose parameters a promoted trial copies
)

// Bracket is one bracket of Hyperband: successive halving from n
// configurations at resource r.
type Bracket struct {
	S     int
	Rungs []Rung
}

// Rung is one round of successive halving: N trials with resource R each.
type Rung struct {
	N int
	R float64
}

// MaxHyperbandResource bounds r_l.
const MaxHyperbandResource = 1e6

// HyperbandBrackets is the schedule of Hyperband with maximum resource rl
// (R) and reduction factor eta (η): s_max = ⌊log_η R⌋; bracket s (from
// s_max down to 0) starts n = ⌈(s_max+1) η^s/(s+1)⌉ configurations at
// r = R η^−s, and rung i keeps ⌊n η^−i⌋ of them at resource r η^i.
func HyperbandBrackets(rl, eta float64) []Bracket {
	sMax := 0
	for math.Pow(eta, float64(sMax+1)) <= rl*(1+1e-12) {
		sMax++
	}
	var out []Bracket
	for s := sMax; s >= 0; s-- {
		n := int(math.Ceil(float64(sMax+1)*math.Pow(eta, float64(s))/float64(s+1) - 1e-9))
		r := rl * math.Pow(eta, -float64(s))
		b := Bracket{S: s}
		for i := 0; i <= s; i++ {
			b.Rungs = append(b.Rungs, Rung{
				N: max(1, int(math.Floor(float64(n)*math.Pow(eta, -float64(i))+1e-9))),
				R: r * math.Pow(eta, float64(i)),
			})
		}
		out = append(out, b)
	}
	return out
}

// hyperband runs the brackets of HyperbandBrackets (TUNING.md §2.9). Rung
// 0 of a bracket draws new configurations from the priors; when every
// trial of a rung has ended, its best ⌊n η^−(i+1)⌋ configurations (ranked
// by objective, trials without one last, ties by creation order) are
// started again with the next rung's resource. The resource parameter's
// value is replaced by the rung's resource. While a rung waits for its
// trials, the next bracket starts, so parallel slots stay busy. All
// bookkeeping is rebuilt from the bracket and rung labels of the trials.
type hyperband struct {
	base
	brackets []Bracket
	resource int // index of the resource parameter
}

func newHyperband(b base, set *settings) (Suggester, error) {
	h := &hyperband{base: b}
	name, ok := set.lookup("resource_name")
	if !ok || name == "" {
		return nil, space.Invalid(settingField("resource_name"), "is required: the parameter that carries each trial's resource (e.g. epochs)")
	}
	if h.resource = b.sp.Index(name); h.resource < 0 {
		return nil, space.Invalid(settingField("resource_name"), fmt.Sprintf("must name a parameter, got %q", name))
	}
	if b.sp.Param(h.resource).IsChoice() {
		return nil, space.Invalid(settingField("resource_name"), fmt.Sprintf("parameter %q must be int or double", name))
	}
	if _, ok := set.lookup("r_l"); !ok {
		return nil, space.Invalid(settingField("r_l"), "is required: the maximum resource of a trial")
	}
	rl, err := set.float("r_l", 0, 0, math.Inf(1))
	if err != nil {
		return nil, err
	}
	if rl > MaxHyperbandResource {
		return nil, space.Invalid(settingField("r_l"), fmt.Sprintf("must be at most %g, got %g", float64(MaxHyperbandResource), rl))
	}
	eta, err := set.float("eta", 3, 1, math.Inf(1))
	if err != nil {
		return nil, err
	}
	if h.seed, err = set.seed(b.seed); err != nil {
		return nil, err
	}
	if err := set.done("hyperband"); err != nil {
		return nil, err
	}
	h.brackets = HyperbandBrackets(rl, eta)
	return h, nil
}

func (hb *hyperband) Suggest(ctx context.Context, trials []Trial, n int) (Result, error) {
	if err := checkN(ctx, n); err != nil {
		return Result{}, err
	}
	h, err := hb.history(trials)
	if err != nil {
		return Result{}, err
	}
	rungs := map[[2]int][]int{} // (s, i) → trial indices, creation order
	for i, t := range trials {
		s, err1 := strconv.Atoi(t.Labels[LabelBracket])
		r, err2 := strconv.Atoi(t.Labels[LabelRung])
		if err1 == nil && err2 == nil {
			rungs[[2]int{s, r}] = append(rungs[[2]int{s, r}], i)
		}
	}
	var res Result
	exhausted := true
	for _, b := range hb.brackets {
		for i, rung := range b.Rungs {
			key := [2]int{b.S, i}
			have := len(rungs[key])
			if have < rung.N {
				var parents []int
				if i > 0 {
					prev := rungs[[2]int{b.S, i - 1}]
					if !hb.rungEnded(trials, prev, b.Rungs[i-1].N) {
						exhausted = false
						break // the bracket waits; try the next one
					}
					parents = hb.ranked(h, prev)
				}
				for k := have; k < rung.N && len(res.Suggestions) < n; k++ {
					res.Suggestions = append(res.Suggestions, hb.make(h, b.S, i, rung.R, parents, k, trials, len(trials)+len(res.Suggestions)))
					rungs[key] = append(rungs[key], -1)
				}
				if len(rungs[key]) < rung.N {
					exhausted = false
					break
				}
			}
			if !hb.rungEnded(trials, rungs[key], rung.N) {
				if i < len(b.Rungs)-1 {
					exhausted = false
				}
				break
			}
		}
	}
	res.Exhausted = exhausted
	return res, nil
}

// rungEnded reports that all n trials of a rung were created and ended.
func (hb *hyperband) rungEnded(trials []Trial, idx []int, n int) bool {
	if len(idx) < n {
		return false
	}
	for _, i := range idx {
		if i < 0 || trials[i].State.Active() {
			return false
		}
	}
	return true
}

// ranked orders a rung's trials best first: observed by loss, then the
// others, ties by creation order.
func (hb *hyperband) ranked(h *history, idx []int) []int {
	out := slices.Clone(idx)
	slices.SortStableFunc(out, func(a, b int) int {
		la, lb := h.all[a].loss, h.all[b].loss
		switch {
		case la < lb:
			return -1
		case la > lb:
			return 1
		}
		return a - b
	})
	return out
}

// make builds the k-th trial of rung i of bracket s, the t-th of the experiment.
func (hb *hyperband) make(h *history, s, i int, resource float64, parents []int, k int, trials []Trial, t int) Suggestion {
	labels := map[string]string{LabelBracket: strconv.Itoa(s), LabelRung: strconv.Itoa(i)}
	var pt space.Point
	if i == 0 {
		pt = hb.sp.Sample(hb.rng(t))
	} else {
		pt = slices.Clone(h.all[parents[k]].pt)
		labels[LabelParent] = trials[parents[k]].Name
	}
	a := hb.sp.Format(pt)
	p := hb.sp.Param(hb.resource)
	v := FormatResource(p.Type(), resource)
	a[hb.resource].Value = v
	return Suggestion{Assignment: a, Labels: labels}
}

// FormatResource writes a rung's resource for a parameter of type t: an
// int rounds to the nearest integer (at least 1).
func FormatResource(t space.Type, r float64) string {
	if t == space.Int {
		return strconv.FormatInt(max(1, int64(math.Round(r))), 10)
	}
	return space.FormatFloat(r)
}
