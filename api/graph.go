package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/goccy/go-graphviz"

	"github.com/sluicehq/sluice/spec"
)

// The graph route lays a pipeline's DAG out with Graphviz dot (through
// go-graphviz, WebAssembly, no cgo) and returns boxes and edge paths as
// JSON for the web UI to draw. The layout is of the pipeline spec, not of
// a run's task instances: a ParallelFor is one group however many
// iterations it has, so a 1,000-task run lays out as fast as a 3-task one.
//
//	GET /apis/sluice/v1/graph?pipeline_version_id=V   (or ?pipeline_id=P: its latest version)
//	GET /apis/sluice/v1/graph?run_id=R

// Graph is a laid-out pipeline DAG. Coordinates are in points (1/72 in),
// origin at the top left.
type Graph struct {
	Width  float64      `json:"width"`
	Height float64      `json:"height"`
	Nodes  []GraphNode  `json:"nodes"`
	Groups []GraphNode  `json:"groups"`
	Edges  []GraphEdge  `json:"edges"`
	Info   GraphPipInfo `json:"pipeline"`
}

// GraphPipInfo names the pipeline the graph is of.
type GraphPipInfo struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// GraphNode is a task box (Nodes) or a sub-DAG drawn as a group around its
// tasks (Groups). ID is the task's path in the spec: task keys joined by
// "/" (a run's task ids add the iteration index after a loop's key).
type GraphNode struct {
	ID        string  `json:"id"`
	Label     string  `json:"label"`
	Kind      string  `json:"kind"` // task, importer, dag, loop, condition
	Component string  `json:"component,omitempty"`
	Detail    string  `json:"detail,omitempty"` // condition expression, loop items
	Exit      bool    `json:"exit,omitempty"`   // runs whatever its upstream's outcome
	X         float64 `json:"x"`
	Y         float64 `json:"y"`
	W         float64 `json:"w"`
	H         float64 `json:"h"`
}

// GraphEdge is a dependency drawn as an SVG path ending at the arrow tip.
type GraphEdge struct {
	From string `json:"from"`
	To   string `json:"to"`
	D    string `json:"d"`
}

// grapher lays out graphs, one at a time (a Graphviz context is not safe
// for concurrent use), and remembers recent layouts by spec content.
type grapher struct {
	mu    sync.Mutex
	gv    *graphviz.Graphviz
	cache map[[32]byte]*Graph
	order [][32]byte
}

const graphCacheSize = 128

func (s *server) graphRoutes() {
	g := &grapher{cache: map[[32]byte]*Graph{}}
	s.mux.Handle("GET "+sluicePrefix+"/graph", s.rpc(func(r *http.Request) (any, error) {
		raw, err := s.graphSpec(r)
		if err != nil {
			return nil, err
		}
		return g.layout(r.Context(), raw)
	}))
}

// graphSpec finds the stored spec JSON the request names.
func (s *server) graphSpec(r *http.Request) ([]byte, error) {
	q := r.URL.Query()
	ctx := r.Context()
	if id := q.Get("run_id"); id != "" {
		run, err := s.st.GetRun(ctx, id)
		if err != nil {
			return nil, notFound(err, "run", id)
		}
		if len(bytes.TrimSpace(run.Spec)) > 0 {
			return run.Spec, nil
		}
		if run.PipelineVersionID == "" {
			return nil, errorf(codeFailedPrecondition, "run %q has no pipeline spec", id)
		}
		v, err := s.st.GetPipelineVersion(ctx, run.PipelineVersionID)
		if err != nil {
			return nil, notFound(err, "pipeline version", run.PipelineVersionID)
		}
		return v.Spec, nil
	}
	src, err := s.resolveSource(ctx, "graph", nil, &versionRef{PipelineID: q.Get("pipeline_id"), PipelineVersionID: q.Get("pipeline_version_id")}, "")
	if err != nil {
		if q.Get("pipeline_id") == "" && q.Get("pipeline_version_id") == "" {
			return nil, invalidf("set run_id, pipeline_version_id or pipeline_id")
		}
		return nil, err
	}
	return src.spec, nil
}

