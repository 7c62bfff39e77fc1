import type { Exec } from "../../exec.js";
import type { QemuCpu } from "../../targets.js";
import { describeProbeRun } from "../probe-verdict.js";
import { usuallyNative } from "./host.js";
import { createNativeCache } from "./native-cache.js";
import { createProbeDir } from "./probes.js";

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

/** Seams of native detection. */
export interface NativeDetection {
  readonly exec: Exec;
  readonly host: QemuCpu | undefined;
  /** Root can chroot, where the stand-in shell tells "exec format error" apart from other failures. */
  readonly root: boolean;
  readonly cache?: Pick<ReturnType<typeof createNativeCache>, "get" | "set">;
}

/**
 * Decides, for each candidate, whether it runs natively. Cpus some entry claims are not run (the entry would answer):
 * they keep what this boot has proven. Only `native` and `foreign` are remembered, and only from unclaimed runs.
 */
export async function detectNative(
  unclaimed: readonly QemuCpu[],
  claimed: readonly QemuCpu[],
  seams: NativeDetection,
): Promise<Map<QemuCpu, NativeFinding>> {
  const cache = seams.cache ?? createNativeCache();
  const findings = new Map<QemuCpu, NativeFinding>();
  const toRun: QemuCpu[] = [];
  for (const cpu of unclaimed) {
    const known = cache.get(cpu);
    if (known === undefined) toRun.push(cpu);
    else findings.set(cpu, { verdict: known ? "native" : "foreign" });
  }
  for (const cpu of claimed) {
    const known = cache.get(cpu);
    findings.set(cpu, { verdict: known === undefined ? "unknown" : known ? "native" : "foreign" });
  }
  if (toRun.length > 0) {
    const proven = new Map<QemuCpu, boolean>();
    const dir = await createProbeDir(toRun, seams.root ? seams.host : undefined);
    try {
      await Promise.all(
        toRun.map(async (cpu) => {
          const result = seams.root
            ? await seams.exec("chroot", [dir.path, `/${cpu}`], { timeoutMs: 10_000 })
            : await seams.exec(`${dir.path}/${cpu}`, [], { timeoutMs: 10_000 });
          const verdict = describeProbeRun(result, seams.root);
          if (verdict.ok) {
            proven.set(cpu, true);
            findings.set(cpu, { verdict: "native" });
          } else if (seams.root && verdict.failure === "no-handler") {
            proven.set(cpu, false);
            findings.set(cpu, { verdict: "foreign" });
          } else {
            findings.set(cpu, { verdict: "unknown", detail: verdict.reason });
          }
        }),
      );
    } finally {
      await dir.dispose();
    }
    cache.set(proven);
  }
  return findings;
}

/** What the driver makes of a finding: treat the cpu as native (never register it), and why. */
export interface NativeDecision {
  readonly native: boolean;
  readonly reason?: string;
  /** An entry claims a cpu the host runs itself: the host's own programs go through QEMU. */
  readonly hostClaimed: boolean;
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
  if (finding.verdict === "foreign") return { native: false, hostClaimed: false };
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
