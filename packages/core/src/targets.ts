import { QusError } from "./errors.js";
import type { Target } from "./target-model.js";
import { TARGETS } from "./target-table.js";

// The targets room: the one table of QEMU targets (target-table.ts), its model, and the look-ups every other module
// uses. Nothing else in qus hard-codes an architecture.

export type { QemuCpu, Target } from "./target-model.js";
export { TARGETS } from "./target-table.js";

const BY_CPU = new Map<string, Target>(TARGETS.map((t) => [t.cpu, t]));

/** The target for a QEMU cpu name, or undefined. */
export function targetByCpu(cpu: string): Target | undefined {
  return BY_CPU.get(cpu);
}

/** The target of a QEMU cpu name; throws QUS_UNKNOWN_PLATFORM (naming it) when qus knows none. */
export function requireTarget(cpu: string): Target {
  const target = BY_CPU.get(cpu);
  if (!target) {
    throw new QusError("QUS_UNKNOWN_PLATFORM", `no QEMU target named ${JSON.stringify(cpu)}`, {
      hint: `use one of: ${TARGETS.map((candidate) => candidate.cpu).join(", ")}`,
    });
  }
  return target;
}

/** The binfmt_misc entry name qus uses for a target: `qemu-<cpu>`, as QEMU's script and most installers do. */
export function entryName(target: Target): string {
  return `qemu-${target.cpu}`;
}

/**
 * The base name of the QEMU emulator that runs a target's programs: `qemu-<cpu>`, or the cpu QEMU's script hands
 * it to (`qemu-i386` for i486). Installed as `<base>-static` (Debian) or `<base>`.
 */
export function interpreterBase(target: Target): string {
  return `qemu-${target.interpreterCpu ?? target.cpu}`;
}

/** Canonical OCI platform of a target (`linux/arm64`). */
export function canonicalPlatform(target: Target): string {
  return target.platforms[0] ?? `linux/${target.cpu}`;
}
