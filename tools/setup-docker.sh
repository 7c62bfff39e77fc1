#!/usr/bin/env bash
# Prepares a Debian machine (as root) for qus's container tests: a Docker engine, the buildx CLI
# plugin, and a running daemon. Idempotent; each step prints one line and does nothing when its
# work is already done.
#
#   1. engine:  Debian's docker.io, when dockerd (or the docker client) is missing.
#   2. buildx:  when `docker buildx version` fails. Debian 12 has no buildx package, so the plugin
#               is taken from Debian 13 (trixie)'s docker-buildx .deb for this machine's
#               architecture, downloaded with private apt state (tools/fixtures/private-apt.sh: the
#               system's apt sources, lists and dpkg architectures are not touched) and copied to
#               /usr/local/lib/docker/cli-plugins/docker-buildx, which every docker CLI searches.
#               The binary is a Go program linked only against libc (it needs GLIBC_2.34; Debian 12
#               has 2.36); `docker buildx version` is checked after copying it.
#   3. daemon:  when `docker info` fails (there is no systemd): mounts the cgroup hierarchy if
#               nothing is mounted on /sys/fs/cgroup, starts dockerd detached (setsid + nohup, log
#               in /var/log/qus-dockerd.log), and waits up to 60 s for it to answer.
#
# Overrides (mostly for testing): QUS_DOCKERD_ARGS (extra dockerd arguments, split on spaces),
# QUS_DOCKERD_LOG, QUS_DOCKERD_WAIT (seconds), QUS_BUILDX_SUITE (default trixie),
# QUS_DOCKER_PLUGIN_DIR, QUS_CACHE_DIR (default /var/cache/qus; the apt state is deleted after use),
# QUS_DEBIAN_SOURCES (see private-apt.sh). DOCKER_HOST is honoured by the docker client as usual.
# To try the start-up path beside a running engine, give the second dockerd its own --host,
# --data-root, --exec-root and --pidfile, and --iptables=false --ip-forward=false, but NOT
# --bridge none: dockerd 20.10 then deletes the host's docker0, which the running engine needs
# (recreate it with: ip link add docker0 type bridge; ip addr add 172.17.0.1/16 dev docker0;
# ip link set docker0 up). It also leaves its --data-root bind-mounted on itself: umount it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PRIVATE_APT_PROG=setup-docker
# shellcheck source=tools/fixtures/private-apt.sh
. "$here/fixtures/private-apt.sh"

BUILDX_SUITE=${QUS_BUILDX_SUITE:-trixie}
PLUGIN_DIR=${QUS_DOCKER_PLUGIN_DIR:-/usr/local/lib/docker/cli-plugins}
CACHE_DIR=${QUS_CACHE_DIR:-/var/cache/qus}
DOCKERD_LOG=${QUS_DOCKERD_LOG:-/var/log/qus-dockerd.log}
DOCKERD_WAIT=${QUS_DOCKERD_WAIT:-60}
read -r -a DOCKERD_ARGS <<<"${QUS_DOCKERD_ARGS:-}"

say() { echo "setup-docker: $*"; }
die() {
  echo "setup-docker: $*" >&2
  exit 1
}
need_root() { [ "$(id -u)" = 0 ] || die "$1 needs root (run: sudo bash $0)"; }

# apt-get install, with one apt-get update first only when the lists lack a package or the install
# fails (e.g. stale lists).
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show "$@" >/dev/null 2>&1 ||
    ! apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
}

# 1. Engine -----------------------------------------------------------------------------------------
dockerd_bin() { command -v dockerd || { [ -x /usr/sbin/dockerd ] && echo /usr/sbin/dockerd; }; }
if dockerd_bin >/dev/null && command -v docker >/dev/null; then
  say "engine: $("$(dockerd_bin)" --version) [present]"
else
  need_root "installing docker.io"
  packages=(docker.io ca-certificates)
  # Without AppArmor's parser an AppArmor kernel cannot load the docker-default profile.
  if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then packages+=(apparmor); fi
  apt_install "${packages[@]}"
  say "engine: $("$(dockerd_bin)" --version) [installed ${packages[*]}]"
fi

# 2. buildx -----------------------------------------------------------------------------------------
if version=$(docker buildx version 2>/dev/null); then
  say "buildx: $version [present]"
