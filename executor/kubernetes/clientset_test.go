package kubernetes

import (
	"context"
	"io"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// clientset is a Client over client-go's clientset: the fake one in the
// tests of error paths (the real one, NewClient, is what the cluster tests
// use).
type clientset struct{ cs kubernetes.Interface }

func (c clientset) CreatePod(ctx context.Context, ns string, pod *corev1.Pod) (*corev1.Pod, error) {
	return c.cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
}

func (c clientset) DeletePod(ctx context.Context, ns, name string) error {
	return c.cs.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{})
}

func (c clientset) DeletePods(ctx context.Context, ns string, opts metav1.ListOptions) error {
	return c.cs.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, opts)
}

func (c clientset) ListPods(ctx context.Context, ns string, opts metav1.ListOptions) (*corev1.PodList, error) {
	return c.cs.CoreV1().Pods(ns).List(ctx, opts)
}

func (c clientset) WatchPods(ctx context.Context, ns string, opts metav1.ListOptions) (watch.Interface, error) {
	return c.cs.CoreV1().Pods(ns).Watch(ctx, opts)
}

func (c clientset) PodLogs(ctx context.Context, ns, name string, opts *corev1.PodLogOptions) (io.ReadCloser, error) {
	return c.cs.CoreV1().Pods(ns).GetLogs(name, opts).Stream(ctx)
}

func (c clientset) ListEvents(ctx context.Context, ns string, opts metav1.ListOptions) (*corev1.EventList, error) {
	return c.cs.CoreV1().Events(ns).List(ctx, opts)
}
