package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The in-pod launcher starts in every step's container: it must not link
// what only the server needs: client-go registers every API type, the
// graph layout, the UI and the databases are the server's.
func TestLaunchBinaryStaysSmall(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, banned := range []string{"github.com/sluicehq/sluice/layout", "k8s.io/client-go", "github.com/sluicehq/sluice/api",
		"github.com/sluicehq/sluice/ui", "github.com/sluicehq/sluice/store", "modernc.org/sqlite", "github.com/jackc/pgx", "github.com/spf13/cobra"} {
		for _, d := range deps {
			if d == banned || strings.HasPrefix(d, banned+"/") {
				t.Errorf("sluice-launch links %s", d)
				break
			}
		}
	}
}
