package client

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// DefaultPoll is WaitRun's polling interval when poll is not positive.
const DefaultPoll = time.Second

// WaitRun polls a run until it is terminal (see Terminal) and returns it.
// onChange, when not nil, is called with the first state seen and again
// each time the run's state or any task's state changes (a task appearing
// counts). An error getting the run ends the wait, as does ctx.
func (c *Client) WaitRun(ctx context.Context, id string, poll time.Duration, onChange func(*wire.Run)) (*wire.Run, error) {
	if poll <= 0 {
		poll = DefaultPoll
	}
	last := ""
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
		r, err := c.GetRun(ctx, id)
		if err != nil {
			return nil, err
		}
		if sig := runSignature(r); sig != last {
			last = sig
			if onChange != nil {
				onChange(r)
			}
		}
		if r.State.Terminal() {
			return r, nil
		}
		t.Reset(poll)
	}
}

// runSignature is the run's state and its tasks' states, in task order.
func runSignature(r *wire.Run) string {
	tasks := r.Tasks()
	parts := make([]string, 0, len(tasks))
	for _, t := range tasks {
		parts = append(parts, t.TaskID+"="+string(t.State))
	}
	sort.Strings(parts)
	return string(r.State) + "|" + strings.Join(parts, ",")
}
