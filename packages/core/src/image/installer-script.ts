/**
 * `qus-binfmt`, the entrypoint of qus's installer image: tonistiigi/binfmt's command line (`--install all|LIST`,
 * `--uninstall LIST`, status JSON with no arguments), so the image drops in wherever that image is configured
 * (buildx's kubernetes driver `qemu.image=`, docker/setup-qemu-action's `image:`, DaemonSets); unlike that image it
 * proves each platform with qus's probe and its exit code tells the truth. `--check LIST` (a readiness probe) and
 * `--keep LIST` (re-register what disappears, for a DaemonSet) are qus's own.
 *
 * A constant busybox sh script: the table of targets (INSTALLER_TABLE) and the probes (INSTALLER_PROBES/<cpu>) are
 * files written into the image at build time from qus's own table, never spliced into the script.
 */

/** Where the image keeps the targets table: one line per target, see {@link renderInstallerTable}. */
export const INSTALLER_TABLE = "/usr/share/qus/targets";
/** The image's own platform (`linux/amd64`): it runs without emulation, so it is in no table. */
export const INSTALLER_NATIVE = "/usr/share/qus/native";
/** Where the image keeps one probe per target, named by cpu. */
export const INSTALLER_PROBES = "/usr/share/qus/probes";
/** The script's path in the image, also its entrypoint. */
export const INSTALLER_PATH = "/usr/bin/qus-binfmt";
/** Where `--keep` writes the platforms it last proved (`<unix time> <platform>...`), for a node labeller to read. */
export const INSTALLER_PROVEN = "/run/qus/proven";

// The script's own parameter expansions, written here so the template literal does not read them as its own.
const expand = (expansion: string) => `${"$"}{${expansion}}`;

