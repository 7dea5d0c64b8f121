// Package examples embeds the example pipelines that `sluice server`
// registers on its first start.
package examples

import "embed"

// FS holds the example pipelines: <name>/pipeline.yaml.
//
//go:embed */pipeline.yaml
var FS embed.FS
