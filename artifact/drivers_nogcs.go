//go:build !gcs

package artifact

const haveGCS = false
