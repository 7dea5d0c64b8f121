package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sluicehq/sluice/archetype"
	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/version"
)

// Runs is what the API needs from the run executor.
type Runs interface {
	// Submit stores the run (already validated) and queues it; it fills
	// r.ID and r.State.
	Submit(ctx context.Context, r *store.Run) error
	// Terminate cancels a run.
	Terminate(ctx context.Context, runID string) error
	// Retry starts a failed or canceled run again, in place.
	Retry(ctx context.Context, runID string) error
	// Delete deletes a run, terminating it first when it has not ended.
	Delete(ctx context.Context, runID string) error
}

// DefaultMaxUploadBytes bounds uploads and JSON request bodies (KFP's
// 32 MiB).
const DefaultMaxUploadBytes = 32 << 20

// Config configures the API handler.
type Config struct {
	Store store.Store
	Runs  Runs
	// Tuning, when set, runs tuning experiments (the tuning routes answer
	// 501 without it).
	Tuning Tuning
	// Token, when set, is required on every request except healthz as
	// "Authorization: Bearer <Token>".
	Token string
	// Addr is the address the server listens on (host:port, as --addr
	// gives it): a request's Host must be a loopback name or this host,
	// with the port the request arrived on, or one of AllowedHosts (see
	// Guard).
	Addr string
	// AllowedHosts are more names the server answers to (--allowed-hosts).
	AllowedHosts []string
	// ArtifactRoot is the local directory under which logs and artifacts
	// may be served by the Sluice routes; nothing outside it is.
	ArtifactRoot string
	// CheckPipelineRoot, when set, refuses a run's pipeline root (the
	// request's, or the spec's defaultPipelineRoot when root is "") at
	// creation, before anything runs: engine.Engine.CheckPipelineRoot.
	CheckPipelineRoot func(ps *spec.PipelineSpec, root string) error
	// Health, when set, says whether the store is failing (writes being
	// retried): healthz answers 503 with its error.
	Health func() error
	// Artifacts, when set, is the artifact store holding bucket URIs
	// (s3://, gs://, ...): their logs and artifacts are served from it.
	Artifacts artifact.Store
	// AllowPrivatePackageURLs lets pipeline_version.package_url reach
	// loopback, private and link-local addresses
	// (--allow-private-package-urls); by default only public addresses
	// are fetched.
	AllowPrivatePackageURLs bool
	// fetchAllowed, when set, replaces the address check of package_url
	// fetches (tests).
	fetchAllowed func(netip.AddrPort) bool
	// MaxUploadBytes bounds uploaded pipeline files and JSON bodies
	// (default DefaultMaxUploadBytes).
	MaxUploadBytes int64
	// Archetype gives the API its logger and its clock.
	archetype.Archetype
	// Commit and Version are reported by healthz as commit_sha and
	// tag_name (default: the binary's, from package version).
	Commit  string
	Version string
}

