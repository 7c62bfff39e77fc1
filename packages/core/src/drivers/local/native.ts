import type { Exec } from "../../exec.js";
import type { QemuCpu } from "../../targets.js";
import { type NativeFinding, nativeFinding } from "../native-policy.js";
import { describeProbeRun } from "../probe-verdict.js";
import { createNativeCache } from "./native-cache.js";
import { createProbeDir } from "./probes.js";

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
          const finding = nativeFinding(describeProbeRun(result, seams.root));
          findings.set(cpu, finding);
          if (finding.verdict !== "unknown") proven.set(cpu, finding.verdict === "native");
        }),
      );
    } finally {
      await dir.dispose();
    }
    cache.set(proven);
  }
  return findings;
}
