/** How long one probe may take in `qus run`'s set-up before its emulator is taken to hang. */
export const PROBE_SECONDS = 20;

/**
 * The POSIX sh script `qus run` runs as root of its new user namespace: a constant, its data in arguments (never
 * spliced into the text). It mounts a private binfmt_misc, registers each entry, proves it with its probe from a
 * private tmpfs (gone with the mount namespace, even after kill -9), says how each went on fd 3, then closes fd 3 and
 * execs the command: as the user's own uid in a nested user namespace (which shares this one's binfmt_misc), or as it
 * is when the namespace's root is wanted. setpriv --pdeathsig: killed with qus (even by kill -9), never left running.
 *
 * Arguments: UID GID PROBES COUNT, then COUNT times NAME REGISTER PROBE CANDIDATE (PROBE as printf %b octal escapes;
 * CANDIDATE 1 when the cpu may run natively, so it is tried before anything is registered), then the command.
 * UID empty: exec the command as the namespace's root. PROBES: the folder the tmpfs hides meanwhile, one that holds
 * no interpreter (probe-mount.ts).
 */
export const SETUP_SCRIPT = `set -u
say() { printf '%s\\n' "$*" >&3; }
fail() { say "fail $*"; exit 125; }
# A probe runs ${PROBE_SECONDS} s at most: an emulator that hangs gets TERM, then KILL a second later (status 124).
bounded() { timeout -k 1 ${PROBE_SECONDS} "$@"; }
uid=$1 gid=$2 probes=$3 count=$4
shift 4
binfmt=/proc/sys/fs/binfmt_misc
mount -t binfmt_misc qus-run "$binfmt" || fail mount binfmt_misc
mount -t tmpfs -o mode=0700,size=1m qus-probes "$probes" || fail mount tmpfs
while [ "$count" -gt 0 ]; do
  name=$1 register=$2 probe=$3 candidate=$4
  shift 4
  count=$((count - 1))
  printf '%b' "$probe" >"$probes/$name" && chmod 0700 "$probes/$name" || fail write "$name"
  if [ "$candidate" = 1 ] && bounded "$probes/$name" </dev/null >/dev/null 2>&1; then say "native $name"; continue; fi
  printf '%s' "$register" >"$binfmt/register" || fail register "$name"
  bounded "$probes/$name" </dev/null >/dev/null 2>&1
  status=$?
  [ "$status" -eq 124 ] && fail probe "$name" timeout
  [ "$status" -eq 0 ] || fail probe "$name" "$status"
  say "ready $name"
done
umount "$probes" || fail umount tmpfs
say exec
exec 3>&-
[ -n "$uid" ] || exec setpriv --pdeathsig KILL -- "$@"
exec unshare --user --map-user="$uid" --map-group="$gid" -- setpriv --pdeathsig KILL -- "$@"
`;

/** One platform as the script registers and proves it. */
export interface ScriptEntry {
  /** The binfmt_misc entry's name (`qemu-aarch64`), also the probe's file name. */
  readonly name: string;
  /** The string written to `register` (core's renderRegister, with the F flag). */
  readonly register: string;
  /** The interpreter's path that `register` names. */
  readonly interpreter: string;
  /** The probe program's bytes. */
  readonly probe: Uint8Array;
  /** The cpu may run natively here (a compat mode of the host): try it before registering. */
  readonly maybeNative: boolean;
}

/** Who the command runs as: the user's own ids (through a nested namespace), or the namespace's root. */
export type ScriptIdentity = { readonly uid: number; readonly gid: number } | "root";

/** Bytes as printf %b takes them: every byte as `\0ooo` (so no byte of the probe is ever read as text). */
export function printfOctal(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += `\\0${byte.toString(8).padStart(3, "0")}`;
  return out;
}

/** The script's arguments after `sh -c SCRIPT ARGV0`: identity, the probes' folder, entries, then the command. */
export function scriptArguments(
  identity: ScriptIdentity,
  probes: string,
  entries: readonly ScriptEntry[],
  command: readonly string[],
): string[] {
  const ids = identity === "root" ? ["", ""] : [String(identity.uid), String(identity.gid)];
  const data = entries.flatMap((entry) => [
    entry.name,
    entry.register,
    printfOctal(entry.probe),
    entry.maybeNative ? "1" : "0",
  ]);
  return [...ids, probes, String(entries.length), ...data, ...command];
}

/** What the script said on fd 3, read line by line. */
export type ScriptEvent =
  | { readonly kind: "native" | "ready"; readonly name: string }
  | { readonly kind: "exec" }
  | { readonly kind: "fail"; readonly step: string; readonly detail: readonly string[] };

/** Parses one line the script wrote on fd 3; undefined for anything else. */
export function parseScriptLine(line: string): ScriptEvent | undefined {
  const [word, ...rest] = line.trim().split(" ");
  if (word === "exec" && rest.length === 0) return { kind: "exec" };
  if ((word === "native" || word === "ready") && rest.length === 1 && rest[0]) return { kind: word, name: rest[0] };
  if (word === "fail" && rest[0]) return { kind: "fail", step: rest[0], detail: rest.slice(1) };
  return undefined;
}
