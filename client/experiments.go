package client

import (
	"context"
	"net/http"

	"github.com/sluicehq/sluice/wire"
)

// CreateExperiment creates an experiment; its name must be unique.
func (c *Client) CreateExperiment(ctx context.Context, name, description string) (*wire.Experiment, error) {
	var e wire.Experiment
	in := wire.Experiment{DisplayName: name, Description: description}
	if err := c.do(ctx, http.MethodPost, "/experiments", nil, in, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// GetExperiment gets an experiment by id.
func (c *Client) GetExperiment(ctx context.Context, id string) (*wire.Experiment, error) {
	return call[wire.Experiment](ctx, c, http.MethodGet, "/experiments/"+esc(id), nil, nil)
}

// ListExperiments lists experiments.
func (c *Client) ListExperiments(ctx context.Context, opts ListOptions) (*wire.ListExperimentsResponse, error) {
	return call[wire.ListExperimentsResponse](ctx, c, http.MethodGet, "/experiments", opts.query(), nil)
}

// ArchiveExperiment archives an experiment and its runs.
func (c *Client) ArchiveExperiment(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPost, "/experiments/"+esc(id)+":archive", nil, nil, nil)
}

// UnarchiveExperiment restores an archived experiment (its runs stay
// archived).
func (c *Client) UnarchiveExperiment(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPost, "/experiments/"+esc(id)+":unarchive", nil, nil, nil)
}

// DeleteExperiment deletes an experiment (not its runs).
func (c *Client) DeleteExperiment(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/experiments/"+esc(id), nil, nil, nil)
}
