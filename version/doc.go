// Package version says which Sluice a binary is, from the build
// information Go embeds in it: the module version (a release tag, or the
// pseudo-version `go build` derives from the repository's commit), the
// commit itself, its time, and whether the tree had uncommitted changes.
// `sluice version`, `sluice --version`, healthz and the web UI's footer
// show it. A binary built without version control information (`go run`,
// `go test`, -buildvcs=false) is "devel" with an unknown commit.
package version
