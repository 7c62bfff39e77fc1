#!/usr/bin/env bash
# Installs (as root) the Debian packages `qus vm` runs: the system emulator for arm64 and armhf guests, qemu-img,
# mmdebstrap with arch-test (it builds foreign roots), e2fsprogs (mkfs.ext4 -d, debugfs) and kmod (depmod).
# Idempotent and quick when everything is in place.
set -euo pipefail

PACKAGES=(qemu-system-arm qemu-utils mmdebstrap arch-test e2fsprogs kmod)

# shellcheck source=tools/apt-install-missing.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-install-missing.sh"
# Without recommends: no PXE ROMs (qus boots kernels directly) and no desktop libraries.
apt_install_missing setup-vm "${PACKAGES[@]}"
echo "setup-vm: done"
