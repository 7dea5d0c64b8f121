package api

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/store"
)

// runningTask creates a run with one RUNNING task whose log is logURI.
func runningTask(t testing.TB, ts *testServer, logURI string) (runID string) {
	t.Helper()
	run := ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{
		"display_name": "log", "pipeline_spec": string(readFile(t, "../examples/tutorial/pipeline.yaml"))}})
	runID = run["run_id"].(string)
	if _, err := ts.st.UpdateRun(context.Background(), runID, func(r *store.Run) error { r.State = runstate.Running; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := ts.st.PutTask(context.Background(), &store.Task{RunID: runID, ID: "step", Key: "step", Name: "step", Kind: "container",
		State: runstate.Running, LogURI: logURI, Created: time.Now(), Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return runID
}

// finishTask marks the task SUCCEEDED (from any goroutine).
func finishTask(t testing.TB, ts *testServer, runID, logURI string) {
	t.Helper()
	if err := ts.st.PutTask(context.Background(), &store.Task{RunID: runID, ID: "step", Key: "step", Name: "step", Kind: "container",
		State: runstate.Succeeded, LogURI: logURI, Created: time.Now(), Started: time.Now(), Finished: time.Now()}); err != nil {
		t.Error(err)
	}
}

// logLine is line i of the test logs: 100 bytes with its newline.
func logLine(i int) string { return fmt.Sprintf("%08d %s\n", i, strings.Repeat("x", 90)) }

func logChunkOf(from, to int) []byte {
	var b strings.Builder
	b.Grow((to - from) * 100)
	for i := from; i < to; i++ {
		b.WriteString(logLine(i))
	}
	return []byte(b.String())
}

// follow reads a followed log's SSE stream to its end event and checks
// that it holds lines 0..n-1 in order; onFirst is called after the first
// line.
func follow(t *testing.T, ctx context.Context, url string, n int, onFirst func()) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("follow: %d %s", resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 2<<20)
	got, ended := 0, false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
		case line == "event: end":
			ended = true
		case ended:
			if line != "data: SUCCEEDED" {
				t.Fatalf("end event data %q", line)
			}
		case strings.HasPrefix(line, "data: "):
			if want := strings.TrimSuffix(logLine(got), "\n"); line[len("data: "):] != want {
				t.Fatalf("line %d: %.40q, want %.40q", got, line, want)
			}
			got++
			if got == 1 && onFirst != nil {
				onFirst()
			}
		default:
			t.Fatalf("unexpected SSE line %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("after %d of %d lines: %v", got, n, err)
	}
	if got != n || !ended {
		t.Fatalf("got %d of %d lines, end event %v", got, n, ended)
	}
}

// Following a log costs time linear in its size: a 50 MB log (500,000
// lines) written while it is followed streams whole. The deadline is
// generous for a linear stream (seconds) and far beyond the reach of one
// that re-reads or re-copies what it has sent (hours for this size).
func TestFollowLargeLog(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB log")
	}
	root := t.TempDir()
	ts := newTestServer(t, func(c *Config) { c.ArtifactRoot = root })
	logPath := filepath.Join(root, "log.txt")
	const lines, chunks = 500_000, 10
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(logChunkOf(0, lines/chunks)) // there before the follow starts
	runID := runningTask(t, ts, logPath)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	written := make(chan struct{})
	follow(t, ctx, ts.URL+"/apis/sluice/v1/runs/"+runID+"/logs/step?follow=true", lines, func() {
		go func() { // the rest while it is followed, then the task ends
			defer close(written)
			for c := 1; c < chunks; c++ {
				f.Write(logChunkOf(c*lines/chunks, (c+1)*lines/chunks))
				time.Sleep(pollEvery / 2)
			}
			finishTask(t, ts, runID, logPath)
		}()
	})
	<-written
}

// countingStore counts the bytes read from a store through Open and
// OpenAt.
type countingStore struct {
	artifact.Store
	read atomic.Int64
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (r countingReader) Read(b []byte) (int, error) {
	n, err := r.ReadCloser.Read(b)
	r.n.Add(int64(n))
	return n, err
}

func (s *countingStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.Store.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	return countingReader{rc, &s.read}, nil
}

func (s *countingStore) OpenAt(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	rc, err := artifact.OpenAt(ctx, s.Store, key, offset)
	if err != nil {
		return nil, err
	}
	return countingReader{rc, &s.read}, nil
}

// A log in a bucket is replaced by longer copies while its step runs (the
// launcher mirrors it); following it reads each byte once, with ranged
// reads, not the whole object at every poll.
func TestFollowBucketLogReadsEachByteOnce(t *testing.T) {
	mem, err := artifact.Open(context.Background(), "mem://logs/p")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	st := &countingStore{Store: mem}
	ts := newTestServer(t, func(c *Config) { c.Artifacts = st })
	put := func(b []byte) {
		w, err := mem.Create(context.Background(), "run/step/log.txt")
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	const lines, copies = 50_000, 5 // 5 MB in the end
	put(logChunkOf(0, lines/copies))
	uri := mem.URI("run/step/log.txt")
	runID := runningTask(t, ts, uri)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	written := make(chan struct{})
	follow(t, ctx, ts.URL+"/apis/sluice/v1/runs/"+runID+"/logs/step?follow=true", lines, func() {
		go func() {
			defer close(written)
			for c := 2; c <= copies; c++ {
				put(logChunkOf(0, c*lines/copies))
				time.Sleep(pollEvery)
			}
			finishTask(t, ts, runID, uri)
		}()
	})
	<-written
	if n, size := st.read.Load(), int64(lines*100); n != size {
		t.Errorf("following a %d-byte log read %d bytes from the store, want each byte once", size, n)
	}
}

// A line longer than maxLogLine is sent in pieces; a last line without a
// newline is sent at the end.
func TestFollowLongLines(t *testing.T) {
	root := t.TempDir()
	ts := newTestServer(t, func(c *Config) { c.ArtifactRoot = root })
	logPath := filepath.Join(root, "log.txt")
	long := strings.Repeat("y", maxLogLine+maxLogLine/2)
	os.WriteFile(logPath, []byte("first\r\n"+long+"\nlast"), 0o644)
	runID := runningTask(t, ts, logPath)
	finishTask(t, ts, runID, logPath)
	resp, err := http.Get(ts.URL + "/apis/sluice/v1/runs/" + runID + "/logs/step?follow=true")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var data []string
	for _, l := range strings.Split(string(b), "\n") {
		if d, ok := strings.CutPrefix(l, "data: "); ok {
			data = append(data, d)
		}
	}
	if len(data) < 5 || data[0] != "first" || strings.Join(data[1:len(data)-2], "") != long || data[len(data)-2] != "last" || data[len(data)-1] != "SUCCEEDED" {
		t.Errorf("%d data lines: %.60q", len(data), data)
	}
	for _, d := range data {
		if len(d) > maxLogLine+logChunk {
			t.Errorf("a data line of %d bytes", len(d))
		}
	}
}

// BenchmarkFollowLog follows a finished 2.5 MB log (25,000 lines) to its
// end; "get" reads the same log without following, the floor.
func BenchmarkFollowLog(b *testing.B) {
	root := b.TempDir()
	ts := newTestServer(b, func(c *Config) { c.ArtifactRoot = root })
	logPath := filepath.Join(root, "log.txt")
	content := logChunkOf(0, 25_000)
	os.WriteFile(logPath, content, 0o644)
	runID := runningTask(b, ts, logPath)
	finishTask(b, ts, runID, logPath)
	for _, bc := range []struct{ name, query string }{{"get", ""}, {"follow", "?follow=true"}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(content)))
			for b.Loop() {
				resp, err := http.Get(ts.URL + "/apis/sluice/v1/runs/" + runID + "/logs/step" + bc.query)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
