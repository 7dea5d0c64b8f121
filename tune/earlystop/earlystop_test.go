package earlystop

import (
	"errors"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/tune/search"
	"github.com/sluicehq/sluice/tune/space"
)

func TestParse(t *testing.T) {
	s, err := Parse("medianstop", nil)
	if err != nil || s != (Settings{MinTrialsRequired: 3, StartStep: 4}) {
		t.Fatalf("defaults = %+v, %v", s, err)
	}
	s, err = Parse("medianstop", []search.Setting{{Name: "min_trials_required", Value: "2"}, {Name: "start_step", Value: "5"}, {Name: "katib_compat", Value: "true"}})
	if err != nil || s != (Settings{MinTrialsRequired: 2, StartStep: 5, KatibCompat: true}) {
		t.Fatalf("settings = %+v, %v", s, err)
	}
	for _, tc := range []struct {
		alg   string
		set   []search.Setting
		field string
		msg   string
	}{
		{"median", nil, "earlyStopping.algorithmName", `must be medianstop, got "median"`},
		{"medianstop", []search.Setting{{Name: "start_step", Value: "0"}}, "earlyStopping.algorithmSettings[start_step]", `positive integer, got "0"`},
		{"medianstop", []search.Setting{{Name: "min_trials_required", Value: "x"}}, "earlyStopping.algorithmSettings[min_trials_required]", "positive integer"},
		{"medianstop", []search.Setting{{Name: "katib_compat", Value: "yes please"}}, "earlyStopping.algorithmSettings[katib_compat]", "true or false"},
		{"medianstop", []search.Setting{{Name: "patience", Value: "3"}}, "earlyStopping.algorithmSettings[patience]", "unknown setting"},
		{"medianstop", []search.Setting{{Name: "start_step", Value: "3"}, {Name: "start_step", Value: "3"}}, "earlyStopping.algorithmSettings[start_step]", "twice"},
	} {
		_, err := Parse(tc.alg, tc.set)
		var fe *space.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(fe.Msg, tc.msg) || !errors.Is(err, space.ErrInvalid) {
			t.Errorf("Parse(%s, %v) = %v; want %s: …%s…", tc.alg, tc.set, err, tc.field, tc.msg)
		}
	}
}

var completed = []Curve{
	{Trial: "a", Values: []float64{5, 3, 2, 1, 1}},
	{Trial: "b", Values: []float64{4, 3, 2, 2, 2}},
	{Trial: "c", Values: []float64{100, 100, 100, 100}},
}

func TestMedianStop(t *testing.T) {
	s := Settings{MinTrialsRequired: 3, StartStep: 4}
	// Averages of the first 4 reports: a 2.75, b 2.75, c 100 → median 2.75 (mean 35.2).
	running := []Curve{
		{Trial: "bad", Values: []float64{9, 8, 7, 6}},
		{Trial: "good", Values: []float64{9, 8, 7, 1}},
		{Trial: "early", Values: []float64{50, 50, 50}},
		{Trial: "long", Values: []float64{9, 9, 9, 9, 9}}, // at step 5 only a and b qualify: 2 < 3 trials
	}
	stops := MedianStop(s, search.Minimize, completed, running)
	if len(stops) != 1 || stops[0].Trial != "bad" || stops[0].Step != 4 || stops[0].Best != 6 || stops[0].Threshold != 2.75 {
		t.Fatalf("stops = %+v, want only bad at step 4 (best 6 > median 2.75)", stops)
	}
	if !strings.Contains(stops[0].Message, "median stopping rule: best value 6 in the first 4 reports is worse than 2.75") {
		t.Errorf("message = %q", stops[0].Message)
	}
	// Fewer completed trials than required: nothing stops.
	if stops := MedianStop(s, search.Minimize, completed[:2], running); len(stops) != 0 {
		t.Errorf("with 2 completed trials: %+v", stops)
	}
	// Maximize: worse means lower.
	up := []Curve{{Trial: "x", Values: []float64{1, 1, 1, 1}}, {Trial: "y", Values: []float64{1, 1, 1, 1}}, {Trial: "z", Values: []float64{3, 3, 3, 3}}}
	stops = MedianStop(s, search.Maximize, up, []Curve{{Trial: "low", Values: []float64{0, 0, 0, 0.5}}, {Trial: "high", Values: []float64{0, 0, 0, 2}}})
	if len(stops) != 1 || stops[0].Trial != "low" {
		t.Errorf("maximize: stops = %+v, want low", stops)
	}
}

func TestKatibCompatible(t *testing.T) {
	s := Settings{MinTrialsRequired: 3, StartStep: 4, KatibCompat: true}
	if _, ok := KatibRule(s, search.Minimize, completed[:2]); ok {
		t.Fatal("a rule with 2 succeeded trials")
	}
	rule, ok := KatibRule(s, search.Minimize, completed)
	if !ok || rule.Comparison != "greater" || rule.StartStep != 4 || rule.Value != (2.75+2.75+100)/3 {
		t.Fatalf("rule = %+v, want the mean of the averages (35.17), greater, step 4", rule)
	}
	// The published rule stops best 6; Katib's mean does not.
	if _, stop := rule.Check(Curve{Trial: "t", Values: []float64{9, 8, 7, 6}}); stop {
		t.Error("best 6 stopped against the mean 35.17")
	}
	if st, stop := rule.Check(Curve{Trial: "t", Values: []float64{90, 80, 70, 60}}); !stop || st.Step != 4 || st.Best != 60 {
		t.Errorf("best 60 at report 4: %+v, %v; want stopped", st, stop)
	}
	// Checked once, at the 4th report: bad later reports never stop it.
	if _, stop := rule.Check(Curve{Trial: "t", Values: []float64{9, 8, 7, 6, 500, 500}}); stop {
		t.Error("checked after the start step")
	}
	if _, stop := rule.Check(Curve{Trial: "t", Values: []float64{90, 80}}); stop {
		t.Error("checked before the start step")
	}
	// StartStep 0 (a hand-written rule): every report.
	r0 := Rule{Value: 10, Comparison: "greater"}
	if st, stop := r0.Check(Curve{Trial: "t", Values: []float64{20, 5}}); !stop || st.Step != 1 {
		t.Errorf("start step 0: %+v, %v", st, stop)
	}
	up, ok := KatibRule(s, search.Maximize, completed)
	if !ok || up.Comparison != "less" {
		t.Errorf("maximize rule = %+v", up)
	}
}

func FuzzEarlyStopSettings(f *testing.F) {
	f.Add("medianstop", "min_trials_required", "3", "start_step", "4")
	f.Add("medianstop", "katib_compat", "true", "", "")
	f.Fuzz(func(t *testing.T, alg, k1, v1, k2, v2 string) {
		var set []search.Setting
		if k1 != "" {
			set = append(set, search.Setting{Name: k1, Value: v1})
		}
		if k2 != "" {
			set = append(set, search.Setting{Name: k2, Value: v2})
		}
		s, err := Parse(alg, set)
		if err != nil {
			var fe *space.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *space.FieldError", err)
			}
			return
		}
		if s.MinTrialsRequired < 1 || s.StartStep < 1 {
			t.Fatalf("accepted %+v", s)
		}
	})
}
