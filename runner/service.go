package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sluicehq/sluice/archetype"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
)

// Config configures a Service.
type Config struct {
	Store  store.Store
	Engine *engine.Engine
	// MaxConcurrent bounds the runs executing at once (default 1).
	MaxConcurrent int
	// Metrics, when set, counts the runs and tasks that end.
	Metrics Metrics
	// MaxEndBackoff bounds the wait between tries of writing a run's end
	// (default 5s).
	MaxEndBackoff time.Duration
	// Archetype gives the service its logger and its clock.
	archetype.Archetype
}

// Metrics counts what the service records, once it is recorded.
type Metrics interface {
	RunEnded(state runstate.State)
	TaskEnded(t engine.Task)
}

// Service owns the life of the runs in its store.
type Service struct {
	cfg Config
	rec *recorder

	sem     chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	cancels map[string]context.CancelFunc // executing runs
	queued  map[string]bool
	baseCtx context.Context // the life of the service's runs: ends at Stop
	health  health
	stop    context.CancelFunc
}

// New returns a service; Start starts it.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Engine == nil {
		return nil, errors.New("runner: Config.Store and Config.Engine are required")
	}
	base, stop := context.WithCancel(context.Background())
	return &Service{
		baseCtx: base,
		stop:    stop,
		cfg:     cfg,
		rec:     newRecorder(cfg.Store, cfg.Metrics, cfg.Archetype.Now),
		sem:     make(chan struct{}, max(cfg.MaxConcurrent, 1)),
		cancels: map[string]context.CancelFunc{},
		queued:  map[string]bool{},
	}, nil
}

// Start recovers the runs a previous process left unfinished: runs left
// RUNNING or PENDING resume from their completed steps; runs left
// CANCELING end CANCELED. (Runs submitted to a new service execute whether
// or not Start was called.)
func (s *Service) Start(ctx context.Context) error {
	ids, err := s.cfg.Store.RunsInState(ctx, runstate.Canceling)
	if err != nil {
		return fmt.Errorf("recover runs: %w", err)
	}
	for _, id := range ids {
		if err := s.rec.end(ctx, id, runstate.Canceled, "canceled (the server stopped while the run was being canceled)", nil); err != nil {
			s.cfg.Log().Error("record run end", "run", id, "err", err)
		}
	}
	ids, err = s.cfg.Store.RunsInState(ctx, runstate.Pending, runstate.Running)
	if err != nil {
		return fmt.Errorf("recover runs: %w", err)
	}
	// Steps started by a previous life of the server must not run beside
	// their retries. Steps an executor runs elsewhere (pods) are not this
	// machine's processes, even when a single-node cluster's containers
	// show in its /proc: the executor adopts them instead.
	if !s.remoteSteps() {
		if n := local.KillOrphans(ids); n > 0 {
			s.cfg.Log().Warn("killed processes left by a previous server", "count", n)
		}
	}
	for _, id := range ids {
		s.cfg.Log().Info("resuming run", "run", id)
		s.enqueue(id)
	}
	return nil
}

// remoteSteps reports whether the engine's steps run under a remote
// launcher (the Kubernetes executor), not as the server's own processes.
func (s *Service) remoteSteps() bool {
	return s.cfg.Engine.Launcher != nil && s.cfg.Engine.Launcher.Remote()
}

// Executing counts the runs executing now.
func (s *Service) Executing() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cancels)
}

// Stop cancels the runs in progress and waits for them to wind down. Their
// state stays as the store has it, so that the next start resumes them.
func (s *Service) Stop() {
	s.stop()
	s.wg.Wait()
}

// Submit stores a new run as PENDING and queues it. The run must have been
// checked (its spec loads, its parameters fit it); Submit fills r.ID (when
// empty), r.State and the times.
func (s *Service) Submit(ctx context.Context, r *store.Run) error {
	if r.ID == "" {
		r.ID = engine.NewID()
	}
	if err := s.rec.submit(ctx, r); err != nil {
		return err
	}
	s.enqueue(r.ID)
	return nil
}

