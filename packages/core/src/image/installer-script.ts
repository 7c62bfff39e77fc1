/**
 * `qus-binfmt`, the entrypoint of qus's installer image: tonistiigi/binfmt's command line (`--install all|LIST`,
 * `--uninstall LIST`, status JSON with no arguments), so the image drops in wherever that image is configured
 * (buildx's kubernetes driver `qemu.image=`, docker/setup-qemu-action's `image:`, DaemonSets); unlike that image it
 * proves each platform with qus's probe and its exit code tells the truth. `--check LIST` (a readiness probe) and
 * `--keep LIST` (re-register what disappears, for a DaemonSet) are qus's own.
 *
 * A constant busybox sh script: the table of targets (INSTALLER_TABLE) and the probes (INSTALLER_PROBES/<cpu>) are
 * files written into the image at build time from qus's own table, never spliced into the script. What to change is
 * decided by plan()'s rules, in sh (the planner of installer-planner.ts, spliced in as a constant part).
 */

import { NO_HANDLER_STATUS } from "../drivers/probe-verdict.js";
import { INSTALLER_PLANNER } from "./installer-planner.js";

/** Where the image keeps the targets table: one line per target, see {@link renderInstallerTable}. */
export const INSTALLER_TABLE = "/usr/share/qus/targets";
/** The image's own platform (`linux/amd64`): it runs without emulation, so it is in no table. */
export const INSTALLER_NATIVE = "/usr/share/qus/native";
/** The probes' chroot: a marker as its /bin/sh, and the probes under /probes (see {@link INSTALLER_MARKER_STATUS}). */
export const INSTALLER_ROOT = "/usr/share/qus/root";
/** Where the image keeps one probe per target, named by cpu (inside {@link INSTALLER_ROOT}). */
export const INSTALLER_PROBES = `${INSTALLER_ROOT}/probes`;
/**
 * The exit status of the chroot's /bin/sh, a program of the image's own architecture: a probe the kernel cannot run
 * falls back to /bin/sh (ENOEXEC), so this status proves "exec format error", nothing else does. One convention with
 * qus's own probes: core's NO_HANDLER_STATUS.
 */
export const INSTALLER_MARKER_STATUS = NO_HANDLER_STATUS;
/** Targets the image's machine may run itself (i386 on x86_64): registered only after a proven exec format error. */
export const INSTALLER_COMPAT = "/usr/share/qus/compat";
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
COMPAT=${INSTALLER_COMPAT}
ROOT=${INSTALLER_ROOT}
MARKER=${INSTALLER_MARKER_STATUS}
PROVEN=${INSTALLER_PROVEN}
T=${expand("QUS_PROBE_TIMEOUT:-20")}
INTERVAL=60
REPLACE=""
W=/tmp/qus-binfmt.$$
# Probes at once: each is a QEMU start; a pod's memory limit must not kill them (OOM reads like a hang).
BATCH=4
${INSTALLER_PLANNER}
die() { echo "qus-binfmt: $1" >&2; exit "$2"; }
case $T in '' | *[!0-9]* | 0) die "QUS_PROBE_TIMEOUT needs whole seconds (1 or more), not \"$T\"" 2 ;; esac
mkdir -p "$W" || die "cannot create $W: the container needs a writable /tmp" 3
trap 'rm -rf "$W"' EXIT
# Stopped before it finished: not a success.
trap 'exit 143' TERM
trap 'exit 130' INT

usage() {
  cat >&2 <<'EOF'
usage: qus-binfmt [--install all|LIST] [--uninstall LIST] [--check LIST] [--keep LIST [--interval SECS]] [--replace] [--host-binfmt DIR]
  LIST: comma separated platforms or names (linux/arm64,riscv64,arm,386,qemu-s390x) or all
  no arguments: print what runs here as JSON ({"supported": [...], "emulators": [...]})
  --install    register what is missing, prove every platform, exit 1 if one does not run
  --uninstall  remove the entries (qemu-<cpu>) of those platforms; with all, only qus's own (QEMU's magic and emulator)
  --check      prove the platforms only (a readiness probe): exit 1 if one does not run
  --keep       --install, then again every --interval seconds (default 60): entries that vanish come back
  --replace    replace what is in the way: a qemu-<cpu> entry that differs, another entry claiming the same
               programs (without it they are left alone and reported as a conflict)
  --host-binfmt DIR  the host's binfmt_misc folder, mounted into the container: touched first, so a systemd
               automount there is triggered (and systemd-binfmt runs) before anything is registered