// Validate checks the configuration and fills in defaults.
func (c *Config) Validate() error {
	if c.Store == nil {
		return errors.New("api: Config.Store is required")
	}
	if c.Runs == nil {
		return errors.New("api: Config.Runs is required")
	}
	if c.MaxUploadBytes < 0 {
		return fmt.Errorf("api: Config.MaxUploadBytes must not be negative, got %d", c.MaxUploadBytes)
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if c.Commit == "" || c.Version == "" {
		v := version.Get()
		if c.Commit == "" {
			c.Commit = v.Commit()
		}
		if c.Version == "" {
			c.Version = v.Version
		}
	}
	return nil
}

type server struct {
	cfg     Config
	guard   *Guard
	st      store.Store
	log     *slog.Logger
	mux     *routeMux
	fetcher *http.Client // fetches package_url
}

// routeMux is the API's ServeMux; it remembers the patterns registered,
// so that a test goes over every route (TestEveryRouteIsGuarded): a
// route added later cannot skip the checks of ServeHTTP unnoticed.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// New returns the handler serving the KFP v2beta1 REST API under
// /apis/v2beta1/.
func New(cfg Config) (http.Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	guard, err := NewGuard(cfg.Addr, cfg.AllowedHosts)
	if err != nil {
		return nil, err
	}
	allowed := cfg.fetchAllowed
	switch {
	case allowed != nil:
	case cfg.AllowPrivatePackageURLs:
		allowed = func(netip.AddrPort) bool { return true }
	default:
		allowed = publicAddress
	}
	s := &server{cfg: cfg, guard: guard, st: cfg.Store, log: cfg.Log(), mux: &routeMux{ServeMux: http.NewServeMux()}, fetcher: newFetcher(allowed)}
	s.routes()
	return s, nil
}

const prefix = "/apis/v2beta1"

func (s *server) routes() {
	rpc := func(pattern string, h func(*http.Request) (any, error)) {
		s.mux.Handle(strings.Replace(pattern, " /", " "+prefix+"/", 1), s.rpc(h))
	}
	s.mux.HandleFunc("GET "+prefix+"/healthz", s.healthz)

	rpc("POST /pipelines", s.createPipeline)
	rpc("POST /pipelines/create", s.createPipelineAndVersion)
	rpc("GET /pipelines", s.listPipelines)
	rpc("GET /pipelines/{pipeline_id}", s.getPipeline)
	rpc("PATCH /pipelines/{pipeline_id}", s.updatePipeline)
	rpc("DELETE /pipelines/{pipeline_id}", s.deletePipeline)
	s.mux.HandleFunc("POST "+prefix+"/pipelines/upload", s.uploadPipeline)
	s.mux.HandleFunc("POST "+prefix+"/pipelines/upload_version", s.uploadPipelineVersion)
	rpc("POST /pipelines/{pipeline_id}/versions", s.createVersion)
	// "/pipelines/names/{name}" and "/pipelines/{pipeline_id}/versions"
	// overlap; pipelineSub tells them apart.
	rpc("GET /pipelines/{pipeline_id}/{sub}", s.pipelineSub)
	rpc("GET /pipelines/{pipeline_id}/versions/{version_id}", s.getVersion)
	rpc("PATCH /pipelines/{pipeline_id}/versions/{version_id}", s.updateVersion)
	rpc("DELETE /pipelines/{pipeline_id}/versions/{version_id}", s.deleteVersion)

	rpc("POST /experiments", s.createExperiment)
	rpc("GET /experiments", s.listExperiments)
	rpc("GET /experiments/{experiment_id}", s.getExperiment)
	rpc("DELETE /experiments/{experiment_id}", s.deleteExperiment)
	rpc("POST /experiments/{action}", s.experimentAction)

	rpc("POST /runs", s.createRun)
	rpc("GET /runs", s.listRuns)
	rpc("GET /runs/{run_id}", s.getRun)
	rpc("DELETE /runs/{run_id}", s.deleteRun)
	rpc("POST /runs/{action}", s.runAction)

	rpc("POST /recurringruns", s.createRecurringRun)
	rpc("GET /recurringruns", s.listRecurringRuns)
	rpc("GET /recurringruns/{recurring_run_id}", s.getRecurringRun)
	rpc("DELETE /recurringruns/{recurring_run_id}", s.deleteRecurringRun)
	rpc("POST /recurringruns/{action}", s.recurringRunAction)

	s.v1Routes()
	s.sluiceRoutes()
	s.tuningRoutes()
	s.graphRoutes()
	s.markdownRoutes()
}

// ServeHTTP recovers from panics, refuses foreign hosts and origins (see
// Guard), checks the token and the body's media type, and answers unknown
// routes and methods with JSON errors.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tw := &trackingWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			if !tw.wrote {
				s.writeRPCError(tw, r, errorf(codeInternal, "internal error: %v", v))
			}
		}
	}()
	setHeaders(tw.Header())
	tw.Header().Set("Content-Security-Policy", apiCSP)
	refuse := func(what string, err error) {
		if isUpload(r.URL.Path) {
			s.writeV1Error(tw, r, what, err)
		} else {
			s.writeRPCError(tw, r, err)
		}
	}
	if err := s.guard.Check(r); err != nil {
		refuse("request refused", err)
		return
	}
	if s.cfg.Token != "" && r.URL.Path != prefix+"/healthz" && r.URL.Path != v1prefix+"/healthz" && !Authorized(r, s.cfg.Token) {
		refuse("authentication failed", errorf(codeUnauthenticated, "unauthenticated: this server needs \"Authorization: Bearer <token>\" with its token"))
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.noRoute(tw, r)
		return
	}
	if err := checkContentType(r); err != nil {
		refuse("request refused", err)
		return
	}
	s.mux.ServeHTTP(tw, r)
}

func isUpload(path string) bool {
	for _, p := range []string{prefix, v1prefix} {
		if path == p+"/pipelines/upload" || path == p+"/pipelines/upload_version" {
			return true
		}
	}
	return false
}

// Authorized reports whether a request carries the token as
// "Authorization: Bearer <token>" (the scheme in any case, spaces around
// the token ignored). It is the one token check of the server's routes.
func Authorized(r *http.Request, token string) bool {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(token)) == 1
}

// noRoute answers 405 when the path exists for other methods, else 404.
func (s *server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodPut} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		s.writeRPCError(w, r, errorf(codeNotFound, "no such API route: %s %s", r.Method, r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	s.writeRPCError(w, r, &apiError{code: codeUnimplemented, status: http.StatusMethodNotAllowed,
		msg: fmt.Sprintf("method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(allow, ", "))})
}

// methodNotAllowed is the error of an action route given an unknown
// action ("POST /runs/{id}" without ":archive" etc.).
func methodNotAllowed(r *http.Request, allowed string) error {
	return &apiError{code: codeUnimplemented, status: http.StatusMethodNotAllowed,
		msg: fmt.Sprintf("method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allowed)}
}

// rpc adapts a gateway-style handler: its result is written as JSON, its
// error as a google.rpc.Status.
func (s *server) rpc(h func(*http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := h(r)
		if err != nil {
			var ae *apiError
			if errors.As(err, &ae) && ae.status == http.StatusMethodNotAllowed {
				w.Header().Set("Allow", "GET, DELETE")
			}
			s.writeRPCError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
}

type empty struct{}

type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

type healthz struct {
	CommitSHA     string `json:"commit_sha"`
	TagName       string `json:"tag_name"`
	MultiUser     bool   `json:"multi_user"`
	PipelineStore string `json:"pipeline_store"`
	// StoreError says why the store is failing (healthz then answers
	// 503).
	StoreError string `json:"store_error,omitempty"`
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	h := healthz{CommitSHA: s.cfg.Commit, TagName: s.cfg.Version, PipelineStore: "database"}
	if s.cfg.Health != nil {
		if err := s.cfg.Health(); err != nil {
			h.StoreError = err.Error()
			writeJSON(w, http.StatusServiceUnavailable, h)
			return
		}
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *server) now() time.Time { return s.cfg.Now().UTC() }

// splitAction splits "{id}:{verb}" from an action route.
func splitAction(r *http.Request) (id, verb string) {
	a := r.PathValue("action")
	if i := strings.LastIndexByte(a, ':'); i >= 0 {
		return a[:i], a[i+1:]
	}
	return a, ""
}
