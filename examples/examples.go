// Package examples embeds the example pipelines that `sluice server`
// registers on its first start.
package examples

import "embed"

// FS holds the example pipelines (see Pipelines).
//
//go:embed tutorial/pipeline.yaml fanout/pipeline.yaml realworld/gopipeline/pipeline.yaml tuning/experiment.yaml tuning/realworld.yaml
var FS embed.FS

// Pipelines lists the example pipeline files in FS: the tutorial (compiled
// by the KFP SDK), a fan-out, and the real-world regression (compiled from
// Go by the dsl package).
func Pipelines() []string {
	return []string{"tutorial/pipeline.yaml", "fanout/pipeline.yaml", "realworld/gopipeline/pipeline.yaml"}
}

// Experiments lists the example tuning experiments in FS; each names its
// pipeline as a file beside it.
func Experiments() []string {
	return []string{"tuning/experiment.yaml"}
}
