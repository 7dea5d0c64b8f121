package argo

import (
	"os/exec"
	"strings"
	"testing"
)

// spec imports this package, so of Sluice it may link only leaves: the
// model it writes (spec/ir) and the graph algorithms (internal/graph).
func TestLinksOnlyLeaves(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/sluicehq/sluice/"
	allowed := map[string]bool{mod + "spec/argo": true, mod + "spec/ir": true, mod + "internal/graph": true}
	for _, d := range strings.Fields(string(out)) {
		if strings.HasPrefix(d, mod) && !allowed[d] {
			t.Errorf("spec/argo links %s", d)
		}
	}
}
