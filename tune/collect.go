package tune

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Limits of metrics collection (Sluice: output is untrusted and unbounded).
const (
	// MaxLineLength: a longer output line is skipped.
	MaxLineLength = 64 << 10
	// MaxMetricLogs: a Collector keeps at most this many reports; the
	// observation stays exact past it.
	MaxMetricLogs = 100000
	maxNotes      = 20
)

// LineParser finds metric reports in lines of text (Katib's TEXT format:
// name=value found by regular expressions, an optional RFC 3339 timestamp
// first) or of JSON (one object per line).
type LineParser struct {
	format  FileFormat
	filters []*regexp.Regexp
	metrics []string
	needles []string
}

// NewLineParser returns a parser for format (TEXT or JSON) that keeps reports
// of the given metrics. filters are TEXT regular expressions, each with the
// name as group 1 and the value as group 2 (none: Katib's default,
// DefaultMetricsFormat).
func NewLineParser(format FileFormat, filters []string, metrics []string) (*LineParser, error) {
	p := &LineParser{format: format, metrics: metrics}
	switch format {
	case FormatText:
		if len(filters) == 0 {
			filters = []string{DefaultMetricsFormat}
		}
		for _, f := range filters {
			re, err := compileFilter(f)
			if err != nil {
				return nil, err
			}
			p.filters = append(p.filters, re)
		}
	case FormatJSON:
		if len(filters) > 0 {
			return nil, fmt.Errorf("a filter is not allowed with the JSON format")
		}
	default:
		return nil, fmt.Errorf("unknown metrics format %q (TEXT or JSON)", format)
	}
	for _, m := range metrics {
		p.needles = append(p.needles, m)
		if _, short, ok := strings.Cut(m, "."); ok && short != "" {
			p.needles = append(p.needles, short)
		}
	}
	return p, nil
}

func (p *LineParser) wanted(task, name string) bool {
	for _, m := range p.metrics {
		if matches(m, task, name) {
			return true
		}
	}
	return false
}

// Parse returns the reports of wanted metrics in one line printed by task.
// A line with nothing to report gives nil; an error says why a line that
// looked like a report was not one (a value that is not a finite number, a
// JSON line that is not an object) — the caller may show it and go on.
func (p *LineParser) Parse(task, line string) ([]MetricLog, error) {
	if len(line) > MaxLineLength {
		return nil, fmt.Errorf("a line of %d bytes is longer than %d and was skipped", len(line), MaxLineLength)
	}
	if p.format == FormatJSON {
		return p.parseJSON(task, line)
	}
	return p.parseText(task, line)
}

func (p *LineParser) parseText(task, line string) ([]MetricLog, error) {
	found := false
	for _, n := range p.needles {
		if strings.Contains(line, n) {
			found = true
			break
		}
	}
	if !found {
		return nil, nil
	}
	var ts time.Time
	if first, _, ok := strings.Cut(line, " "); ok {
		if t, err := time.Parse(time.RFC3339Nano, first); err == nil {
			ts = t.UTC()
		}
	}
	var logs []MetricLog
	var bad []string
	for _, re := range p.filters {
		for _, m := range re.FindAllStringSubmatch(line, -1) {
			name, value := strings.TrimSpace(m[1]), strings.TrimSpace(m[2])
			if !p.wanted(task, name) {
				continue
			}
			v, err := parseFinite(value)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s=%q", name, value))
				continue
			}
			logs = append(logs, MetricLog{Task: task, Name: name, Value: v, Time: ts})
		}
	}
	if len(bad) > 0 {
		return logs, fmt.Errorf("not a finite number: %s in %q", strings.Join(bad, ", "), clip(line))
	}
	return logs, nil
}

func (p *LineParser) parseJSON(task, line string) ([]MetricLog, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil || dec.More() {
		return nil, fmt.Errorf("not a JSON object: %q", clip(line))
	}
	var ts time.Time
	var problems []string
	if raw, ok := obj["timestamp"]; ok {
		t, err := parseTimestamp(raw)
		if err != nil {
			problems = append(problems, err.Error())
		}
		ts = t
	}
	var logs []MetricLog
	for _, k := range sortedKeys(obj) {
		if k == "timestamp" || !p.wanted(task, k) {
			continue
		}
		var s string
		switch x := obj[k].(type) {
		case string:
			s = x
		case json.Number:
			s = x.String()
		default:
			problems = append(problems, fmt.Sprintf("%s is not a number", k))
			continue
		}
		v, err := parseFinite(s)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s=%q is not a finite number", k, s))
			continue
		}
		logs = append(logs, MetricLog{Task: task, Name: k, Value: v, Time: ts})
	}
	if len(problems) > 0 {
		return logs, fmt.Errorf("%s in %q", strings.Join(problems, "; "), clip(line))
	}
	return logs, nil
}

