package api

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

// A v1beta1 run's pipeline_runtime.workflow_manifest is the Argo Workflow
// KFP would show for it, made from the run's task records: the tree Argo
// builds (V1.md §1.4.1, §4.5) — a DAG node per DAG and loop iteration, a
// TaskGroup per loop, a Pod per step (under a Retry node when it can be
// retried), Skipped nodes for what did not run — with Argo's node names
// (wf.task, wf.for-loop-1(0:a).task, wf.onExit) and ids (wf-<fnv32a of
// the name>). Children are Argo's: a DAG's children are its tasks without
// dependencies, a task's children are the tasks that depend on it.

// v1Run is everything the v1 views of one run need.
type v1Run struct {
	run   *store.Run
	p     *spec.Pipeline // nil when the stored spec cannot be read
	tasks []*store.Task
}

// workflowDoc is the part of a KFP v1 workflow the manifest reuses.
type workflowDoc struct {
	Metadata struct {
		Name         string            `json:"name"`
		GenerateName string            `json:"generateName"`
		Annotations  map[string]string `json:"annotations"`
		Labels       map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec map[string]any `json:"spec"`
}

func (v *v1Run) workflowDoc() *workflowDoc {
	if v.p == nil || len(v.p.Workflow) == 0 {
		return nil
	}
	var d workflowDoc
	if json.Unmarshal(v.p.Workflow, &d) != nil {
		return nil
	}
	return &d
}

// workflowName is the run's workflow name: the workflow's generateName (or
// the pipeline's name) and the first characters of the run id, as Argo
// names a workflow from its generateName.
func (v *v1Run) workflowName(d *workflowDoc) string {
	base := ""
	switch {
	case d != nil && d.Metadata.GenerateName != "":
		base = d.Metadata.GenerateName
	case d != nil && d.Metadata.Name != "":
		base = d.Metadata.Name + "-"
	case v.p != nil && v.p.Spec.PipelineInfo.Name != "":
		base = v.p.Spec.PipelineInfo.Name + "-"
	default:
		base = "run-"
	}
	id := strings.ToLower(strings.ReplaceAll(v.run.ID, "-", ""))
	if len(id) > 5 {
		id = id[:5]
	}
	return base + id
}

// nodeID is Argo's node id for a node name.
func nodeID(wf, name string) string {
	if name == wf {
		return wf
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s-%d", wf, h.Sum32())
}

// argoPhase is a task state as an Argo node phase.
func argoPhase(t *store.Task) string {
	switch t.State {
	case runstate.Pending:
		return "Pending"
	case runstate.Running, runstate.Canceling:
		return "Running"
	case runstate.Succeeded:
		return "Succeeded"
	case runstate.Failed, runstate.Canceled:
		return "Failed"
	case runstate.Skipped:
		if strings.HasPrefix(t.Error, "not run:") {
			return "Omitted"
		}
		return "Skipped"
	}
	return "Pending"
}

// runPhase is the workflow's phase.
func runPhase(st runstate.State) string {
	switch st {
	case runstate.Pending, runstate.Paused, "":
		return "Pending"
	case runstate.Running, runstate.Canceling:
		return "Running"
	case runstate.Succeeded, runstate.Skipped:
		return "Succeeded"
	}
	return "Failed"
}

type wfBuilder struct {
	v        *v1Run
	wf       string
	argo     bool
	onExit   bool
	tmpls    map[string]bool
	children map[string][]*store.Task // by parent task id, creation order
	nodes    map[string]*wire.NodeStatus
	outbound map[string][]string // by task id
	nodeOf   map[string]string   // task id -> node id (the Pod of a step)
}

// build makes the run's Argo Workflow; the builder knows each step's
// node (for metrics).
func (v *v1Run) build() (*wire.Workflow, *wfBuilder) {
	d := v.workflowDoc()
	b := &wfBuilder{v: v, wf: v.workflowName(d), argo: d != nil, tmpls: map[string]bool{},
		children: map[string][]*store.Task{}, nodes: map[string]*wire.NodeStatus{}, outbound: map[string][]string{}, nodeOf: map[string]string{}}
	run := v.run
	phase := runPhase(run.State)
	w := &wire.Workflow{
		APIVersion: "argoproj.io/v1alpha1",
		Kind:       "Workflow",
		Metadata: wire.ObjectMeta{
			Name:              b.wf,
			UID:               run.ID,
			CreationTimestamp: wire.ArgoTime{Time: run.CreatedAt},
			Labels: map[string]string{
				"pipeline/runid":                  run.ID,
				"workflows.argoproj.io/phase":     phase,
				"workflows.argoproj.io/completed": fmt.Sprint(run.State.Terminal()),
			},
			Annotations: map[string]string{"pipelines.kubeflow.org/run_name": run.DisplayName},
		},
		Status: wire.WorkflowStatus{Phase: phase, Message: run.Error, StartedAt: wire.ArgoTime{Time: startedAt(run)}},
	}
	if run.State.Terminal() {
		w.Status.FinishedAt = wire.ArgoTime{Time: run.FinishedAt}
	}
	entry := "pipeline"
	if v.p != nil && v.p.Spec.PipelineInfo.Name != "" {
		entry = v.p.Spec.PipelineInfo.Name
	}
	specOut := map[string]any{}
	if d != nil {
		for k, val := range d.Metadata.Annotations {
			w.Metadata.Annotations[k] = val
		}
		for k, val := range d.Metadata.Labels {
			if _, ok := w.Metadata.Labels[k]; !ok {
				w.Metadata.Labels[k] = val
			}
		}
		w.Metadata.GenerateName = d.Metadata.GenerateName
		for k, val := range d.Spec {
			specOut[k] = val
		}
		if e, ok := d.Spec["entrypoint"].(string); ok && e != "" {
			entry = e
		}
		if ts, ok := d.Spec["templates"].([]any); ok {
			for _, t := range ts {
				if m, ok := t.(map[string]any); ok {
					if n, ok := m["name"].(string); ok {
						b.tmpls[n] = true
					}
				}
			}
		}
		_, b.onExit = d.Spec["onExit"].(string)
	}
	specOut["entrypoint"] = entry
	specOut["arguments"] = map[string]any{"parameters": b.arguments()}
	w.Spec, _ = json.Marshal(specOut)

	for _, t := range v.tasks {
		b.children[t.ParentID] = append(b.children[t.ParentID], t)
	}
	root := &wire.NodeStatus{ID: b.wf, Name: b.wf, DisplayName: b.wf, Type: "DAG", TemplateName: entry,
		StartedAt: w.Status.StartedAt, FinishedAt: w.Status.FinishedAt}
	b.nodes[root.ID] = root
	var rootDAG *spec.DAGSpec
	if v.p != nil && v.p.Spec.Root != nil {
		rootDAG = v.p.Spec.Root.DAG
	}
	var exit *store.Task
	var body []*store.Task
	for _, t := range b.children[""] {
		if b.onExit && t.Key == "onExit" {
			exit = t
			continue
		}
		body = append(body, t)
	}
	root.OutboundNodes = b.dag(root, b.wf, body, rootDAG)
	root.Phase = b.rootPhase(body)
	if exit != nil {
		b.task(exit, b.rootTask("onExit"), b.wf+".onExit", "", b.componentOf(b.rootTask("onExit")))
		n := b.nodes[b.nodeOf[exit.ID]]
		n.DisplayName = b.wf + ".onExit"
	}
	pods, done := 0, 0
	for _, n := range b.nodes {
		if n.Type == "Pod" {
			pods++
			if n.Phase == "Succeeded" {
				done++
			}
		}
	}
	w.Status.Progress = fmt.Sprintf("%d/%d", done, pods)
	w.Status.Nodes = b.nodes
	return w, b
}

func startedAt(r *store.Run) time.Time {
	for _, h := range r.StateHistory {
		if h.State == runstate.Running {
			return h.Time
		}
	}
	if r.State == runstate.Pending {
		return time.Time{}
	}
	return r.CreatedAt
}

// arguments are the workflow's parameters with the run's values.
func (b *wfBuilder) arguments() []map[string]any {
	given := map[string]string{}
	for _, p := range v1Params(b.v.run.Params) {
		given[p.Name] = p.Value
	}
	var out []map[string]any
	seen := map[string]bool{}
	if b.v.p != nil {
		stored, _ := spec.MarshalStored(b.v.p)
		for _, p := range specParameters(stored) {
			seen[p.Name] = true
			m := map[string]any{"name": p.Name}
			if val, ok := given[p.Name]; ok {
				m["value"] = val
			} else if p.Value != "" {
				m["value"] = p.Value
			}
			out = append(out, m)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(given)) {
		if !seen[k] {
			out = append(out, map[string]any{"name": k, "value": given[k]})
		}
	}
	if out == nil {
		out = []map[string]any{}
	}
	return out
}

func (b *wfBuilder) rootPhase(body []*store.Task) string {
	run := b.v.run
	if !run.State.Terminal() {
		return runPhase(run.State)
	}
	for _, t := range body {
		if p := argoPhase(t); p == "Failed" || p == "Error" {
			return "Failed"
		}
	}
	if run.State == runstate.Succeeded || run.State == runstate.Skipped {
		return "Succeeded"
	}
	if len(body) == 0 {
		return runPhase(run.State)
	}
	return "Succeeded"
}

// dag adds the nodes of one DAG's tasks under the DAG node parent (whose
// name is prefix) and returns the DAG's outbound nodes.
func (b *wfBuilder) dag(parent *wire.NodeStatus, prefix string, tasks []*store.Task, ds *spec.DAGSpec) []string {
	present := map[string]*store.Task{}
	for _, t := range tasks {
		present[t.Key] = t
	}
	dependedOn := map[string]bool{}
	for _, t := range tasks {
		var ts *spec.TaskSpec
		if ds != nil {
			ts = ds.Tasks[t.Key]
		}
		b.task(t, ts, prefix+"."+t.Key, parent.ID, b.componentOf(ts))
	}
	for _, t := range tasks {
		var deps []string
		if ds != nil && ds.Tasks[t.Key] != nil {
			for _, d := range ds.Tasks[t.Key].DependentTasks {
				if present[d] != nil {
					deps = append(deps, d)
				}
			}
		}
		id := b.nodeIDOf(t)
		if len(deps) == 0 {
			parent.Children = appendNew(parent.Children, id)
			continue
		}
		for _, d := range deps {
			dependedOn[d] = true
			for _, o := range b.outbound[present[d].ID] {
				if n := b.nodes[o]; n != nil {
					n.Children = appendNew(n.Children, id)
				}
			}
		}
	}
	var out []string
	for _, t := range tasks {
		if !dependedOn[t.Key] {
			out = append(out, b.outbound[t.ID]...)
		}
	}
	return out
}

// nodeIDOf is the node a task's dependants hang from: the task's own node
// (a Retry node for a retried step).
func (b *wfBuilder) nodeIDOf(t *store.Task) string {
	return nodeID(b.wf, b.nodeName(t))
}

func (b *wfBuilder) nodeName(t *store.Task) string {
	if n, ok := b.nodeOf["name:"+t.ID]; ok {
		return n
	}
	return ""
}

func appendNew(list []string, id string) []string {
	if slices.Contains(list, id) {
		return list
	}
	return append(list, id)
}

// componentOf is the component a task runs.
func (b *wfBuilder) componentOf(ts *spec.TaskSpec) *spec.ComponentSpec {
	if ts == nil || b.v.p == nil {
		return nil
	}
	return b.v.p.Spec.Components[ts.ComponentRef.Name]
}

// templateName is the Argo template a task's component was made from (or
// the component's name without "comp-" for an IR pipeline).
func (b *wfBuilder) templateName(ts *spec.TaskSpec) string {
	if ts == nil {
		return ""
	}
	n := strings.TrimPrefix(ts.ComponentRef.Name, "comp-")
	if !b.argo || b.tmpls[n] {
		return n
	}
	if s, ok := strings.CutSuffix(n, "-loop"); ok && b.tmpls[s] {
		return s
	}
	if i := strings.LastIndexByte(n, '-'); i > 0 && b.tmpls[n[:i]] {
		return n[:i]
	}
	return n
}

// task adds the node(s) of one task named name inside boundary.
func (b *wfBuilder) task(t *store.Task, ts *spec.TaskSpec, name, boundary string, comp *spec.ComponentSpec) {
	b.nodeOf["name:"+t.ID] = name
	id := nodeID(b.wf, name)
	n := &wire.NodeStatus{ID: id, Name: name, DisplayName: t.Key, TemplateName: b.templateName(ts), Phase: argoPhase(t),
		BoundaryID: boundary, Message: t.Error, StartedAt: wire.ArgoTime{Time: t.Started}, FinishedAt: wire.ArgoTime{Time: t.Finished}}
	if t.State == runstate.Canceled && n.Message == "" {
		n.Message = "terminated"
	}
	if !t.State.Terminal() {
		n.FinishedAt = wire.ArgoTime{}
	}
	b.nodes[id] = n
	b.outbound[t.ID] = []string{id}
	if t.State == runstate.Skipped {
		n.Type = "Skipped"
		return
	}
	switch t.Kind {
	case "dag":
		n.Type = "DAG"
		var ds *spec.DAGSpec
		if comp != nil {
			ds = comp.DAG
		}
		if out := b.dag(n, name, b.children[t.ID], ds); len(out) > 0 {
			b.outbound[t.ID] = out
		}
		n.OutboundNodes = b.outbound[t.ID]
	case "loop":
		n.Type = "TaskGroup"
		var ds *spec.DAGSpec
		if comp != nil {
			ds = comp.DAG
		}
		item := ""
		if ts != nil && ts.ParameterIterator != nil {
			item = ts.ParameterIterator.ItemInput
		}
		var out []string
		for _, it := range b.children[t.ID] {
			iname := fmt.Sprintf("%s(%s)", name, iterationDesc(it, item))
			b.nodeOf["name:"+it.ID] = iname
			in := &wire.NodeStatus{ID: nodeID(b.wf, iname), Name: iname, DisplayName: fmt.Sprintf("%s(%s)", t.Key, iterationDesc(it, item)),
				Type: "DAG", TemplateName: n.TemplateName, Phase: argoPhase(it), BoundaryID: boundary,
				StartedAt: wire.ArgoTime{Time: it.Started}, FinishedAt: wire.ArgoTime{Time: it.Finished}, Message: it.Error}
			if !it.State.Terminal() {
				in.FinishedAt = wire.ArgoTime{}
			}
			b.nodes[in.ID] = in
			n.Children = append(n.Children, in.ID)
			o := b.dag(in, iname, b.children[it.ID], ds)
			if len(o) == 0 {
				o = []string{in.ID}
			}
			in.OutboundNodes = o
			out = append(out, o...)
		}
		if len(out) > 0 {
			b.outbound[t.ID] = out
		}
	default:
		n.Type = "Pod"
		b.io(n, t, comp)
		if t.Attempts > 1 || (ts != nil && ts.RetryPolicy != nil) {
			// A Retry node with one Pod per attempt; every attempt but the
			// last failed.
			retry := *n
			retry.Type, retry.Inputs, retry.Outputs = "Retry", nil, nil
			attempts := max(t.Attempts, 1)
			var last string
			for i := range attempts {
				pname := fmt.Sprintf("%s(%d)", name, i)
				p := *n
				p.ID, p.Name, p.DisplayName, p.BoundaryID = nodeID(b.wf, pname), pname, fmt.Sprintf("%s(%d)", t.Key, i), boundary
				if i < attempts-1 {
					p.Phase, p.Outputs, p.FinishedAt = "Failed", nil, wire.ArgoTime{}
				}
				b.nodes[p.ID] = &p
				retry.Children = append(retry.Children, p.ID)
				last = p.ID
			}
			b.nodes[id] = &retry
			b.outbound[t.ID] = []string{last}
			b.nodeOf[t.ID] = last
			return
		}
		b.nodeOf[t.ID] = id
	}
}

// iterationDesc is "index:item" as Argo names a loop iteration.
func iterationDesc(it *store.Task, itemInput string) string {
	desc := it.Key
	if itemInput == "" || len(it.Inputs) == 0 {
		return desc
	}
	var in struct {
		Parameters map[string]json.RawMessage `json:"parameters"`
	}
	if json.Unmarshal(it.Inputs, &in) != nil {
		return desc
	}
	raw, ok := in.Parameters[itemInput]
	if !ok {
		return desc
	}
	text := paramText(raw)
	var obj map[string]any
	if json.Unmarshal([]byte(text), &obj) == nil && obj != nil {
		keys := slices.Sorted(maps.Keys(obj))
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			vb, _ := json.Marshal(obj[k])
			parts = append(parts, k+":"+paramText(vb))
		}
		return desc + ":" + strings.Join(parts, ",")
	}
	return desc + ":" + text
}

// io fills a step node's inputs and outputs from its task record; the
// paths of KFP v1 outputs come from the executor's output files.
func (b *wfBuilder) io(n *wire.NodeStatus, t *store.Task, comp *spec.ComponentSpec) {
	paths := map[string]string{}
	if comp != nil && b.v.p != nil {
		if ex := b.v.p.Spec.DeploymentSpec.Executors[comp.ExecutorLabel]; ex != nil && ex.Container != nil {
			for _, f := range ex.Container.OutputFiles {
				if f.Parameter != "" {
					paths["p:"+f.Parameter] = f.Path
				}
				if f.Artifact != "" {
					paths["a:"+f.Artifact] = f.Path
				}
			}
		}
	}
	if in := nodeIO(t.Inputs, nil); in != nil {
		n.Inputs = in
	}
	out := nodeIO(t.Outputs, paths)
	if t.ExitCode != nil {
		if out == nil {
			out = &wire.NodeIO{}
		}
		out.ExitCode = fmt.Sprint(*t.ExitCode)
	}
	n.Outputs = out
}

func nodeIO(raw []byte, paths map[string]string) *wire.NodeIO {
	if len(raw) == 0 {
		return nil
	}
	var o struct {
		Parameters map[string]json.RawMessage        `json:"parameters"`
		Artifacts  map[string][]spec.RuntimeArtifact `json:"artifacts"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return nil
	}
	io := &wire.NodeIO{}
	for _, k := range slices.Sorted(maps.Keys(o.Parameters)) {
		val := paramText(o.Parameters[k])
		p := wire.NodeParameter{Name: k, Value: &val}
		if path := paths["p:"+k]; path != "" {
			p.ValueFrom = &wire.ValueFrom{Path: path}
		}
		io.Parameters = append(io.Parameters, p)
	}
	for _, k := range slices.Sorted(maps.Keys(o.Artifacts)) {
		for _, a := range o.Artifacts[k] {
			io.Artifacts = append(io.Artifacts, wire.NodeArtifact{Name: k, Path: paths["a:"+k], URI: a.URI})
		}
	}
	if io.Parameters == nil && io.Artifacts == nil {
		return nil
	}
	return io
}

// metrics are the run's KFP v1 metrics: the numbers of its
// mlpipeline-metrics artifacts (kept in their metadata, with the formats
// under "_formats"), by step node.
func (b *wfBuilder) metrics() []wire.V1RunMetric {
	var out []wire.V1RunMetric
	for _, t := range b.v.tasks {
		if len(t.Outputs) == 0 {
			continue
		}
		var o struct {
			Artifacts map[string][]spec.RuntimeArtifact `json:"artifacts"`
		}
		if json.Unmarshal(t.Outputs, &o) != nil {
			continue
		}
		for name, list := range o.Artifacts {
			if name != "mlpipeline-metrics" && !strings.HasSuffix(name, "-mlpipeline-metrics") {
				continue
			}
			for _, a := range list {
				formats, _ := a.Metadata["_formats"].(map[string]any)
				keys := slices.Sorted(maps.Keys(a.Metadata))
				for _, k := range keys {
					f, ok := a.Metadata[k].(float64)
					if !ok || strings.HasPrefix(k, "_") || math.IsNaN(f) || math.IsInf(f, 0) {
						continue
					}
					m := wire.V1RunMetric{Name: k, NodeID: b.nodeOf[t.ID], NumberValue: &f}
					if fs, _ := formats[k].(string); fs != "" {
						m.Format = wire.Enum(fs)
					}
					out = append(out, m)
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].NodeID < out[j].NodeID })
	return out
}

// rootTask is a task of the root DAG, if the spec is known.
func (b *wfBuilder) rootTask(key string) *spec.TaskSpec {
	if b.v.p == nil || b.v.p.Spec.Root == nil || b.v.p.Spec.Root.DAG == nil {
		return nil
	}
	return b.v.p.Spec.Root.DAG.Tasks[key]
}
