package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/sluicehq/sluice/server"
)

// The API and /metrics check the token the same way; the UI's static
// files and healthz need none.
func TestTokenGuardsAPIAndMetrics(t *testing.T) {
	cfg := server.Defaults()
	cfg.Addr, cfg.Data, cfg.NoExamples, cfg.Token = "127.0.0.1:0", t.TempDir(), true, "s3cret"
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	base := "http://" + srv.Addr()
	for _, tc := range []struct {
		path, auth string
		want       int
	}{
		{"/metrics", "", 401},
		{"/metrics", "Bearer nope", 401},
		{"/metrics", "bearer s3cret", 200},
		{"/apis/v2beta1/runs", "", 401},
		{"/apis/v2beta1/runs", "Bearer s3cret", 200},
		{"/apis/v2beta1/healthz", "", 200},
		{"/", "", 200},
	} {
		req, _ := http.NewRequest("GET", base+tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s with %q: %d, want %d", tc.path, tc.auth, resp.StatusCode, tc.want)
		}
	}
}
