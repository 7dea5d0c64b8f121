package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/syncbuf"
	"github.com/sluicehq/sluice/server"
)

// The server says what it does at info level: its start (with its
// version), each run's start and end (id, name, pipeline, state,
// duration, error) and its shutdown; --log-format json writes one object a
// line.
func TestServerLogsRunsAndShutdown(t *testing.T) {
	cfg := server.Defaults()
	cfg.Addr, cfg.Data, cfg.NoExamples, cfg.LogFormat = "127.0.0.1:0", t.TempDir(), true, "json"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var buf syncbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := server.New(ctx, cfg, cfg.NewLogger(&buf))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	c := &client{t: t, base: "http://" + srv.Addr()}
	ok := c.submit(fanout(1, "0"))
	if r := c.waitTerminal(ok, 60*time.Second); r.State != "SUCCEEDED" {
		t.Fatalf("run %+v", r)
	}
	bad := fanout(1, "0")
	bad["deploymentSpec"].(map[string]any)["executors"].(map[string]any)["exec-sum"] = map[string]any{"container": map[string]any{"image": "alpine", "command": []any{"sh", "-c", "exit 4"}}}
	failed := c.submit(bad)
	if r := c.waitTerminal(failed, 60*time.Second); r.State != "FAILED" {
		t.Fatalf("run %+v", r)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("a log line that is not JSON: %q", l)
		}
		lines = append(lines, m)
	}
	find := func(msg, run string) map[string]any {
		t.Helper()
		for _, m := range lines {
			if m["msg"] == msg && (run == "" || m["run"] == run) {
				return m
			}
		}
		t.Fatalf("no %q line for run %q in:\n%s", msg, run, buf.String())
		return nil
	}
	if m := find("sluice server listening", ""); m["version"] != "devel" || m["level"] != "INFO" {
		t.Errorf("start line %v", m)
	}
	for _, id := range []string{ok, failed} {
		if m := find("run started", id); m["pipeline"] != "fanout" || m["name"] != "fanout" || m["level"] != "INFO" {
			t.Errorf("run started %v", m)
		}
	}
	if m := find("run ended", ok); m["state"] != "SUCCEEDED" || m["duration"] == nil || m["error"] != nil || m["pipeline"] != "fanout" {
		t.Errorf("run ended %v", m)
	}
	if m := find("run ended", failed); m["state"] != "FAILED" || !strings.Contains(m["error"].(string), "exited with code 4") || m["level"] != "INFO" {
		t.Errorf("failed run ended %v", m)
	}
	find("sluice server shutting down: runs still going resume at the next start", "")
	if last := lines[len(lines)-1]; last["msg"] != "sluice server stopped" || last["level"] != "INFO" {
		t.Errorf("the last line is %v, want the clean shutdown", last)
	}
}

func TestLogFormat(t *testing.T) {
	cfg := server.Defaults()
	cfg.Data = t.TempDir()
	if err := cfg.FromEnv(func(k string) string { return map[string]string{"SLUICE_LOG_FORMAT": "yaml"}[k] }); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `--log-format: "yaml" is neither text nor json`) {
		t.Errorf("Validate: %v", err)
	}
	var b bytes.Buffer
	cfg.LogFormat = "text"
	cfg.NewLogger(&b).Info("hello", "k", "v")
	if !strings.Contains(b.String(), "level=INFO msg=hello k=v") {
		t.Errorf("text log %q", b.String())
	}
}
