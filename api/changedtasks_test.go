package api

import (
	"context"
	"fmt"
	"testing"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/store"
)

// The run event stream reads whole only the tasks that changed: all of
// them at first (one list), then each changed one (one by one), each
// whole, in creation order; nothing when nothing changed.
func TestChangedTasks(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	s := &server{st: ts.st}
	if err := ts.st.CreateRun(ctx, &store.Run{ID: "r1", DisplayName: "r", Spec: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	put := func(i int, st runstate.State) {
		t.Helper()
		tk := &store.Task{RunID: "r1", ID: fmt.Sprintf("t%02d", i), Key: "k", Kind: "container", State: st, Argv: []string{"echo", fmt.Sprint(i)}}
		if err := ts.st.PutTask(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	n := fullListAbove + 8
	for i := range n {
		put(i, runstate.Pending)
	}
	seen := map[string]taskMark{}
	check := func(want ...string) {
		t.Helper()
		got, err := s.changedTasks(ctx, "r1", seen)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, tk := range got {
			if len(tk.Argv) != 2 {
				t.Errorf("task %s not read whole: argv %v", tk.ID, tk.Argv)
			}
			ids = append(ids, tk.ID)
			seen[tk.ID] = markOf(tk)
		}
		if fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Fatalf("changed %v, want %v", ids, want)
		}
	}
	var all []string
	for i := range n {
		all = append(all, fmt.Sprintf("t%02d", i))
	}
	check(all...)
	check()
	put(3, runstate.Running)
	put(17, runstate.Succeeded)
	check("t03", "t17")
	check()
}
