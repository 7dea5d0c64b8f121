package spec

import (
	"strings"
	"testing"
)

func TestLocalPath(t *testing.T) {
	cases := []struct{ uri, want string }{
		{"gs://bucket/a/b", "/gcs/bucket/a/b"},
		{"s3://bucket/k", "/s3/bucket/k"},
		{"minio://mlpipeline/v2/artifacts/x", "/minio/mlpipeline/v2/artifacts/x"},
		{"oci://registry.io/org/repo:tag", "/oci/registry.io_org_repo:tag"},
		{"file:///tmp/x", "/tmp/x"},
		{"file://localhost/tmp/x", "/tmp/x"},
		{"file://rel", "/rel"},
		{"/abs/path", "/abs/path"},
		{"relative/path", "relative/path"},
		{"https://example.com/x", "https://example.com/x"},
		{"", ""},
		{"gs://", "/gcs/"},
	}
	for _, tc := range cases {
		if got := LocalPath(tc.uri); got != tc.want {
			t.Errorf("LocalPath(%q) = %q, want %q", tc.uri, got, tc.want)
		}
	}
}

func TestURIFromLocalPath(t *testing.T) {
	cases := []struct{ path, want string }{
		{"/gcs/bucket/a", "gs://bucket/a"},
		{"/s3/bucket/a", "s3://bucket/a"},
		{"/minio/mlpipeline/a", "minio://mlpipeline/a"},
		{"/oci/reg_repo:tag", "/oci/reg_repo:tag"},
		{"/tmp/x", "/tmp/x"},
		{"/gcsx/a", "/gcsx/a"},
		{"/gcs", "/gcs"},
		{"", ""},
	}
	for _, tc := range cases {
		if got := URIFromLocalPath(tc.path); got != tc.want {
			t.Errorf("URIFromLocalPath(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
	for _, uri := range []string{"gs://b/k", "s3://b/k/l", "minio://b/", "/local/file"} {
		if got := URIFromLocalPath(LocalPath(uri)); got != uri {
			t.Errorf("round trip %q -> %q", uri, got)
		}
	}
}

func TestArtifactLocalPath(t *testing.T) {
	upper := func(uri string) string { return "/U/" + strings.ToUpper(uri) }
	cases := []struct {
		name      string
		a         *RuntimeArtifact
		workspace string
		lp        func(string) string
		want      string
	}{
		{"nil", nil, "/ws", nil, ""},
		{"plain", &RuntimeArtifact{URI: "s3://b/k"}, "/ws", nil, "/s3/b/k"},
		{"local uri", &RuntimeArtifact{URI: "/data/run/x"}, "", nil, "/data/run/x"},
		{"custom path wins", &RuntimeArtifact{URI: "s3://b/k", CustomPath: "/mnt/x", Metadata: map[string]any{"_kfp_workspace": true}}, "/ws", nil, "/mnt/x"},
		{"workspace", &RuntimeArtifact{URI: "gs://b/k", Metadata: map[string]any{"_kfp_workspace": true}}, "/ws", nil, "/ws/.artifacts/gcs/b/k"},
		{"workspace trailing slash", &RuntimeArtifact{URI: "gs://b/k", Metadata: map[string]any{"_kfp_workspace": true}}, "/ws/", nil, "/ws/.artifacts/gcs/b/k"},
		{"workspace default", &RuntimeArtifact{URI: "gs://b/k", Metadata: map[string]any{"_kfp_workspace": true}}, "", nil, "/kfp-workspace/.artifacts/gcs/b/k"},
		{"workspace false", &RuntimeArtifact{URI: "gs://b/k", Metadata: map[string]any{"_kfp_workspace": false}}, "/ws", nil, "/gcs/b/k"},
		{"workspace not bool", &RuntimeArtifact{URI: "gs://b/k", Metadata: map[string]any{"_kfp_workspace": "true"}}, "/ws", nil, "/gcs/b/k"},
		{"hook", &RuntimeArtifact{URI: "gs://b/k"}, "/ws", upper, "/U/GS://B/K"},
		{"hook workspace", &RuntimeArtifact{URI: "gs://b/k", Metadata: map[string]any{"_kfp_workspace": true}}, "/ws", upper, "/ws/.artifacts/U/GS:/B/K"},
		{"workspace climbing", &RuntimeArtifact{URI: "gs://b/../../../../etc", Metadata: map[string]any{"_kfp_workspace": true}}, "/ws", nil, "/ws/.artifacts/etc"},
		{"workspace local climbing", &RuntimeArtifact{URI: "/../../home", Metadata: map[string]any{"_kfp_workspace": true}}, "/ws", nil, "/ws/.artifacts/home"},
	}
	for _, tc := range cases {
		if got := ArtifactLocalPath(tc.a, tc.workspace, tc.lp); got != tc.want {
			t.Errorf("%s: ArtifactLocalPath = %q, want %q", tc.name, got, tc.want)
		}
	}
}
