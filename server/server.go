package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"

	"github.com/sluicehq/sluice/api"
	"github.com/sluicehq/sluice/archetype"
	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/examples"
	"github.com/sluicehq/sluice/executor"
	kexec "github.com/sluicehq/sluice/executor/kubernetes"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/runner"
	"github.com/sluicehq/sluice/schedule"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/tune"
	"github.com/sluicehq/sluice/tuner"
	"github.com/sluicehq/sluice/ui"
	"github.com/sluicehq/sluice/usage"
	"github.com/sluicehq/sluice/version"
)

// The run service is what the API and the scheduler drive runs through.
var (
	_ api.Runs           = (*runner.Service)(nil)
	_ schedule.Submitter = (*runner.Service)(nil)
)

// Server is a running Sluice server.
type Server struct {
	cfg       Config
	log       *slog.Logger
	store     store.Store
	artifacts artifact.Store
	kube      *kexec.Executor // the kubernetes executor, when configured
	launcher  *launcher.Launcher
	runs      *runner.Service
	tuning    *tuner.Service
	metrics   *metrics
	sched     *schedule.Scheduler
	http      *http.Server
	ln        net.Listener
	locks     io.Closer  // one server per data directory and database
	dbLock    store.Lock // the database's, among locks
	// firstStart: the example pipelines were registered by this start; the
	// example tuning experiments are created once the services run.
	firstStart bool
}

