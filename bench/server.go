package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/server"
	"github.com/sluicehq/sluice/store"
)

// startServer starts an in-process server on a free loopback port, with
// SQLite under dir or the PostgreSQL at pg.
func startServer(dir, pg string, parallelism, maxRuns int) (base string, stop func() error, err error) {
	cfg := server.Defaults()
	cfg.Addr, cfg.Data, cfg.NoExamples = "127.0.0.1:0", filepath.Join(dir, "data"), true
	cfg.Artifacts = filepath.Join(cfg.Data, "artifacts")
	cfg.DB = pg
	if parallelism > 0 {
		cfg.Parallelism = parallelism
	}
	if maxRuns > 0 {
		cfg.MaxConcurrentRuns = maxRuns
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, nil)
	if err != nil {
		cancel()
		return "", nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	return "http://" + srv.Addr(), func() error { cancel(); return <-done }, nil
}

type wireRun struct {
	RunID      string    `json:"run_id"`
	State      string    `json:"state"`
	FinishedAt time.Time `json:"finished_at"`
	Error      *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func call(method, url string, body any, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	if r, ok := out.(*wireRun); ok {
		return decodeFields(resp.Body, r, wireRunFields)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// wireRunFields are the fields of a run the benchmark reads.
var wireRunFields = []string{"run_id", "state", "finished_at", "error"}

// decodeFields decodes the fields named keep of the JSON object in r into
// out, skipping every other field as it reads it: a run with 10,000 tasks
// answers a GET with megabytes of task_details, which the polling client
// (in the same process as the server it measures) would otherwise hold
// whole on every poll. The skipping is a byte scan (json.Decoder.Token
// allocates for every token: seconds of CPU a poll at that size).
func decodeFields(r io.Reader, out any, keep []string) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if c, err := nextByte(br); err != nil {
		return err
	} else if c != '{' {
		return fmt.Errorf("not a JSON object: starts with %q", c)
	}
	kept := map[string]json.RawMessage{}
	for {
		c, err := nextByte(br)
		if err != nil {
			return err
		}
		switch c {
		case '}':
			b, err := json.Marshal(kept)
			if err != nil {
				return err
			}
			return json.Unmarshal(b, out)
		case ',':
			continue
		case '"':
		default:
			return fmt.Errorf("JSON object: unexpected %q", c)
		}
		var key bytes.Buffer
		if err := copyString(br, &key); err != nil {
			return err
		}
		if c, err := nextByte(br); err != nil {
			return err
		} else if c != ':' {
			return fmt.Errorf("JSON object: unexpected %q after a key", c)
		}
		var val *bytes.Buffer
		name, _ := strconv.Unquote(`"` + key.String()) // key holds the closing quote
		if slices.Contains(keep, name) {
			val = &bytes.Buffer{}
		}
		if err := skipValue(br, val); err != nil {
			return err
		}
		if val != nil {
			kept[name] = val.Bytes()
		}
	}
}

// nextByte is the next byte of br that is not white space.
func nextByte(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c, nil
		}
	}
}

// skipValue reads one JSON value from br, copying it to to unless to is
// nil.
func skipValue(br *bufio.Reader, to *bytes.Buffer) error {
	put := func(c byte) {
		if to != nil {
			to.WriteByte(c)
		}
	}
	c, err := nextByte(br)
	if err != nil {
		return err
	}
	put(c)
	switch c {
	case '"':
		return copyString(br, to)
	case '{', '[':
		depth := 1
		for depth > 0 {
			c, err := br.ReadByte()
			if err != nil {
				return err
			}
			put(c)
			switch c {
			case '"':
				if err := copyString(br, to); err != nil {
					return err
				}
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
		return nil
	}
	for { // a number, true, false or null
		c, err := br.ReadByte()
		if err != nil {
			return err
		}
		if strings.IndexByte(",}] \t\r\n", c) >= 0 {
			return br.UnreadByte()
		}
		put(c)
	}
}

// copyString reads the rest of a JSON string whose opening quote was read,
// copying it (closing quote included) to to unless to is nil.
func copyString(br *bufio.Reader, to *bytes.Buffer) error {
	escaped := false
	for {
		c, err := br.ReadByte()
		if err != nil {
			return err
		}
		if to != nil {
			to.WriteByte(c)
		}
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			return nil
		}
	}
}

func submit(base string, specJSON []byte, name string) (string, error) {
	var r wireRun
	err := call("POST", base+"/apis/v2beta1/runs", map[string]any{"display_name": name, "pipeline_spec": json.RawMessage(specJSON)}, &r)
	return r.RunID, err
}

// wait polls the run until it ends, every interval at first, backing off
// to 10x that (each poll lists the run's tasks: polling costs server CPU).
func wait(base, id string, interval, timeout time.Duration) (wireRun, error) {
	maxInterval := 10 * interval
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var r wireRun
		if err := call("GET", base+"/apis/v2beta1/runs/"+id, nil, &r); err != nil {
			return r, err
		}
		switch r.State {
		case "SUCCEEDED":
			return r, nil
		case "FAILED", "CANCELED", "SKIPPED":
			msg := ""
			if r.Error != nil {
				msg = r.Error.Message
			}
			return r, fmt.Errorf("run %s %s: %s", id, r.State, msg)
		}
		time.Sleep(interval)
		interval = min(interval*3/2, maxInterval)
	}
	return wireRun{}, fmt.Errorf("run %s not finished after %s", id, timeout)
}

// serverChild submits one workload to an in-process server and measures
// from the POST to the run's finished_at (the poll that sees it
// SUCCEEDED, if the server gives no finished_at).
func serverChild(dir, mode, name string, size int, python bool, pg string, prof profiles) (*childResult, error) {
	w, err := Generate(name, size, python)
	if err != nil {
		return nil, err
	}
	dsn := ""
	if mode == "server-postgres" {
		dsn = pg
	}
	base, stop, err := startServer(dir, dsn, w.Par, 0)
	if err != nil {
		return nil, err
	}
	js := w.JSON()
	var start, end time.Time
	res, err := measure(prof, func() (string, error) {
		start = time.Now()
		id, err := submit(base, js, "bench-"+name)
		if err != nil {
			return "", err
		}
		r, err := wait(base, id, 10*time.Millisecond, time.Hour)
		end = r.FinishedAt
		return "", err
	})
	if err == nil && !end.IsZero() && end.After(start) {
		res.WallMS = ms(end.Sub(start))
	}
	if serr := stop(); err == nil && serr != nil {
		err = serr
	}
	return res, err
}

// apiChild stores seed runs (1 KB specs, over 100 experiments) before the
// server starts, then creates n runs of a one-step pipeline from 4 clients
// at once and reports the POST throughput and latency, then the latency of
// listing the newest page of 100 runs (lists times, after the runs ended).
func apiChild(dir, mode string, n, seed, lists int, pg string, prof profiles) (*childResult, error) {
	dsn := filepath.Join(dir, "data", "sluice.db")
	if mode == "api-postgres" {
		dsn = pg
	}
	seedTime, err := seedRuns(dsn, seed)
	if err != nil {
		return nil, fmt.Errorf("seed runs: %w", err)
	}
	base, stop, err := startServer(dir, dsn, 0, 64)
	if err != nil {
		return nil, err
	}
	defer stop()
	g := &gen{comps: map[string]any{}, execs: map[string]any{}}
	g.noop("noop", false)
	spec := pipeline("bench-api", m{"tasks": m{"noop": task("noop", nil, nil)}}, nil)
	spec["schemaVersion"], spec["components"], spec["deploymentSpec"] = "2.1.0", g.comps, m{"executors": g.execs}
	js, _ := json.Marshal(spec)

	var (
		mu   sync.Mutex
		lat  []time.Duration
		ids  []string
		errs []error
	)
	var createTime time.Duration
	res, err := measure(prof, func() (string, error) {
		start := time.Now()
		next := make(chan int)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for i := range next {
					t0 := time.Now()
					id, err := submit(base, js, fmt.Sprintf("api-%d", i))
					d := time.Since(t0)
					mu.Lock()
					lat, ids = append(lat, d), append(ids, id)
					if err != nil {
						errs = append(errs, err)
					}
					mu.Unlock()
				}
			})
		}
		for i := range n {
			next <- i
		}
		close(next)
		wg.Wait()
		createTime = time.Since(start)
		if len(errs) > 0 {
			return "", errs[0]
		}
		for _, id := range ids {
			if _, err := wait(base, id, 20*time.Millisecond, time.Hour); err != nil {
				return "", err
			}
		}
		return "", nil
	})
	if err != nil {
		return nil, err
	}
	total := seed + n
	for range lists {
		t0 := time.Now()
		var page struct {
			Runs      []json.RawMessage `json:"runs"`
			TotalSize int               `json:"total_size"`
		}
		if err := call("GET", base+"/apis/v2beta1/runs?page_size=100&sort_by=created_at%20desc", nil, &page); err != nil {
			return nil, err
		}
		res.ListMS = append(res.ListMS, ms(time.Since(t0)))
		if len(page.Runs) != min(total, 100) || page.TotalSize != total {
			return nil, fmt.Errorf("list runs: %d runs of %d, want %d of %d", len(page.Runs), page.TotalSize, min(total, 100), total)
		}
	}
	res.Note = fmt.Sprintf("%d runs stored first (%s); create %d runs (4 clients): %.0f runs/s, POST p50 %s p95 %s; all done after %s",
		seed, fmtMS(ms(seedTime)), n, float64(n)/createTime.Seconds(), pct(lat, 50), pct(lat, 95), fmtMS(res.WallMS))
	res.WallMS = ms(createTime)
	return res, nil
}

