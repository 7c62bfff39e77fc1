#!/usr/bin/env bash
# Installs gitlab-ci-local (for e2e/gitlab.kernel.test.ts) outside the repository's package-lock, into
# /opt/qus-gitlab-ci-local, with the PATH's Node (it needs Node >= 22), and rsync (which it needs) from Debian when
# missing. Idempotent: does nothing when the wanted version is already there.
#
# Overrides: QUS_GITLAB_CI_LOCAL_PREFIX (default /opt/qus-gitlab-ci-local), QUS_GITLAB_CI_LOCAL_VERSION (4.75.1).
set -euo pipefail

PREFIX=${QUS_GITLAB_CI_LOCAL_PREFIX:-/opt/qus-gitlab-ci-local}
VERSION=${QUS_GITLAB_CI_LOCAL_VERSION:-4.75.1}
say() { echo "setup-gitlab-ci-local: $*"; }
die() {
  echo "setup-gitlab-ci-local: $*" >&2
  exit 1
}

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$major" -ge 22 ] || die "gitlab-ci-local needs Node >= 22 on PATH (found ${major}); export PATH=/opt/qus-node/bin:\$PATH"

if command -v rsync >/dev/null 2>&1; then
  say "rsync: present"
else
  say "rsync: installing Debian's package"
  timeout 600 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq rsync >/dev/null
fi

installed=$(node -p "require('$PREFIX/node_modules/gitlab-ci-local/package.json').version" 2>/dev/null || true)
if [ "$installed" = "$VERSION" ]; then
  say "gitlab-ci-local $VERSION: present in $PREFIX"
else
  say "gitlab-ci-local $VERSION: installing into $PREFIX"
  mkdir -p "$PREFIX"
  timeout 900 npm install --prefix "$PREFIX" --no-fund --no-audit --no-save "gitlab-ci-local@$VERSION" >/dev/null
fi
timeout 60 "$PREFIX/node_modules/.bin/gitlab-ci-local" --version >/dev/null || die "gitlab-ci-local does not start"
say "ready: $PREFIX/node_modules/.bin/gitlab-ci-local"
