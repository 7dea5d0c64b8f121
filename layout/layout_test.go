package layout

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// check asserts what every layout must be: boxes inside the drawing,
// siblings not overlapping, groups holding their children, every edge
// starting on its From box and ending on its To box, and no edge passing
// through a box other than its ends and the groups around them.
func check(t *testing.T, nodes []Node, edges []Edge, lay *Layout) {
	t.Helper()
	const eps = 0.01
	if len(lay.Boxes) != len(nodes) || len(lay.Paths) != len(edges) {
		t.Fatalf("%d boxes for %d nodes, %d paths for %d edges", len(lay.Boxes), len(nodes), len(lay.Paths), len(edges))
	}
	index := map[string]int{}
	for i, n := range nodes {
		index[n.ID] = i
	}
	box := func(id string) Box { return lay.Boxes[index[id]] }
	for i, n := range nodes {
		b := lay.Boxes[i]
		if b.X < -eps || b.Y < -eps || b.X+b.W > lay.Width+eps || b.Y+b.H > lay.Height+eps {
			t.Errorf("%s %+v outside the %gx%g drawing", n.ID, b, lay.Width, lay.Height)
		}
		if b.W < n.W-eps || b.H < n.H-eps {
			t.Errorf("%s %+v smaller than %gx%g", n.ID, b, n.W, n.H)
		}
		if n.Parent != "" {
			p := box(n.Parent)
			if b.X < p.X-eps || b.Y < p.Y-eps || b.X+b.W > p.X+p.W+eps || b.Y+b.H > p.Y+p.H+eps {
				t.Errorf("%s %+v is not inside its group %s %+v", n.ID, b, n.Parent, p)
			}
		}
		for j := i + 1; j < len(nodes); j++ {
			if nodes[j].Parent == n.Parent && overlap(b, lay.Boxes[j], eps) {
				t.Errorf("%s %+v overlaps %s %+v", n.ID, b, nodes[j].ID, lay.Boxes[j])
			}
		}
	}
	ancestors := func(id string) map[string]bool {
		a := map[string]bool{}
		for p := nodes[index[id]].Parent; p != "" && !a[p]; p = nodes[index[p]].Parent {
			a[p] = true
		}
		return a
	}
	for k, e := range edges {
		p := lay.Paths[k]
		if e.From == e.To {
			if p != nil {
				t.Errorf("self edge %s has a path", e.From)
			}
			continue
		}
		if len(p) < 4 || (len(p)-1)%3 != 0 {
			t.Errorf("edge %s -> %s: path of %d points", e.From, e.To, len(p))
			continue
		}
		if !onBorder(p[0], box(e.From), eps) {
			t.Errorf("edge %s -> %s starts at %v, not on %+v", e.From, e.To, p[0], box(e.From))
		}
		if !onBorder(p[len(p)-1], box(e.To), eps) {
			t.Errorf("edge %s -> %s ends at %v, not on %+v", e.From, e.To, p[len(p)-1], box(e.To))
		}
		allowed := ancestors(e.From)
		allowed[e.From], allowed[e.To] = true, true
		for i, n := range nodes {
			if allowed[n.ID] {
				continue
			}
			if q, ok := through(p, lay.Boxes[i]); ok {
				t.Errorf("edge %s -> %s passes through %s %+v at %v", e.From, e.To, n.ID, lay.Boxes[i], q)
			}
		}
	}
}

func overlap(a, b Box, eps float64) bool {
	return a.X+a.W > b.X+eps && b.X+b.W > a.X+eps && a.Y+a.H > b.Y+eps && b.Y+b.H > a.Y+eps
}

func onBorder(p Point, b Box, eps float64) bool {
	inX := p.X >= b.X-eps && p.X <= b.X+b.W+eps
	inY := p.Y >= b.Y-eps && p.Y <= b.Y+b.H+eps
	return inX && (math.Abs(p.Y-b.Y) <= eps || math.Abs(p.Y-b.Y-b.H) <= eps) ||
		inY && (math.Abs(p.X-b.X) <= eps || math.Abs(p.X-b.X-b.W) <= eps)
}

