// Command sluice runs Kubeflow Pipelines locally and serves them.
package main

import (
	"os"

	"github.com/sluicehq/sluice/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
