package launcher

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/launch"
	"github.com/sluicehq/sluice/spec"
)

// A launcher refuses a launch description of another protocol version (a
// sluice binary in the pod older or newer than the server's) before it
// runs anything, and says what to do.
func TestLaunchRefusesOtherProtocol(t *testing.T) {
	st, err := artifact.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []int{0, launch.Protocol + 1} {
		ls := &launch.Spec{Protocol: p, RunID: "r", TaskID: "t", Input: &spec.ExecutorInput{}, MetaURI: st.URI("r/t")}
		code, err := Launch(context.Background(), ls, st, []string{"sh", "-c", "echo ran"}, nil, io.Discard)
		if err == nil || code != -1 || !strings.Contains(err.Error(), "not the server's version") {
			t.Errorf("protocol %d: code %d, err %v", p, code, err)
		}
	}
}

// The launcher's command line takes `-- COMMAND...` or `install DEST`,
// nothing else: a stray word is not run as a command.
func TestMainUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"--"}, {"install"}, {"install", "a", "b"}, {"echo", "hi"}} {
		var stderr strings.Builder
		if code := Main(context.Background(), args, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage:") {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}
