package server

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/store"
)

// taskWriter persists task changes as the engine reports them; the engine
// reports a step RUNNING before it starts its process.
type taskWriter struct {
	store   store.Store
	runID   string
	log     *slog.Logger
	metrics *metrics
}

func (w *taskWriter) TaskChanged(t engine.Task) {
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
	// The write must not be abandoned when the run is canceled.
	if err := w.store.PutTask(context.Background(), st); err != nil {
		w.log.Error("record task", "task", t.ID, "err", err)
	}
	if w.metrics != nil && t.State.Terminal() {
		w.metrics.taskEnded(t)
	}
}
