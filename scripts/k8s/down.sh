#!/usr/bin/env bash
# Stops the local cluster started by up.sh and cleans what it left on the host.
source "$(dirname "$0")/lib.sh"
stop() {
  local f=$RUN/$1.pid; [ -f "$f" ] || return 0
  local p; p=$(cat "$f")
  if kill -0 "$p" 2>/dev/null; then
    kill "$p"; for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$p" 2>/dev/null
  fi
  rm -f "$f"
}
if [ -S "$RUN/containerd/containerd.sock" ]; then
  stop kubelet
  for t in $($CTR tasks ls -q 2>/dev/null); do $CTR tasks kill -s SIGKILL "$t" >/dev/null 2>&1; done
  sleep 1
  for t in $($CTR tasks ls -q 2>/dev/null); do $CTR tasks delete -f "$t" >/dev/null 2>&1; done
  for c in $($CTR containers ls -q 2>/dev/null); do $CTR containers delete "$c" >/dev/null 2>&1; done
fi
for s in seaweedfs kubelet containerd scheduler kcm apiserver etcd; do stop $s; done
rm -rf "$RUN/seaweedfs" "$RUN/s3.env"
grep -o " $RUN[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
ip link del cni-sluice 2>/dev/null || true
find /run/containerd /var/lib/cni -depth -type d -empty -delete 2>/dev/null || true
echo stopped