// through samples a path's curves and returns a point strictly inside b.
func through(p []Point, b Box) (Point, bool) {
	const in = 0.5
	for i := 0; i+3 < len(p); i += 3 {
		for s := 0; s <= 40; s++ {
			t := float64(s) / 40
			u := 1 - t
			q := Point{
				u*u*u*p[i].X + 3*u*u*t*p[i+1].X + 3*u*t*t*p[i+2].X + t*t*t*p[i+3].X,
				u*u*u*p[i].Y + 3*u*u*t*p[i+1].Y + 3*u*t*t*p[i+2].Y + t*t*t*p[i+3].Y,
			}
			if q.X > b.X+in && q.X < b.X+b.W-in && q.Y > b.Y+in && q.Y < b.Y+b.H-in {
				return q, true
			}
		}
	}
	return Point{}, false
}

func compute(t *testing.T, nodes []Node, edges []Edge) *Layout {
	t.Helper()
	lay, err := Compute(nodes, edges, Options{})
	if err != nil {
		t.Fatal(err)
	}
	check(t, nodes, edges, lay)
	return lay
}

func box(id, parent string) Node { return Node{ID: id, Parent: parent, W: 120, H: 36} }

func TestChainRunsDownward(t *testing.T) {
	nodes := []Node{box("a", ""), box("b", ""), box("c", "")}
	edges := []Edge{{"a", "b"}, {"b", "c"}}
	lay := compute(t, nodes, edges)
	a, b, c := lay.Boxes[0], lay.Boxes[1], lay.Boxes[2]
	if !(a.Y+a.H < b.Y && b.Y+b.H < c.Y) {
		t.Errorf("chain not top to bottom: %+v %+v %+v", a, b, c)
	}
	if a.X != b.X || b.X != c.X {
		t.Errorf("a chain of equal boxes is not straight: %+v %+v %+v", a, b, c)
	}
	if lay.Width != 120 || lay.Height != 3*36+2*40 {
		t.Errorf("drawing %gx%g", lay.Width, lay.Height)
	}
}

func TestFanOutIsCentredUnderItsSource(t *testing.T) {
	nodes := []Node{box("src", ""), box("x", ""), box("y", ""), box("z", "")}
	edges := []Edge{{"src", "x"}, {"src", "y"}, {"src", "z"}}
	lay := compute(t, nodes, edges)
	src, x, z := lay.Boxes[0], lay.Boxes[1], lay.Boxes[3]
	mid := (x.X + z.X + z.W) / 2
	if math.Abs(src.X+src.W/2-mid) > 0.01 {
		t.Errorf("source centre %g, its consumers' centre %g", src.X+src.W/2, mid)
	}
}

func TestLongEdgeGoesAroundBoxes(t *testing.T) {
	// a -> b -> c -> d and a -> d: the long edge must pass beside b and c.
	nodes := []Node{box("a", ""), box("b", ""), box("c", ""), box("d", "")}
	edges := []Edge{{"a", "b"}, {"b", "c"}, {"c", "d"}, {"a", "d"}}
	compute(t, nodes, edges)
}

func TestSourceSitsNextToItsConsumer(t *testing.T) {
	// late feeds only the last task: it is drawn in the layer above it,
	// not at the top.
	nodes := []Node{box("a", ""), box("b", ""), box("c", ""), box("late", "")}
	edges := []Edge{{"a", "b"}, {"b", "c"}, {"late", "c"}}
	lay := compute(t, nodes, edges)
	if lay.Boxes[3].Y != lay.Boxes[1].Y {
		t.Errorf("late at y=%g, b at y=%g", lay.Boxes[3].Y, lay.Boxes[1].Y)
	}
}

func TestNestedGroups(t *testing.T) {
	nodes := []Node{
		box("start", ""),
		{ID: "outer", W: 200},
		box("outer/first", "outer"),
		{ID: "outer/loop", Parent: "outer", W: 160},
		box("outer/loop/step", "outer/loop"),
		box("outer/loop/check", "outer/loop"),
		box("outer/after", "outer"),
		box("end", ""),
	}
	edges := []Edge{
		{"start", "outer"}, {"outer", "end"}, {"start", "end"},
		{"outer/first", "outer/loop"}, {"outer/loop", "outer/after"},
		{"outer/loop/step", "outer/loop/check"},
	}
	lay := compute(t, nodes, edges)
	outer, loop := lay.Boxes[1], lay.Boxes[3]
	if first := lay.Boxes[2]; first.Y-outer.Y < 28 {
		t.Errorf("no room for the group's label: group %+v, first child %+v", outer, first)
	}
	if loop.W < 160 {
		t.Errorf("group narrower than its minimum: %+v", loop)
	}
}

