#!/usr/bin/env bash
# Installs the Debian packages of the local cluster and builds its binaries
# (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet from
# k8s.io/kubernetes; etcd from go.etcd.io/etcd; SeaweedFS's weed from
# github.com/seaweedfs/seaweedfs) into the cache directory.
# A cold build takes ~35 CPU-minutes; a warm cache makes it a no-op.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need=()
for p in containerd runc containernetworking-plugins busybox-static iptables openssl curl python3; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-upgrade "${need[@]}" >/dev/null
fi
mkdir -p "$BIN" "$CACHE/build"
components=()
for c in kube-apiserver kube-controller-manager kube-scheduler kubelet; do
  [ -x "$BIN/$c" ] || components+=("$c")
done
if [ ${#components[@]} -gt 0 ]; then
  # A wrapper module: k8s.io/kubernetes replaces its staging modules with
  # relative paths, so pin each to the matching published v0.x version.
  W=$CACHE/build/k8s-$K8S_VERSION; mkdir -p "$W"; cd "$W"
  SV="v0.${K8S_VERSION#v1.}"
  MODFILE=$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$K8S_VERSION.mod
  [ -f "$MODFILE" ] || go mod download k8s.io/kubernetes@"$K8S_VERSION"
  {
    echo "module local/k8sbuild"; echo; echo "go 1.24.0"; echo
    echo "require k8s.io/kubernetes $K8S_VERSION"; echo; echo "replace ("
    for m in $(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$MODFILE"); do echo "	$m => $m $SV"; done
    echo ")"
  } > go.mod
  printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n\t_ "k8s.io/kubernetes/cmd/kube-scheduler"\n\t_ "k8s.io/kubernetes/cmd/kubelet"\n)\n' > tools.go
  go mod tidy
  MIN=$(echo "$K8S_VERSION" | cut -d. -f2)
  LD="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    LD="$LD -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$MIN -X $p.gitTreeState=clean"
  done
  pkgs=(); for c in "${components[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  log "go build ${components[*]} (slow when cold)"
  CGO_ENABLED=0 go build -trimpath -ldflags "$LD" -o "$BIN/" "${pkgs[@]}"
fi
if [ ! -x "$BIN/etcd" ]; then
  W=$CACHE/build/etcd-$ETCD_VERSION; mkdir -p "$W"; cd "$W"
  cat > go.mod <<EOT
module local/etcdbuild

go 1.24

require go.etcd.io/etcd/server/v3 $ETCD_VERSION

replace (
	go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)
EOT
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > tools.go
  go mod tidy
  log "go build etcd $ETCD_VERSION"
  CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$BIN/etcd" go.etcd.io/etcd/server/v3
fi
if [ ! -x "$WEED" ]; then
  W=$CACHE/build/seaweedfs-$SEAWEEDFS_VERSION; mkdir -p "$W"; cd "$W"
  printf 'module local/weedbuild\n\ngo 1.26\n\nrequire github.com/seaweedfs/seaweedfs %s\n' "$SEAWEEDFS_VERSION" > go.mod
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/seaweedfs/seaweedfs/weed"\n' > tools.go
  go mod tidy
  log "go build weed (SeaweedFS $SEAWEEDFS_VERSION)"
  CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$WEED" github.com/seaweedfs/seaweedfs/weed
fi
log "binaries ready in $BIN and $(dirname "$WEED")"
