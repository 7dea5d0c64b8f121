package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Devel is the version of a binary built without a module version (go
// run, go test, a build outside version control).
const Devel = "devel"

// Info is what a binary knows about its own build.
type Info struct {
	// Version is the module version: a release tag (v1.2.0), the
	// pseudo-version go build derives from the commit
	// (v0.0.0-20260101120000-0123456789ab, "+dirty" when modified), or
	// Devel.
	Version string
	// Revision is the commit the binary was built from; empty when the
	// build had no version control information.
	Revision string
	// Time is the commit's time (zero when unknown).
	Time time.Time
	// Modified says the tree had uncommitted changes.
	Modified bool
	// Go is the Go version and platform of the build ("go1.26.8 linux/amd64").
	Go string
}

// Get reads the running binary's build information.
func Get() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: Devel, Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	}
	return FromBuildInfo(bi)
}

// FromBuildInfo reads a binary's build information.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	i := Info{Version: Devel, Go: bi.GoVersion}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		i.Version = v
	}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.time":
			i.Time, _ = time.Parse(time.RFC3339, s.Value)
		case "vcs.modified":
			i.Modified = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos != "" && goarch != "" {
		i.Go += " " + goos + "/" + goarch
	}
	return i
}

// Short is the commit's first 12 characters ("" when unknown).
func (i Info) Short() string {
	if len(i.Revision) > 12 {
		return i.Revision[:12]
	}
	return i.Revision
}

// Commit is the commit as healthz's commit_sha reports it: the revision,
// or "unknown".
func (i Info) Commit() string {
	if i.Revision == "" {
		return "unknown"
	}
	return i.Revision
}

// String is the one line of `sluice --version`: the version and, when it
// does not say it already, the commit.
func (i Info) String() string {
	s := i.Version
	if c := i.Short(); c != "" && !strings.Contains(i.Version, c) {
		s += " (commit " + c
		if i.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s
}

// Long is what `sluice version` prints: the version, the commit and how
// the binary was built.
func (i Info) Long() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sluice %s\n", i.Version)
	switch {
	case i.Revision == "":
		b.WriteString("commit:  unknown (built without version control information, as go run and go test build;\n         go build or go install in a clone of the repository record it)\n")
	default:
		fmt.Fprintf(&b, "commit:  %s", i.Revision)
		var notes []string
		if !i.Time.IsZero() {
			notes = append(notes, i.Time.UTC().Format(time.RFC3339))
		}
		if i.Modified {
			notes = append(notes, "with uncommitted changes")
		}
		if len(notes) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(notes, ", "))
		}
		b.WriteString("\n")
	}
	if i.Go != "" {
		fmt.Fprintf(&b, "go:      %s\n", i.Go)
	}
	return b.String()
}
