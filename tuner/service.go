package tuner

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/tune"
	"github.com/sluicehq/sluice/tune/search"
)

// Runs is what the tuning service needs of the run service.
type Runs interface {
	// Submit stores a checked run as PENDING and queues it.
	Submit(ctx context.Context, r *store.Run) error
	// Terminate cancels a run.
	Terminate(ctx context.Context, id string) error
	// Delete deletes a run, terminating it first when it has not ended.
	Delete(ctx context.Context, id string) error
	// Ended returns a channel closed when a run next ends.
	Ended() <-chan struct{}
}

// Config configures a Service.
type Config struct {
	Store store.Store
	Runs  Runs
	// Artifacts is the configured artifact store: logs and artifacts at
	// bucket URIs are read from it (nil: local files only).
	Artifacts artifact.Store
	Logger    *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Poll is how often running trials' logs are read for metrics when the
	// experiment stops trials early, and how often an experiment looks at
	// its runs if no run end woke it (default 1s).
	Poll time.Duration
	// OnTrial, when set, is called when a trial is created and when it
	// ends, from the goroutine that drives its experiment (keep it quick).
	OnTrial func(experimentID string, t tune.Trial)
	// OnCondition, when set, is called when an experiment's condition
	// changes, from the goroutine that drives it.
	OnCondition func(experimentID string, c tune.Condition)
}

