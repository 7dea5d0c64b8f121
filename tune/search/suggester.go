package search

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/tune/space"
)

// Direction is the objective's sense.
type Direction int

const (
	Minimize Direction = iota
	Maximize
)

// State is a trial's state, by Katib's condition names.
type State string

const (
	Pending            State = "Pending" // created, its run not started yet
	Running            State = "Running"
	Succeeded          State = "Succeeded"
	Failed             State = "Failed"
	EarlyStopped       State = "EarlyStopped"
	MetricsUnavailable State = "MetricsUnavailable"
	Killed             State = "Killed"
)

// Active reports a trial that has not ended.
func (s State) Active() bool { return s == Pending || s == Running }

// Trial is what an algorithm learns from: one trial of the experiment, in
// creation order.
type Trial struct {
	Name       string
	Assignment space.Assignment
	State      State
	// Value is the objective metric reduced by its strategy, in the
	// objective's own sense (not negated for maximize). It is used when
	// HasValue is set, the value is finite, and the state is Succeeded or
	// EarlyStopped.
	Value    float64
	HasValue bool
	// Labels are the labels the algorithm put on the Suggestion this trial
	// was created from (CMA-ES generations, Hyperband rungs). The caller
	// stores them with the trial and passes them back unchanged.
	Labels map[string]string
}

// Suggestion is one new trial to create.
type Suggestion struct {
	Assignment space.Assignment
	Labels     map[string]string // nil for most algorithms; store with the trial
}

// Result is the answer to one Suggest call.
type Result struct {
	// Suggestions holds at most n new trials. Fewer than n means the
	// algorithm waits for active trials (a Hyperband rung) or has nothing
	// left (grid).
	Suggestions []Suggestion
	// Exhausted reports that no suggestion will ever come after these: the
	// experiment ends (ExperimentSuggestionEndReached) once its active
	// trials end. Grid and Hyperband set it.
	Exhausted bool
}

// Suggester proposes new trials. Every implementation here is a pure
// function of its configuration and the arguments of Suggest: it keeps no
// state between calls, so a restarted server that passes the same stored
// trials gets the same suggestions, and suggesting n at once equals
// suggesting one n times with the earlier ones passed back as Pending.
// Implementations are safe for concurrent use.
type Suggester interface {
	// Suggest returns up to n new assignments. trials holds every trial of
	// the experiment (any state) in creation order.
	Suggest(ctx context.Context, trials []Trial, n int) (Result, error)
}

// Setting is one entry of algorithm.algorithmSettings; values are strings,
// as in Katib's YAML.
type Setting struct {
	Name  string
	Value string
}

// Algorithm is the experiment's algorithm.
type Algorithm struct {
	Name     string
	Settings []Setting
}

// Options are the facts about the experiment an algorithm needs besides
// its settings.
type Options struct {
	Direction Direction
	// Seed is used when the algorithm has no random_state setting. Choose
	// it once per experiment and store it, so a resumed experiment
	// continues the same sequence.
	Seed uint64
	// MaxTrialCount is the experiment's budget (0 = unbounded); the grid
	// rejects a budget larger than itself.
	MaxTrialCount int
}

// MaxSuggestions bounds n in one Suggest call.
const MaxSuggestions = 10000

// Names lists the algorithms New accepts.
func Names() []string {
	return []string{"random", "grid", "sobol", "tpe", "multivariate-tpe", "cmaes", "hyperband", "bayesianoptimization"}
}

// New validates alg against the space and returns its Suggester. Errors
// are *space.FieldError naming the field ("algorithm.algorithmName",
// "algorithm.algorithmSettings[gamma]", "parameters[0].feasibleSpace.step",
// "maxTrialCount").
func New(sp *space.Space, alg Algorithm, opt Options) (Suggester, error) {
	set, err := newSettings(alg.Settings)
	if err != nil {
		return nil, err
	}
	b := base{sp: sp, dir: opt.Direction, seed: opt.Seed}
	switch alg.Name {
	case "random":
		return newRandom(b, set)
	case "grid":
		return newGrid(b, set, opt.MaxTrialCount)
	case "sobol":
		return newSobol(b, set)
	case "tpe":
		return newTPE(b, set)
	case "multivariate-tpe":
		return newMTPE(b, set)
	case "cmaes":
		return newCMAES(b, set)
	case "hyperband":
		return newHyperband(b, set)
	case "bayesianoptimization":
		return newBayesOpt(b, set)
	case "":
		return nil, space.Invalid("algorithm.algorithmName", "is required (one of "+strings.Join(Names(), ", ")+")")
	case "pbt", "enas", "darts":
		return nil, space.Invalid("algorithm.algorithmName", fmt.Sprintf("%q is not supported (supported: %s)", alg.Name, strings.Join(Names(), ", ")))
	default:
		return nil, space.Invalid("algorithm.algorithmName", fmt.Sprintf("unknown algorithm %q (known: %s)", alg.Name, strings.Join(Names(), ", ")))
	}
}

