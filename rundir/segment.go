package rundir

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// MaxSegment bounds the length of a path segment Segment returns (file
// systems refuse names over 255 bytes).
const MaxSegment = 128

// ordinary is a name kept as it is: what the KFP compiler produces for
// pipeline names, task keys and output names (letters, digits, '-', '_'
// and '.'), not starting with '.' or '-'.
var ordinary = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][-_.A-Za-z0-9]*$`) })

// unsafe and dashes are KFP's sanitisation (sanitize_k8s_name with
// capitals and underscores allowed): runs of other characters become
// '-', repeated '-' collapse, '-' is trimmed at both ends.
var (
	unsafe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^-_0-9A-Za-z]+`) })
	dashes = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`-+`) })
)

// Segment maps a name that comes from a spec or a request (a pipeline
// name, a task key, an iteration index, an artifact or parameter name, a
// run id) to one safe path segment. An ordinary name (letters, digits,
// '-', '_', '.', not starting with '.' or '-', at most MaxSegment bytes)
// is itself, so existing layouts stay. Any other name — "..", "a/b", an
// absolute path, NUL bytes, unicode, a very long name — becomes KFP's
// sanitised form of it (at most 100 bytes) followed by '-' and a digest of
// the whole name, so that two different names never share a directory:
// "../../../sluice.db" is "sluice-db-98d032520d3b". The result is never
// empty, ".", "..", and never holds a separator.
func Segment(name string) string {
	if len(name) <= MaxSegment && ordinary().MatchString(name) {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	digest := hex.EncodeToString(sum[:6])
	s := strings.Trim(dashes().ReplaceAllString(unsafe().ReplaceAllString(name, "-"), "-"), "-")
	if len(s) > 100 {
		s = strings.TrimRight(s[:100], "-")
	}
	if s == "" {
		return digest
	}
	return s + "-" + digest
}

// segments maps a "/"-separated id (a task path) to its path, each
// segment mapped by Segment.
func segments(id string) []string {
	parts := strings.Split(id, "/")
	for i, p := range parts {
		parts[i] = Segment(p)
	}
	return parts
}

// Under is p placed under base: p is cleaned as if it were absolute first
// (so ".." cannot climb above base) and joined to base. It is how a
// mount path (/s3/bucket/key) of a URI is placed under a scratch
// directory.
func Under(base, p string) string {
	return filepath.Join(base, filepath.FromSlash(path.Clean("/"+filepath.ToSlash(p))))
}
