package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/store"
)

// guard is how long a test waits for something that must happen soon; it
// only keeps a broken test from hanging.
const guard = 30 * time.Second

// changeServer serves streamChanges with poll at /events; each stream's
// end is sent on the returned channel.
func changeServer(t *testing.T, p pace, poll func(ctx context.Context, ev *sse) (bool, error)) (*httptest.Server, chan *sse) {
	t.Helper()
	ended := make(chan *sse, 8)
	s := &server{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		var last *sse
		s.streamChanges(w, r, p, nil, func(ctx context.Context, ev *sse) (bool, error) {
			last = ev
			return poll(ctx, ev)
		})
		ended <- last
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, ended
}

func waitEnd(t *testing.T, ended chan *sse) *sse {
	t.Helper()
	select {
	case ev := <-ended:
		return ev
	case <-time.After(guard):
		t.Fatal("the stream's handler did not return")
		return nil
	}
}

// The first poll is the snapshot, sent before any wait; later polls send
// what changed; the stream ends when poll says so, with the headers of an
// event stream.
func TestStreamChangesSnapshotEventsEnd(t *testing.T) {
	n := 0
	srv, ended := changeServer(t, pace{poll: time.Millisecond, heartbeat: time.Hour, write: guard}, func(ctx context.Context, ev *sse) (bool, error) {
		n++
		switch n {
		case 1:
			ev.send("snapshot", "a\nb")
		case 2, 3:
		case 4:
			ev.send("change", fmt.Sprint(n))
		default:
			ev.send("end", "done")
			return true, nil
		}
		return false, nil
	})
	res, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	for k, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := "event: snapshot\ndata: a\ndata: b\n\nevent: change\ndata: 4\n\nevent: end\ndata: done\n\n"
	if string(b) != want {
		t.Errorf("stream = %q, want %q", b, want)
	}
	if ev := waitEnd(t, ended); ev.err != nil {
		t.Errorf("error at the end of a complete stream: %v", ev.err)
	}
}

// A poll that fails ends the stream with an "error" event holding the
// error's message.
func TestStreamChangesError(t *testing.T) {
	n := 0
	srv, ended := changeServer(t, pace{poll: time.Millisecond, heartbeat: time.Hour, write: guard}, func(ctx context.Context, ev *sse) (bool, error) {
		n++
		if n == 1 {
			ev.send("snapshot", "x")
			return false, nil
		}
		return false, errors.New("the store is gone")
	})
	res, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if want := "event: snapshot\ndata: x\n\nevent: error\ndata: the store is gone\n\n"; string(b) != want {
		t.Errorf("stream = %q, want %q", b, want)
	}
	waitEnd(t, ended)
}

// The snapshot reaches the client at once, before the first wait: a client
// of a stream whose poll period is an hour still reads it.
func TestStreamChangesSnapshotIsFlushed(t *testing.T) {
	srv, _ := changeServer(t, pace{poll: time.Hour, heartbeat: time.Hour, write: guard}, func(ctx context.Context, ev *sse) (bool, error) {
		ev.send("snapshot", "now")
		return false, nil
	})
	br := openStream(t, srv.URL+"/events")
	for _, want := range []string{"event: snapshot\n", "data: now\n"} {
		if line, err := br.ReadString('\n'); line != want {
			t.Fatalf("read %q (%v), want %q", line, err, want)
		}
	}
}

// A client that goes away ends the stream: the handler returns and polls
// no more.
func TestStreamChangesClientDisconnect(t *testing.T) {
	var polls atomic.Int64
	srv, ended := changeServer(t, pace{poll: time.Millisecond, heartbeat: time.Hour, write: guard}, func(ctx context.Context, ev *sse) (bool, error) {
		if polls.Add(1) == 1 {
			ev.send("snapshot", "x")
		}
		return false, nil
	})
	res, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(res.Body).ReadString('\n'); line != "event: snapshot\n" {
		t.Fatalf("read %q (%v)", line, err)
	}
	res.Body.Close() // the client leaves
	if ev := waitEnd(t, ended); ev.err != nil {
		t.Logf("the stream's last write failed: %v", ev.err)
	}
}

// A client that reads slowly gets every event, in order, and the end.
func TestStreamChangesSlowReader(t *testing.T) {
	const events = 40
	payload := strings.Repeat("x", 16<<10)
	n := 0
	srv, ended := changeServer(t, pace{poll: time.Millisecond, heartbeat: time.Hour, write: guard}, func(ctx context.Context, ev *sse) (bool, error) {
		n++
		if n > events {
			ev.send("end", "done")
			return true, nil
		}
		ev.send("change", fmt.Sprint(n, " ", payload))
		return false, nil
	})
	res, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	br := bufio.NewReaderSize(res.Body, 64<<10)
	next := 1
	for {
		time.Sleep(time.Millisecond) // a slow reader: a pause before each line
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("after event %d: %v", next-1, err)
		}
		if line == "data: done\n" {
			break
		}
		if strings.HasPrefix(line, "data: ") {
			if want := fmt.Sprint("data: ", next, " ", payload, "\n"); line != want {
				t.Fatalf("event %d: read %.40q…", next, line)
			}
			next++
		}
	}
	if next != events+1 {
		t.Errorf("got %d events, want %d", next-1, events)
	}
	if ev := waitEnd(t, ended); ev.err != nil {
		t.Errorf("error at the end: %v", ev.err)
	}
}

