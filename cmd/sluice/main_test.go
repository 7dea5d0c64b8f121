package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/artifact"
)

// TestMain lets the tests run this binary's main: with SLUICE_TEST_MAIN=1
// the test binary is sluice.
func TestMain(m *testing.M) {
	if os.Getenv("SLUICE_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// Graph layout must cost nothing to commands that draw no graph, and
// nothing may run code from a shared temporary directory: the layout is
// pure Go (package layout), with no WebAssembly runtime linked.
func TestNoLayoutRuntimeLinked(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, d := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/tetratelabs/wazero", "github.com/goccy/go-graphviz"} {
			if d == banned || strings.HasPrefix(d, banned+"/") {
				t.Errorf("sluice links %s", d)
			}
		}
	}
}

// helpInits runs `sluice --help` with GODEBUG=inittrace=1 and an empty
// TMPDIR and returns the packages whose initialisation did work (every
// line of the trace) and the temporary directory.
func helpInits(t *testing.T) (pkgs []string, tmp string) {
	t.Helper()
	trace, tmp := helpTrace(t)
	for _, in := range trace {
		pkgs = append(pkgs, in.pkg)
	}
	return pkgs, tmp
}

// initTrace is one line of GODEBUG=inittrace=1: a package's
// initialisation and the heap it allocated.
type initTrace struct {
	pkg   string
	bytes int
}

// helpTrace runs `sluice --help` with GODEBUG=inittrace=1 and an empty
// TMPDIR and returns the trace and the temporary directory.
func helpTrace(t *testing.T) (trace []initTrace, tmp string) {
	t.Helper()
	tmp = t.TempDir()
	cmd := exec.Command(os.Args[0], "--help")
	cmd.Env = append(os.Environ(), "SLUICE_TEST_MAIN=1", "GODEBUG=inittrace=1", "TMPDIR="+tmp)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sluice --help: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Usage:") {
		t.Fatalf("sluice --help printed no usage:\n%s", stdout.String())
	}
	// init PKG @T ms, D ms clock, B bytes, N allocs
	for _, line := range strings.Split(stderr.String(), "\n") {
		if f := strings.Fields(line); len(f) >= 9 && f[0] == "init" && f[8] == "bytes," {
			b, err := strconv.Atoi(f[7])
			if err != nil {
				t.Fatalf("inittrace line %q: %v", line, err)
			}
			trace = append(trace, initTrace{pkg: f[1], bytes: b})
		}
	}
	if len(trace) == 0 {
		t.Fatalf("no init trace from GODEBUG=inittrace=1:\n%s", stderr.String())
	}
	return trace, tmp
}

// under reports whether pkg is one of prefixes or inside one.
func under(pkg string, prefixes ...string) bool {
	for _, p := range prefixes {
		if pkg == p || strings.HasPrefix(pkg, p+"/") {
			return true
		}
	}
	return false
}

// TestHelpDoesNoLayoutWork: no layout package may do work at
// initialisation, and nothing may be written to the temporary directory.
func TestHelpDoesNoLayoutWork(t *testing.T) {
	pkgs, tmp := helpInits(t)
	for _, p := range pkgs {
		if under(p, "github.com/sluicehq/sluice/layout", "github.com/tetratelabs/wazero", "github.com/goccy/go-graphviz") {
			t.Errorf("sluice --help initialises %s", p)
		}
	}
	if ents, err := os.ReadDir(tmp); err != nil || len(ents) > 0 {
		t.Errorf("sluice --help wrote to TMPDIR: %v %v", ents, err)
	}
}

// cloudSDKs are the Google Cloud, Azure and AWS SDKs and what only they
// bring (gRPC's xDS through envoy's protos, the GCP resource detectors):
// linked only with -tags gcs / -tags azure / -tags awssdk
// (artifact/drivers.go; S3 goes through minio-go without the last).
var cloudSDKs = []string{
	"cloud.google.com/go", "github.com/Azure/azure-sdk-for-go", "github.com/AzureAD",
	"github.com/envoyproxy/go-control-plane", "github.com/cncf/xds", "google.golang.org/api/storage",
	"gocloud.dev/blob/gcsblob", "gocloud.dev/blob/azureblob", "go.opentelemetry.io/contrib/detectors/gcp",
	"github.com/aws/aws-sdk-go-v2", "github.com/aws/smithy-go", "gocloud.dev/blob/s3blob",
}

// TestHelpInitialisesNoCloudSDK: `sluice --help` (and every command: Go
// initialises every linked package) does no Google Cloud or Azure SDK work.
func TestHelpInitialisesNoCloudSDK(t *testing.T) {
	if s := artifact.Schemes(); slices.Contains(s, "gs") || slices.Contains(s, "azblob") || artifact.S3Client != "minio-go" {
		t.Skipf("built with a cloud SDK's tag (%v, S3 through %s)", s, artifact.S3Client)
	}
	pkgs, _ := helpInits(t)
	for _, p := range pkgs {
		if under(p, cloudSDKs...) {
			t.Errorf("sluice --help initialises %s", p)
		}
	}
}

