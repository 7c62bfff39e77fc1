#!/usr/bin/env bash
# Installs (as root) the Debian packages `qus vm` runs: the system emulator for arm64 and armhf guests, qemu-img,
# mmdebstrap with arch-test (it builds foreign roots), e2fsprogs (mkfs.ext4 -d, debugfs) and kmod (depmod).
# Idempotent and quick when everything is in place.
set -euo pipefail

PACKAGES=(qemu-system-arm qemu-utils mmdebstrap arch-test e2fsprogs kmod)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-vm: installing ${missing[*]}"
  apt-get update -qq
  # Without recommends: no PXE ROMs (qus boots kernels directly) and no desktop libraries.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup-vm: done"
