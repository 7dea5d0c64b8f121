package kubernetes

import (
	"context"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
)

// Client is what the executor asks of the cluster: the pods of one
// namespace (create, watch, delete, their logs) and their events. It is
// the core/v1 slice of client-go's clientset, so that `sluice` links and
// initialises only the core API group: client-go's clientset registers
// every API group of Kubernetes at start-up, in every command
// (docs/PERFORMANCE.md, "Dependency diet").
type Client interface {
	CreatePod(ctx context.Context, ns string, pod *corev1.Pod) (*corev1.Pod, error)
	DeletePod(ctx context.Context, ns, name string) error
	DeletePods(ctx context.Context, ns string, opts metav1.ListOptions) error
	ListPods(ctx context.Context, ns string, opts metav1.ListOptions) (*corev1.PodList, error)
	WatchPods(ctx context.Context, ns string, opts metav1.ListOptions) (watch.Interface, error)
	PodLogs(ctx context.Context, ns, name string, opts *corev1.PodLogOptions) (io.ReadCloser, error)
	ListEvents(ctx context.Context, ns string, opts metav1.ListOptions) (*corev1.EventList, error)
}

// NewClient is a Client of the cluster rc describes, speaking the core/v1
// API (JSON, protobuf when the server offers it) as client-go's typed
// client does, with a scheme that knows only that group.
func NewClient(rc *rest.Config) (Client, error) {
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	c := rest.CopyConfig(rc)
	c.APIPath = "/api"
	c.GroupVersion = &corev1.SchemeGroupVersion
	c.NegotiatedSerializer = rest.CodecFactoryForGeneratedClient(scheme, serializer.NewCodecFactory(scheme)).WithoutConversion()
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	r, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &restClient{r: r, params: runtime.NewParameterCodec(scheme)}, nil
}

type restClient struct {
	r      *rest.RESTClient
	params runtime.ParameterCodec
}

func (c *restClient) CreatePod(ctx context.Context, ns string, pod *corev1.Pod) (*corev1.Pod, error) {
	out := &corev1.Pod{}
	err := c.r.Post().Namespace(ns).Resource("pods").Body(pod).Do(ctx).Into(out)
	return out, err
}

func (c *restClient) DeletePod(ctx context.Context, ns, name string) error {
	return c.r.Delete().Namespace(ns).Resource("pods").Name(name).Body(&metav1.DeleteOptions{}).Do(ctx).Error()
}

func (c *restClient) DeletePods(ctx context.Context, ns string, opts metav1.ListOptions) error {
	return c.r.Delete().Namespace(ns).Resource("pods").VersionedParams(&opts, c.params).
		Body(&metav1.DeleteOptions{}).Do(ctx).Error()
}

func (c *restClient) ListPods(ctx context.Context, ns string, opts metav1.ListOptions) (*corev1.PodList, error) {
	out := &corev1.PodList{}
	err := c.r.Get().Namespace(ns).Resource("pods").VersionedParams(&opts, c.params).Timeout(timeout(opts)).Do(ctx).Into(out)
	return out, err
}

func (c *restClient) WatchPods(ctx context.Context, ns string, opts metav1.ListOptions) (watch.Interface, error) {
	opts.Watch = true
	return c.r.Get().Namespace(ns).Resource("pods").VersionedParams(&opts, c.params).Timeout(timeout(opts)).Watch(ctx)
}

// timeout is the client-side bound of a list or watch that asks the server
// for one (the informer's watches do), as the clientset sets it.
func timeout(opts metav1.ListOptions) time.Duration {
	if opts.TimeoutSeconds == nil {
		return 0
	}
	return time.Duration(*opts.TimeoutSeconds) * time.Second
}

func (c *restClient) PodLogs(ctx context.Context, ns, name string, opts *corev1.PodLogOptions) (io.ReadCloser, error) {
	return c.r.Get().Namespace(ns).Resource("pods").Name(name).SubResource("log").VersionedParams(opts, c.params).Stream(ctx)
}

func (c *restClient) ListEvents(ctx context.Context, ns string, opts metav1.ListOptions) (*corev1.EventList, error) {
	out := &corev1.EventList{}
	err := c.r.Get().Namespace(ns).Resource("events").VersionedParams(&opts, c.params).Do(ctx).Into(out)
	return out, err
}