// parseTimestamp reads a JSON-format timestamp: an RFC 3339 string, or Unix
// seconds as a number or a numeric string (the fraction read digit by digit).
func parseTimestamp(v any) (time.Time, error) {
	var s string
	switch x := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.UTC(), nil
		}
		s = x
	case json.Number:
		s = x.String()
	default:
		return time.Time{}, fmt.Errorf("timestamp is neither RFC 3339 text nor Unix seconds")
	}
	sec, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || len(frac) > 9 || strings.Trim(frac, "0123456789") != "" || n < 0 || n > 1<<40 {
		return time.Time{}, fmt.Errorf("timestamp %q is neither RFC 3339 text nor Unix seconds", s)
	}
	ns := 0
	if frac != "" {
		ns, _ = strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
	}
	return time.Unix(n, int64(ns)).UTC(), nil
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// Collector gathers one trial's metric reports as they come — output lines of
// its tasks, and reports from elsewhere (Metrics artifacts) —
// and reduces them to the trial's observation at any moment, for early
// stopping while the trial runs and for the final observation. It is not safe
// for concurrent use.
type Collector struct {
	parser  *LineParser // nil: the collector kind reads no lines (Push, KFPMetrics)
	names   []string
	stats   []metricStat
	partial map[string][]byte
	skip    map[string]bool // the task's current line is too long: drop it up to its end
	logs    []MetricLog
	steps   map[string]int
	dropped int
	notes   []string
}

// NewCollector returns a collector for e's metrics and collector kind: StdOut
// and File read lines (TEXT with the filters, or JSON); Push and KFPMetrics
// read none. Every kind accepts reports through Add.
func NewCollector(e *Experiment) (*Collector, error) {
	c := &Collector{names: e.MetricNames(), partial: map[string][]byte{}, skip: map[string]bool{}, steps: map[string]int{}}
	c.stats = make([]metricStat, len(c.names))
	switch e.Collector() {
	case CollectorStdOut, CollectorFile:
		format, filters := FormatText, []string(nil)
		if src := e.Spec.MetricsCollectorSpec.Source; src != nil {
			if src.FileSystemPath != nil && src.FileSystemPath.Format != "" {
				format = src.FileSystemPath.Format
			}
			if src.Filter != nil {
				filters = src.Filter.MetricsFormat
			}
		}
		p, err := NewLineParser(format, filters, c.names)
		if err != nil {
			return nil, fmt.Errorf("spec.metricsCollectorSpec: %w", err)
		}
		c.parser = p
	}
	return c, nil
}

// Write takes the next bytes of a task's output and returns the reports in
// the lines it completes.
func (c *Collector) Write(task string, p []byte) []MetricLog {
	if c.parser == nil {
		return nil
	}
	var out []MetricLog
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if !c.skip[task] {
				c.partial[task] = append(c.partial[task], p...)
				if len(c.partial[task]) > MaxLineLength {
					c.note(task, fmt.Errorf("a line longer than %d bytes was skipped", MaxLineLength))
					delete(c.partial, task)
					c.skip[task] = true
				}
			}
			break
		}
		switch {
		case c.skip[task]:
			delete(c.skip, task)
		case len(c.partial[task])+i > MaxLineLength:
			c.note(task, fmt.Errorf("a line longer than %d bytes was skipped", MaxLineLength))
			delete(c.partial, task)
		default:
			line := append(c.partial[task], p[:i]...)
			delete(c.partial, task)
			out = append(out, c.Line(task, string(bytes.TrimSuffix(line, []byte("\r"))))...)
		}
		p = p[i+1:]
	}
	return out
}

// Flush ends a task's output: its last line, if unterminated, is parsed.
func (c *Collector) Flush(task string) []MetricLog {
	line, ok := c.partial[task]
	delete(c.partial, task)
	delete(c.skip, task)
	if !ok || c.parser == nil {
		return nil
	}
	return c.Line(task, string(line))
}

// Line parses one complete line of a task's output.
func (c *Collector) Line(task, line string) []MetricLog {
	if c.parser == nil {
		return nil
	}
	logs, err := c.parser.Parse(task, line)
	if err != nil {
		c.note(task, err)
	}
	return c.Add(logs...)
}

// Add records reports from elsewhere (Metrics artifacts, mlpipeline-metrics).
// Reports of metrics the experiment does not collect and values that are not
// finite are dropped; the rest get their Step and are returned.
func (c *Collector) Add(logs ...MetricLog) []MetricLog {
	var out []MetricLog
	for _, l := range logs {
		if math.IsNaN(l.Value) || math.IsInf(l.Value, 0) {
			continue
		}
		hit := false
		for i, n := range c.names {
			if matches(n, l.Task, l.Name) {
				c.stats[i].add(l.Value, l.Time)
				hit = true
			}
		}
		if !hit {
			continue
		}
		c.steps[l.Name]++
		l.Step = c.steps[l.Name]
		if len(c.logs) < MaxMetricLogs {
			c.logs = append(c.logs, l)
		} else {
			c.dropped++
		}
		out = append(out, l)
	}
	return out
}

// Logs returns the reports kept so far, in the order they came.
func (c *Collector) Logs() []MetricLog { return c.logs }

// Dropped returns how many reports were counted but not kept (past
// MaxMetricLogs).
func (c *Collector) Dropped() int { return c.dropped }

// Observation returns the trial's observation so far (exact even when
// reports were dropped).
func (c *Collector) Observation() Observation {
	o := Observation{Metrics: make([]Metric, len(c.names))}
	for i, n := range c.names {
		o.Metrics[i] = c.stats[i].metric(n)
	}
	return o
}

// Notes returns the first problems met (values that are not numbers, lines
// that are not JSON objects, over-long lines), for the trial's log.
func (c *Collector) Notes() []string { return c.notes }

func (c *Collector) note(task string, err error) {
	if len(c.notes) < maxNotes {
		prefix := ""
		if task != "" {
			prefix = "task " + task + ": "
		}
		c.notes = append(c.notes, prefix+err.Error())
	}
}
