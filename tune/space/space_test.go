package space

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func mustSpace(t testing.TB, ps ...Parameter) *Space {
	t.Helper()
	s, err := New(ps)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewRejectsBadSpaces(t *testing.T) {
	x := Parameter{Name: "x", Type: Double, Min: "0", Max: "1"}
	for _, tc := range []struct {
		name   string
		params []Parameter
		field  string
		msg    string
	}{
		{"none", nil, "parameters", "at least one"},
		{"no name", []Parameter{{Type: Double, Min: "0", Max: "1"}}, "parameters[0].name", "required"},
		{"dup name", []Parameter{x, x}, "parameters[1].name", `duplicate parameter name "x" (also parameters[0])`},
		{"no type", []Parameter{{Name: "x", Min: "0", Max: "1"}}, "parameters[0].parameterType", "required"},
		{"bad type", []Parameter{{Name: "x", Type: "float", Min: "0", Max: "1"}}, "parameters[0].parameterType", `got "float"`},
		{"min > max", []Parameter{{Name: "x", Type: Double, Min: "5", Max: "-5"}}, "parameters[0].feasibleSpace.max", `must be greater than min (5), got "-5"`},
		{"min = max", []Parameter{{Name: "x", Type: Int, Min: "3", Max: "3"}}, "parameters[0].feasibleSpace.max", "must be greater than min"},
		{"no min", []Parameter{{Name: "x", Type: Double, Max: "1"}}, "parameters[0].feasibleSpace.min", "required"},
		{"no max", []Parameter{{Name: "x", Type: Int, Min: "1"}}, "parameters[0].feasibleSpace.max", "required"},
		{"bad min", []Parameter{{Name: "x", Type: Double, Min: "abc", Max: "1"}}, "parameters[0].feasibleSpace.min", `got "abc"`},
		{"inf", []Parameter{{Name: "x", Type: Double, Min: "0", Max: "1e999"}}, "parameters[0].feasibleSpace.max", "decimal"},
		{"nan", []Parameter{{Name: "x", Type: Double, Min: "nan", Max: "1"}}, "parameters[0].feasibleSpace.min", "decimal"},
		{"hex", []Parameter{{Name: "x", Type: Double, Min: "0x1p-2", Max: "1"}}, "parameters[0].feasibleSpace.min", "decimal"},
		{"fraction", []Parameter{{Name: "x", Type: Double, Min: "1/3", Max: "1"}}, "parameters[0].feasibleSpace.min", "decimal"},
		{"int not integer", []Parameter{{Name: "x", Type: Int, Min: "1.5", Max: "4"}}, "parameters[0].feasibleSpace.min", "integer"},
		{"int step not integer", []Parameter{{Name: "x", Type: Int, Min: "1", Max: "4", Step: "0.5"}}, "parameters[0].feasibleSpace.step", "integer"},
		{"step zero", []Parameter{{Name: "x", Type: Double, Min: "0", Max: "1", Step: "0"}}, "parameters[0].feasibleSpace.step", "greater than 0"},
		{"step negative", []Parameter{{Name: "x", Type: Double, Min: "0", Max: "1", Step: "-0.1"}}, "parameters[0].feasibleSpace.step", "greater than 0"},
		{"step too big", []Parameter{{Name: "x", Type: Double, Min: "0", Max: "1", Step: "2"}}, "parameters[0].feasibleSpace.step", "must not exceed"},
		{"step too small", []Parameter{{Name: "x", Type: Double, Min: "0", Max: "1e10", Step: "1e-10"}}, "parameters[0].feasibleSpace.step", "too small"},
		{"log min 0", []Parameter{{Name: "lr", Type: Double, Min: "0", Max: "1", Distribution: LogUniform}}, "parameters[0].feasibleSpace.min", "greater than 0 for a logUniform"},
		{"log min negative", []Parameter{{Name: "lr", Type: Int, Min: "-1", Max: "1", Distribution: LogNormal}}, "parameters[0].feasibleSpace.min", "greater than 0 for a logNormal"},
		{"bad distribution", []Parameter{{Name: "x", Type: Double, Min: "0", Max: "1", Distribution: "beta"}}, "parameters[0].feasibleSpace.distribution", `got "beta"`},
		{"list on double", []Parameter{{Name: "x", Type: Double, Min: "0", Max: "1", List: []string{"a"}}}, "parameters[0].feasibleSpace.list", "must be empty"},
		{"no list", []Parameter{{Name: "o", Type: Categorical}}, "parameters[0].feasibleSpace.list", "required"},
		{"min on categorical", []Parameter{{Name: "o", Type: Categorical, Min: "1", List: []string{"a"}}}, "parameters[0].feasibleSpace.min", "must be empty"},
		{"dup choice", []Parameter{{Name: "o", Type: Categorical, List: []string{"a", "b", "a"}}}, "parameters[0].feasibleSpace.list[2]", "duplicate"},
		{"empty choice", []Parameter{{Name: "o", Type: Categorical, List: []string{"a", ""}}}, "parameters[0].feasibleSpace.list[1]", "empty"},
		{"NUL in a choice", []Parameter{{Name: "o", Type: Categorical, List: []string{"a", "b\x00c"}}}, "parameters[0].feasibleSpace.list[1]", `"b\x00c" holds a NUL character`},
		{"discrete not number", []Parameter{{Name: "b", Type: Discrete, List: []string{"16", "big"}}}, "parameters[0].feasibleSpace.list[1]", "number"},
		{"distribution on categorical", []Parameter{{Name: "o", Type: Categorical, List: []string{"a"}, Distribution: LogUniform}}, "parameters[0].feasibleSpace.distribution", "does not apply"},
		{"huge exponent", []Parameter{{Name: "x", Type: Double, Min: "1e-999999999", Max: "1"}}, "parameters[0].feasibleSpace.min", "decimal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.params)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FieldError", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false")
			}
			if fe.Field != tc.field || !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("err = %q, want field %q and a message containing %q", err, tc.field, tc.msg)
			}
		})
	}
}

