package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/tune/space"
)

// every algorithm, configured for the mixed objective (hyperband's
// resource is its int parameter).
var everyAlgorithm = []Algorithm{
	{Name: "random"},
	{Name: "grid"},
	{Name: "sobol"},
	{Name: "tpe"},
	{Name: "multivariate-tpe"},
	{Name: "cmaes"},
	{Name: "hyperband", Settings: []Setting{{"resource_name", "layers"}, {"r_l", "8"}, {"eta", "2"}}},
	{Name: "bayesianoptimization"},
}

// objectiveFor gives the grid a stepped space.
func objectiveFor(alg Algorithm) objective {
	if alg.Name == "grid" {
		o := mixed
		o.params = []space.Parameter{mixed.params[0], mixed.params[1], {Name: "lr", Type: space.Double, Min: "0.0001", Max: "0.1", Step: "0.0001"}}
		return o
	}
	return mixed
}

func suggest(t *testing.T, s Suggester, trials []Trial, n int) Result {
	t.Helper()
	res, err := s.Suggest(context.Background(), trials, n)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func newFor(t *testing.T, alg Algorithm, o objective, seed uint64) Suggester {
	t.Helper()
	sp, err := space.New(o.params)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(sp, alg, Options{Direction: o.dir, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func pending(res Result, from int) []Trial {
	var out []Trial
	for i, sg := range res.Suggestions {
		out = append(out, Trial{Name: fmt.Sprint("p", from+i), Assignment: sg.Assignment, State: Pending, Labels: sg.Labels})
	}
	return out
}

// The experiment resumes after a restart: a new Suggester given the
// stored trials (here round-tripped through JSON) suggests what the old
// one would have; asking for 4 at once equals asking 4 times for one with
// the earlier ones stored as pending; the same seed gives the same
// suggestions and another seed others.
func TestResumeBatchAndSeed(t *testing.T) {
	for _, alg := range everyAlgorithm {
		t.Run(alg.Name, func(t *testing.T) {
			o := objectiveFor(alg)
			_, history := run(t, alg, o, 22, 3, 5)
			s := newFor(t, alg, o, 5)
			want := suggest(t, s, history, 4)
			if len(want.Suggestions) == 0 {
				t.Fatal("no suggestion")
			}
			blob, err := json.Marshal(history)
			if err != nil {
				t.Fatal(err)
			}
			var stored []Trial
			if err := json.Unmarshal(blob, &stored); err != nil {
				t.Fatal(err)
			}
			restarted := newFor(t, alg, o, 5)
			if got := suggest(t, restarted, stored, 4); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("after a restart:\n got %v\nwant %v", got, want)
			}
			trials := append([]Trial(nil), stored...)
			var one []Suggestion
			for i := range len(want.Suggestions) {
				res := suggest(t, restarted, trials, 1)
				one = append(one, res.Suggestions...)
				trials = append(trials, pending(res, i)...)
			}
			if fmt.Sprint(one) != fmt.Sprint(want.Suggestions) {
				t.Errorf("one at a time:\n got %v\nwant %v", one, want.Suggestions)
			}
			other := suggest(t, newFor(t, alg, o, 6), stored, 4)
			if fmt.Sprint(other) == fmt.Sprint(want) && alg.Name != "sobol" {
				t.Errorf("seeds 5 and 6 gave the same suggestions %v", want)
			}
		})
	}
}

// Suggestions made together differ (constant liar, de-duplication,
// independent draws).
func TestParallelSuggestionsDiffer(t *testing.T) {
	for _, alg := range everyAlgorithm {
		t.Run(alg.Name, func(t *testing.T) {
			o := objectiveFor(alg)
			_, history := run(t, alg, o, 20, 1, 9)
			res := suggest(t, newFor(t, alg, o, 9), history, 4)
			seen := map[string]bool{}
			for _, sg := range res.Suggestions {
				k := fmt.Sprint(sg.Assignment)
				if seen[k] && alg.Name != "hyperband" {
					t.Errorf("%s suggested twice in one call", k)
				}
				seen[k] = true
			}
		})
	}
}

func TestRandomDeduplicatesSmallSpaces(t *testing.T) {
	o := objective{params: []space.Parameter{
		{Name: "n", Type: space.Int, Min: "1", Max: "3"},
		{Name: "o", Type: space.Categorical, List: []string{"a", "b"}},
	}}
	for seed := range uint64(20) {
		res := suggest(t, newFor(t, Algorithm{Name: "random"}, o, seed), nil, 6)
		seen := map[string]bool{}
		for _, sg := range res.Suggestions {
			seen[fmt.Sprint(sg.Assignment)] = true
		}
		if len(seen) != 6 {
			t.Fatalf("seed %d: 6 draws from a 6-point space gave %d distinct points", seed, len(seen))
		}
	}
}

func TestBadAlgorithms(t *testing.T) {
	one := []space.Parameter{{Name: "x", Type: space.Double, Min: "0", Max: "1"}, {Name: "o", Type: space.Categorical, List: []string{"a"}}}
	for _, tc := range []struct {
		alg    Algorithm
		params []space.Parameter
		field  string
		msg    string
	}{
		{Algorithm{Name: "annealing"}, nil, "algorithm.algorithmName", `unknown algorithm "annealing" (known: random, grid`},
		{Algorithm{}, nil, "algorithm.algorithmName", "is required"},
		{Algorithm{Name: "pbt"}, nil, "algorithm.algorithmName", `"pbt" is not supported`},
		{Algorithm{Name: "random", Settings: []Setting{{"gamma", "0.2"}}}, nil, "algorithm.algorithmSettings[gamma]", "unknown setting for random (known: random_state)"},
		{Algorithm{Name: "sobol", Settings: []Setting{{"random_state", "1"}}}, nil, "algorithm.algorithmSettings[random_state]", "unknown setting for sobol (known: none)"},
		{Algorithm{Name: "random", Settings: []Setting{{"random_state", "-1"}}}, nil, "algorithm.algorithmSettings[random_state]", `must be an integer ≥ 0, got "-1"`},
		{Algorithm{Name: "random", Settings: []Setting{{"random_state", "1"}, {"random_state", "2"}}}, nil, "algorithm.algorithmSettings[random_state]", "set twice"},
		{Algorithm{Name: "tpe", Settings: []Setting{{"n_startup_trials", "x"}}}, nil, "algorithm.algorithmSettings[n_startup_trials]", `must be a positive integer, got "x"`},
		{Algorithm{Name: "tpe", Settings: []Setting{{"gamma", "1"}}}, nil, "algorithm.algorithmSettings[gamma]", `between 0 and 1 (exclusive), got "1"`},
		{Algorithm{Name: "tpe", Settings: []Setting{{"prior_weight", "0"}}}, nil, "algorithm.algorithmSettings[prior_weight]", `greater than 0, got "0"`},
		{Algorithm{Name: "tpe", Settings: []Setting{{"n_EI_candidates", "0"}}}, nil, "algorithm.algorithmSettings[n_EI_candidates]", "positive integer"},
		{Algorithm{Name: "multivariate-tpe", Settings: []Setting{{"n_EI_candidates", "3"}}}, nil, "algorithm.algorithmSettings[n_EI_candidates]", "unknown setting for multivariate-tpe (known: n_ei_candidates, n_startup_trials, random_state)"},
		{Algorithm{Name: "cmaes"}, one, "parameters", "at least two int or double parameters, got 1"},
		{Algorithm{Name: "cmaes", Settings: []Setting{{"restart_strategy", "sep"}}}, nil, "algorithm.algorithmSettings[restart_strategy]", `must be one of none, ipop, bipop, got "sep"`},
		{Algorithm{Name: "cmaes", Settings: []Setting{{"sigma", "nan"}}}, nil, "algorithm.algorithmSettings[sigma]", "greater than 0"},
		{Algorithm{Name: "hyperband", Settings: []Setting{{"r_l", "9"}}}, nil, "algorithm.algorithmSettings[resource_name]", "is required"},
		{Algorithm{Name: "hyperband", Settings: []Setting{{"resource_name", "epochs"}, {"r_l", "9"}}}, nil, "algorithm.algorithmSettings[resource_name]", `must name a parameter, got "epochs"`},
		{Algorithm{Name: "hyperband", Settings: []Setting{{"resource_name", "opt"}, {"r_l", "9"}}}, nil, "algorithm.algorithmSettings[resource_name]", "must be int or double"},
		{Algorithm{Name: "hyperband", Settings: []Setting{{"resource_name", "layers"}}}, nil, "algorithm.algorithmSettings[r_l]", "is required"},
		{Algorithm{Name: "hyperband", Settings: []Setting{{"resource_name", "layers"}, {"r_l", "-3"}}}, nil, "algorithm.algorithmSettings[r_l]", "greater than 0"},
		{Algorithm{Name: "hyperband", Settings: []Setting{{"resource_name", "layers"}, {"r_l", "9"}, {"eta", "1"}}}, nil, "algorithm.algorithmSettings[eta]", "greater than 1"},
		{Algorithm{Name: "bayesianoptimization", Settings: []Setting{{"base_estimator", "RF"}}}, nil, "algorithm.algorithmSettings[base_estimator]", "must be GP"},
		{Algorithm{Name: "bayesianoptimization", Settings: []Setting{{"acq_func", "EIps"}}}, nil, "algorithm.algorithmSettings[acq_func]", "must be one of gp_hedge, EI, PI, LCB"},
		{Algorithm{Name: "bayesianoptimization", Settings: []Setting{{"n_initial_points", "0"}}}, nil, "algorithm.algorithmSettings[n_initial_points]", "positive integer"},
	} {
		t.Run(tc.field+"/"+tc.alg.Name, func(t *testing.T) {
			params := tc.params
			if params == nil {
				params = mixed.params
			}
			sp, err := space.New(params)
			if err != nil {
				t.Fatal(err)
			}
			_, err = New(sp, tc.alg, Options{})
			var fe *space.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, space.ErrInvalid) {
				t.Fatalf("err = %v, want a *space.FieldError", err)
			}
			if fe.Field != tc.field || !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("err = %q, want field %s and %q", err, tc.field, tc.msg)
			}
		})
	}
}

func TestSuggestRejectsBadTrials(t *testing.T) {
	for _, alg := range everyAlgorithm {
		s := newFor(t, alg, objectiveFor(alg), 1)
		bad := []Trial{{Name: "t0", Assignment: space.Assignment{{Name: "opt", Value: "adam"}, {Name: "layers", Value: "x"}, {Name: "lr", Value: "0.01"}}, State: Succeeded}}
		if _, err := s.Suggest(context.Background(), bad, 1); err == nil || !strings.Contains(err.Error(), "trial 0 (t0)") {
			t.Errorf("%s: err = %v, want one naming trial 0", alg.Name, err)
		}
		if _, err := s.Suggest(context.Background(), nil, -1); err == nil {
			t.Errorf("%s: n = -1 accepted", alg.Name)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.Suggest(ctx, nil, 1); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: canceled context: err = %v", alg.Name, err)
		}
	}
}

func FuzzSearchSettings(f *testing.F) {
	f.Add("tpe", "gamma", "0.3", "n_startup_trials", "5")
	f.Add("cmaes", "sigma", "0.5", "restart_strategy", "bipop")
	f.Add("hyperband", "resource_name", "layers", "r_l", "27")
	f.Add("bayesianoptimization", "acq_func", "EI", "n_initial_points", "3")
	f.Add("grid", "random_state", "18446744073709551615", "", "")
	f.Fuzz(func(t *testing.T, name, k1, v1, k2, v2 string) {
		sp, err := space.New(mixed.params)
		if err != nil {
			t.Fatal(err)
		}
		var set []Setting
		if k1 != "" {
			set = append(set, Setting{k1, v1})
		}
		if k2 != "" {
			set = append(set, Setting{k2, v2})
		}
		s, err := New(sp, Algorithm{Name: name, Settings: set}, Options{})
		if err != nil {
			var fe *space.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *space.FieldError", err)
			}
			return
		}
		if _, err := s.Suggest(context.Background(), nil, 2); err != nil {
			t.Fatal(err)
		}
	})
}