// heavyKubernetes reports whether pkg is client-go's clientset (or its
// informers), which registers every API group of Kubernetes when it
// initialises, or an API group other than core/v1: the Kubernetes
// executor speaks core/v1 through its own small client
// (executor/kubernetes/client.go).
func heavyKubernetes(pkg string) bool {
	if under(pkg, "k8s.io/client-go/kubernetes", "k8s.io/client-go/informers") {
		return true
	}
	return strings.HasPrefix(pkg, "k8s.io/api/") && pkg != "k8s.io/api/core/v1"
}

// TestHelpInitialisesOneKubernetesGroup: `sluice --help` initialises
// neither client-go's clientset nor any API group but core/v1, and the
// binary links none of them.
func TestHelpInitialisesOneKubernetesGroup(t *testing.T) {
	pkgs, _ := helpInits(t)
	for _, p := range pkgs {
		if heavyKubernetes(p) {
			t.Errorf("sluice --help initialises %s", p)
		}
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	core := false
	for _, d := range strings.Fields(string(out)) {
		if heavyKubernetes(d) {
			t.Errorf("sluice links %s", d)
		}
		core = core || d == "k8s.io/api/core/v1"
	}
	if !core {
		t.Error("sluice does not link k8s.io/api/core/v1: is the Kubernetes executor still in the binary?")
	}
}

// TestNoCloudSDKLinked: the default build links none of the SDKs (go list
// -deps, without tags); the tagged build does, which keeps the list above
// honest.
func TestNoCloudSDKLinked(t *testing.T) {
	deps := func(tags string) []string {
		out, err := exec.Command("go", "list", "-tags", tags, "-deps", ".").Output()
		if err != nil {
			t.Fatalf("go list -tags %q: %v", tags, err)
		}
		return strings.Fields(string(out))
	}
	for _, d := range deps("") {
		if under(d, cloudSDKs...) {
			t.Errorf("sluice links %s", d)
		}
	}
	linked := map[string]bool{}
	for _, d := range deps("gcs,azure,awssdk") {
		if under(d, "gocloud.dev/blob/gcsblob", "gocloud.dev/blob/azureblob", "gocloud.dev/blob/s3blob", "github.com/minio/minio-go/v7") {
			linked[d] = true
		}
	}
	if !linked["gocloud.dev/blob/gcsblob"] || !linked["gocloud.dev/blob/azureblob"] || !linked["gocloud.dev/blob/s3blob"] {
		t.Errorf("-tags gcs,azure,awssdk does not link the GCS, Azure and AWS drivers: %v", linked)
	}
	if linked["github.com/minio/minio-go/v7"] {
		t.Error("-tags awssdk still links minio-go")
	}
}

// sanitizer is the HTML sanitizer the Markdown renderer used to run its
// output through, and what only it brought: goldmark's own safe rendering
// and an allow-list of URLs replace it (api/markdown.go), and its
// initialisation cost every command 1.5 ms.
var sanitizer = []string{"github.com/microcosm-cc/bluemonday", "github.com/gorilla/css", "github.com/aymerick/douceur"}

// TestNoSanitizerLinked: the binary neither links nor initialises the
// HTML sanitizer.
func TestNoSanitizerLinked(t *testing.T) {
	trace, _ := helpTrace(t)
	for _, in := range trace {
		if under(in.pkg, sanitizer...) {
			t.Errorf("sluice --help initialises %s", in.pkg)
		}
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, d := range strings.Fields(string(out)) {
		if under(d, sanitizer...) {
			t.Errorf("sluice links %s", d)
		}
	}
}

// TestOwnPackagesInitialiseLittle: Sluice's own packages do (almost)
// nothing when the binary starts: their initialisation allocates under 64
// KB in all (about 20 KB: small tables; 270 KB when 40 regular expressions
// were compiled there), and no package-level variable of a package the
// binary links is initialised by compiling a regular expression or a
// template: those are compiled when first used (sync.OnceValue).
func TestOwnPackagesInitialiseLittle(t *testing.T) {
	trace, _ := helpTrace(t)
	total := 0
	for _, in := range trace {
		if under(in.pkg, "github.com/sluicehq/sluice") {
			total += in.bytes
		}
	}
	if total > 64<<10 {
		t.Errorf("Sluice's packages allocate %d bytes when sluice --help starts, want at most 64 KB", total)
	}

	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}} {{.Dir}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, dir, _ := strings.Cut(line, " ")
		if !under(pkg, "github.com/sluicehq/sluice") {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			checked++
			for _, call := range initCompiles(t, name) {
				t.Errorf("%s in a package-level variable, run at every start: compile it when first used (sync.OnceValue)", call)
			}
		}
	}
	if checked < 50 {
		t.Fatalf("checked only %d files of Sluice's packages: is go list's output as expected?\n%s", checked, out)
	}
}

// initCompiles returns the positions of the calls that compile a regular
// expression or parse a template in the initialisers of a file's
// package-level variables (outside function literals, which run later).
func initCompiles(t *testing.T, name string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	var found []string
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		ast.Inspect(g, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && (x.Name == "regexp" && strings.Contains(sel.Sel.Name, "Compile") || x.Name == "template") {
						found = append(found, fset.Position(n.Pos()).String()+": "+x.Name+"."+sel.Sel.Name)
					}
				}
			}
			return true
		})
	}
	return found
}
