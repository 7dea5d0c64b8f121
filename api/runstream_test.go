package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

// A run written a task at a time is the same JSON as the run encoded
// whole, with and without tasks.
func TestRunWithTasksStreamsTheSameJSON(t *testing.T) {
	at := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	run := &store.Run{ID: "r1", DisplayName: "a <b> & c", State: runstate.Running, CreatedAt: at,
		StateHistory: []store.StateChange{{State: runstate.Running, Time: at}}}
	tasks := []*store.Task{
		{ID: "for-loop-2", Key: "for-loop-2", Name: "loop", State: runstate.Running, Created: at, Started: at},
		{ID: "for-loop-2/0", ParentID: "for-loop-2", Key: "0", State: runstate.Succeeded, Created: at, Finished: at},
		{ID: "for-loop-2/0/step", ParentID: "for-loop-2/0", Key: "step", State: runstate.Failed, Error: "exit 1 \"quoted\""},
	}
	for _, tc := range []struct {
		name  string
		tasks []*store.Task
	}{{"no tasks", nil}, {"tasks", tasks}} {
		t.Run(tc.name, func(t *testing.T) {
			whole := toWireRun(run)
			if len(tc.tasks) > 0 {
				whole.RunDetails = &wire.RunDetails{TaskDetails: taskDetails(run.ID, tc.tasks)}
			}
			want, err := encodeJSON(whole)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			writeJSON(rec, http.StatusOK, &runWithTasks{run: toWireRun(run), tasks: tc.tasks})
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			var got, exp any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("streamed JSON %q: %v", rec.Body, err)
			}
			if err := json.Unmarshal(want, &exp); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, exp) {
				t.Fatalf("streamed\n%s\nwhole\n%s", rec.Body, want)
			}
			var back wire.Run
			if err := json.Unmarshal(rec.Body.Bytes(), &back); err != nil || len(back.Tasks()) != len(tc.tasks) {
				t.Fatalf("decoded %d tasks, want %d (%v)", len(back.Tasks()), len(tc.tasks), err)
			}
			m, err := json.Marshal(&runWithTasks{run: toWireRun(run), tasks: tc.tasks})
			if err != nil || !json.Valid(m) {
				t.Fatalf("MarshalJSON: %q, %v", m, err)
			}
		})
	}
}
