// Package kubernetes runs steps as Kubernetes pods: one pod per step, no
// driver pod. This file set holds the pure part: the KFP Kubernetes
// platform configuration (kfp-kubernetes' KubernetesExecutorConfig), its
// resolution against a task's inputs, and the function that builds a
// step's pod. Pods are golden-tested under testdata/.
package kubernetes