// base is what every algorithm shares.
type base struct {
	sp   *space.Space
	dir  Direction
	seed uint64
}

// rng is the random source of the suggestion for the t-th trial of the
// experiment: the same seed and t give the same draws, whatever was
// suggested in which call.
func (b base) rng(t int) *rand.Rand {
	return rand.New(rand.NewPCG(b.seed, uint64(t)*0x9e3779b97f4a7c15+0x632be59bd9b4e019))
}

// obs is a parsed trial.
type obs struct {
	idx    int // position in creation order
	pt     space.Point
	loss   float64 // objective, negated for maximize; +Inf when unobserved
	state  State
	labels map[string]string
}

// observed reports a trial an algorithm learns from.
func (o obs) observed() bool { return !math.IsInf(o.loss, 1) }

// history is the trials as algorithms read them.
type history struct {
	all  []obs // every trial, creation order
	done []obs // Succeeded or EarlyStopped with a finite value
	act  []obs // Pending or Running
}

func (b base) history(trials []Trial) (*history, error) {
	h := &history{all: make([]obs, 0, len(trials))}
	for i, t := range trials {
		pt, err := b.sp.Parse(t.Assignment)
		if err != nil {
			return nil, fmt.Errorf("trial %d (%s): %w", i, t.Name, err)
		}
		o := obs{idx: i, pt: pt, loss: math.Inf(1), state: t.State, labels: t.Labels}
		if t.HasValue && (t.State == Succeeded || t.State == EarlyStopped) && !math.IsNaN(t.Value) && !math.IsInf(t.Value, 0) {
			o.loss = t.Value
			if b.dir == Maximize {
				o.loss = -t.Value
			}
		}
		h.all = append(h.all, o)
		switch {
		case o.observed():
			h.done = append(h.done, o)
		case t.State.Active():
			h.act = append(h.act, o)
		}
	}
	return h, nil
}

// pend records a suggestion of this call as a pending trial, so later
// suggestions of the same call see it as a running call's would.
func (h *history) pend(pt space.Point, labels map[string]string) {
	o := obs{idx: len(h.all), pt: pt, loss: math.Inf(1), state: Pending, labels: labels}
	h.all = append(h.all, o)
	h.act = append(h.act, o)
}

func checkN(ctx context.Context, n int) error {
	if n < 0 || n > MaxSuggestions {
		return fmt.Errorf("suggest: n = %d, want 0..%d", n, MaxSuggestions)
	}
	return ctx.Err()
}

// sortByLoss returns o sorted by loss, ties by creation order.
func sortByLoss(o []obs) []obs {
	s := slices.Clone(o)
	slices.SortStableFunc(s, func(a, b obs) int {
		switch {
		case a.loss < b.loss:
			return -1
		case a.loss > b.loss:
			return 1
		}
		return a.idx - b.idx
	})
	return s
}

// pointSuggester is an algorithm that proposes one point at a time from
// the history (and the point's own random source).
type pointSuggester struct {
	base
	next func(ctx context.Context, h *history, r *rand.Rand) (space.Point, error)
}

func (p *pointSuggester) Suggest(ctx context.Context, trials []Trial, n int) (Result, error) {
	if err := checkN(ctx, n); err != nil {
		return Result{}, err
	}
	h, err := p.history(trials)
	if err != nil {
		return Result{}, err
	}
	var res Result
	for range n {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		pt, err := p.next(ctx, h, p.rng(len(h.all)))
		if err != nil {
			return Result{}, err
		}
		res.Suggestions = append(res.Suggestions, Suggestion{Assignment: p.sp.Format(pt)})
		h.pend(pt, nil)
	}
	return res, nil
}
