package search

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/tune/space"
)

func withStep(o objective, step string) objective {
	o.params = append([]space.Parameter(nil), o.params...)
	for i := range o.params {
		o.params[i].Step = step
	}
	return o
}

// TUNING.md §7.3: the grid gives exactly these values.
func TestGridExactValues(t *testing.T) {
	mixedGrid := mixed
	mixedGrid.params = []space.Parameter{mixed.params[0], mixed.params[1], {Name: "lr", Type: space.Discrete, List: []string{"0.0001", "0.001", "0.01", "0.1"}}}
	noiseFree := hartmann3
	noiseFree.noise = 0
	for _, tc := range []struct {
		o    objective
		size int
		best float64
		at   string
	}{
		{withStep(quad2d, "1.0"), 121, 0, "x=1 y=-2"},
		{withStep(quad2d, "0.7"), 225, 0.13, "x=1.3 y=-2.2"},
		{withStep(branin, "1.0"), 256, 0.497911, "x1=-3 x2=12"},
		{withStep(branin, "0.5"), 961, 0.426576, "x1=9.5 x2=2.5"},
		{mixedGrid, 96, 0, "opt=adam layers=5 lr=0.001"},
		{withStep(noiseFree, "0.1"), 1331, 3.586923, "x1=0.1 x2=0.6 x3=0.9"},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.o.name, tc.size), func(t *testing.T) {
			best, trials := run(t, Algorithm{Name: "grid", Settings: []Setting{{"random_state", "7"}}}, tc.o, 10000, 400, 1)
			if len(trials) != tc.size {
				t.Fatalf("grid ran %d trials, want %d", len(trials), tc.size)
			}
			seen := map[string]bool{}
			var at string
			for _, tr := range trials {
				var parts []string
				for _, v := range tr.Assignment {
					parts = append(parts, v.Name+"="+v.Value)
				}
				key := strings.Join(parts, " ")
				if seen[key] {
					t.Fatalf("point %s assigned twice", key)
				}
				seen[key] = true
				if tc.o.f(asMap(tr.Assignment)) == best && at == "" {
					at = key
				}
			}
			if math.Abs(best-tc.best) > 5e-6 { // the reference prints 6 decimals (hartmann3: 3.586921 here)
				t.Errorf("best = %.7g, want %g", best, tc.best)
			}
			if at != tc.at {
				t.Errorf("best at %s, want %s", at, tc.at)
			}
		})
	}
}

func TestGridBudgetAndExhaustion(t *testing.T) {
	sp, _ := space.New(withStep(quad2d, "5").params) // 3 × 3 points
	if _, err := New(sp, Algorithm{Name: "grid"}, Options{MaxTrialCount: 10}); err == nil || !strings.Contains(err.Error(), "maxTrialCount: must not exceed the grid's 9 points, got 10") {
		t.Errorf("budget over the grid: err = %v", err)
	}
	s, err := New(sp, Algorithm{Name: "grid"}, Options{MaxTrialCount: 9, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// A running trial's point is not suggested again.
	running := Trial{Name: "r", Assignment: space.Assignment{{Name: "x", Value: "0"}, {Name: "y", Value: "0"}}, State: Running}
	res, err := s.Suggest(ctx, []Trial{running}, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Suggestions) != 8 || !res.Exhausted {
		t.Fatalf("got %d suggestions (exhausted %v), want the 8 other points and exhausted", len(res.Suggestions), res.Exhausted)
	}
	for _, sg := range res.Suggestions {
		if asMap(sg.Assignment)["x"] == "0" && asMap(sg.Assignment)["y"] == "0" {
			t.Errorf("the running trial's point was suggested again")
		}
	}
	trials := []Trial{running}
	for _, sg := range res.Suggestions {
		trials = append(trials, Trial{Assignment: sg.Assignment, State: Failed})
	}
	res, err = s.Suggest(ctx, trials, 1)
	if err != nil || len(res.Suggestions) != 0 || !res.Exhausted {
		t.Errorf("after the last point: %+v, %v; want nothing and exhausted", res, err)
	}
	// Order: the seed shuffles, and the same seed gives the same order.
	a, _ := New(sp, Algorithm{Name: "grid", Settings: []Setting{{"random_state", "1"}}}, Options{})
	b, _ := New(sp, Algorithm{Name: "grid", Settings: []Setting{{"random_state", "2"}}}, Options{})
	ra, _ := a.Suggest(ctx, nil, 9)
	ra2, _ := a.Suggest(ctx, nil, 9)
	rb, _ := b.Suggest(ctx, nil, 9)
	if fmt.Sprint(ra) != fmt.Sprint(ra2) {
		t.Error("the same seed gave two orders")
	}
	if fmt.Sprint(ra) == fmt.Sprint(rb) {
		t.Error("two seeds gave the same order")
	}
}

func TestGridNeedsSteps(t *testing.T) {
	sp, _ := space.New(quad2d.params)
	_, err := New(sp, Algorithm{Name: "grid"}, Options{})
	var fe *space.FieldError
	if !errors.As(err, &fe) || fe.Field != "parameters[0].feasibleSpace.step" {
		t.Errorf("err = %v, want parameters[0].feasibleSpace.step", err)
	}
	huge := []space.Parameter{}
	for i := range 8 {
		huge = append(huge, space.Parameter{Name: fmt.Sprint("p", i), Type: space.Double, Min: "0", Max: "1", Step: "0.0001"})
	}
	sp, _ = space.New(huge)
	if _, err := New(sp, Algorithm{Name: "grid"}, Options{}); err == nil || !strings.Contains(err.Error(), "more than 2^62 points") {
		t.Errorf("a grid of 10^32 points: err = %v", err)
	}
}

func TestPermutationIsABijection(t *testing.T) {
	for _, n := range []uint64{1, 2, 3, 7, 64, 1000, 4097} {
		p := newPermutation(n, 42)
		seen := make([]bool, n)
		for i := range n {
			k := p.at(i)
			if k >= n || seen[k] {
				t.Fatalf("n=%d: at(%d) = %d repeats or is out of range", n, i, k)
			}
			seen[k] = true
		}
	}
}
