package earlystop

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/tune/search"
	"github.com/sluicehq/sluice/tune/space"
)

// Settings of the median stopping rule.
type Settings struct {
	// MinTrialsRequired is how many completed trials the rule needs before
	// it stops anything (min_trials_required, default 3).
	MinTrialsRequired int
	// StartStep is the first report at which a trial may be stopped
	// (start_step, default 4).
	StartStep int
	// KatibCompat selects Katib's behaviour (katib_compat, default false):
	// a threshold frozen when the trial is created, the mean instead of
	// the median, one check at the StartStep-th report.
	KatibCompat bool
}

// Parse validates earlyStopping's algorithm name and settings. Errors are
// *space.FieldError naming the field.
func Parse(algorithm string, settings []search.Setting) (Settings, error) {
	s := Settings{MinTrialsRequired: 3, StartStep: 4}
	if algorithm != "medianstop" {
		return s, space.Invalid("earlyStopping.algorithmName", fmt.Sprintf("must be medianstop, got %q", algorithm))
	}
	seen := map[string]bool{}
	for i, e := range settings {
		field := "earlyStopping.algorithmSettings[" + e.Name + "]"
		if e.Name == "" {
			return s, space.Invalid(fmt.Sprintf("earlyStopping.algorithmSettings[%d].name", i), "is required")
		}
		if seen[e.Name] {
			return s, space.Invalid(field, "is set twice")
		}
		seen[e.Name] = true
		v := strings.TrimSpace(e.Value)
		switch e.Name {
		case "min_trials_required", "start_step":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return s, space.Invalid(field, fmt.Sprintf("must be a positive integer, got %q", e.Value))
			}
			if e.Name == "start_step" {
				s.StartStep = n
			} else {
				s.MinTrialsRequired = n
			}
		case "katib_compat":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return s, space.Invalid(field, fmt.Sprintf("must be true or false, got %q", e.Value))
			}
			s.KatibCompat = b
		default:
			return s, space.Invalid(field, "unknown setting for medianstop (known: katib_compat, min_trials_required, start_step)")
		}
	}
	return s, nil
}

// Curve is one trial's reports of the objective metric, in order: report k
// (k from 1) is Values[k−1]. Non-finite values are never better or worse
// than anything.
type Curve struct {
	Trial  string
	Values []float64
}

// Stop is the decision to stop one running trial.
type Stop struct {
	Trial     string
	Step      int     // the report the rule was evaluated at
	Best      float64 // the trial's best value up to Step
	Threshold float64 // what it was compared with
	Message   string  // for the trial's EarlyStopped condition
}

// worse reports that best is strictly worse than threshold.
func worse(dir search.Direction, best, threshold float64) bool {
	if dir == search.Maximize {
		return best < threshold
	}
	return best > threshold
}

// bestOf is the best of values (max when maximizing, min otherwise).
func bestOf(dir search.Direction, values []float64) float64 {
	b := values[0]
	for _, v := range values[1:] {
		if dir == search.Maximize && v > b || dir == search.Minimize && v < b {
			b = v
		}
	}
	return b
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// MedianStop is the rule as published, evaluated at each running trial's
// latest report s (call it whenever a running trial reports): if
// s ≥ StartStep and at least MinTrialsRequired completed trials reported s
// values, the trial is stopped when its best value over its first s reports
// is strictly worse than the median of those trials' averages over their
// first s reports. completed holds the Succeeded trials' curves, running
// the running trials'. In Katib-compatible mode use KatibRule instead.
func MedianStop(s Settings, dir search.Direction, completed, running []Curve) []Stop {
	var out []Stop
	for _, r := range running {
		step := len(r.Values)
		if step < s.StartStep || step == 0 {
			continue
		}
		var avgs []float64
		for _, c := range completed {
			if len(c.Values) >= step {
				if a := mean(c.Values[:step]); finite(a) {
					avgs = append(avgs, a)
				}
			}
		}
		if len(avgs) < s.MinTrialsRequired || len(avgs) == 0 {
			continue
		}
		best, med := bestOf(dir, r.Values), median(avgs)
		if finite(best) && worse(dir, best, med) {
			out = append(out, Stop{Trial: r.Trial, Step: step, Best: best, Threshold: med, Message: fmt.Sprintf(
				"median stopping rule: best value %s in the first %d reports is worse than %s, the median of %d completed trials' averages over their first %d reports",
				space.FormatFloat(best), step, space.FormatFloat(med), len(avgs), step)})
		}
	}
	return out
}

// Rule is a Katib early-stopping rule, frozen into a trial when it is
// created (Katib's trial.spec.earlyStoppingRules entry for the objective).
type Rule struct {
	Value      float64
	Comparison string // "less" (maximize) or "greater" (minimize)
	StartStep  int
}

// KatibRule is the rule Katib gives a trial created now: none (ok false)
// until MinTrialsRequired trials have succeeded; then the mean, over the
// succeeded trials, of the mean of each one's first StartStep reports (its
// reports if it has fewer). succeeded holds the Succeeded trials' curves.
func KatibRule(s Settings, dir search.Direction, succeeded []Curve) (Rule, bool) {
	var avgs []float64
	for _, c := range succeeded {
		if len(c.Values) == 0 {
			continue
		}
		if a := mean(c.Values[:min(len(c.Values), s.StartStep)]); finite(a) {
			avgs = append(avgs, a)
		}
	}
	if len(avgs) < s.MinTrialsRequired || len(avgs) == 0 {
		return Rule{}, false
	}
	cmp := "greater"
	if dir == search.Maximize {
		cmp = "less"
	}
	return Rule{Value: mean(avgs), Comparison: cmp, StartStep: s.StartStep}, true
}

// Check applies a frozen rule to a running trial's curve as Katib's
// metrics collector does: the best-so-far value is compared once, at the
// StartStep-th report (at every report when StartStep is 0); the trial is
// stopped if the comparison holds then.
func (r Rule) Check(c Curve) (Stop, bool) {
	check := func(step int) (Stop, bool) {
		best := c.Values[0]
		for _, v := range c.Values[1:step] {
			if r.Comparison == "less" && v > best || r.Comparison != "less" && v < best {
				best = v
			}
		}
		hold := finite(best) && (r.Comparison == "less" && best < r.Value || r.Comparison == "greater" && best > r.Value || r.Comparison == "equal" && best == r.Value)
		if !hold {
			return Stop{}, false
		}
		return Stop{Trial: c.Trial, Step: step, Best: best, Threshold: r.Value, Message: fmt.Sprintf(
			"early stopping rule: best value %s at report %d is %s than %s", space.FormatFloat(best), step, r.Comparison, space.FormatFloat(r.Value))}, true
	}
	if r.StartStep > 0 {
		if len(c.Values) < r.StartStep {
			return Stop{}, false
		}
		return check(r.StartStep)
	}
	for step := 1; step <= len(c.Values); step++ {
		if st, ok := check(step); ok {
			return st, true
		}
	}
	return Stop{}, false
}
