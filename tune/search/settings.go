package search

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/tune/space"
)

// settings reads algorithmSettings: every lookup marks the name as known,
// and done rejects the names nobody looked up.
type settings struct {
	vals  map[string]string
	order []string
	known []string
}

func newSettings(list []Setting) (*settings, error) {
	s := &settings{vals: map[string]string{}}
	for i, e := range list {
		if e.Name == "" {
			return nil, space.Invalid(fmt.Sprintf("algorithm.algorithmSettings[%d].name", i), "is required")
		}
		if _, dup := s.vals[e.Name]; dup {
			return nil, space.Invalid(settingField(e.Name), "is set twice")
		}
		s.vals[e.Name] = e.Value
		s.order = append(s.order, e.Name)
	}
	return s, nil
}

func settingField(name string) string { return "algorithm.algorithmSettings[" + name + "]" }

func (s *settings) lookup(name string) (string, bool) {
	s.known = append(s.known, name)
	v, ok := s.vals[name]
	return strings.TrimSpace(v), ok
}

// done rejects settings the algorithm does not know.
func (s *settings) done(alg string) error {
	for _, name := range s.order {
		if !slices.Contains(s.known, name) {
			known := slices.Clone(s.known)
			slices.Sort(known)
			list := strings.Join(known, ", ")
			if list == "" {
				list = "none"
			}
			return space.Invalid(settingField(name), fmt.Sprintf("unknown setting for %s (known: %s)", alg, list))
		}
	}
	return nil
}

func (s *settings) positiveInt(name string, def int) (int, error) {
	v, ok := s.lookup(name)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, space.Invalid(settingField(name), fmt.Sprintf("must be a positive integer, got %q", v))
	}
	return n, nil
}

// float reads a finite number in (lo, hi) (open bounds; ±Inf for none).
func (s *settings) float(name string, def, lo, hi float64) (float64, error) {
	v, ok := s.lookup(name)
	if !ok {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= lo || f >= hi {
		want := "a number"
		switch {
		case !math.IsInf(lo, 0) && !math.IsInf(hi, 0):
			want = fmt.Sprintf("a number between %g and %g (exclusive)", lo, hi)
		case !math.IsInf(lo, 0):
			want = fmt.Sprintf("a number greater than %g", lo)
		}
		return 0, space.Invalid(settingField(name), fmt.Sprintf("must be %s, got %q", want, v))
	}
	return f, nil
}

func (s *settings) choice(name, def string, allowed ...string) (string, error) {
	v, ok := s.lookup(name)
	if !ok {
		return def, nil
	}
	if !slices.Contains(allowed, v) {
		return "", space.Invalid(settingField(name), fmt.Sprintf("must be one of %s, got %q", strings.Join(allowed, ", "), v))
	}
	return v, nil
}

// seed reads random_state (an integer ≥ 0); absent, the experiment's seed.
func (s *settings) seed(def uint64) (uint64, error) {
	v, ok := s.lookup("random_state")
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, space.Invalid(settingField("random_state"), fmt.Sprintf("must be an integer ≥ 0, got %q", v))
	}
	return n, nil
}
