#!/usr/bin/env bash
# Starts the local single-node cluster (build.sh and images.sh first):
# etcd, kube-apiserver on https://127.0.0.1:6443, controller manager,
# scheduler, containerd + kubelet with the local images imported, and
# SeaweedFS's S3 gateway on 127.0.0.1:$S3_PORT with a bucket "sluice".
# Prints the kubeconfig path and writes $RUN/s3.env (the store URL and
# credentials the tests read). Stop it with down.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
"$HERE/down.sh" >/dev/null 2>&1 || true
mkdir -p "$RUN/logs" "$PKI"
L=$RUN/logs
pid() { echo $! > "$RUN/$1.pid"; }

# Certificates: a throwaway CA, the apiserver's serving cert, an admin
# client cert (system:masters), the service-account key pair.
( cd "$PKI"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=sluice-test-ca" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth,clientAuth\n' > server.ext
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=kube-apiserver" 2>/dev/null
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 3650 -extfile server.ext 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' > client.ext
  openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=admin" 2>/dev/null
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 3650 -extfile client.ext 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null )
cat > "$KUBECONFIG_FILE" <<EOT
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:6443", certificate-authority: "$PKI/ca.crt"}
users:
- name: admin
  user: {client-certificate: "$PKI/admin.crt", client-key: "$PKI/admin.key"}
contexts:
- name: local
  context: {cluster: local, user: admin, namespace: default}