func TestEmptyAndSingle(t *testing.T) {
	lay := compute(t, nil, nil)
	if lay.Width != 0 || lay.Height != 0 {
		t.Errorf("empty graph %gx%g", lay.Width, lay.Height)
	}
	lay = compute(t, []Node{box("only", "")}, nil)
	if lay.Boxes[0] != (Box{0, 0, 120, 36}) {
		t.Errorf("single box %+v", lay.Boxes[0])
	}
	// A group with nothing inside is a box of its minimum size.
	lay = compute(t, []Node{{ID: "g", W: 50, H: 20}}, nil)
	if lay.Boxes[0] != (Box{0, 0, 50, 20}) {
		t.Errorf("empty group %+v", lay.Boxes[0])
	}
}

func TestCyclesAndSelfEdges(t *testing.T) {
	nodes := []Node{box("a", ""), box("b", ""), box("c", ""), box("d", "")}
	edges := []Edge{{"a", "b"}, {"b", "c"}, {"c", "a"}, {"c", "d"}, {"d", "d"}, {"b", "a"}, {"a", "b"}}
	compute(t, nodes, edges)
}

func TestDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	nodes, edges := randomGraph(rng, 120, 3, 0.05)
	first, err := Compute(nodes, edges, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := Compute(nodes, edges, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, again) {
			t.Fatal("two layouts of the same graph differ")
		}
	}
}

// TestRandomGraphs checks the invariants on random compound graphs, some
// with cycles.
func TestRandomGraphs(t *testing.T) {
	for seed := range uint64(60) {
		rng := rand.New(rand.NewPCG(seed, 1))
		n := 2 + rng.IntN(60)
		cycles := 0.0
		if seed%3 == 0 {
			cycles = 0.1
		}
		nodes, edges := randomGraph(rng, n, 1+rng.IntN(4), cycles)
		t.Run(fmt.Sprint(seed), func(t *testing.T) { compute(t, nodes, edges) })
	}
}

// randomGraph makes n nodes in nested groups (up to depth) with edges
// between siblings, forward in node order, plus back edges with
// probability cycles.
func randomGraph(rng *rand.Rand, n, depth int, cycles float64) ([]Node, []Edge) {
	var nodes []Node
	level := map[string]int{"": 0}
	var groups []string
	groups = append(groups, "")
	for i := range n {
		parent := groups[rng.IntN(len(groups))]
		id := fmt.Sprintf("n%d", i)
		if parent != "" {
			id = parent + "/" + id
		}
		nd := Node{ID: id, Parent: parent, W: float64(60 + rng.IntN(160)), H: float64(24 + rng.IntN(40))}
		if level[parent] < depth && rng.IntN(4) == 0 {
			nd.W, nd.H = float64(rng.IntN(200)), 0
			groups = append(groups, id)
			level[id] = level[parent] + 1
		}
		nodes = append(nodes, nd)
	}
	bySibling := map[string][]string{}
	for _, nd := range nodes {
		bySibling[nd.Parent] = append(bySibling[nd.Parent], nd.ID)
	}
	var edges []Edge
	for _, sib := range bySibling {
		for i := range sib {
			for j := i + 1; j < len(sib); j++ {
				if rng.Float64() < 3/float64(len(sib)) {
					edges = append(edges, Edge{sib[i], sib[j]})
				}
				if rng.Float64() < cycles {
					edges = append(edges, Edge{sib[j], sib[i]})
				}
			}
		}
	}
	return nodes, edges
}

