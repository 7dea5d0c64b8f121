package spec_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sluicehq/sluice/spec"
)

// corpusDir returns a directory of the shared conformance corpus
// (../../shared/conformance/<sub>, or $SLUICE_CONFORMANCE_DIR/<sub>), or ""
// when it is absent.
func corpusDir(sub string) string {
	for _, c := range []string{os.Getenv("SLUICE_CONFORMANCE_DIR"), filepath.Join("..", "..", "shared", "conformance")} {
		if c == "" {
			continue
		}
		d := filepath.Join(c, sub)
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
	}
	return ""
}

// corpusFiles lists the regular files under a corpus directory, skipping
// the test when the directory is absent.
func corpusFiles(t *testing.T, sub string) (dir string, files []string) {
	t.Helper()
	dir = corpusDir(sub)
	if dir == "" {
		t.Skipf("conformance corpus %s not found (../../shared/conformance or $SLUICE_CONFORMANCE_DIR)", sub)
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("%s is empty", dir)
	}
	return dir, files
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustLoad(t testing.TB, data []byte) *spec.Pipeline {
	t.Helper()
	p, err := spec.Load(data)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if p == nil || p.Spec == nil {
		t.Fatal("Load returned no spec and no error")
	}
	return p
}

// wantLoadError loads data and checks that it fails with an error whose text
// contains every one of subs.
func wantLoadError(t *testing.T, data []byte, subs ...string) error {
	t.Helper()
	p, err := spec.Load(data)
	if err == nil {
		t.Fatalf("Load succeeded (pipeline %q), want an error containing %q", p.Spec.PipelineInfo.Name, subs)
	}
	if p != nil {
		t.Errorf("Load returned a pipeline together with error %v", err)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
	return err
}

// twoStep is the minimal skeleton of FORMAT.md §1.2, with a description
// outside the BMP to exercise JSON escapes.
const twoStep = `# PIPELINE DEFINITION
# Name: two-step
pipelineInfo:
  name: two-step
  description: "Two steps \U0001F600 <&>"
root:
  inputDefinitions:
    parameters:
      msg: {parameterType: STRING, defaultValue: hi, isOptional: true}
  dag:
    tasks:
      producer:
        taskInfo: {name: producer}
        componentRef: {name: comp-producer}
        cachingOptions: {enableCache: true}
        inputs:
          parameters:
            text: {componentInputParameter: msg}
      consumer:
        taskInfo: {name: consumer}
        componentRef: {name: comp-consumer}
        dependentTasks: [producer]
        inputs:
          artifacts:
            data: {taskOutputArtifact: {producerTask: producer, outputArtifactKey: out}}
components:
  comp-producer:
    executorLabel: exec-producer
    inputDefinitions: {parameters: {text: {parameterType: STRING}}}
    outputDefinitions:
      artifacts: {out: {artifactType: {schemaTitle: system.Dataset, schemaVersion: 0.0.1}}}
  comp-consumer:
    executorLabel: exec-consumer
    inputDefinitions:
      artifacts: {data: {artifactType: {schemaTitle: system.Dataset, schemaVersion: 0.0.1}}}
deploymentSpec:
  executors:
    exec-producer:
      container:
        image: alpine
        command: [sh, -c, 'mkdir -p "$(dirname "$1")" && echo "$0" > "$1"']
        args: ["{{$.inputs.parameters['text']}}", "{{$.outputs.artifacts['out'].path}}"]
    exec-consumer:
      container:
        image: alpine
        command: [cat, "{{$.inputs.artifacts['data'].path}}"]
schemaVersion: 2.1.0
sdkVersion: kfp-2.13.0
`

const platformDoc = `platforms:
  kubernetes:
    deploymentSpec:
      executors:
        exec-producer:
          secretAsEnv:
          - keyToEnv: [{secretKey: password, envVar: PASSWORD}]
            secretNameParameter: {runtimeValue: {constant: my-secret}}
    pipelineConfig:
      workspace: {size: 1Gi}
`

func TestLoadConformance(t *testing.T) {
	dir, files := corpusFiles(t, "kfp-compiled")
	platforms := 0
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		t.Run(rel, func(t *testing.T) {
			p := mustLoad(t, mustRead(t, f))
			if p.Kind != spec.KindIR {
				t.Errorf("Kind = %q, want %q", p.Kind, spec.KindIR)
			}
			if err := spec.Validate(p.Spec); err != nil {
				t.Errorf("Validate after Load: %v", err)
			}
			if p.Spec.SchemaVersion != "2.1.0" {
				t.Errorf("schemaVersion %q", p.Spec.SchemaVersion)
			}
			if p.Platform != nil {
				platforms++
				if len(p.Platform.Platforms) == 0 {
					t.Error("platform spec without platforms")
				}
			}
		})
	}
	if platforms == 0 {
		t.Error("no file of the corpus carried a platform spec")
	}
}

func TestLoadPlatformConformance(t *testing.T) {
	dir := corpusDir("kfp-compiled")
	if dir == "" {
		t.Skip("conformance corpus not found")
	}
	path := filepath.Join(dir, "critical", "pipeline_with_secret_as_env.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("%v", err)
	}
	p := mustLoad(t, data)
	if p.Platform == nil {
		t.Fatal("no platform spec")
	}
	k := p.Platform.Platforms["kubernetes"]
	if k == nil || len(k.DeploymentSpec.Executors) == 0 {
		t.Fatalf("kubernetes platform has no executors: %+v", p.Platform)
	}
	for label, cfg := range k.DeploymentSpec.Executors {
		if p.Spec.DeploymentSpec.Executors[label] == nil {
			t.Errorf("platform executor %q is not an executor of the pipeline", label)
		}
		if _, ok := cfg["secretAsEnv"]; !ok {
			t.Errorf("%s: no secretAsEnv in %v", label, cfg)
		}
	}
}

// TestLoadInvalidConformance checks the refusal message of every file of the
// kfp-invalid corpus. Some files are misnamed on purpose: empty_zip.zip and
// wrong_format.png hold only the IR header comments, and Load judges
// content, not names.
func TestLoadInvalidConformance(t *testing.T) {
	_, files := corpusFiles(t, "kfp-invalid")
	want := map[string][]string{
		"empty_file.yaml":  {"no content"},
		"empty_zip.zip":    {"no content"},
		"wrong_format.png": {"no content"},
		// components is misspelled components_1.
		"invalid_yaml.yaml": {"root.dag.tasks.echo.componentRef.name", `"comp-echo"`, `no "components" section`},
		// a zip holding invalid_yaml.yaml
		"invalid-zip.zip": {"root.dag.tasks.echo.componentRef.name", `"comp-echo"`, `no "components" section`},
		"no_name.yaml":    {"pipelineInfo.name", "no name"},
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			subs, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for %s: add it to the table", name)
			}
			wantLoadError(t, mustRead(t, f), subs...)
		})
	}
	for name := range want {
		if !seen[name] {
			t.Logf("%s is not in the corpus", name)
		}
	}
}

