package version

import (
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestFromBuildInfo(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	for _, tc := range []struct {
		name       string
		bi         debug.BuildInfo
		want       Info
		line, long string
		commit     string
	}{
		{
			name: "go run: no version, no commit",
			bi: debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
				Settings: settings("GOOS", "linux", "GOARCH", "amd64")},
			want:   Info{Version: Devel, Go: "go1.26.8 linux/amd64"},
			line:   "devel",
			long:   "sluice devel\ncommit:  unknown (built without version control information",
			commit: "unknown",
		},
		{
			name: "go build in a clone: pseudo-version and commit",
			bi: debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261207013452-0d324b09e0f7"},
				Settings: settings("vcs", "git", "vcs.revision", "0d324b09e0f7a1b2c3d4e5f60718293a4b5c6d7e", "vcs.time", "2026-12-07T01:34:52Z", "vcs.modified", "false")},
			want: Info{Version: "v0.0.0-20261207013452-0d324b09e0f7", Revision: "0d324b09e0f7a1b2c3d4e5f60718293a4b5c6d7e",
				Time: time.Date(2026, 12, 7, 1, 34, 52, 0, time.UTC), Go: "go1.26.8"},
			line:   "v0.0.0-20261207013452-0d324b09e0f7",
			long:   "sluice v0.0.0-20261207013452-0d324b09e0f7\ncommit:  0d324b09e0f7a1b2c3d4e5f60718293a4b5c6d7e (2026-12-07T01:34:52Z)\n",
			commit: "0d324b09e0f7a1b2c3d4e5f60718293a4b5c6d7e",
		},
		{
			name: "uncommitted changes",
			bi: debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261207013452-0d324b09e0f7+dirty"},
				Settings: settings("vcs.revision", "0d324b09e0f7a1b2", "vcs.modified", "true")},
			want:   Info{Version: "v0.0.0-20261207013452-0d324b09e0f7+dirty", Revision: "0d324b09e0f7a1b2", Modified: true},
			line:   "v0.0.0-20261207013452-0d324b09e0f7+dirty",
			long:   "commit:  0d324b09e0f7a1b2 (with uncommitted changes)\n",
			commit: "0d324b09e0f7a1b2",
		},
		{
			name:   "a release",
			bi:     debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}, Settings: settings("vcs.revision", "abcdef0123456789abcd")},
			want:   Info{Version: "v1.2.0", Revision: "abcdef0123456789abcd"},
			line:   "v1.2.0 (commit abcdef012345)",
			long:   "sluice v1.2.0\n",
			commit: "abcdef0123456789abcd",
		},
		{
			name:   "a commit without a module version (-buildvcs with an old toolchain)",
			bi:     debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: settings("vcs.revision", "abcdef0123456789abcd", "vcs.modified", "true")},
			want:   Info{Version: Devel, Revision: "abcdef0123456789abcd", Modified: true},
			line:   "devel (commit abcdef012345, modified)",
			long:   "sluice devel\n",
			commit: "abcdef0123456789abcd",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := FromBuildInfo(&tc.bi)
			if got != tc.want {
				t.Errorf("FromBuildInfo = %+v, want %+v", got, tc.want)
			}
			if s := got.String(); s != tc.line {
				t.Errorf("String() = %q, want %q", s, tc.line)
			}
			if l := got.Long(); !strings.Contains(l, tc.long) {
				t.Errorf("Long() = %q, want it to contain %q", l, tc.long)
			}
			if c := got.Commit(); c != tc.commit {
				t.Errorf("Commit() = %q, want %q", c, tc.commit)
			}
		})
	}
}

// A test binary has no version control information: Get says devel.
func TestGetInATestBinary(t *testing.T) {
	i := Get()
	if i.Version != Devel || i.Go == "" {
		t.Errorf("Get() = %+v, want version %q and a Go version", i, Devel)
	}
}