// A client that stops reading does not hold the handler: once a write
// waits longer than the write timeout, the stream ends with a timeout.
func TestStreamChangesStalledClient(t *testing.T) {
	payload := strings.Repeat("y", 256<<10)
	srv, ended := changeServer(t, pace{poll: time.Millisecond, heartbeat: time.Hour, write: 100 * time.Millisecond}, func(ctx context.Context, ev *sse) (bool, error) {
		ev.send("change", payload) // more than the connection's buffers hold, soon
		return false, nil
	})
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n") // and never read
	ev := waitEnd(t, ended)
	if !errors.Is(ev.err, os.ErrDeadlineExceeded) {
		t.Errorf("stream ended with %v, want a write timeout", ev.err)
	}
}

// A silent stream gets heartbeats: comment lines, which are no event.
func TestStreamChangesHeartbeat(t *testing.T) {
	srv, _ := changeServer(t, pace{poll: time.Millisecond, heartbeat: 5 * time.Millisecond, write: guard}, func(ctx context.Context, ev *sse) (bool, error) {
		return false, nil
	})
	br := openStream(t, srv.URL+"/events")
	for _, want := range []string{": keep-alive\n", "\n", ": keep-alive\n", "\n"} {
		if line, err := br.ReadString('\n'); line != want {
			t.Fatalf("read %q (%v), want %q", line, err, want)
		}
	}
}

// openStream opens a stream of events; it is closed when the test ends.
func openStream(t *testing.T, url string) *bufio.Reader {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return bufio.NewReader(res.Body)
}

// eventReader reads a Server-Sent Event stream, one event at a time.
type eventReader struct{ br *bufio.Reader }

func openEvents(t *testing.T, ts *testServer, path string) *eventReader {
	return &eventReader{br: openStream(t, ts.URL+path)}
}

// next returns the next event's name and data, skipping comments.
func (e *eventReader) next(t *testing.T) (event, data string) {
	t.Helper()
	var lines []string
	for {
		line, err := e.br.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && (event != "" || lines != nil):
			return event, strings.Join(lines, "\n")
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			lines = append(lines, strings.TrimPrefix(line, "data: "))
		}
	}
}

// until reads events up to the first one named event and returns its data.
func (e *eventReader) until(t *testing.T, event string) string {
	t.Helper()
	for {
		ev, data := e.next(t)
		if ev == "error" {
			t.Fatalf("error event: %s", data)
		}
		if ev == event {
			return data
		}
	}
}

// A run's events: the snapshot (its tasks and state), each change, the
// end; an unknown run is a 404 before any stream.
func TestRunEvents(t *testing.T) {
	ts := newTestServer(t, nil)
	if res := ts.do(t, request{Method: "GET", Path: sluicePrefix + "/runs/nope/events"}); res.Status != http.StatusNotFound {
		t.Fatalf("unknown run: %d %s", res.Status, res.Body)
	}
	runID := runningTask(t, ts, "")
	ev := openEvents(t, ts, sluicePrefix+"/runs/"+runID+"/events")
	if data := ev.until(t, "task"); !strings.Contains(data, `"state":"RUNNING"`) {
		t.Errorf("first task event: %s", data)
	}
	if data := ev.until(t, "run"); !strings.Contains(data, `"state":"RUNNING"`) || !strings.Contains(data, runID) {
		t.Errorf("first run event: %s", data)
	}
	finishTask(t, ts, runID, "")
	if data := ev.until(t, "task"); !strings.Contains(data, `"state":"SUCCEEDED"`) {
		t.Errorf("task change: %s", data)
	}
	if _, err := ts.st.UpdateRun(context.Background(), runID, func(r *store.Run) error { r.State = runstate.Succeeded; return nil }); err != nil {
		t.Fatal(err)
	}
	if data := ev.until(t, "end"); data != "SUCCEEDED" {
		t.Errorf("end = %q", data)
	}
}

// A tuning experiment's events: the snapshot (the experiment and its
// trials); an unknown experiment is a 404 before any stream.
func TestTuningEvents(t *testing.T) {
	ts := newTuningServer(t)
	const p = "/apis/sluice/v1/tuning/experiments"
	if res := ts.do(t, request{Method: "GET", Path: p + "/nope/events"}); res.Status != http.StatusNotFound {
		t.Fatalf("unknown experiment: %d %s", res.Status, res.Body)
	}
	created := ts.mustDo(t, request{Method: "POST", Path: p, Body: map[string]any{
		"experiment": tuningExperiment("events", "{file: quad.yaml}"), "pipeline_spec": yamlToJSON(t, []byte(tuningPipeline))}})
	id, _ := created["id"].(string)
	ev := openEvents(t, ts, p+"/"+id+"/events")
	seen := map[string]string{}
	for seen["experiment"] == "" || seen["trial"] == "" {
		name, data := ev.next(t)
		if name == "error" {
			t.Fatalf("error event: %s", data)
		}
		seen[name] = data
	}
	if data := seen["experiment"]; !strings.Contains(data, `"name":"events"`) {
		t.Errorf("experiment event: %s", data)
	}
	if data := seen["trial"]; !strings.Contains(data, `"parameter_assignments"`) {
		t.Errorf("trial event: %s", data)
	}
}