// decodeYAML decodes the first document of a YAML text into plain values.
func decodeYAML(t testing.TB, y string) any {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal([]byte(y), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// pythonJSON renders v as Python's json.dump(indent=2) does by default:
// non-ASCII characters escaped, outside the BMP as surrogate pairs.
func pythonJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, r := range string(b) {
		switch {
		case r < 0x80:
			out.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&out, `\u%04x`, r)
		default:
			r -= 0x10000
			fmt.Fprintf(&out, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		}
	}
	return []byte(out.String())
}

type archiveFile struct {
	name string
	data []byte
	dir  bool
}

func zipBytes(t testing.TB, files ...archiveFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		name := f.name
		if f.dir {
			name += "/"
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tarGzBytes(t testing.TB, files ...archiveFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}
		if f.dir {
			h = &tar.Header{Name: f.name + "/", Mode: 0o755, Typeflag: tar.TypeDir}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLoadPackaging(t *testing.T) {
	base := mustLoad(t, []byte(twoStep))
	if base.Kind != spec.KindIR || base.Platform != nil {
		t.Fatalf("Kind %q, Platform %v", base.Kind, base.Platform)
	}
	if got := base.Spec.PipelineInfo.Description; got != "Two steps \U0001F600 <&>" {
		t.Fatalf("description %q", got)
	}
	doc := decodeYAML(t, twoStep)
	goJSON, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	tabJSON, _ := json.MarshalIndent(doc, "", "\t")
	forms := map[string][]byte{
		"json":               goJSON,
		"json tab-indented":  tabJSON,
		"json with BOM":      append([]byte("\xef\xbb\xbf"), goJSON...),
		"json python-escape": pythonJSON(t, doc),
		"yaml with BOM":      append([]byte("\xef\xbb\xbf"), twoStep...),
		"yaml trailing ---":  []byte(twoStep + "---\n"),
		"zip": zipBytes(t,
			archiveFile{name: "pkg", dir: true},
			archiveFile{name: "__MACOSX/pkg/._pipeline.yaml", data: []byte{0, 1, 2}},
			archiveFile{name: "pkg/.hidden.yaml", data: []byte("junk: [")},
			archiveFile{name: "pkg/README.md", data: []byte("# readme")},
			archiveFile{name: "pkg/pipeline.yaml", data: []byte(twoStep)}),
		"zip of json": zipBytes(t, archiveFile{name: "pipeline.JSON", data: goJSON}),
		"tar.gz": tarGzBytes(t,
			archiveFile{name: "pkg", dir: true},
			archiveFile{name: "pkg/notes.txt", data: []byte("not a spec")},
			archiveFile{name: "pkg/pipeline.yaml", data: []byte(twoStep)}),
		"tar.gz of yml": tarGzBytes(t, archiveFile{name: "pipeline.yml", data: []byte(twoStep)}),
	}
	for name, data := range forms {
		t.Run(name, func(t *testing.T) {
			p := mustLoad(t, data)
			if p.Kind != spec.KindIR {
				t.Errorf("Kind = %q", p.Kind)
			}
			if p.Platform != nil {
				t.Errorf("unexpected platform spec %+v", p.Platform)
			}
			if !reflect.DeepEqual(p.Spec, base.Spec) {
				a, _ := json.Marshal(p.Spec)
				b, _ := json.Marshal(base.Spec)
				t.Fatalf("spec differs from the YAML one\n got %s\nwant %s", a, b)
			}
		})
	}
}

func TestLoadArchiveErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want []string
	}{
		{"zip without spec", zipBytes(t, archiveFile{name: "README.md", data: []byte("hi")}), []string{"zip", "no .yaml, .yml or .json"}},
		{"zip only hidden", zipBytes(t, archiveFile{name: "__MACOSX/._p.yaml", data: []byte("x")}), []string{"no .yaml"}},
		{"empty zip", zipBytes(t), []string{"zip", "no .yaml"}},
		{"truncated zip", zipBytes(t, archiveFile{name: "p.yaml", data: []byte(twoStep)})[:40], []string{"invalid zip package"}},
		{"tar.gz without spec", tarGzBytes(t, archiveFile{name: "a.txt", data: []byte("hi")}), []string{"tar.gz", "no .yaml"}},
		{"corrupt gzip", []byte{0x1f, 0x8b, 1, 2, 3}, []string{"invalid tar.gz package"}},
		{"truncated tar.gz", tarGzBytes(t, archiveFile{name: "p.yaml", data: []byte(twoStep)})[:30], []string{"invalid tar.gz package"}},
		{"gzip not tar", gzipBytes(t, []byte(twoStep)), []string{"invalid tar.gz package"}},
		{"zip member not a spec", zipBytes(t, archiveFile{name: "p.yaml", data: []byte("- a\n- b\n")}), []string{"expected a mapping", "a list"}},
		{"binary", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), []string{"binary"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantLoadError(t, tc.data, tc.want...) })
	}
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	gz.Write(data)
	gz.Close()
	return buf.Bytes()
}

func TestLoadHugeArchiveMember(t *testing.T) {
	if testing.Short() {
		t.Skip("builds archives of more than MaxPackageSize bytes")
	}
	// A comment line of MaxPackageSize+1 bytes: valid YAML, tiny compressed.
	huge := append([]byte("#"), bytes.Repeat([]byte{' '}, spec.MaxPackageSize)...)
	t.Run("zip", func(t *testing.T) {
		data := zipBytes(t, archiveFile{name: "pipeline.yaml", data: huge})
		if len(data) > spec.MaxPackageSize/100 {
			t.Fatalf("zip is %d bytes", len(data))
		}
		wantLoadError(t, data, "invalid zip package", "pipeline.yaml is larger than")
	})
	t.Run("tar.gz", func(t *testing.T) {
		data := tarGzBytes(t, archiveFile{name: "pipeline.yaml", data: huge})
		wantLoadError(t, data, "invalid tar.gz package", "pipeline.yaml is larger than")
	})
	t.Run("tar.gz bomb before the spec", func(t *testing.T) {
		// Skipping a member decompresses it: the whole stream is bounded.
		filler := make([]byte, 4*spec.MaxPackageSize)
		data := tarGzBytes(t, archiveFile{name: "data.bin", data: filler},
			archiveFile{name: "pipeline.yaml", data: []byte(twoStep)})
		wantLoadError(t, data, "invalid tar.gz package", "larger than", "decompressed")
	})
	t.Run("just below the limit", func(t *testing.T) {
		filler := make([]byte, spec.MaxPackageSize)
		data := tarGzBytes(t, archiveFile{name: "data.bin", data: filler},
			archiveFile{name: "pipeline.yaml", data: []byte(twoStep)})
		mustLoad(t, data)
	})
}

func TestLoadDocuments(t *testing.T) {
	t.Run("pipeline and platform", func(t *testing.T) {
		p := mustLoad(t, []byte(twoStep+"---\n"+platformDoc))
		if p.Platform == nil {
			t.Fatal("no platform spec")
		}
		k := p.Platform.Platforms["kubernetes"]
		if k == nil {
			t.Fatalf("no kubernetes platform: %+v", p.Platform)
		}
		if _, ok := k.DeploymentSpec.Executors["exec-producer"]["secretAsEnv"]; !ok {
			t.Errorf("secretAsEnv missing: %v", k.DeploymentSpec.Executors)
		}
		if k.PipelineConfig["workspace"] == nil {
			t.Errorf("pipelineConfig.workspace missing: %v", k.PipelineConfig)
		}
	})
	t.Run("platform in a zip", func(t *testing.T) {
		p := mustLoad(t, zipBytes(t, archiveFile{name: "p.yaml", data: []byte(twoStep + "---\n" + platformDoc)}))
		if p.Platform == nil {
			t.Fatal("no platform spec")
		}
	})
	t.Run("empty second document", func(t *testing.T) {
		p := mustLoad(t, []byte(twoStep+"---\n# nothing here\n"))
		if p.Platform != nil {
			t.Fatalf("platform %+v", p.Platform)
		}
	})
	t.Run("three documents", func(t *testing.T) {
		wantLoadError(t, []byte(twoStep+"---\n"+platformDoc+"---\n"+platformDoc), "3 YAML documents")
	})
	t.Run("platform of the wrong shape", func(t *testing.T) {
		err := wantLoadError(t, []byte(twoStep+"---\nplatforms: [1, 2]\n"), "platform spec")
		var se *spec.Error
		if !errors.As(err, &se) || se.Field != "platforms" {
			t.Errorf("error %#v does not name field platforms", err)
		}
	})
	t.Run("v1 component with a second document", func(t *testing.T) {
		wantLoadError(t, []byte("name: x\nimplementation: {container: {image: a}}\n---\na: 1\n"), "one YAML document")
	})
	t.Run("not a mapping", func(t *testing.T) {
		wantLoadError(t, []byte("just a string\n"), "expected a mapping", "a string")
		wantLoadError(t, []byte("[1, 2]"), "expected a mapping", "a list")
	})
	t.Run("only comments", func(t *testing.T) {
		wantLoadError(t, []byte("# a\n\n   \n# b\n"), "no content")
		wantLoadError(t, nil, "no content")
		wantLoadError(t, []byte("---\n"), "no content")
	})
	t.Run("syntax error", func(t *testing.T) {
		wantLoadError(t, []byte("pipelineInfo: {name: x\n"), "invalid YAML")
		wantLoadError(t, []byte("a: b\n c: d\n\t- e"), "invalid YAML")
	})
	t.Run("wrong field type", func(t *testing.T) {
		err := wantLoadError(t, []byte("pipelineInfo: {name: [1]}\n"), "expected string")
		var se *spec.Error
		if !errors.As(err, &se) || se.Field != "pipelineInfo.name" {
			t.Errorf("error %#v does not name pipelineInfo.name", err)
		}
	})
	t.Run("NaN", func(t *testing.T) {
		y := strings.Replace(twoStep, "defaultValue: hi", "defaultValue: .nan", 1)
		wantLoadError(t, []byte(y), "invalid YAML", ".nan", "NaN")
		y = strings.Replace(twoStep, "defaultValue: hi", "defaultValue: -.inf", 1)
		wantLoadError(t, []byte(y), "-.inf")
	})
	t.Run("merge key", func(t *testing.T) {
		wantLoadError(t, []byte("a: {x: 1}\nb:\n  <<: {x: 1}\n"), "merge keys")
	})
	t.Run("non-scalar key", func(t *testing.T) {
		wantLoadError(t, []byte("? [a]\n: b\n"), "keys must be scalars")
	})
}

func TestLoadUnknownFields(t *testing.T) {
	y := strings.Replace(twoStep, "schemaVersion: 2.1.0", "schemaVersion: 2.1.0\nfutureTopLevel: {a: [1, 2]}", 1)
	y = strings.Replace(y, "        taskInfo: {name: producer}", "        taskInfo: {name: producer, extra: 1}\n        taskConfigPassthroughs: [{field: RESOURCES}]", 1)
	y = strings.Replace(y, "    executorLabel: exec-producer", "    executorLabel: exec-producer\n    singlePlatformSpecs: [{platform: kubernetes}]", 1)
	y = strings.Replace(y, "        image: alpine\n        command: [sh", "        image: alpine\n        lifecycle: {x: y}\n        command: [sh", 1)
	p := mustLoad(t, []byte(y))
	base := mustLoad(t, []byte(twoStep))
	if !reflect.DeepEqual(p.Spec, base.Spec) {
		t.Fatal("unknown fields changed the spec")
	}
	// A newer schema version of the 2.x series is accepted, 3.x is not.
	mustLoad(t, []byte(strings.Replace(twoStep, "schemaVersion: 2.1.0", "schemaVersion: 2.2.0", 1)))
	err := wantLoadError(t, []byte(strings.Replace(twoStep, "schemaVersion: 2.1.0", "schemaVersion: 3.0.0", 1)), "unsupported schema version")
	var se *spec.Error
	if !errors.As(err, &se) || se.Field != "schemaVersion" {
		t.Errorf("field of %v", err)
	}
}

// bounded runs f and fails when it allocates more than max bytes: a
// hostile file must cost work in proportion to its size, which an
// allocation count measures without depending on the machine's load.
func bounded(t *testing.T, max uint64, f func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > max {
		t.Errorf("allocated %d MiB, want at most %d MiB", got>>20, max>>20)
	}
}

func TestLoadBombs(t *testing.T) {
	const n = 100000
	var block strings.Builder
	for i := range 2000 {
		block.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"flow sequence nesting", strings.Repeat("[", n) + strings.Repeat("]", n), nil},
		{"flow mapping nesting", strings.Repeat("{a: ", n) + "1" + strings.Repeat("}", n), nil},
		{"json nesting", strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n), nil},
		{"json nesting within json's limit", "{" + strings.Repeat(`"a":{`, 5000) + strings.Repeat("}", 5000) + "}", []string{"nesting deeper than"}},
		{"block nesting", block.String(), []string{"nesting deeper than"}},
		{"unclosed nesting", strings.Repeat("[", n), nil},
		{"alias bomb", aliasBomb(), []string{"aliases are not supported"}},
		{"alias in a pipeline", strings.Replace(twoStep, "      msg: {parameterType: STRING, defaultValue: hi, isOptional: true}",
			"      msg: &m {parameterType: STRING, defaultValue: hi, isOptional: true}\n      msg2: *m", 1), []string{"aliases are not supported"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bounded(t, 64<<20, func() {
				wantLoadError(t, []byte(tc.data), tc.want...)
			})
		})
	}
	t.Run("depth 150 is fine", func(t *testing.T) {
		y := twoStep + "extra: " + strings.Repeat("[", 150) + strings.Repeat("]", 150) + "\n"
		mustLoad(t, []byte(y))
	})
}