func TestSteppedValuesAreExactDecimals(t *testing.T) {
	s := mustSpace(t,
		Parameter{Name: "a", Type: Double, Min: "0", Max: "1", Step: "0.1"},
		Parameter{Name: "b", Type: Double, Min: "-5", Max: "5", Step: "0.7"},
		Parameter{Name: "c", Type: Int, Min: "2", Max: "9", Step: "2"},
	)
	var got []string
	a, b, c := s.Param(0), s.Param(1), s.Param(2)
	for k := range a.Size() {
		got = append(got, a.Format(a.GridValue(k)))
	}
	if want := "0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1"; strings.Join(got, " ") != want {
		t.Errorf("a = %v, want %s", got, want)
	}
	if b.Size() != 15 {
		t.Errorf("b has %d values, want 15", b.Size())
	}
	if v := b.Format(b.GridValue(9)); v != "1.3" {
		t.Errorf("b[9] = %q, want 1.3", v)
	}
	if v := b.GridValue(9); v != 1.3 {
		t.Errorf("b[9] coordinate = %v, want 1.3", v)
	}
	if v := b.Format(b.GridValue(b.Size() - 1)); v != "4.8" {
		t.Errorf("b's last value = %q, want 4.8 (≤ max)", v)
	}
	got = nil
	for k := range c.Size() {
		got = append(got, c.Format(c.GridValue(k)))
	}
	if want := "2 4 6 8"; strings.Join(got, " ") != want {
		t.Errorf("c = %v, want %s", got, want)
	}
	// A value read back snaps onto the grid.
	if x, err := b.Parse("1.31"); err != nil || b.Format(x) != "1.3" {
		t.Errorf("Parse(1.31) = %v, %v; want 1.3", x, err)
	}
}

