// Package kubetest connects tests to a real Kubernetes cluster: the one
// $SLUICE_TEST_KUBECONFIG names (scripts/k8s/up.sh starts one on this
// machine). Without it, tests skip, unless $SLUICE_REQUIRE_K8S=1 makes
// that a failure. The cluster must hold the images scripts/k8s/images.sh
// builds.
package kubetest

import (
	"os"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Kubeconfig returns the test cluster's kubeconfig path, or skips the test.
func Kubeconfig(t testing.TB) string {
	t.Helper()
	path := os.Getenv("SLUICE_TEST_KUBECONFIG")
	if path == "" {
		if os.Getenv("SLUICE_REQUIRE_K8S") == "1" {
			t.Fatal("SLUICE_TEST_KUBECONFIG is not set (start a cluster with scripts/k8s/up.sh)")
		}
		t.Skip("no cluster: set SLUICE_TEST_KUBECONFIG (scripts/k8s/up.sh)")
	}
	return path
}

// Client returns a client of the test cluster, or skips the test.
func Client(t testing.TB) kubernetes.Interface {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", Kubeconfig(t))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}
