// Command sluice-launch is the launcher the Kubernetes executor runs around
// each step's command inside its pod (the same as `sluice launch`, in a
// binary that links only the launcher and the artifact stores, so that it
// starts at once in a fresh container).
//
//	sluice-launch -- COMMAND [ARG...]
//	sluice-launch install DEST
package main

import (
	"context"
	"os"

	"github.com/sluicehq/sluice/launcher"
)

func main() {
	os.Exit(launcher.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
