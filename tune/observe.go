package tune

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"
)

// MetricLog is one report of a metric by a trial: a row of Katib's
// observation log.
type MetricLog struct {
	Task  string    `json:"task,omitempty"` // the task that reported it ("" when unknown, e.g. pushed)
	Name  string    `json:"name"`
	Value float64   `json:"value"`
	Time  time.Time `json:"time,omitzero"` // zero when the report had no timestamp
	// Step is the report's position among the trial's reports of the same
	// name, from 1 (set by Collector; early stopping compares trials by step).
	Step int `json:"step,omitempty"`
}

// UnavailableValue is Katib's text for a metric that was never reported.
const UnavailableValue = "unavailable"

// Metric is one metric of a trial reduced over its reports (Katib's
// {name, min, max, latest}). In JSON the values are strings, as in Katib's
// status, and "unavailable" when the metric was never reported.
type Metric struct {
	Name      string
	Min       float64
	Max       float64
	Latest    float64
	Available bool
}

type metricJSON struct {
	Name   string `json:"name"`
	Min    string `json:"min"`
	Max    string `json:"max"`
	Latest string `json:"latest"`
}

// FormatValue formats a metric value as Katib's status does: the shortest
// decimal that reads back as the same float64.
func FormatValue(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// MarshalJSON writes Katib's shape: {"name","min","max","latest"} as strings.
func (m Metric) MarshalJSON() ([]byte, error) {
	j := metricJSON{Name: m.Name, Min: UnavailableValue, Max: UnavailableValue, Latest: UnavailableValue}
	if m.Available {
		j.Min, j.Max, j.Latest = FormatValue(m.Min), FormatValue(m.Max), FormatValue(m.Latest)
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads Katib's shape. A metric is available when its latest
// value is a finite number; a missing min or max falls back to latest.
func (m *Metric) UnmarshalJSON(b []byte) error {
	var j metricJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = Metric{Name: j.Name}
	latest, err := parseFinite(j.Latest)
	if err != nil {
		return nil
	}
	m.Available, m.Latest, m.Min, m.Max = true, latest, latest, latest
	if v, err := parseFinite(j.Min); err == nil {
		m.Min = v
	}
	if v, err := parseFinite(j.Max); err == nil {
		m.Max = v
	}
	return nil
}

// Value returns the metric's value by strategy (Katib: min and max fall back
// to latest; there is nothing to fall back from here, as all three are set
// together).
func (m Metric) Value(s StrategyType) (float64, bool) {
	if !m.Available {
		return 0, false
	}
	switch s {
	case StrategyMin:
		return m.Min, true
	case StrategyMax:
		return m.Max, true
	}
	return m.Latest, true
}

// Observation is a trial's metrics, reduced (Katib's trial
// status.observation).
type Observation struct {
	Metrics []Metric `json:"metrics"`
}

// Metric returns the observation's metric called name.
func (o *Observation) Metric(name string) (Metric, bool) {
	if o == nil {
		return Metric{}, false
	}
	for _, m := range o.Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// MetricValue returns the value of a metric of an observation by the metric's
// strategy.
func (e *Experiment) MetricValue(o *Observation, metric string) (float64, bool) {
	m, ok := o.Metric(metric)
	if !ok {
		return 0, false
	}
	s, _ := e.Strategy(metric)
	return m.Value(s)
}

// ObjectiveValue returns the objective metric's value of an observation by
// its strategy; false when the objective was never reported.
func (e *Experiment) ObjectiveValue(o *Observation) (float64, bool) {
	if e.Spec.Objective == nil {
		return 0, false
	}
	return e.MetricValue(o, e.Spec.Objective.ObjectiveMetricName)
}

// metricStat is the running reduction of one metric (TUNING.md §4.1):
// min and max over every value; latest is the value with the latest
// timestamp, a later report winning a tie (reports without a timestamp share
// the zero time, so the last one wins among them).
type metricStat struct {
	n                int
	min, max, latest float64
	latestTime       time.Time
}

func (s *metricStat) add(v float64, t time.Time) {
	if s.n == 0 {
		s.min, s.max, s.latest, s.latestTime = v, v, v, t
		s.n = 1
		return
	}
	s.n++
	s.min = math.Min(s.min, v)
	s.max = math.Max(s.max, v)
	if !t.Before(s.latestTime) {
		s.latest, s.latestTime = v, t
	}
}

func (s *metricStat) metric(name string) Metric {
	if s == nil || s.n == 0 {
		return Metric{Name: name}
	}
	return Metric{Name: name, Min: s.min, Max: s.max, Latest: s.latest, Available: true}
}

// matches says whether a report (task, name) is a report of the wanted
// metric: the same name, or the wanted name is TASK.NAME (a metric of one
// task: objectiveMetricName: eval.accuracy).
func matches(wanted, task, name string) bool {
	return wanted == name || (task != "" && len(wanted) == len(task)+1+len(name) &&
		wanted[:len(task)] == task && wanted[len(task)] == '.' && wanted[len(task)+1:] == name)
}

// Observe reduces a trial's reports to its observation: one Metric per
// objective and additional metric, in MetricNames order; reports of other
// metrics are ignored.
func (e *Experiment) Observe(logs []MetricLog) Observation {
	names := e.MetricNames()
	stats := make([]metricStat, len(names))
	for _, l := range logs {
		if math.IsNaN(l.Value) || math.IsInf(l.Value, 0) {
			continue
		}
		for i, n := range names {
			if matches(n, l.Task, l.Name) {
				stats[i].add(l.Value, l.Time)
			}
		}
	}
	o := Observation{Metrics: make([]Metric, len(names))}
	for i, n := range names {
		o.Metrics[i] = stats[i].metric(n)
	}
	return o
}

// RunOutcome is how a trial's run ended, as the caller saw it.
type RunOutcome string

// Run outcomes.
const (
	RunSucceeded    RunOutcome = "Succeeded"    // the run succeeded
	RunFailed       RunOutcome = "Failed"       // the run failed (or was canceled by someone else)
	RunEarlyStopped RunOutcome = "EarlyStopped" // canceled by the early-stopping rule
	RunKilled       RunOutcome = "Killed"       // canceled because the experiment ended or shrank
)

// FinalState returns the state of a trial whose run ended: a run that
// succeeded without reporting the objective is MetricsUnavailable (it counts
// as failed).
func (e *Experiment) FinalState(run RunOutcome, o *Observation) TrialState {
	switch run {
	case RunSucceeded:
		if _, ok := e.ObjectiveValue(o); ok {
			return TrialSucceeded
		}
		return TrialMetricsUnavailable
	case RunEarlyStopped:
		return TrialEarlyStopped
	case RunKilled:
		return TrialKilled
	}
	return TrialFailed
}

// MetadataMetrics returns the numeric entries of a KFP Metrics artifact's
// metadata (where log_metric puts them) as reports of task at time at, in
// name order. Non-numeric entries are skipped.
func MetadataMetrics(task string, metadata map[string]any, at time.Time) []MetricLog {
	var out []MetricLog
	for _, k := range sortedKeys(metadata) {
		var v float64
		switch x := metadata[k].(type) {
		case float64:
			v = x
		case int:
			v = float64(x)
		case int64:
			v = float64(x)
		case json.Number:
			f, err := x.Float64()
			if err != nil {
				continue
			}
			v = f
		default:
			continue
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		out = append(out, MetricLog{Task: task, Name: k, Value: v, Time: at})
	}
	return out
}

// ParseExecutorOutputMetrics reads the metrics a task logged into its KFP v2
// Metrics artifacts, from the executor output file the task wrote
// ({"artifacts": {OUTPUT: {"artifacts": [{"metadata": {NAME: NUMBER}}]}}}).
// metricsOutputs names the task's outputs of type system.Metrics (the
// executor output rarely carries types); reports are timestamped at, the
// task's end, in output then name order.
func ParseExecutorOutputMetrics(data []byte, task string, metricsOutputs []string, at time.Time) ([]MetricLog, error) {
	var eo struct {
		Artifacts map[string]*struct {
			Artifacts []*struct {
				Metadata map[string]any `json:"metadata"`
			} `json:"artifacts"`
		} `json:"artifacts"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&eo); err != nil {
		return nil, fmt.Errorf("executor output of task %s: %w", task, err)
	}
	outs := slices.Clone(metricsOutputs)
	slices.Sort(outs)
	var logs []MetricLog
	for _, name := range slices.Compact(outs) {
		list := eo.Artifacts[name]
		if list == nil {
			continue
		}
		for _, a := range list.Artifacts {
			if a != nil {
				logs = append(logs, MetadataMetrics(task, a.Metadata, at)...)
			}
		}
	}
	return logs, nil
}

// kfpMetricNameRE is the name KFP's persistence agent accepts in
// mlpipeline-metrics.
var kfpMetricNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z]([-_a-zA-Z0-9]{0,62}[a-zA-Z0-9])?$`) })

// MaxV1Metrics is how many metrics KFP reads from one mlpipeline-metrics file.
const MaxV1Metrics = 50

// ParseMLPipelineMetrics reads a KFP v1 mlpipeline-metrics file
// ({"metrics": [{"name", "numberValue", "format"}]}; number_value is accepted
// too, as protojson does) as reports of task at time at. Entries KFP would
// refuse (a name outside ^[a-zA-Z]([-_a-zA-Z0-9]{0,62}[a-zA-Z0-9])?$, no
// number, beyond the 50th) are skipped; a PERCENTAGE value is kept as written.
func ParseMLPipelineMetrics(data []byte, task string, at time.Time) ([]MetricLog, error) {
	var doc struct {
		Metrics []struct {
			Name        string   `json:"name"`
			NumberValue *float64 `json:"numberValue"`
			SnakeValue  *float64 `json:"number_value"`
			Format      string   `json:"format"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("mlpipeline-metrics of task %s: %w", task, err)
	}
	var logs []MetricLog
	for i, m := range doc.Metrics {
		if i == MaxV1Metrics {
			break
		}
		v := m.NumberValue
		if v == nil {
			v = m.SnakeValue
		}
		if v == nil || !kfpMetricNameRE().MatchString(m.Name) || math.IsNaN(*v) || math.IsInf(*v, 0) {
			continue
		}
		logs = append(logs, MetricLog{Task: task, Name: m.Name, Value: *v, Time: at})
	}
	return logs, nil
}
