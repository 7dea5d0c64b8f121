package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The in-pod launcher starts in every step's container: it must not link
// what only the server needs: client-go registers every API type, the
// graph layout, the UI and the databases are the server's; nor AWS's SDK,
// which only the build with -tags awssdk links (S3 goes through
// minio-go). Stripped, as the images are built, it stays within 20 MB.
func TestLaunchBinaryStaysSmall(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, banned := range []string{"github.com/sluicehq/sluice/layout", "k8s.io/client-go", "github.com/sluicehq/sluice/api",
		"github.com/sluicehq/sluice/ui", "github.com/sluicehq/sluice/store", "modernc.org/sqlite", "github.com/jackc/pgx", "github.com/spf13/cobra",
		"github.com/aws/aws-sdk-go-v2", "github.com/aws/smithy-go", "gocloud.dev/blob/s3blob"} {
		for _, d := range deps {
			if d == banned || strings.HasPrefix(d, banned+"/") {
				t.Errorf("sluice-launch links %s", d)
				break
			}
		}
	}

	if testing.Short() {
		t.Skip("-short: not building the stripped binary")
	}
	// As scripts/k8s/images.sh builds it, less -trimpath (which would
	// compile every package again, outside the build cache; it saves
	// about 25 kB here).
	bin := filepath.Join(t.TempDir(), "sluice-launch")
	if out, err := exec.Command("go", "build", "-ldflags=-s -w", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	const limit = 20_000_000
	if fi.Size() > limit {
		t.Errorf("sluice-launch is %.2f MB stripped, over %d MB (docs/PERFORMANCE.md, \"dependency diet\")", float64(fi.Size())/1e6, limit/1_000_000)
	}
	t.Logf("sluice-launch: %.2f MB stripped", float64(fi.Size())/1e6)
}