// Service drives the tuning experiments of a store.
type Service struct {
	cfg Config

	mu       sync.Mutex
	workers  map[string]*worker
	deleting map[string]bool
	changed  chan struct{} // closed and replaced when an experiment changes
	baseCtx  context.Context
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// New returns a service; Start starts it.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Runs == nil {
		return nil, errors.New("tuner: Config.Store and Config.Runs are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	s := &Service{cfg: cfg, workers: map[string]*worker{}, deleting: map[string]bool{}, changed: make(chan struct{})}
	s.baseCtx, s.stop = context.WithCancel(context.Background())
	return s, nil
}

// Start resumes the experiments a previous process left in progress. Start
// the run service first, so that their runs are resumed too.
func (s *Service) Start(ctx context.Context) error {
	ids, err := s.cfg.Store.TuningExperimentsInProgress(ctx)
	if err != nil {
		return fmt.Errorf("resume tuning experiments: %w", err)
	}
	for _, id := range ids {
		s.cfg.Logger.Info("resuming tuning experiment", "experiment", id)
		s.ensureWorker(id)
	}
	return nil
}

// Stop stops driving experiments and waits for their goroutines. Their
// state stays as the store has it, for the next start.
func (s *Service) Stop() {
	s.stop()
	s.wg.Wait()
}

// Request is a new experiment.
type Request struct {
	// Experiment is read and validated (tune.Load, tune.ShortForm).
	Experiment *tune.Experiment
	// Pipeline is what every trial runs.
	Pipeline *spec.Pipeline
	// PipelineID and PipelineVersionID name the stored pipeline version it
	// came from, if any.
	PipelineID, PipelineVersionID string
	// PipelineRoot is where the trials' artifacts go ("": the default).
	PipelineRoot string
	// NoCache runs every step of every trial (no shared work).
	NoCache bool
	// Seed seeds the search algorithm when its settings have no
	// random_state (0: a random one, kept with the experiment).
	Seed uint64
}

// Check checks an experiment against the pipeline its trials run: every
// argument names a parameter of the pipeline, with a type that holds the
// searched values (tune.Experiment.CheckPipeline), and a trial's arguments,
// with the pipeline's defaults, give every required parameter a value of its
// type. Errors are *tune.FieldError.
func Check(e *tune.Experiment, p *spec.Pipeline) error {
	params := map[string]string{}
	if r := p.Spec.Root; r != nil && r.InputDefinitions != nil {
		for name, d := range r.InputDefinitions.Parameters {
			params[name] = d.ParameterType
		}
	}
	if err := e.CheckPipeline(params); err != nil {
		return err
	}
	if _, bounded := e.MaxTrials(); !bounded && e.Spec.Algorithm != nil && e.Spec.Algorithm.AlgorithmName == "grid" {
		sp, err := e.Space()
		if err != nil {
			return err
		}
		if n, ok := search.GridSize(sp); !ok || n > MaxUnboundedGrid {
			return &tune.FieldError{Field: "spec.maxTrialCount", Msg: fmt.Sprintf(
				"required: the grid has %s points, more than the %d a grid may have without a budget (set maxTrialCount, or coarsen the steps)", gridPoints(n, ok), MaxUnboundedGrid)}
		}
	}
	// A trial's arguments with the first value of each parameter.
	var sample []tune.ParameterAssignment
	for _, ps := range e.Spec.Parameters {
		v := ps.FeasibleSpace.Min
		if len(ps.FeasibleSpace.List) > 0 {
			v = ps.FeasibleSpace.List[0]
		}
		sample = append(sample, tune.ParameterAssignment{Name: ps.Name, Value: v})
	}
	args, err := e.RunArguments(e.Metadata.Name+"-check", sample)
	if err != nil {
		return &tune.FieldError{Field: "spec.trialTemplate", Msg: err.Error()}
	}
	if _, err := plan.ParseRootParams(p.Spec, args); err != nil {
		var pe *plan.ParamError
		if errors.As(err, &pe) && pe.Problem == plan.MissingParam {
			return &tune.FieldError{Field: "spec.trialTemplate.arguments", Msg: fmt.Sprintf(
				"the pipeline parameter %q has no default: give every trial a value for it (arguments: {%s: VALUE})", pe.Name, pe.Name)}
		}
		return &tune.FieldError{Field: "spec.trialTemplate.arguments", Msg: err.Error()}
	}
	return nil
}

// MaxUnboundedGrid bounds the points of a grid searched without a
// maxTrialCount: a larger one is refused as a mistake (a step too fine).
const MaxUnboundedGrid = 100000

func gridPoints(n int64, ok bool) string {
	if !ok {
		return "more than 2^62"
	}
	return fmt.Sprint(n)
}

// Create stores a new experiment (condition Created) and starts driving it.
// Bad input is a *tune.FieldError (wrapping tune.ErrInvalid); a name taken
// is store.ErrAlreadyExists.
func (s *Service) Create(ctx context.Context, req *Request) (*store.TuningExperiment, error) {
	e, p := req.Experiment, req.Pipeline
	if e == nil || p == nil || p.Spec == nil {
		return nil, errors.New("tuner: Request.Experiment and Request.Pipeline are required")
	}
	if err := Check(e, p); err != nil {
		return nil, err
	}
	seed := req.Seed
	if seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = seedFrom(b)
	}
	if _, err := e.Suggester(seed); err != nil {
		return nil, err
	}
	specJSON, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode the experiment: %w", err)
	}
	pipelineJSON, err := spec.MarshalStored(p)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	st := tune.NewStatus(now)
	statusJSON, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	rec := &store.TuningExperiment{
		Name: e.Metadata.Name, Namespace: e.Metadata.Namespace, Spec: specJSON, PipelineSpec: pipelineJSON,
		PipelineID: req.PipelineID, PipelineVersionID: req.PipelineVersionID, PipelineRoot: req.PipelineRoot,
		NoCache: req.NoCache, Seed: seed, Condition: string(st.Condition().Type), Status: statusJSON,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.cfg.Store.CreateTuningExperiment(ctx, rec); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil, fmt.Errorf("a tuning experiment named %q already exists: %w", e.Metadata.Name, store.ErrAlreadyExists)
		}
		return nil, err
	}
	s.notify()
	s.ensureWorker(rec.ID)
	return rec, nil
}

// Cancel ends an experiment that has not completed: it ends Failed
// (ExperimentCanceled) and its active trials are killed (their runs
// canceled). Canceling a completed experiment is a store.ErrConflict.
func (s *Service) Cancel(ctx context.Context, id string) error {
	_, err := s.cfg.Store.UpdateTuningExperiment(ctx, id, func(e *store.TuningExperiment) error {
		if e.Completed() {
			return fmt.Errorf("tuning experiment %q has already ended (%s): %w", e.Name, e.Condition, store.ErrConflict)
		}
		e.CancelRequested = true
		return nil
	})
	if err != nil {
		return err
	}
	s.notify()
	s.ensureWorker(id)
	return nil
}

// Budget is the part of an experiment that may change while it runs (the
// fields Katib lets you edit on a live experiment); nil fields stay.
type Budget struct {
	MaxTrialCount       *int32
	ParallelTrialCount  *int32
	MaxFailedTrialCount *int32
}

