package layout

import (
	"errors"
	"fmt"
	"math"
)

// Node is a box to place. A node named as another node's Parent is a
// group: it is sized to hold its children's layout, and W and H are then
// its minimum size (for a label).
type Node struct {
	ID     string
	Parent string // the group it is in; "" at the top level
	W, H   float64
}

// Edge joins two nodes of the same group (or two top-level nodes).
type Edge struct{ From, To string }

// Options are the distances of a layout, in the caller's unit. Zero
// values take the defaults.
type Options struct {
	NodeSep   float64 // horizontal gap between two boxes of a layer (24)
	EdgeSep   float64 // horizontal gap between two edges passing a layer (10)
	RankSep   float64 // least vertical gap between two layers (40)
	GroupPad  float64 // space inside a group at its sides and bottom (14)
	GroupHead float64 // space inside a group above its children, for a label (28)
	// MaxVertices bounds the work: boxes plus the bend points of edges
	// that span layers, over all groups (20,000). A larger graph is
	// refused with ErrTooLarge.
	MaxVertices int
}

func (o Options) withDefaults() Options {
	def := func(v *float64, d float64) {
		if *v <= 0 || math.IsNaN(*v) || math.IsInf(*v, 0) {
			*v = d
		}
	}
	def(&o.NodeSep, 24)
	def(&o.EdgeSep, 10)
	def(&o.RankSep, 40)
	def(&o.GroupPad, 14)
	def(&o.GroupHead, 28)
	if o.MaxVertices <= 0 {
		o.MaxVertices = 20000
	}
	return o
}

// Point is a position; Y grows downwards.
type Point struct{ X, Y float64 }

// Box is a node's place: its top left corner and its size.
type Box struct{ X, Y, W, H float64 }

// Layout is the result of Compute. The drawing's top left corner is at
// (0, 0).
type Layout struct {
	Width, Height float64
	Boxes         []Box // one per node, in the order given
	// Paths holds one path per edge, in the order given: the start point,
	// then three points per cubic Bézier segment (two control points and
	// the segment's end), as SVG's "M p C c1 c2 p ...". The path starts on
	// the border of the edge's From box and ends on the border of its To
	// box. An edge from a node to itself has no path.
	Paths [][]Point
}

// ErrTooLarge is returned for a graph that needs more than
// Options.MaxVertices boxes and bend points.
var ErrTooLarge = errors.New("graph too large to lay out")

// Compute lays out a compound graph. Node IDs must be unique, parents must
// exist and not contain themselves, and edges must join nodes of the same
// group. The result depends only on the input, including its order.
func Compute(nodes []Node, edges []Edge, opt Options) (*Layout, error) {
	opt = opt.withDefaults()
	n := len(nodes)
	root := n // index of the virtual top-level group
	index := make(map[string]int, n)
	for i, nd := range nodes {
		if _, dup := index[nd.ID]; dup {
			return nil, fmt.Errorf("node %q listed twice", nd.ID)
		}
		if bad(nd.W) || bad(nd.H) {
			return nil, fmt.Errorf("node %q: size %gx%g", nd.ID, nd.W, nd.H)
		}
		index[nd.ID] = i
	}
	parent := make([]int, n)
	children := make([][]int, n+1)
	for i, nd := range nodes {
		p := root
		if nd.Parent != "" {
			var ok bool
			if p, ok = index[nd.Parent]; !ok {
				return nil, fmt.Errorf("node %q: parent %q is not a node", nd.ID, nd.Parent)
			}
		}
		parent[i] = p
		children[p] = append(children[p], i)
	}
	// Groups innermost first (post-order from the top level); a node left
	// unvisited is in a cycle of parents.
	order := make([]int, 0, n+1)
	visited := make([]bool, n+1)
	type frame struct{ g, next int }
	stack := []frame{{root, 0}}
	visited[root] = true
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.next < len(children[f.g]) {
			c := children[f.g][f.next]
			f.next++
			visited[c] = true
			stack = append(stack, frame{c, 0})
			continue
		}
		order = append(order, f.g)
		stack = stack[:len(stack)-1]
	}
	for i := range nodes {
		if !visited[i] {
			return nil, fmt.Errorf("node %q is inside itself (a cycle of parents)", nodes[i].ID)
		}
	}
	groupEdges := make([][]int, n+1)
	for k, e := range edges {
		f, okf := index[e.From]
		t, okt := index[e.To]
		switch {
		case !okf:
			return nil, fmt.Errorf("edge %d: %q is not a node", k, e.From)
		case !okt:
			return nil, fmt.Errorf("edge %d: %q is not a node", k, e.To)
		case parent[f] != parent[t]:
			return nil, fmt.Errorf("edge %q -> %q joins nodes of different groups", e.From, e.To)
		}
		groupEdges[parent[f]] = append(groupEdges[parent[f]], k)
	}

	// Bottom up: lay out each group's children, relative to the group's
	// top left corner, and size the group.
	size := make([][2]float64, n+1)
	for i, nd := range nodes {
		size[i] = [2]float64{nd.W, nd.H}
	}
	rel := make([]Point, n) // a node's top left corner in its parent
	paths := make([][]Point, len(edges))
	budget := opt.MaxVertices
	for _, g := range order {
		kids := children[g]
		if len(kids) == 0 {
			continue
		}
		local := make(map[int]int, len(kids))
		lv := &level{opt: &opt}
		for i, c := range kids {
			local[c] = i
			lv.w = append(lv.w, size[c][0])
			lv.h = append(lv.h, size[c][1])
		}
		for _, k := range groupEdges[g] {
			lv.edges = append(lv.edges, [2]int{local[index[edges[k].From]], local[index[edges[k].To]]})
		}
		lv.n = len(kids)
		if err := lv.run(&budget); err != nil {
			return nil, err
		}
		ox, oy := 0.0, 0.0
		if g != root {
			w := math.Max(lv.width+2*opt.GroupPad, size[g][0])
			h := math.Max(lv.height+opt.GroupHead+opt.GroupPad, size[g][1])
			ox, oy = (w-lv.width)/2, opt.GroupHead
			size[g] = [2]float64{w, h}
		} else {
			size[g] = [2]float64{lv.width, lv.height}
		}
		for i, c := range kids {
			rel[c] = Point{lv.left(i) + ox, lv.top(i) + oy}
		}
		for j, k := range groupEdges[g] {
			p := lv.paths[j]
			for i := range p {
				p[i].X += ox
				p[i].Y += oy
			}
			paths[k] = p
		}
	}

	// Top down: absolute positions.
	out := &Layout{Width: size[root][0], Height: size[root][1], Boxes: make([]Box, n), Paths: paths}
	abs := make([]Point, n+1)
	for i := len(order) - 1; i >= 0; i-- {
		g := order[i]
		for _, c := range children[g] {
			abs[c] = Point{abs[g].X + rel[c].X, abs[g].Y + rel[c].Y}
			out.Boxes[c] = Box{abs[c].X, abs[c].Y, size[c][0], size[c][1]}
		}
	}
	for k, e := range edges {
		g := parent[index[e.From]]
		for i := range paths[k] {
			paths[k][i].X += abs[g].X
			paths[k][i].Y += abs[g].Y
		}
	}
	return out, nil
}

func bad(v float64) bool { return v < 0 || math.IsNaN(v) || math.IsInf(v, 0) || v > 1e9 }
