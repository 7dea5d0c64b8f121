package graph

import (
	"maps"
	"slices"
)

// FindCycle returns a dependency cycle of deps (a node's dependencies by
// node), as the path from its first node back to it ([a b a]), or nil. Nodes
// are visited in sorted order, so the cycle reported is always the same.
func FindCycle(deps map[string][]string) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack, cycle []string
	var visit func(k string) bool
	visit = func(k string) bool {
		color[k] = grey
		stack = append(stack, k)
		for _, u := range deps[k] {
			switch color[u] {
			case grey:
				i := slices.Index(stack, u)
				cycle = append(slices.Clone(stack[i:]), u)
				return true
			case white:
				if visit(u) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[k] = black
		return false
	}
	for _, k := range slices.Sorted(maps.Keys(deps)) {
		if color[k] == white && visit(k) {
			return cycle
		}
	}
	return nil
}