EOF
  exit 2
}

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
  in_host_namespace || die "this container runs in a user namespace ($(tr -s ' ' </proc/self/uid_map | tr '\n' ' ')): what it registers does not reach the host's binfmt_misc; run it without a user namespace (no userns-remap, no hostUsers: false)" 3
}

# Selects table lines for a LIST into $W/selected; an unknown name stops with exit 2.
select_targets() {
  : >"$W/selected"
  NATIVE_ASKED=""
  read -r native_platform native_names <"$NATIVE" || native_names=""
  if [ "$1" = all ]; then cp "$TABLE" "$W/selected"; NATIVE_ASKED=${expand("native_platform#linux/")}; return; fi
  for wanted in $(printf '%s' "$1" | tr ',' ' '); do
    found=""
    case ",$native_names," in *",$wanted,"*) found=1; NATIVE_ASKED=${expand("native_platform#linux/")} ;; esac
    while read -r cpu entry arch platform names emulator reg; do
      case ",$names," in *",$wanted,"*) found=1; grep -q "^$cpu " "$W/selected" || echo "$cpu $entry $arch $platform $names $emulator $reg" >>"$W/selected" ;; esac
    done <"$TABLE"
    [ -n "$found" ] || die "unknown platform \"$wanted\" (or no emulator for it in this image): use all or names such as $(cut -d' ' -f4 "$TABLE" | head -5 | tr '\n' ' ')" 2
  done
  [ -s "$W/selected" ] || [ -n "$NATIVE_ASKED" ] || die "no platforms given: use all or a list such as linux/arm64,linux/riscv64" 2
}

# Runs the probe of each cpu of table file $1, $BATCH at once, chrooted, bounded; $W/probe-<cpu> holds its exit
# status, "timeout" when it ran its whole bound, or "killed" when something else killed it.
probe_all() {
  n=0
  while read -r cpu rest; do
    (
      read -r start _ </proc/uptime
      timeout -s KILL "$T" chroot "$ROOT" "/probes/$cpu" </dev/null >/dev/null 2>&1
      r=$?
      if [ "$r" = 137 ]; then
        read -r end _ </proc/uptime
        if [ $((${expand("end%%.*")} - ${expand("start%%.*")})) -ge "$T" ]; then r=timeout; else r=killed; fi
      fi
      echo "$r" >"$W/probe-$cpu"
    ) &
    n=$((n + 1))
    [ $((n % BATCH)) -ne 0 ] || wait
  done <"$1"
  wait
}

probe_result() { read -r R <"$W/probe-$1" || R=unknown; }

# Registers what plan() decides, through the planner, from the kernel's table; one "installing:" line per platform,
# as tonistiigi/binfmt prints them. A cpu this machine may run itself (i386 on x86_64) counts as native, so is left
# alone, unless its probe proved exec format error.
install() {
  quiet=$1
  [ -z "$NATIVE_ASKED" ] || [ -n "$quiet" ] || echo "installing: $NATIVE_ASKED OK (this machine's own)"
  while read -r cpu rest; do grep -qx "$cpu" "$COMPAT" && echo "$cpu"; done <"$W/selected" >"$W/compat"
  probe_all "$W/compat"
  native=""
  while read -r cpu; do probe_result "$cpu"; [ "$R" = "$MARKER" ] || native="$native $cpu"; done <"$W/compat"
  qp_plan "$B" "$W/selected" "$native" "$REPLACE" >"$W/plan"
  carry_out <"$W/plan"
}

# Carries out the planner's steps read from stdin, wording what was left as the CLI's report does.
carry_out() {
  why=""
  while IFS= read -r line; do
    case $line in "why "*) why="$why${expand("why:+; ")}${expand("line#why ")}"; continue ;; esac
    set -- $line
    cpu=$2 entry=$3 arch=$4 action=$5 enable=$6 reg=$7
    shift 7
    case $action in
      native) native_line ;;
      ok) [ -n "$quiet" ] || echo "installing: $arch OK ($entry present)" ;;
      conflict) echo "installing: $arch: conflict: $why: left as it is (--replace takes it over)" ;;
      *) apply_step "$@" ;;
    esac
    why=""
  done
}

# A cpu this machine may run itself: how its probe ended says why it is left alone.
native_line() {
  probe_result "$cpu"
  if [ "$R" != 0 ]; then
    echo "installing: $arch: not registered: this machine may run it itself (its probe ended $R, not with exec format error)"
  elif [ -z "$quiet" ]; then
    if [ -e "$B/$entry" ]; then echo "installing: $arch OK ($entry present)"; else echo "installing: $arch OK (runs without $entry)"; fi
  fi
}

