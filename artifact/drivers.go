package artifact

import "fmt"

// The S3 driver (s3://, minio://) and mem:// are always linked. Google
// Cloud Storage and Azure Blob Storage each pull in their cloud's SDK
// (gRPC, OpenTelemetry exporters, their identity libraries: about a third
// of the binary and most of its start-up work), so each is linked only
// into a build made with its tag: `go build -tags gcs,azure ./cmd/sluice`
// (drivers_gcs.go, drivers_azure.go; docs/PERFORMANCE.md, "Dependency
// diet").

// Schemes lists the bucket URL schemes this build can open, sorted.
func Schemes() []string {
	s := []string{}
	if haveAzure {
		s = append(s, "azblob")
	}
	if haveGCS {
		s = append(s, "gs")
	}
	return append(s, "mem", "minio", "s3")
}

// CheckScheme reports whether this build can open bucket URLs of scheme:
// nil, or an error naming the build tag that links its driver. Schemes
// that are not bucket schemes at all are not its concern (nil).
func CheckScheme(scheme string) error {
	var tag string
	switch {
	case scheme == "gs" && !haveGCS:
		tag = "gcs"
	case scheme == "azblob" && !haveAzure:
		tag = "azure"
	default:
		return nil
	}
	return fmt.Errorf("%s:// is not in this build of sluice: build it with -tags %s (go build -tags %s ./cmd/sluice)", scheme, tag, tag)
}
