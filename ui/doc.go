// Package ui is Sluice's web UI: hand-written ES modules, CSS and one HTML
// page, embedded in the binary and served by `sluice server` at "/". The UI
// is a client of the REST API only (the KFP v2beta1 API plus Sluice's own
// routes under /apis/sluice/v1); see docs/UI.md for its pages and why it is
// built this way.
package ui