// seedRuns stores n finished runs in the database at dsn (creating its
// schema) with store.CreateRuns: 1 KB specs, over 100 experiments, one a
// second. On PostgreSQL it then does what autovacuum does soon after a
// bulk insert (VACUUM ANALYZE), so that COUNTs can use index-only scans.
func seedRuns(dsn string, n int) (time.Duration, error) {
	if n <= 0 {
		return 0, nil
	}
	start := time.Now()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	var exps []string
	for i := range 100 {
		e := &store.Experiment{DisplayName: fmt.Sprintf("seed-%d", i)}
		if err := st.CreateExperiment(ctx, e); err != nil {
			return 0, err
		}
		exps = append(exps, e.ID)
	}
	spec := []byte(`{"pipelineInfo":{"name":"seed"},"pad":"` + strings.Repeat("x", 1000) + `"}`)
	t0 := time.Now().Add(-time.Duration(n+1) * time.Second)
	states := []runstate.State{"SUCCEEDED", "FAILED", "SUCCEEDED", "CANCELED"}
	const chunk = 10_000
	for lo := 0; lo < n; lo += chunk {
		var rs []*store.Run
		for i := lo; i < min(n, lo+chunk); i++ {
			created := t0.Add(time.Duration(i) * time.Second)
			rs = append(rs, &store.Run{
				ExperimentID: exps[i%len(exps)], DisplayName: fmt.Sprintf("seed-%d", i), State: states[i%len(states)],
				Spec: spec, Params: []byte(`{"lr":0.1}`), CreatedAt: created, ScheduledAt: created,
				FinishedAt: created.Add(time.Second), StateHistory: []store.StateChange{{State: "PENDING", Time: created}},
			})
		}
		if err := st.CreateRuns(ctx, rs); err != nil {
			return 0, err
		}
	}
	if strings.HasPrefix(dsn, "postgres") {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return 0, err
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, "VACUUM ANALYZE runs"); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func pct(ds []time.Duration, p int) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return "-"
	}
	return fmtMS(ms(s[min(len(s)-1, len(s)*p/100)]))
}

func fmtMS(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2fs", v/1000)
	}
	return fmt.Sprintf("%.1fms", v)
}