func (g *grapher) layout(ctx context.Context, raw []byte) (*Graph, error) {
	key := sha256.Sum256(raw)
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.cache[key]; ok {
		return c, nil
	}
	p, err := loadSpecValue(raw, "pipeline_spec")
	if err != nil {
		return nil, err
	}
	b := newGraphBuilder(p.Spec)
	dot := b.dot()
	out := &Graph{Nodes: []GraphNode{}, Groups: []GraphNode{}, Edges: []GraphEdge{},
		Info: GraphPipInfo{Name: p.Spec.PipelineInfo.Name, Description: p.Spec.PipelineInfo.Description}}
	if len(b.nodes) > 0 {
		if g.gv == nil {
			if g.gv, err = graphviz.New(ctx); err != nil {
				return nil, fmt.Errorf("start graphviz: %w", err)
			}
		}
		gr, err := graphviz.ParseBytes([]byte(dot))
		if err != nil {
			return nil, fmt.Errorf("graph of %q: %w", p.Spec.PipelineInfo.Name, err)
		}
		var buf bytes.Buffer
		err = g.gv.Render(ctx, gr, graphviz.Format("json0"), &buf)
		gr.Close()
		if err != nil {
			return nil, fmt.Errorf("lay out %q: %w", p.Spec.PipelineInfo.Name, err)
		}
		if err := b.read(buf.Bytes(), out); err != nil {
			return nil, fmt.Errorf("read layout of %q: %w", p.Spec.PipelineInfo.Name, err)
		}
	}
	g.cache[key] = out
	g.order = append(g.order, key)
	if len(g.order) > graphCacheSize {
		delete(g.cache, g.order[0])
		g.order = g.order[1:]
	}
	return out, nil
}

// graphBuilder turns a pipeline spec into dot text and remembers what each
// dot name stands for.
type graphBuilder struct {
	ps     *spec.PipelineSpec
	buf    strings.Builder
	nodes  map[string]*GraphNode // by path
	groups map[string]*GraphNode // by path
	order  []string              // node and group paths in spec order
	edges  []dotEdge
}

// dotEdge is a dependency between two paths, and the dot nodes it was
// drawn between (an anchor inside a group stands for the group).
type dotEdge struct{ from, to, dotFrom, dotTo string }

func newGraphBuilder(ps *spec.PipelineSpec) *graphBuilder {
	b := &graphBuilder{ps: ps, nodes: map[string]*GraphNode{}, groups: map[string]*GraphNode{}}
	if ps.Root != nil && ps.Root.DAG != nil {
		b.buf.WriteString("digraph pipeline {\n")
		b.buf.WriteString("graph [compound=true, rankdir=TB, nodesep=0.3, ranksep=0.55, fontname=\"Helvetica\", fontsize=12, margin=0];\n")
		b.buf.WriteString("node [shape=box, fixedsize=true, height=0.5, label=\"\", fontname=\"Helvetica\"];\n")
		b.buf.WriteString("edge [arrowsize=0.6];\n")
		b.dag("", ps.Root.DAG, 0)
		b.buf.WriteString("}\n")
	}
	return b
}

func (b *graphBuilder) dot() string { return b.buf.String() }

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "/" + key
}

func clusterName(path string) string { return "cluster_" + path }

