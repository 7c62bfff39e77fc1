#!/usr/bin/env bash
# Prepares a Debian machine (as root) for `qus --driver podman` and its tests: rootful Podman that can start
# containers here. Idempotent; each step prints one line and does nothing when its work is already done.
#
#   1. podman:  Debian's podman package (Podman 4.3 on Debian 12), when the podman client is missing.
#   2. ulimits: when this machine withholds CAP_SYS_RESOURCE (some VMs and containers do), Podman cannot set
#               its default nofile/nproc limits in any container ("error setting rlimit type 7: operation not
#               permitted"). Then it writes a drop-in that every podman on the machine reads, qus and the tests
#               included, without touching Podman's own files:
#                 /etc/containers/containers.conf.d/qus.conf:  [containers] default_ulimits = []
#               (containers then keep Podman's own limits). QUS_PODMAN_ULIMITS=empty writes it anyway, =keep
#               never does. To leave /etc alone, write such a file elsewhere and export CONTAINERS_CONF=FILE
#               instead (podman then reads that file in place of containers.conf).
#   3. check:   `podman info` answers, as root (rootful: rootless Podman's containers cannot reach the host
#               kernel, and qus refuses it with QUS_ENGINE_ROOTLESS).
#
# Overrides: QUS_PODMAN_ULIMITS (auto, empty, keep), QUS_CONTAINERS_CONF_D (default
# /etc/containers/containers.conf.d).
set -euo pipefail

CONF_D=${QUS_CONTAINERS_CONF_D:-/etc/containers/containers.conf.d}
ULIMITS=${QUS_PODMAN_ULIMITS:-auto}
DROP_IN="$CONF_D/qus.conf"
CONTENT='# Written by qus (tools/setup-podman.sh): this machine withholds CAP_SYS_RESOURCE, so podman
# cannot set its default nofile/nproc limits in containers; they keep podman'"'"'s own limits instead.
[containers]
default_ulimits = []'

say() { echo "setup-podman: $*"; }
die() {
  echo "setup-podman: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || die "needs root: qus reaches the kernel through rootful podman (run: sudo bash $0)"

# 1. podman -----------------------------------------------------------------------------------------
if command -v podman >/dev/null; then
  say "podman: $(podman --version) [present]"
else
  export DEBIAN_FRONTEND=noninteractive
  # Stale or empty package lists: update once, then install.
  apt-get install -y -qq --no-install-recommends podman >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends podman >/dev/null; }
  say "podman: $(podman --version) [installed Debian's podman]"
fi

# 2. ulimits ----------------------------------------------------------------------------------------
# CAP_SYS_RESOURCE is capability 24: its bit in this shell's effective set.
cap_eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
has_sys_resource=$(((0x${cap_eff:-0} >> 24) & 1))
case "$ULIMITS" in
  empty) want=yes ;;
  keep) want=no ;;
  auto) [ "$has_sys_resource" = 1 ] && want=no || want=yes ;;
  *) die "QUS_PODMAN_ULIMITS must be auto, empty or keep, not $ULIMITS" ;;
esac
if [ "$want" = no ]; then
  say "ulimits: podman's defaults kept (CAP_SYS_RESOURCE: $has_sys_resource, QUS_PODMAN_ULIMITS=$ULIMITS)"
elif [ -f "$DROP_IN" ] && [ "$(cat "$DROP_IN")" = "$CONTENT" ]; then
  say "ulimits: $DROP_IN [present]"
elif [ -e "$DROP_IN" ] && ! head -n 1 "$DROP_IN" | grep -q '^# Written by qus'; then
  die "ulimits: $DROP_IN exists and was not written by qus: leaving it; add default_ulimits = [] to it yourself"
else
  mkdir -p "$CONF_D"
  printf '%s\n' "$CONTENT" >"$DROP_IN.tmp"
  mv -f "$DROP_IN.tmp" "$DROP_IN"
  say "ulimits: wrote $DROP_IN (default_ulimits = [])"
fi

# 3. check ------------------------------------------------------------------------------------------
if ! out=$(podman info --format '{{.Version.Version}} rootless={{.Host.Security.Rootless}}' 2>&1); then
  die "check: podman info failed: $out"
fi
say "check: podman $out [answering]"
