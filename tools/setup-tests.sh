#!/usr/bin/env bash
# What `npm test` needs beyond `npm ci`, so that it passes by itself on a fresh machine: the kernel project needs
# root, QEMU's static emulators and a container engine; fixtures are Debian's busybox-static binaries. Idempotent
# and quick when everything is in place (it runs before every `npm test`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -eq 0 ]; then
  bash tools/setup-machine.sh >/dev/null
  bash tools/setup-docker.sh
  if [ -f tools/setup-podman.sh ]; then bash tools/setup-podman.sh; fi
  bash tools/setup-vm.sh
  PATH=/opt/qus-node/bin:$PATH bash tools/setup-gitlab-ci-local.sh
  PATH=/opt/qus-node/bin:$PATH bash tools/setup-registries.sh
else
  echo "setup-tests: not root: the kernel tests will say so; run npm test as root (README)" >&2
fi
bash tools/fixtures/fetch-busybox.sh
bash tools/fixtures/fetch-programs.sh
