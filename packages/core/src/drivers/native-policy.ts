import { nativeCandidates, usuallyNative } from "../architectures.js";
import type { BinfmtEntry } from "../binfmt/entry.js";
import type { Registration } from "../binfmt/register.js";
import { entryDifferences } from "../plan.js";
import type { QemuCpu } from "../targets.js";
import type { ProbeResult } from "./types.js";

/**
 * Policy every driver applies the same way, wherever it reaches a kernel: what counts as native, and what a
 * concurrent run's registration means. Drivers only run things and report what they saw.
 */

/**
 * Whether a compat cpu of the host (i386 on x86_64) runs natively here:
 * - `native`: its probe ran without emulation;
 * - `foreign`: its probe failed with "exec format error" while no entry claimed it: the only proof;
 * - `unknown`: nothing shows either (a noexec TMPDIR, not root, an entry in the way).
 */
export type NativeVerdict = "native" | "foreign" | "unknown";

/** What native detection found for one cpu. */
export interface NativeFinding {
  readonly verdict: NativeVerdict;
  /** How the probe ended when it proved nothing. */
  readonly detail?: string;
}

/**
 * What an unclaimed probe's run shows: it ran (native), or it failed with "exec format error" in a chroot, where the
 * stand-in shell tells that apart from everything else (foreign). Any other failure proves nothing.
 */
export function nativeFinding(run: ProbeResult): NativeFinding {
  if (run.ok) return { verdict: "native" };
  if (run.chrooted && run.failure === "no-handler") return { verdict: "foreign" };
  return { verdict: "unknown", detail: run.reason };
}

/** What the driver makes of a finding: treat the cpu as native (never register it), and why. */
export interface NativeDecision {
  readonly native: boolean;
  readonly reason?: string;
  /** An entry claims a cpu the host runs itself: the host's own programs go through QEMU. */
  readonly hostClaimed: boolean;
  /** A run showed it foreign here: the only case where an emulator may be registered for a compat mode. */
  readonly provenForeign?: boolean;
}

/**
 * Only a proof that the cpu is foreign lets qus register an emulator for one of the host's compat modes. Unknown
 * keeps the host's usual mode (i386 on x86_64) native; an unusual one (32-bit arm on arm64) is native only when no
 * entry claims it yet (with an entry, an emulator serves it already and planning goes on).
 */
export function decideNative(
  host: QemuCpu | undefined,
  cpu: QemuCpu,
  finding: NativeFinding,
  claimed: boolean,
): NativeDecision {
  if (finding.verdict === "foreign") return { native: false, hostClaimed: false, provenForeign: true };
  if (finding.verdict === "native")
    return { native: true, reason: "runs natively without emulation", hostClaimed: claimed };
  if (usuallyNative(host, cpu))
    return { native: true, reason: `runs natively on ${host} machines (its compat mode)`, hostClaimed: claimed };
  if (claimed) return { native: false, hostClaimed: false };
  const why = finding.detail ? ` (its probe: ${finding.detail})` : "";
  return {
    native: true,
    reason: `could not tell whether it runs natively here${why}: not registering an emulator for the host's own compat mode`,
    hostClaimed: false,
  };
}

/**
 * A registration that failed with EEXIST: fine when the entry now there is the one wanted (a concurrent run
 * registered it first); `gone` when another run removed it again before it could be read (try once more).
 */
export function registeredMeanwhile(now: BinfmtEntry | undefined, wanted: Registration): "same" | "different" | "gone" {
  if (!now) return "gone";
  return entryDifferences(now, wanted, wanted.flags, wanted.interpreter).length === 0 ? "same" : "different";
}

/**
 * The native decision where a driver has one run of the probe per unclaimed target (the container drivers): the
 * run decides for the host's compat modes; a claimed target has no run, so only the host's usual modes count.
 */
export function judgeNative(
  host: QemuCpu | undefined,
  cpu: QemuCpu,
  unclaimedRun: ProbeResult | undefined,
  claimed: boolean,
): NativeDecision {
  if (!nativeCandidates(host).includes(cpu)) {
    // Not a compat mode of the host: only a run that works with nothing claiming it says native.
    return unclaimedRun?.ok && !claimed
      ? { native: true, reason: "runs natively without emulation", hostClaimed: false }
      : { native: false, hostClaimed: false };
  }
  return decideNative(
    host,
    cpu,
    claimed || !unclaimedRun ? { verdict: "unknown" } : nativeFinding(unclaimedRun),
    claimed,
  );
}

/**
 * Whether an emulator may be registered for a cpu on a host: always, unless it is one of the host's compat modes
 * (i386 on x86_64) that no run has shown foreign (`provenForeign`, gathered from {@link NativeDecision}s).
 */
export function mayEmulate(host: QemuCpu | undefined, cpu: QemuCpu, provenForeign: ReadonlySet<QemuCpu>): boolean {
  return !nativeCandidates(host).includes(cpu) || provenForeign.has(cpu);
}

/**
 * The native rule for adapters that know only the cpu of the machine or engine that runs the containers (its own
 * programs run without emulation, no entry and no probe needed): the decision for the cpu of that machine, or
 * undefined for every other cpu, compat modes included, which a driver judges by running ({@link judgeNative}).
 * `whose` names the machine in the reason (`the engine's`), `architecture` its own name for its cpu (`amd64`).
 */
export function ownArchitecture(
  host: QemuCpu | undefined,
  cpu: QemuCpu,
  whose = "this machine's",
  architecture?: string,
): NativeDecision | undefined {
  if (host === undefined || cpu !== host) return undefined;
  const named = architecture ? ` (${architecture})` : "";
  return { native: true, reason: `${whose} own architecture${named}`, hostClaimed: false };
}
