#!/usr/bin/env bash
# Installs the two registries of the release rehearsal (e2e/release-rehearsal.kernel.test.ts, tools/registries.sh):
# verdaccio (a real npm registry) from npm, outside the repository's package-lock, into /opt/qus-verdaccio with the
# PATH's Node (it needs Node >= 22 here), Debian's docker-registry (Distribution, a real OCI registry), and Debian's
# arm64 architecture for apt (tools/release-image.sh builds the arm64 installer image from its packages).
# Idempotent: does nothing when all are there.
#
# Overrides: QUS_VERDACCIO_PREFIX (default /opt/qus-verdaccio), QUS_VERDACCIO_VERSION (6.10.4).
set -euo pipefail

PREFIX=${QUS_VERDACCIO_PREFIX:-/opt/qus-verdaccio}
VERSION=${QUS_VERDACCIO_VERSION:-6.10.4}
say() { echo "setup-registries: $*"; }
die() {
  echo "setup-registries: $*" >&2
  exit 1
}

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$major" -ge 22 ] || die "verdaccio runs here on Node >= 22 on PATH (found ${major}); export PATH=/opt/qus-node/bin:\$PATH"

# shellcheck source=tools/apt-install-missing.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-install-missing.sh"
apt_install_missing setup-registries docker-registry
[ -x /usr/bin/docker-registry ] || die "Debian's docker-registry package holds no /usr/bin/docker-registry"
say "docker-registry: $(/usr/bin/docker-registry --version 2>&1 | head -1)"

# tools/release-image.sh builds the arm64 installer image from Debian's arm64 packages.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  say "Debian's arm64 packages: adding the architecture"
  dpkg --add-architecture arm64
  timeout 600 apt-get update -qq
fi

installed=$(node -p "require('$PREFIX/node_modules/verdaccio/package.json').version" 2>/dev/null || true)
if [ "$installed" = "$VERSION" ]; then
  say "verdaccio $VERSION: present in $PREFIX"
else
  say "verdaccio $VERSION: installing into $PREFIX"
  mkdir -p "$PREFIX"
  timeout 900 npm install --prefix "$PREFIX" --no-fund --no-audit --no-save "verdaccio@$VERSION" >/dev/null
fi
timeout 60 "$PREFIX/node_modules/.bin/verdaccio" --version >/dev/null || die "verdaccio does not start"
say "ready: $PREFIX/node_modules/.bin/verdaccio, /usr/bin/docker-registry"
