package server

import (
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sluicehq/sluice/archetype"
	kexec "github.com/sluicehq/sluice/executor/kubernetes"
)

// inClusterNamespace is where a pod finds its own namespace.
const inClusterNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// newKubernetesExecutor connects to the cluster: the kubeconfig named in
// the configuration, else the in-cluster service account, else the usual
// kubeconfig ($KUBECONFIG, ~/.kube/config).
func newKubernetesExecutor(cfg Config, arch archetype.Archetype) (*kexec.Executor, error) {
	k := cfg.Kubernetes
	var (
		rc  *rest.Config
		ns  string
		err error
	)
	switch {
	case k.Kubeconfig != "":
		cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
			&clientcmd.ClientConfigLoadingRules{ExplicitPath: k.Kubeconfig}, &clientcmd.ConfigOverrides{})
		if rc, err = cc.ClientConfig(); err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", k.Kubeconfig, err)
		}
		ns, _, _ = cc.Namespace()
	default:
		if rc, err = rest.InClusterConfig(); err == nil {
			if b, rerr := os.ReadFile(inClusterNamespace); rerr == nil {
				ns = strings.TrimSpace(string(b))
			}
			break
		}
		cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), &clientcmd.ConfigOverrides{})
		if rc, err = cc.ClientConfig(); err != nil {
			return nil, fmt.Errorf("--executor kubernetes: no cluster: not running in one and no kubeconfig (%v); set --kubeconfig", err)
		}
		ns, _, _ = cc.Namespace()
	}
	if k.Namespace != "" {
		ns = k.Namespace
	}
	if ns == "" {
		ns = "default"
	}
	cs, err := kexec.NewClient(rc)
	if err != nil {
		return nil, err
	}
	storeURL := cfg.Artifacts
	if k.PodArtifacts != "" {
		storeURL = k.PodArtifacts
	}
	return &kexec.Executor{
		Client: cs,
		Pod: kexec.PodOptions{
			Namespace: ns, LauncherImage: k.LauncherImage, LauncherHostPath: k.LauncherHostPath, ServiceAccount: k.ServiceAccount,
			ImagePullPolicy: corev1.PullIfNotPresent, EnvFromSecret: k.ArtifactsSecret, HostNetwork: k.HostNetwork,
		},
		StoreURL:     storeURL,
		KeepFinished: k.KeepPods,
		StartTimeout: k.PodStartTimeout,
		Archetype:    arch,
	}, nil
}
