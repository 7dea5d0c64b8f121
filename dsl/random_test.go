package dsl_test

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/sluicehq/sluice/dsl"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
)

// randomPipeline builds a pipeline of nested conditions, branches, loops,
// Collected and OneOf values, nested pipelines and an exit handler, using
// only values that are legal where they are used. Every value is an int.
type randomPipeline struct {
	r       *rand.Rand
	p       *dsl.Pipeline
	tasks   int
	visible []*dsl.Task // tasks After may name from where tasks are being added
}

func (b *randomPipeline) pick(vals []dsl.Channel) any {
	if len(vals) == 0 || b.r.Intn(5) == 0 {
		return b.r.Intn(5)
	}
	return vals[b.r.Intn(len(vals))]
}

// scope adds a few steps using vals and returns the values they make that
// are usable after the scope.
func (b *randomPipeline) scope(depth int, vals []dsl.Channel) []dsl.Channel {
	p := b.p
	n := 1 + b.r.Intn(3)
	for i := range n {
		if b.tasks > 40 && i > 0 {
			break
		}
		switch k := b.r.Intn(6); {
		case k <= 1 || depth > 3 || b.tasks > 40:
			b.tasks++
			t := p.Task(square, dsl.Inputs{"x": b.pick(vals)})
			if b.r.Intn(3) == 0 && b.tasks > 1 {
				t.SetCaching(false)
			}
			vals = append(vals, t.Output("y"))
		case k == 2:
			c := b.pick(vals)
			ch, ok := c.(dsl.Channel)
			if !ok {
				ch = p.Task(square, dsl.Inputs{"x": c}).Output("y")
				b.tasks++
			}
			var outA, outB dsl.Channel
			saved := len(b.visible)
			br := p.If(ch.Gt(b.r.Intn(10)), func() {
				if inner := b.scope(depth+1, vals); len(inner) > len(vals) {
					outA = inner[len(inner)-1]
				}
			})
			b.visible = b.visible[:saved]
			if b.r.Intn(2) == 0 {
				br.Else(func() {
					if inner := b.scope(depth+1, vals); len(inner) > len(vals) {
						outB = inner[len(inner)-1]
					}
				})
				b.visible = b.visible[:saved]
				if isOutput(outA) && isOutput(outB) {
					vals = append(vals, dsl.OneOf(outA, outB))
				}
			}
		case k == 3:
			var last dsl.Channel
			body := func(item dsl.Channel) {
				if inner := b.scope(depth+1, append(vals, item)); len(inner) > len(vals)+1 {
					last = inner[len(inner)-1]
				}
			}
			if b.r.Intn(2) == 0 {
				p.ParallelFor([]int{1, 2, 3}, body, dsl.Parallelism(b.r.Intn(3)))
			} else {
				p.ParallelFor(b.list(), body)
			}
			if isOutput(last) {
				b.tasks++
				vals = append(vals, p.Task(sum, dsl.Inputs{"numbers": dsl.Collected(last)}).Output("total"))
			}
		case k == 4:
			b.tasks++
			t := p.Task(b.sub(), dsl.Inputs{"x": b.pick(vals)})
			vals = append(vals, t.Output("y"))
		default:
			// A task after one made earlier in an enclosing scope (or in
			// a loop, which After may cross).
			b.tasks++
			u := p.Task(square, dsl.Inputs{"x": 2})
			if len(b.visible) > 0 {
				u.After(b.visible[b.r.Intn(len(b.visible))])
			}
			vals = append(vals, u.Output("y"))
			b.visible = append(b.visible, u)
		}
	}
	return vals
}

var listParam dsl.Channel

func (b *randomPipeline) list() dsl.Channel { return listParam }

func isOutput(c dsl.Channel) bool {
	s := c.String()
	return len(s) > 7 && s[:7] == "output "
}

// sub is a small nested pipeline: square twice.
func (b *randomPipeline) sub() *dsl.Pipeline {
	s := dsl.NewPipeline("twice")
	x := s.IntParam("x", 1)
	t1 := s.Task(square, dsl.Inputs{"x": x})
	t2 := s.Task(square, dsl.Inputs{"x": t1.Output("y")})
	s.Output("y", t2.Output("y"))
	return s
}

func buildRandom(seed int64) *dsl.Pipeline {
	b := &randomPipeline{r: rand.New(rand.NewSource(seed)), p: dsl.NewPipeline(fmt.Sprintf("random-%d", seed))}
	p := b.p
	n := p.IntParam("n", 3)
	listParam = p.ListParam("items", []int{1, 2})
	report := sh("report", []dsl.Input{in("status", dsl.TaskFinalStatus)}, nil, "true")
	if b.r.Intn(2) == 0 {
		p.ExitHandler(p.Task(report, nil), func() { b.scope(0, []dsl.Channel{n}) })
	} else {
		b.scope(0, []dsl.Channel{n})
	}
	return p
}

// TestRandomPipelines compiles random pipelines: each must compile, load as
// a valid spec, compile to the same bytes twice, and (for some) run.
func TestRandomPipelines(t *testing.T) {
	for seed := int64(1); seed <= 60; seed++ {
		p := buildRandom(seed)
		y1, err := p.YAML()
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		y2, _ := buildRandom(seed).YAML()
		if !bytes.Equal(y1, y2) {
			t.Fatalf("seed %d: two compilations differ", seed)
		}
		if _, err := spec.Load(y1); err != nil {
			t.Fatalf("seed %d: the compiled spec does not load: %v\n%s", seed, err, y1)
		}
		if seed%10 == 0 {
			res := runPipeline(t, p, nil)
			if res.State != runstate.Succeeded {
				t.Fatalf("seed %d: run %s: %s\n%s", seed, res.State, res.Error, y1)
			}
		}
	}
}