// Terminate cancels a run: a queued run ends CANCELED at once, an
// executing one goes CANCELING and ends CANCELED when its steps have
// stopped. A run that has ended is a store.ErrConflict.
func (s *Service) Terminate(ctx context.Context, id string) error {
	var cancel context.CancelFunc
	err := s.rec.terminate(ctx, id, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		cancel = s.cancels[id]
		return cancel != nil
	})
	if err != nil {
		return err
	}
	if cancel != nil {
		cancel()
	}
	return nil
}

// Delete deletes a run and its task records, terminating it first when it
// has not ended. A missing run is a store.ErrNotFound.
func (s *Service) Delete(ctx context.Context, id string) error {
	run, err := s.cfg.Store.GetRun(ctx, id)
	if err != nil {
		return err
	}
	if st := run.State; st != runstate.Canceling && !st.Terminal() {
		if err := s.Terminate(ctx, id); err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return s.cfg.Store.DeleteRun(ctx, id)
}

// Retry starts a FAILED or CANCELED run again, in place: steps that
// succeeded keep their outputs, the rest run again.
func (s *Service) Retry(ctx context.Context, id string) error {
	if err := s.rec.retry(ctx, id); err != nil {
		return err
	}
	s.enqueue(id)
	return nil
}

// Ended returns a channel that is closed when a run next ends (as this
// service records it): watchers of many runs, such as tuning experiments,
// take it before they look at their runs and wait on it after.
func (s *Service) Ended() <-chan struct{} { return s.rec.ended() }

// Wait blocks until the run has ended (or ctx is done) and returns it as
// stored. It sees the ends this service records.
func (s *Service) Wait(ctx context.Context, id string) (*store.Run, error) {
	for {
		changed := s.rec.ended()
		r, err := s.cfg.Store.GetRun(ctx, id)
		if err != nil {
			return nil, err
		}
		if r.State.Terminal() {
			return r, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// TaskOutputs returns the outputs (parameters, and artifacts with their
// metadata, such as a Metrics artifact's values) of a run's tasks that
// succeeded, by task id ("train", "for-loop-2/0/train").
func (s *Service) TaskOutputs(ctx context.Context, id string) (map[string]*plan.Outputs, error) {
	return s.rec.outputs(ctx, id, false)
}

func (s *Service) enqueue(id string) {
	s.mu.Lock()
	if s.queued[id] {
		s.mu.Unlock()
		return
	}
	s.queued[id] = true
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case s.sem <- struct{}{}:
		case <-s.baseCtx.Done():
			return
		}
		defer func() { <-s.sem }()
		s.mu.Lock()
		delete(s.queued, id)
		s.mu.Unlock()
		s.execute(id)
	}()
}

// execute runs one run to its end.
func (s *Service) execute(id string) {
	ctx, cancel := context.WithCancel(s.baseCtx)
	defer cancel()
	log := s.cfg.Log().With("run", id)
	var began time.Time
	// ended logs the run's end at info level, as run started logged its
	// start: a server says what it runs.
	ended := func(state runstate.State, msg string) {
		attrs := []any{"state", state}
		if !began.IsZero() {
			attrs = append(attrs, "duration", s.cfg.Now().Sub(began).Round(time.Millisecond))
		}
		if msg != "" {
			attrs = append(attrs, "error", msg)
		}
		log.Info("run ended", attrs...)
	}
	fail := func(msg string) {
		s.recordEnd(id, runstate.Failed, msg, nil)
		ended(runstate.Failed, msg)
	}
	run, err := s.cfg.Store.GetRun(ctx, id)
	if err != nil {
		log.Error("load run", "err", err)
		return
	}
	log = log.With("name", run.DisplayName)
	if run.State.Terminal() {
		return // terminated while queued
	}
	p, err := spec.LoadStored(run.Spec)
	if err != nil {
		fail("the run's pipeline spec cannot be used: " + err.Error())
		return
	}
	if p.Spec != nil {
		log = log.With("pipeline", p.Spec.PipelineInfo.Name)
	}
	params, err := runParams(run)
	if err != nil {
		fail("the run's parameters cannot be read: " + err.Error())
		return
	}
	// The tasks that did not succeed run again (a step a graceful stop
	// recorded CANCELED, one that failed in a run that went on): their
	// records make way for new ones; succeeded ones stay as they are.
	if err := s.cfg.Store.ResetTasks(ctx, id); err != nil {
		log.Error("reset tasks", "err", err)
		return
	}
	completed, err := s.rec.outputs(ctx, id, true)
	if err != nil {
		log.Error("load tasks", "err", err)
		return
	}
	s.mu.Lock()
	s.cancels[id] = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.cancels, id)
		s.mu.Unlock()
	}()
	// A cancel may come at any instant from here on and cancels ctx: the
	// start is written regardless, and ends the run CANCELED if so.
	if err := s.rec.start(context.WithoutCancel(ctx), id); err != nil {
		log.Info("not starting run", "err", err)
		return
	}
	began = s.cfg.Now()
	if len(completed) > 0 {
		log.Info("run started", "resumed_tasks", len(completed))
	} else {
		log.Info("run started")
	}
	res, err := s.cfg.Engine.Run(ctx, &engine.Request{
		Pipeline: p, Params: params, PipelineRoot: run.PipelineRoot, RunID: id, RunName: run.DisplayName,
		NoCache: run.NoCache, Created: run.CreatedAt, Scheduled: run.ScheduledAt, Completed: completed,
		Recorder: s.rec.tasks(id), RecordOnly: true,
	})
	if s.baseCtx.Err() != nil {
		// The service is stopping: leave the run for the next start.
		log.Info("run interrupted by shutdown; it resumes when the server starts again")
		return
	}
	if err != nil {
		fail(err.Error())
		return
	}
	s.recordEnd(id, res.State, res.Error, &res.Outputs)
	ended(res.State, res.Error)
}

