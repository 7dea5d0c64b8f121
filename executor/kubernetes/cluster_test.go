package kubernetes

import (
	"context"
	"os"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/executor/executortest"
)

// Integration tests against a real cluster: $SLUICE_TEST_KUBECONFIG names
// its kubeconfig (scripts/k8s/up.sh starts one on this machine and prints
// it). The cluster must have the images scripts/k8s/images.sh builds. They
// skip without one, unless SLUICE_REQUIRE_K8S=1.
func realCluster(t *testing.T) kubernetes.Interface {
	t.Helper()
	path := os.Getenv("SLUICE_TEST_KUBECONFIG")
	if path == "" {
		if os.Getenv("SLUICE_REQUIRE_K8S") == "1" {
			t.Fatal("SLUICE_TEST_KUBECONFIG is not set (start a cluster with scripts/k8s/up.sh)")
		}
		t.Skip("no cluster: set SLUICE_TEST_KUBECONFIG (scripts/k8s/up.sh)")
	}
	rc, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// The executor conformance suite, on pods: plain jobs in the busybox image.
func TestClusterConformance(t *testing.T) {
	cs := realCluster(t)
	executortest.Run(t, executortest.Config{
		New: func(t *testing.T) executor.Executor {
			e := &Executor{Client: cs, Pod: PodOptions{Namespace: "default", ImagePullPolicy: "Never"}, StartTimeout: 90 * time.Second}
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			return e
		},
		Image:   "docker.io/library/busybox:1.36",
		Dir:     func(t *testing.T) string { return "" },
		Timeout: 2 * time.Minute,
	})
}
