package api

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

// healthz answers 503 naming the store's error while writes are being
// retried, and 200 again once they land.
func TestHealthzReportsAFailingStore(t *testing.T) {
	var failing atomic.Bool
	ts := newTestServer(t, func(c *Config) {
		c.Health = func() error {
			if failing.Load() {
				return errors.New("the end of 1 run(s) not recorded yet (run r: disk is full)")
			}
			return nil
		}
	})
	if r := ts.do(t, request{Method: "GET", Path: "/apis/v2beta1/healthz"}); r.Status != 200 {
		t.Fatalf("healthy: %d", r.Status)
	}
	failing.Store(true)
	r := ts.do(t, request{Method: "GET", Path: "/apis/v2beta1/healthz"})
	if r.Status != 503 || !strings.Contains(string(r.Body), `"store_error":"the end of 1 run(s) not recorded yet (run r: disk is full)"`) {
		t.Fatalf("failing store: %d %s", r.Status, r.Body)
	}
	failing.Store(false)
	if r := ts.do(t, request{Method: "GET", Path: "/apis/v2beta1/healthz"}); r.Status != 200 {
		t.Fatalf("recovered: %d", r.Status)
	}
}