// aliasBomb is a "billion laughs" document: 10 levels of 10 aliases each.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// schema200 is a hand-written schemaVersion 2.0.0 spec: the deprecated
// `type:` and typed constantValue forms.
const schema200 = `pipelineInfo: {name: old-style}
schemaVersion: 2.0.0
sdkVersion: kfp-1.8.22
root:
  inputDefinitions:
    parameters:
      n: {type: INT}
      ratio: {type: DOUBLE}
      word: {type: STRING}
  dag:
    tasks:
      task:
        taskInfo: {name: task}
        componentRef: {name: comp-task}
        inputs:
          parameters:
            n: {componentInputParameter: n}
            one: {runtimeValue: {constantValue: {intValue: '1'}}}
            half: {runtimeValue: {constantValue: {doubleValue: 0.5}}}
            greeting: {runtimeValue: {constantValue: {stringValue: hello}}}
            modern: {runtimeValue: {constant: 2.0}}
      imp:
        taskInfo: {name: imp}
        componentRef: {name: comp-imp}
components:
  comp-task:
    executorLabel: exec-task
    inputDefinitions:
      parameters:
        n: {type: INT}
        one: {type: int}
        half: {type: DOUBLE}
        greeting: {type: STRING}
        modern: {parameterType: NUMBER_INTEGER}
  comp-imp:
    executorLabel: exec-imp
    outputDefinitions:
      artifacts: {artifact: {artifactType: {schemaTitle: system.Dataset}}}
deploymentSpec:
  executors:
    exec-task:
      container: {image: alpine, command: [echo, "{{$.inputs.parameters['one']}}"]}
    exec-imp:
      importer:
        artifactUri: {constantValue: {stringValue: 'gs://bucket/data'}}
        typeSchema: {schemaTitle: system.Dataset}
`

