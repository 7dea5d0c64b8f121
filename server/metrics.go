package server

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/tune"
)

// metrics are the server's Prometheus metrics, served at /metrics.
type metrics struct {
	reg          *prometheus.Registry
	runsFinished *prometheus.CounterVec
	tasks        *prometheus.CounterVec
	stepSeconds  *prometheus.HistogramVec
	requests     *prometheus.CounterVec
	trials       *prometheus.CounterVec
	experiments  *prometheus.CounterVec
	stepCPU      *prometheus.HistogramVec
	stepMemory   *prometheus.HistogramVec

	// components are the component labels given so far, at most
	// maxComponents of them (pipelines are user input: the series stay
	// bounded); the rest are counted as "other".
	mu         sync.Mutex
	components map[string]bool
}

// maxComponents bounds the component label of the step histograms.
const maxComponents = 500

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		runsFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_runs_finished_total", Help: "Runs that ended, by end state.",
		}, []string{"state"}),
		tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_tasks_finished_total", Help: "Tasks that ended, by kind, end state and whether they were served from the cache.",
		}, []string{"kind", "state", "cached"}),
		stepSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sluice_step_duration_seconds", Help: "How long container steps ran, by end state.",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 10),
		}, []string{"state"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_http_requests_total", Help: "API requests by method and status code.",
		}, []string{"method", "code"}),
		trials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_tuning_trials_finished_total", Help: "Tuning trials that ended, by end state (Succeeded, Failed, MetricsUnavailable, EarlyStopped, Killed).",
		}, []string{"state"}),
		experiments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_tuning_experiments_finished_total", Help: "Tuning experiments that ended, by condition and reason.",
		}, []string{"condition", "reason"}),
		stepCPU: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sluice_step_cpu_seconds", Help: "CPU time (user + system) of container steps' last attempts, by component.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}, []string{"component"}),
		stepMemory: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sluice_step_peak_memory_bytes", Help: "Peak memory of container steps' last attempts (their whole process tree), by component.",
			Buckets: prometheus.ExponentialBuckets(1<<20, 4, 10),
		}, []string{"component"}),
		components: map[string]bool{},
	}
	m.reg.MustRegister(m.runsFinished, m.tasks, m.stepSeconds, m.requests, m.trials, m.experiments, m.stepCPU, m.stepMemory,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// executing exports the number of runs executing now.
func (m *metrics) executing(n func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sluice_runs_executing", Help: "Runs executing now."},
		func() float64 { return float64(n()) }))
}

// tuning exports the number of tuning experiments being driven now.
func (m *metrics) tuning(n func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sluice_tuning_experiments_active", Help: "Tuning experiments in progress (driven by this server) now."},
		func() float64 { return float64(n()) }))
}

// TrialChanged counts a tuning trial that ended (tuner.Config.OnTrial).
func (m *metrics) TrialChanged(_ string, t tune.Trial) {
	if t.State.Completed() {
		m.trials.WithLabelValues(string(t.State)).Inc()
	}
}

// ExperimentChanged counts a tuning experiment that ended
// (tuner.Config.OnCondition).
func (m *metrics) ExperimentChanged(_ string, c tune.Condition) {
	if c.Completed() {
		m.experiments.WithLabelValues(string(c.Type), c.Reason).Inc()
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) instrument(h http.Handler) http.Handler {
	return promhttp.InstrumentHandlerCounter(m.requests, h)
}

// TaskEnded counts a task that ended (runner.Metrics).
func (m *metrics) TaskEnded(t engine.Task) {
	cached := "false"
	if t.Cached {
		cached = "true"
	}
	m.tasks.WithLabelValues(t.Kind, string(t.State), cached).Inc()
	if t.Kind == engine.KindContainer && !t.Cached && !t.Started.IsZero() && !t.Finished.IsZero() {
		m.stepSeconds.WithLabelValues(string(t.State)).Observe(t.Finished.Sub(t.Started).Seconds())
	}
	if u := t.Resources; u != nil && t.Kind == engine.KindContainer && !t.Cached {
		c := m.component(t.Component)
		m.stepCPU.WithLabelValues(c).Observe(u.CPUSeconds)
		m.stepMemory.WithLabelValues(c).Observe(float64(u.PeakMemoryBytes))
	}
}

// component is the label of a component: its name, or "other" once
// maxComponents names have been seen.
func (m *metrics) component(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.components[name] {
		return name
	}
	if len(m.components) >= maxComponents {
		return "other"
	}
	m.components[name] = true
	return name
}

// RunEnded counts a run that ended (runner.Metrics).
func (m *metrics) RunEnded(state runstate.State) {
	m.runsFinished.WithLabelValues(string(state)).Inc()
}
