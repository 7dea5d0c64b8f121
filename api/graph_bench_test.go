package api

import (
	"encoding/json"
	"fmt"
	"testing"
)

// fanoutSpecJSON is a pipeline of one ParallelFor over n raw items and a
// step after it, the shape of the UI's 1,000-iteration browser test.
func fanoutSpecJSON(n int) []byte {
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	raw, _ := json.Marshal(items)
	return fmt.Appendf(nil, `{
 "pipelineInfo": {"name": "fanout-%d"},
 "schemaVersion": "2.1.0",
 "root": {"dag": {"tasks": {
    "for-loop-1": {"taskInfo": {"name": "for-loop-1"}, "componentRef": {"name": "comp-for-loop-1"},
      "parameterIterator": {"itemInput": "pipelinechannel--loop-item-param-1", "items": {"raw": %q}}},
    "done": {"taskInfo": {"name": "done"}, "componentRef": {"name": "comp-step"}, "dependentTasks": ["for-loop-1"]}}}},
 "components": {
  "comp-for-loop-1": {"inputDefinitions": {"parameters": {"pipelinechannel--loop-item-param-1": {"parameterType": "NUMBER_INTEGER"}}},
    "dag": {"tasks": {"step": {"taskInfo": {"name": "step"}, "componentRef": {"name": "comp-step"}}}}},
  "comp-step": {"executorLabel": "exec-step"}},
 "deploymentSpec": {"executors": {"exec-step": {"container": {"image": "alpine", "command": ["true"]}}}}
}`, n, string(raw))
}

// layeredSpecJSON is a generated DAG of layers×width tasks, each task
// depending on two tasks of the layer above.
func layeredSpecJSON(layers, width int) []byte {
	tasks := map[string]any{}
	for l := range layers {
		for i := range width {
			t := map[string]any{"taskInfo": map[string]any{"name": fmt.Sprintf("t-%d-%d", l, i)}, "componentRef": map[string]any{"name": "comp-step"}}
			if l > 0 {
				t["dependentTasks"] = []string{fmt.Sprintf("t-%d-%d", l-1, i), fmt.Sprintf("t-%d-%d", l-1, (i*7+3)%width)}
			}
			tasks[fmt.Sprintf("t-%d-%d", l, i)] = t
		}
	}
	b, _ := json.Marshal(map[string]any{
		"pipelineInfo":  map[string]any{"name": "layered"},
		"schemaVersion": "2.1.0",
		"root":          map[string]any{"dag": map[string]any{"tasks": tasks}},
		"components":    map[string]any{"comp-step": map[string]any{"executorLabel": "exec-step"}},
		"deploymentSpec": map[string]any{"executors": map[string]any{
			"exec-step": map[string]any{"container": map[string]any{"image": "alpine", "command": []string{"true"}}}}},
	})
	return b
}

// BenchmarkGraphLayout lays out (uncached) the graph of a 1,000-iteration
// ParallelFor, the nested-groups example and a 200-task layered DAG.
func BenchmarkGraphLayout(b *testing.B) {
	for _, c := range []struct {
		name string
		spec func(testing.TB) []byte
	}{
		{"fanout-1000", func(testing.TB) []byte { return fanoutSpecJSON(1000) }},
		{"nested-example", func(t testing.TB) []byte { return exampleSpecJSON(t, "fanout") }},
		{"layered-200", func(testing.TB) []byte { return layeredSpecJSON(10, 20) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			raw := c.spec(b)
			g := &grapher{cache: map[[32]byte]*Graph{}}
			for b.Loop() {
				clear(g.cache)
				g.order = g.order[:0]
				if _, err := g.layout(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGraphFirstLayout is the first layout of a fresh grapher: what
// the first graph request after a server start pays.
func BenchmarkGraphFirstLayout(b *testing.B) {
	raw := fanoutSpecJSON(1000)
	for b.Loop() {
		g := &grapher{cache: map[[32]byte]*Graph{}}
		if _, err := g.layout(raw); err != nil {
			b.Fatal(err)
		}
	}
}
