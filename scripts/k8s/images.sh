#!/usr/bin/env bash
# Builds the local cluster's images as docker-archive tarballs in $RUN/images:
#   registry.k8s.io/pause:3.10      the pod sandbox (scripts/k8s/pause)
#   busybox:1.36, alpine            a static busybox (Debian busybox-static)
#   sluice:latest                   the sluice binary at /sluice, the launcher at
#                                   /sluice-launch (the launcher image)
#   python:3.9/3.10/3.11/3.12       Debian's python3 with its libraries and busybox,
#                                   for lightweight Python components
set -euo pipefail
source "$(dirname "$0")/lib.sh"
OUT=$RUN/images; R=$RUN/rootfs
rm -rf "$R"; mkdir -p "$OUT" "$R"

mkdir -p "$R/pause"
(cd "$REPO" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$R/pause/pause" ./scripts/k8s/pause)
ENTRYPOINT='["/pause"]' "$HERE/make-image.sh" "$R/pause" "$OUT/pause.tar" registry.k8s.io/pause:3.10

busybox_into() { # DIR: a /bin with busybox and its applets, /tmp
  mkdir -p "$1/bin" "$1/tmp" "$1/usr/bin"
  chmod 1777 "$1/tmp"
  cp /bin/busybox "$1/bin/busybox"
  for a in $("$1/bin/busybox" --list); do [ -e "$1/bin/$a" ] || ln -s busybox "$1/bin/$a"; done
}
busybox_into "$R/busybox"
CMD='["sh"]' "$HERE/make-image.sh" "$R/busybox" "$OUT/busybox.tar" docker.io/library/busybox:1.36 docker.io/library/busybox:latest docker.io/library/alpine:latest

mkdir -p "$R/sluice"
(cd "$REPO" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$R/sluice/" ./cmd/sluice ./cmd/sluice-launch)
ENTRYPOINT='["/sluice"]' "$HERE/make-image.sh" "$R/sluice" "$OUT/sluice.tar" docker.io/library/sluice:latest

# Python: the interpreter, the shared libraries it links and its standard
# library (without tests), plus busybox for the components' `sh -c`.
P=$R/python; busybox_into "$P"
py=$(readlink -f /usr/bin/python3)
ver=$(basename "$py")              # python3.11
mkdir -p "$P/usr/bin" "$P/usr/lib"
cp "$py" "$P/usr/bin/$ver"
ln -s "$ver" "$P/usr/bin/python3"; ln -s "$ver" "$P/usr/bin/python"
for lib in $(ldd "$py" | grep -o '/[^ ]*'); do
  mkdir -p "$P$(dirname "$lib")"; cp -L "$lib" "$P$lib"
done
tar -C / --exclude='*/test' --exclude='*/tests' --exclude='*/idlelib' --exclude='*/tkinter' \
  --exclude='*/ensurepip' --exclude='__pycache__' -cf - "usr/lib/$ver" | tar -C "$P" -xf -
# Extension modules' own libraries (ssl, ctypes, ...).
for so in $(find "$P/usr/lib/$ver" -name '*.so'); do
  for lib in $(ldd "$so" 2>/dev/null | grep -o '/[^ ]*' || true); do
    [ -e "$P$lib" ] || { mkdir -p "$P$(dirname "$lib")"; cp -L "$lib" "$P$lib"; }
  done
done
CMD='["python3"]' "$HERE/make-image.sh" "$P" "$OUT/python.tar" docker.io/library/python:3.9 docker.io/library/python:3.10 docker.io/library/python:3.11 docker.io/library/python:3.12
log "images in $OUT"