// New opens the store, prepares the engine and binds the listen address.
// Call Serve to start; Close to stop.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Data, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	locks, dbLock, err := lock(ctx, cfg)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		locks.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	s := &Server{cfg: cfg, log: log, store: st, locks: locks, dbLock: dbLock}
	arch := archetype.Archetype{Logger: log}
	ok := false
	defer func() {
		if !ok {
			st.Close()
			locks.Close()
		}
	}()
	var budget *engine.Budget
	var ex executor.Executor
	if cfg.Executor == "local" {
		var user *executor.User
		if cfg.StepUser != "" {
			if user, err = executor.LookupUser(cfg.StepUser); err != nil {
				return nil, fmt.Errorf("--step-user: %w", err)
			}
			if os.Geteuid() != 0 {
				return nil, fmt.Errorf("--step-user %s: only root can run steps as another user", cfg.StepUser)
			}
		}
		ex = &local.Executor{User: user, BaseEnv: local.CleanEnvWith(cfg.StepEnv...), Archetype: arch}
		budget = engine.MachineBudget()
		if cfg.CPUs > 0 {
			budget.CPU = cfg.CPUs
		}
		if cfg.Memory > 0 {
			budget.Memory = cfg.Memory
		}
		log.Info("step budget", "cpus", budget.CPU, "memory", usage.Bytes(budget.Memory))
	}
	if cfg.Executor == "kubernetes" {
		k, err := newKubernetesExecutor(cfg, arch)
		if err != nil {
			return nil, err
		}
		s.kube, ex = k, k
	}
	arts, err := artifact.Open(ctx, cfg.Artifacts)
	if err != nil {
		return nil, fmt.Errorf("--artifacts: %w", err)
	}
	s.artifacts = arts
	defer func() {
		if !ok {
			arts.Close()
		}
	}()
	if s.launcher, err = launcher.New(ctx, cfg.Data, ex); err != nil {
		return nil, err
	}
	eng := &engine.Engine{
		Launcher:    s.launcher,
		Parallelism: cfg.Parallelism,
		DefaultRoot: arts.URI(""),
		Artifacts:   arts,
		Scratch:     rundir.Scratch(cfg.Data),
		Cache:       runner.Cache{Store: st},
		Archetype:   arch,
		Budget:      budget,
	}
	artifactRoot := ""
	if d, ok := arts.(*artifact.DirStore); ok {
		artifactRoot = d.Root()
	}
	// Runs are written under the artifact store, or a directory the
	// operator allowed: never where a spec or a request says.
	eng.AllowedRoots = slices.Clone(cfg.AllowedPipelineRoots)
	if artifactRoot != "" {
		eng.AllowedRoots = append(eng.AllowedRoots, artifactRoot)
	}
	if eng.AllowedRoots == nil {
		eng.AllowedRoots = []string{}
	}
	s.metrics = newMetrics()
	s.runs, err = runner.New(runner.Config{Store: st, Engine: eng, MaxConcurrent: cfg.MaxConcurrentRuns, Metrics: s.metrics, Archetype: arch})
	if err != nil {
		return nil, err
	}
	s.metrics.executing(s.runs.Executing)
	s.tuning, err = tuner.New(tuner.Config{Store: st, Runs: s.runs, Artifacts: arts, Logger: log,
		OnTrial: s.metrics.TrialChanged, OnCondition: s.metrics.ExperimentChanged})
	if err != nil {
		return nil, err
	}
	s.metrics.tuning(func() int { return len(s.tuning.Driving()) })
	s.sched = &schedule.Scheduler{Archetype: arch, Store: st, Runs: s.runs}
	apiHandler, err := api.New(api.Config{Store: st, Runs: s.runs, Tuning: s.tuning, Token: cfg.Token, Addr: cfg.Addr, AllowedHosts: cfg.AllowedHosts,
		AllowPrivatePackageURLs: cfg.AllowPrivatePackageURLs, ArtifactRoot: artifactRoot, Artifacts: arts,
		CheckPipelineRoot: eng.CheckPipelineRoot, Health: s.runs.StoreError, Archetype: arch})
	if err != nil {
		return nil, err
	}
	guard, err := api.NewGuard(cfg.Addr, cfg.AllowedHosts)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/apis/", s.metrics.instrument(apiHandler)) // checks Host and Origin itself
	// The web UI: no token needed for its static files; its API calls send it.
	mux.Handle("/", guard.Handler(ui.Handler()))
	mux.Handle("GET /metrics", guard.Handler(requireToken(cfg.Token, s.metrics.handler())))
	if !cfg.NoExamples {
		if s.firstStart, err = registerExamples(ctx, st); err != nil {
			return nil, fmt.Errorf("register example pipelines: %w", err)
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	s.ln = ln
	s.http = newHTTPServer(mux, defaultTimeouts)
	ok = true
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve recovers unfinished runs and serves until ctx is done, then shuts
// down gracefully.
func (s *Server) Serve(ctx context.Context) error {
	if s.kube != nil {
		if err := s.kube.Start(ctx); err != nil {
			return fmt.Errorf("kubernetes executor: %w", err)
		}
	}
	if err := s.runs.Start(ctx); err != nil {
		return err
	}
	if err := s.tuning.Start(ctx); err != nil {
		return err
	}
	if s.firstStart {
		if err := s.registerTuningExamples(ctx); err != nil {
			s.log.Warn("create the example tuning experiments", "err", err)
		}
	}
	s.sched.Start(ctx)
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	s.log.Info("sluice server listening", "addr", "http://"+s.Addr(), "data", s.cfg.Data, "db", redactDSN(s.cfg.DB), "version", version.Get().String())
	var err error
	select {
	case <-ctx.Done():
		s.log.Info("sluice server shutting down: runs still going resume at the next start")
	case err = <-errc:
	case <-s.dbLock.Lost():
		// Another server holds the database now: stop before both run
		// the same runs.
		err = s.dbLock.Err()
		s.log.Error("stopping", "err", err)
	}
	began := time.Now()
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.http.Shutdown(shut)
	s.sched.Stop()
	s.tuning.Stop()
	s.runs.Stop()
	cerr := errors.Join(s.store.Close(), s.artifacts.Close(), s.launcher.Close())
	cerr = errors.Join(cerr, s.locks.Close()) // last: the store is closed
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("sluice server stopped", "err", err)
		return err
	}
	if cerr != nil {
		s.log.Error("sluice server stopped", "err", cerr)
		return cerr
	}
	s.log.Info("sluice server stopped", "took", time.Since(began).Round(time.Millisecond))
	return nil
}

func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	return dsn
}

