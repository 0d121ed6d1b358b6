#!/usr/bin/env bash
# Installs the pinned container tools the deploy checks use into tools/bin (git-ignored, kept
# between runs): Docker Compose v2, built from its Go module (the Go module proxy serves it; no
# release binary can be downloaded here). The Docker CLI (/usr/local/bin/docker) and Debian's
# docker.io engine come from the machine and apt (.ci/run installs docker.io).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
COMPOSE_VERSION=v2.40.3
bin="$root/tools/bin/docker-compose"
if [ -x "$bin" ] && "$bin" version --short 2>/dev/null | grep -qx "${COMPOSE_VERSION#v}"; then exit 0; fi
# the machine's Go; /usr/local/go is where it lives when it is not on PATH
go="$(command -v go || echo /usr/local/go/bin/go)"
[ -x "$go" ] || { echo "go not found: Docker Compose is built from source (install Go 1.24+)" >&2; exit 1; }
export GOPATH="$root/tools/go" GOMODCACHE="$root/tools/go/mod" GOFLAGS=-modcacherw
# its go.mod has exclude directives, which `go install pkg@version` refuses: build it as the main module
dir="$("$go" mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
src="$root/tools/src-compose-$COMPOSE_VERSION"
rm -rf "$src" && cp -r "$dir" "$src" && chmod -R u+w "$src"
(cd "$src" && "$go" build -trimpath -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" -o "$bin" ./cmd)
rm -rf "$src"
"$bin" version