else
  need_root "installing buildx"
  arch=$(dpkg --print-architecture)
  d="$CACHE_DIR/apt-buildx/$arch"
  rm -rf "$d"
  conf=$(private_apt_setup "$d" "$arch" "$BUILDX_SUITE")
  private_apt_update "$conf" "$arch" "$BUILDX_SUITE"
  deb=$(private_apt_download "$conf" docker-buildx "$arch")
  root=$(mktemp -d "$d/x.XXXXXX")
  dpkg-deb -x "$deb" "$root"
  deb_version=$(dpkg-deb -f "$deb" Version)
  plugin="$root/usr/libexec/docker/cli-plugins/docker-buildx"
  [ -f "$plugin" ] || die "buildx: no usr/libexec/docker/cli-plugins/docker-buildx in $deb"
  mkdir -p "$PLUGIN_DIR"
  install -m 0755 "$plugin" "$PLUGIN_DIR/docker-buildx.tmp"
  mv -f "$PLUGIN_DIR/docker-buildx.tmp" "$PLUGIN_DIR/docker-buildx"
  rm -rf "$d"
  rmdir "$CACHE_DIR/apt-buildx" "$CACHE_DIR" 2>/dev/null || true
  version=$(docker buildx version 2>&1) ||
    die "buildx: installed $PLUGIN_DIR/docker-buildx but \`docker buildx version\` fails: $version"
  say "buildx: $version [installed $PLUGIN_DIR/docker-buildx from docker-buildx $deb_version ($BUILDX_SUITE)]"
fi

# 3. Daemon -----------------------------------------------------------------------------------------
server_version() { # prints the engine's version, or the client's error on one line
  local out rc=0
  out=$(docker info --format '{{.ServerVersion}}' 2>&1) || rc=$?
  out=${out//$'\n'/ }
  printf '%s\n' "${out# }"
  return $rc
}

if out=$(server_version); then
  say "daemon: engine $out answering [running]"
  exit 0
fi
case "$out" in
  *"ermission denied"*) die "daemon: the engine refuses this user ($out); run as root or join the docker group" ;;
esac
need_root "starting dockerd"

# Debian's /etc/init.d/docker does the same when nothing provides cgroups (no systemd, no fstab entry).
if [ -e /proc/cgroups ] && [ -d /sys/fs/cgroup ] && ! mountpoint -q /sys/fs/cgroup &&
  ! grep -v '^#' /etc/fstab 2>/dev/null | grep -q cgroup; then
  mount -t tmpfs -o uid=0,gid=0,mode=0755 cgroup /sys/fs/cgroup
  (
    cd /sys/fs/cgroup
    # shellcheck disable=SC2013 # one word a line
    for sys in $(awk '!/^#/ { if ($4 == 1) print $1 }' /proc/cgroups); do
      mkdir -p "$sys"
      mountpoint -q "$sys" || mount -n -t cgroup -o "$sys" cgroup "$sys" || rmdir "$sys" || true
    done
  )
  say "daemon: mounted the cgroup v1 hierarchies on /sys/fs/cgroup"
fi

mkdir -p "$(dirname "$DOCKERD_LOG")"
echo "=== $(date -u '+%Y-%m-%dT%H:%M:%SZ') setup-docker: dockerd ${DOCKERD_ARGS[*]}" >>"$DOCKERD_LOG"
(
  ulimit -n 1048576 2>/dev/null || true # as Debian's init script does
  # setsid execs dockerd in a new session (or, if it must fork, waits for it): $! lives as long as dockerd.
  exec nohup setsid -w "$(dockerd_bin)" "${DOCKERD_ARGS[@]}" </dev/null >>"$DOCKERD_LOG" 2>&1
) &
pid=$!
for ((i = 0; i < DOCKERD_WAIT; i++)); do
  if out=$(server_version); then
    say "daemon: engine $out answering after ${i}s [started dockerd, pid $pid, log $DOCKERD_LOG]"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
if kill -0 "$pid" 2>/dev/null; then
  echo "setup-docker: daemon: dockerd (pid $pid) still not answering after ${DOCKERD_WAIT}s: $out" >&2
else
  echo "setup-docker: daemon: dockerd (pid $pid) exited: $out" >&2
fi
echo "--- last lines of $DOCKERD_LOG:" >&2
tail -n 30 "$DOCKERD_LOG" >&2
exit 1