current-context: local
EOT
curlk() { curl -fsS --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$@"; }

rm -rf "$RUN/etcd"
"$BIN/etcd" --name local --data-dir "$RUN/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster local=http://127.0.0.1:2380 --unsafe-no-fsync=true > "$L/etcd.log" 2>&1 & pid etcd
for i in $(seq 100); do curl -fsS http://127.0.0.1:2379/health >/dev/null 2>&1 && break; sleep 0.2; done

"$BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port=6443 \
  --tls-cert-file="$PKI/server.crt" --tls-private-key-file="$PKI/server.key" --client-ca-file="$PKI/ca.crt" \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local --service-cluster-ip-range=10.0.0.0/24 \
  --authorization-mode=RBAC --allow-privileged=true \
  --kubelet-client-certificate="$PKI/admin.crt" --kubelet-client-key="$PKI/admin.key" \
  --kubelet-preferred-address-types=Hostname > "$L/apiserver.log" 2>&1 & pid apiserver
for i in $(seq 600); do curlk https://127.0.0.1:6443/readyz >/dev/null 2>&1 && break
  kill -0 "$(cat "$RUN/apiserver.pid")" 2>/dev/null || { tail -20 "$L/apiserver.log"; exit 1; }; sleep 0.2; done
log "apiserver ready"

KC=$KUBECONFIG_FILE
"$BIN/kube-controller-manager" --kubeconfig="$KC" --authentication-kubeconfig="$KC" --authorization-kubeconfig="$KC" \
  --bind-address=127.0.0.1 --secure-port=10257 --leader-elect=false \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --use-service-account-credentials=false --allocate-node-cidrs=false \
  --controllers='*,-bootstrapsigner,-tokencleaner' > "$L/kcm.log" 2>&1 & pid kcm
"$BIN/kube-scheduler" --kubeconfig="$KC" --authentication-kubeconfig="$KC" --authorization-kubeconfig="$KC" \
  --bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false > "$L/scheduler.log" 2>&1 & pid scheduler

mkdir -p "$RUN/kubelet" "$RUN/pod-logs" "$RUN/containerd" "$RUN/cni/net.d" "$RUN/runc"
sed "s|@R@|$RUN|g" "$HERE/containerd.toml.in" > "$RUN/containerd.toml"
sed "s|@R@|$RUN|g" "$HERE/bridge.conflist.in" > "$RUN/cni/net.d/10-bridge.conflist"
containerd --config "$RUN/containerd.toml" > "$L/containerd.log" 2>&1 & pid containerd
for i in $(seq 50); do $CTR version >/dev/null 2>&1 && break; sleep 0.2; done
for img in "$RUN"/images/*.tar; do $CTR images import "$img" >/dev/null; done
log "images imported: $(ls "$RUN"/images | tr '\n' ' ')"
cat > "$RUN/kubelet/config.yaml" <<EOT
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}, x509: {clientCAFile: "$PKI/ca.crt"}}
authorization: {mode: AlwaysAllow}
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$RUN/containerd/containerd.sock
failSwapOn: false
failCgroupV1: false
podLogsDir: $RUN/pod-logs
resolvConf: /etc/resolv.conf
clusterDomain: cluster.local
imageGCHighThresholdPercent: 100
evictionHard: {"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%"}
registerNode: true
syncFrequency: 10s
EOT
# The kubelet has a start-up race (a fatal "concurrent map iteration and map
# write" in containerManagerImpl.GetCapacity, seen on a loaded machine):
# when it dies before the node is Ready it is started again, up to 3 times.
kubelet_starts=0
start_kubelet() {
  kubelet_starts=$((kubelet_starts + 1))
  [ "$kubelet_starts" -eq 1 ] || { log "kubelet exited before the node was Ready; starting it again ($kubelet_starts)"; tail -3 "$L/kubelet.log"; cp "$L/kubelet.log" "$L/kubelet.$kubelet_starts.log"; }
  "$BIN/kubelet" --config="$RUN/kubelet/config.yaml" --kubeconfig="$KC" \
    --root-dir="$RUN/kubelet" --cert-dir="$RUN/kubelet/pki" --hostname-override=localhost --v=1 > "$L/kubelet.log" 2>&1 & pid kubelet
}
start_kubelet

ready=
for i in $(seq 480); do
  if ! kill -0 "$(cat "$RUN/kubelet.pid")" 2>/dev/null; then
    [ "$kubelet_starts" -lt 4 ] || break
    start_kubelet
  fi
  if curlk https://127.0.0.1:6443/api/v1/nodes/localhost 2>/dev/null | python3 -c 'import json,sys; n=json.load(sys.stdin); sys.exit(0 if any(c["type"]=="Ready" and c["status"]=="True" for c in n["status"].get("conditions",[])) else 1)' 2>/dev/null; then ready=1; break; fi
  sleep 0.5
done
[ -n "$ready" ] || { echo "node not Ready"; tail -30 "$L/kubelet.log"; exit 1; }
for i in $(seq 240); do curlk -o /dev/null https://127.0.0.1:6443/api/v1/namespaces/default/serviceaccounts/default 2>/dev/null && break; sleep 0.5; done
# The artifact store: SeaweedFS (master, volume, filer and S3 gateway in
# one process) with one identity, as a first install would have.
S3_KEY=sluice-test S3_SECRET=$(openssl rand -hex 16)
mkdir -p "$RUN/seaweedfs/data"
cat > "$RUN/seaweedfs/s3.json" <<EOT
{"identities": [{"name": "sluice", "credentials": [{"accessKey": "$S3_KEY", "secretKey": "$S3_SECRET"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOT
"$WEED" server -dir="$RUN/seaweedfs/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port=19333 -volume.port=18080 -filer -filer.port=18888 \
  -s3 -s3.port="$S3_PORT" -s3.config="$RUN/seaweedfs/s3.json" -volume.max=8 -master.volumeSizeLimitMB=256 -master.telemetry=false \
  > "$L/seaweedfs.log" 2>&1 & pid seaweedfs
wsh() { echo "$1" | "$WEED" shell -master=127.0.0.1:19333 -filer=127.0.0.1:18888 2>&1; }
for i in $(seq 240); do
  wsh "s3.bucket.create -name sluice" >/dev/null
  wsh "s3.bucket.list" | grep -qw sluice && curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && break
  kill -0 "$(cat "$RUN/seaweedfs.pid")" 2>/dev/null || { tail -20 "$L/seaweedfs.log"; exit 1; }
  [ "$i" -lt 240 ] || { echo "SeaweedFS not ready"; tail -20 "$L/seaweedfs.log"; exit 1; }
  sleep 0.5
done
cat > "$RUN/s3.env" <<EOT
SLUICE_TEST_S3='s3://sluice?endpoint=http://127.0.0.1:$S3_PORT&use_path_style=true&region=us-east-1'
SLUICE_TEST_S3_ACCESS_KEY='$S3_KEY'
SLUICE_TEST_S3_SECRET_KEY='$S3_SECRET'
EOT
log "SeaweedFS S3 on 127.0.0.1:$S3_PORT (bucket sluice; credentials in $RUN/s3.env)"
log "cluster up: KUBECONFIG=$KUBECONFIG_FILE"
