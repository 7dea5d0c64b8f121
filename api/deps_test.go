package api

import (
	"os/exec"
	"strings"
	"testing"
)

// The API is HTTP over the store and the run service: it must not link the
// machinery that runs steps, so that a new executor or a change to how
// steps run never reaches it, and it never runs a step itself.
func TestAPIDoesNotLinkTheStepMachinery(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/sluicehq/sluice/"
	for _, d := range strings.Fields(string(out)) {
		for _, banned := range []string{"engine", "launcher", "pyruntime", "executor", "runner", "client"} {
			if d == mod+banned || strings.HasPrefix(d, mod+banned+"/") {
				t.Errorf("api links %s", d)
			}
		}
	}
}
