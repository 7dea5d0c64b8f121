# Common settings of the local test cluster scripts (sourced).
# A single-node Kubernetes cluster built from Go modules and Debian packages,
# for the kubernetes executor's integration tests. Nothing is pulled from a
# registry: images are built here and imported into containerd.
K8S_VERSION=${K8S_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
# Built binaries are cached outside the repository, keyed by version.
CACHE=${SLUICE_K8S_CACHE:-/var/cache/sluice-k8s}
BIN=$CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION/bin
# SeaweedFS (KFP's default object store), the cluster's S3-compatible
# artifact store, built from the Go module proxy like the cluster.
SEAWEEDFS_VERSION=${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
WEED=$CACHE/seaweedfs-$SEAWEEDFS_VERSION/weed
# Its S3 endpoint (loopback: the step pods use the node's network).
S3_PORT=${SLUICE_K8S_S3_PORT:-18333}
# Cluster state (certificates, etcd data, containerd, logs).
RUN=${SLUICE_K8S_RUN:-/tmp/sluice-k8s}
PKI=$RUN/pki
KUBECONFIG_FILE=$PKI/admin.kubeconfig
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export GOFLAGS=${GOFLAGS:--modcacherw}
CTR="ctr -a $RUN/containerd/containerd.sock -n k8s.io"

log() { echo "[k8s $(date +%T)] $*"; }