// registerExamples uploads the embedded example pipelines the first time
// the server starts with an empty pipeline list, and says whether it did.
func registerExamples(ctx context.Context, st store.Store) (bool, error) {
	page, err := st.ListPipelines(ctx, store.ListOptions{PageSize: 1})
	if err != nil {
		return false, err
	}
	if len(page.Items) > 0 {
		return false, nil
	}
	for _, f := range examples.Pipelines() {
		b, err := examples.FS.ReadFile(f)
		if err != nil {
			return false, err
		}
		p, err := spec.Load(b)
		if err != nil {
			return false, fmt.Errorf("%s: %w", f, err)
		}
		js, err := spec.MarshalStored(p)
		if err != nil {
			return false, err
		}
		now := time.Now()
		name := p.Spec.PipelineInfo.Name
		pl := &store.Pipeline{Name: name, DisplayName: name, Description: p.Spec.PipelineInfo.Description, CreatedAt: now}
		v := &store.PipelineVersion{Name: name + "-v1", DisplayName: name + "-v1", Description: "example: examples/" + path.Dir(f), Spec: js, CreatedAt: now}
		if err := st.CreatePipeline(ctx, pl, v); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return false, err
		}
	}
	return true, nil
}

// registerTuningExamples creates the example tuning experiments (and so
// starts their trials) on the server's first start. Each runs the example
// pipeline of its pipeline file's name, as registered.
func (s *Server) registerTuningExamples(ctx context.Context) error {
	for _, f := range examples.Experiments() {
		b, err := examples.FS.ReadFile(f)
		if err != nil {
			return err
		}
		e, err := tune.Load(b)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		pp, err := e.PipelinePath(path.Dir(f))
		if err != nil {
			return err
		}
		pb, err := examples.FS.ReadFile(pp)
		if err != nil {
			return err
		}
		p, err := spec.Load(pb)
		if err != nil {
			return fmt.Errorf("%s: %w", pp, err)
		}
		req := &tuner.Request{Experiment: e, Pipeline: p}
		if pl, err := s.store.GetPipelineByName(ctx, "", p.Spec.PipelineInfo.Name); err == nil {
			if v, err := s.store.LatestPipelineVersion(ctx, pl.ID); err == nil {
				req.PipelineID, req.PipelineVersionID = pl.ID, v.ID
				e.Spec.TrialTemplate.Pipeline = &tune.PipelineRef{Name: pl.Name, Version: v.Name}
			}
		}
		if _, err := s.tuning.Create(ctx, req); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return nil
}

// requireToken guards a handler with the API token, when there is one.
func requireToken(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !api.Authorized(r, token) {
			http.Error(w, "unauthenticated: this server needs \"Authorization: Bearer <token>\"", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// lock makes this server the only one on its data directory and its
// database (see store.LockServer): a second server refuses to start,
// naming the first, instead of resuming the same runs beside it.
func lock(ctx context.Context, cfg Config) (io.Closer, store.Lock, error) {
	host, _ := os.Hostname()
	holder := fmt.Sprintf("sluice server pid %d on %s (--addr %s, started %s)", os.Getpid(), host, cfg.Addr, time.Now().UTC().Format(time.RFC3339))
	data, err := store.LockFile(filepath.Join(cfg.Data, "sluice.lock"), holder)
	if err != nil {
		return nil, nil, fmt.Errorf("data directory %s: %w", cfg.Data, err)
	}
	db, err := store.LockServer(ctx, cfg.DB, holder)
	if err != nil {
		data.Close()
		return nil, nil, fmt.Errorf("database %s: %w", redactDSN(cfg.DB), err)
	}
	return closers{db, data}, db, nil
}

type closers []io.Closer

func (cs closers) Close() error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
