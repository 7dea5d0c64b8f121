package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/layout"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/wire"
)

// The graph route lays a pipeline's DAG out (package layout: a layered
// layout in pure Go, sub-DAGs, conditions and loops as groups) and returns
// boxes and edge paths as JSON for the web UI to draw. The layout is of
// the pipeline spec, not of a run's task instances: a ParallelFor is one
// group however many iterations it has, so a 1,000-task run lays out as
// fast as a 3-task one.
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

// grapher lays out graphs and remembers recent layouts by spec content.
type grapher struct {
	mu    sync.Mutex
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
		return g.layout(raw)
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
	src, err := s.resolveSource(ctx, "graph", nil, &wire.PipelineVersionReference{PipelineID: q.Get("pipeline_id"), PipelineVersionID: q.Get("pipeline_version_id")}, "")
	if err != nil {
		if q.Get("pipeline_id") == "" && q.Get("pipeline_version_id") == "" {
			return nil, invalidf("set run_id, pipeline_version_id or pipeline_id")
		}
		return nil, err
	}
	return src.spec, nil
}

func (g *grapher) layout(raw []byte) (*Graph, error) {
	key := sha256.Sum256(raw)
	g.mu.Lock()
	c, ok := g.cache[key]
	g.mu.Unlock()
	if ok {
		return c, nil
	}
	p, err := loadSpecValue(raw, "pipeline_spec")
	if err != nil {
		return nil, err
	}
	out, err := layoutSpec(p.Spec)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.cache[key]; ok {
		return c, nil // laid out meanwhile by another request
	}
	g.cache[key] = out
	g.order = append(g.order, key)
	if len(g.order) > graphCacheSize {
		delete(g.cache, g.order[0])
		g.order = g.order[1:]
	}
	return out, nil
}

// Sizes in points. Task boxes are one line of 12.5 px text and a status
// line high; groups have a label line at the top.
const (
	taskHeight    = 36
	maxGraphBoxes = 5000 // tasks and groups; more is refused rather than drawn
)

var graphOptions = layout.Options{NodeSep: 22, EdgeSep: 10, RankSep: 40, GroupPad: 14, GroupHead: 30}

// layoutSpec lays a pipeline's DAG out.
func layoutSpec(ps *spec.PipelineSpec) (*Graph, error) {
	b := &graphBuilder{ps: ps}
	out := &Graph{Nodes: []GraphNode{}, Groups: []GraphNode{}, Edges: []GraphEdge{},
		Info: GraphPipInfo{Name: ps.PipelineInfo.Name, Description: ps.PipelineInfo.Description}}
	if ps.Root == nil || ps.Root.DAG == nil {
		return out, nil
	}
	if err := b.dag("", "", ps.Root.DAG, 0); err != nil {
		return nil, err
	}
	lay, err := layout.Compute(b.nodes, b.edges, graphOptions)
	if errors.Is(err, layout.ErrTooLarge) {
		return nil, errorf(codeFailedPrecondition, "the graph of %q is too large to draw (its edges cross too many layers); see its tasks instead", ps.PipelineInfo.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("lay out %q: %w", ps.PipelineInfo.Name, err)
	}
	out.Width, out.Height = round(lay.Width), round(lay.Height)
	for i, n := range b.info {
		box := lay.Boxes[i]
		n.X, n.Y, n.W, n.H = round(box.X), round(box.Y), round(box.W), round(box.H)
		if b.group[i] {
			out.Groups = append(out.Groups, n)
		} else {
			out.Nodes = append(out.Nodes, n)
		}
	}
	for i, e := range b.ends {
		if d := svgPath(lay.Paths[i]); d != "" {
			out.Edges = append(out.Edges, GraphEdge{From: e[0], To: e[1], D: d})
		}
	}
	// Outer groups first, so inner ones are drawn on top.
	sort.SliceStable(out.Groups, func(i, j int) bool {
		return strings.Count(out.Groups[i].ID, "/") < strings.Count(out.Groups[j].ID, "/")
	})
	return out, nil
}

// graphBuilder lists a pipeline's tasks and sub-DAGs as layout nodes (in
// spec order: keys sorted, depth first) and their dependencies as edges.
type graphBuilder struct {
	ps    *spec.PipelineSpec
	nodes []layout.Node
	info  []GraphNode // by node
	group []bool      // by node
	edges []layout.Edge
	ends  [][2]string // by edge: the task paths it joins
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "/" + key
}

// dag adds the tasks of one DAG (and, as groups, their sub-DAGs).
// Layout ids are the nodes' indexes: a task key may hold a "/", so two
// paths can be the same.
func (b *graphBuilder) dag(prefix, parent string, d *spec.DAGSpec, depth int) error {
	keys := slices.Sorted(maps.Keys(d.Tasks))
	ids := make(map[string]string, len(keys))
	for _, k := range keys {
		t := d.Tasks[k]
		if t == nil {
			continue
		}
		if len(b.nodes) >= maxGraphBoxes {
			return errorf(codeFailedPrecondition, "the graph of %q has more than %d tasks and groups, too many to draw; see its tasks instead", b.ps.PipelineInfo.Name, maxGraphBoxes)
		}
		path := join(prefix, k)
		label := t.TaskInfo.Name
		if label == "" {
			label = k
		}
		n := GraphNode{ID: path, Label: label, Component: t.ComponentRef.Name}
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
		isGroup := comp != nil && comp.DAG != nil && len(comp.DAG.Tasks) > 0 && depth < 12
		if !isGroup && (n.Kind == "loop" || n.Kind == "condition") {
			n.Kind = "dag"
		}
		ids[k] = strconv.Itoa(len(b.nodes))
		node := layout.Node{ID: ids[k], Parent: parent, W: nodeWidth(label), H: taskHeight}
		if isGroup {
			node.W, node.H = groupMinWidth(&n), 0
		}
		b.nodes = append(b.nodes, node)
		b.info = append(b.info, n)
		b.group = append(b.group, isGroup)
		if isGroup {
			if err := b.dag(path, node.ID, comp.DAG, depth+1); err != nil {
				return err
			}
		}
	}
	for _, k := range keys {
		t := d.Tasks[k]
		if t == nil {
			continue
		}
		for _, up := range spec.Upstream(t) {
			if id, ok := ids[up]; ok && up != k {
				b.edges = append(b.edges, layout.Edge{From: id, To: ids[k]})
				b.ends = append(b.ends, [2]string{join(prefix, up), join(prefix, k)})
			}
		}
	}
	return nil
}

// groupMinWidth makes room for most of a group's label (the UI cuts the
// rest): its kind mark, name and detail at about 6 points a character.
func groupMinWidth(n *GraphNode) float64 {
	chars := len([]rune(groupLabel(n))) + 2
	return math.Min(24+6*float64(chars), 240)
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

// nodeWidth sizes a task box for its label, in points.
func nodeWidth(label string) float64 {
	w := 43 + 6.5*float64(len([]rune(label)))
	return math.Max(122, math.Min(w, 230))
}

// svgPath writes a layout path ("M p C c1 c2 p ...") as SVG path data.
func svgPath(pts []layout.Point) string {
	if len(pts) < 4 {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "M%g,%g", round(pts[0].X), round(pts[0].Y))
	for i := 1; i+2 < len(pts); i += 3 {
		fmt.Fprintf(&sb, " C%g,%g %g,%g %g,%g", round(pts[i].X), round(pts[i].Y), round(pts[i+1].X), round(pts[i+1].Y), round(pts[i+2].X), round(pts[i+2].Y))
	}
	return sb.String()
}

func round(v float64) float64 { return math.Round(v*10) / 10 }
