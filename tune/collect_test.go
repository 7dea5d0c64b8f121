package tune

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestTextFormat: Katib's TEXT format, row for row (TUNING.md §4.2).
func TestTextFormat(t *testing.T) {
	p, err := NewLineParser(FormatText, nil, []string{"loss", "accuracy"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line string
		want []MetricLog
		err  string
	}{
		{"loss=0.3", []MetricLog{{Task: "train", Name: "loss", Value: 0.3}}, ""},
		{"2026-01-05T10:00:00Z epoch 3: loss = .25 accuracy=9.5e-01", []MetricLog{
			{Task: "train", Name: "loss", Value: 0.25, Time: ts("2026-01-05T10:00:00Z")},
			{Task: "train", Name: "accuracy", Value: 0.95, Time: ts("2026-01-05T10:00:00Z")}}, ""},
		{"2026-01-05T10:00:00.123+02:00 loss=-1e-3", []MetricLog{{Task: "train", Name: "loss", Value: -0.001, Time: ts("2026-01-05T08:00:00.123Z")}}, ""},
		// Python's default logging time is not RFC 3339: the row has no timestamp.
		{"2026-01-05 10:00:00,123 INFO loss=2", []MetricLog{{Task: "train", Name: "loss", Value: 2}}, ""},
		{"val_loss=0.4", nil, ""},
		{"loss: 0.3", nil, ""},
		{"my-loss=1", nil, ""},
		{"epoch=3 lr=0.1", nil, ""},
		{"loss=nan", nil, `not a finite number: loss="" in "loss=nan"`},
		{"loss=inf accuracy=1", []MetricLog{{Task: "train", Name: "accuracy", Value: 1}}, `not a finite number: loss=""`},
		{"loss=1 loss=2", []MetricLog{{Task: "train", Name: "loss", Value: 1}, {Task: "train", Name: "loss", Value: 2}}, ""},
		{strings.Repeat("a", MaxLineLength+1), nil, "a line of 65537 bytes is longer than 65536 and was skipped"},
	}
	for _, tc := range tests {
		got, err := p.Parse("train", tc.line)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: rows %+v, want %+v", clip(tc.line), got, tc.want)
		}
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: error %v, want %q", clip(tc.line), err, tc.err)
		}
	}

	// A custom filter (Keras style), as metricsFormat gives it.
	keras, err := NewLineParser(FormatText, []string{`([\w-]+)\s*:\s*([+-]?\d*\.?\d+(?:[Ee][+-]?\d+)?)`}, []string{"val_loss"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := keras.Parse("", "Epoch 3/10 - loss: 0.91 - val_loss: 0.89")
	if !reflect.DeepEqual(got, []MetricLog{{Name: "val_loss", Value: 0.89}}) {
		t.Errorf("custom filter: %+v", got)
	}
	if _, err := NewLineParser(FormatText, []string{`(\w+)`}, nil); err == nil {
		t.Error("a filter with one group accepted")
	}
	if _, err := NewLineParser(FormatJSON, []string{`(a)(b)`}, nil); err == nil {
		t.Error("a filter with JSON accepted")
	}
	if _, err := NewLineParser("XML", nil, nil); err == nil {
		t.Error("format XML accepted")
	}
}

func TestJSONFormat(t *testing.T) {
	p, err := NewLineParser(FormatJSON, nil, []string{"loss", "acc"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line string
		want []MetricLog
		err  string
	}{
		{`{"loss": "0.3", "timestamp": "2026-01-05T10:00:00Z"}`, []MetricLog{{Name: "loss", Value: 0.3, Time: ts("2026-01-05T10:00:00Z")}}, ""},
		// Katib reads only strings; Sluice takes numbers too.
		{`{"acc": 0.9, "loss": 1, "epoch": 3}`, []MetricLog{{Name: "acc", Value: 0.9}, {Name: "loss", Value: 1}}, ""},
		{`{"loss": "0.5", "timestamp": 1767607200.25}`, []MetricLog{{Name: "loss", Value: 0.5, Time: time.Unix(1767607200, 250000000).UTC()}}, ""},
		{`{"loss": "0.5", "timestamp": "1767607200"}`, []MetricLog{{Name: "loss", Value: 0.5, Time: time.Unix(1767607200, 0).UTC()}}, ""},
		{"   ", nil, ""},
		{`not json`, nil, `not a JSON object: "not json"`},
		{`[1, 2]`, nil, "not a JSON object"},
		{`{"loss": 1} {"loss": 2}`, nil, "not a JSON object"},
		{`{"loss": "NaN"}`, nil, `loss="NaN" is not a finite number`},
		{`{"loss": true}`, nil, "loss is not a number"},
		{`{"loss": "1", "timestamp": "yesterday"}`, []MetricLog{{Name: "loss", Value: 1}}, `timestamp "yesterday" is neither RFC 3339 text nor Unix seconds`},
		{`{"loss": "1", "timestamp": -5}`, []MetricLog{{Name: "loss", Value: 1}}, "neither RFC 3339"},
	}
	for _, tc := range tests {
		got, err := p.Parse("", tc.line)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: rows %+v, want %+v", tc.line, got, tc.want)
		}
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: error %v, want %q", tc.line, err, tc.err)
		}
	}
}