// dag writes the tasks of one DAG (and, as clusters, their sub-DAGs).
func (b *graphBuilder) dag(prefix string, d *spec.DAGSpec, depth int) {
	keys := slices.Sorted(maps.Keys(d.Tasks))
	for _, k := range keys {
		t := d.Tasks[k]
		if t == nil {
			continue
		}
		path := join(prefix, k)
		label := t.TaskInfo.Name
		if label == "" {
			label = k
		}
		n := &GraphNode{ID: path, Label: label, Component: t.ComponentRef.Name}
		if t.TriggerPolicy != nil && t.TriggerPolicy.Strategy == spec.StrategyAllCompleted {
			n.Exit = true
		}
		comp := b.ps.Components[t.ComponentRef.Name]
		switch {
		case t.ParameterIterator != nil || t.ArtifactIterator != nil:
			n.Kind = "loop"
			n.Detail = loopDetail(t)
		case t.TriggerPolicy != nil && t.TriggerPolicy.Condition != "":
			n.Kind = "condition"
			n.Detail = t.TriggerPolicy.Condition
		case comp != nil && comp.DAG != nil:
			n.Kind = "dag"
		default:
			n.Kind = "task"
			if comp != nil {
				if ex := b.ps.DeploymentSpec.Executors[comp.ExecutorLabel]; ex != nil && ex.Importer != nil {
					n.Kind = "importer"
				}
			}
		}
		b.order = append(b.order, path)
		if comp != nil && comp.DAG != nil && len(comp.DAG.Tasks) > 0 && depth < 12 {
			b.groups[path] = n
			fmt.Fprintf(&b.buf, "subgraph %q {\nlabel=%q; fontsize=12; margin=14;\n", clusterName(path), groupLabel(n))
			b.dag(path, comp.DAG, depth+1)
			b.buf.WriteString("}\n")
		} else {
			if n.Kind == "loop" || n.Kind == "condition" {
				n.Kind = "dag"
			}
			b.nodes[path] = n
			fmt.Fprintf(&b.buf, "%q [width=%s];\n", path, strconv.FormatFloat(nodeWidth(label), 'f', 2, 64))
		}
	}
	for _, k := range keys {
		t := d.Tasks[k]
		if t == nil {
			continue
		}
		for _, up := range spec.Upstream(t) {
			if _, ok := d.Tasks[up]; !ok {
				continue
			}
			from, to := join(prefix, up), join(prefix, k)
			e := dotEdge{from: from, to: to}
			var attrs []string
			if _, ok := b.groups[from]; ok {
				attrs = append(attrs, fmt.Sprintf("ltail=%q", clusterName(from)))
				from = b.anchor(from, false)
			}
			if _, ok := b.groups[to]; ok {
				attrs = append(attrs, fmt.Sprintf("lhead=%q", clusterName(to)))
				to = b.anchor(to, true)
			}
			e.dotFrom, e.dotTo = from, to
			b.edges = append(b.edges, e)
			fmt.Fprintf(&b.buf, "%q -> %q [%s];\n", from, to, strings.Join(attrs, ", "))
		}
	}
}

// anchor picks a node inside a group for an edge into it (a source task)
// or out of it (a sink task); dot clips the edge at the group's border.
func (b *graphBuilder) anchor(group string, into bool) string {
	var inside []string
	for _, p := range b.order {
		if strings.HasPrefix(p, group+"/") {
			if _, ok := b.nodes[p]; ok {
				inside = append(inside, p)
			}
		}
	}
	if len(inside) == 0 {
		return group
	}
	// Tasks with no edge inside the group on that side.
	has := map[string]bool{}
	for _, e := range b.edges {
		if into {
			has[e.dotTo] = true
		} else {
			has[e.dotFrom] = true
		}
	}
	for _, p := range inside {
		if !has[p] {
			return p
		}
	}
	if into {
		return inside[0]
	}
	return inside[len(inside)-1]
}

func groupLabel(n *GraphNode) string {
	switch n.Kind {
	case "loop":
		return n.Label + "  ×  " + n.Detail
	case "condition":
		d := []rune(n.Detail)
		if len(d) > 36 {
			d = append(d[:35], '…')
		}
		return n.Label + "  if " + string(d)
	}
	return n.Label
}

func loopDetail(t *spec.TaskSpec) string {
	switch {
	case t.ParameterIterator != nil && t.ParameterIterator.Items.Raw != "":
		var items []any
		if json.Unmarshal([]byte(t.ParameterIterator.Items.Raw), &items) == nil {
			return fmt.Sprintf("%d items", len(items))
		}
		return "items"
	case t.ParameterIterator != nil:
		return "each of " + strings.TrimPrefix(t.ParameterIterator.Items.InputParameter, "pipelinechannel--")
	case t.ArtifactIterator != nil:
		return "each of " + strings.TrimPrefix(t.ArtifactIterator.Items.InputArtifact, "pipelinechannel--")
	}
	return ""
}

// nodeWidth sizes a task box for its label, in inches.
func nodeWidth(label string) float64 {
	w := 0.6 + 0.09*float64(len([]rune(label)))
	return math.Max(1.7, math.Min(w, 3.2))
}

// dotJSON is the part of Graphviz's json0 output we read.
type dotJSON struct {
	BB      string `json:"bb"`
	Objects []struct {
		GVID   int    `json:"_gvid"`
		Name   string `json:"name"`
		BB     string `json:"bb"`
		Pos    string `json:"pos"`
		Width  string `json:"width"`
		Height string `json:"height"`
	} `json:"objects"`
	Edges []struct {
		Tail int    `json:"tail"`
		Head int    `json:"head"`
		Pos  string `json:"pos"`
		GVID int    `json:"_gvid"`
	} `json:"edges"`
}

