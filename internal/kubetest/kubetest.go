// Package kubetest connects tests to a real Kubernetes cluster: the one
// $SLUICE_TEST_KUBECONFIG names (scripts/k8s/up.sh starts one on this
// machine). Without it, tests skip, unless $SLUICE_REQUIRE_K8S=1 makes
// that a failure. The cluster must hold the images scripts/k8s/images.sh
// builds.
package kubetest

import (
	"context"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
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
	cs, err := kubernetes.NewForConfig(Config(t))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// S3Secret creates (or replaces) the secret name in namespace ns holding
// the AWS credentials of the test's environment, as `--artifacts-secret`
// gives them to step pods, and deletes it when the test ends.
func S3Secret(t testing.TB, cs kubernetes.Interface, ns, name string) string {
	t.Helper()
	ctx := context.Background()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: map[string]string{
		"AWS_ACCESS_KEY_ID": os.Getenv("AWS_ACCESS_KEY_ID"), "AWS_SECRET_ACCESS_KEY": os.Getenv("AWS_SECRET_ACCESS_KEY"),
		"AWS_EC2_METADATA_DISABLED": "true"}}
	_ = cs.CoreV1().Secrets(ns).Delete(ctx, name, metav1.DeleteOptions{})
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Secrets(ns).Delete(context.Background(), name, metav1.DeleteOptions{}) })
	return name
}

// Config returns the REST configuration of the test cluster, or skips the
// test.
func Config(t testing.TB) *rest.Config {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", Kubeconfig(t))
	if err != nil {
		t.Fatal(err)
	}
	return rc
}
