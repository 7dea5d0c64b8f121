package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/server"
)

// The token and the database URL can come from files (or the
// environment), so that they are not on the command line.
func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c := server.Defaults()
	c.Data = dir
	err := c.FromEnv(func(k string) string {
		return map[string]string{"SLUICE_TOKEN_FILE": write("token", "s3cret\n"), "SLUICE_DB_FILE": write("db", "postgres://u:pw@db/sluice\n"),
			"SLUICE_CPUS": "1500m", "SLUICE_MEMORY": "2Gi", "SLUICE_STEP_ENV": "HTTP_PROXY, NO_PROXY"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Token != "s3cret" || c.DB != "postgres://u:pw@db/sluice" || c.CPUs != 1.5 || c.Memory != 2<<30 ||
		strings.Join(c.StepEnv, ",") != "HTTP_PROXY,NO_PROXY" {
		t.Fatalf("config %+v", c)
	}
	if err := c.Validate(); err != nil { // read once: validating again is fine
		t.Fatal(err)
	}

	for _, tc := range []struct {
		set  func(c *server.Config)
		want string
	}{
		{func(c *server.Config) { c.TokenFile = filepath.Join(dir, "none") }, "--token-file: open"},
		{func(c *server.Config) { c.TokenFile = write("empty", "\n") }, "--token-file " + filepath.Join(dir, "empty") + ": the file is empty"},
		{func(c *server.Config) { c.TokenFile, c.Token = write("t2", "x"), "y" }, "--token-file: the value is also given directly"},
		{func(c *server.Config) { c.DBFile = write("two", "a\nb\n") }, "the file holds more than one line"},
		{func(c *server.Config) { c.StepEnv = []string{"A=B"} }, `--step-env "A=B": want the name of a variable`},
	} {
		c := server.Defaults()
		c.Data = dir
		tc.set(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate = %v, want %q", err, tc.want)
		}
	}
	d := server.Defaults()
	if err := d.FromEnv(func(k string) string { return map[string]string{"SLUICE_CPUS": "many"}[k] }); err == nil ||
		!strings.Contains(err.Error(), `SLUICE_CPUS "many": not a number of CPUs`) {
		t.Errorf("SLUICE_CPUS: %v", err)
	}
}

func TestDSNHasPassword(t *testing.T) {
	for dsn, want := range map[string]bool{
		"postgres://u:pw@h/db":                 true,
		"postgres://u@h/db?password=pw":        true,
		"host=h user=u password=pw dbname=db":  true,
		"postgres://u@h/db?sslmode=disable":    false,
		"/var/lib/sluice/sluice.db":            false,
		"postgres:///db?host=/var/run/pg&user": false,
	} {
		if got := server.DSNHasPassword(dsn); got != want {
			t.Errorf("DSNHasPassword(%q) = %v, want %v", dsn, got, want)
		}
	}
}
