// Package artifact is Sluice's blob-storage seam: where artifacts and task
// logs live. It is one of the two plug-in seams (see CONVENTIONS.md), so it
// has a written contract (below), a conformance suite (package
// artifact/artifacttest) and compile-time interface checks.
//
// # Backends
//
// [Open] picks a backend from a URL:
//
//   - a plain path or file:///dir: a local directory store. Objects are plain
//     files under the root, so artifact URIs are absolute file paths.
//   - s3://bucket/prefix?endpoint=http://host:9000&region=us-east-1&use_path_style=true:
//     any S3-compatible service (AWS, MinIO, SeaweedFS, Ceph, ...), through
//     minio-go (package artifact/minioblob, a gocloud.dev/blob driver of
//     Sluice's own), or through gocloud's s3blob and AWS's SDK in a build
//     with -tags awssdk ([S3Client] names the one linked). Query parameters
//     are s3blob's: endpoint, region, use_path_style (s3ForcePathStyle),
//     disable_https, profile, anonymous, ssetype, kmskeyid; the default
//     build refuses s3blob's others (accelerate, dualstack, fips, role, ...)
//     naming -tags awssdk, and unknown ones naming them. Credentials come
//     from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, shared
//     config files, web identity, container and instance roles: the table
//     in docs/SERVER.md says which build reads which); they are never part
//     of the URL and never logged.
//   - minio://bucket/prefix?endpoint=host:9000: KFP's scheme for its MinIO
//     (default pipeline root minio://mlpipeline/v2/artifacts), opened as an
//     S3 store with use_path_style=true and region us-east-1 unless given.
//     An endpoint without a scheme means http://; without ?endpoint= the
//     endpoint comes from SLUICE_MINIO_ENDPOINT, and with neither Open fails
//     (no host is guessed). Other query parameters are s3's, and so are the
//     credentials (the default build also reads MinIO's MINIO_ROOT_USER and
//     MINIO_ROOT_PASSWORD, or MINIO_ACCESS_KEY and MINIO_SECRET_KEY, after
//     the AWS variables). Artifact URIs stay minio://bucket/key.
//   - gs://bucket/prefix: Google Cloud Storage (application default credentials),
//     in a build with -tags gcs.
//   - azblob://container/prefix: Azure Blob Storage (AZURE_STORAGE_ACCOUNT and
//     the usual Azure credential variables), in a build with -tags azure.
//   - mem://name/prefix: an in-memory bucket, for tests.
//
// Bucket backends go through gocloud.dev/blob; the drivers are imported
// explicitly in bucket.go (mem), drivers_s3.go (s3, minio: minioblob) or
// drivers_awssdk.go (with -tags awssdk: s3blob), drivers_gcs.go and
// drivers_azure.go (only with their build tags: [Schemes] lists what a
// build has, and [CheckScheme] refuses the others naming the tag) and
// used through their URL openers. This package has no registry of its own.
//
// # Contract
//
// Keys are slash-separated relative paths ("runs/r1/train/model"). A key must
// not be absolute, must not contain empty, "." or ".." segments, backslashes
// or NUL bytes; such keys are rejected with an error wrapping [ErrInvalidKey]
// and never touch storage. The empty key "" names the store root and is
// accepted only where a prefix is expected (List, URI).
//
// A key names either one object or a "directory": the set of objects whose
// keys start with key + "/". Directory artifacts are uploaded and downloaded
// as trees.
//
//   - URI(key) is the artifact URI of key: an absolute path for local stores,
//     scheme://bucket/prefix/key for buckets (without query parameters). It
//     returns "" for an invalid key. [KeyOf] is its inverse.
//   - Put(local, key) makes key mirror the local file or directory: whatever
//     was stored at key or under key/ before is replaced. A directory is
//     uploaded recursively, each regular file as key/relpath (empty
//     directories are not preserved by bucket stores). Putting a path onto
//     itself (a local store whose URI(key) is local) is a no-op. local is
//     read as [LocalFiles] reads it: regular files only, opened without
//     blocking; no link, FIFO, device or socket inside a tree is read.
//   - PutFiles(files, key) is Put of the files [Files] gives, read by its
//     maker's rules (a step's output: rundir.Output, never through a link
//     out of the run's directory); what was at key is replaced only once
//     a file comes, and a path of files that is not a key is refused
//     ([ErrInvalidKey]).
//   - Get(key, local) downloads one object to the file local, or, if key is a
//     directory, recreates the tree under the directory local. Parent
//     directories are created. A key with neither → error wrapping [ErrNotFound].
//   - Open reads one object; a missing key or a directory → [ErrNotFound].
//   - Create returns a writer (for logs); after a successful Close its content
//     is the object at key. Before Close, readers may see nothing, the old
//     content or a partial new one (the local store writes in place so logs
//     can be tailed). Cancelling ctx before Close may abort the write.
//   - List(prefix) returns, sorted, every object key equal to prefix or under
//     prefix + "/" ("" lists the whole store). A missing prefix gives an
//     empty list, not an error.
//   - Exists(key) reports whether key is an object or a non-empty directory
//     (the local store also reports an empty directory).
//   - Delete(key) removes the object at key and everything under key/;
//     deleting a missing key is not an error.
//   - Close releases the store; it is not used afterwards.
//
// All methods are safe for concurrent use.
package artifact
