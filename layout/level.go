package layout

import (
	"cmp"
	"math"
	"slices"
)

// level lays out the graph of one group: n boxes of the given sizes and
// the edges between them. Vertices 0..n-1 are the boxes; the rest are the
// bend points of edges that span layers (w = h = 0).
type level struct {
	opt   *Options
	n     int
	w, h  []float64
	edges [][2]int

	rank     []int
	up, down [][]int   // neighbours in the layer above and below
	layers   [][]int   // vertices of each layer, in order
	pos      []int     // a vertex's index in its layer
	key      []float64 // a vertex's sort key while ordering
	x        []float64
	layerTop []float64
	layerH   []float64
	dy       []float64 // a box's top below its layer's top
	chains   []chain   // one per edge

	width, height float64
	paths         [][]Point
}

// chain is an edge's vertices from top to bottom; reversed when the edge
// points up (it closed a cycle).
type chain struct {
	v        []int
	reversed bool
}

func (l *level) left(i int) float64 { return l.x[i] - l.w[i]/2 }
func (l *level) top(i int) float64  { return l.layerTop[l.rank[i]] + l.dy[i] }

func (l *level) run(budget *int) error {
	if *budget -= l.n; *budget < 0 {
		return ErrTooLarge
	}
	l.breakCyclesAndRank()
	if err := l.addBends(budget); err != nil {
		return err
	}
	l.order()
	l.place()
	l.route()
	return nil
}

// breakCyclesAndRank reverses the back edges of a depth-first search (in
// input order) and gives every box a layer.
func (l *level) breakCyclesAndRank() {
	n := l.n
	out := make([][]int, n) // edge indices by tail
	for k, e := range l.edges {
		if e[0] != e[1] {
			out[e[0]] = append(out[e[0]], k)
		}
	}
	l.chains = make([]chain, len(l.edges))
	const (
		white = iota
		grey
		black
	)
	color := make([]int, n)
	type frame struct{ v, next int }
	for s := range n {
		if color[s] != white {
			continue
		}
		stack := []frame{{s, 0}}
		color[s] = grey
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next == len(out[f.v]) {
				color[f.v] = black
				stack = stack[:len(stack)-1]
				continue
			}
			k := out[f.v][f.next]
			f.next++
			switch t := l.edges[k][1]; color[t] {
			case grey:
				l.chains[k].reversed = true
			case white:
				color[t] = grey
				stack = append(stack, frame{t, 0})
			}
		}
	}
	// The acyclic graph: tail -> head, duplicates kept (they share ranks).
	succ := make([][]int, n)
	pred := make([][]int, n)
	for k, e := range l.edges {
		a, b := e[0], e[1]
		if a == b {
			continue
		}
		if l.chains[k].reversed {
			a, b = b, a
		}
		succ[a] = append(succ[a], b)
		pred[b] = append(pred[b], a)
	}
	// Longest path from the sources, in a topological order.
	indeg := make([]int, n)
	for v := range n {
		indeg[v] = len(pred[v])
	}
	topo := make([]int, 0, n)
	for v := range n {
		if indeg[v] == 0 {
			topo = append(topo, v)
		}
	}
	l.rank = make([]int, n)
	for i := 0; i < len(topo); i++ {
		v := topo[i]
		for _, s := range succ[v] {
			l.rank[s] = max(l.rank[s], l.rank[v]+1)
			if indeg[s]--; indeg[s] == 0 {
				topo = append(topo, s)
			}
		}
	}
	// A box that feeds more edges than it takes moves down to just above
	// its first consumer: a source next to what uses it.
	for i := len(topo) - 1; i >= 0; i-- {
		v := topo[i]
		if len(succ[v]) == 0 || len(succ[v]) <= len(pred[v]) {
			continue
		}
		r := math.MaxInt
		for _, s := range succ[v] {
			r = min(r, l.rank[s]-1)
		}
		l.rank[v] = max(l.rank[v], r)
	}
	// No empty layers.
	used := map[int]bool{}
	for _, r := range l.rank {
		used[r] = true
	}
	ranks := make([]int, 0, len(used))
	for r := range used {
		ranks = append(ranks, r)
	}
	slices.Sort(ranks)
	dense := make(map[int]int, len(ranks))
	for i, r := range ranks {
		dense[r] = i
	}
	for v := range l.rank {
		l.rank[v] = dense[l.rank[v]]
	}
}