// read fills out from Graphviz's json0 layout, flipping y so that the
// origin is at the top left.
func (b *graphBuilder) read(js []byte, out *Graph) error {
	var d dotJSON
	if err := json.Unmarshal(js, &d); err != nil {
		return err
	}
	bb, err := floats(d.BB, 4)
	if err != nil {
		return fmt.Errorf("bb %q: %v", d.BB, err)
	}
	out.Width, out.Height = round(bb[2]), round(bb[3])
	flip := func(y float64) float64 { return round(bb[3] - y) }
	for _, o := range d.Objects {
		switch {
		case strings.HasPrefix(o.Name, "cluster_"):
			n := b.groups[strings.TrimPrefix(o.Name, "cluster_")]
			c, err := floats(o.BB, 4)
			if n == nil || err != nil {
				continue
			}
			g := *n
			g.X, g.Y, g.W, g.H = round(c[0]), flip(c[3]), round(c[2]-c[0]), round(c[3]-c[1])
			out.Groups = append(out.Groups, g)
		default:
			n := b.nodes[o.Name]
			pos, err := floats(o.Pos, 2)
			if n == nil || err != nil {
				continue
			}
			w, _ := strconv.ParseFloat(o.Width, 64)
			h, _ := strconv.ParseFloat(o.Height, 64)
			g := *n
			g.W, g.H = round(w*72), round(h*72)
			g.X, g.Y = round(pos[0]-g.W/2), round(flip(pos[1])-g.H/2)
			out.Nodes = append(out.Nodes, g)
		}
	}
	names := map[int]string{}
	for _, o := range d.Objects {
		if !strings.HasPrefix(o.Name, "cluster_") {
			names[o.GVID] = o.Name
		}
	}
	byDot := map[[2]string][]dotEdge{}
	for _, e := range b.edges {
		k := [2]string{e.dotFrom, e.dotTo}
		byDot[k] = append(byDot[k], e)
	}
	for _, e := range d.Edges {
		k := [2]string{names[e.Tail], names[e.Head]}
		list := byDot[k]
		if len(list) == 0 {
			continue
		}
		byDot[k] = list[1:]
		path, err := splinePath(e.Pos, flip)
		if err != nil {
			continue
		}
		out.Edges = append(out.Edges, GraphEdge{From: list[0].from, To: list[0].to, D: path})
	}
	// Outer groups first, so inner ones are drawn on top.
	sort.SliceStable(out.Groups, func(i, j int) bool {
		return strings.Count(out.Groups[i].ID, "/") < strings.Count(out.Groups[j].ID, "/")
	})
	return nil
}

// splinePath converts a dot edge "pos" ("e,x,y x,y x,y ...": B-spline
// control points, then the arrow tip) to an SVG path.
func splinePath(pos string, flip func(float64) float64) (string, error) {
	var pts [][2]float64
	var end *[2]float64
	for _, f := range strings.Fields(pos) {
		tip := strings.HasPrefix(f, "e,")
		if tip || strings.HasPrefix(f, "s,") {
			f = f[2:]
		}
		xy, err := floats(f, 2)
		if err != nil {
			return "", err
		}
		p := [2]float64{round(xy[0]), flip(xy[1])}
		if tip {
			end = &p
			continue
		}
		pts = append(pts, p)
	}
	if len(pts) < 4 {
		return "", fmt.Errorf("edge with %d points", len(pts))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "M%g,%g", pts[0][0], pts[0][1])
	for i := 1; i+2 < len(pts); i += 3 {
		fmt.Fprintf(&sb, " C%g,%g %g,%g %g,%g", pts[i][0], pts[i][1], pts[i+1][0], pts[i+1][1], pts[i+2][0], pts[i+2][1])
	}
	if end != nil {
		fmt.Fprintf(&sb, " L%g,%g", end[0], end[1])
	}
	return sb.String(), nil
}

func floats(s string, n int) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, fmt.Errorf("want %d numbers, got %q", n, s)
	}
	out := make([]float64, n)
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func round(v float64) float64 { return math.Round(v*10) / 10 }
