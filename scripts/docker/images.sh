#!/usr/bin/env bash
# Builds, into the Docker engine at $DOCKER_HOST, the base images that the deploy files name, from
# what this machine can reach (no image registry): each is tagged with its official name, so the
# real Dockerfile and deploy/compose/compose.yaml run unchanged.
#
#   debian:bookworm-slim          debootstrap --variant=minbase from Debian's mirror
#   node:24-bookworm-slim         + Node 24 from the npm package node@24 (scripts/node24) and npm
#   rabbitmq redis postgres       stand-ins from Debian's packages (scripts/docker/standins/)
#   prom/prometheus prom/alertmanager
#
# An image that already exists is kept (delete it, or the engine's data root, to rebuild); the
# engine keeps images between runs in tools/docker/. Needs root (debootstrap) and the Debian
# package debootstrap. Usage: scripts/docker/images.sh [names...]   (default: all)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/scripts/docker"
work="$root/tools/images"
mkdir -p "$work"

# official names the deploy files use; keep in sync with deploy/compose/compose.yaml (a test checks)
declare -A TAG=(
  [debian]=debian:bookworm-slim
  [node]=node:24-bookworm-slim
  [rabbitmq]=rabbitmq:4.1
  [redis]=redis:7.4
  [postgres]=postgres:17
  [prometheus]=prom/prometheus:v3.5.0
  [alertmanager]=prom/alertmanager:v0.28.1
)
ORDER=(debian node rabbitmq redis postgres prometheus alertmanager)

have() { docker image inspect "$1" >/dev/null 2>&1; }

build_debian() {
  command -v debootstrap >/dev/null || { echo "debootstrap not found: apt-get install -y debootstrap" >&2; exit 1; }
  local rootfs="$work/bookworm-rootfs"
  if [ ! -x "$rootfs/bin/bash" ]; then
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  fi
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import --change 'CMD ["bash"]' - "${TAG[debian]}" >/dev/null
}

build_node() {
  local ctx="$work/node-context"
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp "$here/standins/node/Dockerfile" "$ctx/"
  "$root/scripts/node24" --version >/dev/null
  cp "$root/tools/node_modules/node/bin/node" "$ctx/node"
  cp -r "$(npm root -g)/npm" "$ctx/npm"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
  docker build -q --network host -t "${TAG[node]}" "$ctx" >/dev/null
}

build_standin() {
  docker build -q --network host -t "${TAG[$1]}" "$here/standins/$1" >/dev/null
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${ORDER[@]}")
for name in "${names[@]}"; do
  [ -n "${TAG[$name]:-}" ] || { echo "unknown image $name (one of: ${ORDER[*]})" >&2; exit 2; }
  if have "${TAG[$name]}"; then echo "kept  ${TAG[$name]}"; continue; fi
  start=$SECONDS
  case "$name" in
    debian) build_debian ;;
    node) have "${TAG[debian]}" || build_debian; build_node ;;
    *) have "${TAG[debian]}" || build_debian; build_standin "$name" ;;
  esac
  echo "built ${TAG[$name]} in $((SECONDS - start)) s"
done
