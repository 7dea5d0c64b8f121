package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/server"
)

// inProcess runs a server in this process with edits to the default
// configuration and returns its base URL.
func inProcess(t *testing.T, edit func(*server.Config)) string {
	t.Helper()
	cfg := server.Defaults()
	cfg.Addr, cfg.Data, cfg.NoExamples, cfg.Parallelism = "127.0.0.1:0", t.TempDir(), true, 2
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return "http://" + srv.Addr()
}

func fetch(t *testing.T, method, url, host string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// Every route of the server — the API, the web UI, /metrics — answers only
// to its own names: a DNS-rebinding page cannot read any of them.
func TestServerAnswersOnlyToItsNames(t *testing.T) {
	base := inProcess(t, func(c *server.Config) { c.AllowedHosts = []string{"sluice.example"} })
	_, port, _ := strings.Cut(strings.TrimPrefix(base, "http://"), ":")
	for _, path := range []string{"/", "/runs", "/static/js/app.js", "/metrics", "/apis/v2beta1/healthz", "/apis/v2beta1/pipelines"} {
		code, _, body := fetch(t, "GET", base+path, "rebind.example:"+port, nil)
		if code != 403 || !strings.Contains(body, `Host \"rebind.example:`+port+`\" is not a name of this server`) {
			t.Errorf("GET %s as rebind.example: %d %s", path, code, body)
		}
		for _, host := range []string{"", "localhost:" + port, "sluice.example"} {
			if code, _, body := fetch(t, "GET", base+path, host, nil); code != 200 {
				t.Errorf("GET %s as %q: %d %s", path, host, code, body)
			}
		}
	}
	// The UI refuses a cross-origin POST before it says "method not allowed".
	if code, _, body := fetch(t, "POST", base+"/", "", map[string]string{"Origin": "http://evil.example"}); code != 403 {
		t.Errorf("cross-origin POST to the UI: %d %s", code, body)
	}
}

func TestAllowedHostsConfig(t *testing.T) {
	c := server.Defaults()
	if err := c.FromEnv(func(k string) string {
		return map[string]string{"SLUICE_ALLOWED_HOSTS": "a.example, b.example:8443"}[k]
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.AllowedHosts, "|") != "a.example|b.example:8443" {
		t.Errorf("AllowedHosts %q", c.AllowedHosts)
	}
	if err := c.FromEnv(func(k string) string { return map[string]string{"SLUICE_ALLOWED_HOSTS": "http://x/"}[k] }); err == nil || !strings.Contains(err.Error(), "SLUICE_ALLOWED_HOSTS") {
		t.Errorf("a URL in SLUICE_ALLOWED_HOSTS: %v", err)
	}
	if err := c.FromEnv(func(k string) string { return map[string]string{"SLUICE_ALLOW_PRIVATE_PACKAGE_URLS": "true"}[k] }); err != nil || !c.AllowPrivatePackageURLs {
		t.Errorf("SLUICE_ALLOW_PRIVATE_PACKAGE_URLS: %v %v", c.AllowPrivatePackageURLs, err)
	}
	if err := c.FromEnv(func(k string) string { return map[string]string{"SLUICE_ALLOW_PRIVATE_PACKAGE_URLS": "maybe"}[k] }); err == nil {
		t.Errorf("SLUICE_ALLOW_PRIVATE_PACKAGE_URLS=maybe accepted")
	}
	c.AllowedHosts = []string{"a.example:x"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--allowed-hosts") {
		t.Errorf("bad --allowed-hosts: %v", err)
	}
}
