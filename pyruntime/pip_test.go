package pyruntime

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/spec"
)

// conformanceDir finds the shared conformance corpus, or skips the test.
func conformanceDir(t *testing.T) string {
	t.Helper()
	cands := []string{os.Getenv("SLUICE_CONFORMANCE_DIR"),
		filepath.Join("..", "shared", "conformance"),
		filepath.Join("..", "..", "shared", "conformance")}
	for _, c := range cands {
		if c != "" && isDir(filepath.Join(c, "kfp-compiled")) {
			return c
		}
	}
	t.Skip("conformance corpus not found (looked in ../shared/conformance, ../../shared/conformance, $SLUICE_CONFORMANCE_DIR)")
	return ""
}

// executorCommands loads a compiled pipeline file with spec.Load and
// returns executor label -> container command, for the executors that have
// one. A missing file yields the os.ReadFile error itself, so that
// os.IsNotExist works on it.
func executorCommands(file string) (map[string][]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	p, err := spec.Load(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	out := map[string][]string{}
	for label, e := range p.Spec.DeploymentSpec.Executors {
		if e != nil && e.Container != nil && e.Container.Command != nil {
			out[label] = e.Container.Command
		}
	}
	return out, nil
}

func reqStrings(reqs []Requirement) []string {
	var out []string
	for _, r := range reqs {
		s := r.Name + "|" + r.Spec
		if r.Marker != "" {
			s += "|" + r.Marker
		}
		out = append(out, s)
	}
	return out
}

const typingExt = `typing-extensions|>=3.7.4,<5|python_version<"3.9"`

func TestSplitPipInstallConformance(t *testing.T) {
	dir := filepath.Join(conformanceDir(t), "kfp-compiled")
	tests := []struct {
		file, exec string
		found      bool
		restHead   []string
		reqs       []string
	}{
		{"critical/multiple_artifacts_namedtuple.yaml", "exec-core-comp", true,
			[]string{"sh", "-ec"}, []string{"kfp|==2.14.3", typingExt}},
		{"critical/pythonic_artifacts_test_pipeline.yaml", "exec-gen-data", true,
			[]string{"sh", "-ec"}, []string{"kfp|==2.14.3", typingExt}},
		{"critical/notebook_component_simple.yaml", "exec-run-train-notebook", true,
			[]string{"sh", "-ec"}, []string{"nbclient|>=0.10,<1", "ipykernel|>=6,<7",
				"jupyter_client|>=7,<9", "kfp|==2.14.2", typingExt}},
		{"essential/component_with_pip_index_urls.yaml", "exec-component-op", true,
			[]string{"sh", "-ec"}, []string{"yapf|", "kfp|==2.14.3", typingExt}},
		{"essential/component_with_pip_install_in_venv.yaml", "exec-component-with-pip-install", true,
			[]string{"sh", "-ec"}, []string{"yapf|", "kfp|==2.14.3", typingExt}},
		{"essential/iris_pipeline_compiled.yaml", "exec-normalize-dataset", true,
			[]string{"sh", "-ec"}, []string{"kfp|==2.14.3", typingExt, "pandas|==2.2.0", "scikit-learn|==1.4.0"}},
		{"metrics_visualization_v2.yaml", "exec-digit-classification", true,
			[]string{"sh", "-ec"}, []string{"scikit-learn|", "kfp|==2.14.6", typingExt}},
		{"xgboost_sample_pipeline.yaml", "exec-xgboost-predict-2", true,
			[]string{"python3", "-u", "-c"}, []string{"xgboost|==1.1.1", "pandas|==1.0.5", "pyarrow|==0.17.1"}},
		{"xgboost_sample_pipeline.yaml", "exec-convert-csv-to-apache-parquet", true,
			[]string{"python3", "-u", "-c"}, []string{"pyarrow|==0.17.1"}},
		{"xgboost_sample_pipeline.yaml", "exec-chicago-taxi-trips-dataset", false, []string{"sh", "-c"}, nil},
		{"critical/two_step_pipeline_containerized.yaml", "exec-component1", false, nil, nil},
		{"essential/container_no_input.yaml", "exec-container-no-input", false, []string{"echo"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file+":"+tc.exec, func(t *testing.T) {
			cmds, err := executorCommands(filepath.Join(dir, tc.file))
			if os.IsNotExist(err) {
				t.Skipf("%s not in corpus", tc.file)
			}
			if err != nil {
				t.Fatal(err)
			}
			cmd, ok := cmds[tc.exec]
			if !ok {
				t.Skipf("%s has no command for %s (have %v)", tc.file, tc.exec, keys(cmds))
			}
			rest, reqs, found := SplitPipInstall(cmd)
			if found != tc.found {
				t.Fatalf("found = %v, want %v (command[2] = %q)", found, tc.found, cmd[min(2, len(cmd)-1)])
			}
			if !found {
				if !reflect.DeepEqual(rest, cmd) || reqs != nil {
					t.Fatalf("not found but rest/reqs changed: %q %v", rest, reqs)
				}
			}
			if tc.restHead != nil {
				if len(rest) < len(tc.restHead) || !reflect.DeepEqual(rest[:len(tc.restHead)], tc.restHead) {
					t.Fatalf("rest starts %q, want %q", rest[:min(len(rest), len(tc.restHead))], tc.restHead)
				}
			}
			if found && !reflect.DeepEqual(rest, cmd[3:]) {
				t.Fatalf("rest != command[3:]")
			}
			if got := reqStrings(reqs); !reflect.DeepEqual(got, tc.reqs) {
				t.Fatalf("requirements\n got %q\nwant %q", got, tc.reqs)
			}
			if found && strings.Contains(tc.file, "kfp-compiled") && rest[0] == "sh" &&
				!strings.Contains(rest[2], "kfp.dsl.executor_main") {
				t.Fatalf("launch script does not run the executor: %q", rest[2])
			}
		})
	}
}

// TestSplitPipInstallAllConformance runs over every executor in the corpus:
// every command whose launch part runs kfp.dsl.executor_main after a pip
// step must be recognised, and kfp must be among its requirements.
func TestSplitPipInstallAllConformance(t *testing.T) {
	dir := filepath.Join(conformanceDir(t), "kfp-compiled")
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	more, _ := filepath.Glob(filepath.Join(dir, "*", "*.yaml"))
	files = append(files, more...)
	n := 0
	for _, f := range files {
		cmds, err := executorCommands(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for label, cmd := range cmds {
			if len(cmd) < 6 || cmd[0] != "sh" || cmd[1] != "-c" || !strings.Contains(cmd[2], "pip install") {
				continue
			}
			n++
			rest, reqs, found := SplitPipInstall(cmd)
			if !found {
				t.Errorf("%s %s: pip step not recognised", f, label)
				continue
			}
			if strings.Contains(rest[2], "executor_main") {
				hasKFP := false
				for _, r := range reqs {
					hasKFP = hasKFP || r.IsKFP()
				}
				if !hasKFP && !strings.Contains(cmd[2], "kfp") {
					continue
				}
				if !hasKFP {
					t.Errorf("%s %s: no kfp requirement in %v", f, label, reqStrings(reqs))
				}
			}
		}
	}
	if n == 0 {
		t.Skip("no pip-prefixed commands found")
	}
	t.Logf("checked %d pip-prefixed commands", n)
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSplitPipInstallSynthetic(t *testing.T) {
	launch := []string{"sh", "-ec", "program_path=$(mktemp -d)\n...", "SRC"}
	tests := []struct {
		name   string
		script string
		found  bool
		reqs   []string
	}{
		{"kfp 2.0.x", "\nif ! [ -x \"$(command -v pip)\" ]; then\n    python3 -m ensurepip || python3 -m ensurepip --user || apt-get install python3-pip\nfi\n\nPIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet     --no-warn-script-location 'kfp==2.0.1' && \"$0\" \"$@\"\n",
			true, []string{"kfp|==2.0.1"}},
		{"kfp_package_path", "PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location 'git+https://github.com/kubeflow/pipelines.git@master#subdirectory=sdk/python' '--no-deps' && \"$0\" \"$@\"",
			true, []string{"kfp|"}},
		{"index flags and extras", "python3 -m pip install -i https://x/simple --extra-index-url=https://y --trusted-host x 'requests[socks] >= 2.0' 'pkg @ https://h/p.whl ; sys_platform == \"linux\"' && \"$0\" \"$@\"",
			true, []string{"requests|>=2.0", `pkg||sys_platform == "linux"`}},
		// kfp 1.8's packages_to_install (func_to_container_op, V1.md §3.4):
		// the install, then the same with --user, then the re-exec.
		{"kfp 1.8", "(PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location 'numpy==1.21' 'pandas' || PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location 'numpy==1.21' 'pandas' --user) && \"$0\" \"$@\"",
			true, []string{"numpy|==1.21", "pandas|"}},
		{"kfp 1.8 quoting", "(PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location \"pkg; python_version >= '3.8'\" 'a>=1,<2' || PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location \"pkg; python_version >= '3.8'\" 'a>=1,<2' --user) && \"$0\" \"$@\"",
			true, []string{"pkg||python_version >= '3.8'", "a|>=1,<2"}},
		{"requirements file", "pip3 install -r /tmp/reqs.txt && \"$0\" \"$@\"", true, []string{"|"}},
		{"no reexec", "pip install 'x' && python3 main.py", false, nil},
		{"no pip", "echo hello && \"$0\" \"$@\"", false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := append([]string{"sh", "-c", tc.script}, launch...)
			rest, reqs, found := SplitPipInstall(cmd)
			if found != tc.found {
				t.Fatalf("found = %v, want %v", found, tc.found)
			}
			if found && !reflect.DeepEqual(rest, launch) {
				t.Fatalf("rest = %q", rest)
			}
			if got := reqStrings(reqs); !reflect.DeepEqual(got, tc.reqs) {
				t.Fatalf("requirements %q, want %q", got, tc.reqs)
			}
		})
	}
	if _, _, found := SplitPipInstall([]string{"python3", "-c", "pip install x && \"$0\" \"$@\"", "a"}); found {
		t.Fatal("non-shell command recognised")
	}
}

func TestParseRequirement(t *testing.T) {
	tests := []struct {
		in   string
		want Requirement
	}{
		{`kfp==2.14.2`, Requirement{Name: "kfp", Spec: "==2.14.2"}},
		{`typing-extensions>=3.7.4,<5; python_version<"3.9"`,
			Requirement{Name: "typing-extensions", Spec: ">=3.7.4,<5", Marker: `python_version<"3.9"`}},
		{`Foo.Bar[x, y] (>=1.0)`, Requirement{Name: "Foo.Bar", Extras: []string{"x", "y"}, Spec: ">=1.0"}},
		{`yapf`, Requirement{Name: "yapf"}},
		{`name @ https://example.com/n-1.0.whl`, Requirement{Name: "name", URL: "https://example.com/n-1.0.whl"}},
		{`/wheels/scikit_learn-1.4.0-cp311-cp311-linux_x86_64.whl`,
			Requirement{Name: "scikit_learn", URL: "/wheels/scikit_learn-1.4.0-cp311-cp311-linux_x86_64.whl"}},
		{`git+https://example.com/repo.git#egg=mypkg`, Requirement{Name: "mypkg", URL: "git+https://example.com/repo.git#egg=mypkg"}},
	}
	for _, tc := range tests {
		got := ParseRequirement(tc.in)
		tc.want.Raw = tc.in
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseRequirement(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	if !ParseRequirement("kfp-pipeline-spec==0.6").IsKFP() || ParseRequirement("kfpx").IsKFP() {
		t.Error("IsKFP")
	}
	if n := ParseRequirement("Jupyter_Client").NormalizedName(); n != "jupyter-client" {
		t.Errorf("NormalizedName = %q", n)
	}
}

// TestExecutorCommandsMatchPyYAML checks the commands the tests take from
// spec.Load against PyYAML's reading of the same files, when python3 with
// PyYAML is available: every executor command must be byte-identical.
func TestExecutorCommandsMatchPyYAML(t *testing.T) {
	dir := filepath.Join(conformanceDir(t), "kfp-compiled")
	py := pythonOrSkip(t)
	const script = `
import json, sys, yaml
res = {}
for path in sys.argv[1:]:
    out = {}
    try:
        for d in yaml.safe_load_all(open(path)):
            if isinstance(d, dict):
                for k, e in ((d.get("deploymentSpec") or {}).get("executors") or {}).items():
                    c = e.get("container") or {}
                    if "command" in c:
                        out[k] = c["command"]
    except Exception:
        continue
    res[path] = out
json.dump(res, sys.stdout)
`
	if err := exec.Command(py, "-c", "import yaml").Run(); err != nil {
		t.Skip("PyYAML not available to cross-check the reader")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	more, _ := filepath.Glob(filepath.Join(dir, "*", "*.yaml"))
	files = append(files, more...)
	out, err := exec.Command(py, append([]string{"-c", script}, files...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]map[string][]string{}
	if err := json.Unmarshal(out, &all); err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("PyYAML read no file")
	}
	n := 0
	for f, want := range all {
		got, err := executorCommands(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for k, w := range want {
			n++
			if !reflect.DeepEqual(got[k], w) {
				t.Errorf("%s %s:\n got %q\nwant %q", f, k, got[k], w)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: executor %s has a command PyYAML does not see: %q", f, k, got[k])
			}
		}
	}
	t.Logf("compared %d commands in %d files", n, len(all))
}

// TestSplitPipInstallV1Component: the pip step of a component kfp 1.8's
// func_to_container_op wrote with packages_to_install (the corpus's
// c_pkgs.yaml, loaded as Sluice loads a v1 component file).
func TestSplitPipInstallV1Component(t *testing.T) {
	file := filepath.Join(conformanceDir(t), "kfp-v1-compiled", "func-components", "c_pkgs.yaml")
	cmds, err := executorCommands(file)
	if os.IsNotExist(err) {
		t.Skipf("%s not in this corpus", file)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 1 {
		t.Fatalf("%d executors", len(cmds))
	}
	for _, cmd := range cmds {
		rest, reqs, found := SplitPipInstall(cmd)
		if !found {
			t.Fatalf("pip step not recognised in %q", cmd)
		}
		if len(rest) != 4 || rest[0] != "sh" || rest[1] != "-ec" || !strings.HasPrefix(rest[2], "program_path=$(mktemp)\n") {
			t.Errorf("rest = %q", rest)
		}
		if got, want := reqStrings(reqs), []string{"numpy|==1.21", "pandas|"}; !reflect.DeepEqual(got, want) {
			t.Errorf("requirements %q, want %q", got, want)
		}
	}
}