func TestLoadSchema200(t *testing.T) {
	p := mustLoad(t, []byte(schema200))
	root := p.Spec.Root.InputDefinitions.Parameters
	for name, want := range map[string]string{"n": spec.TypeInteger, "ratio": spec.TypeDouble, "word": spec.TypeString} {
		if got := root[name].ParameterType; got != want {
			t.Errorf("root parameter %s: parameterType %q, want %q", name, got, want)
		}
	}
	comp := p.Spec.Components["comp-task"].InputDefinitions.Parameters
	if comp["one"].ParameterType != spec.TypeInteger {
		t.Errorf("lower-case type: parameterType %q", comp["one"].ParameterType)
	}
	in := p.Spec.Root.DAG.Tasks["task"].Inputs.Parameters
	for name, want := range map[string]any{"one": 1.0, "half": 0.5, "greeting": "hello", "modern": 2.0} {
		if got := in[name].RuntimeValue.Constant; !reflect.DeepEqual(got, want) {
			t.Errorf("constant %s = %#v, want %#v", name, got, want)
		}
	}
	if got := p.Spec.DeploymentSpec.Executors["exec-imp"].Importer.ArtifactURI.Constant; got != "gs://bucket/data" {
		t.Errorf("importer URI constant = %#v", got)
	}

	t.Run("big intValue stays exact", func(t *testing.T) {
		y := strings.Replace(schema200, "intValue: '1'", "intValue: '12345678901234567890'", 1)
		p := mustLoad(t, []byte(y))
		if got := p.Spec.Root.DAG.Tasks["task"].Inputs.Parameters["one"].RuntimeValue.Constant; got != "12345678901234567890" {
			t.Errorf("constant = %#v", got)
		}
	})
	t.Run("unknown old type", func(t *testing.T) {
		y := strings.Replace(schema200, "ratio: {type: DOUBLE}", "ratio: {type: FLOAT128}", 1)
		err := wantLoadError(t, []byte(y), "parameterType", `"FLOAT128"`)
		var se *spec.Error
		if !errors.As(err, &se) || se.Field != "root.inputDefinitions.parameters.ratio.parameterType" {
			t.Errorf("field of %v", err)
		}
	})
	t.Run("empty constantValue", func(t *testing.T) {
		y := strings.Replace(schema200, "{constantValue: {intValue: '1'}}", "{constantValue: {}}", 1)
		wantLoadError(t, []byte(y), "root.dag.tasks.task.inputs.parameters.one.runtimeValue", "no constant")
	})
}