// addBends splits edges that span layers with a bend vertex per layer
// crossed, and builds the neighbour lists of the layered graph.
func (l *level) addBends(budget *int) error {
	l.up = make([][]int, l.n)
	l.down = make([][]int, l.n)
	for k, e := range l.edges {
		a, b := e[0], e[1]
		if a == b {
			continue
		}
		c := &l.chains[k]
		if c.reversed {
			a, b = b, a
		}
		span := l.rank[b] - l.rank[a]
		if *budget -= span - 1; *budget < 0 {
			return ErrTooLarge
		}
		c.v = append(c.v, a)
		prev := a
		for r := l.rank[a] + 1; r < l.rank[b]; r++ {
			v := len(l.w)
			l.w = append(l.w, 0)
			l.h = append(l.h, 0)
			l.rank = append(l.rank, r)
			l.up = append(l.up, nil)
			l.down = append(l.down, nil)
			l.link(prev, v)
			c.v = append(c.v, v)
			prev = v
		}
		l.link(prev, b)
		c.v = append(c.v, b)
	}
	return nil
}

func (l *level) link(a, b int) {
	l.down[a] = append(l.down[a], b)
	l.up[b] = append(l.up[b], a)
}

func (l *level) isBend(v int) bool { return v >= l.n }

// order fixes the order of the vertices in each layer.
func (l *level) order() {
	nl := 0
	for _, r := range l.rank {
		nl = max(nl, r+1)
	}
	l.layers = make([][]int, nl)
	l.pos = make([]int, len(l.w))
	// Start from a depth-first order from the boxes that have nothing
	// above them: connected vertices start close together.
	seen := make([]bool, len(l.w))
	var stack []int
	for s := range l.n {
		if len(l.up[s]) > 0 || seen[s] {
			continue
		}
		stack = append(stack[:0], s)
		seen[s] = true
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			l.pos[v] = len(l.layers[l.rank[v]])
			l.layers[l.rank[v]] = append(l.layers[l.rank[v]], v)
			for i := len(l.down[v]) - 1; i >= 0; i-- {
				if d := l.down[v][i]; !seen[d] {
					seen[d] = true
					stack = append(stack, d)
				}
			}
		}
	}
	if nl < 2 {
		return
	}
	best := l.crossings()
	saved := l.snapshot()
	// Fewer sweeps for big graphs: each costs O(E log V).
	sweeps := 24
	if size := len(l.w) + len(l.edges); size > 4000 {
		sweeps = max(2, 24*4000/size)
	}
	for it, stale := 0, 0; it < sweeps && best > 0 && stale < 4; it++ {
		if it%2 == 0 {
			for r := 1; r < nl; r++ {
				l.sortByBarycenter(r, l.up)
			}
		} else {
			for r := nl - 2; r >= 0; r-- {
				l.sortByBarycenter(r, l.down)
			}
		}
		if c := l.crossings(); c < best {
			best, saved, stale = c, l.snapshot(), 0
		} else {
			stale++
		}
	}
	l.restore(saved)
	if len(l.w)+len(l.edges) <= 3000 {
		l.transpose(best)
	}
}

func (l *level) snapshot() [][]int {
	s := make([][]int, len(l.layers))
	for i, ly := range l.layers {
		s[i] = slices.Clone(ly)
	}
	return s
}

func (l *level) restore(s [][]int) {
	for i, ly := range s {
		copy(l.layers[i], ly)
		for p, v := range l.layers[i] {
			l.pos[v] = p
		}
	}
}

