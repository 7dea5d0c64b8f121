package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/sluicehq/sluice/wire"
)

// Tuning experiments: Sluice's routes under /apis/sluice/v1/tuning.

const tuningPath = "/tuning/experiments"

// sluiceDo sends a request to one of Sluice's own routes and decodes a JSON
// answer into out (when not nil); body, when not nil, is sent as JSON.
func (c *Client) sluiceDo(ctx context.Context, method, p string, q url.Values, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	u := c.base + SluicePrefix + p
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return c.send(req, out)
}

// CreateTuningExperiment creates a tuning experiment.
func (c *Client) CreateTuningExperiment(ctx context.Context, in *wire.CreateTuningExperimentRequest) (*wire.TuningExperiment, error) {
	var out wire.TuningExperiment
	if err := c.sluiceDo(ctx, http.MethodPost, tuningPath, nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetTuningExperiment returns an experiment with its best trial and what
// the cache saved.
func (c *Client) GetTuningExperiment(ctx context.Context, id string) (*wire.TuningExperiment, error) {
	var out wire.TuningExperiment
	if err := c.sluiceDo(ctx, http.MethodGet, tuningPath+"/"+esc(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListTuningExperiments lists experiments (sort and filter keys: id, name,
// namespace, condition, created_at, completed_at).
func (c *Client) ListTuningExperiments(ctx context.Context, opts ListOptions) (*wire.ListTuningExperimentsResponse, error) {
	var out wire.ListTuningExperimentsResponse
	if err := c.sluiceDo(ctx, http.MethodGet, tuningPath, opts.query(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FindTuningExperiment returns the experiment with this id, or else the one
// with this name, or else the one whose id starts so (ResolveID).
func (c *Client) FindTuningExperiment(ctx context.Context, idOrName string) (*wire.TuningExperiment, error) {
	e, err := c.GetTuningExperiment(ctx, idOrName)
	if err == nil || !IsNotFound(err) {
		return e, err
	}
	page, lerr := c.ListTuningExperiments(ctx, ListOptions{PageSize: 2, Filter: Equals("name", idOrName)})
	if lerr != nil {
		return nil, lerr
	}
	switch len(page.Experiments) {
	case 0:
		full, rerr := c.ResolveID(ctx, KindTuningExperiment, idOrName)
		if rerr != nil {
			return nil, rerr
		}
		if full == idOrName {
			return nil, err
		}
		return c.GetTuningExperiment(ctx, full)
	case 1:
		return c.GetTuningExperiment(ctx, page.Experiments[0].ID)
	}
	return nil, fmt.Errorf("more than one tuning experiment is named %q (in several namespaces): give its id", idOrName)
}

// TuningTrials returns an experiment's trials in creation order.
func (c *Client) TuningTrials(ctx context.Context, id string) ([]wire.TuningTrial, error) {
	var out wire.ListTuningTrialsResponse
	if err := c.sluiceDo(ctx, http.MethodGet, tuningPath+"/"+esc(id)+"/trials", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Trials, nil
}

// CancelTuningExperiment cancels an experiment: it ends Failed and its
// active trials are killed.
func (c *Client) CancelTuningExperiment(ctx context.Context, id string) error {
	return c.sluiceDo(ctx, http.MethodPost, tuningPath+"/"+esc(id)+":cancel", nil, struct{}{}, nil)
}

// DeleteTuningExperiment deletes an experiment, its trials and their runs.
func (c *Client) DeleteTuningExperiment(ctx context.Context, id string) error {
	return c.sluiceDo(ctx, http.MethodDelete, tuningPath+"/"+esc(id), nil, nil, nil)
}

// UpdateTuningBudget changes an experiment's trial counts.
func (c *Client) UpdateTuningBudget(ctx context.Context, id string, b *wire.TuningBudget) (*wire.TuningExperiment, error) {
	var out wire.TuningExperiment
	if err := c.sluiceDo(ctx, http.MethodPatch, tuningPath+"/"+esc(id), nil, b, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