// TestReduce: min/max over every value; latest by timestamp, a later report
// winning a tie, untimed reports sharing the zero time (TUNING.md §4.1).
func TestReduce(t *testing.T) {
	e := mustLoad(t, strings.Replace(minimalYAML, "objectiveMetricName: loss}", "objectiveMetricName: loss, additionalMetricNames: [acc, eval.f1]}", 1))
	t0 := ts("2026-01-05T10:00:00Z")
	tests := []struct {
		name string
		logs []MetricLog
		want []Metric
	}{
		{"nothing", nil, []Metric{{Name: "loss"}, {Name: "acc"}, {Name: "eval.f1"}}},
		{"untimed: the last wins", []MetricLog{{Name: "loss", Value: 3}, {Name: "loss", Value: 1}, {Name: "loss", Value: 2}},
			[]Metric{{"loss", 1, 3, 2, true}, {Name: "acc"}, {Name: "eval.f1"}}},
		{"timed out of order", []MetricLog{{Name: "loss", Value: 3, Time: t0.Add(2 * time.Second)}, {Name: "loss", Value: 1, Time: t0}, {Name: "acc", Value: 0.5, Time: t0}},
			[]Metric{{"loss", 1, 3, 3, true}, {"acc", 0.5, 0.5, 0.5, true}, {Name: "eval.f1"}}},
		{"equal times: the later row", []MetricLog{{Name: "loss", Value: 3, Time: t0}, {Name: "loss", Value: 4, Time: t0}},
			[]Metric{{"loss", 3, 4, 4, true}, {Name: "acc"}, {Name: "eval.f1"}}},
		{"untimed after timed loses", []MetricLog{{Name: "loss", Value: 3, Time: t0}, {Name: "loss", Value: 4}},
			[]Metric{{"loss", 3, 4, 3, true}, {Name: "acc"}, {Name: "eval.f1"}}},
		{"a task's metric", []MetricLog{{Task: "train", Name: "f1", Value: 0.1}, {Task: "eval", Name: "f1", Value: 0.7}, {Task: "x", Name: "eval.f1", Value: 0.8}, {Name: "other", Value: 9}},
			[]Metric{{Name: "loss"}, {Name: "acc"}, {"eval.f1", 0.7, 0.8, 0.8, true}}},
		{"not finite ignored", []MetricLog{{Name: "loss", Value: math.NaN()}, {Name: "loss", Value: math.Inf(1)}},
			[]Metric{{Name: "loss"}, {Name: "acc"}, {Name: "eval.f1"}}},
	}
	for _, tc := range tests {
		got := e.Observe(tc.logs)
		if !reflect.DeepEqual(got.Metrics, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got.Metrics, tc.want)
		}
		c, err := NewCollector(e)
		if err != nil {
			t.Fatal(err)
		}
		c.Add(tc.logs...)
		if co := c.Observation(); !reflect.DeepEqual(co, got) {
			t.Errorf("%s: collector %+v, Observe %+v", tc.name, co, got)
		}
	}
}

