package search

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/sluicehq/sluice/tune/space"
)

func TestHyperbandBrackets(t *testing.T) {
	// TUNING.md §2.9: R = 81, η = 3 gives (n, r) = (81,1), (34,3), (15,9), (8,27), (5,81).
	got := HyperbandBrackets(81, 3)
	want := [][2]float64{{81, 1}, {34, 3}, {15, 9}, {8, 27}, {5, 81}}
	if len(got) != len(want) {
		t.Fatalf("%d brackets, want %d", len(got), len(want))
	}
	for i, b := range got {
		if b.S != 4-i || float64(b.Rungs[0].N) != want[i][0] || b.Rungs[0].R != want[i][1] {
			t.Errorf("bracket %d = s %d, %+v; want s %d, (n, r) = %v", i, b.S, b.Rungs[0], 4-i, want[i])
		}
	}
	// Successive halving in the first bracket: 81@1, 27@3, 9@9, 3@27, 1@81.
	if fmt.Sprint(got[0].Rungs) != "[{81 1} {27 3} {9 9} {3 27} {1 81}]" {
		t.Errorf("bracket 4 rungs = %v", got[0].Rungs)
	}
	if fmt.Sprint(HyperbandBrackets(2, 3)) != "[{0 [{1 2}]}]" {
		t.Errorf("R < η: %v, want one bracket of one trial at R", HyperbandBrackets(2, 3))
	}
}

// A rung's best trials are promoted with the next resource once the whole
// rung has ended; until then the next bracket starts; failed trials rank
// last; after the last bracket the algorithm is exhausted.
func TestHyperbandPromotes(t *testing.T) {
	o := objective{params: []space.Parameter{
		{Name: "x", Type: space.Double, Min: "0", Max: "1"},
		{Name: "epochs", Type: space.Int, Min: "1", Max: "9"},
	}}
	s := newFor(t, Algorithm{Name: "hyperband", Settings: []Setting{{"resource_name", "epochs"}, {"r_l", "9"}}}, o, 1)
	// Brackets: s=2: 9@1, 3@3, 1@9; s=1: 5@3, 1@9; s=0: 3@9.
	res := suggest(t, s, nil, 9)
	trials := pending(res, 0)
	for _, tr := range trials {
		if tr.Labels[LabelBracket] != "2" || tr.Labels[LabelRung] != "0" || asMap(tr.Assignment)["epochs"] != "1" {
			t.Fatalf("first rung trial %+v", tr)
		}
	}
	// Rung 0 is running: the next bracket starts (5 trials at 3 epochs).
	res = suggest(t, s, trials, 5)
	if len(res.Suggestions) != 5 {
		t.Fatalf("while rung 0 runs: %d suggestions, want bracket 1's 5", len(res.Suggestions))
	}
	for _, sg := range res.Suggestions {
		if sg.Labels[LabelBracket] != "1" || asMap(sg.Assignment)["epochs"] != "3" {
			t.Fatalf("bracket 1 suggestion %+v", sg)
		}
	}
	trials = append(trials, pending(res, len(trials))...)
	// Then bracket 0's 3 trials at 9 epochs, and nothing more until a rung ends.
	res = suggest(t, s, trials, 10)
	if len(res.Suggestions) != 3 || res.Exhausted {
		t.Fatalf("got %d suggestions (exhausted %v), want bracket 0's 3", len(res.Suggestions), res.Exhausted)
	}
	trials = append(trials, pending(res, len(trials))...)
	if res = suggest(t, s, trials, 10); len(res.Suggestions) != 0 || res.Exhausted {
		t.Fatalf("all rungs running: %+v, want to wait", res)
	}
	// Rung 0 of bracket 2 ends: trial k scores 10 − k, trial 8 fails.
	for k := range 9 {
		trials[k].State, trials[k].Value, trials[k].HasValue = Succeeded, float64(10-k), true
	}
	trials[8].State, trials[8].HasValue = Failed, false
	res = suggest(t, s, trials, 10)
	if len(res.Suggestions) != 3 {
		t.Fatalf("after rung 0: %d suggestions, want 3 promotions", len(res.Suggestions))
	}
	for i, sg := range res.Suggestions {
		parent := 7 - i // best three: trials 7, 6, 5 (8 failed)
		if sg.Labels[LabelParent] != trials[parent].Name || sg.Labels[LabelRung] != "1" {
			t.Errorf("promotion %d: labels %v, want parent %s", i, sg.Labels, trials[parent].Name)
		}
		if asMap(sg.Assignment)["x"] != asMap(trials[parent].Assignment)["x"] || asMap(sg.Assignment)["epochs"] != "3" {
			t.Errorf("promotion %d: %v, want x of %v with 3 epochs", i, sg.Assignment, trials[parent].Assignment)
		}
	}
	trials = append(trials, pending(res, len(trials))...)
	// Finish everything; the last rungs are created, then exhausted.
	for round := 0; round < 10; round++ {
		for i := range trials {
			if trials[i].State.Active() {
				trials[i].State, trials[i].Value, trials[i].HasValue = Succeeded, float64(i), true
			}
		}
		res = suggest(t, s, trials, 10)
		trials = append(trials, pending(res, len(trials))...)
		if res.Exhausted {
			break
		}
	}
	if !res.Exhausted || len(trials) != 22 {
		t.Errorf("%d trials, exhausted %v; want the schedule's 22 trials and exhausted", len(trials), res.Exhausted)
	}
	count := map[string]int{}
	for _, tr := range trials {
		count[tr.Labels[LabelBracket]+"/"+tr.Labels[LabelRung]+"@"+asMap(tr.Assignment)["epochs"]]++
	}
	if fmt.Sprint(count) != "map[0/0@9:3 1/0@3:5 1/1@9:1 2/0@1:9 2/1@3:3 2/2@9:1]" {
		t.Errorf("trials per rung: %v", count)
	}
}

func TestFormatResource(t *testing.T) {
	for _, tc := range []struct {
		t    space.Type
		r    float64
		want string
	}{{space.Int, 3, "3"}, {space.Int, 1.234, "1"}, {space.Int, 0.2, "1"}, {space.Double, 100.0 / 81, strconv.FormatFloat(100.0/81, 'f', -1, 64)}} {
		if got := FormatResource(tc.t, tc.r); got != tc.want {
			t.Errorf("FormatResource(%s, %v) = %q, want %q", tc.t, tc.r, got, tc.want)
		}
	}
}
