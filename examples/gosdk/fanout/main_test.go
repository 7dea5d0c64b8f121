package main

import (
	"testing"

	"github.com/sluicehq/sluice/dsl/dsltest"
	"github.com/sluicehq/sluice/runstate"
)

func TestFanout(t *testing.T) {
	p := pipeline()
	dsltest.Golden(t, p, "pipeline.yaml")

	res := dsltest.Run(t, p, nil)
	dsltest.MustSucceed(t, res)
	if got := res.Outputs.Parameters["total"]; got != int64(55) {
		t.Errorf("total = %#v, want 55", got)
	}
	states := map[string]runstate.State{}
	for _, task := range res.Tasks {
		states[task.ID] = task.State
	}
	if states["exit-handler-1/condition-3/say"] != runstate.Succeeded || states["report"] != runstate.Succeeded {
		t.Errorf("55 is above 50: say and report must run; states: %v", states)
	}

	res = dsltest.Run(t, p, map[string]any{"numbers": []any{int64(3), int64(4)}, "threshold": int64(100)})
	dsltest.MustSucceed(t, res)
	if got := res.Outputs.Parameters["total"]; got != int64(25) {
		t.Errorf("total = %#v, want 25", got)
	}
	for _, task := range res.Tasks {
		if task.ID == "exit-handler-1/condition-3" && task.State != runstate.Skipped {
			t.Errorf("25 is not above 100: %s is %s, want SKIPPED", task.ID, task.State)
		}
	}
}
