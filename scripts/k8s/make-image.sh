#!/usr/bin/env bash
# [ENTRYPOINT='["/pause"]'] [CMD='["sh"]'] make-image.sh ROOTFS OUT.tar REF [REF...]
# Writes a one-layer image in docker-archive format (what
# `ctr images import` reads) from a root filesystem directory, tagged with
# each REF. No registry and no image builder are involved.
set -euo pipefail
ROOTFS=$1; OUT=$2; shift 2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "$ROOTFS" -cf "$W/layer.tar" .
L=$(sha256sum "$W/layer.tar" | cut -d' ' -f1)
mkdir "$W/$L" && mv "$W/layer.tar" "$W/$L/layer.tar"
cat > "$W/config.json" <<EOT
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Entrypoint":${ENTRYPOINT:-null},"Cmd":${CMD:-null},"WorkingDir":"/"},
 "rootfs":{"type":"layers","diff_ids":["sha256:$L"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"scripts/k8s/make-image.sh"}]}
EOT
C=$(sha256sum "$W/config.json" | cut -d' ' -f1)
mv "$W/config.json" "$W/$C.json"
tags=$(printf '"%s",' "$@"); tags=${tags%,}
printf '[{"Config":"%s.json","RepoTags":[%s],"Layers":["%s/layer.tar"]}]\n' "$C" "$tags" "$L" > "$W/manifest.json"
tar -C "$W" -cf "$OUT" manifest.json "$C.json" "$L"
echo "image $OUT: $*"
