package artifact

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// MinioEndpointEnv names the environment variable that gives the endpoint
// of minio:// stores whose URL has no ?endpoint= (host:port, or a full
// http:// or https:// URL).
const MinioEndpointEnv = "SLUICE_MINIO_ENDPOINT"

// openMinio opens minio://bucket/prefix, KFP's scheme for its in-cluster
// MinIO, as an S3 store: path-style addressing, region us-east-1 unless
// given, and the endpoint from ?endpoint= or SLUICE_MINIO_ENDPOINT (plain
// http when it names no scheme). Other query parameters are s3blob's.
// Artifact URIs stay minio://bucket/key.
func openMinio(ctx context.Context, u *url.URL) (*BucketStore, error) {
	name := "minio://" + u.Host + strings.TrimSuffix(u.Path, "/") // no query: it may hold secrets
	if u.Host == "" {
		return nil, fmt.Errorf("open artifact store %s: no bucket", name)
	}
	q := u.Query()
	endpoint := q.Get("endpoint")
	if endpoint == "" {
		endpoint = os.Getenv(MinioEndpointEnv)
	}
	if endpoint == "" {
		return nil, fmt.Errorf("open artifact store %s: no MinIO endpoint: add ?endpoint=HOST:PORT to the URL or set %s", name, MinioEndpointEnv)
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "http://" + endpoint // MinIO in a cluster usually serves plain http
	}
	if e, err := url.Parse(endpoint); err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
		return nil, fmt.Errorf("open artifact store %s: MinIO endpoint %q: want HOST:PORT or an http(s) URL", name, endpoint)
	}
	q.Set("endpoint", endpoint)
	if q.Get("use_path_style") == "" && q.Get("s3ForcePathStyle") == "" {
		q.Set("use_path_style", "true")
	}
	if q.Get("region") == "" {
		q.Set("region", "us-east-1")
	}
	su := *u
	su.Scheme = "s3"
	su.RawQuery = q.Encode()
	return openBucket(ctx, &su, "minio")
}
