package launch

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/spec"
)

func TestEncodeDecode(t *testing.T) {
	s := &Spec{Protocol: Protocol, RunID: "r", TaskID: "for-loop/0/t", Input: &spec.ExecutorInput{}, MetaURI: "s3://b/p/r/.sluice/tasks/t",
		Requirements: []string{"numpy>=1"}, Workspace: "/kfp-workspace"}
	v, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(v)
	if err != nil {
		t.Fatal(err)
	}
	if got.RunID != s.RunID || got.TaskID != s.TaskID || got.MetaURI != s.MetaURI || got.Workspace != s.Workspace || len(got.Requirements) != 1 {
		t.Fatalf("decoded %+v", got)
	}
	for _, tc := range []struct{ in, err string }{
		{`{"protocol": 2, "executorInput": {}, "metaUri": "s3://b/x"}`, "protocol 2, this sluice speaks 1"},
		{`{"protocol": 0}`, "protocol 0"},
		{`{"protocol": 1, "metaUri": "s3://b/x"}`, "no executorInput"},
		{`{`, "$SLUICE_LAUNCH"},
	} {
		s, err := Decode(tc.in)
		if err == nil {
			err = s.Check()
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Decode(%s): %v, want %q", tc.in, err, tc.err)
		}
	}
}