// recordEnd records how a run ended, retrying with backoff (up to
// MaxEndBackoff between tries) until the write lands: a run whose end
// could not be recorded (disk full, the database down) is not left
// RUNNING to be executed again by the next start. Meanwhile StoreError
// reports the failure. It gives up only when the service stops, or when
// the store says the run has ended already (an earlier try landed) or is
// gone.
func (s *Service) recordEnd(id string, state runstate.State, msg string, outputs *plan.Outputs) {
	log := s.cfg.Log().With("run", id)
	wait := 50 * time.Millisecond
	maxWait := s.cfg.MaxEndBackoff
	if maxWait <= 0 {
		maxWait = 5 * time.Second
	}
	for {
		err := s.rec.end(context.WithoutCancel(s.baseCtx), id, state, msg, outputs)
		if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			s.health.recovered(id)
			if err != nil {
				log.Warn("run end not recorded", "err", err)
			}
			return
		}
		s.health.failed(id, err)
		log.Error("record run end: retrying", "err", err, "in", wait)
		select {
		case <-s.baseCtx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, maxWait)
	}
}

// StoreError is the error of the last write of a run's end that has not
// landed yet (nil when every run's end is recorded): the store is
// failing. /healthz reports it.
func (s *Service) StoreError() error { return s.health.err() }

// health tracks the writes of runs' ends being retried.
type health struct {
	mu      sync.Mutex
	failing map[string]error
}

func (h *health) failed(id string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failing == nil {
		h.failing = map[string]error{}
	}
	h.failing[id] = err
}

func (h *health) recovered(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.failing, id)
}

func (h *health) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, err := range h.failing {
		return fmt.Errorf("the end of %d run(s) not recorded yet (run %s: %w)", len(h.failing), id, err)
	}
	return nil
}
