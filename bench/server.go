package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/sluicehq/sluice/server"
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
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
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
func serverChild(dir, mode, name string, size int, python bool, pg, cpuprofile string) (*childResult, error) {
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
	res, err := measure(cpuprofile, func() (string, error) {
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

// apiChild creates n runs of a one-step pipeline from 4 clients at once and
// reports the POST throughput and latency, then the latency of listing
// pages of 100 runs once they have all finished.
func apiChild(dir, mode string, n int, pg string) (*childResult, error) {
	dsn := ""
	if mode == "api-postgres" {
		dsn = pg
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
	res, err := measure("", func() (string, error) {
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
	var list []time.Duration
	for range 20 {
		t0 := time.Now()
		var page struct {
			Runs []json.RawMessage `json:"runs"`
		}
		if err := call("GET", base+"/apis/v2beta1/runs?page_size=100&sort_by=created_at%20desc", nil, &page); err != nil {
			return nil, err
		}
		list = append(list, time.Since(t0))
		if len(page.Runs) != min(n, 100) {
			return nil, fmt.Errorf("list runs: %d runs, want %d", len(page.Runs), min(n, 100))
		}
	}
	res.Note = fmt.Sprintf("create %d runs (4 clients): %.0f runs/s, POST p50 %s p95 %s; all done after %s; list page of 100 (of %d) p50 %s",
		n, float64(n)/createTime.Seconds(), pct(lat, 50), pct(lat, 95), fmtMS(res.WallMS), n, pct(list, 50))
	res.WallMS = ms(createTime)
	return res, nil
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