// FuzzLoad: Load never panics, and a spec it accepts is valid and survives a
// round trip through JSON.
//
// Seeds are kept small (a few KB): the fuzzer minimizes every new
// interesting input byte by byte, which takes minutes for the larger
// conformance files and leaves no time for fuzzing.
func FuzzLoad(f *testing.F) {
	const maxSeed = 4 << 10
	if dir := corpusDir("kfp-compiled"); dir != "" {
		for _, name := range []string{"two_step_pipeline.yaml", "pipeline_with_importer_and_gcpc_types.yaml",
			"component_with_task_final_status_GH-12033.yaml", "container_with_concat_placeholder.yaml",
			"gpu-scheduling/nvidia_gpu_scheduling_check.yaml"} {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil && len(b) <= maxSeed {
				f.Add(b)
			}
		}
	}
	for _, sub := range []string{"v1-components", "kfp-invalid"} {
		if dir := corpusDir(sub); dir != "" {
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && len(b) <= maxSeed {
					f.Add(b)
				}
			}
		}
	}
	for _, s := range []string{twoStep, twoStep + "---\n" + platformDoc, schema200, "", "{}", "[]", "a: 1\n---\nb: 2\n---\nc: 3",
		`{"pipelineInfo": {"name": "x"}, "root": {"dag": {"tasks": {}}}}`,
		"name: c\ninputs: [{name: a, type: Integer, default: '1'}]\nimplementation: {container: {image: i, args: [{inputValue: a}, {if: {cond: {isPresent: a}, then: [x]}}]}}",
		aliasBomb()} {
		f.Add([]byte(s))
	}
	f.Add(zipBytes(f, archiveFile{name: "p.yaml", data: []byte(twoStep)}))
	f.Add(tarGzBytes(f, archiveFile{name: "p.yaml", data: []byte(twoStep)}))
	f.Add(pythonJSON(f, decodeYAML(f, twoStep)))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := spec.Load(data)
		if err != nil {
			if p != nil {
				t.Fatalf("pipeline together with error %v", err)
			}
			var se *spec.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *spec.Error", err, err)
			}
			return
		}
		if p == nil || p.Spec == nil {
			t.Fatal("nil pipeline without error")
		}
		if err := spec.Validate(p.Spec); err != nil {
			t.Fatalf("Load accepted a spec Validate refuses: %v", err)
		}
		b, err := json.Marshal(p.Spec)
		if err != nil {
			t.Fatalf("accepted spec cannot be encoded: %v", err)
		}
		if _, err := spec.Load(b); err != nil {
			t.Fatalf("accepted spec does not load again from JSON: %v\n%s", err, b)
		}
	})
}

