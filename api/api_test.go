package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sluicehq/sluice/archetype"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/store"
)

// fakeRuns is the executor seam: it stores submitted runs as PENDING and
// moves states the way the real runner does, without running anything.
type fakeRuns struct {
	st  store.Store
	now func() time.Time

	SubmitFunc    func(ctx context.Context, r *store.Run) error
	TerminateFunc func(ctx context.Context, id string) error
	RetryFunc     func(ctx context.Context, id string) error
}

func (f *fakeRuns) Submit(ctx context.Context, r *store.Run) error {
	if f.SubmitFunc != nil {
		return f.SubmitFunc(ctx, r)
	}
	r.State = runstate.Pending
	r.StateHistory = append(r.StateHistory, store.StateChange{State: r.State, Time: f.now()})
	return f.st.CreateRun(ctx, r)
}

func (f *fakeRuns) Terminate(ctx context.Context, id string) error {
	if f.TerminateFunc != nil {
		return f.TerminateFunc(ctx, id)
	}
	return f.move(ctx, id, runstate.Canceled, runstate.Pending, runstate.Running)
}

func (f *fakeRuns) Retry(ctx context.Context, id string) error {
	if f.RetryFunc != nil {
		return f.RetryFunc(ctx, id)
	}
	return f.move(ctx, id, runstate.Pending, runstate.Failed, runstate.Canceled)
}

func (f *fakeRuns) Delete(ctx context.Context, id string) error {
	run, err := f.st.GetRun(ctx, id)
	if err != nil {
		return err
	}
	if st := run.State; st != runstate.Canceling && !st.Terminal() {
		if err := f.Terminate(ctx, id); err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return f.st.DeleteRun(ctx, id)
}

func (f *fakeRuns) move(ctx context.Context, id string, to runstate.State, from ...runstate.State) error {
	_, err := f.st.UpdateRun(ctx, id, func(r *store.Run) error {
		for _, s := range from {
			if r.State == s {
				r.State = to
				r.StateHistory = append(r.StateHistory, store.StateChange{State: r.State, Time: f.now()})
				return nil
			}
		}
		return fmt.Errorf("run %s is %s: %w", id, r.State, store.ErrConflict)
	})
	return err
}

// clock is a deterministic clock that ticks one second per reading.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

type testServer struct {
	*httptest.Server
	st    store.Store
	runs  *fakeRuns
	token string
	api   *server
}

// newTestServer serves the API over a real SQLite store in a temporary
// directory.
func newTestServer(t testing.TB, edit func(*Config)) *testServer {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "sluice.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return newTestServerOn(t, st, edit)
}

// newTestServerOn serves the API over st.
func newTestServerOn(t testing.TB, st store.Store, edit func(*Config)) *testServer {
	t.Helper()
	clk := &clock{t: time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)}
	runs := &fakeRuns{st: st, now: clk.Now}
	cfg := Config{
		Store: st,
		Runs:  runs,
		Archetype: archetype.Archetype{
			Logger: slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
			Clock:  clk.Now,
		},
		Commit:  "0123456789abcdef",
		Version: "test",
	}
	if edit != nil {
		edit(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, st: st, runs: runs, token: cfg.Token, api: h.(*server)}
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// request is one API call.
type request struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Body is a JSON request body.
	Body any `json:"body,omitempty"`
	// RawBody is sent as it is (for malformed bodies).
	RawBody string `json:"-"`
	// File is uploaded as the multipart field "uploadfile" (Upload names
	// it in the golden file).
	File       []byte            `json:"-"`
	FileName   string            `json:"-"`
	FormField  string            `json:"-"`
	Upload     string            `json:"uploadfile,omitempty"`
	Header     map[string]string `json:"-"`
	NoAuthAuto bool              `json:"-"`
}

type response struct {
	Status int
	Body   []byte
	Header http.Header
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

func (ts *testServer) do(t testing.TB, req request) response {
	t.Helper()
	var body io.Reader
	ctype := ""
	switch {
	case req.File != nil || req.FormField != "":
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		field := req.FormField
		if field == "" {
			field = uploadField
		}
		fw, err := mw.CreateFormFile(field, req.FileName)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(req.File)
		mw.Close()
		body, ctype = &buf, mw.FormDataContentType()
	case req.RawBody != "":
		body, ctype = strings.NewReader(req.RawBody), "application/json"
	case req.Body != nil:
		b, err := json.Marshal(req.Body)
		if err != nil {
			t.Fatal(err)
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	hr, err := http.NewRequest(req.Method, ts.URL+req.Path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		hr.Header.Set("Content-Type", ctype)
	}
	if ts.token != "" && !req.NoAuthAuto {
		hr.Header.Set("Authorization", "Bearer "+ts.token)
	}
	for k, v := range req.Header {
		hr.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", req.Method, req.Path, ct)
	}
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// mustDo is do that fails the test unless the status is 200.
func (ts *testServer) mustDo(t testing.TB, req request) map[string]any {
	t.Helper()
	r := ts.do(t, req)
	if r.Status != http.StatusOK {
		t.Fatalf("%s %s: status %d: %s", req.Method, req.Path, r.Status, r.Body)
	}
	return r.json(t)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// yamlToJSON converts a compiled pipeline YAML to the JSON object the
// SDK sends as pipeline_spec (yaml.safe_load, then JSON). A file with a
// platform spec becomes {"pipeline_spec", "platform_spec"}.
func yamlToJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []map[string]any
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, m)
	}
	if len(docs) == 2 {
		return map[string]any{"pipeline_spec": docs[0], "platform_spec": docs[1]}
	}
	return docs[0]
}

const conformanceDir = "../../shared/conformance"