export const INSTALLER_SCRIPT = String.raw`#!/bin/sh
# qus-binfmt: registers QEMU in binfmt_misc and proves each platform by running a program of it.
# No globbing: a LIST such as '*' is a name (an unknown one), never the files of the current folder.
set -f
B=/proc/sys/fs/binfmt_misc
TABLE=${INSTALLER_TABLE}
NATIVE=${INSTALLER_NATIVE}
PROBES=${INSTALLER_PROBES}
PROVEN=${INSTALLER_PROVEN}
T=${expand("QUS_PROBE_TIMEOUT:-20")}
INTERVAL=60
W=/tmp/qus-binfmt.$$
mkdir -p "$W" || { echo "qus-binfmt: cannot create $W: the container needs a writable /tmp" >&2; exit 3; }
trap 'rm -rf "$W"' EXIT
trap 'exit 0' TERM INT

usage() {
  cat >&2 <<'EOF'
usage: qus-binfmt [--install all|LIST] [--uninstall LIST] [--check LIST] [--keep LIST [--interval SECS]] [--host-binfmt DIR]
  LIST: comma separated platforms or names (linux/arm64,riscv64,arm,386,qemu-s390x) or all
  no arguments: print what runs here as JSON ({"supported": [...], "emulators": [...]})
  --install    register what is missing, prove every platform, exit 1 if one does not run
  --uninstall  remove qus's entries (qemu-<cpu>) of those platforms
  --check      prove the platforms only (a readiness probe): exit 1 if one does not run
  --keep       --install, then again every --interval seconds (default 60): entries that vanish come back
  --host-binfmt DIR  the host's binfmt_misc folder, mounted into the container: touched first, so a systemd
               automount there is triggered (and systemd-binfmt runs) before anything is registered
EOF
  exit 2
}

die() { echo "qus-binfmt: $1" >&2; exit "$2"; }

# A table seen from another user namespace than the host's is either not ours to change or private to it.
in_host_namespace() {
  read -r inside outside count rest </proc/self/uid_map || return 0
  [ "$inside $outside $count" = "0 0 4294967295" ]
}

mount_binfmt() {
  if [ -n "$HOSTDIR" ]; then ls "$HOSTDIR/" >/dev/null 2>&1 || true; fi
  if [ ! -e "$B/register" ]; then
    mount -t binfmt_misc binfmt_misc "$B" 2>"$W/err" ||
      die "cannot mount binfmt_misc at $B ($(cat "$W/err")): run the container with --cap-add SYS_ADMIN (or --privileged)" 3
  fi
  in_host_namespace || die "this container runs in a user namespace ($(cat /proc/self/uid_map | tr -s ' ' | tr '\n' ' ')): what it registers does not reach the host's binfmt_misc; run it without a user namespace (no userns-remap, no hostUsers: false)" 3
}

# Selects table lines for a LIST into $W/selected; an unknown name stops with exit 2.
select_targets() {
  : >"$W/selected"
  NATIVE_ASKED=""
  if [ "$1" = all ]; then cp "$TABLE" "$W/selected"; return; fi
  read -r native_platform native_names <"$NATIVE" || native_names=""
  for wanted in $(echo "$1" | tr ',' ' '); do
    found=""
    case ",$native_names," in *",$wanted,"*) found=1; NATIVE_ASKED=${expand("native_platform#linux/")} ;; esac
    while read -r cpu entry arch platform names reg; do
      case ",$names," in *",$wanted,"*) found=1; grep -q "^$cpu " "$W/selected" || echo "$cpu $entry $arch $platform $names $reg" >>"$W/selected" ;; esac
    done <"$TABLE"
    [ -n "$found" ] || die "unknown platform \"$wanted\": use all or names such as $(cut -d' ' -f4 "$TABLE" | head -5 | tr '\n' ' ')" 2
  done
  [ -s "$W/selected" ] || [ -n "$NATIVE_ASKED" ] || die "no platforms given: use all or a list such as linux/arm64,linux/riscv64" 2
}

# Runs the probe of each selected cpu at once, bounded; $W/probe-<cpu> holds its exit status or "timeout".
probe_all() {
  while read -r cpu entry arch platform names reg; do
    (
      timeout -s KILL "$T" "$PROBES/$cpu" </dev/null >/dev/null 2>&1
      r=$?
      [ "$r" = 137 ] && r=timeout
      echo "$r" >"$W/probe-$cpu"
    ) &
  done <"$W/selected"
  wait
}

probe_result() { read -r R <"$W/probe-$1" || R=unknown; }

# Registers what is missing or broken; one "installing:" line per platform, as tonistiigi/binfmt prints them.
install() {
  quiet=$1
  [ -z "$NATIVE_ASKED" ] || [ -n "$quiet" ] || echo "installing: $NATIVE_ASKED OK (this machine's own)"
  probe_all
  while read -r cpu entry arch platform names reg; do
    probe_result "$cpu"
    if [ "$R" = 0 ] && [ ! -e "$B/$entry" ]; then
      # It runs with no entry of qus's: this machine runs it itself (or another entry does). Never claim it.
      [ -n "$quiet" ] || echo "installing: $arch OK (runs without $entry)"
      continue
    fi
    if [ "$R" = 0 ]; then [ -n "$quiet" ] || echo "installing: $arch OK ($entry present)"; continue; fi
    if [ -e "$B/$entry" ]; then
      (printf '%s' -1 >"$B/$entry") 2>"$W/err" || { echo "installing: $arch cannot replace $entry: $(cat "$W/err")"; continue; }
    fi
    if (printf '%s' "$reg" >"$B/register") 2>"$W/err"; then
      echo "installing: $arch OK"
    else
      echo "installing: $arch cannot register $entry: $(cat "$W/err")"
    fi
  done <"$W/selected"
}

# Proves each selected platform; "verified:" lines, and the platforms that ran in $W/proven. Returns 1 if one failed.
verify() {
  quiet=$1
  probe_all
  failed=0
  : >"$W/proven"
  while read -r cpu entry arch platform names reg; do
    probe_result "$cpu"
    if [ "$R" = 0 ]; then
      echo "$platform" >>"$W/proven"
      [ -n "$quiet" ] || echo "verified: $platform OK"
    else
      failed=1
      case $R in timeout) why="its probe ran past $T s" ;; *) why="its probe exited $R" ;; esac
      echo "verified: $platform FAILED ($why)"
    fi
  done <"$W/selected"
  return $failed
}

# What runs here, as tonistiigi/binfmt prints it: every platform whose probe runs, and the qemu-* entries.
status_json() {
  select_targets all
  probe_all
  printf '{\n  "supported": ['
  sep=""
  if read -r native _ <"$NATIVE"; then printf '\n    "%s"' "$native"; sep=","; fi
  while read -r cpu entry arch platform names reg; do
    probe_result "$cpu"
    [ "$R" = 0 ] && printf '%s\n    "%s"' "$sep" "$platform" && sep=","
  done <"$W/selected"
  printf '\n  ],\n  "emulators": ['
  sep=""
  set +f
  for path in "$B"/qemu-*; do
    [ -e "$path" ] || continue
    printf '%s\n    "%s"' "$sep" "${expand("path##*/")}"
    sep=","
  done
  set -f
  printf '\n  ]\n}\n'
}

ACTION=status
LIST=""
HOSTDIR=""
while [ $# -gt 0 ]; do
  case $1 in
    --install | --uninstall | --check | --keep)
      ACTION=${expand("1#--")}
      [ $# -ge 2 ] || usage
      LIST=$2
      shift 2 ;;
    --interval)
      [ $# -ge 2 ] || usage
      case $2 in '' | *[!0-9]*) die "--interval needs whole seconds, not \"$2\"" 2 ;; esac
      INTERVAL=$2
      shift 2 ;;
    --host-binfmt)
      [ $# -ge 2 ] || usage
      HOSTDIR=$2
      shift 2 ;;
    -h | --help) usage ;;
    *) echo "qus-binfmt: unknown argument \"$1\"" >&2; usage ;;
  esac
done

mount_binfmt
case $ACTION in
  status) status_json ;;
  install)
    select_targets "$LIST"
    install
    verify
    failed=$?
    status_json
    exit $failed ;;
  uninstall)
    select_targets "$LIST"
    while read -r cpu entry arch platform names reg; do
      [ -e "$B/$entry" ] || continue
      if (printf '%s' -1 >"$B/$entry") 2>"$W/err"; then echo "uninstalling: $entry OK"; else echo "uninstalling: $entry $(cat "$W/err")"; fi
    done <"$W/selected"
    ;;
  check)
    select_targets "$LIST"
    verify quiet ;;
  keep)
    select_targets "$LIST"
    mkdir -p "${expand("PROVEN%/*")}"
    while :; do
      install quiet
      verify quiet
      echo "$(date +%s) $(tr '\n' ' ' <"$W/proven")" >"$PROVEN.new" && mv "$PROVEN.new" "$PROVEN"
      sleep "$INTERVAL" &
      wait $!
    done ;;
esac
`;