// sortByBarycenter orders layer r by the mean position of each vertex's
// neighbours in the adjacent layer (nbr); a vertex without any keeps its
// place.
func (l *level) sortByBarycenter(r int, nbr [][]int) {
	ly := l.layers[r]
	if len(l.key) != len(l.w) {
		l.key = make([]float64, len(l.w))
	}
	key := l.key
	for _, v := range ly {
		if len(nbr[v]) == 0 {
			key[v] = float64(l.pos[v])
			continue
		}
		s := 0.0
		for _, u := range nbr[v] {
			s += float64(l.pos[u])
		}
		key[v] = s / float64(len(nbr[v]))
	}
	slices.SortStableFunc(ly, func(a, b int) int {
		if c := cmp.Compare(key[a], key[b]); c != 0 {
			return c
		}
		return cmp.Compare(l.pos[a], l.pos[b])
	})
	for p, v := range ly {
		l.pos[v] = p
	}
}

// crossings counts the edge crossings between all adjacent layers.
func (l *level) crossings() int {
	total := 0
	for r := 0; r+1 < len(l.layers); r++ {
		total += l.crossingsBelow(r)
	}
	return total
}

// crossingsBelow counts the crossings of the edges between layer r and
// r+1: inversions of the lower ends when sorted by upper ends (Barth,
// Jünger and Mutzel), with a Fenwick tree.
func (l *level) crossingsBelow(r int) int {
	var ends []int
	for _, v := range l.layers[r] {
		start := len(ends)
		for _, d := range l.down[v] {
			ends = append(ends, l.pos[d])
		}
		slices.Sort(ends[start:])
	}
	size := len(l.layers[r+1])
	tree := make([]int, size+1)
	count := 0
	for i, p := range ends {
		// Ends seen so far that are greater than p.
		seen := 0
		for j := p + 1; j > 0; j -= j & -j {
			seen += tree[j]
		}
		count += i - seen
		for j := p + 1; j <= size; j += j & -j {
			tree[j]++
		}
	}
	return count
}

// transpose swaps neighbours in a layer while that removes crossings.
func (l *level) transpose(crossings int) {
	for pass := 0; pass < 8 && crossings > 0; pass++ {
		improved := false
		for r := range l.layers {
			ly := l.layers[r]
			for i := 0; i+1 < len(ly); i++ {
				a, b := ly[i], ly[i+1]
				if l.pairCrossings(b, a) < l.pairCrossings(a, b) {
					ly[i], ly[i+1] = b, a
					l.pos[a], l.pos[b] = i+1, i
					improved = true
				}
			}
		}
		if !improved {
			break
		}
		crossings = l.crossings()
	}
}

// pairCrossings counts the crossings among the edges of a and b (in the
// same layer) if a is left of b.
func (l *level) pairCrossings(a, b int) int {
	c := 0
	for _, nbr := range [][][]int{l.up, l.down} {
		for _, u := range nbr[a] {
			for _, v := range nbr[b] {
				if l.pos[u] > l.pos[v] {
					c++
				}
			}
		}
	}
	return c
}

// sep is the least distance between the centres of neighbours a and b.
func (l *level) sep(a, b int) float64 {
	gap := l.opt.NodeSep
	switch ba, bb := l.isBend(a), l.isBend(b); {
	case ba && bb:
		gap = l.opt.EdgeSep
	case ba || bb:
		gap = max(l.opt.EdgeSep, l.opt.NodeSep/2)
	}
	return (l.w[a]+l.w[b])/2 + gap
}

// weight is how strongly an edge segment pulls its ends into line:
// segments of long edges most, so that long edges run straight.
func (l *level) weight(a, b int) float64 {
	switch ba, bb := l.isBend(a), l.isBend(b); {
	case ba && bb:
		return 8
	case ba || bb:
		return 2
	}
	return 1
}
