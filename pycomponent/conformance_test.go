package pycomponent

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func pythonOrSkip(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
			t.Fatal("python3 is required (SLUICE_REQUIRE_TOOLS=1)")
		}
		t.Skip("python3 not found")
	}
}

func conformanceDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "conformance", "kfp-compiled"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no conformance corpus at %s", dir)
	}
	return dir
}

// TestRegenerateCompiled takes single-component files the KFP SDK compiled,
// writes each one's function source to a .py file, generates the component
// again with the same image, packages and kfp version, and wants the same
// bytes.
func TestRegenerateCompiled(t *testing.T) {
	pythonOrSkip(t)
	dir := conformanceDir(t)
	for _, f := range []string{
		"component_with_metadata_fields.yaml",
		"identity.yaml",
		"input_artifact.yaml",
		"nested_return.yaml",
		"output_metrics.yaml",
		"preprocess.yaml",
		"critical/add_numbers.yaml",
		"essential/concat_message.yaml",
		"essential/dict_input.yaml",
		"essential/component_with_pip_install.yaml",
	} {
		t.Run(f, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			fn, src, o := compiledSource(t, want)
			py := filepath.Join(t.TempDir(), "c.py")
			if err := os.WriteFile(py, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := FromPython(context.Background(), "", py, fn, o)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				diffLines(t, string(want), string(got))
			}
		})
	}
}

// compiledSource pulls the function name, its source and the options back
// out of a compiled component.
func compiledSource(t *testing.T, data []byte) (string, string, Options) {
	t.Helper()
	var doc struct {
		DeploymentSpec struct {
			Executors map[string]struct {
				Container struct {
					Image   string   `yaml:"image"`
					Command []string `yaml:"command"`
					Args    []string `yaml:"args"`
				} `yaml:"container"`
			} `yaml:"executors"`
		} `yaml:"deploymentSpec"`
		SDKVersion string `yaml:"sdkVersion"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.DeploymentSpec.Executors) != 1 {
		t.Fatalf("%d executors", len(doc.DeploymentSpec.Executors))
	}
	var o Options
	o.SDKVersion = doc.SDKVersion
	for _, ex := range doc.DeploymentSpec.Executors {
		c := ex.Container
		o.BaseImage = c.Image
		pip := c.Command[2]
		o.KFPVersion = regexp.MustCompile(`'kfp==([^']+)'`).FindStringSubmatch(pip)[1]
		if m := regexp.MustCompile(`--index-url (\S+)`).FindStringSubmatch(pip); m != nil {
			o.PipIndexURLs = []string{m[1]}
		}
		if user, _, ok := strings.Cut(pip, "  &&  "); ok {
			for _, m := range regexp.MustCompile(`'([^']+)'`).FindAllStringSubmatch(user, -1) {
				o.Packages = append(o.Packages, m[1])
			}
		}
		src := c.Command[len(c.Command)-1]
		return c.Args[3], strings.TrimPrefix(src, sourceImports), o
	}
	panic("unreachable")
}

func diffLines(t *testing.T, want, got string) {
	t.Helper()
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			t.Fatalf("first difference at line %d:\nwant %q\ngot  %q", i+1, a, b)
		}
	}
}
