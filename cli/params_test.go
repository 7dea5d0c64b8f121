package cli_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/cli"
	"github.com/sluicehq/sluice/plan"
)

const boundedSpec = `pipelineInfo: {name: bounded}
root:
  inputDefinitions:
    parameters:
      s: {parameterType: STRING}
      t: {parameterType: STRING, isOptional: true}
      u: {parameterType: STRING, isOptional: true}
      items: {parameterType: LIST, defaultValue: [], isOptional: true}
  dag:
    tasks:
      noop:
        taskInfo: {name: noop}
        componentRef: {name: comp-noop}
components:
  comp-noop:
    executorLabel: exec-noop
deploymentSpec:
  executors:
    exec-noop:
      container:
        image: busybox
        command: ["true"]
schemaVersion: 2.1.0
`

// TestParamValuesAreBounded: sluice run, run submit and recurring create
// refuse a -p value past plan.MaxParamBytes, and values past
// plan.MaxParamsBytes in all, with exit status 2 and the server's message,
// before anything runs or the server is called. (A real command line
// cannot carry an argument of 4 MiB on Linux, whose limit is 128 KiB:
// cli.Main is called in the test's process.)
func TestParamValuesAreBounded(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bounded.yaml")
	if err := os.WriteFile(file, []byte(boundedSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	t.Setenv("SLUICE_HOME", filepath.Join(dir, ".sluice"))
	t.Setenv("SLUICE_SERVER", "http://127.0.0.1:1") // never called: the values are checked first

	huge := "s=" + strings.Repeat("v", plan.MaxParamBytes)
	third := strings.Repeat("w", plan.MaxParamsBytes/3+1)
	perValue := fmt.Sprintf(`sluice: parameter "s": %d bytes as JSON, more than the limit of 4 MiB for one value`, plan.MaxParamBytes+2)
	total := `sluice: parameter "u": with it the values given come to`
	for _, cmd := range [][]string{
		{"run", file},
		{"run", "submit", file},
		{"recurring", "create", file, "--every", "1h", "--name", "r"},
	} {
		for _, tc := range []struct {
			params []string
			want   string
		}{
			{[]string{"-p", huge}, perValue},
			{[]string{"-p", "s=" + third, "-p", "t=" + third, "-p", "u=" + third}, total},
		} {
			var stdout, stderr bytes.Buffer
			code := cli.Main(append(append([]string{}, cmd...), tc.params...), &stdout, &stderr)
			msg := stderr.String()
			if code != 2 || !strings.HasPrefix(msg, tc.want) || !strings.Contains(msg, "MiB") || stdout.Len() != 0 {
				t.Errorf("sluice %s: exit %d, stderr %.300q, want exit 2 and %q", strings.Join(cmd, " "), code, msg, tc.want)
			}
		}
	}
	// A loop over 10,000 items of 100 bytes is a value like any other.
	items := make([]string, plan.MaxLoopItems)
	for i := range items {
		items[i] = fmt.Sprintf("%q", fmt.Sprintf("%0100d", i))
	}
	var stdout, stderr bytes.Buffer
	if code := cli.Main([]string{"run", file, "-p", "s=x", "-p", "items=[" + strings.Join(items, ",") + "]"}, &stdout, &stderr); code != 0 {
		t.Fatalf("a list of 10,000 items: exit %d: %s", code, stderr.String())
	}
}
