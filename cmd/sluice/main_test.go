package main

import (
	"os"
	"os/exec"
	"slices"
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
	for _, line := range strings.Split(stderr.String(), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "init" {
			pkgs = append(pkgs, f[1])
		}
	}
	if len(pkgs) == 0 {
		t.Fatalf("no init trace from GODEBUG=inittrace=1:\n%s", stderr.String())
	}
	return pkgs, tmp
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