func TestBadInput(t *testing.T) {
	for name, c := range map[string]struct {
		nodes []Node
		edges []Edge
		want  string
	}{
		"duplicate":      {[]Node{box("a", ""), box("a", "")}, nil, `"a" listed twice`},
		"unknown parent": {[]Node{box("a", "g")}, nil, `parent "g" is not a node`},
		"parent cycle":   {[]Node{box("a", "b"), box("b", "a")}, nil, "cycle of parents"},
		"own parent":     {[]Node{box("a", "a")}, nil, "cycle of parents"},
		"unknown end":    {[]Node{box("a", "")}, []Edge{{"a", "b"}}, `"b" is not a node`},
		"across groups":  {[]Node{box("g", ""), box("a", "g"), box("b", "")}, []Edge{{"a", "b"}}, "different groups"},
		"NaN size":       {[]Node{{ID: "a", W: math.NaN()}}, nil, "size"},
		"negative size":  {[]Node{{ID: "a", H: -1}}, nil, "size"},
	} {
		_, err := Compute(c.nodes, c.edges, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
}

func TestTooLarge(t *testing.T) {
	// A chain of 50 and an edge from its head to its tail: 48 bends.
	var nodes []Node
	var edges []Edge
	for i := range 50 {
		nodes = append(nodes, box(fmt.Sprint(i), ""))
		if i > 0 {
			edges = append(edges, Edge{fmt.Sprint(i - 1), fmt.Sprint(i)})
		}
	}
	edges = append(edges, Edge{"0", "49"})
	if _, err := Compute(nodes, edges, Options{MaxVertices: 90}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("98 vertices with a bound of 90: %v", err)
	}
	if _, err := Compute(nodes, edges, Options{MaxVertices: 98}); err != nil {
		t.Errorf("98 vertices with a bound of 98: %v", err)
	}
	if _, err := Compute(nodes, nil, Options{MaxVertices: 49}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("50 boxes with a bound of 49: %v", err)
	}
}

func TestIsotonic(t *testing.T) {
	// Blocks pool from the left: [1] [3 2]=2.5 [4] [0 (weight 3)]; 4 > 0
	// pools to (4+0)/4 = 1, then 2.5 > 1 pools to (5+4)/6 = 1.5.
	got := isotonic([]float64{1, 3, 2, 4, 0}, []float64{1, 1, 1, 1, 3})
	want := []float64{1, 1.5, 1.5, 1.5, 1.5}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9 {
			t.Fatalf("isotonic = %v, want %v", got, want)
		}
	}
}

func BenchmarkCompute(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	nodes, edges := randomGraph(rng, 300, 3, 0)
	for b.Loop() {
		if _, err := Compute(nodes, edges, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzCompute lays out graphs made from arbitrary bytes: any input either
// is refused with an error or gives a layout with every invariant.
func FuzzCompute(f *testing.F) {
	f.Add([]byte{4, 0, 0, 0, 1, 2, 3, 0, 1, 1, 2, 2, 3, 0, 3})
	f.Add([]byte{6, 0, 1, 1, 0, 4, 0, 1, 2, 2, 3, 3, 1, 4, 5, 5, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		n := int(b[0]) % 48
		b = b[1:]
		next := func() int {
			if len(b) == 0 {
				return 0
			}
			v := int(b[0])
			b = b[1:]
			return v
		}
		nodes := make([]Node, n)
		for i := range nodes {
			nodes[i] = Node{ID: fmt.Sprint(i), W: float64(next() % 200), H: float64(next() % 60)}
			// Mostly an earlier node or the top level; now and then any
			// node, which may make a cycle of parents.
			switch p := next(); {
			case p%5 == 0 && i > 0:
				nodes[i].Parent = fmt.Sprint(p % i)
			case p%17 == 1:
				nodes[i].Parent = fmt.Sprint(p % max(n, 1))
			}
		}
		// Edges between siblings, and now and then across groups.
		siblings := map[string][]string{}
		for _, nd := range nodes {
			siblings[nd.Parent] = append(siblings[nd.Parent], nd.ID)
		}
		var edges []Edge
		for len(b) >= 2 && n > 0 {
			a := nodes[next()%n]
			to := next()
			if sib := siblings[a.Parent]; to%23 != 0 {
				edges = append(edges, Edge{a.ID, sib[to%len(sib)]})
			} else {
				edges = append(edges, Edge{a.ID, fmt.Sprint(to % n)})
			}
		}
		lay, err := Compute(nodes, edges, Options{MaxVertices: 2000})
		if err != nil {
			return
		}
		check(t, nodes, edges, lay)
	})
}
