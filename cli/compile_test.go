package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/cli"
)

// TestScriptCompileGo compiles the Go examples with sluice compile (in this
// process's environment, so go finds the module cache) and checks the result
// against their golden files. The name matches -run 'TestScript/compile'.
func TestScriptCompileGo(t *testing.T) {
	t.Run("compile_without_go", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		var stdout, stderr bytes.Buffer
		code := cli.Main([]string{"compile", filepath.Join("..", "examples", "gosdk", "fanout")}, &stdout, &stderr)
		if code != cli.ExitFailed || !strings.Contains(stderr.String(), `needs the Go toolchain, and "go" is not on PATH`) {
			t.Errorf("exit %d, stderr %q", code, stderr.String())
		}
	})
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
			t.Fatal("go is required (SLUICE_REQUIRE_TOOLS=1) but not found")
		}
		t.Skip("go not found")
	}
	for arg, dir := range map[string]string{
		"examples/gosdk/fanout":        "examples/gosdk/fanout",
		"examples/gosdk/grading":       "examples/gosdk/grading",
		"examples/tutorial/gopipeline": "examples/tutorial/gopipeline",
		"examples/tutorial":            "examples/tutorial/gopipeline", // its one Go program
	} {
		t.Run("compile_"+strings.ReplaceAll(arg, "/", "_"), func(t *testing.T) {
			pkg := filepath.Join("..", filepath.FromSlash(dir))
			out := filepath.Join(t.TempDir(), "pipeline.yaml")
			var stdout, stderr bytes.Buffer
			if code := cli.Main([]string{"compile", filepath.Join("..", filepath.FromSlash(arg)), "-o", out}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(pkg, "pipeline.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("sluice compile %s differs from its golden pipeline.yaml", dir)
			}
		})
	}
}