func TestFormatParseRoundTrip(t *testing.T) {
	s := mustSpace(t,
		Parameter{Name: "lr", Type: Double, Min: "0.0001", Max: "0.1", Distribution: LogUniform},
		Parameter{Name: "layers", Type: Int, Min: "1", Max: "8"},
		Parameter{Name: "opt", Type: Categorical, List: []string{"sgd", "adam", "rmsprop"}},
		Parameter{Name: "batch", Type: Discrete, List: []string{"16", "32", "64"}},
		Parameter{Name: "w", Type: Double, Min: "-1", Max: "1", Distribution: Normal},
		Parameter{Name: "u", Type: Int, Min: "1", Max: "1000", Distribution: LogNormal},
	)
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		pt := s.Sample(r)
		a := s.Format(pt)
		back, err := s.Parse(a)
		if err != nil {
			t.Fatal(err)
		}
		if s.Key(back) != s.Key(pt) {
			t.Fatalf("%v read back as %v", a, s.Format(back))
		}
		for i := range s.Len() {
			p := s.Param(i)
			if p.IsChoice() {
				continue
			}
			v, _ := strconv.ParseFloat(a[i].Value, 64)
			lo, _ := strconv.ParseFloat(p.Declared().Min, 64)
			hi, _ := strconv.ParseFloat(p.Declared().Max, 64)
			if v < lo || v > hi {
				t.Fatalf("%s = %v outside [%v, %v]", p.Name(), v, lo, hi)
			}
		}
	}
	for _, bad := range []Assignment{
		{{"lr", "0.01"}, {"layers", "3"}, {"opt", "sgd"}, {"batch", "16"}, {"w", "0"}},
		{{"lr", "0.01"}, {"layers", "3"}, {"opt", "sgd"}, {"batch", "16"}, {"w", "0"}, {"u", "5"}, {"v", "1"}},
		{{"lr", "0.01"}, {"layers", "3"}, {"opt", "ftrl"}, {"batch", "16"}, {"w", "0"}, {"u", "5"}},
		{{"lr", "-1"}, {"layers", "3"}, {"opt", "sgd"}, {"batch", "16"}, {"w", "0"}, {"u", "5"}},
		{{"lr", "x"}, {"layers", "3"}, {"opt", "sgd"}, {"batch", "16"}, {"w", "0"}, {"u", "5"}},
		{{"lr", "0.01"}, {"lr", "0.01"}, {"layers", "3"}, {"opt", "sgd"}, {"batch", "16"}, {"w", "0"}, {"u", "5"}},
	} {
		if _, err := s.Parse(bad); err == nil {
			t.Errorf("Parse(%v) succeeded", bad)
		}
	}
}

// TUNING.md §7.3: the random sampler's unit tests.
func TestSamplerDistributions(t *testing.T) {
	const draws = 10000
	s := mustSpace(t,
		Parameter{Name: "i", Type: Int, Min: "1", Max: "8"},
		Parameter{Name: "lr", Type: Double, Min: "1e-4", Max: "1e-1", Distribution: LogUniform},
		Parameter{Name: "d", Type: Double, Min: "0.05", Max: "0.95", Step: "0.1"},
		Parameter{Name: "c", Type: Categorical, List: []string{"a", "b", "c", "d", "e"}},
	)
	r := rand.New(rand.NewPCG(42, 0))
	ints := map[string]int{}
	decades := make([]int, 3)
	ds := map[string]int{}
	cs := map[string]int{}
	var seq []string
	for range draws {
		a := s.Format(s.Sample(r))
		seq = append(seq, a[0].Value+a[1].Value)
		ints[a[0].Value]++
		lr, _ := strconv.ParseFloat(a[1].Value, 64)
		decades[int(math.Floor(math.Log10(lr)))+4]++
		ds[a[2].Value]++
		cs[a[3].Value]++
	}
	for v := 1; v <= 8; v++ {
		if n := ints[strconv.Itoa(v)]; n < 1100 || n > 1400 {
			t.Errorf("int %d drawn %d times, want [1100, 1400]", v, n)
		}
	}
	for i, n := range decades {
		if n < 3120 || n > 3550 {
			t.Errorf("decade 1e%d drawn %d times, want [3120, 3550]", i-4, n)
		}
	}
	for v := range ds {
		f, _ := strconv.ParseFloat(v, 64)
		k := math.Round((f - 0.05) / 0.1)
		if v != FormatFloat(0.05+0.1*k) && v != strconv.FormatFloat(float64(5+10*int(k))/100, 'f', -1, 64) {
			t.Errorf("stepped value %q is not 0.05 + 0.1k", v)
		}
	}
	if len(ds) != 10 {
		t.Errorf("stepped values = %v, want the 10 points 0.05..0.95", ds)
	}
	mean, sd := draws/5.0, math.Sqrt(draws*0.2*0.8)
	for _, c := range []string{"a", "b", "c", "d", "e"} {
		if n := float64(cs[c]); math.Abs(n-mean) > 4.5*sd {
			t.Errorf("choice %s drawn %v times, want %v ± %v", c, n, mean, 4.5*sd)
		}
	}
	r2 := rand.New(rand.NewPCG(42, 0))
	for i := range 100 {
		a := s.Format(s.Sample(r2))
		if a[0].Value+a[1].Value != seq[i] {
			t.Fatalf("same seed gave a different sequence at draw %d", i)
		}
	}
}