// UpdateBudget changes an experiment's maxTrialCount, parallelTrialCount
// or maxFailedTrialCount. The lifecycle applies them at once: fewer
// parallel trials delete the newest active ones, more trials restart an
// experiment that ended by reaching maxTrialCount. An invalid budget is a
// *tune.FieldError.
func (s *Service) UpdateBudget(ctx context.Context, id string, b Budget) (*store.TuningExperiment, error) {
	rec, err := s.cfg.Store.UpdateTuningExperiment(ctx, id, func(r *store.TuningExperiment) error {
		e, err := Experiment(r)
		if err != nil {
			return err
		}
		if b.MaxTrialCount != nil {
			e.Spec.MaxTrialCount = b.MaxTrialCount
		}
		if b.ParallelTrialCount != nil {
			e.Spec.ParallelTrialCount = b.ParallelTrialCount
		}
		if b.MaxFailedTrialCount != nil {
			e.Spec.MaxFailedTrialCount = b.MaxFailedTrialCount
		}
		if err := e.Validate(); err != nil {
			return err
		}
		if r.Spec, err = json.Marshal(e); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.notify()
	s.ensureWorker(id)
	return rec, nil
}

// Delete removes an experiment: it stops driving it, cancels its trials'
// runs that have not ended, deletes them and then the experiment and its
// trials.
func (s *Service) Delete(ctx context.Context, id string) error {
	if _, err := s.cfg.Store.GetTuningExperiment(ctx, id); err != nil {
		return err
	}
	s.mu.Lock()
	s.deleting[id] = true
	w := s.workers[id]
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.deleting, id)
		s.mu.Unlock()
	}()
	if w != nil {
		w.cancel()
		<-w.done
	}
	trials, err := s.cfg.Store.ListTrials(ctx, id, store.TrialListOptions{})
	if err != nil {
		return err
	}
	for _, t := range trials {
		if t.RunID == "" {
			continue
		}
		if err := s.deleteRun(ctx, t.RunID); err != nil {
			return err
		}
	}
	// The runs of trials that are gone (deleted when parallelTrialCount
	// was lowered; their runs stay, CANCELED, while the experiment does)
	// are found by their label.
	for {
		page, err := s.cfg.Store.ListRuns(ctx, store.ListOptions{PageSize: 100,
			Filter: []store.Predicate{{Key: "labels." + LabelExperiment, Op: store.OpEquals, Value: id}}})
		if err != nil {
			return err
		}
		if len(page.Items) == 0 {
			break
		}
		for _, r := range page.Items {
			if err := s.deleteRun(ctx, r.ID); err != nil {
				return err
			}
		}
	}
	if err := s.cfg.Store.DeleteTuningExperiment(ctx, id); err != nil {
		return err
	}
	s.notify()
	return nil
}

// deleteRun deletes a trial's run (cancelling it first if it has not
// ended); one already gone is fine.
func (s *Service) deleteRun(ctx context.Context, id string) error {
	if err := s.cfg.Runs.Delete(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// Wait blocks until the experiment has completed and no trial of it is
// active any more (or ctx is done), and returns it as stored.
func (s *Service) Wait(ctx context.Context, id string) (*store.TuningExperiment, error) {
	for {
		changed := s.Changed()
		// While a goroutine drives it the experiment has not ended; one
		// that has stopped wrote its last change before.
		if !s.driving(id) {
			e, err := s.cfg.Store.GetTuningExperiment(ctx, id)
			if err != nil {
				return nil, err
			}
			if e.Completed() {
				return e, nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Changed returns a channel closed when an experiment or a trial next
// changes.
func (s *Service) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *Service) notify() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// Driving lists the experiments this service drives now.
func (s *Service) Driving() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.workers))
}

func (s *Service) driving(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.workers[id] != nil
}

// ensureWorker starts driving an experiment, or wakes its goroutine.
func (s *Service) ensureWorker(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.baseCtx.Err() != nil || s.deleting[id] {
		return
	}
	if w := s.workers[id]; w != nil {
		w.wake()
		return
	}
	ctx, cancel := context.WithCancel(s.baseCtx)
	w := &worker{s: s, id: id, kick: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{}),
		log: s.cfg.Logger.With("experiment", id)}
	s.workers[id] = w
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(w.done)
		w.drive(ctx)
		s.mu.Lock()
		delete(s.workers, id)
		s.mu.Unlock()
		s.notify()
	}()
}

// oneLine keeps a message on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