// YAML costs some 60 times its size to parse: a spec over MaxYAMLSize is
// refused before it is parsed (a 31 MiB file of tasks held 1.8 GiB), with
// a message naming the limit, while the same spec as JSON loads.
func TestLoadBoundsYAML(t *testing.T) {
	var b strings.Builder
	b.WriteString("pipelineInfo: {name: p}\nroot:\n  dag:\n    tasks:\n")
	for i := 0; b.Len() <= spec.MaxYAMLSize; i++ {
		fmt.Fprintf(&b, "      t%d: {taskInfo: {name: t%d}, componentRef: {name: comp-e}}\n", i, i)
	}
	b.WriteString("components:\n  comp-e: {executorLabel: exec-e}\ndeploymentSpec:\n  executors:\n    exec-e: {container: {image: alpine, command: [echo]}}\n")
	wantLoadError(t, []byte(b.String()), "the spec's YAML is", "the limit is 4194304 (4 MiB): give a spec this large as JSON")
	// A list, not a spec, is refused the same way, before it is parsed.
	wantLoadError(t, bytes.Repeat([]byte("- [a, b, c, d, e, f, g, h]\n"), spec.MaxYAMLSize/27+1), "the limit is 4194304")
	y := mustLoad(t, []byte(twoStep))
	js, err := json.Marshal(y.Spec)
	if err != nil {
		t.Fatal(err)
	}
	mustLoad(t, append(js, bytes.Repeat([]byte{' '}, spec.MaxYAMLSize)...))
}
