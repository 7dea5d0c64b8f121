package conformance

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/pyruntime"
)

const corpusV1 = "../../shared/conformance/kfp-v1-compiled"

// TestConformanceV1 runs every YAML file of the KFP v1 corpus (Argo
// workflows compiled by kfp 1.8, and the v1 component files beside them)
// and checks each against V1Cases.
func TestConformanceV1(t *testing.T) {
	if _, err := os.Stat(corpusV1); err != nil {
		t.Skipf("KFP v1 corpus not found at %s", corpusV1)
	}
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") != "" {
			t.Fatal("python3 not found")
		}
		t.Skip("python3 not found: KFP v1 Python steps cannot run")
	}
	var files []string
	err := filepath.WalkDir(corpusV1, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			rel, _ := filepath.Rel(corpusV1, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	for _, f := range files {
		if _, ok := V1Cases[f]; !ok {
			t.Errorf("%s: no entry in v1cases_test.go", f)
		}
	}
	for f := range V1Cases {
		if _, err := os.Stat(filepath.Join(corpusV1, f)); err != nil {
			t.Errorf("v1cases_test.go names %s, which is not in the corpus", f)
		}
	}
	home := t.TempDir()
	pp, err := pyruntime.Install(filepath.Join(home, "pyruntime"))
	if err != nil {
		t.Fatal(err)
	}
	// Hand-written v1 steps call python: the shim directory has it.
	bin, err := pyruntime.LinkInterpreter(context.Background(), home)
	if err != nil {
		t.Fatal(err)
	}
	l := &launcher.Launcher{Executor: &local.Executor{KillGrace: 500 * time.Millisecond}, PythonPath: pp, BinDir: bin}
	results := map[string]string{}
	var mu sync.Mutex
	t.Run("corpus", func(t *testing.T) {
		for _, f := range files {
			c, ok := V1Cases[f]
			if !ok {
				continue
			}
			t.Run(f, func(t *testing.T) {
				r := runCase(t, l, home, corpusV1, f, c)
				mu.Lock()
				results[f] = r
				mu.Unlock()
			})
		}
	})
	if *update && !t.Failed() {
		writeV1Doc(t, files, results)
	}
}

func writeV1Doc(t *testing.T, files []string, results map[string]string) {
	var b strings.Builder
	b.WriteString("\nEvery YAML file of the KFP v1 corpus (`kfp-v1-compiled/`: the kfp 1.8 compiler's golden Argo workflows,\n")
	b.WriteString("`samples/core` compiled with kfp 1.8.22, probes, and the v1 component files beside them) is run by\n")
	b.WriteString("`go test ./conformance -run TestConformanceV1` with the local executor (table: `conformance/v1cases_test.go`;\n")
	b.WriteString("`-update` rewrites this section). Workflows are translated to IR by `spec/argo` and run by the same engine.\n\n")
	runnable, passed, refused := 0, 0, 0
	for _, f := range files {
		c := V1Cases[f]
		r := results[f]
		switch {
		case c.LoadError != "":
			refused++
		case c.Reason == "":
			runnable++
			if r != "" && !strings.HasPrefix(r, "not run") {
				passed++
			}
		}
	}
	fmt.Fprintf(&b, "**%d files; %d runnable here, %d of them end with the state and outputs KFP v1 on Argo gives; %d are refused on purpose with the reason given (not a workflow, v2-compatible mode, v1 components that KFP 2 refuses too); %d need something this machine does not have (reason given).**\n\n",
		len(files), runnable, passed, refused, len(files)-runnable-refused)
	b.WriteString("| file | result | checked |\n|---|---|---|\n")
	for _, f := range files {
		c := V1Cases[f]
		res := results[f]
		if res == "" {
			res = "not run"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f, res, c.checked())
	}
	b.WriteString("\nRandom pipelines (coin flips, random exit codes) list every end state KFP can reach and are checked against it;\n")
	b.WriteString("\"not runnable here\" files are still run and must fail for the stated reason (the step that needs a cluster is named).\n")
	writeSection(t, v1Marker, b.String())
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
