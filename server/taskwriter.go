package server

import (
	"context"
	"encoding/json"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/store"
)

// taskWriter keeps the engine's task records in the store; the engine
// starts a step's process only once its RUNNING row is committed.
type taskWriter struct {
	store   store.Store
	runID   string
	metrics *metrics
}

func (w *taskWriter) RecordTask(ctx context.Context, t engine.Task) error {
	st := &store.Task{
		RunID: w.runID, ID: t.ID, ParentID: t.ParentID, Key: t.Key, Name: t.Name, Kind: t.Kind,
		State: t.State, Cached: t.Cached, Attempts: t.Attempts, Image: t.Image, Argv: t.Argv,
		ExitCode: t.ExitCode, Error: t.Error, LogURI: t.LogPath, Started: t.Started, Finished: t.Finished,
	}
	if t.Inputs != nil {
		st.Inputs, _ = json.Marshal(t.Inputs)
	}
	if t.Outputs != nil {
		st.Outputs, _ = json.Marshal(t.Outputs)
	}
	if err := w.store.PutTask(ctx, st); err != nil {
		return err
	}
	if w.metrics != nil && t.State.Terminal() {
		w.metrics.taskEnded(t)
	}
	return nil
}
