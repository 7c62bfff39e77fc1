#!/usr/bin/env bash
# Prepares a fresh Debian machine (as root) for qus's development and tests: Node >= 22 from the npm
# registry when the machine's is older, and the Debian packages the tests use (sudo: the CI plugins run qus through
# `sudo -n` as a non-root job user, as hosted runners do; uidmap: newuidmap/newgidmap, which map a user's subordinate
# ids into the namespace `qus run --root` makes, as mmdebstrap --mode=unshare needs). Idempotent.
# Prints the PATH line to use when it installed Node into its own prefix.
set -euo pipefail

NODE_PREFIX=${QUS_NODE_PREFIX:-/opt/qus-node}
PACKAGES=(qemu-user-static rsync sudo uidmap)

node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 22 ] && [ "$(node_major "$NODE_PREFIX/bin/node")" -lt 22 ]; then
  echo "setup: installing Node 24 into $NODE_PREFIX (machine has $(node --version 2>/dev/null || echo none))"
  npm install --global --prefix "$NODE_PREFIX" --no-fund --no-audit node@24 >/dev/null
fi

# shellcheck source=tools/apt-install-missing.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-install-missing.sh"
apt_install_missing setup "${PACKAGES[@]}"

if [ "$(node_major)" -lt 22 ]; then
  echo "setup: done; put Node 24 first on PATH: export PATH=$NODE_PREFIX/bin:\$PATH"
else
  echo "setup: done"
fi
