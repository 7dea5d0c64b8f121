package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

// DefaultExperiment is the experiment of runs created without one.
const DefaultExperiment = "Default"

func toWireExperiment(e *store.Experiment) wire.Experiment {
	return wire.Experiment{
		ExperimentID:     e.ID,
		DisplayName:      e.DisplayName,
		Description:      e.Description,
		CreatedAt:        ts(e.CreatedAt),
		Namespace:        e.Namespace,
		StorageState:     e.StorageState,
		LastRunCreatedAt: ts(e.LastRunCreatedAt),
	}
}

func (s *server) createExperiment(r *http.Request) (any, error) {
	var in wire.Experiment
	if err := s.decodeBody(r, "Experiment", &in); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.DisplayName)
	if name == "" {
		return nil, invalidf("the experiment needs a display_name")
	}
	e := &store.Experiment{
		DisplayName:  name,
		Description:  in.Description,
		StorageState: store.Available,
		CreatedAt:    s.now(),
	}
	if err := s.st.CreateExperiment(r.Context(), e); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil, &apiError{code: codeAlreadyExists, err: err, msg: "an experiment named \"" + name + "\" already exists"}
		}
		return nil, err
	}
	return toWireExperiment(e), nil
}

func (s *server) getExperiment(r *http.Request) (any, error) {
	id := r.PathValue("experiment_id")
	e, err := s.st.GetExperiment(r.Context(), id)
	if err != nil {
		return nil, notFound(err, "experiment", id)
	}
	return toWireExperiment(e), nil
}

func (s *server) listExperiments(r *http.Request) (any, error) {
	opts, err := listOptions(r.URL.Query(), experimentKeys)
	if err != nil {
		return nil, err
	}
	page, err := s.st.ListExperiments(r.Context(), opts)
	if err != nil {
		return nil, err
	}
	out := wire.ListExperimentsResponse{TotalSize: page.TotalSize}
	out.Experiments, out.NextPageToken, err = pageItems(page, plain(toWireExperiment))
	return out, err
}

func (s *server) deleteExperiment(r *http.Request) (any, error) {
	id := r.PathValue("experiment_id")
	if err := s.st.DeleteExperiment(r.Context(), id); err != nil {
		return nil, notFound(err, "experiment", id)
	}
	return empty{}, nil
}

// experimentAction serves POST /experiments/{id}:archive and :unarchive.
func (s *server) experimentAction(r *http.Request) (any, error) {
	id, verb := splitAction(r)
	var state string
	switch verb {
	case "archive":
		state = store.Archived
	case "unarchive":
		state = store.Available
	default:
		return nil, methodNotAllowed(r, "GET, DELETE")
	}
	if err := s.st.SetExperimentStorageState(r.Context(), id, state); err != nil {
		return nil, notFound(err, "experiment", id)
	}
	return empty{}, nil
}

// experimentFor returns the experiment a new run goes into: the given one,
// which must exist and not be archived, or the Default experiment, created
// when missing.
func (s *server) experimentFor(ctx context.Context, id string) (*store.Experiment, error) {
	if id != "" {
		e, err := s.st.GetExperiment(ctx, id)
		if err != nil {
			return nil, notFound(err, "experiment", id)
		}
		if e.StorageState == store.Archived {
			return nil, errorf(codeFailedPrecondition, "experiment %q is archived: unarchive it before creating runs in it", id)
		}
		return e, nil
	}
	e, err := s.st.GetExperimentByName(ctx, "", DefaultExperiment)
	if err == nil {
		return e, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	e = &store.Experiment{DisplayName: DefaultExperiment, Description: "Runs created without an experiment.",
		StorageState: store.Available, CreatedAt: s.now()}
	err = s.st.CreateExperiment(ctx, e)
	if errors.Is(err, store.ErrAlreadyExists) { // created concurrently
		return s.st.GetExperimentByName(ctx, "", DefaultExperiment)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}