// TestCollectorQuadTrial: the end-to-end trial of TUNING.md §7.4 — a task
// printing "<time> step=k loss=v" — gives the observation of its printed
// values, its steps numbered, whatever the chunking of its output.
func TestCollectorQuadTrial(t *testing.T) {
	e := loadFile(t, "minimal.yaml") // objective loss, strategy min
	var out strings.Builder
	var losses []float64
	t0 := ts("2026-01-05T10:00:00Z")
	for k := 1; k <= 5; k++ {
		v := 2.5 * (1 + 1/float64(k))
		losses = append(losses, v)
		fmt.Fprintf(&out, "%s step=%d loss=%.6f step_time=0.1\r\n", t0.Add(time.Duration(k)*time.Second).Format(time.RFC3339Nano), k, v)
	}
	fmt.Fprintf(&out, "training done loss=%.6f", 2.5) // no newline, no timestamp
	text := out.String()
	for _, chunk := range []int{1, 7, 64, len(text)} {
		c, err := NewCollector(e)
		if err != nil {
			t.Fatal(err)
		}
		var rows []MetricLog
		for i := 0; i < len(text); i += chunk {
			rows = append(rows, c.Write("quad", []byte(text[i:min(i+chunk, len(text))]))...)
		}
		if len(rows) != 5 {
			t.Fatalf("chunk %d: %d rows before Flush, want 5", chunk, len(rows))
		}
		rows = append(rows, c.Flush("quad")...)
		if len(rows) != 6 || rows[4].Step != 5 || rows[5].Step != 6 || rows[0].Time != t0.Add(time.Second) || !rows[5].Time.IsZero() {
			t.Fatalf("chunk %d: rows %+v", chunk, rows)
		}
		o := c.Observation()
		want := Metric{Name: "loss", Min: 2.5, Max: 5, Latest: losses[4], Available: true}
		if !reflect.DeepEqual(o.Metrics, []Metric{want}) {
			t.Errorf("chunk %d: observation %+v, want %+v", chunk, o.Metrics, want)
		}
		if v, ok := e.ObjectiveValue(&o); !ok || v != 2.5 {
			t.Errorf("chunk %d: objective %v %v, want 2.5 (strategy min)", chunk, v, ok)
		}
		if !reflect.DeepEqual(c.Logs(), rows) {
			t.Errorf("chunk %d: Logs differ from the rows returned", chunk)
		}
	}
}

func TestCollectorLimits(t *testing.T) {
	e := loadFile(t, "minimal.yaml")
	c, _ := NewCollector(e)
	long := strings.Repeat("x", MaxLineLength+10)
	var rows []MetricLog
	rows = append(rows, c.Write("t", []byte("loss=1\n"+long[:MaxLineLength/2]))...)
	rows = append(rows, c.Write("t", []byte(long+" loss=99\nloss=2\n"))...)
	rows = append(rows, c.Write("u", []byte("loss=nan\n"))...)
	if len(rows) != 2 || rows[0].Value != 1 || rows[1].Value != 2 {
		t.Errorf("rows %+v: the over-long line should be skipped whole", rows)
	}
	notes := c.Notes()
	if len(notes) != 2 || !strings.Contains(notes[0], "task t: a line longer than 65536 bytes was skipped") || !strings.HasPrefix(notes[1], "task u: not a finite number") {
		t.Errorf("notes %q", notes)
	}
	for range maxNotes * 2 {
		c.Line("u", "loss=nan")
	}
	if len(c.Notes()) != maxNotes {
		t.Errorf("%d notes, want at most %d", len(c.Notes()), maxNotes)
	}

	// Past MaxMetricLogs reports are counted, not kept; the observation stays exact.
	c, _ = NewCollector(e)
	for i := range MaxMetricLogs + 10 {
		c.Add(MetricLog{Name: "loss", Value: float64(i)})
	}
	c.Add(MetricLog{Name: "loss", Value: -1}, MetricLog{Name: "unwanted", Value: 5})
	if len(c.Logs()) != MaxMetricLogs || c.Dropped() != 11 {
		t.Errorf("kept %d, dropped %d", len(c.Logs()), c.Dropped())
	}
	if m := c.Observation().Metrics[0]; m.Min != -1 || m.Max != MaxMetricLogs+9 || m.Latest != -1 {
		t.Errorf("observation %+v", m)
	}
}

