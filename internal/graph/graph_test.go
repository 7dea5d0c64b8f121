package graph

import (
	"slices"
	"testing"
)

func TestFindCycle(t *testing.T) {
	for _, tc := range []struct {
		name string
		deps map[string][]string
		want []string
	}{
		{"none", map[string][]string{"a": {"b"}, "b": {"c"}, "c": nil}, nil},
		{"diamond", map[string][]string{"a": {"b", "c"}, "b": {"d"}, "c": {"d"}}, nil},
		{"self", map[string][]string{"a": {"a"}}, []string{"a", "a"}},
		{"three", map[string][]string{"x": {"a"}, "a": {"b"}, "b": {"c"}, "c": {"a"}}, []string{"a", "b", "c", "a"}},
		{"unknown dependency", map[string][]string{"a": {"zzz"}}, nil},
	} {
		if got := FindCycle(tc.deps); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