# Removes the entries a step names (arguments), then enables or registers qus's entry.
apply_step() {
  notes=""
  for name in "$@"; do
    # An entry in the way of two platforms is gone after the first.
    [ -e "$B/$name" ] || continue
    (printf '%s' -1 >"$B/$name") 2>"$W/err" || { echo "installing: $arch cannot replace $name: $(cat "$W/err")"; return; }
    [ "$name" = "$entry" ] || notes="$notes${expand("notes:+, ")}$name removed (it was in the way)"
  done
  if [ "$enable" != - ]; then
    (printf '%s' 1 >"$B/$enable") 2>"$W/err" || { echo "installing: $arch cannot enable $entry: $(cat "$W/err")"; return; }
    notes="$entry enabled${expand("notes:+, ")}$notes"
  elif [ "$reg" != - ]; then
    (printf '%s' "$reg" >"$B/register") 2>"$W/err" || { echo "installing: $arch cannot register $entry: $(cat "$W/err")"; return; }
  fi
  echo "installing: $arch OK${expand("notes:+ ($notes)")}"
}

# Removes the selected platforms' entries; with all, only qus's own (plan()'s ownership rule, qp_owned).
uninstall() {
  failed=0
  while read -r cpu entry arch platform names emulator reg; do
    [ -e "$B/$entry" ] || continue
    if [ "$LIST" = all ]; then
      qp_parse_entry "$B/$entry"
      qp_read_register "$reg"
      qp_owned "$platform" "$emulator" || { echo "uninstalling: $entry left alone: $entry is not qus's (another program registered it): $qp_notours"; continue; }
    fi
    if (printf '%s' -1 >"$B/$entry") 2>"$W/err"; then echo "uninstalling: $entry OK"; else failed=1; echo "uninstalling: $entry failed: $(cat "$W/err")"; fi
  done <"$W/selected"
  return $failed
}

# Proves each selected platform; "verified:" lines, and the platforms that ran in $W/proven. Returns 1 if one failed.
verify() {
  quiet=$1
  probe_all "$W/selected"
  failed=0
  : >"$W/proven"
  [ -z "$NATIVE_ASKED" ] || echo "$native_platform" >>"$W/proven"
  while read -r cpu entry arch platform names emulator reg; do
    probe_result "$cpu"
    if [ "$R" = 0 ]; then
      echo "$platform" >>"$W/proven"
      [ -n "$quiet" ] || echo "verified: $platform OK"
    else
      failed=1
      case $R in
        timeout) why="its probe ran past $T s" ;;
        killed) why="its probe was killed (out of memory?)" ;;
        "$MARKER") why="exec format error: no entry claims it" ;;
        *) why="its probe exited $R" ;;
      esac
      echo "verified: $platform FAILED ($why)"
    fi
  done <"$W/selected"
  return $failed
}

# A JSON string of a name (entry names may hold quotes or backslashes).
json_string() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

# What runs here, as tonistiigi/binfmt prints it: every platform whose probe runs, and the qemu-* entries.
status_json() {
  select_targets all
  probe_all "$W/selected"
  printf '{\n  "supported": ['
  printf '\n    "%s"' "$native_platform"
  while read -r cpu entry arch platform names emulator reg; do
    probe_result "$cpu"
    [ "$R" = 0 ] && printf ',\n    "%s"' "$platform"
  done <"$W/selected"
  printf '\n  ],\n  "emulators": ['
  sep=""
  set +f
  for path in "$B"/qemu-*; do
    [ -e "$path" ] || continue
    printf '%s\n    %s' "$sep" "$(json_string "${expand("path##*/")}")"
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
      case $2 in '' | *[!0-9]* | 0) die "--interval needs whole seconds (1 or more), not \"$2\"" 2 ;; esac
      INTERVAL=$2
      shift 2 ;;
    --replace) REPLACE=1; shift ;;
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
    uninstall
    exit $? ;;
  check)
    select_targets "$LIST"
    verify quiet ;;
  keep)
    select_targets "$LIST"
    mkdir -p "${expand("PROVEN%/*")}"
    # A kept DaemonSet container is stopped by design: that is no failure.
    trap 'exit 0' TERM INT
    while :; do
      install quiet
      verify quiet
      echo "$(date +%s) $(tr '\n' ' ' <"$W/proven")" >"$PROVEN.new" && mv "$PROVEN.new" "$PROVEN"
      sleep "$INTERVAL" &
      wait $!
    done ;;
esac
`;