func TestCollectorKinds(t *testing.T) {
	withCollector := func(mc string) *Experiment {
		return mustLoad(t, minimalYAML+"  metricsCollectorSpec: "+mc+"\n")
	}
	// File with JSON lines.
	c, err := NewCollector(withCollector("{collector: {kind: File}, source: {fileSystemPath: {path: /out/metrics.json, format: JSON}}}"))
	if err != nil {
		t.Fatal(err)
	}
	if rows := c.Write("", []byte(`{"loss": "0.5"}`+"\nloss=9\n")); len(rows) != 1 || rows[0].Value != 0.5 || len(c.Notes()) != 1 {
		t.Errorf("JSON file rows %+v notes %q", rows, c.Notes())
	}
	// StdOut with a custom filter.
	c, _ = NewCollector(withCollector(`{collector: {kind: StdOut}, source: {filter: {metricsFormat: ['(\w+):\s*(\S+)']}}}`))
	if rows := c.Line("t", "loss: 0.25 loss=9"); len(rows) != 1 || rows[0].Value != 0.25 {
		t.Errorf("custom filter rows %+v", rows)
	}
	// Push and KFPMetrics read no lines; reports come through Add.
	for _, kind := range []string{"Push", "None", "KFPMetrics"} {
		c, _ = NewCollector(withCollector("{collector: {kind: " + kind + "}}"))
		if rows := append(c.Write("t", []byte("loss=1\n")), c.Flush("t")...); rows != nil {
			t.Errorf("%s: lines read: %+v", kind, rows)
		}
		if rows := c.Add(MetricLog{Name: "loss", Value: 3}); len(rows) != 1 || rows[0].Step != 1 {
			t.Errorf("%s: Add %+v", kind, rows)
		}
	}
}

// FuzzMetricsLine: any line in either format parses without panic to
// finite values of wanted metrics only.
func FuzzMetricsLine(f *testing.F) {
	for _, s := range []string{"loss=0.3", "2026-01-05T10:00:00Z loss = .25 accuracy=9.5e-01", "loss=nan",
		`{"loss": "0.3", "timestamp": 1767607200.5}`, `{"accuracy": 1e308}`, "loss=1e999", "a=b=c loss=-.5e-3"} {
		f.Add(s)
	}
	text, _ := NewLineParser(FormatText, nil, []string{"loss", "accuracy", "eval.f1"})
	js, _ := NewLineParser(FormatJSON, nil, []string{"loss", "accuracy", "eval.f1"})
	f.Fuzz(func(t *testing.T, line string) {
		for _, p := range []*LineParser{text, js} {
			rows, _ := p.Parse("eval", line)
			for _, r := range rows {
				if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
					t.Fatalf("%q: not finite: %+v", line, r)
				}
				if !p.wanted("eval", r.Name) {
					t.Fatalf("%q: unwanted metric %q", line, r.Name)
				}
			}
		}
	})
}

// BenchmarkCollectorWrite measures the cost of reading a task's output for
// metrics, against a baseline that only splits the same output into lines.
// The output is a training log where one line in ten reports the objective.
func BenchmarkCollectorWrite(b *testing.B) {
	var out strings.Builder
	for i := range 10000 {
		if i%10 == 0 {
			fmt.Fprintf(&out, "2026-01-05T10:00:%02dZ epoch=%d loss=%.6f accuracy=0.%d\n", i%60, i, 1/float64(i+1), i%97)
		} else {
			fmt.Fprintf(&out, "batch %d/500: lr 0.001, seen %d samples, throughput 1234.5/s\n", i%500, i*32)
		}
	}
	data := []byte(out.String())
	e := mustLoadB(b, strings.Replace(minimalYAML, "objectiveMetricName: loss}", "objectiveMetricName: loss, additionalMetricNames: [accuracy]}", 1))
	b.Run("baseline-lines", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			n := 0
			for _, l := range strings.Split(string(data), "\n") {
				n += len(l)
			}
			_ = n
		}
	})
	b.Run("collector", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			c, _ := NewCollector(e)
			for i := 0; i < len(data); i += 4096 {
				c.Write("train", data[i:min(i+4096, len(data))])
			}
			c.Flush("train")
			if len(c.Logs()) != 2000 {
				b.Fatalf("%d reports", len(c.Logs()))
			}
		}
	})
}

func mustLoadB(b *testing.B, doc string) *Experiment {
	e, err := Load([]byte(doc))
	if err != nil {
		b.Fatal(err)
	}
	return e
}
