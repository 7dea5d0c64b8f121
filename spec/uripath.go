package spec

import (
	"path"
	"strings"
)

// DefaultWorkspacePath is where the pipeline workspace is mounted inside a
// container when nothing else is configured (FORMAT.md §5.4).
const DefaultWorkspacePath = "/kfp-workspace"

// uriMounts pairs remote URI schemes with the local mount prefix the SDK and
// the backend launcher use for them (FORMAT.md §5.4). oci:// is handled
// separately because its mapping is not reversible.
var uriMounts = []struct{ scheme, mount string }{
	{"gs://", "/gcs/"},
	{"s3://", "/s3/"},
	{"minio://", "/minio/"},
	{"azblob://", "/azblob/"}, // a Sluice extension: KFP has no Azure mount
}

// LocalPath maps an artifact URI to its local path (FORMAT.md §5.4):
//
//	gs://b/k            -> /gcs/b/k
//	s3://b/k            -> /s3/b/k
//	minio://b/k         -> /minio/b/k
//	azblob://c/k        -> /azblob/c/k         (Sluice only)
//	oci://reg/repo:tag  -> /oci/reg_repo:tag   ('/' becomes '_')
//	file:///x           -> /x                  (also file://localhost/x)
//
// Anything else (normally an absolute local path) is returned unchanged.
func LocalPath(uri string) string {
	for _, m := range uriMounts {
		if strings.HasPrefix(uri, m.scheme) {
			return m.mount + uri[len(m.scheme):]
		}
	}
	if rest, ok := strings.CutPrefix(uri, "oci://"); ok {
		return "/oci/" + strings.ReplaceAll(rest, "/", "_")
	}
	if rest, ok := strings.CutPrefix(uri, "file://"); ok {
		if after, ok := strings.CutPrefix(rest, "localhost/"); ok {
			rest = "/" + after
		}
		if !strings.HasPrefix(rest, "/") {
			rest = "/" + rest
		}
		return rest
	}
	return uri
}

// URIFromLocalPath is the reverse of LocalPath for the remote mounts:
// /gcs/... -> gs://..., /s3/... -> s3://..., /minio/... -> minio://...
// Every other path (including /oci/..., whose mapping loses information) is
// returned unchanged, matching the SDK's Artifact.path setter.
func URIFromLocalPath(path string) string {
	for _, m := range uriMounts {
		if strings.HasPrefix(path, m.mount) {
			return m.scheme + path[len(m.mount):]
		}
	}
	return path
}

// ArtifactLocalPath returns the local path of a runtime artifact:
//   - its CustomPath when set;
//   - when its metadata has "_kfp_workspace": true (downloaded into the
//     workspace), workspace + "/.artifacts/" + the mapped URI path without its
//     leading "/", cleaned so that it stays under it (an empty workspace
//     means DefaultWorkspacePath);
//   - otherwise localPath(uri).
//
// localPath nil means LocalPath. A nil artifact has no path ("").
func ArtifactLocalPath(a *RuntimeArtifact, workspace string, localPath func(string) string) string {
	if a == nil {
		return ""
	}
	if a.CustomPath != "" {
		return a.CustomPath
	}
	if localPath == nil {
		localPath = LocalPath
	}
	p := localPath(a.URI)
	if ws, _ := a.Metadata["_kfp_workspace"].(bool); ws {
		if workspace == "" {
			workspace = DefaultWorkspacePath
		}
		// Cleaned as an absolute path first: a URI cannot climb out of
		// the workspace with "..".
		return strings.TrimRight(workspace, "/") + "/.artifacts" + path.Clean("/"+p)
	}
	return p
}