func TestNormalIsTruncated(t *testing.T) {
	s := mustSpace(t, Parameter{Name: "x", Type: Double, Min: "-1", Max: "1", Distribution: Normal})
	r := rand.New(rand.NewPCG(7, 7))
	inner := 0
	for range 10000 {
		x := s.Param(0).Sample(r)
		if x < -1 || x > 1 {
			t.Fatalf("normal sample %v outside [-1, 1]", x)
		}
		if math.Abs(x) < 1.0/3 { // within one σ
			inner++
		}
	}
	if inner < 6500 || inner > 7100 {
		t.Errorf("%d of 10000 samples within 1σ, want ≈ 6830", inner)
	}
}

func TestSpaceSize(t *testing.T) {
	s := mustSpace(t,
		Parameter{Name: "a", Type: Int, Min: "1", Max: "8"},
		Parameter{Name: "o", Type: Categorical, List: []string{"x", "y", "z"}},
		Parameter{Name: "lr", Type: Discrete, List: []string{"0.1", "0.01"}},
	)
	if n, ok := s.Size(); !ok || n != 48 {
		t.Errorf("Size = %d, %v; want 48", n, ok)
	}
	s = mustSpace(t, Parameter{Name: "x", Type: Double, Min: "0", Max: "1"})
	if _, ok := s.Size(); ok {
		t.Error("a continuous space has a finite size")
	}
}

func FuzzSpaceNew(f *testing.F) {
	f.Add("double", "0", "1", "", "uniform", "a,b")
	f.Add("int", "1", "8", "2", "logUniform", "")
	f.Add("double", "-5", "5", "0.7", "normal", "")
	f.Add("discrete", "", "", "", "", "16,32,64")
	f.Add("double", "1e-4", "1e-1", "", "logNormal", "")
	f.Fuzz(func(t *testing.T, typ, lo, hi, step, dist, list string) {
		var l []string
		if list != "" {
			l = strings.Split(list, ",")
		}
		s, err := New([]Parameter{{Name: "p", Type: Type(typ), Min: lo, Max: hi, Step: step, Distribution: Distribution(dist), List: l}})
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			return
		}
		r := rand.New(rand.NewPCG(1, 1))
		for range 20 {
			pt := s.Sample(r)
			a := s.Format(pt)
			back, err := s.Parse(a)
			if err != nil {
				t.Fatalf("Parse(Format(%v)) = %v", a, err)
			}
			if s.Key(back) != s.Key(pt) {
				t.Fatalf("%v read back as %v", a, s.Format(back))
			}
		}
	})
}

func TestQuantile(t *testing.T) {
	s := mustSpace(t,
		Parameter{Name: "n", Type: Double, Min: "-3", Max: "3", Distribution: Normal},
		Parameter{Name: "u", Type: Int, Min: "1", Max: "4"},
		Parameter{Name: "l", Type: Double, Min: "1", Max: "100", Distribution: LogNormal},
	)
	n, u, l := s.Param(0), s.Param(1), s.Param(2)
	if q := n.Quantile(0.5); math.Abs(q) > 1e-12 {
		t.Errorf("normal median = %v, want 0", q)
	}
	// σ = 1: Φ⁻¹ of the truncated normal at Φ(1) ≈ 0.8413 is ≈ 1.
	a, b := NormalCDF(-3), NormalCDF(3)
	if q := n.Quantile((NormalCDF(1) - a) / (b - a)); math.Abs(q-1) > 1e-9 {
		t.Errorf("normal quantile at Φ(1) = %v, want 1", q)
	}
	if n.Quantile(0) < -3 || n.Quantile(1) > 3 || n.Quantile(0.2) >= n.Quantile(0.3) {
		t.Error("normal quantile not increasing within [min, max]")
	}
	// Uniform ints: every value gets a quarter of [0, 1).
	for i, want := range []string{"1", "1", "2", "3", "4", "4"} {
		if got := u.Format(u.Quantile([]float64{0, 0.24, 0.26, 0.74, 0.76, 0.999}[i])); got != want {
			t.Errorf("int quantile %d = %s, want %s", i, got, want)
		}
	}
	if got := math.Exp(l.Quantile(0.5)); math.Abs(got-10) > 1e-12 {
		t.Errorf("log-normal median = %v, want 10", got)
	}
}
